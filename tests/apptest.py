"""Opening the app through its entrypoint with Streamlit's AppTest, as every page test does."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from advisor.schema.scenario import Scenario
from tests.conftest import REPO

ENTRYPOINT = str(REPO / "streamlit_app.py")


def rerun(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def open_app(page: str | None = None, scenario: Scenario | None = None, query: dict[str, str] | None = None) -> AppTest:
    """The app after its first run, optionally with a share-link query, another scenario and another page shown."""
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    rerun(at)
    if scenario is not None:
        at.session_state["scenario"] = scenario
    if page is not None:
        at.switch_page(f"pages/{page}.py")
        rerun(at)
    return at
