"""Short links to saved scenarios (`?s=<id>`) and the public address they start with.

The address is `ADVISOR_PUBLIC_URL` when set (a hosted app: `https://rightsize.example.com`); otherwise Streamlit's
own `browser.serverAddress` / `browser.serverPort` (or `server.port`) settings, read from the environment
(`STREAMLIT_BROWSER_SERVER_ADDRESS`...) or `.streamlit/config.toml` like Streamlit reads them, and at last
`http://localhost:8501`. The app passes the address the browser used as the last fallback instead.
"""

from __future__ import annotations

import os
import re
import secrets
from pathlib import Path
from typing import Any

from advisor.errors import AdvisorError

SHORT_QUERY_KEY = "s"
VERSION_QUERY_KEY = "v"
PUBLIC_URL_ENV = "ADVISOR_PUBLIC_URL"
ID_BYTES = 9
"""`secrets.token_urlsafe(9)`: 12 characters, 72 random bits; a link cannot be guessed from another one."""
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{8,32}")
DEFAULT_BASE = "http://localhost:8501"
RESULT_PAGE = "recommendation"
"""Short links open the app on its Recommendation page: the result is what a link is sent for."""


class LinkError(AdvisorError, ValueError):
    """A short link or a public address that is not one the advisor can use."""


def new_id() -> str:
    """A fresh short id that starts and ends with a letter or digit: one starting with '-' would read as an option
    on the command line (`advisor store show -x...`), and one ending with '-' or '_' is easily lost when a link is
    copied from text. Drawn again until it does (about 94% of draws already do)."""
    while True:
        candidate = secrets.token_urlsafe(ID_BYTES)
        if candidate[0].isalnum() and candidate[-1].isalnum():
            return candidate


def check_id(value: str) -> str:
    """A short id as given in a link or on the command line; LinkError when it cannot be one."""
    value = value.strip()
    if not ID_PATTERN.fullmatch(value):
        shown = value if len(value) <= 40 else value[:37] + "..."
        raise LinkError(
            f"short link: '{SHORT_QUERY_KEY}' must be a saved scenario's id (8 to 32 letters, digits, '-' or '_'), "
            f"got {shown!r}"
        )
    return value


def check_public_url(value: str, origin: str = PUBLIC_URL_ENV) -> str:
    """An http(s) address without user, password, query or fragment; returned without its trailing slash."""
    from urllib.parse import urlsplit

    text = value.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if (
        parts is None
        or parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.username is not None
        or parts.password is not None
        or parts.query
        or parts.fragment
        or any(c.isspace() for c in text)
    ):
        raise LinkError(
            f"{origin}: must be an http:// or https:// address such as https://rightsize.example.com (a path is "
            "allowed; no user, password, query or fragment)"
        )
    return text.rstrip("/")


def public_base_url(fallback: str | None = None) -> str:
    """Where links to the app start: ADVISOR_PUBLIC_URL, Streamlit's browser address settings, `fallback`, or
    http://localhost:8501."""
    configured = os.environ.get(PUBLIC_URL_ENV, "").strip()
    if configured:
        return check_public_url(configured)
    from_streamlit = _streamlit_address()
    if from_streamlit:
        return from_streamlit
    if fallback:
        return fallback.split("?")[0].split("#")[0].rstrip("/")
    return DEFAULT_BASE


def short_link(scenario_id: str, base: str | None = None, version: int | None = None) -> str:
    """The short link to a saved scenario (its current version, or `version`), on the Recommendation page."""
    root = (base or public_base_url()).rstrip("/")
    tail = f"&{VERSION_QUERY_KEY}={version}" if version is not None else ""
    return f"{root}/{RESULT_PAGE}?{SHORT_QUERY_KEY}={scenario_id}{tail}"


def streamlit_address(address: str | None, port: Any, base_path: str | None = None) -> str | None:
    """`http(s)://address[:port][/base_path]` from Streamlit's settings, or None without an address."""
    if not address:
        return None
    address = str(address).strip().rstrip("/")
    if "://" not in address:
        try:
            number = int(port) if port not in (None, "") else 8501
        except (TypeError, ValueError):
            number = 8501
        scheme = "https" if number == 443 else "http"
        shown_port = "" if number in (80, 443) else f":{number}"
        address = f"{scheme}://{address}{shown_port}"
    path = (base_path or "").strip("/")
    return check_public_url(f"{address}/{path}" if path else address, "Streamlit's browser.serverAddress")


def _streamlit_address() -> str | None:
    """browser.serverAddress (+ port) as Streamlit would read it, without importing Streamlit."""
    settings: dict[str, dict[str, Any]] = {}
    for path in (Path.home() / ".streamlit" / "config.toml", Path.cwd() / ".streamlit" / "config.toml"):
        for section, values in _read_toml(path).items():
            if isinstance(values, dict):
                settings.setdefault(section, {}).update(values)

    def option(section: str, name: str, env: str) -> Any:
        return os.environ.get(env) or settings.get(section, {}).get(name)

    address = option("browser", "serverAddress", "STREAMLIT_BROWSER_SERVER_ADDRESS")
    port = option("browser", "serverPort", "STREAMLIT_BROWSER_SERVER_PORT") or option(
        "server", "port", "STREAMLIT_SERVER_PORT"
    )
    base_path = option("server", "baseUrlPath", "STREAMLIT_SERVER_BASE_URL_PATH")
    return streamlit_address(address, port, base_path)


def _read_toml(path: Path) -> dict[str, Any]:
    import tomllib

    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError):
        return {}  # Streamlit itself reports a broken config file when the app starts
