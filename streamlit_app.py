"""Rightsize app entrypoint: page config, navigation, the shared sidebar, the session's scenario and its share link."""

from __future__ import annotations

import streamlit as st

from advisor.errors import ScenarioError
from advisor.examples import default_scenario
from advisor.prices import genai_prices_version
from advisor.scenario import Scenario
from advisor.share import QUERY_KEY, decode_scenario, encode_scenario
from app_pages.app_state import current_scenario, set_scenario

LINK_APPLIED_KEY = "share_link_applied"  # the last link value read, so a rerun does not reload it over edits


@st.cache_data(max_entries=1)
def opening_scenario() -> Scenario:
    return default_scenario()


st.set_page_config(page_title="Rightsize", page_icon=":material/balance:", layout="wide")
st.session_state.setdefault("scenario", opening_scenario())

# A share link (?scenario=...) replaces the session's scenario once; a damaged one says why and keeps the current.
link_error = None
link = st.query_params.get(QUERY_KEY)
if link is not None and link != st.session_state.get(LINK_APPLIED_KEY):
    st.session_state[LINK_APPLIED_KEY] = link
    try:
        set_scenario(decode_scenario(link))
    except ScenarioError as e:
        link_error = str(e)

# The pages live in app_pages/, not pages/: Streamlit treats a pages/ folder next to the entrypoint as a legacy
# multipage app until st.navigation has run once, so a server's first request for /costs would skip this file.
PAGES = [
    st.Page("app_pages/questionnaire.py", title="Questionnaire", icon=":material/edit_note:", default=True),
    st.Page("app_pages/recommendation.py", title="Recommendation", icon=":material/verified:"),
    st.Page("app_pages/costs.py", title="Costs", icon=":material/payments:"),
    st.Page("app_pages/catalog.py", title="Catalog", icon=":material/menu_book:"),
    st.Page("app_pages/live_compare.py", title="Live compare", icon=":material/compare_arrows:"),
]
navigation = st.navigation(PAGES)

scenario = current_scenario()
share_value = encode_scenario(scenario)
if st.query_params.get(QUERY_KEY) != share_value:
    st.query_params[QUERY_KEY] = share_value  # the address bar is always a link to what the user sees
    st.session_state[LINK_APPLIED_KEY] = share_value

with st.sidebar:
    st.markdown("## :material/balance: Rightsize")
    st.caption("Small model or large, on your own hardware or behind an API — and what it costs per month.")
    st.markdown(f"**Scenario:** {scenario.name}  \n{len(scenario.workloads)} workload(s)")
    with st.expander("Share this scenario", icon=":material/link:"):
        base = (st.context.url or "").split("?")[0]
        st.code(f"{base}?{QUERY_KEY}={share_value}", language=None, wrap_lines=True)
        st.caption("Opening the link restores this scenario and its result. It holds the scenario only — no keys.")
    st.caption(f"API prices from genai-prices {genai_prices_version()}, as of today.")

if link_error:
    st.error(f"{link_error}\n\nThe link was not loaded; you are looking at the scenario you had before.")
navigation.run()
