"""Every notebook in notebooks/ runs top to bottom on a real kernel, against the installed library, and is stored
without outputs."""

from __future__ import annotations

import time
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parent.parent / "notebooks").glob("*.ipynb"))
LIMIT_S = {"06-hybrid-lab": 300}
"""Seconds a notebook may take (default 120): the Hybrid lab runs two models on ten prompts, on 2 shared cores."""


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 3


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_top_to_bottom(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    assert all(not cell.get("outputs") for cell in notebook.cells if cell.cell_type == "code"), "stored with outputs"
    started = time.perf_counter()
    limit = LIMIT_S.get(path.stem, 120)
    NotebookClient(
        notebook, timeout=limit, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    assert time.perf_counter() - started < limit
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    # The recommendation shows as an HTML table, not as a dataclass repr.
    shown = [o for o in outputs if o.output_type == "execute_result"]
    assert any("text/html" in o.data for o in shown)


def test_make_docs_renders_notebooks_offline_and_the_api_reference(tmp_path: Path) -> None:
    """`make docs` (scripts/render_docs.py) on the quickstart: executed, figures drawn by the shared plotly.js beside
    the page, no script loaded from elsewhere; and the API reference documents every name of advisor.__all__."""
    import re

    import advisor
    from scripts import render_docs

    ((page, seconds, figures),) = render_docs.render_notebooks(["01-"], tmp_path / "notebooks")
    text = page.read_text(encoding="utf-8")
    assert figures >= 1 and text.count("Plotly.newPlot(") == figures and seconds < 120
    assert '<script src="plotly.min.js"></script>' in text
    assert (tmp_path / "notebooks" / "plotly.min.js").stat().st_size > 1_000_000
    assert not re.search(r"<script\b[^>]*\bsrc=[\"']https?://", text, re.IGNORECASE)

    reference = render_docs.render_api(tmp_path / "api").read_text(encoding="utf-8")
    modules = {"charts"}
    for name in sorted(set(advisor.__all__) - modules):
        assert f'<section id="{name}">' in reference, name
    assert (tmp_path / "api" / "advisor" / "present" / "charts.html").is_file()
