"""The "Cost report" popover the Recommendation and Costs pages share: who it is for and by, then one download
button per format. Each file is made only when its button is pressed (the PDF takes seconds)."""

from __future__ import annotations

import functools

import streamlit as st

from advisor.engine.recommend import Recommendation
from advisor.errors import AdvisorError
from advisor.present.report import ReportInfo
from advisor.present.report_files import report_bytes, report_downloads
from advisor.present.words import plain


def report_buttons(recommendation: Recommendation, key_prefix: str, note: str | None = None) -> None:
    """The report of `recommendation` in every format; widget keys start with `key_prefix`."""
    with st.popover("Cost report", icon=":material/summarize:", width="stretch"):
        if note:
            st.caption(note)
        prepared_for = st.text_input("Prepared for", key=f"{key_prefix}_report_for", max_chars=200)
        prepared_by = st.text_input("Prepared by", key=f"{key_prefix}_report_by", max_chars=200)
        try:
            info = ReportInfo(prepared_for=prepared_for, prepared_by=prepared_by)
        except AdvisorError as e:
            st.error(plain(str(e)), icon=":material/error:")
            return
        for download in report_downloads(recommendation.scenario):
            st.download_button(
                download.label,
                functools.partial(report_bytes, recommendation, download.fmt, info),
                file_name=download.file_name,
                mime=download.mime,
                key=f"{key_prefix}_report_{download.fmt}",
                help=download.unavailable,
                disabled=download.unavailable is not None,
                on_click="ignore",
                width="stretch",
            )
