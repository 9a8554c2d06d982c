"""What the app shares about saved scenarios: the Save control of the result pages, short links (`?s=<id>`) and the
public address links start with. Helpers only: the "Saved scenarios" page is pages/saved_scenarios.py.

Keys here start with `store_`. A short link opens the saved scenario read-only: the session gets a copy, and nothing
the visitor changes reaches the store unless they press Save.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

import streamlit as st

from advisor.data.scenarios import saved_scenario
from advisor.data.share import QUERY_KEY
from advisor.data.store import (
    SHORT_QUERY_KEY,
    VERSION_QUERY_KEY,
    SavedVersion,
    ScenarioStore,
    check_id,
    default_store,
    public_base_url,
    short_link,
)
from advisor.errors import AdvisorError
from advisor.present.words import plain
from advisor.schema.scenario import Scenario
from pages import current_scenario, recommendation_for, set_scenario

LINK_KEY = "store_link"
"""(id, version or None, scenario JSON, name) of the saved scenario the session shows, while it is unchanged."""
APPLIED_KEY = "store_link_applied"  # the last ?s= value read, so a rerun does not reload it over edits


def base_url() -> str:
    """Where the app's links start: ADVISOR_PUBLIC_URL, Streamlit's browser.serverAddress when set, or the address
    the browser used."""
    from streamlit import config

    seen = (st.context.url or "").split("?")[0]
    root = seen
    if config.is_manually_set("browser.serverAddress"):
        from advisor.data.store.links import streamlit_address

        root = (
            streamlit_address(
                config.get_option("browser.serverAddress"),
                config.get_option("browser.serverPort"),
                config.get_option("server.baseUrlPath"),
            )
            or seen
        )
    return public_base_url(fallback=_app_root(root))


def page_base() -> str:
    """The current page's address under the public base: where the long share link (`?scenario=`) starts."""
    seen = (st.context.url or "").split("?")[0].rstrip("/")
    page = seen.rsplit("/", 1)[1] if seen and _app_root(seen) != seen else ""
    return f"{base_url()}/{page}"


def _app_root(url: str) -> str:
    """The app's root from a page's address: `http://host:8501/costs` -> `http://host:8501`."""
    from advisor.data.store.links import DEFAULT_BASE

    if not url:
        return DEFAULT_BASE
    page = url.rstrip("/").rsplit("/", 1)
    return page[0] if len(page) == 2 and page[1] in page_paths() and "//" in page[0] else url.rstrip("/")


@functools.cache
def page_paths() -> frozenset[str]:
    """The URL paths of the app's pages, from the page files that exist: each file in pages/ whose first statement
    runs the entrypoint guard (pages/__init__.py) is a page, and st.Page names its path after the file."""
    guard = re.compile(r"^require_entrypoint\(\)\s*$", re.MULTILINE)
    folder = Path(__file__).resolve().parent
    return frozenset(
        path.stem
        for path in folder.glob("*.py")
        if not path.stem.startswith("_") and guard.search(path.read_text(encoding="utf-8"))
    )


def link_to(saved_id: str, version: int | None = None) -> str:
    return short_link(saved_id, base_url(), version)


def remember(saved: SavedVersion, scenario: Scenario) -> None:
    """The session now shows this saved version (`scenario`, as read from it): the address bar becomes its short
    link."""
    version = None if saved.current else saved.version
    st.session_state[LINK_KEY] = (saved.id, version, scenario.model_dump_json(), saved.name)


def apply_short_link() -> str | None:
    """Open `?s=<id>` (and `&v=<n>`) once: the saved scenario replaces the session's; returns an error to show."""
    value = st.query_params.get(SHORT_QUERY_KEY)
    version_text = st.query_params.get(VERSION_QUERY_KEY)
    marker = f"{value}|{version_text}"
    if value is None or marker == st.session_state.get(APPLIED_KEY):
        return None
    st.session_state[APPLIED_KEY] = marker
    try:
        version = None
        if version_text is not None:
            if not version_text.isdigit() or not 1 <= int(version_text) <= 1_000_000:
                raise AdvisorError(f"short link: 'v' must be a version number, got {version_text[:20]!r}")
            version = int(version_text)
        saved = default_store().open(check_id(value), version)
        scenario = saved_scenario(saved)
        set_scenario(scenario)
    except AdvisorError as e:
        return str(e)
    remember(saved, scenario)
    return None


def keep_short_link(scenario: Scenario) -> bool:
    """While the session shows a saved scenario unchanged, the address bar is its short link (True); else the
    `?s=` parameters go and the long link takes over (False)."""
    held = st.session_state.get(LINK_KEY)
    if held and held[2] == scenario.model_dump_json():
        saved_id, version = held[0], held[1]
        if QUERY_KEY in st.query_params:
            del st.query_params[QUERY_KEY]
        if st.query_params.get(SHORT_QUERY_KEY) != saved_id:
            st.query_params[SHORT_QUERY_KEY] = saved_id
        if version is None and VERSION_QUERY_KEY in st.query_params:
            del st.query_params[VERSION_QUERY_KEY]
        elif version is not None and st.query_params.get(VERSION_QUERY_KEY) != str(version):
            st.query_params[VERSION_QUERY_KEY] = str(version)
        st.session_state[APPLIED_KEY] = f"{saved_id}|{version if version is not None else None}"
        return True
    for key in (SHORT_QUERY_KEY, VERSION_QUERY_KEY):
        if key in st.query_params:
            del st.query_params[key]
    st.session_state.pop(LINK_KEY, None)
    return False


def saved_box(scenario: Scenario) -> None:
    """Sidebar: the short link of the saved scenario the session shows, and that it is read-only."""
    held = st.session_state.get(LINK_KEY)
    if not held or held[2] != scenario.model_dump_json():
        return
    which = f"version {held[1]}" if held[1] is not None else "current version"
    with st.container(border=True):
        st.markdown(f":material/bookmark: **Saved scenario** · {which}")
        st.code(link_to(held[0], held[1]), language=None, wrap_lines=True)
        st.caption("Read-only: changes you make here are not saved to it unless you press Save.")


def open_store_or_error() -> ScenarioStore | None:
    try:
        return default_store()
    except AdvisorError as e:
        st.error(plain(str(e)), icon=":material/error:")
        return None


# ---- the Save control of the result pages ---------------------------------------------------------------------------


def _save(prefix: str) -> None:
    """on_click of Save: runs before the page, so the sidebar and the address bar show the saved scenario at once."""
    scenario = current_scenario()
    typed = st.session_state.get(f"{prefix}_save_name")  # the box is on the page that holds this button
    name = typed if isinstance(typed, str) else _typed_name(prefix, scenario)
    try:
        store = default_store()
        result: Any = recommendation_for(scenario).to_dict()
        saved = store.save(scenario, name=name, result=result)
        scenario = saved_scenario(saved)
        set_scenario(scenario)
        remember(saved, scenario)
    except AdvisorError as e:
        st.session_state[f"{prefix}_save_message"] = ("error", str(e), "", scenario.model_dump_json())
        return
    st.session_state[f"{prefix}_save_message"] = (
        "ok",
        f"Saved as {saved.name}, version {saved.version}.",
        link_to(saved.id),
        scenario.model_dump_json(),
    )


def _held_key(prefix: str) -> str:
    return f"{prefix}_save_held"


def _typed_name(prefix: str, scenario: Scenario) -> str:
    """The "Save as" name for `scenario`: what was typed for it, else its own name.

    Kept under a key that is not the widget's (`<prefix>_save_held`: (scenario name, typed name)), because Streamlit
    drops a widget's key on every run of another page; the widget is seeded from it on each run."""
    held = st.session_state.get(_held_key(prefix))
    if isinstance(held, tuple) and len(held) == 2 and held[0] == scenario.name and isinstance(held[1], str):
        return held[1]
    return scenario.name


def _keep_name(prefix: str) -> None:
    """on_change of "Save as": remember the typed name for the scenario it was typed for."""
    typed = st.session_state.get(f"{prefix}_save_name")
    st.session_state[_held_key(prefix)] = (current_scenario().name, typed if isinstance(typed, str) else "")


def save_control(scenario: Scenario, prefix: str) -> None:
    """A "Save" popover: a name (the scenario's by default, or what was typed for it) and a button; then its short
    link."""
    name_key = f"{prefix}_save_name"
    name = _typed_name(prefix, scenario)
    st.session_state[_held_key(prefix)] = (scenario.name, name)
    st.session_state[name_key] = name  # seeded each run: the widget's own key does not survive a visit elsewhere
    message = st.session_state.get(f"{prefix}_save_message")
    if message and message[3] != scenario.model_dump_json():
        message = None  # about another scenario, or this one before it changed
    with st.popover("Save", icon=":material/bookmark_add:", width="stretch"):
        st.text_input(
            "Save as",
            key=name_key,
            max_chars=200,
            on_change=_keep_name,
            args=(prefix,),
            help="Saving again under the same name adds a version and keeps the earlier ones.",
        )
        st.button("Save", key=f"{prefix}_save", on_click=_save, args=(prefix,), type="primary", width="stretch")
        if message:
            kind, text, link, _ = message
            if kind == "ok":
                st.success(plain(text), icon=":material/check:")
                st.code(link, language=None, wrap_lines=True)
                st.caption("Anyone with this link opens this scenario read-only.")
            else:
                st.error(plain(text), icon=":material/error:")
