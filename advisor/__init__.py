"""Rightsize advisor: small model, large model, or both - and what it costs per month.

The names below load on first use, so `import advisor` stays fast (no pandas, pydantic or llama.cpp until a
function needs them):

    import advisor
    scenario = advisor.load_scenario("examples/shoe-store.yaml")
    advisor.recommend(scenario).to_dict()                      # verdict, picks, reasons per workload
    advisor.workload_cost_table(scenario, scenario.workloads[0])      # DataFrame of costed options
    advisor.estimate_fit("llama-3.1-8b-instruct", "rtx-4090", context_tokens=8192)
    advisor.sensitivity([1e3, 1e4, 1e5], [600], [150], api_models=["openai/gpt-4o-mini"])
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "Scenario": "advisor.schema.scenario",
    "Workload": "advisor.schema.scenario",
    "load_scenario": "advisor.data.scenarios",
    "parse_scenario": "advisor.data.scenarios",
    "scenario_from_data": "advisor.data.scenarios",
    "load_catalog": "advisor.data.catalog",
    "default_catalog": "advisor.data.catalog",
    "set_default_catalog": "advisor.data.catalog",
    "Catalog": "advisor.data.catalog",
    "estimate_fit": "advisor.engine.fit",
    "make_deployment": "advisor.engine.fit",
    "models_that_fit": "advisor.engine.fit",
    "api_price_table": "advisor.data.prices",
    "api_monthly_cost": "advisor.engine.cost",
    "self_hosted_cost": "advisor.engine.cost",
    "break_even_requests_per_day": "advisor.engine.cost",
    "workload_cost_table": "advisor.engine.tables",
    "sensitivity": "advisor.engine.tables",
    "model_from_gguf": "advisor.data.gguf",
    "recommend": "advisor.engine.recommend",
    "Recommendation": "advisor.engine.recommend",
    "load_rules": "advisor.data.catalog",
    "recommendation_markdown": "advisor.present.text",
    "AdvisorError": "advisor.errors",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
