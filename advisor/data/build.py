"""Scenarios built in code: keyword constructors with defaults, checked against the catalog like a file is.

import advisor
chat = advisor.workload("support-chat", "customer_support", 20_000, input_tokens=600, output_tokens=150)
plan = advisor.scenario("Shoe store", chat, privacy="internal", profile="l4")
plan = plan.with_workload(name="faq", task="rag_qa", requests_per_day=2_000, input_tokens=400,
                          output_tokens=120)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from advisor.data.scenarios import scenario_from_data
from advisor.errors import ScenarioError
from advisor.schema.scenario import Scenario, Workload

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog

SECTIONS = ("constraints", "hardware", "assumptions")


def workload(
    name: str,
    task: str,
    requests_per_day: float,
    input_tokens: int = 500,
    output_tokens: int = 150,
    catalog: Catalog | None = None,
    **fields: Any,
) -> Workload:
    """One workload, its task id checked against the catalog (`advisor catalog tasks` lists them). Any other field
    of a scenario file's workload is a keyword: latency_p95_first_token_ms=800, quality="frontier", ..."""
    data = {
        "name": name,
        "task": task,
        "requests_per_day": requests_per_day,
        "input_tokens": input_tokens,
        "output_tokens": output_tokens,
        **fields,
    }
    holder = scenario_from_data({"version": 1, "name": name, "workloads": [data]}, f"workload {name!r}", catalog)
    return holder.workloads[0]


def scenario(
    name: str, *workloads: Workload | dict[str, Any], catalog: Catalog | None = None, **settings: Any
) -> Scenario:
    """A scenario from workloads (advisor.workload() results or plain dicts), checked against the catalog.

    `settings` are the fields of its sections as keywords, whichever section they belong to: privacy,
    allowed_providers, deployment (constraints); profile, count, ownership (hardware); days_per_month,
    hours_per_day, electricity_usd_per_kwh, amortization_months, ops_usd_per_month, currency (assumptions); or a
    whole section as a dict (constraints={...})."""
    if not workloads:
        raise ScenarioError("scenario: give at least one workload")
    data: dict[str, Any] = {
        "version": 1,
        "name": name,
        "workloads": [w.model_dump() if isinstance(w, Workload) else dict(w) for w in workloads],
    }
    owners = {key: section for section in SECTIONS for key in Scenario.model_fields[section].annotation.model_fields}  # type: ignore[union-attr]
    for key, value in settings.items():
        if key in Scenario.model_fields:
            data[key] = value
        elif key in owners:
            data.setdefault(owners[key], {})[key] = value
        else:
            known = sorted([*owners, *(k for k in Scenario.model_fields if k not in ("version", "name", "workloads"))])
            raise ScenarioError(f"scenario: {key!r} is not a setting; the settings are {', '.join(known)}")
    return scenario_from_data(data, f"scenario {name!r}", catalog)
