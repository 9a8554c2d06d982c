"""How money, counts and file names read wherever people see them: one money rule (cents below $100, whole dollars
from $100), no '$0' for a workload nothing fits, words that agree with their counts, spreadsheets without float
noise, one file-name rule for every download, and a report format that matches its file name."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from advisor.cli import main
from advisor.data.catalog import load_rules
from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.recommend import Recommendation, recommend
from advisor.present.display import fit_html
from advisor.present.report import ReportError, file_stem, report_csv, report_format, report_html
from advisor.present.report_files import report_downloads
from advisor.present.report_xlsx import report_xlsx
from advisor.present.text import recommendation_markdown, recommendation_table
from advisor.present.words import money, money_text, per_day, plural, slug
from advisor.schema.rules import Rule
from tests.conftest import EXAMPLES

HTML_NAME = "<i>Scen</i> **S**"


def _scenario(name: str = "tiny", latency_ms: float | None = None, requests: float = 200, workloads: int = 2) -> Any:
    workload: dict[str, Any] = {
        "task": "creative_writing",
        "requests_per_day": requests,
        "input_tokens": 400,
        "output_tokens": 500,
        "quality": "standard",
    }
    if latency_ms is not None:
        workload["latency_p95_first_token_ms"] = latency_ms
    data = {
        "version": 1,
        "name": name,
        "workloads": [{"name": f"w{i}", **workload} for i in range(workloads)],
        "constraints": {"privacy": "internal"},
    }
    return scenario_from_data(data)


def _small() -> Recommendation:
    """Two workloads of well under a dollar a month each."""
    rec = recommend(_scenario())
    assert all(w.pick is not None and w.monthly_cost_usd < 1 for w in rec.workloads)
    return rec


def _infeasible() -> Recommendation:
    rec = recommend(_scenario("impossible", latency_ms=1))
    assert all(w.pick is None for w in rec.workloads)
    return rec


# ---- 1. one money rule --------------------------------------------------------------------------------------------


def test_money_has_cents_below_100_dollars_and_whole_dollars_from_100() -> None:
    assert [money(v) for v in (0.54, 4.5, 25.2, 99.994, 100, 1159.3, 12345.6)] == [
        "$0.54",
        "$4.50",
        "$25.20",
        "$99.99",
        "$100",
        "$1,159",
        "$12,346",
    ]
    assert money(None) == "n/a" and money(float("inf")) == "n/a"


def test_money_text_drops_the_cents_of_amounts_from_100_dollars_only() -> None:
    text = "costs $0.54 a month, under a third of $1,159.30 (or $250.00); $99.50 stays"
    assert money_text(text) == "costs $0.54 a month, under a third of $1,159 (or $250); $99.50 stays"


def test_shipped_rule_texts_show_a_small_cost_in_cents() -> None:
    rules = load_rules()
    api = next(r for r in rules.rules if r.id == "api_much_cheaper")
    assert isinstance(api, Rule)
    text = api.render({"cost": SimpleNamespace(api=0.54, own=1159.3)})
    assert "costs $0.54 a month" in text, text
    assert money_text(text).endswith("($1,159).")
    for rule in rules.rules:
        assert not re.search(r"\$\{cost\.\w+:[^}]*\.0f\}", rule.text), rule.id


def test_markdown_report_and_cli_table_show_cents_for_small_costs() -> None:
    rec = _small()
    first, second = (w.monthly_cost_usd for w in rec.workloads)
    markdown = recommendation_markdown(rec)
    assert f"| {money(first)} |" in markdown
    assert f"**Total: {money(rec.total_monthly_cost_usd)} a month.**" in markdown
    assert money(rec.total_monthly_cost_usd) == money(first + second) != "$1"
    assert not re.search(r"\| \$\d+ \|", markdown), "a cost under $100 without its cents"
    table = recommendation_table(rec)
    assert table.splitlines()[0] == f"tiny: total {money(rec.total_monthly_cost_usd)}/month"
    assert f", {money(first)}/month." in table
    assert not re.search(r"\$\d+/month", table), "a cost under $100 without its cents"


def test_cli_recommend_markdown_of_an_example_keeps_cents(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", str(EXAMPLES / "shoe-store.yaml"), "--format", "markdown"]) == 0
    out = capsys.readouterr().out
    rec = recommend(load_scenario(EXAMPLES / "shoe-store.yaml"))
    cheap = rec.workloads[1]
    assert cheap.monthly_cost_usd < 1
    assert f"| {money(cheap.monthly_cost_usd)} |" in out
    assert "The cheapest API option costs $0." in out


# ---- 2. nothing fits: no $0 ---------------------------------------------------------------------------------------


def test_an_infeasible_scenario_shows_no_zero_total_anywhere(capsys: pytest.CaptureFixture[str]) -> None:
    rec = _infeasible()
    table = recommendation_table(rec)
    assert table.splitlines()[0] == "impossible: total none (no option meets all constraints)"
    markdown = recommendation_markdown(rec)
    assert "**Total: none (no option meets all constraints).**" in markdown
    assert "$0" not in markdown.split("## ")[0]
    html = report_html(rec)
    assert "Total: none (no option meets all constraints)." in html and ">$0.00<" not in html
    assert rec.to_dict()["total_monthly_cost_usd"] == 0  # the JSON contract keeps its number


def test_an_infeasible_scenario_has_no_zero_total_in_the_spreadsheet() -> None:
    from openpyxl import load_workbook  # type: ignore[import-untyped]

    book = load_workbook(io.BytesIO(report_xlsx(_infeasible())))
    rows = [[c.value for c in row] for row in book["Summary"].iter_rows()]
    total = next(r for r in rows if r[0] == "Total")
    assert total[4] == "none (no option meets all constraints)"
    workloads = [r for r in rows if r[0] in ("w0", "w1")]
    assert workloads and all(r[4] is None for r in workloads)
    monthly = [[c.value for c in row] for row in book["Monthly cost"].iter_rows()]
    assert monthly[-1][:2] == ["Total", "none (no option meets all constraints)"]
    assert not any(isinstance(v, str) and v.startswith("=SUM") for v in monthly[-1])


def test_a_partly_feasible_scenario_says_what_its_total_leaves_out() -> None:
    scenario = _scenario(latency_ms=1)
    data = scenario.to_dict()
    data["workloads"][1].pop("latency_p95_first_token_ms")
    rec = recommend(scenario_from_data(data))
    assert rec.workloads[0].pick is None and rec.workloads[1].pick is not None
    total = money(rec.total_monthly_cost_usd)
    assert f"**Total: {total} a month, not counting 1 workload no option fits.**" in recommendation_markdown(rec)
    assert recommendation_table(rec).startswith(f"tiny: total {total}/month, not counting 1 workload no option fits")


# ---- 3. words that agree with their counts ------------------------------------------------------------------------


def test_plural_agrees_with_the_number_shown() -> None:
    assert plural(1, "request") == "1 request"
    assert plural(2, "workload") == "2 workloads"
    assert plural(12400, "request") == "12,400 requests"
    assert plural(0, "measurement") == "0 measurements"
    assert plural(0.5, "request") == "0.5 requests"
    assert plural(1, "entry", "entries") == "1 entry" and plural(3, "entry", "entries") == "3 entries"
    assert per_day(1) == "1 request/day" and per_day(5000) == "5,000 requests/day"


def test_one_request_a_day_reads_in_the_singular_on_charts_and_reports() -> None:
    from advisor.present.charts import breakdown_figure, top_options

    rec = recommend(_scenario(requests=1, workloads=1))
    w = rec.workloads[0]
    figure = breakdown_figure(w, rec.scenario.assumptions, top_options(w))
    title = figure.layout.xaxis.title.text
    assert "1 request/day" in title and "requests/day" not in title, title
    html = report_html(rec)
    assert "Volume: 1 request/day" in html


def test_fit_table_says_one_sequence(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "llama-3.1-8b-instruct", "--hardware", "rtx-4090", "--context", "1"]) == 0
    out = capsys.readouterr().out
    assert "context 1 token x 1 sequence," in out and "(s)" not in out


def test_fit_html_says_one_token_and_one_sequence() -> None:
    from advisor.engine.fit import estimate_fit

    result = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", context_tokens=1, concurrency=1)
    assert "1 token x 1 sequence" in fit_html(result)


def test_sidebar_counts_workloads_in_words() -> None:
    from tests.apptest import open_app, rerun

    at = open_app()
    at.session_state["scenario"] = _scenario(workloads=1)
    rerun(at)
    shown = " ".join(m.value for m in at.sidebar.markdown)
    assert "1 workload" in shown and "workload(s)" not in shown


# ---- 4. spreadsheets without float noise ---------------------------------------------------------------------------


def test_options_csv_has_cents_and_plain_decimals() -> None:
    rec = recommend(load_scenario(EXAMPLES / "shoe-store.yaml"))
    rows = list(csv.DictReader(io.StringIO(report_csv(rec))))
    assert rows
    for row in rows:
        for column, value in row.items():
            assert not re.fullmatch(r"-?[\d.]+e[-+]?\d+", value.lower()), (column, value)
            if "(USD" in column and "per request" not in column and value:
                assert re.fullmatch(r"-?\d+\.\d\d", value), (column, value)
            if re.fullmatch(r"-?\d+\.\d+", value):
                assert len(value.split(".")[1]) <= 10, (column, value)
    per_request = [r["Cost per request (USD)"] for r in rows if r["Cost per request (USD)"]]
    assert any(v.startswith("0.0000") for v in per_request)


def test_options_xlsx_has_rounded_figures_and_no_scientific_format() -> None:
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(report_xlsx(recommend(load_scenario(EXAMPLES / "shoe-store.yaml")))))
    sheet = book["Options"]
    header = [c.value for c in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        for title, cell in zip(header, row, strict=True):
            if not isinstance(cell.value, float):
                continue
            if "(USD" in title and "per request" not in title:
                assert cell.value == round(cell.value, 2), (title, cell.value)
            elif title == "Cost per request (USD)":
                assert cell.value == float(f"{cell.value:.6g}")
                assert "E" not in cell.number_format.upper().replace('"$"', "")
            else:
                assert cell.value == round(cell.value, 2), (title, cell.value)
    for row in book["Monthly cost"].iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, float):
                assert cell.value == round(cell.value, 2)


# ---- 5. one slug for every download -------------------------------------------------------------------------------


def test_every_download_of_a_scenario_uses_one_file_name_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    from tests.apptest import open_app, rerun

    scenario = _scenario(HTML_NAME)
    assert slug(HTML_NAME) == file_stem(scenario) == "i-scen-i-s"
    names: list[str] = []
    original = MemoryMediaFileStorage.load_and_get_id

    def recording(self: Any, path_or_data: Any, mimetype: str, kind: Any, filename: str | None = None) -> str:
        names.append(filename or "")
        return original(self, path_or_data, mimetype, kind, filename)

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", recording)
    at = open_app()
    at.session_state["scenario"] = scenario
    rerun(at)
    at.switch_page("pages/recommendation.py")
    rerun(at)
    page_files = {n for n in names if n.endswith((".md", ".json"))}
    assert page_files == {"i-scen-i-s-recommendation.md", "i-scen-i-s-recommendation.json"}
    reports = {d.file_name for d in report_downloads(scenario)}
    assert all(n.startswith("i-scen-i-s-") for n in reports), reports


# ---- 6. a report's format matches its file name ------------------------------------------------------------------


def test_format_that_contradicts_the_extension_is_refused() -> None:
    with pytest.raises(ReportError, match=r"--format csv does not match the file's extension \.html"):
        report_format("x.html", "csv")
    with pytest.raises(ReportError, match=r"\.html"):
        report_format("x.htm", "pdf")
    assert report_format("x.html", "html") == "html"
    assert report_format("report.txt", "csv") == "csv"
    assert report_format("report", "xlsx") == "xlsx"


def test_cli_report_refuses_csv_into_an_html_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "x.html"
    assert main(["report", str(EXAMPLES / "shoe-store.yaml"), "-o", str(target), "--format", "csv"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--format csv" in err and ".html" in err
    assert not target.exists()


def test_the_recommendation_json_carries_rule_texts_with_the_same_money_style() -> None:
    """The engine writes amounts as people read them everywhere: JSON readers get '$0.54' and '$579', never '$0'
    or '$579.00'."""
    from advisor.data.examples import example_scenarios
    from advisor.engine.recommend import recommend

    data = recommend(example_scenarios()["shoe-store"]).to_dict()
    texts = [r["text"] for w in data["workloads"] for r in w["reasons"]]
    cheap = next(t for t in texts if t.startswith("The cheapest API option costs $0."))
    assert re.search(r"\(\$\d{3}\)\.$", cheap), cheap  # hundreds of dollars, no cents
    assert not any(re.search(r"\$\d{3,}(,\d{3})*\.\d\d", t) for t in texts), texts
