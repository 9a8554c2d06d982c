"""The PDF report: the HTML report printed by Debian's Chromium through Playwright (never a downloaded browser).

Charts stay vector (plotly draws SVG; Chromium prints it as paths). The page is set with the network cut off: the
report needs nothing but itself. Without Chromium or Playwright the error says so in one line; HTML still works.
"""

from __future__ import annotations

import functools
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from advisor.present.report import ReportError

if TYPE_CHECKING:
    from playwright.sync_api import Route

CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
RENDER_TIMEOUT_MS = 60_000
FOOTER = (
    '<div style="font-size:8px;width:100%;text-align:right;padding:0 15mm;color:#6B7280">'
    'Page <span class="pageNumber"></span> of <span class="totalPages"></span></div>'
)


def chromium_path() -> Path | None:
    """Chromium to print with: $ADVISOR_CHROMIUM, else Debian's."""
    configured = os.environ.get("ADVISOR_CHROMIUM")
    if configured:
        return Path(configured) if Path(configured).is_file() else None
    for candidate in CHROMIUM_CANDIDATES:
        if Path(candidate).is_file():
            return Path(candidate)
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    return Path(found) if found else None


def pdf_unavailable() -> str | None:
    """Why a PDF cannot be made here, in one line; None when it can (checked once per Chromium setting)."""
    return _unavailable(os.environ.get("ADVISOR_CHROMIUM"))


@functools.cache
def _unavailable(configured: str | None) -> str | None:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "PDF reports need the playwright package (pip install playwright); the HTML report works without it"
    if chromium_path() is None:
        where = os.environ.get("ADVISOR_CHROMIUM") or "/usr/bin/chromium"
        return (
            f"PDF reports need Chromium, not found at {where} (Debian: apt-get install chromium, or `make "
            "browser-deps`); the HTML report works without it"
        )
    return None


def html_to_pdf(html: str | Callable[[], str]) -> bytes:
    """Print `html` (a self-contained page, or a function making it while Chromium starts) to an A4 PDF once its
    charts are drawn."""
    reason = pdf_unavailable()
    if reason:
        raise ReportError(reason)
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    from concurrent.futures import ThreadPoolExecutor

    try:
        with ThreadPoolExecutor(max_workers=1) as pool, sync_playwright() as playwright:
            made = pool.submit(html) if callable(html) else None
            browser = playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
            try:
                content = made.result() if made is not None else html
                assert isinstance(content, str)
                page = browser.new_page()
                page.route("**/*", _offline)
                page.set_content(content, wait_until="load", timeout=RENDER_TIMEOUT_MS)
                page.wait_for_function(
                    "() => [...document.querySelectorAll('.plotly-graph-div')]"
                    ".every(d => d.querySelector('.main-svg'))",
                    timeout=RENDER_TIMEOUT_MS,
                )
                page.emulate_media(media="print")
                pdf: bytes = page.pdf(
                    format="A4",
                    print_background=True,
                    prefer_css_page_size=True,
                    display_header_footer=True,
                    header_template="<span></span>",
                    footer_template=FOOTER,
                )
            finally:
                browser.close()
    except PlaywrightError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ReportError(
            f"PDF: Chromium could not print the report ({first[:200]}); the HTML report still works"
        ) from None
    return pdf


def _offline(route: Route) -> None:
    """Only the page itself and inline data may load."""
    if route.request.url.startswith(("data:", "about:", "blob:")):
        route.continue_()
    else:
        route.abort()
