"""Hostile text: what a visitor types or a share link carries is shown and exported as text, never as markup, and a
crafted link is refused in one line while the page still renders."""

from __future__ import annotations

import base64
import json
import re
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.data.share import QUERY_KEY, decode_scenario, encode_scenario
from advisor.engine.recommend import recommend
from advisor.errors import ScenarioError
from advisor.present.text import recommendation_markdown, recommendation_table
from tests.apptest import open_app

PIXEL_PATH = "/pixel.png"


def nested_link(depth: int) -> str:
    """A share-link value that inflates to JSON nested `depth` levels deep."""
    packed = zlib.compress(("[" * depth + "]" * depth).encode(), level=9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def hostile_scenario(pixel_url: str) -> Any:
    data = example_scenarios()["shoe-store"].to_dict()
    data["name"] = f"![p]({pixel_url}) [Enter your key here](http://127.0.0.1:9/) <script>alert(1)</script> a|b"
    data["workloads"][0]["name"] = "<img src=x onerror=alert(2)>|support"
    return scenario_from_data(data)


@pytest.mark.parametrize("depth", [100, 10_000, 100_000])
def test_a_deeply_nested_share_link_is_refused_in_one_line(depth: int) -> None:
    link = nested_link(depth)
    assert len(link) < 400
    with pytest.raises(ScenarioError) as caught:
        decode_scenario(link)
    assert "\n" not in str(caught.value) and str(caught.value).startswith("share link: ")


def test_the_app_still_renders_when_a_share_link_is_crafted() -> None:
    link = nested_link(100_000)
    at = open_app(query={QUERY_KEY: link})
    assert not at.exception
    assert at.title[0].value == "Questionnaire"
    assert any("share link" in str(e.value) and "The link was not loaded" in str(e.value) for e in at.error)


def test_hostile_names_stay_text_in_the_markdown_report_and_the_table() -> None:
    scenario = hostile_scenario("http://127.0.0.1:9" + PIXEL_PATH)
    report = recommendation_markdown(recommend(scenario))
    for markup in (r"!\[p\]\(", r"<script>", r"<img", r"\]\(http"):
        assert not re.search(r"(?<!\\)" + markup, report), markup  # only escaped, never live
    assert "\\<script\\>" in report and "a\\|b" in report
    # The summary table still has five cells per row: the | inside the name is escaped.
    row = next(line for line in report.splitlines() if line.startswith("| \\<img"))
    assert row.replace("\\|", "").count("|") == 6
    assert "<script>" in recommendation_table(recommend(scenario))  # a terminal shows text as it is


@pytest.mark.parametrize(
    "name", ["red \x1b[31malert", "carriage\rreturn", "right\u202eto-left", "zero\u200bwidth", "nul\x00byte"]
)
def test_control_and_invisible_characters_in_names_are_refused(name: str) -> None:
    data = example_scenarios()["shoe-store"].to_dict()
    data["workloads"][0]["name"] = name
    with pytest.raises(ScenarioError, match=r"workloads\[0\]\.name: must not contain control or invisible characters"):
        scenario_from_data(data)


class _Recorder(BaseHTTPRequestHandler):
    paths: list[str]

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        self.send_response(404)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def pixel_server() -> Iterator[tuple[str, list[str]]]:
    """A real server on 127.0.0.1 that records every request: a rendered image would be fetched from it."""
    handler = type("Recorder", (_Recorder,), {"paths": []})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", handler.paths
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.browser
def test_hostile_names_in_a_share_link_fetch_nothing_and_run_nothing_in_chromium(
    pixel_server: tuple[str, list[str]], tmp_path: Path
) -> None:
    from playwright.sync_api import expect, sync_playwright

    from tests.app_server import launch_chromium, running_app

    base, requested = pixel_server
    scenario = hostile_scenario(base + PIXEL_PATH)
    dialogs: list[str] = []
    with running_app(tmp_path / "streamlit.log") as (url, _server), sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1600})
            page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
            page.goto(f"{url}/recommendation?{QUERY_KEY}={encode_scenario(scenario)}", wait_until="domcontentloaded")
            expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible(timeout=30_000)
            # The name shows as the characters typed, in the sidebar and on the page.
            expect(page.get_by_text("[Enter your key here](http").first).to_be_visible()
            expect(page.locator(f'img[src*="{PIXEL_PATH}"]')).to_have_count(0)
            expect(page.locator('a[href="http://127.0.0.1:9/"]')).to_have_count(0)
            page.wait_for_timeout(1500)  # time for an image request to be made, if one were
        finally:
            browser.close()
    assert requested == [] and dialogs == []
    assert json.dumps(requested) == "[]"
