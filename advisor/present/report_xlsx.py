"""The XLSX report: one sheet per table (summary, inputs, options, monthly cost, prices), numbers as numbers with
their units in the headers, and a native stacked-bar chart of what each pick's bill is made of.

Every text cell is stored as text, never as a formula, whatever it starts with (a workload named '=HYPERLINK(...)'
stays a name).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING, Any

from advisor.present.report import (
    COMPONENT_NAMES,
    OPTION_COLUMNS,
    VERDICT_NAMES,
    Names,
    ReportInfo,
    input_rows,
    option_rows,
    price_rows,
)
from advisor.present.words import WHERE_SHORT, plural

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.engine.recommend import Recommendation

MONEY = '"$"#,##0.00'
PER_REQUEST = '"$"0.000000##'
"""A cost per request as a plain decimal (never 4.2E-05), six decimals and up to eight where they matter."""
HEADER_FILL = "DCE6F1"


def report_xlsx(
    recommendation: Recommendation, info: ReportInfo | None = None, catalog: Catalog | None = None
) -> bytes:
    from openpyxl import Workbook  # type: ignore[import-untyped]

    from advisor.present.report import _catalog, _versions

    info = info or ReportInfo()
    names = Names(catalog or _catalog())
    book = Workbook()
    summary = book.active
    summary.title = "Summary"
    product, prices = _versions(recommendation)
    scenario = recommendation.scenario
    cover = [
        ("Report", f"Cost report: {scenario.name}"),
        ("Prepared for", info.prepared_for),
        ("Prepared by", info.prepared_by),
        ("Date", info.date.isoformat()),
        ("Product", f"Rightsize advisor {product}"),
        ("API prices", f"genai-prices {prices}, prices in effect on {names.catalog.price_table().priced_on}"),
    ]
    for line in cover:
        _append(summary, line)
    summary.append([])
    headers = ["Workload", "Verdict", "Runs", "Pick", "Monthly cost (USD)", "Low (USD)", "High (USD)"]
    _header(summary, headers)
    for w in recommendation.workloads:
        pick = w.pick
        _append(
            summary,
            [
                w.workload.name,
                VERDICT_NAMES[w.verdict or ""] if pick else "no option meets every constraint",
                WHERE_SHORT[w.deployment or ""] if pick else "",
                names.option(pick.option) if pick else "",
                round(w.monthly_cost_usd, 2) if pick else None,
                round(pick.monthly_usd["low"], 2) if pick else None,
                round(pick.monthly_usd["high"], 2) if pick else None,
            ],
        )
    unmet = sum(1 for w in recommendation.workloads if w.pick is None)
    total: float | str = round(recommendation.total_monthly_cost_usd, 2)
    if unmet == len(recommendation.workloads):
        total = "none (no option meets all constraints)"
    _append(summary, ["Total", "", "", "", total, None, None])
    if unmet and isinstance(total, float):
        _append(summary, ["", "", "", "", f"not counting {plural(unmet, 'workload')} no option fits", None, None])
    _money_columns(summary, (5, 6, 7), first_row=len(cover) + 3)

    inputs = book.create_sheet("Inputs")
    _header(inputs, ["Workload or section", "Input", "Value", "Unit"])
    for row in input_rows(scenario, names):
        _append(inputs, [row["section"], row["item"], row["value"], row["unit"]])

    options = book.create_sheet("Options")
    _header(options, list(OPTION_COLUMNS))
    for row in option_rows(recommendation, names):
        _append(options, list(row.values()))
    money_cols = [i + 1 for i, c in enumerate(OPTION_COLUMNS) if "(USD" in c and "per request" not in c]
    _money_columns(options, money_cols, first_row=2)
    per_request = OPTION_COLUMNS.index("Cost per request (USD)") + 1
    _money_columns(options, [per_request], first_row=2, number_format=PER_REQUEST)

    monthly = book.create_sheet("Monthly cost")
    component_headers = [f"{title} (USD/month)" for _, title in COMPONENT_NAMES]
    _header(monthly, ["Workload", "Pick", *component_headers, "Total (USD/month)"])
    for w in recommendation.workloads:
        pick = w.pick
        if pick is None:
            _append(monthly, [w.workload.name, "no option meets all constraints", None, None, None, None, None])
            continue
        parts = [round(pick.breakdown_usd.get(key, 0.0), 2) for key, _ in COMPONENT_NAMES]
        _append(monthly, [w.workload.name, names.option(pick.option), *parts, round(sum(parts), 2)])
    last = monthly.max_row
    if unmet == len(recommendation.workloads):  # nothing to add up: no $0 total
        _append(monthly, ["Total", "none (no option meets all constraints)"])
    else:
        _append(monthly, ["Total", "", *[f"=SUM({_col(c)}2:{_col(c)}{last})" for c in range(3, 8)]], formulas=True)
    _money_columns(monthly, range(3, 8), first_row=2)
    _chart(monthly, last)

    price = book.create_sheet("Prices")
    rows = price_rows(recommendation, names)
    if rows:
        _header(price, list(rows[0]))
        for row in rows:
            _append(price, list(row.values()))
    for sheet in book.worksheets:
        _widths(sheet)
        sheet.freeze_panes = "A2" if sheet.title != "Summary" else None
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _append(sheet: Any, values: Any, formulas: bool = False) -> None:
    """A row whose text cells are text: a leading '=' makes no formula unless `formulas`."""
    sheet.append([None if v is None else v for v in values])
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and not (formulas and cell.value.startswith("=SUM(")):
            cell.data_type = "s"


def _header(sheet: Any, headers: list[str]) -> None:
    from openpyxl.styles import Font, PatternFill  # type: ignore[import-untyped]

    _append(sheet, headers)
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor=HEADER_FILL)


def _money_columns(sheet: Any, columns: Any, first_row: int, number_format: str = MONEY) -> None:
    for column in columns:
        for (cell,) in sheet.iter_rows(min_row=first_row, min_col=column, max_col=column):
            if isinstance(cell.value, int | float) or (isinstance(cell.value, str) and cell.data_type == "f"):
                cell.number_format = number_format


def _col(index: int) -> str:
    from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

    return str(get_column_letter(index))


def _widths(sheet: Any) -> None:
    for column in sheet.columns:
        longest = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        sheet.column_dimensions[column[0].column_letter].width = min(max(10, longest + 2), 60)


def _chart(sheet: Any, last_row: int) -> None:
    """Stacked bars: each workload's pick, split into API tokens, hardware, energy and ops."""
    from openpyxl.chart import BarChart, Reference  # type: ignore[import-untyped]

    chart = BarChart()
    chart.type = "bar"
    chart.grouping = "stacked"
    chart.overlap = 100
    chart.title = "What each pick's monthly bill is made of (USD)"
    chart.y_axis.title = "USD per month"
    chart.x_axis.title = "Workload"
    data = Reference(sheet, min_col=3, max_col=6, min_row=1, max_row=last_row)
    categories = Reference(sheet, min_col=1, min_row=2, max_row=last_row)
    chart.add_data(data, titles_from_data=True)
    chart.set_categories(categories)
    chart.height = 4 + 1.2 * max(last_row - 1, 1)
    chart.width = 22
    sheet.add_chart(chart, f"A{last_row + 3}")
