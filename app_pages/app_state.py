"""What every page shares: the session's scenario, its recommendation (cached) and money formatting.

Imported by the pages, never by advisor/. Keys a single page owns carry that page's prefix; the scenario is the one
shared key ("scenario"), always a validated `Scenario`.
"""

from __future__ import annotations

import streamlit as st

from advisor.calibration import store_version
from advisor.catalog import Catalog, load_catalog
from advisor.recommend import Recommendation, recommend
from advisor.scenario import Scenario

SCENARIO_KEY = "scenario"


def current_scenario() -> Scenario:
    scenario: Scenario = st.session_state[SCENARIO_KEY]
    return scenario


def set_scenario(scenario: Scenario) -> None:
    """Replace the session's scenario with a validated one (the share link follows on the next run)."""
    st.session_state[SCENARIO_KEY] = scenario


@st.cache_resource(max_entries=1)
def catalog() -> Catalog:
    return load_catalog()


@st.cache_resource(max_entries=32)
def _recommendation(scenario_json: str, measurements_version: float) -> Recommendation:
    del measurements_version  # part of the cache key only: a new live measurement changes the estimates
    return recommend(Scenario.model_validate_json(scenario_json), catalog())


def recommendation_for(scenario: Scenario) -> Recommendation:
    """The advisor's recommendation for `scenario`, computed once per distinct scenario and set of measurements.

    Shared between sessions: do not mutate it.
    """
    return _recommendation(scenario.model_dump_json(), store_version())


def usd(amount: float) -> str:
    return f"${amount:,.2f}"
