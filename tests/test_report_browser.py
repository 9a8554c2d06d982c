"""Cost reports in a real Chromium (Debian's, through Playwright): the HTML opened with every network request
blocked draws every chart and asks for nothing; the PDF holds the totals as text (pdftotext) and its pages render
(pdftoppm). Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.recommend import Recommendation, recommend
from advisor.present.report import ReportInfo, money, report_html
from advisor.present.report_files import report_bytes
from tests.app_server import ARTIFACTS, CHROMIUM, chromium_session
from tests.conftest import EXAMPLES

HOSTILE = "<script>alert(1)</script>"
INFO = ReportInfo(prepared_for="ACME Shoes", prepared_by="Jane Analyst", day=date(2026, 12, 2))

pytestmark = pytest.mark.browser


def _need(tool: str | Path) -> None:
    present = Path(tool).exists() if isinstance(tool, Path) else shutil.which(tool) is not None
    if not present:
        message = f"{tool} not found; `make system-deps` installs it"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


@cache
def decided(name: str) -> Recommendation:
    return recommend(load_scenario(EXAMPLES / f"{name}.yaml"))


@cache
def hostile() -> Recommendation:
    data = load_scenario(EXAMPLES / "shoe-store.yaml").to_dict()
    data["name"] = HOSTILE
    return recommend(scenario_from_data(data))


@pytest.fixture
def browser() -> Iterator[Any]:
    _need(CHROMIUM)
    with chromium_session() as launched:
        yield launched


def test_html_report_offline_in_chromium_draws_every_chart_and_requests_nothing(browser: Any) -> None:
    rec = decided("shoe-store")
    html = report_html(rec, INFO)
    context = browser.new_context(offline=True)
    page = context.new_page()
    asked: list[str] = []
    alerts: list[str] = []

    def block(route: Any) -> None:
        url = route.request.url
        if url.startswith(("about:", "data:")):
            route.continue_()
        else:
            asked.append(url)
            route.abort()

    page.route("**/*", block)
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.set_content(html, wait_until="load")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.plotly-graph-div')].every(d => d.querySelector('.main-svg'))"
    )
    charts = page.locator(".plotly-graph-div")
    assert charts.count() == 3 * len(rec.workloads)
    for k in range(charts.count()):
        chart = charts.nth(k)
        box = chart.bounding_box()
        assert box is not None and box["width"] > 500 and box["height"] > 150
        # Something is drawn in each: trace paths or bars, and axis tick labels.
        assert chart.locator(".main-svg .trace path").count() > 0, k
        assert chart.locator(".xtick text").count() > 0, k
    assert asked == [] and errors == [] and alerts == []
    shot = page.screenshot(path=str(ARTIFACTS / "report-html-offline.png"), full_page=True)
    assert len(shot) > 100_000
    first_chart = charts.first.screenshot(path=str(ARTIFACTS / "report-html-chart.png"))
    assert len(first_chart) > 10_000
    assert "Cost report: Shoe store AI" in page.title()
    context.close()


def test_a_hostile_name_stays_text_in_the_html_report_in_chromium(browser: Any) -> None:
    page = browser.new_page()
    alerts: list[str] = []
    page.on("dialog", lambda dialog: (alerts.append(dialog.message), dialog.dismiss()))
    page.route("**/*", lambda route: route.continue_() if route.request.url.startswith("about:") else route.abort())
    page.set_content(report_html(hostile(), ReportInfo(prepared_for=HOSTILE)), wait_until="load")
    assert alerts == []
    assert page.locator("h1").inner_text() == f"Cost report: {HOSTILE}"
    assert HOSTILE in page.locator(".cover dl").inner_text()
    page.close()


def test_pdf_report_holds_the_totals_and_its_pages_render(tmp_path: Path) -> None:
    _need(CHROMIUM)
    _need("pdftotext")
    _need("pdftoppm")
    rec = hostile()
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(report_bytes(rec, "pdf", INFO))
    assert pdf.read_bytes().startswith(b"%PDF-")
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert f"Cost report: {HOSTILE}" in text  # the name as text, not markup
    assert "ACME Shoes" in text and "Jane Analyst" in text and "2026-12-02" in text
    assert money(rec.total_monthly_cost_usd) in text
    for w in rec.workloads:
        assert money(w.monthly_cost_usd) in text, w.workload.name
    for heading in ("Executive summary", "The inputs", "Prices and rents used", "How the figures were estimated"):
        assert heading in text
    assert "Monthly cost (USD)" in text  # a chart's axis title: the charts are vector text, not pictures
    subprocess.run(["pdftoppm", "-r", "60", "-png", "-f", "1", "-l", "2", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == 2 and all(p.stat().st_size > 5_000 for p in pages)
    ARTIFACTS.mkdir(exist_ok=True)
    for page in pages:
        shutil.copy(page, ARTIFACTS / f"report-pdf-{page.name}")
