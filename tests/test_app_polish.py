"""A newcomer's walk through every page, in headless Chromium at a laptop, a wide and a phone width, and the state
bugs a first visit met (AppTest).

In the browser, per page and width: no label, button, metric, tab or table cell it names is clipped (its scroll width
fits its client width), no internal id (api_only, self_hosted, `1x t4`, rule ids ...) is in the visible text outside a
details expander or a code block, and the cost chart highlights the pick. One server, one browser for them all.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from advisor.data.catalog import default_catalog
from advisor.data.examples import default_scenario, example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.present.words import RULE_TITLES
from tests.app_server import ARTIFACTS, CHROMIUM, AppServerError, chromium_session, running_app
from tests.apptest import open_app, rerun

WAIT_MS = 60_000
WIDTHS = {"laptop": 1280, "wide": 1920, "phone": 390}
PAGES = ["", "recommendation", "costs", "catalog", "live_compare", "hybrid_lab", "saved_scenarios"]
RAW_IDS = sorted(
    {
        "api_only",
        "self_hosted",
        "local_only",
        "air_gapped",
        "this-machine",
        "1x t4",
        "1x l4",
        "1x rtx-4090",
        "customer_support",
        "creative_writing",
        *(rule for rule in RULE_TITLES if "_" in rule),
    }
)
RAW_ID = re.compile(r"(?<![\w-])(?:" + "|".join(re.escape(i) for i in RAW_IDS) + r")(?![\w-])")
CLIPPABLE = ", ".join(
    [
        '[data-testid="stWidgetLabel"] p',
        '[data-testid="stMetricLabel"] p',
        '[data-testid="stMetricValue"] > div',
        'button [data-testid="stMarkdownContainer"] p',
        '[data-testid="stTab"] p',
        '[data-testid="stTable"] th',
        '[data-testid="stTable"] td',
        '[data-testid="stPageLink-NavLink"] span',
        '[data-testid="stBadge"]',
    ]
)
"""What must never be cut off: widget labels, metrics, button labels, tabs, static table cells, links, badges."""

CLIPPED_JS = """(selector) => {
  const visible = (el) => el.offsetParent !== null && !el.closest('details:not([open])');
  return [...document.querySelectorAll(selector)].filter(visible)
    .filter((el) => el.scrollWidth > el.clientWidth + 1)
    .map((el) => `${el.innerText.slice(0, 60)} (${el.scrollWidth} > ${el.clientWidth})`);
}"""
VISIBLE_TEXT_JS = """() => {
  // What a reader sees without opening anything: the page and the sidebar, less expanders, code and popovers.
  const parts = [];
  for (const root of document.querySelectorAll('[data-testid="stMain"], [data-testid="stSidebar"]')) {
    const copy = root.cloneNode(true);
    copy.querySelectorAll('details, pre, code, [data-testid="stPopoverBody"], style, script')
      .forEach((el) => el.remove());
    parts.push(copy.textContent);
  }
  return parts.join('\\n');
}"""
PICK_JS = """() => {
  // Per cost-by-volume chart: the pick's line width against every other option's, and its legend entry.
  return [...document.querySelectorAll('.js-plotly-plot')].map((plot) => {
    const lines = (plot.data || []).filter((t) => t.meta && t.meta.band === 'expected');
    if (!lines.length) return null;
    const pick = lines.find((t) => t.meta.pick);
    const legend = [...plot.querySelectorAll('.legendtext')].map((t) => t.textContent);
    return {
      pick: pick ? pick.line.width : null,
      others: lines.filter((t) => !t.meta.pick).map((t) => t.line.width),
      marker: (plot.data || []).some((t) => t.meta && t.meta.marker === 'pick'),
      legend: legend.filter((t) => t.includes('(the pick)')),
    };
  }).filter((x) => x !== null);
}"""
SETTLED_JS = """() => {
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
  const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length;
  const skeletons = document.querySelectorAll('[data-testid="stSkeleton"]').length;
  const running = document.querySelector('[data-testid="stStatusWidget"]');
  return drawn >= charts && skeletons === 0 && !running && document.querySelector('h1') !== null;
}"""


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found; `make system-deps` installs Debian's chromium"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        with running_app(tmp_path_factory.mktemp("polish") / "streamlit.log") as (url, _server):
            yield url
    except AppServerError as e:
        pytest.fail(str(e))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium_session() as launched:
        yield launched


def settle(page: Any) -> None:
    """The page's title is there, every chart drawn, no element still loading and the script done."""
    page.locator('[data-testid="stMainBlockContainer"] h1').first.wait_for(timeout=WAIT_MS)
    page.wait_for_function(SETTLED_JS, timeout=WAIT_MS, polling=200)
    page.wait_for_timeout(300)  # plotly's legend and axis text lay out just after the SVG appears


def clipped(page: Any) -> list[str]:
    found: list[str] = page.evaluate(CLIPPED_JS, CLIPPABLE)
    return found


def raw_ids(page: Any) -> list[str]:
    return sorted(set(RAW_ID.findall(page.evaluate(VISIBLE_TEXT_JS))))


@pytest.mark.browser
@pytest.mark.parametrize("width", list(WIDTHS))
def test_every_page_reads_at_this_width(app_url: str, browser: Any, width: str) -> None:
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": WIDTHS[width], "height": 1000})
    page = context.new_page()
    problems: dict[str, Any] = {}
    try:
        for path in PAGES:
            name = path or "questionnaire"
            page.goto(f"{app_url}/{path}", wait_until="domcontentloaded")
            settle(page)
            expect(page.locator('[data-testid="stException"]')).to_have_count(0)
            if cut := clipped(page):
                problems[f"{name}: clipped"] = cut
            if ids := raw_ids(page):
                problems[f"{name}: raw ids"] = ids
            if path in ("recommendation", "costs"):
                charts = page.evaluate(PICK_JS)
                if not charts:
                    problems[f"{name}: no cost chart"] = True
                for chart in charts:
                    if not (chart["pick"] and all(chart["pick"] > w for w in chart["others"])):
                        problems[f"{name}: pick not the thickest line"] = chart
                    if not chart["marker"] or len(chart["legend"]) != 1:
                        problems[f"{name}: pick not marked"] = chart
            if problems:
                page.screenshot(path=str(ARTIFACTS / f"polish-{name}-{width}.png"), full_page=True)
    finally:
        context.close()
    assert not problems, problems


@pytest.mark.browser
def test_zero_tokens_out_gets_a_message_not_only_a_red_outline(app_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 1400})
    page.goto(app_url, wait_until="domcontentloaded")
    settle(page)
    tokens_out = page.locator('input[aria-label="Tokens out per answer"]').first
    tokens_out.fill("0")
    tokens_out.press("Tab")
    page.get_by_role("button", name="Get the recommendation").click()
    expect(page.get_by_text("1 answer to fix (marked above)")).to_be_visible(timeout=WAIT_MS)
    expect(page.get_by_text("got 0").first).to_be_visible()
    expect(page.get_by_role("heading", name="Questionnaire")).to_be_visible()
    expect(tokens_out).to_have_value("0")  # what was typed is kept, and said to be wrong
    page.close()


# ---- state a first visit met (AppTest: no browser needed) ------------------------------------------------------------


def test_start_from_names_the_example_the_form_holds() -> None:
    at = open_app()
    opening = default_scenario()
    key = next(k for k, example in example_scenarios().items() if example == opening)
    assert at.selectbox(key="q_template").value == key
    at.number_input(key="q_w0_requests_per_day").set_value(12_345.0)
    at.button(key="q_submit").click()
    rerun(at)
    at.switch_page("pages/questionnaire.py")
    rerun(at)
    assert at.selectbox(key="q_template").value is None  # edited: no longer the example
    assert at.number_input(key="q_w0_requests_per_day").value == 12_345


def test_let_the_advisor_pick_survives_a_visit_to_another_page() -> None:
    data = default_scenario().to_dict()
    data["hardware"]["profile"] = None
    data["hardware"]["already_owned"] = False
    at = open_app(scenario=scenario_from_data(data))
    rerun(at)
    for page in ("recommendation", "costs", "questionnaire"):
        at.switch_page(f"pages/{page}.py")
        rerun(at)
    profile = at.selectbox(key="q_profile")
    assert profile.value == "auto"  # not None, which Streamlit shows as "Choose an option"
    assert profile.format_func(profile.value) == "Let the advisor pick the cheapest that fits"
    at.button(key="q_submit").click()
    rerun(at)
    assert at.session_state["scenario"].hardware.profile is None


def test_choosing_a_phone_ticks_we_have_it_already_and_says_so() -> None:
    at = open_app()
    assert at.session_state["scenario"].hardware.profile != "phone-flagship"
    at.selectbox(key="q_profile").set_value("phone-flagship")
    at.button(key="q_submit").click()
    rerun(at)
    hardware = at.session_state["scenario"].hardware
    assert (hardware.profile, hardware.ownership, hardware.already_owned) == ("phone-flagship", "owned", True)
    at.switch_page("pages/questionnaire.py")
    rerun(at)
    assert at.checkbox(key="q_already_owned").value is True
    assert any("Ticked for you" in c.value for c in at.caption)
    # Unticked on purpose, it stays unticked: the phone is no longer a new choice.
    at.checkbox(key="q_already_owned").set_value(False)
    at.button(key="q_submit").click()
    rerun(at)
    assert at.session_state["scenario"].hardware.already_owned is False


def test_hardware_names_say_their_memory_once() -> None:
    from advisor.present.words import hardware_label

    for hardware in default_catalog().hardware.values():
        label = hardware_label(hardware.name, hardware.memory_gb)
        assert len(re.findall(r"\d\s*GB", label)) == 1, label
