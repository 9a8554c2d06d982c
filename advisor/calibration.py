"""Measured speeds for (model, quant, hardware): once a live run has measured a pair, estimates use it.

Stored as JSON under the advisor's data directory ($ADVISOR_HOME, default ~/.cache/rightsize).
"""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

from advisor.errors import AdvisorError


def data_dir() -> Path:
    home = os.environ.get("ADVISOR_HOME")
    return Path(home) if home else _default_dir()


@functools.cache
def _default_dir() -> Path:
    # Path.home() looks the user up each time; estimates call this for every model x hardware pair.
    return Path.home() / ".cache" / "rightsize"


def _store_path() -> Path:
    return data_dir() / "measurements.json"


def _key(model: str, quant: str, hardware: str) -> str:
    return f"{model}|{quant.upper()}|{hardware}"


_cache: dict[tuple[str, float], dict[str, dict[str, float]]] = {}


def _read_store() -> dict[str, dict[str, float]]:
    """The store's contents, re-read only when the file changes (fit estimates ask for it many times)."""
    path = _store_path()
    try:
        stamp = path.stat().st_mtime
    except OSError:
        return {}
    key = (str(path), stamp)
    if key not in _cache:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError):
            data = {}  # a damaged store falls back to estimates; the next measurement rewrites it
        _cache.clear()
        _cache[key] = data if isinstance(data, dict) else {}
    return _cache[key]


def measured_for(model: str, quant: str, hardware: str) -> dict[str, float]:
    """Measured `tokens_per_s` / `first_token_ms` for the pair, or {} when it has not been measured."""
    entry = _read_store().get(_key(model, quant, hardware), {})
    return {k: float(v) for k, v in entry.items() if k in ("tokens_per_s", "first_token_ms", "prompt_tokens")}


def measured_other_quant(model: str, quant: str, hardware: str) -> str | None:
    """Another quantisation of the same model measured on the same hardware, if any."""
    prefix, suffix = f"{model}|", f"|{hardware}"
    others = [
        key.removeprefix(prefix).removesuffix(suffix)
        for key in _read_store()
        if key.startswith(prefix) and key.endswith(suffix) and key != _key(model, quant, hardware)
    ]
    return others[-1] if others else None


def store_version() -> float:
    """Changes whenever a measurement is stored: caches of estimates key on it."""
    try:
        return _store_path().stat().st_mtime
    except OSError:
        return 0.0


def record_measurement(
    model: str,
    quant: str,
    hardware: str,
    tokens_per_s: float,
    first_token_ms: float | None = None,
    prompt_tokens: int | None = None,
) -> None:
    """Store a measured run; later estimates for the same pair say 'measured'.

    `prompt_tokens` is the length of the prompt whose first token took `first_token_ms`; with it, estimates carry
    the measurement to other prompt lengths (advisor.fit.Deployment.measured_first_token_s).
    """
    if not tokens_per_s > 0:
        raise AdvisorError(f"tokens_per_s: must be > 0, got {tokens_per_s}")
    if first_token_ms is not None and not first_token_ms > 0:
        raise AdvisorError(f"first_token_ms: must be > 0, got {first_token_ms}")
    if prompt_tokens is not None and prompt_tokens < 1:
        raise AdvisorError(f"prompt_tokens: must be >= 1, got {prompt_tokens}")
    store = _read_store()
    entry: dict[str, float] = {"tokens_per_s": float(tokens_per_s)}
    if first_token_ms is not None:
        entry["first_token_ms"] = float(first_token_ms)
        if prompt_tokens is not None:
            entry["prompt_tokens"] = float(prompt_tokens)
    store[_key(model, quant, hardware)] = entry
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=2, sort_keys=True), encoding="utf-8")
