"""Shared fixtures: every test runs with its own advisor data directory and no API keys from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
EXAMPLES = REPO / "examples"


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point caches, the measurement store and the scenario store at tmp_path; drop keys and store addresses a
    developer may have set."""
    home = tmp_path / "advisor-home"
    monkeypatch.setenv("ADVISOR_HOME", str(home))
    for key in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "ADVISOR_DEBUG", "ADVISOR_DB_URL", "ADVISOR_PUBLIC_URL"):
        monkeypatch.delenv(key, raising=False)
    return home


@pytest.fixture(scope="session", autouse=True)
def shared_models_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One models folder for the whole run: the embedded default model is assembled (and checksummed) once."""
    import os

    folder = tmp_path_factory.mktemp("models")
    os.environ["ADVISOR_MODELS_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session")
def catalog():  # type: ignore[no-untyped-def]
    from advisor.data.catalog import load_catalog

    return load_catalog()


@pytest.fixture(scope="module")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """llama.cpp's OpenAI-compatible server with the bundled model, standing in for an API: (base URL, model id)."""
    from tests.llama_server import LlamaServerError, running_llama_server

    try:
        with running_llama_server(tmp_path_factory.mktemp("llama-server")) as started:
            yield started
    except LlamaServerError as e:
        pytest.fail(str(e))
