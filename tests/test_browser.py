"""The whole app in a real headless Chromium: `streamlit run` as a subprocess, driven with Playwright.

An architect fills the questionnaire, submits, reads the verdict and a cost chart, then opens the share link in a
fresh browser (no session) and sees the same result. Screenshots of every page go to test-artifacts/.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from advisor.data.catalog import default_catalog
from advisor.data.examples import default_scenario
from advisor.data.scenarios import scenario_from_data
from advisor.data.share import QUERY_KEY, decode_scenario
from advisor.engine.recommend import WorkloadRecommendation, recommend
from advisor.present.report import Names
from advisor.present.words import money
from tests.app_server import (
    ARTIFACTS,
    CHROMIUM,
    AppServerError,
    chromium_session,
    running_app,
    type_into,
    wait_until_idle,
)

WAIT_MS = 30_000

pytestmark = pytest.mark.browser


@pytest.fixture
def app_url(tmp_path: Path) -> Iterator[str]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; `make system-deps` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)  # CI runs `make test`, which installs it: a missing browser is a set-up bug
        pytest.skip(message)
    try:
        with running_app(tmp_path / "streamlit.log") as (url, _server):
            yield url
    except AppServerError as e:
        pytest.fail(str(e))


@pytest.fixture
def browser() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright; screenshots go to test-artifacts/."""
    with chromium_session() as launched:
        yield launched


def headline(result: WorkloadRecommendation) -> str:
    """What the Recommendation page's headline says of the pick: its catalog name (never its id) and its cost."""
    pick = result.pick
    if pick is None:
        return f"{result.workload.name}: no option meets all constraints"
    return f"{Names(default_catalog()).option(pick.option)}, {money(pick.cost)} a month"


def no_errors(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.locator('[data-testid="stAlertContentError"]')).to_have_count(0)


def chart_drawn(page: Any) -> None:
    from playwright.sync_api import expect

    expect(page.locator(".js-plotly-plot .main-svg").first).to_be_visible(timeout=WAIT_MS)


def headline_on(page: Any, text: str) -> Any:
    """The workload's headline ("name: VERDICT, where — pick, cost") holding `text`; the ranking reason may name
    the same option and cost, so the headline is told apart by its dash."""
    return page.locator("strong").filter(has_text=" — ").filter(has_text=text)


def shows_recommendation(page: Any, headline_text: str, total: str, screenshot: str) -> None:
    """The Recommendation page with this headline and total, a drawn chart, no error; then a screenshot."""
    from playwright.sync_api import expect

    expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(headline_on(page, headline_text)).to_be_visible(timeout=WAIT_MS)
    total_metric = page.locator('[data-testid="stMetric"]').filter(has_text="Total per month")
    expect(total_metric.locator('[data-testid="stMetricValue"]')).to_have_text(total, timeout=WAIT_MS)
    chart_drawn(page)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / screenshot))


def test_questionnaire_to_recommendation_and_share_link_in_chromium(app_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    edited = default_scenario().to_dict()
    edited["workloads"][0]["requests_per_day"] = 400_000
    expected = recommend(scenario_from_data(edited))
    first = headline(expected.workloads[0])
    total = money(expected.total_monthly_cost_usd)

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(app_url, wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible(timeout=WAIT_MS)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "browser-questionnaire.png"))

    wait_until_idle(page)
    requests = page.locator(".st-key-q_w0_requests_per_day input")
    type_into(page, requests, "400000")
    page.get_by_role("button", name="Get the recommendation").click()
    shows_recommendation(page, first, total, "browser-recommendation.png")

    # The address bar is the share link: the scenario as submitted, and nothing else.
    link = page.url
    assert "/recommendation?" in link
    assert decode_scenario(link.split(f"{QUERY_KEY}=", 1)[1]).to_dict() == edited

    # A colleague opens it in a fresh browser: same scenario, same verdict and cost.
    other = browser.new_context(viewport={"width": 1400, "height": 1800})
    shared = other.new_page()
    shared.goto(link, wait_until="domcontentloaded")
    shows_recommendation(shared, first, total, "browser-share-link.png")
    other.close()

    # The other two pages, reached through the sidebar, with the same scenario.
    page.get_by_role("link", name="Costs").first.click()
    expect(page.get_by_role("heading", name="Costs", exact=True)).to_be_visible(timeout=WAIT_MS)
    chart_drawn(page)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "browser-costs.png"))
    page.get_by_role("link", name="Catalog").first.click()
    expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=WAIT_MS)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "browser-catalog.png"))
    assert decode_scenario(page.url.split(f"{QUERY_KEY}=", 1)[1]).to_dict() == edited


def test_a_bad_answer_is_marked_in_the_browser_and_nothing_is_lost(app_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(app_url, wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible(timeout=WAIT_MS)
    wait_until_idle(page)
    name = page.locator('input[aria-label="Scenario name"]')
    type_into(page, name, "Edited name")
    total = page.locator(".st-key-q_w0_latency_p95_total_ms input")
    type_into(page, total, "10")
    page.get_by_role("button", name="Get the recommendation").click()
    # Streamlit typesets ">=" as "≥"; the words after it are what the user reads.
    expect(page.get_by_text("the first-token target (1,000 ms)")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("1 answer to fix (marked above)")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(name).to_have_value("Edited name")
    expect(total).to_have_value("10")
    page.screenshot(path=str(ARTIFACTS / "browser-questionnaire-error.png"))


def test_a_share_link_is_a_fresh_servers_first_request(app_url: str, browser: Any) -> None:
    """Someone opens a link before anyone opened the app: the entrypoint still runs and restores the scenario."""
    from playwright.sync_api import expect

    from advisor.data.examples import example_scenarios
    from advisor.data.share import encode_scenario

    example = example_scenarios()["hospital-records"]
    expected = headline(recommend(example).workloads[0])
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_url}/recommendation?{QUERY_KEY}={encode_scenario(example)}", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Recommendation", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(headline_on(page, expected)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(f"Scenario: {example.name}")).to_be_visible()
    no_errors(page)


def test_a_costs_deep_link_is_a_fresh_servers_first_request(app_url: str, browser: Any) -> None:
    """pages/ is Streamlit's legacy multipage folder: a fresh server's first request for /costs runs the page file
    alone. The page must still get the entrypoint's sidebar, the shared scenario and the st.navigation menu."""
    from playwright.sync_api import expect

    from advisor.data.examples import example_scenarios
    from advisor.data.share import encode_scenario

    example = example_scenarios()["legal-research"]
    pick = recommend(example).workloads[0].pick
    assert pick is not None
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_url}/costs?{QUERY_KEY}={encode_scenario(example)}", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Costs", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(f"Scenario: {example.name}")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(Names(default_catalog()).option(pick.option)).first).to_be_visible(timeout=WAIT_MS)
    sidebar = page.locator('[data-testid="stSidebarNav"]')
    for title in ("Questionnaire", "Recommendation", "Costs", "Catalog", "Live compare"):
        expect(sidebar.get_by_text(title, exact=True)).to_be_visible()
    expect(page.get_by_text("Page not found")).to_have_count(0)
    chart_drawn(page)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "browser-costs-deep-link.png"))
    # The menu works from there: to the Catalog and back, same scenario.
    sidebar.get_by_text("Catalog", exact=True).click()
    expect(page.get_by_role("heading", name="Catalog", exact=True)).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text(f"Scenario: {example.name}")).to_be_visible()
    no_errors(page)


def test_live_compare_streams_the_local_model_and_explains_the_api_side(app_url: str, browser: Any) -> None:
    """No key set: the local column answers with live metrics, the API column says exactly what to set."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(f"{app_url}/live_compare", wait_until="domcontentloaded")
    expect(page.get_by_role("heading", name="Live compare", exact=True)).to_be_visible(timeout=WAIT_MS)
    page.get_by_role("button", name="Run both").click()
    expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=120_000)
    expect(page.get_by_text("To run the API side, name the model the API serves.")).to_be_visible()
    expect(page.get_by_text("the operator sets OPENAI_API_KEY")).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_be_visible(timeout=WAIT_MS)
    chart_drawn(page)
    no_errors(page)
    page.screenshot(path=str(ARTIFACTS / "browser-live-compare.png"))


def test_an_api_run_is_kept_as_that_api_models_latency_in_chromium(
    tmp_path: Path, browser: Any, llama_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """llama.cpp's server behind the app's own endpoint stands in for a gateway to OpenAI: the visitor runs it, names
    the catalog model it serves, keeps the run, and the measurement store holds it for that model."""
    from playwright.sync_api import expect

    from advisor.data.measurements import list_measurements

    base_url, model_id = llama_server
    monkeypatch.setenv("OPENAI_API_KEY", "local-server-needs-none")
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    with running_app(tmp_path / "streamlit.log") as (url, _server):
        page = browser.new_page(viewport={"width": 1400, "height": 2000})
        page.goto(f"{url}/live_compare", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="Live compare", exact=True)).to_be_visible(timeout=WAIT_MS)
        wait_until_idle(page)
        page.get_by_role("textbox", name="Model name").fill(model_id)
        page.get_by_role("textbox", name="Model name").press("Enter")
        page.get_by_role("button", name="Run both").click()
        expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=120_000)
        keep = page.get_by_role("button", name="Use the API run's latency")
        expect(keep).to_be_disabled(timeout=WAIT_MS)  # a local server is no provider's: the model must be named
        page.get_by_role("combobox", name="Catalog API model this endpoint serves").click()
        page.get_by_role("option", name="openai/gpt-4o-mini", exact=True).click()
        expect(keep).to_be_enabled(timeout=WAIT_MS)
        keep.click()
        expect(page.get_by_text("Recommendations for openai/gpt-4o-mini now say 'measured'")).to_be_visible(
            timeout=WAIT_MS
        )
        no_errors(page)
        page.screenshot(path=str(ARTIFACTS / "browser-live-compare-keep-api-latency.png"))
    [row] = list_measurements()
    assert (row["model"], row["hardware"]) == ("openai/gpt-4o-mini", "hosted-api") and row["tokens_per_s"] > 0


SENTINEL = "sk-live-SENTINEL-0987654321"
OTHER_SECRET = "db-password-OTHER-1234567"


def test_a_visitor_cannot_make_the_server_send_its_secrets_in_chromium(
    tmp_path: Path, browser: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The app has a key; a visitor points Live compare at a server of their own that records and echoes what it
    receives. Without a key of their own nothing is sent; with one, that key is all that arrives."""
    from playwright.sync_api import expect

    from tests.faulty_server import faulty_server

    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    monkeypatch.setenv("OTHER_SECRET", OTHER_SECRET)
    with faulty_server("echo") as visitor_server, running_app(tmp_path / "streamlit.log") as (url, _server):
        page = browser.new_page(viewport={"width": 1400, "height": 1800})
        page.goto(f"{url}/live_compare", wait_until="domcontentloaded")
        expect(page.get_by_role("heading", name="Live compare", exact=True)).to_be_visible(timeout=WAIT_MS)
        wait_until_idle(page)
        page.get_by_role("textbox", name="Model name").fill("echo-model")
        page.get_by_role("textbox", name="Base URL").fill(visitor_server.base_url)
        page.get_by_role("textbox", name="Base URL").press("Enter")
        page.get_by_role("button", name="Run both").click()
        expect(page.get_by_role("heading", name="Result")).to_be_visible(timeout=120_000)
        expect(page.get_by_text("the app's own key is never sent there").first).to_be_visible(timeout=WAIT_MS)
        assert visitor_server.request_count == 0
        page.get_by_role("textbox", name="API key").fill("visitor-key-42")
        page.get_by_role("textbox", name="API key").press("Enter")
        page.get_by_role("button", name="Run both").click()
        expect(page.get_by_text("authorization").first).to_be_visible(timeout=120_000)  # the echo came back
        page.screenshot(path=str(ARTIFACTS / "browser-live-compare-visitor-key.png"))
        body = page.locator("body").inner_text()
    assert visitor_server.request_count >= 1
    for request in visitor_server.requests:
        assert request.headers["authorization"] == "Bearer visitor-key-42"
        assert SENTINEL not in json.dumps(request.headers) + json.dumps(request.body)
        assert OTHER_SECRET not in json.dumps(request.headers) + json.dumps(request.body)
    assert SENTINEL not in body and OTHER_SECRET not in body
