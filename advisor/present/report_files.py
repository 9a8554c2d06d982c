"""Report files: one recommendation as HTML, PDF, XLSX or CSV bytes, written to a file or offered as downloads.

The formats themselves live in `report` (HTML, CSV and what they share), `report_pdf` (the HTML printed by
Chromium) and `report_xlsx`; this module picks between them, so each of those imports only what it builds on.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.present.report import (
    FORMATS,
    MEDIA_TYPES,
    ReportError,
    ReportInfo,
    file_stem,
    report_csv,
    report_format,
    report_html,
)

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.engine.recommend import Recommendation
    from advisor.schema.scenario import Scenario


def report_bytes(
    recommendation: Recommendation, fmt: str, info: ReportInfo | None = None, catalog: Catalog | None = None
) -> bytes:
    """The report in one of FORMATS, as the bytes of the file."""
    info = info or ReportInfo()
    fmt = report_format("", fmt)
    if fmt == "html":
        return report_html(recommendation, info, catalog).encode("utf-8")
    if fmt == "pdf":
        from advisor.present.report_pdf import html_to_pdf

        made = info
        return html_to_pdf(lambda: report_html(recommendation, made, catalog))
    if fmt == "xlsx":
        from advisor.present.report_xlsx import report_xlsx

        return report_xlsx(recommendation, info, catalog)
    return report_csv(recommendation, catalog).encode("utf-8")


def write_report(
    recommendation: Recommendation,
    path: str | Path,
    fmt: str | None = None,
    info: ReportInfo | None = None,
    catalog: Catalog | None = None,
) -> Path:
    """Write the report to `path` (the format from its suffix unless `fmt`); a half-written file never remains."""
    target = Path(path)
    data = report_bytes(recommendation, report_format(target, fmt), info, catalog)
    partial = target.with_name(f".{target.name}.partial")
    try:
        partial.write_bytes(data)
        partial.replace(target)
    except OSError as e:
        partial.unlink(missing_ok=True)
        raise ReportError(f"output: cannot write {str(target)[:200]!r}: {e.strerror or e}") from None
    return target


@dataclass(frozen=True)
class Download:
    """One report format as a download: its label, file name, media type, and why it cannot be made (or None)."""

    fmt: str
    label: str
    file_name: str
    mime: str
    unavailable: str | None = None


DOWNLOAD_LABELS = {
    "html": "Report (HTML)",
    "pdf": "Report (PDF)",
    "xlsx": "Spreadsheet (XLSX)",
    "csv": "Options and costs (CSV)",
}


def report_downloads(scenario: Scenario) -> list[Download]:
    """The report downloads a page offers for `scenario`; the PDF says why when this machine cannot print one."""
    from advisor.present.report_pdf import pdf_unavailable

    stem = file_stem(scenario)
    return [
        Download(
            fmt,
            DOWNLOAD_LABELS[fmt],
            f"{stem}-cost-report.{fmt}" if fmt != "csv" else f"{stem}-options.csv",
            MEDIA_TYPES[fmt],
            pdf_unavailable() if fmt == "pdf" else None,
        )
        for fmt in FORMATS
    ]
