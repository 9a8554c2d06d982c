"""Cost reports to send a customer: one self-contained HTML file (also the PDF's source), an XLSX workbook and a
tidy CSV, all read from one Recommendation.

Every figure comes from the engine; this module only finds the words for it. People's names, the scenario's name and
its workload names are user text: escaped in HTML, stored as text (never a formula) in XLSX and CSV. Ids show only
in the report's appendix; the prose uses the catalog's names for models, hardware, providers and rules.

    report_bytes(recommendation, "html", ReportInfo(prepared_for="ACME"))   # or "pdf", "xlsx", "csv"
    write_report(recommendation, "report.pdf")                              # the format from the suffix

Heavy libraries (plotly, openpyxl, playwright) load inside the functions that need them.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError
from advisor.present.words import (
    MODALITY_WORDS,
    OPTIMIZE_WORDS,
    PHASE_WORDS,
    UPDATE_WORDS,
    VARIETY_WORDS,
    VERDICT_WORDS,
    WHERE_SHORT,
    WHERE_WORDS,
    money,
    money_text,
    ms,
    per_day,
    plural,
    rule_title,
    slug,
    total_money,
    usd,
)

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.engine.options import Option
    from advisor.engine.recommend import Change, RankedOption, Reason, Recommendation, WorkloadRecommendation
    from advisor.schema.scenario import Scenario, Workload

FORMATS = ("html", "pdf", "xlsx", "csv")
MEDIA_TYPES = {
    "html": "text/html",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "csv": "text/csv",
}
MAX_PERSON_CHARS = 200
CHART_WIDTH = 680
"""Pixels: the width of an A4 page inside the print margins, so a chart is the same on screen and on paper."""

VERDICT_NAMES = {"slm": "Small model (SLM)", "llm": "Large model (LLM)", "hybrid": "Hybrid (small + large model)"}
KIND_NAMES = {"slm": "small model", "llm": "large model", "hybrid": "hybrid"}
FAVOUR_NAMES = {
    "slm": "small models",
    "llm": "large models",
    "hybrid": "hybrids",
    "local": "on-device options",
    "self_hosted": "self-hosted options",
    "api": "API options",
    "mixed": "options split between own hardware and an API",
}
BASIS_WORDS = {
    "estimated": "estimated from the hardware's published figures",
    "measured": "measured in a live run (on this hardware; for an API, from the team's network)",
    "published": "the provider's published and observed figures",
}
PATTERN_NAMES = {"router": "Router", "cascade": "Cascade"}
QUALITY_WORDS = {
    "basic": "basic (narrow, checkable answers)",
    "standard": "standard",
    "frontier": "frontier (the best available)",
}
DEPLOYMENT_CHOICE_WORDS = {
    "any": "APIs and own hardware are both allowed",
    "local_only": "only own hardware: nothing leaves the team's machines",
    "api_only": "only APIs: nothing for the team to host",
}
LANGUAGE_NAMES = {
    "en": "English", "de": "German", "fr": "French", "it": "Italian", "pt": "Portuguese", "es": "Spanish",
    "hi": "Hindi", "th": "Thai", "zh": "Chinese", "ru": "Russian", "ja": "Japanese", "ko": "Korean",
    "vi": "Vietnamese", "ar": "Arabic", "nl": "Dutch", "pl": "Polish", "sv": "Swedish", "tr": "Turkish",
    "sw": "Swahili", "id": "Indonesian", "uk": "Ukrainian", "cs": "Czech", "el": "Greek", "he": "Hebrew",
    "da": "Danish", "fi": "Finnish", "no": "Norwegian", "hu": "Hungarian", "ro": "Romanian", "bn": "Bengali",
}  # fmt: skip
COMPONENT_NAMES = (
    ("api_usd", "API tokens"),
    ("hardware_usd", "Hardware"),
    ("energy_usd", "Energy"),
    ("ops_usd", "Ops"),
)
_URL = re.compile(r"https?://[^\s<>\"')\];,]+[^\s<>\"')\];,.]")


class ReportError(AdvisorError):
    """A report that cannot be made as asked (unknown format, bad names, no Chromium for the PDF)."""


@dataclass(frozen=True)
class ReportInfo:
    """What the cover says besides the scenario: who it is for and from, and its date (default: today)."""

    prepared_for: str = ""
    prepared_by: str = ""
    day: date | None = None

    def __post_init__(self) -> None:
        for name, value in (("prepared_for", self.prepared_for), ("prepared_by", self.prepared_by)):
            if len(value) > MAX_PERSON_CHARS:
                raise ReportError(f"{name}: at most {MAX_PERSON_CHARS} characters, got {len(value):,}")
            bad = next((c for c in value if ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c in "\u200b\u202e\u2066"), None)
            if bad is not None:
                raise ReportError(f"{name}: must be printable text (found U+{ord(bad):04X})")

    @property
    def date(self) -> date:
        return self.day or datetime.now(tz=UTC).date()


def report_format(path: str | Path, fmt: str | None = None) -> str:
    """The format asked for: the file's suffix, or `fmt` for a file name without a report suffix. A `fmt` that
    contradicts the suffix (report.html with csv) is refused: the file would not open as its name says."""
    suffix = Path(path).suffix.lower().lstrip(".")
    if suffix == "htm":
        suffix = "html"
    if fmt is not None:
        if fmt not in FORMATS:
            raise ReportError(f"format: must be one of {', '.join(FORMATS)}, got {fmt[:20]!r}")
        if suffix in FORMATS and suffix != fmt:
            raise ReportError(
                f"--format {fmt} does not match the file's extension .{suffix}; name the file .{fmt} or drop --format"
            )
        return fmt
    if suffix not in FORMATS:
        shown = Path(path).name[:60]
        raise ReportError(
            f"output: the file name must end in .html, .pdf, .xlsx or .csv (or pass --format), got {shown!r}"
        )
    return suffix


def file_stem(scenario: Scenario) -> str:
    """A file name from the scenario's name: lowercase letters, digits and dashes."""
    return slug(scenario.name)


# ---- names for people --------------------------------------------------------------------------------------------


@dataclass
class Names:
    """Catalog names for the ids a recommendation carries, and text with those ids replaced by them."""

    catalog: Catalog
    _providers: dict[str, str] = field(default_factory=dict)
    _maps: dict[int, tuple[Any, dict[str, str], re.Pattern[str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        from genai_prices import data

        self._providers = {p.id: p.name for p in data.providers}

    def provider(self, provider_id: str) -> str:
        return self._providers.get(provider_id, provider_id)

    def api_model(self, provider: str, model: str) -> str:
        note = next((n for n in self.catalog.api_notes if n.provider == provider and n.model == model), None)
        return note.name if note else model

    def model(self, model_id: str) -> str:
        entry = self.catalog.models.get(model_id)
        return entry.name if entry else model_id

    def hardware(self, hardware_id: str | None) -> str:
        if hardware_id is None:
            return "hardware the advisor picks"
        if hardware_id == "this-machine":
            return "this machine"
        entry = self.catalog.hardware.get(hardware_id)
        return entry.name if entry else hardware_id

    def option(self, option: Option) -> str:
        """'Llama 3.1 8B Instruct (Q4_K_M, llama.cpp) on NVIDIA L4', 'GPT-4o mini (OpenAI API)', 'Router: ... keeps
        80%, ...'."""
        if option.small is not None and option.large is not None:
            from advisor.engine.recommend import MEASURED_ON_YOUR_PROMPTS

            pattern = PATTERN_NAMES.get(option.pattern or "", "Hybrid")
            measured = (
                f" ({MEASURED_ON_YOUR_PROMPTS})" if option.label.endswith(f"({MEASURED_ON_YOUR_PROMPTS})") else ""
            )
            return (
                f"{pattern}: {self.option(option.small)} keeps {option.small_share or 0:.0%}, "
                f"{self.option(option.large)} the rest{measured}"
            )
        if option.provider is not None:
            provider = self.provider(option.provider)
            name = self.api_model(option.provider, option.model).removesuffix(f" ({provider})")
            setting = f", {option.reasoning_variant}" if option.reasoning_variant else ""
            return f"{name}{setting} ({provider} API)"
        spec = option.deployment_spec
        count = spec.count if spec is not None else 1
        where = self.hardware(option.hardware)
        where = where if count == 1 else f"{count} × {where}"
        from advisor.engine.fit import engine_name

        engine = engine_name(spec.engine, self.catalog) if spec is not None else None
        quant = ", ".join(part for part in (option.quant, engine) if part)
        return f"{self.model(option.model)}{f' ({quant})' if quant else ''} on {where}"

    def short(self, option: Option) -> str:
        """A name narrow enough for a chart: 'Llama 3.1 8B Instant', 'Phi-4 (14B) on NVIDIA L4', 'Router: ...'."""
        if option.small is not None and option.large is not None:
            pattern = PATTERN_NAMES.get(option.pattern or "", "Hybrid")
            small = f"{self.model(option.small.model)} {option.small_share or 0:.0%}"
            return f"{pattern}: {small} + {self.short(option.large)}"
        if option.provider is not None:
            provider = self.provider(option.provider)
            return self.api_model(option.provider, option.model).removesuffix(f" ({provider})") + f" ({provider})"
        return f"{self.model(option.model)} on {self.hardware(option.hardware)}"

    def rule(self, rule_id: str) -> str:
        return rule_title(rule_id)

    def _map(self, result: WorkloadRecommendation) -> tuple[dict[str, str], re.Pattern[str]]:
        """Id -> name for every option of `result` (and its sides), with one pattern over them, longest first."""
        cached = self._maps.get(id(result))
        if cached is not None and cached[0] is result:
            return cached[1], cached[2]
        mapping: dict[str, str] = {}

        def add(option: Option) -> None:
            mapping[option.label] = self.option(option)
            if option.provider is not None:
                mapping.setdefault(option.provider, self.provider(option.provider))
            elif option.small is None:
                mapping.setdefault(option.model, self.model(option.model))
                if option.hardware:
                    mapping.setdefault(option.hardware, self.hardware(option.hardware))
            for side in (option.small, option.large):
                if side is not None:
                    add(side)

        for ranked in result.options:
            add(ranked.option)
        for model_id, entry in self.catalog.models.items():
            mapping.setdefault(model_id, entry.name)
        alternatives = "|".join(re.escape(k) for k in sorted(mapping, key=len, reverse=True))
        pattern = re.compile(rf"(?<![\w./-])(?:{alternatives})(?![\w/-]|\.\w)")
        self._maps[id(result)] = (result, mapping, pattern)
        return mapping, pattern

    def text(self, text: str, result: WorkloadRecommendation) -> str:
        """Engine or rule text with option labels and ids replaced by names."""
        text = re.sub(r"\s*\(allowed_providers: \[[^\]]*\]\)", "", text)
        text = text.replace("listed in allowed_providers", "on the scenario's list of allowed providers")
        text = text.replace("allowed_providers", "the allowed providers")
        text = money_text(text)
        mapping, pattern = self._map(result)
        return pattern.sub(lambda m: mapping[m.group(0)], text) if mapping else text


def band(ranked: RankedOption) -> str:
    low, high = money(ranked.monthly_usd["low"]), money(ranked.monthly_usd["high"])
    return low if low == high else f"{low} – {high}"


def effect_words(reason: Reason) -> str:
    """'ruled out 4 options' / 'counts for small models (+2) and hybrids (+1)' / 'for information'."""
    if reason.effect.startswith("excluded"):
        count = reason.effect.split()[1]
        return f"ruled out {count} option{'' if count == '1' else 's'}"
    parts = []
    for item in reason.effect.split(", "):
        target, _, weight = item.partition(" +")
        if target in FAVOUR_NAMES:
            parts.append(f"{FAVOUR_NAMES[target]} (+{weight})")
    return "counts for " + ", ".join(parts) if parts else "for information"


def change_text(change: Change, result: WorkloadRecommendation, names: Names) -> str:
    """What would change the pick, in names rather than ids."""
    lead = change.text.split(", the pick would be ")[0].split(", no option would meet")[0]
    lead = names.text(lead, result)
    if change.pick is None:
        return f"{lead}, no option would meet every constraint."
    option = next((r.option for r in result.options if r.option.label == change.pick), None)
    pick = names.option(option) if option else names.text(change.pick, result)
    verdict = VERDICT_WORDS.get(change.verdict or "", change.verdict or "")
    where = WHERE_WORDS.get(change.deployment or "", "")
    return f"{lead}, the pick would be {pick} ({verdict} {where}), {money(change.monthly_cost_usd)} a month."


# ---- tables every format shares ----------------------------------------------------------------------------------


def input_rows(scenario: Scenario, names: Names) -> list[dict[str, Any]]:
    """The scenario's inputs: (section, item, value, unit), values as numbers where they are figures."""
    rows: list[dict[str, Any]] = []

    def add(section: str, item: str, value: Any, unit: str = "") -> None:
        rows.append({"section": section, "item": item, "value": value, "unit": unit})

    for w in scenario.workloads:
        add(w.name, "Task", names.catalog.tasks[w.task].name if w.task in names.catalog.tasks else w.task)
        add(w.name, "Requests per day", w.requests_per_day, "requests/day")
        add(w.name, "Input tokens per request", w.input_tokens, "tokens")
        add(w.name, "Output tokens per request", w.output_tokens, "tokens")
        add(w.name, "Share of input served from a prompt cache", w.cached_input_share, "fraction")
        add(w.name, "Busiest hour over the average", w.peak_factor, "×")
        add(w.name, "First-token target (p95)", w.latency_p95_first_token_ms, "ms")
        add(w.name, "Whole-answer target (p95)", w.latency_p95_total_ms, "ms")
        add(w.name, "Context per request", w.effective_context_tokens, "tokens")
        add(w.name, "Languages", ", ".join(LANGUAGE_NAMES.get(c, c) for c in w.languages))
        add(w.name, "Quality asked", QUALITY_WORDS[w.quality])
        add(w.name, "In-domain data to tune with", "yes" if w.domain_data else "no")
        add(w.name, "How varied the requests are", VARIETY_WORDS[w.query_variety])
        add(w.name, "How often the task changes", UPDATE_WORDS[w.update_frequency])
        add(w.name, "What requests carry", MODALITY_WORDS[w.modality])
    c, h, a = scenario.constraints, scenario.hardware, scenario.assumptions
    from advisor.engine.fit import engine_name
    from advisor.schema.scenario import PRIVACY_MEANINGS

    add("Constraints", "Privacy", PRIVACY_MEANINGS[c.privacy])
    add("Constraints", "Allowed API providers", ", ".join(names.provider(p) for p in c.allowed_providers) or "any")
    add("Constraints", "Where models may run", DEPLOYMENT_CHOICE_WORDS[c.deployment])
    add("Constraints", "Own hardware on the premises only", "yes" if c.on_premises_only else "no")
    add("Priorities", "Between equal options", OPTIMIZE_WORDS[scenario.optimize_for])
    add("Priorities", "Project phase", PHASE_WORDS[scenario.phase])
    add("Hardware", "Hardware", names.hardware(h.profile) if h.profile else "the cheapest that fits, per model")
    add("Hardware", "Devices per replica", h.count, "devices")
    add("Hardware", "Ownership", "owned (bought and written off)" if h.ownership == "owned" else "rented by the hour")
    add("Hardware", "Already owned (purchase paid: electricity only)", "yes" if h.already_owned else "no")
    add(
        "Hardware",
        "Serving engine",
        engine_name(h.engine, names.catalog) if h.engine else "the usual one per hardware (vLLM on data-centre GPUs)",
    )
    add("Assumptions", "Days of traffic a month", a.days_per_month, "days")
    add("Assumptions", "Hours a day own capacity is up", a.hours_per_day, "hours")
    add("Assumptions", "Electricity", a.electricity_usd_per_kwh, "USD/kWh")
    add("Assumptions", "Owned hardware written off over", a.amortization_months, "months")
    add("Assumptions", "Staff and maintenance for self-hosting", a.ops_usd_per_month, "USD/month")
    if a.rent_class is not None:
        add("Assumptions", "Rented GPUs priced at", rent_class_words(a.rent_class))
    return rows


def rent_class_words(rent_class: str) -> str:
    """assumptions.rent_class in words, for the inputs."""
    return f"the median published {rent_class} rent per card (the card's named offer where it has no {rent_class} rent)"


OPTION_COLUMNS = (
    "Workload",
    "Rank",
    "Option",
    "Class",
    "Runs",
    "Status",
    "Excluded by",
    "Monthly cost (USD)",
    "Monthly cost low (USD)",
    "Monthly cost high (USD)",
    "API tokens (USD/month)",
    "Hardware (USD/month)",
    "Energy (USD/month)",
    "Ops (USD/month)",
    "Cost per request (USD)",
    "Replicas",
    "First token (ms)",
    "Whole answer (ms)",
    "Output speed (tokens/s)",
    "Basis",
    "Points",
    "Option id",
)


def option_rows(recommendation: Recommendation, names: Names, all_options: bool = True) -> list[dict[str, Any]]:
    """One row per (workload, option) with every figure as a number (None where there is none)."""
    rows = []
    assumptions = recommendation.scenario.assumptions
    for w in recommendation.workloads:
        per_month = w.workload.requests_per_day * assumptions.days_per_month
        pick = w.pick
        shown = w.options if all_options else w.shown_options()
        for ranked in shown:
            o = ranked.option
            status = "recommended" if ranked is pick else "viable" if ranked.viable else "excluded"
            parts = ranked.breakdown_usd
            rows.append(
                dict(
                    zip(
                        OPTION_COLUMNS,
                        (
                            w.workload.name,
                            w.options.index(ranked) + 1,
                            names.option(o),
                            KIND_NAMES[o.kind],
                            WHERE_SHORT[o.deployment],
                            status,
                            ", ".join(names.rule(r) for r in ranked.excluded_by),
                            _cents(ranked.monthly_usd["expected"]),
                            _cents(ranked.monthly_usd["low"]),
                            _cents(ranked.monthly_usd["high"]),
                            *(_cents(parts.get(key)) for key, _ in COMPONENT_NAMES),
                            _per_request(ranked.monthly_usd["expected"] / per_month) if per_month else None,
                            ranked.replicas,
                            _number(o.est_first_token_ms, 0),
                            _number(o.est_total_ms, 0),
                            _number(o.est_tokens_per_s, 1),
                            o.basis,
                            _number(ranked.score, 2),
                            o.label,
                        ),
                        strict=True,
                    )
                )
            )
    return rows


def _number(value: float | None, digits: int | None = None) -> float | None:
    """A figure for a spreadsheet cell; rounded to `digits` decimals so no float noise (76.85999999999999) shows."""
    if value is None or not math.isfinite(value):
        return None
    return float(value) if digits is None else round(float(value), digits) + 0.0  # + 0.0: no '-0.0'


def _cents(value: float | None) -> float | None:
    """Money to the cent."""
    return _number(value, 2)


def _per_request(value: float) -> float | None:
    """A cost per request, often a fraction of a cent: six significant digits (0.0000420123)."""
    return None if not math.isfinite(value) else float(f"{value:.6g}") + 0.0


def plain_number(value: Any, column: str = "") -> Any:
    """A number as a CSV cell: plain decimals, never scientific notation ('0.000042', not '4.2e-05'); money
    (a column in USD, but not per request) always with its two decimals ('25.20')."""
    if isinstance(value, float) and math.isfinite(value):
        if "(USD" in column and "per request" not in column:
            return f"{value:.2f}"
        text = format(Decimal(repr(value)), "f")
        return text[:-2] if text.endswith(".0") else text
    return value


def used_options(recommendation: Recommendation) -> list[Option]:
    """Every option the report shows, and the sides of its hybrids, once each."""
    seen: dict[str, Option] = {}

    def add(option: Option) -> None:
        seen.setdefault(option.label, option)
        for side in (option.small, option.large):
            if side is not None:
                add(side)

    for w in recommendation.workloads:
        for ranked in w.shown_options():
            add(ranked.option)
    return list(seen.values())


def price_rows(recommendation: Recommendation, names: Names) -> list[dict[str, Any]]:
    """Every API price and hardware rent or purchase the shown options use, with its source and date."""
    from advisor.data.prices import genai_prices_version
    from advisor.present.catalog_view import rent_dates

    catalog = names.catalog
    table = catalog.price_table()
    rows: list[dict[str, Any]] = []
    options = used_options(recommendation)
    from genai_prices import data

    urls = {p.id: list(p.pricing_urls or []) for p in data.providers}
    seen: set[tuple[str, str]] = set()
    for o in sorted((o for o in options if o.provider and o.small is None), key=lambda o: o.label):
        assert o.provider is not None
        if (o.provider, o.model) in seen:
            continue
        seen.add((o.provider, o.model))
        i = table.index(o.provider, o.model)
        rows.append(
            {
                "Kind": "API price",
                "Item": names.option(o),
                "Input (USD per 1M tokens)": float(table.input_mtok[i]),
                "Cached input (USD per 1M tokens)": float(table.cache_read_mtok[i]),
                "Output (USD per 1M tokens)": float(table.output_mtok[i]),
                "Rent (USD/hour per device)": None,
                "Purchase (USD per device)": None,
                "Offer": "",
                "As of": table.priced_on.isoformat(),
                "Source": "; ".join([*urls.get(o.provider, []), f"genai-prices {genai_prices_version()}"]),
                "Id": o.label,
            }
        )
    hardware_ids = sorted({o.hardware for o in options if o.hardware and o.provider is None})
    ownership = recommendation.scenario.hardware.ownership
    for hardware_id in hardware_ids:
        try:
            profile = catalog.hardware_profile(hardware_id)
        except AdvisorError:
            continue
        key = "purchase" if ownership == "owned" else "cloud"
        rent_class = recommendation.scenario.assumptions.rent_class
        class_rents = profile.rents_of(rent_class) if rent_class is not None else []
        offer, as_of = profile.cloud_offer or "", profile.as_of
        source = profile.sources.get(key) or profile.sources.get("cloud") or ""
        if class_rents:
            # The rent the costs used: the class's median, made of these offers.
            offer = f"median of {len(class_rents)} {rent_class} rents: " + "; ".join(
                f"{r.provider} {r.usd_per_hour:g}" for r in class_rents
            )
            as_of = rent_dates(class_rents)
            source = "; ".join(dict.fromkeys(r.source for r in class_rents))
        rows.append(
            {
                "Kind": "Hardware purchase" if ownership == "owned" else "Hardware rent",
                "Item": profile.name,
                "Input (USD per 1M tokens)": None,
                "Cached input (USD per 1M tokens)": None,
                "Output (USD per 1M tokens)": None,
                "Rent (USD/hour per device)": profile.rent_usd_per_hour(rent_class),
                "Purchase (USD per device)": profile.purchase_usd,
                "Offer": offer,
                "As of": as_of,
                "Source": source,
                "Id": hardware_id,
            }
        )
    electricity = recommendation.scenario.assumptions.electricity_usd_per_kwh
    if hardware_ids:
        rows.append(
            {
                "Kind": "Electricity",
                "Item": f"Electricity at {usd(electricity, cents=True)}/kWh",
                "Input (USD per 1M tokens)": None,
                "Cached input (USD per 1M tokens)": None,
                "Output (USD per 1M tokens)": None,
                "Rent (USD/hour per device)": None,
                "Purchase (USD per device)": None,
                "Offer": "",
                "As of": "",
                "Source": "the scenario's assumptions",
                "Id": "electricity_usd_per_kwh",
            }
        )
    return rows


# ---- CSV -----------------------------------------------------------------------------------------------------------

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Text a spreadsheet will never read as a formula: a leading '=', '+', '-', '@' gets a quote before it."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def report_csv(recommendation: Recommendation, catalog: Catalog | None = None) -> str:
    """Every option of every workload with its monthly cost and breakdown: one tidy table."""
    import csv
    import io

    names = Names(catalog or _catalog())
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=OPTION_COLUMNS, lineterminator="\n")
    writer.writeheader()
    for row in option_rows(recommendation, names):
        writer.writerow({k: "" if v is None else safe_cell(plain_number(v, k)) for k, v in row.items()})
    return out.getvalue()


def _catalog() -> Catalog:
    from advisor.data.catalog import default_catalog

    return default_catalog()


# ---- HTML ----------------------------------------------------------------------------------------------------------


def e(text: Any) -> str:
    """User or catalog text as HTML text."""
    return html.escape(str(text), quote=True)


def linked(text: str) -> str:
    """Escaped text whose http(s) URLs become links."""
    out, last = [], 0
    for match in _URL.finditer(text):
        out.append(e(text[last : match.start()]))
        url = match.group(0)
        out.append(f'<a href="{e(url)}">{e(url)}</a>')
        last = match.end()
    out.append(e(text[last:]))
    return "".join(out)


def _table(headers: Iterable[str], rows: Iterable[Iterable[str]], numeric: Iterable[int] = (), cls: str = "") -> str:
    """An HTML table from cells that are already HTML; `numeric` columns align right."""
    right = set(numeric)
    head = "".join(f"<th{' class=num' if i in right else ''}>{h}</th>" for i, h in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{' class=num' if i in right else ''}>{c}</td>" for i, c in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _figure_html(figure: Any, div_id: str) -> str:
    import plotly.io as pio

    figure.update_layout(width=CHART_WIDTH, autosize=False)
    return str(
        pio.to_html(
            figure,
            full_html=False,
            include_plotlyjs=False,
            div_id=div_id,
            config={"displayModeBar": False, "responsive": False},
        )
    )


def _plotly_js() -> str:
    from plotly.offline import get_plotlyjs

    return str(get_plotlyjs()).replace("</script", "<\\/script")


CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm; }
:root { --ink: #111827; --muted: #4B5563; --line: #E5E7EB; --accent: #1F4E79; --soft: #F3F6FA; }
* { box-sizing: border-box; }
body { font-family: "Segoe UI", "Helvetica Neue", Arial, "Liberation Sans", sans-serif; color: var(--ink);
  font-size: 10.5pt; line-height: 1.45; margin: 0; background: white; }
main { max-width: 720px; margin: 0 auto; padding: 24px 20px 48px; }
h1 { font-size: 26pt; line-height: 1.15; margin: 0 0 8px; color: var(--accent); }
h2 { font-size: 16pt; margin: 0 0 10px; color: var(--accent); border-bottom: 2px solid var(--accent);
  padding-bottom: 4px; }
h3 { font-size: 12pt; margin: 18px 0 6px; }
h4 { font-size: 10.5pt; margin: 12px 0 4px; }
h2, h3, h4 { break-after: avoid; page-break-after: avoid; }
td.src, td.src a { font-size: 8pt; }
p { margin: 4px 0 8px; }
a { color: var(--accent); word-break: break-all; }
section { padding-top: 8px; }
section + section { break-before: page; page-break-before: always; margin-top: 40px; }
.cover { min-height: 240mm; display: flex; flex-direction: column; justify-content: center; }
.cover .lead { font-size: 13pt; color: var(--muted); margin-bottom: 28px; }
.cover dl { display: grid; grid-template-columns: 170px 1fr; gap: 6px 16px; margin: 0 0 28px; }
.cover dt { color: var(--muted); }
.cover dd { margin: 0; }
.total { font-size: 22pt; font-weight: 600; color: var(--ink); }
.muted, .note { color: var(--muted); }
.note { font-size: 9pt; }
table { width: 100%; border-collapse: collapse; margin: 6px 0 12px; font-size: 9.5pt; }
thead { display: table-header-group; }
tr, figure, .keep { break-inside: avoid; page-break-inside: avoid; }
th { text-align: left; background: var(--soft); font-weight: 600; }
th, td { padding: 4px 6px; border-bottom: 1px solid var(--line); vertical-align: top; }
.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
tfoot td, tr.sum td { font-weight: 600; border-top: 2px solid var(--ink); }
.badge { display: inline-block; padding: 1px 8px; border-radius: 10px; font-size: 9pt; font-weight: 600;
  background: var(--soft); border: 1px solid var(--line); white-space: nowrap; }
.slm { background: #E8F5E9; border-color: #A5D6A7; }
.llm { background: #EDE7F6; border-color: #B39DDB; }
.hybrid { background: #FFF3E0; border-color: #FFCC80; }
.none { background: #FDECEA; border-color: #F5B7B1; }
ul { margin: 4px 0 10px; padding-left: 20px; }
li { margin: 3px 0; }
.reason { break-inside: avoid; margin: 6px 0 10px; }
.reason .src { font-size: 9pt; color: var(--muted); }
figure { margin: 8px 0 16px; }
figcaption { font-size: 9pt; color: var(--muted); margin-top: 2px; }
.chart { width: 680px; max-width: 100%; overflow: hidden; }
.group { margin: 10px 0 14px; }
.headline { background: var(--soft); border-left: 4px solid var(--accent); padding: 8px 12px; margin: 6px 0 12px; }
code { font-family: "DejaVu Sans Mono", Consolas, monospace; font-size: 8.5pt; word-break: break-all; }
@media print { main { max-width: none; padding: 0; } section + section { margin-top: 0; } a { color: var(--ink); } }
"""


def report_html(recommendation: Recommendation, info: ReportInfo | None = None, catalog: Catalog | None = None) -> str:
    """The whole report as one HTML file: CSS and plotly.js inline, no request to any other address."""
    info = info or ReportInfo()
    names = Names(catalog or _catalog())
    scenario = recommendation.scenario
    body = [
        _cover(recommendation, info, names),
        _summary(recommendation, names),
        _inputs(scenario, names),
        *(_workload(i, w, scenario, names) for i, w in enumerate(recommendation.workloads)),
        _basis(recommendation, names),
        _prices(recommendation, names),
        _appendix(recommendation, names),
    ]
    title = f"Cost report: {scenario.name}"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{e(title)}</title>"
        f"<style>{CSS}</style>"
        f'<script type="text/javascript">{_plotly_js()}</script>'
        "</head><body><main>" + "".join(body) + "</main></body></html>\n"
    )


def _versions(recommendation: Recommendation) -> tuple[str, str]:
    from advisor import __version__
    from advisor.data.prices import genai_prices_version

    return __version__, genai_prices_version()


def _cover(recommendation: Recommendation, info: ReportInfo, names: Names) -> str:
    product, prices = _versions(recommendation)
    table = names.catalog.price_table().priced_on.isoformat()
    rules = "the shipped rules" if recommendation.rules_source == "catalog/rules.yaml" else "the team's own rules"
    rows = [
        ("Prepared for", e(info.prepared_for) or '<span class="muted">not stated</span>'),
        ("Prepared by", e(info.prepared_by) or '<span class="muted">not stated</span>'),
        ("Date", e(info.date.isoformat())),
        ("Product", f"Rightsize advisor {e(product)}, deciding with {e(rules)}"),
        ("API prices", f"genai-prices {e(prices)}, prices in effect on {e(table)}"),
        ("Workloads", e(str(len(recommendation.workloads)))),
    ]
    items = "".join(f"<dt>{k}</dt><dd>{v}</dd>" for k, v in rows)
    return (
        '<section class="cover">'
        f"<h1>Cost report: {e(recommendation.scenario.name)}</h1>"
        '<p class="lead">Small model, large model, or both — and what each workload costs per month.</p>'
        f"<dl>{items}</dl>"
        '<p class="muted">Expected total per month</p>'
        f'<p class="total">{e(total_money(recommendation, per=""))}</p>'
        '<p class="note">All amounts are US dollars a month at the stated volumes. Each estimate is a band: '
        "low and high are the fast and slow ends of the speed estimate.</p>"
        "</section>"
    )


def _verdict_badge(w: WorkloadRecommendation) -> str:
    if w.pick is None:
        return '<span class="badge none">No option meets every constraint</span>'
    return (
        f'<span class="badge {e(w.verdict or "")}">{e(VERDICT_NAMES[w.verdict or ""])}</span> '
        f'<span class="muted">{e(WHERE_SHORT[w.deployment or ""])}</span>'
    )


def _summary(recommendation: Recommendation, names: Names) -> str:
    rows = []
    for w in recommendation.workloads:
        pick = w.pick
        rows.append(
            [
                e(w.workload.name),
                _verdict_badge(w),
                e(names.option(pick.option)) if pick else '<span class="muted">—</span>',
                e(money(w.monthly_cost_usd)) if pick else "—",
                e(band(pick)) if pick else "—",
            ]
        )
    table = _table(["Workload", "Verdict", "Pick", "Per month", "Low – high"], rows, numeric=(3, 4))
    total = e(total_money(recommendation))
    lines = []
    for w in recommendation.workloads:
        if w.pick is None:
            text = f"{w.workload.name}: no option meets every constraint; the closest ones and what they break follow."
        else:
            text = (
                f"{w.workload.name}: {VERDICT_WORDS[w.verdict or '']} {WHERE_WORDS[w.deployment or '']} — "
                f"{names.option(w.pick.option)}, {money(w.monthly_cost_usd)} a month."
            )
        lines.append(f"<li>{e(text)}</li>")
    return (
        "<section><h2>Executive summary</h2>"
        f"{table}<p><strong>Total: {total}.</strong></p>"
        f"<ul>{''.join(lines)}</ul></section>"
    )


def _inputs(scenario: Scenario, names: Names) -> str:
    parts = ["<section><h2>The inputs</h2>", "<p>What the recommendation was asked, in the scenario's words.</p>"]
    for w in scenario.workloads:
        parts.append(f'<div class="keep"><h3>{e(w.name)}</h3><ul>{_workload_inputs(w, names)}</ul></div>')
    c, h, a = scenario.constraints, scenario.hardware, scenario.assumptions
    from advisor.schema.scenario import PRIVACY_MEANINGS

    providers = ", ".join(names.provider(p) for p in c.allowed_providers) or "any provider"
    if h.profile:
        count = "" if h.count == 1 else f"{h.count} × "
        hardware = f"{count}{names.hardware(h.profile)} per replica"
    else:
        hardware = "not named: each self-hosted model runs on the cheapest hardware it fits"
    owned = (
        f"owned, written off over {a.amortization_months:g} months" if h.ownership == "owned" else "rented by the hour"
    )
    items = [
        f"Privacy: {PRIVACY_MEANINGS[c.privacy]}",
        f"Allowed API providers: {providers}.",
        f"Where models may run: {DEPLOYMENT_CHOICE_WORDS[c.deployment]}.",
        f"Hardware: {hardware}; {owned}.",
        f"Traffic {a.days_per_month:g} days a month; own capacity kept up {a.hours_per_day:g} hours a day.",
        f"Electricity {usd(a.electricity_usd_per_kwh, cents=True)} per kWh; staff and maintenance for "
        f"self-hosting {money(a.ops_usd_per_month)} a month.",
    ]
    if a.rent_class is not None:
        items.append(f"Rented GPUs priced at {rent_class_words(a.rent_class)}.")
    parts.append(
        '<div class="keep"><h3>For every workload</h3><ul>' + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul></div>"
    )
    parts.append("</section>")
    return "".join(parts)


def _workload_inputs(w: Workload, names: Names) -> str:
    task = names.catalog.tasks.get(w.task)
    cached = f" ({w.cached_input_share:.0%} of it served from the API's prompt cache)" if w.cached_input_share else ""
    first = f"first words within {ms(w.latency_p95_first_token_ms)}" if w.latency_p95_first_token_ms else ""
    total = f"whole answer within {ms(w.latency_p95_total_ms)}" if w.latency_p95_total_ms else ""
    targets = " and ".join(t for t in (first, total) if t)
    items = [
        f"Task: {task.name if task else w.task}.",
        f"Volume: {per_day(w.requests_per_day)}, busiest hour {w.peak_factor:g}× the average rate.",
        f"Request size: {plural(w.input_tokens, 'token')} in{cached}, {plural(w.output_tokens, 'token')} out; "
        f"context up to {plural(w.effective_context_tokens, 'token')}.",
        f"Latency (95th percentile): {targets}." if targets else "Latency: no target.",
        f"Quality asked: {QUALITY_WORDS[w.quality]}.",
        f"Languages: {', '.join(LANGUAGE_NAMES.get(c, c) for c in w.languages)}.",
        "In-domain examples to tune or evaluate with: " + ("yes." if w.domain_data else "no."),
    ]
    split = w.measured_split
    if split is not None:
        quality = "" if split.quality_vs_large is None else f", at {split.quality_vs_large:.0%} of its quality"
        items.append(
            f"Hybrid split measured in the Hybrid lab on {split.prompts:,} of the team's prompts ({split.router}, "
            f"a {split.pattern}): the small model kept {split.small_share:.0%}, the large model took the rest"
            f"{quality}."
        )
    return "".join(f"<li>{e(i)}</li>" for i in items)


def _workload(index: int, w: WorkloadRecommendation, scenario: Scenario, names: Names) -> str:
    from advisor.present.charts import breakdown_figure, cost_band_figure, top_options, volume_cost_figure

    parts = [f"<section><h2>Workload: {e(w.workload.name)}</h2>"]
    pick = w.pick
    if pick is None:
        headline = "No option meets every constraint. The closest options are listed with the rules they break."
    else:
        headline = (
            f"{VERDICT_WORDS[pick.option.kind].capitalize()} {WHERE_WORDS[pick.option.deployment]}: "
            f"{names.option(pick.option)}, "
            f"{money(pick.cost)} a month (low – high {band(pick)})."
        )
    parts.append(f'<p class="headline">{_verdict_badge(w)}<br>{e(headline)}</p>')
    favours = [r for r in w.reasons if not r.effect.startswith("excluded")]
    excluded = [r for r in w.reasons if r.effect.startswith("excluded")]
    for title, reasons in (("Why", favours), ("What was ruled out", excluded)):
        if reasons:
            parts.append(f"<h3>{title}</h3>")
            parts.extend(_reason(r, w, names) for r in reasons)

    options = top_options(w)
    if options:
        assumptions = scenario.assumptions
        display = {r.option.label: names.short(r.option) for r in options}
        charts = (
            (
                "Monthly cost by volume",
                volume_cost_figure(w, assumptions, options, display=display),
                "Both axes are logarithmic. Solid lines are APIs (pay per token), dashed ones own hardware (each step "
                "is one more replica); the shaded band is the low – high estimate, the dotted line this workload's "
                "volume" + (", the star the break-even." if w.break_even_requests_per_day else "."),
            ),
            (
                "What the bill is made of",
                breakdown_figure(w, assumptions, options, display=display),
                "Each bar is one option's monthly bill at this volume: API tokens, hardware, energy and ops.",
            ),
            (
                "How sure the cost is",
                cost_band_figure(options, display=display),
                "The diamond is the expected monthly cost; the whiskers run from the fast end of the speed estimate "
                "to the slow end. API prices are per token, so APIs have none.",
            ),
        )
        parts.append("<h3>Costs</h3>")
        for k, (title, figure, caption) in enumerate(charts):
            chart = _figure_html(figure, f"chart-{index}-{k}")
            parts.append(
                f'<figure><h4>{e(title)}</h4><div class="chart">{chart}</div>'
                f"<figcaption>{e(caption)}</figcaption></figure>"
            )
    parts.append(_options(w, names))
    parts.append("<h3>What would change the verdict</h3>")
    changes = [change_text(c, w, names) for c in w.changes]
    if w.break_even_requests_per_day is not None and w.break_even_against:
        against = next((r.option for r in w.options if r.option.label == w.break_even_against), None)
        other = names.option(against) if against else names.text(w.break_even_against, w)
        side = "above" if w.workload.requests_per_day >= w.break_even_requests_per_day else "below"
        changes.append(
            f"Break-even: at {w.break_even_requests_per_day:,.0f} requests a day own hardware and the API cost the "
            f"same (against {other}); this workload's {w.workload.requests_per_day:,.0f} a day is {side} it."
        )
    if not changes:
        changes = ["No change of volume, latency, privacy or quality within reach would change the pick."]
    parts.append("<ul>" + "".join(f"<li>{e(c)}</li>" for c in changes) + "</ul>")
    parts.append("</section>")
    return "".join(parts)


def _reason(reason: Reason, w: WorkloadRecommendation, names: Names) -> str:
    return (
        '<div class="reason">'
        f"<strong>{e(names.rule(reason.rule))}</strong> "
        f'<span class="muted">({e(effect_words(reason))})</span><br>'
        f"{e(names.text(reason.text, w))}<br>"
        f'<span class="src">Source: {linked(reason.source)}</span>'
        "</div>"
    )


def _options(w: WorkloadRecommendation, names: Names) -> str:
    shown = w.shown_options()
    viable = [r for r in shown if r.viable]
    excluded_shown = [r for r in shown if not r.viable]
    total_excluded = sum(not r.viable for r in w.options)
    parts = [
        f"<h3>Options</h3><p>{len(w.options)} options were costed; {total_excluded} break a hard rule. "
        "The best few of each kind follow.</p>"
    ]
    if viable:
        rows = [
            [
                e(str(w.options.index(r) + 1)),
                e(names.option(r.option)),
                e(KIND_NAMES[r.option.kind]),
                e(WHERE_SHORT[r.option.deployment]),
                e(money(r.cost)),
                e(band(r)),
                e(ms(r.option.est_first_token_ms)),
                e(f"{r.score:g}"),
            ]
            for r in viable
        ]
        parts.append("<h4>Options that meet every constraint, best first</h4>")
        parts.append(
            _table(
                ["#", "Option", "Class", "Runs", "Per month", "Low – high", "First token", "Points"],
                rows,
                numeric=(0, 4, 5, 6, 7),
            )
        )
    if excluded_shown:
        parts.append("<h4>Options ruled out, by the rule that ruled them out</h4>")
        groups: dict[str, list[RankedOption]] = {}
        for r in excluded_shown:
            groups.setdefault(r.excluded_by[0], []).append(r)
        for rule_id, members in groups.items():
            reason = next((x for x in w.reasons if x.rule == rule_id), None)
            example = f" For example: {names.text(reason.text, w)}" if reason else ""
            rows = [
                [
                    e(names.option(r.option)),
                    e(money(r.cost)),
                    e(ms(r.option.est_first_token_ms)),
                    e(", ".join(names.rule(x) for x in r.excluded_by[1:]) or "—"),
                ]
                for r in members
            ]
            parts.append(
                f'<div class="group"><strong>{e(names.rule(rule_id))}</strong>'
                f'<span class="muted">{e(example)}</span>'
                + _table(["Option", "Per month", "First token", "Also breaks"], rows, numeric=(1, 2))
                + "</div>"
            )
    return "".join(parts)


def _runs_with(option: Option, names: Names) -> str:
    """'the provider's API', or the serving engine the estimate assumed and the hardware."""
    if option.provider:
        return "the provider's API"
    from advisor.engine.fit import engine_name

    spec = option.deployment_spec
    engine = engine_name(spec.engine, names.catalog) if spec is not None else "llama.cpp"
    return f"{engine} on {names.hardware(option.hardware)}"


def _basis(recommendation: Recommendation, names: Names) -> str:
    from advisor.present.charts import top_options

    catalog = names.catalog
    parts = [
        "<section><h2>How the figures were estimated</h2>",
        "<p>API costs are the provider's token prices times the workload's tokens. Self-hosted costs are the "
        "replicas needed at the busiest hour times the hardware's rent or write-off, energy and ops; under a "
        "latency target each replica is loaded only so far that a request arriving at random still starts in "
        "time (its p95 wait for a free slot and behind other requests' prompts fits the target). Speeds of "
        "self-hosted models are estimated from the hardware's memory bandwidth and compute, scaled by what the "
        "serving engine the option names (llama.cpp, vLLM) reaches on that kind of hardware; a model measured on "
        "this hardware uses the measurement instead. Low and high are the fast and slow ends of that estimate.</p>",
    ]
    for w in recommendation.workloads:
        rows = []
        for r in top_options(w):
            o = r.option
            sides = [s for s in (o.small, o.large) if s is not None] or [o]
            precision = "; ".join(_precision(s, catalog) for s in sides)
            engine = "; ".join(_runs_with(s, names) for s in sides)
            speed = "n/a" if o.est_tokens_per_s is None else f"{o.est_tokens_per_s:,.0f} tokens/s"
            rows.append(
                [
                    e(names.option(o)),
                    e(BASIS_WORDS.get(o.basis, o.basis)),
                    e(engine),
                    e(precision),
                    e(speed),
                ]
            )
        parts.append(f'<div class="keep"><h3>{e(w.workload.name)}</h3>')
        parts.append(_table(["Option", "Basis", "Runs with", "Precision", "Output speed"], rows, numeric=(4,)))
        routed = [r.option for r in top_options(w) if r.option.routing_source]
        if routed:
            parts.append("<p>Where the hybrids' routed share comes from:</p><ul>")
            parts += [f"<li>{e(names.option(o))}: {e(o.routing_source or '')}.</li>" for o in routed]
            parts.append("</ul>")
        parts.append("</div>")
    kinds = sorted(
        {
            catalog.hardware[o.hardware].kind
            for o in used_options(recommendation)
            if o.hardware in catalog.hardware and o.provider is None
        }
    )
    if kinds:
        parts.append("<h3>Where the runtime efficiency figures come from</h3><ul>")
        for kind in kinds:
            factor = catalog.efficiency.by_kind.get(kind)
            if factor is not None:
                parts.append(f"<li>{e(kind.replace('_', ' ').capitalize())}: {linked(factor.source)}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _precision(option: Option, catalog: Catalog) -> str:
    if option.provider is not None:
        return "as the provider serves it"
    if not option.quant:
        return "n/a"
    quant = catalog.quantizations.get(option.quant.upper())
    return f"{option.quant}, {quant.bits_per_weight:g} bits per weight" if quant else option.quant


def _prices(recommendation: Recommendation, names: Names) -> str:
    rows = price_rows(recommendation, names)
    api = [r for r in rows if r["Kind"] == "API price"]
    hardware = [r for r in rows if r["Kind"].startswith("Hardware")]
    parts = ["<section><h2>Prices and rents used</h2>"]
    if api:
        parts.append("<h3>API prices (USD per million tokens)</h3>")
        parts.append(
            _table(
                ["Model", "Input", "Cached input", "Output", "As of", "Source"],
                [
                    [
                        e(r["Item"]),
                        e(f"${r['Input (USD per 1M tokens)']:,.3f}"),
                        e(f"${r['Cached input (USD per 1M tokens)']:,.3f}"),
                        e(f"${r['Output (USD per 1M tokens)']:,.3f}"),
                        e(r["As of"]),
                        linked(r["Source"]),
                    ]
                    for r in api
                ],
                numeric=(1, 2, 3),
            )
        )
    if hardware:
        parts.append("<h3>Hardware</h3>")
        parts.append(
            _table(
                ["Hardware", "Rent per device", "Offer", "Purchase per device", "As of", "Source"],
                [
                    [
                        e(r["Item"]),
                        e(f"${r['Rent (USD/hour per device)']:,.2f}/hour") if r["Rent (USD/hour per device)"] else "—",
                        e(r["Offer"] or "—"),
                        e(usd(r["Purchase (USD per device)"])) if r["Purchase (USD per device)"] else "—",
                        e(r["As of"]),
                        linked(r["Source"]),
                    ]
                    for r in hardware
                ],
                numeric=(1, 3),
            )
        )
        a = recommendation.scenario.assumptions
        parts.append(
            f"<p>Electricity: {e(usd(a.electricity_usd_per_kwh, cents=True))} per kWh, from the scenario's "
            "assumptions.</p>"
        )
    parts.append("</section>")
    return "".join(parts)


def _appendix(recommendation: Recommendation, names: Names) -> str:
    options = {o.label: names.option(o) for o in used_options(recommendation)}
    rules = sorted({r.rule for w in recommendation.workloads for r in w.reasons})
    option_rows_ = [[e(name), f"<code>{e(label)}</code>"] for label, name in sorted(options.items())]
    rule_rows = [[e(names.rule(rule)), f"<code>{e(rule)}</code>"] for rule in rules]
    return (
        "<section><h2>Appendix: ids</h2>"
        "<p>The ids the command line, the JSON output and the rules file use for what this report names.</p>"
        "<h3>Options</h3>" + _table(["Name", "Id"], option_rows_) + "<h3>Rules</h3>" + _table(["Name", "Id"], rule_rows)
        + "</section>"
    )  # fmt: skip
