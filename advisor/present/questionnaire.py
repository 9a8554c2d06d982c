"""The questionnaire's plain-Python side: typical figures per task kind, a blank scenario, and problems per field.

The app's form builds plain scenario data from its widgets; this module turns that data into either a Scenario or
a map from each field's path (``workloads[0].requests_per_day``) to what is wrong with it, so the page can show
every error next to its own field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, get_args

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from advisor.data.catalog import LLAMA_CPP, Catalog, default_catalog
from advisor.schema.reader import validation_problems
from advisor.schema.scenario import Assumptions, Scenario, Workload

DEFAULT_REQUESTS_PER_DAY = 1000  # a starting point the form asks the user to replace; no figure is typical
DEFAULT_TASK = "customer_support"
SCENARIO_LEVEL = ""  # the path of a problem that belongs to no single field

_NAME = r"[a-z_][a-z0-9_]*(?:\[\d+\])?"
_PROBLEM = re.compile(rf"^(?P<path>{_NAME}(?:\.{_NAME})*): (?P<message>.*)$", re.DOTALL)


def workload_defaults(task_id: str, name: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """A new workload for `task_id` with the task kind's typical token shape and the quality it usually needs."""
    task = (catalog or default_catalog()).task(task_id)
    return {
        "name": name,
        "task": task.id,
        "requests_per_day": DEFAULT_REQUESTS_PER_DAY,
        "input_tokens": task.input_tokens,
        "output_tokens": task.output_tokens,
        "quality": task.capability,
    }


def blank_scenario(catalog: Catalog | None = None) -> Scenario:
    """The scenario a new user starts from: one workload of the most common task kind, every other key default."""
    data = {"version": 1, "name": "New scenario", "workloads": [workload_defaults(DEFAULT_TASK, "workload-1", catalog)]}
    return Scenario.model_validate(data, context={"catalog": catalog or default_catalog()})


def unused_workload_name(taken: list[str], stem: str = "workload") -> str:
    number = len(taken) + 1
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def parse_languages(text: str) -> list[str]:
    """'en, de fr' -> ['en', 'de', 'fr']: commas or spaces between codes, duplicates dropped, order kept."""
    codes = [code for code in re.split(r"[,;\s]+", text.strip()) if code]
    return list(dict.fromkeys(codes))


def split_problem(line: str) -> tuple[str, str]:
    """'workloads[0].requests_per_day: must be > 0, got 0' -> (path, message); no path -> SCENARIO_LEVEL."""
    match = _PROBLEM.match(line)
    return (match["path"], match["message"]) if match else (SCENARIO_LEVEL, line)


def contradictions(data: dict[str, Any]) -> dict[str, str]:
    """Answers that are each allowed but cannot hold together, by the field the user should change."""
    problems: dict[str, str] = {}
    constraints = data.get("constraints") or {}
    privacy, deployment = constraints.get("privacy"), constraints.get("deployment")
    if deployment == "api_only" and privacy == "air_gapped":
        problems["constraints.deployment"] = (
            "api_only sends requests to a third-party API, which air-gapped data rules out; "
            "choose any or local_only, or a lower privacy level"
        )
    elif deployment == "api_only" and privacy == "regulated" and not constraints.get("allowed_providers"):
        problems["constraints.deployment"] = (
            "api_only with regulated data needs a provider you have a BAA / DPA with under allowed providers; "
            "name one, or choose any or local_only"
        )
    for index, workload in enumerate(data.get("workloads") or []):
        first, total = workload.get("latency_p95_first_token_ms"), workload.get("latency_p95_total_ms")
        if isinstance(first, int | float) and isinstance(total, int | float) and 0 < total < first:
            problems[f"workloads[{index}].latency_p95_total_ms"] = (
                f"must be >= the first-token target ({first:,.0f} ms): the whole answer cannot come before its "
                f"first words, got {total:,.0f}"
            )
    return problems


def form_problems(data: dict[str, Any], catalog: Catalog | None = None) -> dict[str, str]:
    """Every problem in form data by field path, first one per field; empty when the data is a valid scenario.

    Schema problems come first; then answers that contradict each other (see `contradictions`).
    """
    problems: dict[str, str] = {}
    try:
        Scenario.model_validate(data, context={"catalog": catalog or default_catalog()})
    except ValidationError as e:
        for line in validation_problems(e, Scenario):
            path, message = split_problem(line)
            problems.setdefault(path, message)
    for path, message in contradictions(data).items():
        problems.setdefault(path, message)
    return problems


# ---- the form's questions -------------------------------------------------------------------------------------------

QUALITY_WORDS = {
    "basic": "Basic — narrow answers that are easy to check (a label, a field, a routing decision)",
    "standard": "Standard — good everyday answers (support replies, summaries, RAG answers)",
    "frontier": "Frontier — the best available (hard reasoning, expert drafting, open-ended research)",
}
DEPLOYMENT_WORDS = {
    "any": "Any — the advisor may pick an API or self-hosting",
    "local_only": "Local only — nothing leaves our machines",
    "api_only": "API only — we will not host a model ourselves",
}
OWNERSHIP_WORDS = {"rented": "Rent it (cloud, per hour)", "owned": "Own it (buy, amortised)"}
NAMED_OFFER = "named"
"""The "Rent from" choice meaning assumptions.rent_class null: each card's one named offer."""
RENT_CLASS_WORDS = {
    NAMED_OFFER: "Each card's named offer (the catalog's default)",
    "hyperscaler": "A hyperscaler (AWS, Azure, Google Cloud): median published rent",
    "neocloud": "A GPU cloud (Lambda, CoreWeave, RunPod Secure ...): median published rent",
    "marketplace": "A marketplace (RunPod Community, Vast.ai ...): median published rent",
}


AUTO_ENGINE = "auto"
"""The "Serving engine" choice meaning hardware.engine null: each hardware kind's default engine."""


def engine_words(catalog: Catalog) -> dict[str, str]:
    """The "Serving engine" choices: the kind's default, then every engine the catalog describes."""
    words = {AUTO_ENGINE: "The usual one for the hardware (vLLM on data-centre GPUs, llama.cpp elsewhere)"}
    words[LLAMA_CPP] = "llama.cpp (slots; laptops, Macs, CPUs, GeForce cards, edge devices)"
    for engine_id, serving in catalog.efficiency.engines.items():
        kinds = ", ".join(k.replace("_", " ") for k in catalog.engine_kinds(engine_id))
        words[engine_id] = f"{serving.name} ({serving.batching} batching; {kinds})"
    return words


def engine_value(choice: Any) -> Any:
    """The "Serving engine" widget's choice as hardware.engine: the usual one is null."""
    return None if choice in (None, AUTO_ENGINE) else choice


@dataclass(frozen=True)
class Number:
    """A number the form asks for: the schema field it fills and the question in an architect's words."""

    model: type[BaseModel]
    name: str
    label: str
    step: float
    format: str | None = None
    empty: str | None = None  # placeholder when the field may be left empty (None)

    @property
    def info(self) -> FieldInfo:
        return self.model.model_fields[self.name]

    @property
    def integer(self) -> bool:
        return self.info.annotation is int or int in get_args(self.info.annotation)

    @property
    def nullable(self) -> bool:
        return type(None) in get_args(self.info.annotation)


MAIN_NUMBERS = [
    Number(Workload, "requests_per_day", "How many requests a day?", 1000, "%.0f"),
    Number(Workload, "input_tokens", "Tokens in per request (prompt + context)", 50),
    Number(Workload, "output_tokens", "Tokens out per answer", 50),
    Number(
        Workload, "latency_p95_first_token_ms", "How fast must the first words appear? (ms)", 100, "%.0f", "no target"
    ),
    Number(Workload, "latency_p95_total_ms", "How long may a whole answer take? (ms)", 1000, "%.0f", "no target"),
]
MORE_NUMBERS = [
    Number(Workload, "peak_factor", "Busiest hour ÷ average hour", 0.5, "%.1f"),
    Number(Workload, "cached_input_share", "Share of input an API can cache", 0.05, "%.2f"),
    Number(Workload, "context_tokens", "Longest context one request needs (tokens)", 1024, None, "input + output"),
]
MONEY_NUMBERS = [
    Number(Assumptions, "electricity_usd_per_kwh", "Electricity (USD per kWh)", 0.01, "%.2f"),
    Number(Assumptions, "amortization_months", "Write owned hardware off over (months)", 6, "%.0f"),
    Number(Assumptions, "ops_usd_per_month", "Staff and upkeep for self-hosting (USD/month)", 100, "%.0f"),
    Number(Assumptions, "hours_per_day", "Hours a day self-hosted capacity runs", 1, "%.0f"),
    Number(Assumptions, "days_per_month", "Days of traffic a month", 1, "%.0f"),
]
WORKLOAD_FIELDS = [n.name for n in MAIN_NUMBERS + MORE_NUMBERS] + [
    "name",
    "task",
    "quality",
    "languages",
    "domain_data",
    "query_variety",
    "update_frequency",
    "modality",
]


# ---- widget keys and the draft ------------------------------------------------------------------------------------
# A draft is {"slots": [workload slot numbers], "values": {widget key: value}, "base": scenario JSON it started from}.
# Slot numbers stay with a workload, so removing one does not shift another's answers.


def wkey(slot: int, field: str) -> str:
    return f"q_w{slot}_{field}"


def skey(field: str) -> str:
    return f"q_{field}"


def as_number(value: Any, integer: bool) -> int | float | None:
    if value is None:
        return None
    return int(value) if integer else float(value)


def draft_from_scenario(scenario: Scenario) -> dict[str, Any]:
    """Widget values for every answer in `scenario`; slots 0..n-1 hold its workloads."""
    values: dict[str, Any] = {
        skey("name"): scenario.name,
        skey("privacy"): scenario.constraints.privacy,
        skey("allowed_providers"): list(scenario.constraints.allowed_providers),
        skey("deployment"): scenario.constraints.deployment,
        skey("on_premises_only"): scenario.constraints.on_premises_only,
        skey("optimize_for"): scenario.optimize_for,
        skey("phase"): scenario.phase,
        skey("profile"): scenario.hardware.profile,
        skey("count"): scenario.hardware.count,
        skey("ownership"): scenario.hardware.ownership,
        skey("already_owned"): scenario.hardware.already_owned,
        skey("engine"): scenario.hardware.engine or AUTO_ENGINE,
    }
    for number in MONEY_NUMBERS:
        values[skey(number.name)] = as_number(getattr(scenario.assumptions, number.name), number.integer)
    values[skey("rent_class")] = scenario.assumptions.rent_class or NAMED_OFFER
    for slot, workload in enumerate(scenario.workloads):
        values.update(workload_values(slot, workload.model_dump()))
    return {"slots": list(range(len(scenario.workloads))), "values": values, "base": scenario.model_dump_json()}


def workload_values(slot: int, workload: dict[str, Any]) -> dict[str, Any]:
    defaults = Workload.model_fields
    values = {
        wkey(slot, "name"): workload["name"],
        wkey(slot, "task"): workload["task"],
        wkey(slot, "quality"): workload.get("quality", defaults["quality"].default),
        wkey(slot, "languages"): ", ".join(workload.get("languages") or ["en"]),
        wkey(slot, "domain_data"): bool(workload.get("domain_data", False)),
        wkey(slot, "query_variety"): workload.get("query_variety", defaults["query_variety"].default),
        wkey(slot, "update_frequency"): workload.get("update_frequency", defaults["update_frequency"].default),
        wkey(slot, "modality"): workload.get("modality", defaults["modality"].default),
        # Not a question: the Hybrid lab's measured split rides along, so submitting the form keeps it.
        wkey(slot, "measured_split"): workload.get("measured_split"),
    }
    for number in MAIN_NUMBERS + MORE_NUMBERS:
        value = workload.get(number.name, number.info.default)
        values[wkey(slot, number.name)] = as_number(value, number.integer)
    return values


def scenario_data(draft: dict[str, Any], currency: str = "USD") -> dict[str, Any]:
    """The draft as scenario file v1 data, in the file's own key order (the form does not ask for a currency)."""
    values = draft["values"]
    workloads = []
    for slot in draft["slots"]:
        workload: dict[str, Any] = {field: values[wkey(slot, field)] for field in WORKLOAD_FIELDS}
        workload["languages"] = parse_languages(values[wkey(slot, "languages")] or "")
        if values.get(wkey(slot, "measured_split")) is not None:
            workload["measured_split"] = values[wkey(slot, "measured_split")]
        workloads.append(workload)
    return {
        "version": 1,
        "name": values[skey("name")],
        "workloads": workloads,
        "constraints": {
            "privacy": values[skey("privacy")],
            "allowed_providers": values[skey("allowed_providers")],
            "deployment": values[skey("deployment")],
            "on_premises_only": bool(values.get(skey("on_premises_only"), False)),
        },
        "hardware": {
            "profile": values[skey("profile")],
            "count": values[skey("count")],
            "ownership": values[skey("ownership")],
            "already_owned": bool(values.get(skey("already_owned"), False)),
            "engine": engine_value(values.get(skey("engine"), AUTO_ENGINE)),
        },
        "assumptions": {
            "currency": currency,
            **{number.name: values[skey(number.name)] for number in MONEY_NUMBERS},
            "rent_class": rent_class_value(values.get(skey("rent_class"), NAMED_OFFER)),
        },
        "phase": values.get(skey("phase"), "production"),
        "optimize_for": values.get(skey("optimize_for"), "balanced"),
    }


def rent_class_value(choice: Any) -> Any:
    """The "Rent from" widget's choice as assumptions.rent_class: the named offer is null; anything else is passed on
    for the scenario to validate."""
    return None if choice in (None, NAMED_OFFER) else choice


def problem_keys(draft: dict[str, Any], problems: dict[str, str]) -> dict[str, str]:
    """Problems by the widget key they belong to; those that belong to no widget go under SCENARIO_LEVEL."""
    by_key: dict[str, str] = {}
    for path, message in problems.items():
        key = SCENARIO_LEVEL
        parts = path.replace("[", ".").replace("]", "").split(".")
        if parts[0] == "workloads" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(draft["slots"]):
            key = wkey(draft["slots"][int(parts[1])], parts[2])
        elif parts[0] in ("constraints", "hardware", "assumptions") and len(parts) >= 2:
            key = skey(parts[1])
        elif parts[0] in ("name", "optimize_for", "phase"):
            key = skey(parts[0])
        if key not in draft["values"]:
            key, message = SCENARIO_LEVEL, f"{path}: {message}"
        by_key.setdefault(key, message)
    return by_key
