"""A real `streamlit run` of the app on a free localhost port, and Debian's Chromium to look at it.

Shared by the browser tests and the app benchmarks. Never a browser downloaded by Playwright: /usr/bin/chromium
comes from `make system-deps` (apt-get install chromium).
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from advisor.present.report_pdf import CHROMIUM_ARGS as PDF_CHROMIUM_ARGS

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
# The same flags the PDF reports use: one headless set for the product and its browser tests.
CHROMIUM_ARGS = list(PDF_CHROMIUM_ARGS)
STARTUP_S = 45


class AppServerError(RuntimeError):
    pass


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_app(
    log_path: Path, script: Path = REPO / "streamlit_app.py"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Start the app, wait until /_stcore/health answers, yield (url, process); stop it afterwards."""
    port = free_port()
    command = [
        sys.executable, "-m", "streamlit", "run", str(script),
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        server = subprocess.Popen(command, cwd=REPO, stdout=log, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + STARTUP_S
            while True:
                if server.poll() is not None:
                    raise AppServerError(f"streamlit exited with {server.returncode}:\n{log_path.read_text()}")
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, OSError):
                    pass
                if time.monotonic() > deadline:
                    raise AppServerError(f"streamlit not healthy after {STARTUP_S} s:\n{log_path.read_text()}")
                time.sleep(0.1)
            yield url, server
        finally:
            stop(server)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate a server process, killing it if it has not gone within 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def launch_chromium(playwright: Any) -> Any:
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)


def rss_mb(pid: int) -> float:
    """Resident memory of a process (Linux /proc), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AppServerError(f"no VmRSS for process {pid}")


IDLE_SELECTOR = '[data-testid="stApp"][data-test-script-state="notRunning"]'
"""The app once its script run has finished (Streamlit's own marker on the root element)."""


def wait_until_idle(page: Any, timeout_ms: int = 60_000) -> None:
    """Wait until the page's script run has finished, as a person waits for a page to load before typing: a field
    typed into within milliseconds of appearing can be drawn again by the rest of the first run."""
    page.locator(IDLE_SELECTOR).wait_for(state="attached", timeout=timeout_ms)


ARTIFACTS = REPO / "test-artifacts"
"""Where browser tests leave their screenshots."""


@contextmanager
def chromium_session() -> Iterator[Any]:
    """Debian's Chromium, headless, through Playwright, closed afterwards; test-artifacts/ exists for screenshots."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as playwright:
        launched = launch_chromium(playwright)
        try:
            yield launched
        finally:
            launched.close()


def type_into(page: Any, locator: Any, text: str, attempts: int = 3) -> None:
    """Type `text` into a field and leave it; type again if the field shows its old value afterwards.

    Just after a page loads, a locator matched by label (two workloads share one) sometimes reached, most likely,
    a copy of the form Streamlit was about to replace, and the typed figure was lost (2 loads in 10 here). Callers
    locate fields by their key (`.st-key-<key> input`); this check makes a lost entry a retry or an error, never a
    silent no-op."""
    for _ in range(attempts):
        locator.fill(text)
        locator.press("Tab")
        page.wait_for_timeout(300)
        if locator.input_value() == text:
            return
    raise AssertionError(f"the field kept {locator.input_value()!r} after typing {text!r} {attempts} times")
