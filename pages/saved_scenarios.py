"""Saved scenarios: find a saved scenario, open it (or an older version), see what changed, rename or delete it.

Everything comes from `advisor.data.store` (SQLite in the data folder, or ADVISOR_DB_URL). Keys start with `saved_`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from advisor.data.scenarios import saved_scenario
from advisor.data.store import ScenarioStore, StoreError
from advisor.errors import AdvisorError
from advisor.present.words import plain, plural
from pages import require_entrypoint, set_scenario
from pages.store_ui import link_to, open_store_or_error, remember

require_entrypoint()

FLASH_KEY = "saved_flash"


def open_version(store: ScenarioStore, saved_id: str, version: int | None) -> None:
    """on_click: the session shows this saved version (read-only link), then the Recommendation page."""
    try:
        opened = store.open(saved_id, version)
        scenario = saved_scenario(opened)
        set_scenario(scenario)
    except AdvisorError as e:
        st.session_state[FLASH_KEY] = ("error", str(e))
        return
    remember(opened, scenario)
    st.session_state["saved_go"] = True


def rename(store: ScenarioStore, saved_id: str) -> None:
    try:
        renamed = store.rename(saved_id, st.session_state.get("saved_new_name", ""))
    except AdvisorError as e:
        st.session_state[FLASH_KEY] = ("error", str(e))
        return
    st.session_state[FLASH_KEY] = ("ok", f"Renamed to {renamed.name}; its link and history stay.")


def delete(store: ScenarioStore, saved_id: str) -> None:
    try:
        gone = store.delete(saved_id)
    except AdvisorError as e:
        st.session_state[FLASH_KEY] = ("error", str(e))
        return
    st.session_state.pop("saved_pick", None)
    st.session_state["saved_confirm"] = False
    st.session_state[FLASH_KEY] = ("ok", f"Deleted {gone.name} and its {plural(gone.versions, 'version')}.")


# ---- the page ----------------------------------------------------------------------------------------------------

st.title("Saved scenarios")
st.caption(
    "Scenarios saved with their results. Saving again under a name keeps the earlier versions; each saved "
    "scenario has a short link that opens it read-only."
)
store = open_store_or_error()
if store is None:
    st.stop()
if st.session_state.pop("saved_go", False):
    st.switch_page("pages/recommendation.py")
flash = st.session_state.pop(FLASH_KEY, None)
if flash:
    (st.success if flash[0] == "ok" else st.error)(plain(flash[1]))

search = st.text_input("Search", key="saved_search", placeholder="A name, or any text in the scenario")
try:
    found = store.list(search=search)
except StoreError as e:
    st.error(plain(str(e)), icon=":material/error:")
    st.stop()
if not found:
    st.info(
        "No saved scenario matches."
        if search.strip()
        else "Nothing saved yet: use Save on the Recommendation or Costs page.",
        icon=":material/info:",
    )
    st.stop()

st.dataframe(
    pd.DataFrame(
        [
            {
                "Name": s.name,
                "Versions": s.versions,
                "Last saved (UTC)": s.updated_at.strftime("%Y-%m-%d %H:%M"),
                "Monthly": s.total_monthly_cost_usd,
                "Short link": link_to(s.id),
            }
            for s in found
        ]
    ),
    hide_index=True,
    key="saved_table",
    column_config={
        "Name": st.column_config.TextColumn(width="large"),
        "Monthly": st.column_config.NumberColumn(format="dollar", help="Total per month when last saved, USD."),
        "Short link": st.column_config.TextColumn(width="medium"),
    },
)

names = {s.id: s.name for s in found}
if st.session_state.get("saved_pick") not in names:
    st.session_state["saved_pick"] = found[0].id
picked: str = st.selectbox("Scenario", list(names), key="saved_pick", format_func=lambda i: names[i])
chosen = next(s for s in found if s.id == picked)

with st.container(border=True):
    st.markdown(f"**{plain(chosen.name)}** · {plural(chosen.versions, 'version')}")
    st.code(link_to(chosen.id), language=None, wrap_lines=True)
    st.button(
        "Open",
        key="saved_open",
        icon=":material/open_in_new:",
        type="primary",
        on_click=open_version,
        args=(store, chosen.id, None),
    )
    columns = st.columns(2)
    with columns[0], st.expander("Rename", icon=":material/edit:"):
        st.text_input("New name", key="saved_new_name", max_chars=200)
        st.button("Rename", key="saved_rename", on_click=rename, args=(store, chosen.id))
    with columns[1], st.expander("Delete", icon=":material/delete:"):
        confirm = st.checkbox("Delete it and all its versions", key="saved_confirm")
        st.button("Delete", key="saved_delete", disabled=not confirm, on_click=delete, args=(store, chosen.id))

st.subheader("History")
try:
    history = store.history(chosen.id)
except StoreError as e:
    st.error(plain(str(e)), icon=":material/error:")
    st.stop()
st.dataframe(
    pd.DataFrame(
        [
            {
                "Version": v.version,
                "Saved (UTC)": v.saved_at.strftime("%Y-%m-%d %H:%M:%S"),
                "Monthly": v.total_monthly_cost_usd,
                "Current": "yes" if v.current else "",
            }
            for v in history
        ]
    ),
    hide_index=True,
    key="saved_history",
    column_config={"Monthly": st.column_config.NumberColumn(format="dollar")},
)
older = [v.version for v in history if not v.current]
if not older:
    st.caption("One version so far: saving again under this name adds the next.")
else:
    version: int = st.selectbox("An earlier version", older, key="saved_version", format_func=lambda v: f"Version {v}")
    st.button(
        f"Open version {version}",
        key="saved_open_version",
        icon=":material/history:",
        on_click=open_version,
        args=(store, chosen.id, version),
    )
    st.markdown(f"##### Version {version} against the current version")
    try:
        st.code(store.compare(chosen.id, version).text(), language=None)
    except AdvisorError as e:
        st.error(plain(str(e)), icon=":material/error:")
