"""What the pages that call an API model share (Live compare, Hybrid lab): the operator's endpoint and key from the
environment or Streamlit secrets, the scrubber that blanks them out of anything shown, and the endpoint presets.

Helpers only; each page passes its own key prefix (`live`, `lab`)."""

from __future__ import annotations

import os
from typing import Any

import streamlit as st

from advisor.runners.endpoints import (
    ConfiguredEndpoint,
    Scrubber,
    configured_endpoint,
    preset,
    priced_models,
    secret_values,
)
from pages import catalog

OWN_ENDPOINT = "This app's endpoint, or a URL I type"
"""The endpoint choice that is not a preset: the operator's endpoint, or a base URL the visitor types."""


def app_secrets() -> dict[str, object]:
    """The app's Streamlit secrets as plain data ({} when there is no secrets.toml)."""
    try:
        return {name: st.secrets[name] for name in st.secrets}
    except (FileNotFoundError, KeyError, st.errors.StreamlitSecretNotFoundError):
        return {}


def server_endpoint() -> ConfiguredEndpoint | None:
    """The operator's endpoint and key: the environment first, then Streamlit secrets."""
    return configured_endpoint(os.environ, app_secrets())


def scrubber(*typed: str) -> Scrubber:
    """Blanks out the app's own secrets in anything a server sends back, and the `typed` ones (a visitor's key)."""
    server = server_endpoint()
    return Scrubber([*([server.key] if server else []), *secret_values(app_secrets()), *typed])


def apply_preset(prefix: str) -> None:
    """on_change of `<prefix>_preset`: fill the base URL (and a priced model, when none is typed) from the preset."""
    choice = st.session_state[f"{prefix}_preset"]
    if choice == OWN_ENDPOINT:
        st.session_state[f"{prefix}_api_base"] = ""
        return
    chosen = preset(choice)
    st.session_state[f"{prefix}_api_base"] = chosen.base_url
    models = priced_models(chosen, catalog().api_notes)
    if models and not st.session_state.get(f"{prefix}_api_model", "").strip():
        st.session_state[f"{prefix}_api_model"] = models[0]


def endpoint_fields(prefix: str, base_at: Any = st, key_at: Any = st, example: str = "") -> tuple[str, str]:
    """The base URL and API key a visitor may type (`<prefix>_api_base`, `<prefix>_api_key`), in the containers
    given (columns, or the page); empty means the operator's endpoint and key. Returns (base URL, typed key)."""
    server = server_endpoint()
    base = base_at.text_input(
        "Base URL",
        key=f"{prefix}_api_base",
        placeholder=f"{server.base_url} (this app's key)" if server else "OpenAI (default)",
        help=f"Empty: this app's configured endpoint. Another URL{example} needs your key.",
    )
    typed_key = key_at.text_input(
        "API key",
        type="password",
        key=f"{prefix}_api_key",
        placeholder="this app's key" if server else "your key",
        help="Your key for the base URL. It stays in this browser session: never stored, logged or linked.",
    )
    return str(base), str(typed_key)
