"""Which API endpoint gets which key: the server's own key goes only to the base URL it is configured for.

The operator configures one endpoint for the app (environment or Streamlit secrets, read by the page and passed
here): `OPENAI_API_KEY` and, for a server other than OpenAI, `OPENAI_BASE_URL`. A visitor may run the API side
against that endpoint with the server's key, or against any other base URL with a key the visitor types (held in
the browser session only). The server's key is never sent to a URL a visitor typed, and the name of the variable
it comes from is not a visitor's choice. `RIGHTSIZE_API_HOSTS` (comma-separated host names) limits which hosts a
visitor's base URL may name, for a public deployment.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from advisor.runners import RunnerError

DEFAULT_BASE_URL = "https://api.openai.com/v1"
KEY_NAME = "OPENAI_API_KEY"
BASE_URL_NAME = "OPENAI_BASE_URL"
ALLOWED_HOSTS_NAME = "RIGHTSIZE_API_HOSTS"


@dataclass(frozen=True)
class ConfiguredEndpoint:
    """The endpoint the operator set up for the app, with its key (never shown, never sent elsewhere)."""

    base_url: str
    key: str = field(repr=False)


@dataclass(frozen=True)
class Credentials:
    """What one API run uses: the base URL, the key, and whose key it is (for the page's wording)."""

    base_url: str
    key: str = field(repr=False)
    key_owner: str  # "server" or "visitor"


def normalise_base_url(url: str) -> str:
    """Scheme and host in lower case, no trailing slash: two spellings of one endpoint compare equal."""
    parts = urlsplit(url.strip())
    return parts._replace(scheme=parts.scheme.lower(), netloc=parts.netloc.lower()).geturl().rstrip("/")


def configured_endpoint(*sources: Mapping[str, object]) -> ConfiguredEndpoint | None:
    """The operator's endpoint from the first source that has a key (e.g. os.environ, then the app's secrets)."""
    for source in sources:
        key = source.get(KEY_NAME)
        if isinstance(key, str) and key.strip():
            base = source.get(BASE_URL_NAME)
            base_url = base if isinstance(base, str) and base.strip() else DEFAULT_BASE_URL
            return ConfiguredEndpoint(normalise_base_url(base_url), key.strip())
    return None


def allowed_hosts(environment: Mapping[str, str]) -> frozenset[str] | None:
    """Hosts a visitor's base URL may name (RIGHTSIZE_API_HOSTS); None: any host."""
    value = environment.get(ALLOWED_HOSTS_NAME, "").strip()
    if not value:
        return None
    return frozenset(host.strip().lower() for host in value.split(",") if host.strip())


def credentials_for(
    typed_base_url: str,
    typed_key: str,
    server: ConfiguredEndpoint | None,
    hosts: frozenset[str] | None = None,
) -> Credentials:
    """The base URL and key for a visitor's run; RunnerError says what is missing in the page's words.

    An empty base URL, or the configured one, may use the server's key; any other base URL needs the visitor's own.
    """
    typed_base_url, typed_key = typed_base_url.strip(), typed_key.strip()
    server_base = server.base_url if server else normalise_base_url(DEFAULT_BASE_URL)
    base_url = normalise_base_url(typed_base_url) if typed_base_url else server_base
    if base_url == server_base:
        if typed_key:
            return Credentials(base_url, typed_key, "visitor")
        if server is not None:
            return Credentials(base_url, server.key, "server")
        raise RunnerError(
            "API key: this app has no key of its own for "
            f"{base_url}; type yours in the API key field (it stays in this browser session)"
        )
    host = (urlsplit(base_url).hostname or "").lower()
    if hosts is not None and host not in hosts:
        raise RunnerError(
            f"base URL: this app only calls {', '.join(sorted(hosts))} (the operator's {ALLOWED_HOSTS_NAME}); "
            f"got {host or typed_base_url[:80]!r}"
        )
    if not typed_key:
        raise RunnerError(
            f"API key: {base_url} is not this app's configured endpoint, so the app's own key is never sent there; "
            "type your key for it in the API key field (it stays in this browser session; for a local server "
            "with no auth any value works)"
        )
    return Credentials(base_url, typed_key, "visitor")


class Scrubber:
    """Replaces secrets in text shown to a visitor: a server that echoes what it received must not show them."""

    MIN_LENGTH = 6  # shorter values would blank out ordinary words

    def __init__(self, secrets: Iterable[str]) -> None:
        self._secrets = sorted({s for s in secrets if len(s) >= self.MIN_LENGTH}, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "[secret]")
        return text

    def __repr__(self) -> str:
        return f"Scrubber({len(self._secrets)} secrets)"


def secret_values(source: Mapping[str, object]) -> list[str]:
    """Every string value in a (nested) mapping of settings, e.g. the app's secrets."""
    values: list[str] = []
    for value in source.values():
        if isinstance(value, str):
            values.append(value)
        elif isinstance(value, Mapping):
            values.extend(secret_values(value))
    return values


@dataclass(frozen=True)
class Preset:
    """A common OpenAI-compatible endpoint: its base URL, and the genai-prices provider whose curated models the
    page offers for it (None: a server the team runs, serving whatever model it loaded)."""

    name: str
    base_url: str
    provider: str | None
    note: str = ""


PRESETS: tuple[Preset, ...] = (
    Preset("OpenAI", "https://api.openai.com/v1", "openai"),
    Preset(
        "Azure OpenAI",
        "https://YOUR-RESOURCE.openai.azure.com/openai/v1",
        "openai",
        "replace YOUR-RESOURCE with your resource name; the model is your deployment's name",
    ),
    Preset("OpenRouter", "https://openrouter.ai/api/v1", None, "model ids look like openai/gpt-4o-mini"),
    Preset("Groq", "https://api.groq.com/openai/v1", "groq"),
    Preset("Together", "https://api.together.xyz/v1", "together"),
    Preset("Fireworks", "https://api.fireworks.ai/inference/v1", "fireworks"),
    Preset("Mistral", "https://api.mistral.ai/v1", "mistral"),
    Preset("vLLM on this machine", "http://127.0.0.1:8000/v1", None, "the model is the name vLLM serves"),
    Preset("Ollama on this machine", "http://127.0.0.1:11434/v1", None, "the model is an Ollama tag, e.g. llama3.1"),
    Preset(
        "llama.cpp server on this machine",
        "http://127.0.0.1:8080/v1",
        None,
        "python -m llama_cpp.server or llama-server; any value works as the key",
    ),
)
"""Base URLs as each provider's documentation gives them for its OpenAI-compatible API."""


def priced_models(chosen: Preset, api_notes: Iterable[Any]) -> list[str]:
    """The curated API models (catalog `api_notes`) of the preset's provider: the ones the advisor prices and ranks."""
    return [note.model for note in api_notes if chosen.provider is not None and note.provider == chosen.provider]


def preset(name: str) -> Preset:
    for candidate in PRESETS:
        if candidate.name == name:
            return candidate
    raise RunnerError(f"endpoint: must be one of {', '.join(p.name for p in PRESETS)}, got {name[:60]!r}")
