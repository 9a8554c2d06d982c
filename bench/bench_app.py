"""The app's speed: questionnaire submit to rendered recommendation (AppTest), first page interactive in Chromium,
and the server's idle memory, each next to a bare Streamlit app (a title and a button) measured in the same run.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.app_server import REPO, launch_chromium, rss_mb, running_app

from .common import write_result

SUBMITS = 7
PAGE_LOADS = 5
IDLE_S = 5.0
BARE_APP = 'import streamlit as st\n\nst.title("Bare")\nst.button("Go")\n'
PAGES = ["", "recommendation", "costs", "catalog"]


def submit_to_recommendation() -> dict[str, float]:
    """Server-side time from clicking "Get the recommendation" to the Recommendation page's last element."""
    from streamlit.testing.v1 import AppTest

    from advisor.engine.recommend import recommend

    at = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=120)
    at.run()
    cold, warm, library = [], [], []
    for attempt in range(SUBMITS):
        volume = 20_000.0 + 1_000 * attempt  # a new volume each time: the recommendation is computed, not cached
        at.number_input(key="q_w0_requests_per_day").set_value(volume)
        start = time.perf_counter()
        at.button(key="q_submit").click()
        at.run()
        cold.append(time.perf_counter() - start)
        assert at.title[0].value == "Recommendation" and not at.exception
        start = time.perf_counter()
        recommend(at.session_state["scenario"])
        library.append(time.perf_counter() - start)
        start = time.perf_counter()
        at.run()  # the same page again: everything cached
        warm.append(time.perf_counter() - start)
        at.switch_page("pages/questionnaire.py")
        at.run()
    return {
        "submit_to_render_s": statistics.median(cold),
        "submit_to_render_max_s": max(cold),
        "rerun_cached_s": statistics.median(warm),
        "recommend_alone_s": statistics.median(library),
    }


def first_interactive(url: str, ready: str, playwright: Any) -> list[float]:
    """Seconds from navigation to `ready` (a button) being enabled, each in a fresh browser context."""
    browser = launch_chromium(playwright)
    times = []
    try:
        for _ in range(PAGE_LOADS):
            context = browser.new_context(viewport={"width": 1400, "height": 1000})
            page = context.new_page()
            start = time.perf_counter()
            page.goto(url, wait_until="domcontentloaded")
            page.get_by_role("button", name=ready).wait_for(state="visible", timeout=60_000)
            times.append(time.perf_counter() - start)
            context.close()
    finally:
        browser.close()
    return times


def visit_every_page(url: str, playwright: Any) -> None:
    browser = launch_chromium(playwright)
    try:
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        for path in PAGES:
            page.goto(f"{url}/{path}", wait_until="domcontentloaded")
            page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
    finally:
        browser.close()


def in_browser(script: Path, ready: str, every_page: bool, log: Path) -> dict[str, float]:
    from playwright.sync_api import sync_playwright

    with running_app(log, script) as (url, server), sync_playwright() as playwright:
        loads = first_interactive(url, ready, playwright)
        if every_page:
            visit_every_page(url, playwright)
        time.sleep(IDLE_S)
        return {
            "first_visit_s": loads[0],
            "later_visits_s": statistics.median(loads[1:]),
            "idle_rss_mb": rss_mb(server.pid),
        }


def run() -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as folder:
        bare_script = Path(folder) / "bare_app.py"
        bare_script.write_text(BARE_APP)
        bare = in_browser(bare_script, "Go", every_page=False, log=Path(folder) / "bare.log")
        ours = in_browser(REPO / "streamlit_app.py", "Get the recommendation", True, Path(folder) / "app.log")
    submit = submit_to_recommendation()
    return write_result(
        "app",
        {
            **submit,
            "first_interactive_s": ours["first_visit_s"],
            "first_interactive_later_s": ours["later_visits_s"],
            "bare_first_interactive_s": bare["first_visit_s"],
            "bare_first_interactive_later_s": bare["later_visits_s"],
            "idle_rss_mb": ours["idle_rss_mb"],
            "bare_idle_rss_mb": bare["idle_rss_mb"],
            "target": "submit to render < 1 s; first page interactive < 4 s; idle RSS < 400 MB",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
