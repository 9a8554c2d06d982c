"""Take the README's screenshots of every page: `python -m scripts.screenshots` writes docs/<page>.png.

Runs the real app with `streamlit run` and Debian's Chromium, like the browser tests, on the shoe-store example
(the app's opening scenario) so the pictures show what a new user sees first.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from tests.app_server import REPO, launch_chromium, running_app

DOCS = REPO / "docs"
WAIT_MS = 60_000
SETTLED_JS = """() => {
  const charts = document.querySelectorAll('[data-testid="stPlotlyChart"]').length;
  const drawn = document.querySelectorAll('[data-testid="stPlotlyChart"] .main-svg').length;
  return drawn >= charts && document.querySelectorAll('[data-testid="stSkeleton"]').length === 0;
}"""
"""Every chart drawn and no element still loading: the picture shows the page, not its placeholders."""
# page path, file name, height in pixels, a button to press first (or None), what must be on screen for the picture
SHOTS = [
    ("", "questionnaire", 1500, None, '[data-testid="stForm"]'),
    ("recommendation", "recommendation", 1500, None, ".js-plotly-plot .main-svg"),
    ("costs", "costs", 1500, None, ".js-plotly-plot .main-svg"),
    ("catalog", "catalog", 1500, None, '[data-testid="stDataFrame"]'),
    ("live_compare", "live-compare", 1700, "Run both", ".js-plotly-plot .main-svg"),
]


def main() -> int:
    from playwright.sync_api import sync_playwright

    DOCS.mkdir(exist_ok=True)
    with (
        tempfile.TemporaryDirectory() as folder,
        running_app(Path(folder) / "streamlit.log") as (url, _server),
        sync_playwright() as playwright,
    ):
        browser = launch_chromium(playwright)
        try:
            for path, name, height, button, ready in SHOTS:
                page = browser.new_page(viewport={"width": 1440, "height": height}, device_scale_factor=1)
                page.goto(f"{url}/{path}", wait_until="domcontentloaded")
                if button:
                    page.get_by_role("button", name=button).click(timeout=WAIT_MS)
                page.locator(ready).first.wait_for(state="visible", timeout=WAIT_MS)
                page.wait_for_function(SETTLED_JS, timeout=WAIT_MS, polling=200)
                page.wait_for_timeout(1500)  # let plotly finish its transition and fonts settle
                target = DOCS / f"{name}.png"
                page.screenshot(path=str(target))
                print(target.relative_to(REPO))
                page.close()
        finally:
            browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
