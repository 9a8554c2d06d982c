"""`make docs`: every notebook executed and rendered to HTML in docs/notebooks/, and the API reference in docs/api/.

    python -m scripts.render_docs                 # both
    python -m scripts.render_docs --notebooks 01  # only notebooks whose name contains 01 (and no API reference)
    python -m scripts.render_docs --api-only

Notebooks run top to bottom on a real kernel (nbclient), as tests/test_notebooks.py runs them, in a scratch data
folder (ADVISOR_HOME) with no team store (ADVISOR_DB_URL unset): the live benchmark's calibration reaches neither
your measurements nor your team's. The pages open offline: every plotly figure draws with one shared copy of
plotly.js (docs/notebooks/plotly.min.js, from the installed plotly package), and nothing is loaded from elsewhere.

The API reference is pdoc's (docstrings in Markdown), in docs/api/: `advisor` (every name of `advisor.__all__`),
`advisor.charts`, and the modules the notebooks use for live runs, measurements and the store.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import re
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = REPO / "notebooks"
DOCS = REPO / "docs"
NOTEBOOK_DOCS = DOCS / "notebooks"
API_DOCS = DOCS / "api"
PLOTLY_MIME = "application/vnd.plotly.v1+json"
CELL_TIMEOUT_S = 600
API_MODULES = [
    "advisor",  # the names an analyst uses (advisor.__all__)
    "advisor.present.charts",  # advisor.charts: the plotly figures
    "advisor.compare",  # live runs side by side, calibration
    "advisor.runners",
    "advisor.data.measurements",  # the measurement store
    "advisor.data.store",  # the scenario store (and the team's measurements)
]
"""What the reference documents (pdoc module specs): the public API and the modules the notebooks use."""
REMOTE_SCRIPT = re.compile(r"<script\b[^>]*\bsrc=[\"']https?://[^\"']*[\"'][^>]*>\s*</script>\s*", re.IGNORECASE)
"""nbconvert's templates load require.js and MathJax from a CDN: no notebook here needs either (and with require.js
on the page plotly.js would not define `Plotly`)."""


def plotly_html(figure: dict[str, Any], number: int) -> str:
    """A figure as a div and the script that draws it with the page's plotly.js."""
    div = f"plotly-figure-{number}"
    spec = json.dumps({"data": figure.get("data", []), "layout": figure.get("layout", {})}, separators=(",", ":"))
    spec = spec.replace("</", "<\\/")  # a `</script>` inside a label must not end the script
    return (
        f'<div id="{div}" class="plotly-graph-div" style="width:100%;min-height:420px"></div>\n'
        f'<script>(function(){{var f={spec};Plotly.newPlot("{div}",f.data,f.layout,{{responsive:true}});}})();'
        "</script>"
    )


def with_static_figures(notebook: Any) -> int:
    """Give every plotly output an HTML form the page draws (nbconvert shows no plotly MIME type); how many."""
    count = 0
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if PLOTLY_MIME in data:
                count += 1
                data["text/html"] = plotly_html(data.pop(PLOTLY_MIME), count)
                data.pop("text/plain", None)
    return count


def render_notebook(path: Path, out_dir: Path) -> tuple[Path, float, int]:
    """Execute one notebook and write it as HTML; returns the page, the seconds it ran and its figure count."""
    import nbformat
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from nbconvert import HTMLExporter

    notebook = nbformat.read(path, as_version=4)
    started = time.perf_counter()
    try:
        NotebookClient(
            notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
        ).execute()
    except CellExecutionError as e:
        raise RuntimeError(f"{path.name}: a cell failed: {e.ename}: {e.evalue}") from None
    seconds = time.perf_counter() - started
    figures = with_static_figures(notebook)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(notebook)
    body = REMOTE_SCRIPT.sub("", body)
    body = body.replace("</head>", '<script src="plotly.min.js"></script>\n</head>', 1)
    page = out_dir / f"{path.stem}.html"
    page.write_text(body, encoding="utf-8")
    return page, seconds, figures


def index_page(rows: list[tuple[Path, float, int]]) -> str:
    items = "\n".join(
        f'<li><a href="{html.escape(page.name)}">{html.escape(page.stem)}</a> '
        f"(ran in {seconds:.0f} s, {figures} figure{'s' if figures != 1 else ''})</li>"
        for page, seconds, figures in rows
    )
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><title>Rightsize notebooks</title></head>\n'
        '<body style="font-family:sans-serif;max-width:50em;margin:2em auto">\n<h1>Rightsize notebooks</h1>\n'
        "<p>Each notebook of <code>notebooks/</code>, executed top to bottom by <code>make docs</code> on "
        f'{time.strftime("%Y-%m-%d")}. The API reference is in <a href="../api/index.html">../api/</a>.</p>\n'
        f"<ul>\n{items}\n</ul>\n</body></html>\n"
    )


def render_notebooks(selected: list[str] | None, out_dir: Path = NOTEBOOK_DOCS) -> list[tuple[Path, float, int]]:
    """Execute the notebooks (those whose file name contains one of `selected`, or all) into HTML in `out_dir`,
    with plotly.js beside them; all of them also get an index page. Returns (page, seconds, figures) for each."""
    import plotly

    paths = sorted(NOTEBOOKS.glob("*.ipynb"))
    if selected:
        paths = [p for p in paths if any(s in p.name for s in selected)]
    if not paths:
        raise RuntimeError(f"no notebook in {NOTEBOOKS} matches {selected}")
    out_dir.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(plotly.__file__).parent / "package_data" / "plotly.min.js", out_dir / "plotly.min.js")
    rows = []
    saved = {key: os.environ.get(key) for key in ("ADVISOR_HOME", "ADVISOR_DB_URL")}
    try:
        with tempfile.TemporaryDirectory(prefix="rightsize-docs-") as home:
            # The kernels inherit this environment: a scratch data folder, no team store.
            os.environ["ADVISOR_HOME"] = home
            os.environ.pop("ADVISOR_DB_URL", None)
            for path in paths:
                page, seconds, figures = render_notebook(path, out_dir)
                print(f"{path.name}: ran in {seconds:.1f} s, {figures} figures -> {page}", flush=True)
                rows.append((page, seconds, figures))
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    if not selected:
        (out_dir / "index.html").write_text(index_page(rows), encoding="utf-8")
    return rows


def render_api(out_dir: Path = API_DOCS) -> Path:
    """pdoc's reference of API_MODULES in `out_dir` (replaced whole); returns the `advisor` page."""
    import pdoc
    import pdoc.render

    pdoc.render.configure(docformat="markdown", show_source=False, search=False, footer_text="Rightsize advisor")
    if out_dir.exists():
        shutil.rmtree(out_dir)  # no page of a module that is gone
    pdoc.pdoc(*API_MODULES, output_directory=out_dir)
    pages = sorted(out_dir.rglob("*.html"))
    print(f"API reference: {len(pages)} pages -> {out_dir}", flush=True)
    return out_dir / "advisor.html"


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scripts.render_docs", description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", nargs="*", metavar="NAME", help="only notebooks whose file name contains NAME")
    parser.add_argument("--api-only", action="store_true", help="only the API reference")
    args = parser.parse_args(argv)
    try:
        if not args.api_only:
            render_notebooks(args.notebooks)
        if not args.notebooks:
            render_api()
    except (RuntimeError, OSError) as e:
        print(f"render_docs: error: {e}", file=sys.stderr)
        return 1
    for folder in (NOTEBOOK_DOCS, API_DOCS):
        if folder.exists():
            print(f"{folder.relative_to(REPO)}: {size_of(folder) / 1e6:.1f} MB", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
