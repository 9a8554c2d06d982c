"""The words and number formats people see, defined once: verdicts, where a model runs, money, times, volumes.

The ids these words stand for are in advisor.schema.vocabulary; every page, report and CLI table takes its words
from here, so the same thing reads the same everywhere.
"""

from __future__ import annotations

import math
import re
from typing import Any

from advisor.engine.money import money_in_text, usd_text

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


def money(amount: float | None) -> str:
    """Money wherever people read it: cents below $100 ('$0.54', '$25.20'; a $0.40 bill does not read '$0'),
    whole dollars with separators from $100 ('$1,159'); 'n/a' when there is no figure."""
    if amount is None or not math.isfinite(amount):
        return "n/a"
    return usd_text(amount)


def money_text(text: str) -> str:
    """Engine or rule text with its amounts in money()'s style (the engine writes them so already; results saved
    before it did are read back with cents)."""
    return money_in_text(text)


def slug(name: str) -> str:
    """A file name from a scenario's name, the one rule every download uses: lowercase ASCII letters, digits and
    single dashes ('<i>Scen</i> **S**' -> 'i-scen-i-s'), at most 60 characters; 'scenario' when none are left."""
    stem = "".join(c if c.isascii() and c.isalnum() else "-" for c in name.lower())
    return re.sub("-+", "-", stem).strip("-")[:60].strip("-") or "scenario"


def total_money(recommendation: Any, per: str = " a month") -> str:
    """A recommendation's total for people: '$1.16 a month'; when no workload has an option that meets its
    constraints, that (not '$0'); when some have none, the total of the rest and how many it leaves out."""
    unmet = sum(1 for w in recommendation.workloads if w.pick is None)
    if unmet and unmet == len(recommendation.workloads):
        return "none (no option meets all constraints)"
    total = f"{money(recommendation.total_monthly_cost_usd)}{per}"
    return f"{total}, not counting {plural(unmet, 'workload')} no option fits" if unmet else total


def number(value: float) -> str:
    """A count for people: '12,400', '1'; a fraction below 100 keeps its digits ('2.5', '0.25'), one above is
    rounded to a whole number ('681,292')."""
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.4g}"


def plural(n: float, word: str, many: str | None = None) -> str:
    """'1 request', '2 requests', '12,400 requests', '0.5 requests': the count as number() shows it and the word
    that agrees with what is shown (`many` for a plural that is not word + 's': plural(n, 'entry', 'entries'))."""
    shown = number(n)
    return f"{shown} {word if shown == '1' else (many or word + 's')}"


def ms(value: float | None) -> str:
    """A time in milliseconds: '1,237 ms'; 'n/a' when there is no figure."""
    return "n/a" if value is None else f"{value:,.0f} ms"


def tokens_per_s(value: float) -> str:
    return f"{value:,.1f} tok/s"


def gb(value: float) -> str:
    """Memory for people: two decimals under 10 GB (small models matter there), one above."""
    return f"{value:,.2f} GB" if abs(value) < 10 else f"{value:,.1f} GB"


def per_day(volume: float) -> str:
    return f"{plural(volume, 'request')}/day"


def count(value: float) -> str:
    """A whole number for people: '12,400'."""
    return f"{value:,.0f}"


def volume_words(volume: float) -> str:
    """Requests a day in one style everywhere: '5,000 a day', '30,000 a day', '2.5 million a day'."""
    for size, word in ((1e9, "billion"), (1e6, "million")):
        if volume >= size:
            return f"{volume / size:,.3g} {word} a day"
    return f"{volume:,.0f} a day" if volume >= 1 else f"{volume:g} a day"


def compact(value: float, prefix: str = "") -> str:
    """1,000 -> 1K, 2,500,000 -> 2.5M: text that stays narrow on a log axis or in a label."""
    for size, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "K")):
        if value >= size:
            return f"{prefix}{value / size:g}{suffix}"
    return f"{prefix}{value:g}"


_MARKDOWN_SPECIAL = frozenset("\\`*_[]<>|!~#")
"""Characters that make Markdown anywhere in a line."""
_STREAMLIT_SPECIAL = _MARKDOWN_SPECIAL | frozenset(":$")
"""Streamlit's Markdown adds :emoji: / :material/icon: shortcodes and $math$."""
_AUTOLINK = re.compile(r"(://|@|\bwww(?=\.))", re.IGNORECASE)
"""Where GFM's autolinks start (http://..., www...., a@b.c); they are found after escapes are undone, so a word
joiner (U+2060, invisible) goes after each to keep the text from becoming a live link."""
_LINE_START = re.compile(r"^(\s*)([-+=>]|\d+[.)])", re.MULTILINE)
"""What makes a list item, a heading underline or a quote only at the start of a line."""


def plain(text: str, streamlit: bool = True) -> str:
    """User or model text made safe to place in Markdown: every character shows as itself, never as a link, an
    image, HTML, a table cell break, a heading or a list. `streamlit=False` for a Markdown file (a report), which
    needs no escapes for Streamlit's own extensions."""
    special = _STREAMLIT_SPECIAL if streamlit else _MARKDOWN_SPECIAL
    unlinked = _AUTOLINK.sub("\\1\u2060", text)
    escaped = "".join(f"\\{c}" if c in special else c for c in unlinked)
    return _LINE_START.sub(lambda m: f"{m.group(1)}{m.group(2)[:-1]}\\{m.group(2)[-1]}", escaped)


RULE_TITLES = {  # rule id -> a short title for people; ids stay in details and the JSON
    "regulated_data_stays_in_house": "Regulated data stays in-house",
    "air_gapped_no_api": "Air-gapped: no API can be reached",
    "local_only_deployment": "Own hardware only",
    "api_only_deployment": "APIs only",
    "provider_not_allowed": "Provider not allowed",
    "does_not_fit_hardware": "Does not fit the hardware's memory",
    "context_window_too_small": "Context window too small",
    "first_token_too_slow": "First words too slow for the target",
    "total_latency_too_slow": "Whole answer too slow for the target",
    "below_quality_bar": "Below the quality bar",
    "hardware_chosen_by_advisor": "Hardware chosen by the advisor",
    "hardware_price_unknown": "Hardware price unknown",
    "unknown_allowed_provider": "Allowed provider serves no priced model",
    "narrow_task": "Narrow task",
    "open_ended_task": "Open-ended task",
    "multi_step_reasoning": "Multi-step reasoning",
    "frontier_quality": "Frontier quality asked",
    "basic_quality": "Basic quality is enough",
    "long_context": "Long context",
    "many_languages": "Many languages",
    "low_resource_languages": "Languages small models rarely cover",
    "high_volume": "High volume",
    "low_volume": "Low volume",
    "tight_latency": "Tight latency target",
    "domain_data_to_tune": "In-domain data to tune with",
    "agentic_pipeline": "Agentic pipeline",
    "mixed_difficulty_traffic": "Mostly routine traffic",
    "confidential_data": "Confidential data",
    "device_hardware": "Runs on a device",
    "slm_much_cheaper": "Small model much cheaper",
    "llm_much_cheaper": "Large model much cheaper",
    "hybrid_saves": "A hybrid saves money",
    "own_hardware_much_cheaper": "Own hardware much cheaper",
    "api_much_cheaper": "API much cheaper",
    "rented_hardware_not_on_premises": "Rented cloud hardware, but on-premises required",
    "base_model_without_tuning_data": "Base model with no data to tune it on",
    "regulated_on_rented_cloud": "Regulated data on rented cloud GPUs",
    "no_ops_cost": "Operations assumed free",
    "ranking": "How the pick was chosen",
    "small_model_long_context": "Too long a context for a small model",
    "unpredictable_queries": "Unpredictable queries",
    "mixed_queries": "Mostly routine, some hard queries",
    "prototype_phase": "Prototype phase",
    "novel_task_without_data": "Open task, no labelled data",
    "high_stakes_verification": "High stakes: verify the answers",
    "personal_data_in_tuning_set": "Personal data in the tuning set",
    "distil_into_the_small_model": "Distil into the small model later",
    "language_not_covered": "Languages the model's card does not name",
    "no_image_input": "Reads text only",
    "frequent_updates": "The task changes often",
    "drift_retraining": "Budget retraining for drift",
    "existing_infrastructure": "Hardware the team already has",
}
VARIETY_WORDS = {
    "predictable": "Predictable: the same few kinds",
    "mixed": "Mostly routine, some hard",
    "unpredictable": "Anything users may ask",
}
PHASE_WORDS = {"production": "Production", "prototype": "Prototype"}
UPDATE_WORDS = {
    "rarely": "Rarely",
    "monthly": "Every month",
    "weekly": "Every week",
}
MODALITY_WORDS = {"text": "Text", "image": "Text with images"}
OPTIMIZE_WORDS = {
    "balanced": "Balanced: the best quality within 10% of the cheapest",
    "cost": "Lowest monthly cost",
    "latency": "Fastest first words",
    "quality": "Best answers",
}


def rule_title(rule_id: str) -> str:
    """A rule's title for people; a rule of a user's own file has none, so its id reads as words."""
    return RULE_TITLES.get(rule_id) or rule_id.replace("_", " ").capitalize()


DEPLOYMENT_CHOICE_WORDS = {"any": "any", "local_only": "own hardware only", "api_only": "APIs only"}
"""The scenario's constraints.deployment choice, as a phrase inside a sentence."""
ID_WORDS = {
    **{key: f"'{words}'" for key, words in DEPLOYMENT_CHOICE_WORDS.items() if key != "any"},
    "self_hosted": "self-hosted",
    "this-machine": "this machine",
    "allowed_providers": "allowed providers",
    "already_owned": "'We have it already'",
    "air_gapped": "air-gapped",
    "input_tokens": "tokens in",
    "output_tokens": "tokens out",
}
"""Ids that schema help and engine messages carry, and the words people read instead."""
_ID_PATTERN = re.compile(r"`?(?<![\w-])(?:" + "|".join(re.escape(k) for k in ID_WORDS) + r")(?![\w-])`?")
_RULE_PATTERN = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(k) for k in RULE_TITLES) + r")(?![\w-])")


def humanize(text: str) -> str:
    """Schema help or an engine message with the ids it names (api_only, self_hosted, rule ids) in words."""
    text = text.replace("`advisor catalog hardware`", "the Catalog page's Hardware tab")
    text = text.replace("a task id, see `advisor catalog tasks`", "one of the task kinds listed")
    # Pointers to the command line read, in the app, as the place in the app that lists the same things.
    text = text.replace("`advisor catalog models`", "the Catalog page's Open-weight models tab")
    text = text.replace("`advisor catalog api-models`", "the Catalog page's API models tab")
    text = text.replace("(`advisor store list`)", "(the Saved scenarios page lists them)")
    if "`advisor catalog tasks`" in text:
        from advisor.data.catalog import default_catalog

        kinds = ", ".join(sorted(default_catalog().tasks))
        text = text.replace("(see `advisor catalog tasks`)", f"(one of {kinds})")
    text = _ID_PATTERN.sub(lambda m: ID_WORDS[m.group(0).strip("`")], text)
    return _RULE_PATTERN.sub(lambda m: f"'{RULE_TITLES[m.group(0)]}'", text)


def hardware_label(name: str, memory_gb: float) -> str:
    """A hardware profile for a list: its name with its memory, unless the name says it already."""
    return name if re.search(r"\d\s*GB", name) else f"{name} ({memory_gb:g} GB)"
