"""A short link in a real headless Chromium: saved in the app, opened in a fresh browser context (no session), it
shows the saved scenario's result; the server is a real `streamlit run` on the test's own SQLite store."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.data.examples import default_scenario
from advisor.data.store import default_store
from advisor.engine.recommend import recommend
from advisor.present.words import money
from advisor.schema.scenario import Scenario
from tests.test_browser import ARTIFACTS, WAIT_MS, app_url, browser, headline, no_errors, shows_recommendation

__all__ = ["app_url", "browser"]  # the fixtures, shared with the other browser tests

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def own_store(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("ADVISOR_DB_URL", "ADVISOR_PUBLIC_URL", "STREAMLIT_BROWSER_SERVER_ADDRESS"):
        monkeypatch.delenv(name, raising=False)


def test_a_short_link_opens_the_saved_scenario_in_a_fresh_browser(app_url: str, browser: Any) -> None:
    from playwright.sync_api import expect

    data = default_scenario().to_dict()
    data["name"] = "Shoe store for ACME"
    data["workloads"][0]["requests_per_day"] = 250_000
    scenario = Scenario.model_validate(data)
    expected = recommend(scenario)
    total = money(expected.total_monthly_cost_usd)

    # The sales person saves it from the Recommendation page (the app's own Save, on the app's own store).
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    default_store().save(scenario, result=expected.to_dict())  # version 1, saved from the library
    saved = default_store().get(scenario.name)
    page.goto(f"{app_url}/recommendation?s={saved.id}", wait_until="domcontentloaded")
    shows_recommendation(page, headline(expected.workloads[0]), total, "browser-store-opened.png")
    page.get_by_role("button", name="Save", exact=True).first.click()  # opens the Save popover
    name = page.get_by_label("Save as", exact=True).and_(page.locator("input"))
    expect(name).to_have_value(scenario.name, timeout=WAIT_MS)
    name.press("Tab")
    page.locator('[data-testid="stPopoverBody"]').get_by_role("button", name="Save", exact=True).click()
    expect(page.get_by_text("version 2.", exact=False)).to_be_visible(timeout=WAIT_MS)
    link = page.locator('[data-testid="stCode"]').filter(has_text="?s=").last.inner_text().strip()
    assert link == f"{app_url}/recommendation?s={saved.id}"
    assert [v.version for v in default_store().history(saved.id)] == [2, 1]

    # The customer opens the short link in a fresh browser context: the same scenario and result, read-only.
    customer = browser.new_context(viewport={"width": 1400, "height": 1800})
    fresh = customer.new_page()
    fresh.goto(link, wait_until="domcontentloaded")
    shows_recommendation(fresh, headline(expected.workloads[0]), total, "browser-store-short-link.png")
    expect(fresh.get_by_text("For Shoe store for ACME", exact=False).first).to_be_visible(timeout=WAIT_MS)
    expect(fresh.get_by_text("Read-only", exact=False).first).to_be_visible(timeout=WAIT_MS)
    assert f"s={saved.id}" in fresh.url and "scenario=" not in fresh.url
    no_errors(fresh)
    customer.close()
    ARTIFACTS.mkdir(exist_ok=True)
