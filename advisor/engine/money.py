"""How amounts of money read in the engine's texts and everywhere people see them (advisor.present.words.money):
cents below $100, whole dollars from $100, 'under $0.01' for what rounds to no cent."""

from __future__ import annotations

import re


def usd_text(value: float) -> str:
    """Money in the engine's texts: cents below $100 ('$0.54' does not read '$0'), whole dollars from $100, and
    'under $0.01' for a bill that rounds to no cent (a phone's electricity for a few requests a day)."""
    if 0 < value < 0.005:
        return "under $0.01"
    return f"${value:,.2f}" if abs(value) < 100 else f"${value:,.0f}"


_CENTS_FROM_100 = re.compile(r"\$(\d{1,3}(?:,\d{3})+|\d{3,})\.\d\d(?!\d)")
"""'$1,159.30' or '$250.00' in a text: an amount of $100 or more written with cents."""


def money_in_text(text: str) -> str:
    """A rule's text with its amounts in usd_text's style: the shipped rules write costs with cents
    ('${cost.api:,.2f}'), which from $100 on read as whole dollars ('$1,159')."""
    return _CENTS_FROM_100.sub(lambda m: usd_text(float(m.group(0)[1:].replace(",", ""))), text)
