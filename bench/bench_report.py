"""Cost reports of a six-workload scenario: the HTML (size and time, plotly.js inlined once) and the PDF (Chromium)."""

from __future__ import annotations

import time
from pathlib import Path

from advisor.data.scenarios import load_scenario
from advisor.engine.recommend import recommend
from advisor.present.report import ReportInfo, report_html
from advisor.present.report_files import report_bytes

from .common import median_seconds, write_result

SCENARIO = Path(__file__).resolve().parent / "six-workloads.yaml"


def run() -> dict[str, object]:
    from advisor.present.report_pdf import pdf_unavailable

    recommendation = recommend(load_scenario(SCENARIO))
    info = ReportInfo(prepared_for="A customer", prepared_by="Sales")
    html = report_html(recommendation, info)
    html_s = median_seconds(lambda: report_html(recommendation, info), repeats=3)
    pdf_s = pdf_bytes = None
    why = pdf_unavailable()
    if why is None:
        start = time.perf_counter()
        pdf_bytes = len(report_bytes(recommendation, "pdf", info))
        pdf_s = time.perf_counter() - start
    return write_result(
        "report",
        {
            "workloads": len(recommendation.workloads),
            "html_s": html_s,
            "html_mb": len(html.encode()) / 1e6,
            "pdf_s": pdf_s,
            "pdf_mb": pdf_bytes / 1e6 if pdf_bytes else None,
            "pdf_unavailable": why,
            "target": "HTML < 2 s and < 10 MB; PDF < 15 s",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
