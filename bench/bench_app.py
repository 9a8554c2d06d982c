"""The app's speed: questionnaire submit to rendered recommendation (AppTest, and in Chromium with its charts
drawn), each page's first paint in Chromium, first page interactive, and the server's idle memory, each next to a
bare Streamlit app (a title and a button) measured in the same run.

Medians of several runs: the machine is shared (2 cores, other people's tests run at the same time).
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.app_server import REPO, launch_chromium, rss_mb, running_app, type_into, wait_until_idle

from .common import write_result

SUBMITS = 7
PAGE_LOADS = 5
IDLE_S = 5.0
BARE_APP = 'import streamlit as st\n\nst.title("Bare")\nst.button("Go")\n'
PAGES = ["", "recommendation", "costs", "catalog"]
ALL_PAGES = ["", "recommendation", "costs", "catalog", "live_compare", "hybrid_lab", "saved_scenarios"]
BROWSER_SUBMITS = 7
PAINTS = 3
CHARTS_DRAWN_JS = """() => {
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]');
  const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg');
  return charts.length > 0 && drawn.length >= charts.length && !document.querySelector('[data-testid="stSkeleton"]');
}"""
"""The Recommendation page with every chart on it drawn (plotly's SVG in place) and nothing still loading."""


def submit_in_browser(url: str, playwright: Any) -> list[float]:
    """Seconds from clicking "Get the recommendation" to the Recommendation page with its charts drawn, in Chromium;
    a new volume each time so the recommendation is computed, not cached."""
    browser = launch_chromium(playwright)
    times = []
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 1000})
        for attempt in range(BROWSER_SUBMITS):
            page.goto(url, wait_until="domcontentloaded")
            requests = page.locator(".st-key-q_w0_requests_per_day input")
            wait_until_idle(page)
            type_into(page, requests, str(30_000 + 1_000 * attempt))
            start = time.perf_counter()
            page.get_by_role("button", name="Get the recommendation").click()
            page.get_by_role("heading", name="Recommendation", exact=True).wait_for(timeout=60_000)
            page.wait_for_function(CHARTS_DRAWN_JS, timeout=60_000, polling=20)
            times.append(time.perf_counter() - start)
    finally:
        browser.close()
    return times


def first_paint(url: str, playwright: Any) -> dict[str, float]:
    """Per page, the median seconds from navigation to its title on screen (the first paint of the page's own
    content), each load in a fresh context on a warm server."""
    browser = launch_chromium(playwright)
    medians = {}
    try:
        for path in ALL_PAGES:
            times = []
            for _ in range(PAINTS):
                context = browser.new_context(viewport={"width": 1280, "height": 1000})
                page = context.new_page()
                start = time.perf_counter()
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=60_000)
                times.append(time.perf_counter() - start)
                context.close()
            medians[path or "questionnaire"] = statistics.median(times)
    finally:
        browser.close()
    return medians


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


def in_browser(script: Path, ready: str, every_page: bool, log: Path) -> dict[str, Any]:
    from playwright.sync_api import sync_playwright

    with running_app(log, script) as (url, server), sync_playwright() as playwright:
        loads = first_interactive(url, ready, playwright)
        extra: dict[str, Any] = {}
        if every_page:
            visit_every_page(url, playwright)
            submits = submit_in_browser(url, playwright)
            extra["browser_submit_to_charts_s"] = statistics.median(submits)
            extra["browser_submit_to_charts_max_s"] = max(submits)
            extra["first_paint_s"] = first_paint(url, playwright)
        time.sleep(IDLE_S)
        return {
            "first_visit_s": loads[0],
            "later_visits_s": statistics.median(loads[1:]),
            "idle_rss_mb": rss_mb(server.pid),
            **extra,
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
            "browser_submit_to_charts_s": ours["browser_submit_to_charts_s"],
            "browser_submit_to_charts_max_s": ours["browser_submit_to_charts_max_s"],
            "first_paint_s": ours["first_paint_s"],
            "first_paint_max_page_s": max(ours["first_paint_s"].values()),
            "target": "submit to render < 1 s (server, and in Chromium with charts drawn); each page's first paint "
            "< 2 s; first page interactive < 4 s; idle RSS < 400 MB (medians on a shared 2-core machine)",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
