"""The words and number formats people see, defined once: verdicts, where a model runs, money, times, volumes.

The ids these words stand for are in advisor.schema.vocabulary; every page, report and CLI table takes its words
from here, so the same thing reads the same everywhere.
"""

from __future__ import annotations

VERDICT_WORDS = {
    "slm": "a small model",
    "llm": "a large model",
    "hybrid": "a hybrid (a small model for the routine share, a large one for the rest)",
}
"""A verdict as a noun phrase: 'SLM - a small model ...'."""

WHERE_WORDS = {
    "local": "on the team's own device",
    "self_hosted": "on own or rented servers",
    "api": "behind an API",
    "mixed": "split between own hardware and an API",
}
"""Where an option runs, as a phrase that follows the verdict."""

WHERE_SHORT = {"local": "on the device", "self_hosted": "self-hosted", "api": "through an API", "mixed": "mixed"}
"""Where an option runs, short enough for a table cell."""


def usd(amount: float | None, cents: bool = False) -> str:
    """Money for people: '$1,234' ('$1,234.56' with cents); 'n/a' when there is no figure."""
    if amount is None:
        return "n/a"
    return f"${amount:,.2f}" if cents else f"${amount:,.0f}"


def ms(value: float | None) -> str:
    """A time in milliseconds: '1,237 ms'; 'n/a' when there is no figure."""
    return "n/a" if value is None else f"{value:,.0f} ms"


def tokens_per_s(value: float) -> str:
    return f"{value:,.1f} tok/s"


def gb(value: float) -> str:
    """Memory for people: two decimals under 10 GB (small models matter there), one above."""
    return f"{value:,.2f} GB" if abs(value) < 10 else f"{value:,.1f} GB"


def per_day(volume: float) -> str:
    return f"{volume:,.0f} requests/day"


def compact(value: float, prefix: str = "") -> str:
    """1,000 -> 1K, 2,500,000 -> 2.5M: text that stays narrow on a log axis or in a label."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{prefix}{value / size:g}{suffix}"
    return f"{prefix}{value:g}"
