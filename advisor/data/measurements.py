"""Measured speeds for (model, quant, hardware): once a live run has measured a pair, estimates use it.

Stored as JSON under the advisor's data directory ($ADVISOR_HOME, default ~/.cache/rightsize). The store is read
into an immutable `Measurements` that the catalog snapshot carries; the engine never reads the file itself.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from pydantic import Field, ValidationError

from advisor.errors import AdvisorError
from advisor.schema.base import Record
from advisor.schema.reader import parse_yaml

MEASURED_FIGURES = ("tokens_per_s", "first_token_ms", "prompt_tokens")


class StoredMeasurement(Record):
    """One entry of the store: what a live run measured for a (model, quant, hardware) pair."""

    tokens_per_s: float = Field(gt=0, le=1e6, description="Decode speed of one request, tokens per second.")
    first_token_ms: float | None = Field(default=None, gt=0, le=1e7, description="Time to the first token, ms.")
    prompt_tokens: float | None = Field(
        default=None, ge=1, le=1e8, description="Length of the prompt whose first token took first_token_ms."
    )


def data_dir() -> Path:
    home = os.environ.get("ADVISOR_HOME")
    return Path(home) if home else _default_dir()


@functools.cache
def _default_dir() -> Path:
    # Path.home() looks the user up each time.
    return Path.home() / ".cache" / "rightsize"


def _store_path() -> Path:
    return data_dir() / "measurements.json"


def pair_key(model: str, quant: str, hardware: str) -> str:
    return f"{model}|{quant.upper()}|{hardware}"


@dataclass(frozen=True)
class Measurements:
    """Measured figures by pair key (`model|QUANT|hardware`), read-only."""

    entries: Mapping[str, Mapping[str, float]] = field(default_factory=lambda: MappingProxyType({}))

    def for_pair(self, model: str, quant: str, hardware: str) -> dict[str, float]:
        """Measured `tokens_per_s` / `first_token_ms` / `prompt_tokens` for the pair, or {} when not measured."""
        return dict(self.entries.get(pair_key(model, quant, hardware), {}))

    def other_quant(self, model: str, quant: str, hardware: str) -> str | None:
        """Another quantisation of the same model measured on the same hardware, if any."""
        prefix, suffix = f"{model}|", f"|{hardware}"
        others = [
            key.removeprefix(prefix).removesuffix(suffix)
            for key in self.entries
            if key.startswith(prefix) and key.endswith(suffix) and key != pair_key(model, quant, hardware)
        ]
        return others[-1] if others else None

    def __len__(self) -> int:
        return len(self.entries)


def _parse_store(text: str) -> dict[str, dict[str, float]]:
    """The store's valid entries; a damaged file or a wrong-typed entry is skipped (estimates stand in for it)."""
    try:
        data = parse_yaml(text, "measurements.json", AdvisorError)  # the product's one reader, JSON branch
    except AdvisorError:
        return {}
    if not isinstance(data, dict):
        return {}
    entries: dict[str, dict[str, float]] = {}
    for key, value in data.items():
        if not isinstance(value, dict) or key.count("|") != 2:
            continue
        try:
            entry = StoredMeasurement.model_validate(value)
        except ValidationError:
            continue
        entries[key] = {name: float(v) for name, v in entry.model_dump().items() if v is not None}
    return entries


def read_measurements() -> Measurements:
    """The measurements stored so far (empty when none, or when the store cannot be read)."""
    try:
        text = _store_path().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return Measurements()
    return Measurements(MappingProxyType({k: MappingProxyType(v) for k, v in _parse_store(text).items()}))


def store_version() -> tuple[str, float]:
    """Changes whenever a measurement is stored: caches of estimates key on it."""
    path = _store_path()
    try:
        return (str(path), path.stat().st_mtime)
    except OSError:
        return (str(path), 0.0)


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
    the measurement to other prompt lengths (advisor.engine.fit.Deployment.measured_first_token_s).
    """
    if not tokens_per_s > 0:
        raise AdvisorError(f"tokens_per_s: must be > 0, got {tokens_per_s}")
    if first_token_ms is not None and not first_token_ms > 0:
        raise AdvisorError(f"first_token_ms: must be > 0, got {first_token_ms}")
    if prompt_tokens is not None and prompt_tokens < 1:
        raise AdvisorError(f"prompt_tokens: must be >= 1, got {prompt_tokens}")
    store = {k: dict(v) for k, v in read_measurements().entries.items()}
    entry: dict[str, float] = {"tokens_per_s": float(tokens_per_s)}
    if first_token_ms is not None:
        entry["first_token_ms"] = float(first_token_ms)
        if prompt_tokens is not None:
            entry["prompt_tokens"] = float(prompt_tokens)
    store[pair_key(model, quant, hardware)] = entry
    path = _store_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(store, indent=2, sort_keys=True), encoding="utf-8")
