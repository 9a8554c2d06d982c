"""Rightsize app entrypoint: page config, navigation, the shared sidebar, the session's scenario and its share link."""

from __future__ import annotations

import streamlit as st

from advisor.data.examples import default_scenario
from advisor.data.prices import genai_prices_version
from advisor.data.share import QUERY_KEY, decode_scenario, encode_scenario
from advisor.errors import ScenarioError
from advisor.present.words import humanize, plain, plural
from advisor.schema.scenario import Scenario
from pages import current_scenario, entrypoint_active, set_scenario
from pages.store_ui import apply_short_link, keep_short_link, page_base, saved_box

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
link_error = apply_short_link() or link_error  # a short link (?s=<id>) opens a saved scenario read-only

# A fresh server runs a deep link's page file alone (pages/ is also Streamlit's legacy multipage folder); each page
# then runs this file first (pages.require_entrypoint), so deep links get the sidebar and state too.
PAGES = [
    st.Page("pages/questionnaire.py", title="Questionnaire", icon=":material/edit_note:", default=True),
    st.Page("pages/recommendation.py", title="Recommendation", icon=":material/verified:"),
    st.Page("pages/costs.py", title="Costs", icon=":material/payments:"),
    st.Page("pages/catalog.py", title="Catalog", icon=":material/menu_book:"),
    st.Page("pages/live_compare.py", title="Live compare", icon=":material/compare_arrows:"),
    st.Page("pages/hybrid_lab.py", title="Hybrid lab", icon=":material/science:"),
    st.Page("pages/saved_scenarios.py", title="Saved scenarios", icon=":material/bookmarks:"),
]
navigation = st.navigation(PAGES)

scenario = current_scenario()
share_value = encode_scenario(scenario)
if not keep_short_link(scenario) and st.query_params.get(QUERY_KEY) != share_value:
    st.query_params[QUERY_KEY] = share_value  # the address bar is always a link to what the user sees
    st.session_state[LINK_APPLIED_KEY] = share_value

with st.sidebar:
    st.markdown("## :material/balance: Rightsize")
    st.caption("Small model or large, on your own hardware or behind an API — and what it costs per month.")
    st.markdown(f"**Scenario:** {plain(scenario.name)}  \n{plural(len(scenario.workloads), 'workload')}")
    with st.expander("Share this scenario", icon=":material/link:"):
        base = page_base()
        st.code(f"{base}?{QUERY_KEY}={share_value}", language=None, wrap_lines=True)
        st.caption("Opening the link restores this scenario and its result. It holds the scenario only — no keys.")
    saved_box(scenario)
    st.caption(f"API prices from genai-prices {genai_prices_version()}, as of today.")

if link_error:
    st.error(
        f"{plain(humanize(link_error))}\n\nThe link was not loaded; you are looking at the scenario you had before."
    )
with entrypoint_active():
    navigation.run()
