"""Cost reports without a browser: the HTML's content and escaping, the XLSX reopened with openpyxl, the CSV read
back, the command line end to end, and the report buttons on the Recommendation and Costs pages (AppTest)."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from functools import cache
from pathlib import Path

import pytest

from advisor.cli import main
from advisor.data.prices import genai_prices_version
from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.recommend import Recommendation, recommend
from advisor.lab import use_split
from advisor.present.report import (
    OPTION_COLUMNS,
    ReportError,
    ReportInfo,
    money,
    report_csv,
    report_format,
    report_html,
)
from advisor.present.report_files import report_bytes, write_report
from advisor.schema.scenario import MeasuredSplit, Scenario
from tests.conftest import EXAMPLES

HOSTILE_HTML = "<script>alert(1)</script>"
HOSTILE_FORMULA = '=HYPERLINK("http://x.example/","click")'
INFO = ReportInfo(prepared_for="ACME Shoes <b>GmbH</b>", prepared_by="Jane Analyst", day=date(2026, 12, 2))
RAW_IDS = ("self_hosted", "1x l4", "regulated_data_stays_in_house", "local_only_deployment", "below_quality_bar")


@cache
def decided(name: str) -> Recommendation:
    return recommend(load_scenario(EXAMPLES / f"{name}.yaml"))


@cache
def hostile() -> Recommendation:
    data = load_scenario(EXAMPLES / "shoe-store.yaml").to_dict()
    data["name"] = HOSTILE_HTML
    data["workloads"][0]["name"] = HOSTILE_FORMULA
    data["workloads"][1]["name"] = "<img src=x onerror=alert(2)>"
    return recommend(scenario_from_data(data))


def prose(html: str) -> str:
    """The report's visible text before the appendix (ids may appear only there), without scripts and tags."""
    body = html.split("<main>", 1)[1].split("Appendix: ids", 1)[0]
    body = re.sub(r"<script.*?</script>", "", body, flags=re.S)
    return re.sub(r"<[^>]+>", " ", body)


def test_html_report_has_every_section_and_the_figures_of_the_recommendation() -> None:
    rec = decided("shoe-store")
    html = report_html(rec, INFO)
    for heading in (
        "Executive summary",
        "The inputs",
        "Workload: support-chat",
        "Workload: product-descriptions",
        "Options ruled out, by the rule that ruled them out",
        "What would change the verdict",
        "How the figures were estimated",
        "Prices and rents used",
        "Appendix: ids",
    ):
        assert heading in html, heading
    assert "ACME Shoes &lt;b&gt;GmbH&lt;/b&gt;" in html and "Jane Analyst" in html and "2026-12-02" in html
    assert f"genai-prices {genai_prices_version()}" in html
    assert money(rec.total_monthly_cost_usd) in html
    for w in rec.workloads:
        assert w.pick is not None
        assert money(w.monthly_cost_usd) in html
        assert f"{w.workload.requests_per_day:,.0f} requests/day" in html
        assert f"{w.workload.input_tokens:,} tokens in" in html
    assert "first words within 1,000 ms" in html
    # The workloads' three charts each, drawn from inline plotly.js.
    assert html.count('class="plotly-graph-div"') == 3 * len(rec.workloads)
    assert "Plotly.newPlot" in html
    # Rule sources that are URLs are links; the L4's rent has its source and date.
    assert re.search(r'<a href="https://[^"]+">https://', html)
    assert "$0.80/hour" in html or "/hour" in html


def test_html_report_loads_nothing_from_anywhere_else() -> None:
    html = report_html(decided("shoe-store"), INFO)
    assert not re.search(r"<(script|img|link|iframe|source|video|audio)\b[^>]*\b(src|href)=", html, re.I)
    assert "@import" not in html
    assert not re.search(r"url\(\s*['\"]?(https?:)?//", html.split("<script", 1)[0])
    assert "cdn.plot.ly/plotly" not in html.split("<script", 1)[0]
    assert len(html.encode()) < 10_000_000


def test_the_reports_prose_names_things_instead_of_showing_ids() -> None:
    for name in ("shoe-store", "hospital-records", "mobile-offline"):
        text = prose(report_html(decided(name), INFO))
        for raw in RAW_IDS:
            assert raw not in text, (name, raw)
        assert "Q4_K_M on 1x" not in text and " on 1x " not in text
    hospital = report_html(decided("hospital-records"), INFO)
    assert "Regulated data stays in-house" in prose(hospital)
    assert "<code>regulated_data_stays_in_house</code>" in hospital  # the appendix keeps the id


def test_the_report_shows_the_hybrid_labs_evidence() -> None:
    """A split measured in the Hybrid lab is an input the report states, and the hybrids that use it say so."""
    split = MeasuredSplit(small_share=0.65, quality_vs_large=0.9, pattern="router", router="rule", prompts=38)
    rec = recommend(use_split(load_scenario(EXAMPLES / "shoe-store.yaml"), "support-chat", split))
    text = prose(report_html(rec, INFO))
    assert "Hybrid split measured in the Hybrid lab on 38 of the team&#x27;s prompts (rule, a router)" in text
    assert "the small model kept 65%" in text and "at 90% of its quality" in text
    assert "measured on your prompts: rule, 38 prompts, the small model kept 65%" in text
    plain_text = prose(report_html(decided("shoe-store"), INFO))
    assert "Hybrid lab" not in plain_text and "measured on your prompts" not in plain_text


def test_excluded_options_are_grouped_by_rule_without_repeating_the_sentence() -> None:
    rec = decided("shoe-store")
    html = report_html(rec, INFO)
    support = html.split("Workload: support-chat", 1)[1].split("Workload: product-descriptions", 1)[0]
    ruled_out = support.split("Options ruled out", 1)[1].split("What would change the verdict", 1)[0]
    from advisor.present.words import RULE_TITLES

    workload = next(w for w in rec.workloads if w.workload.name == "support-chat")
    first_rules = {r.excluded_by[0] for r in workload.shown_options() if not r.viable}
    assert first_rules, "the shoe store's support chat shows excluded options"
    for rule in first_rules:  # one heading per rule, however many options it ruled out
        assert ruled_out.count(f"<strong>{RULE_TITLES[rule]}</strong>") == 1, rule
    assert ruled_out.count("For example:") == len(first_rules)  # each rule's sentence once, not once per option


def test_a_hostile_scenario_name_stays_text_in_html() -> None:
    html = report_html(hostile(), ReportInfo(prepared_for=HOSTILE_HTML, prepared_by="<i>x</i>"))
    assert HOSTILE_HTML not in html
    assert "<img src=x" not in html and "<i>x</i>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "=HYPERLINK(&quot;http://x.example/&quot;,&quot;click&quot;)" in html


def test_xlsx_reopens_with_numbers_as_numbers_text_as_text_and_a_chart(tmp_path: Path) -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    rec = hostile()
    path = write_report(rec, tmp_path / "report.xlsx", info=INFO)
    book = load_workbook(path)
    assert book.sheetnames == ["Summary", "Inputs", "Options", "Monthly cost", "Prices"]
    options = book["Options"]
    header = [c.value for c in options[1]]
    assert header == list(OPTION_COLUMNS)
    rows = list(options.iter_rows(min_row=2))
    assert len(rows) == sum(len(w.options) for w in rec.workloads)
    monthly = header.index("Monthly cost (USD)")
    first_token = header.index("First token (ms)")
    for row in rows:  # openpyxl reads a whole-number float back as an int: either is a number cell
        assert isinstance(row[monthly].value, int | float) and row[monthly].data_type == "n"
        assert row[first_token].value is None or row[first_token].data_type == "n"
    names = {row[0].value for row in rows}
    assert HOSTILE_FORMULA in names  # the name as typed, stored as text
    assert all(row[0].data_type == "s" for row in rows)
    pick = rec.workloads[0].pick
    assert pick is not None
    first = next(row for row in rows if row[0].value == HOSTILE_FORMULA and row[5].value == "recommended")
    assert first[monthly].value == pytest.approx(pick.cost)
    summary = book["Summary"]
    assert summary["B1"].value == f"Cost report: {HOSTILE_HTML}" and summary["B1"].data_type == "s"
    cost = book["Monthly cost"]
    assert len(cost._charts) == 1
    totals = [row for row in cost.iter_rows(values_only=True) if row[0] == "Total"]
    assert totals and str(totals[0][-1]).startswith("=SUM(")  # the one formula: a total over numbers
    inputs = {(r[0], r[1]): r[2] for r in book["Inputs"].iter_rows(min_row=2, values_only=True)}
    assert inputs[(HOSTILE_FORMULA, "Requests per day")] == 20000
    assert isinstance(inputs[(HOSTILE_FORMULA, "Input tokens per request")], int)
    # What the scenario optimises for, its phase, on-premises and query variety are inputs too, in words.
    assert inputs[("Priorities", "Between equal options")].startswith("Balanced")
    assert inputs[("Priorities", "Project phase")] == "Production"
    assert inputs[("Constraints", "Own hardware on the premises only")] == "no"
    assert inputs[(HOSTILE_FORMULA, "How varied the requests are")].startswith("Predictable")
    prices = list(book["Prices"].iter_rows(min_row=2, values_only=True))
    assert any(isinstance(r[2], int | float) for r in prices)  # API input price per 1M tokens


def test_csv_is_one_tidy_table_and_a_formula_looking_name_is_not_a_formula() -> None:
    rec = hostile()
    rows = list(csv.DictReader(io.StringIO(report_csv(rec))))
    assert len(rows) == sum(len(w.options) for w in rec.workloads)
    assert list(rows[0]) == list(OPTION_COLUMNS)
    assert {r["Workload"] for r in rows} == {"'" + HOSTILE_FORMULA, "<img src=x onerror=alert(2)>"}
    for row in rows:
        float(row["Monthly cost (USD)"])
        assert not row["Option"].startswith(("=", "+", "-", "@"))
    picks = [r for r in rows if r["Status"] == "recommended"]
    assert [float(r["Monthly cost (USD)"]) for r in picks] == pytest.approx([w.monthly_cost_usd for w in rec.workloads])


def test_format_comes_from_the_suffix_or_the_flag_and_a_bad_one_is_one_line() -> None:
    assert report_format("a/b/report.PDF") == "pdf"
    assert report_format("report.htm") == "html"
    assert report_format("report.txt", "csv") == "csv"
    with pytest.raises(ReportError, match=r"must end in \.html, \.pdf, \.xlsx or \.csv"):
        report_format("report.docx")
    with pytest.raises(ReportError, match="format: must be one of html, pdf, xlsx, csv"):
        report_bytes(decided("shoe-store"), "docx")
    with pytest.raises(ReportError, match="prepared_for: at most 200 characters"):
        ReportInfo(prepared_for="x" * 201)
    with pytest.raises(ReportError, match="prepared_by: must be printable text"):
        ReportInfo(prepared_by="a\x1bb")


def test_cli_writes_each_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from openpyxl import load_workbook

    scenario = str(EXAMPLES / "shoe-store.yaml")
    for name in ("r.html", "r.csv", "r.xlsx"):
        code = main(["report", scenario, "-o", str(tmp_path / name), "--prepared-for", "ACME", "--prepared-by", "Jo"])
        assert code == 0
        assert "report to" in capsys.readouterr().err
    html = (tmp_path / "r.html").read_text()
    assert "ACME" in html and "Jo" in html and "Shoe store AI" in html
    assert (tmp_path / "r.csv").read_text().startswith("Workload,Rank,Option")
    assert load_workbook(tmp_path / "r.xlsx").sheetnames[0] == "Summary"
    assert main(["report", scenario, "-o", str(tmp_path / "data.bin"), "--format", "csv"]) == 0
    assert (tmp_path / "data.bin").read_text().startswith("Workload,")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-o", "r.docx"], "output: the file name must end in .html, .pdf, .xlsx or .csv"),
        (["-o", "/no/such/dir/r.html"], "output: cannot write"),
        (["-o", "r.html", "--prepared-for", "a\x07b"], "prepared_for: must be printable text"),
    ],
)
def test_cli_bad_report_input_is_one_line(
    args: list[str], message: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["report", str(EXAMPLES / "shoe-store.yaml"), *args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())  # nothing half-written


def test_cli_pdf_without_chromium_says_html_still_works(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ADVISOR_CHROMIUM", str(tmp_path / "no-chromium"))
    assert main(["report", str(EXAMPLES / "shoe-store.yaml"), "-o", str(tmp_path / "r.pdf")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Chromium" in err and "HTML report works" in err
    assert not (tmp_path / "r.pdf").exists()


def test_cli_report_of_a_bad_scenario_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("version: 1\nname: x\nworkloads: []\n")
    assert main(["report", str(bad), "-o", str(tmp_path / "r.html")]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advisor: error:") and "workloads" in err and err.count("\n") == 1


def test_recommendation_and_costs_pages_offer_every_report_format() -> None:
    from tests.apptest import open_app

    for page, prefix in (("recommendation", "rec"), ("costs", "costs")):
        at = open_app(page)
        buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("download_button")}
        for fmt, label in (
            ("html", "Report (HTML)"),
            ("pdf", "Report (PDF)"),
            ("xlsx", "Spreadsheet (XLSX)"),
            ("csv", "Options and costs (CSV)"),
        ):
            proto = buttons[f"{prefix}_report_{fmt}"]
            assert proto.label == label
            assert proto.deferred_file_id  # made on the click, not on every rerun
        assert not at.exception


def test_a_page_says_why_there_is_no_pdf_and_still_offers_html(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.apptest import open_app

    monkeypatch.setenv("ADVISOR_CHROMIUM", "/nonexistent/chromium")
    at = open_app("recommendation")
    buttons = {b.proto.id.rsplit("-", 1)[-1]: b.proto for b in at.get("download_button")}
    assert buttons["rec_report_pdf"].disabled
    assert "HTML report works" in buttons["rec_report_pdf"].help
    assert not buttons["rec_report_html"].disabled


def _scenario(name: str) -> Scenario:
    return load_scenario(EXAMPLES / f"{name}.yaml")
