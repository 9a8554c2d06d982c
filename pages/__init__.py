"""The app's pages, and what every page shares: the entrypoint guard, the session's scenario, its recommendation
(cached) and money formatting.

Why the guard: Streamlit treats a `pages/` folder next to the entrypoint as a legacy multipage app until
`st.navigation` has run once in the server process. So a fresh server's very first request for a deep link
(`/costs?scenario=...`) runs `pages/costs.py` alone, without the entrypoint's sidebar and session state. Each page
therefore starts with `require_entrypoint()`: run alone, it runs `streamlit_app.py` instead, whose `st.navigation`
switches the server to normal mode for good and runs the page the URL names, inside `entrypoint_active()`.

Imported by the pages, never by advisor/. Keys a single page owns carry that page's prefix; the scenario is the one
shared key ("scenario"), always a validated `Scenario`.
"""

from __future__ import annotations

import contextlib
import runpy
import threading
from collections.abc import Iterator
from pathlib import Path

import streamlit as st

from advisor.data.catalog import Catalog, default_catalog
from advisor.data.measurements import store_version
from advisor.engine.recommend import RankedOption, Recommendation, recommend
from advisor.present.report import Names
from advisor.schema.scenario import Scenario

SCENARIO_KEY = "scenario"
RECOMMEND_BUDGET_S = 20.0
"""Server time one recommendation may take (20 workloads take about 1-3 s here); past it the page says so."""
ENTRYPOINT = Path(__file__).resolve().parent.parent / "streamlit_app.py"

_running = threading.local()  # each session's script runs in its own thread


@contextlib.contextmanager
def entrypoint_active() -> Iterator[None]:
    """Mark the page the entrypoint runs as reached through it (see the module docstring)."""
    _running.through_entrypoint = True
    try:
        yield
    finally:
        _running.through_entrypoint = False


def require_entrypoint() -> None:
    """First call of every page: when Streamlit runs the page file alone, run the entrypoint instead and stop."""
    if getattr(_running, "through_entrypoint", False):
        return
    runpy.run_path(str(ENTRYPOINT), run_name="__main__")
    st.stop()


def current_scenario() -> Scenario:
    scenario: Scenario = st.session_state[SCENARIO_KEY]
    return scenario


def set_scenario(scenario: Scenario) -> None:
    """Replace the session's scenario with a validated one (the share link follows on the next run)."""
    st.session_state[SCENARIO_KEY] = scenario


def catalog() -> Catalog:
    """The catalog snapshot with the measurements stored so far (the library caches it per store version)."""
    return default_catalog()


@st.cache_resource(max_entries=32)
def _recommendation(scenario_json: str, measurements_version: tuple[str, float]) -> Recommendation:
    del measurements_version  # part of the cache key only: a new live measurement changes the estimates
    return recommend(Scenario.model_validate_json(scenario_json), catalog(), time_budget_s=RECOMMEND_BUDGET_S)


def recommendation_for(scenario: Scenario) -> Recommendation:
    """The advisor's recommendation for `scenario`, computed once per distinct scenario and set of measurements.

    Shared between sessions: do not mutate it.
    """
    return _recommendation(scenario.model_dump_json(), store_version())


def names() -> Names:
    """Catalog names for the ids a recommendation carries (models, hardware, providers, rules): what pages show.

    One per script run: it caches its id maps per result, so it must not outlive the results it has seen."""
    return Names(catalog())


def chart_names(options: list[RankedOption], naming: Names) -> dict[str, str]:
    """Option label -> the short name a chart shows for it."""
    return {r.option.label: naming.short(r.option) for r in options}


CHART_CONFIG = {"displaylogo": False, "responsive": True}
PLACEHOLDER_CSS = """
<style>
/* Plotly draws a second or two after the page (longer on a busy machine): say so instead of showing a blank. */
[data-testid="stPlotlyChart"] { position: relative; min-height: 120px; }
[data-testid="stPlotlyChart"]:not(:has(.main-svg))::before {
  content: "Drawing the chart…"; position: absolute; inset: 0; display: flex; align-items: center;
  justify-content: center; color: #6B7280; background: #F9FAFB; border-radius: 8px; font-size: 0.9rem;
}
</style>
"""


def chart_placeholders() -> None:
    """A "Drawing the chart…" placeholder where a chart will be, until plotly has drawn it (CSS only)."""
    st.html(PLACEHOLDER_CSS)
