"""Rightsize advisor: small model, large model, or both - and what it costs per month.

The five calls an analyst needs (each name loads on first use, so `import advisor` stays fast):

    import advisor
    chat = advisor.workload("support-chat", "customer_support", 20_000, input_tokens=600, output_tokens=150)
    plan = advisor.scenario("Shoe store", chat, profile="l4")          # or advisor.load_scenario("file.yaml")
    result = advisor.recommend(plan)                                   # shows as a table in Jupyter
    advisor.options_table(result)                                      # every option: viable, label, costs in USD
    frame = advisor.sweep(plan, volume=[1e3, 1e4, 1e5, 1e6, 1e7])      # re-decided at each volume
    advisor.charts.sweep_cost_figure(frame)                            # plotly figure

`help(advisor.<name>)` documents each; `advisor.__all__` lists them.
"""

from __future__ import annotations

import importlib as _importlib
import sys as _sys

__version__ = "0.1.0"

_EXPORTS = {
    # scenarios
    "Scenario": "advisor.schema.scenario",
    "Workload": "advisor.schema.scenario",
    "workload": "advisor.data.build",
    "scenario": "advisor.data.build",
    "load_scenario": "advisor.data.scenarios",
    "parse_scenario": "advisor.data.scenarios",
    "scenario_from_data": "advisor.data.scenarios",
    # the catalog
    "load_catalog": "advisor.data.catalog",
    "default_catalog": "advisor.data.catalog",
    "set_default_catalog": "advisor.data.catalog",
    "Catalog": "advisor.data.catalog",
    "load_rules": "advisor.data.catalog",
    "api_price_table": "advisor.data.prices",
    "model_from_gguf": "advisor.data.gguf",
    # the decision
    "recommend": "advisor.engine.recommend",
    "Recommendation": "advisor.engine.recommend",
    "options_table": "advisor.engine.tables",
    "sweep": "advisor.engine.sweep",
    "break_evens": "advisor.engine.sweep",
    "tornado": "advisor.engine.sweep",
    "sensitivity": "advisor.engine.sweep",
    # costs and fit
    "estimate_fit": "advisor.engine.fit",
    "make_deployment": "advisor.engine.fit",
    "models_that_fit": "advisor.engine.fit",
    "api_monthly_cost": "advisor.engine.cost",
    "self_hosted_cost": "advisor.engine.cost",
    "break_even_requests_per_day": "advisor.engine.cost",
    "workload_cost_table": "advisor.engine.tables",
    # showing it
    "recommendation_markdown": "advisor.present.text",
    "AdvisorError": "advisor.errors",
}
_MODULES = {"charts": "advisor.present.charts"}
"""Modules reached as attributes: advisor.charts holds the plotly figures."""

__all__ = sorted([*_EXPORTS, *_MODULES])


def __getattr__(name: str) -> object:
    if name in _MODULES:
        value: object = _importlib.import_module(_MODULES[name])
    elif name in _EXPORTS:
        value = getattr(_importlib.import_module(_EXPORTS[name]), name)
    else:
        raise AttributeError(f"module 'advisor' has no attribute {name!r}")
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({"__version__", *__all__})


def _show_html(obj: object) -> str | None:
    from advisor.present.display import render

    return render(obj)


def _register_display() -> None:
    """In IPython / Jupyter: show recommendations, fit estimates and comparisons as HTML tables. Registered by type
    name, so nothing is imported until such an object is shown."""
    shell = getattr(_sys.modules.get("IPython"), "get_ipython", lambda: None)()
    if shell is None:
        return
    from advisor.present.display import FORMATTED

    formatter = shell.display_formatter.formatters["text/html"]
    for module, name in FORMATTED:
        formatter.for_type_by_name(module, name, _show_html)


_register_display()
