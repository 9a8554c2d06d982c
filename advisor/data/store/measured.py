"""What the store gives back about the live measurements a team shares (the rows are in models.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class SharedMeasurement:
    """One measured (model, quant, hardware) pair as stored: the latest run's figures, when and by whom.

    `machine` is empty for a catalog hardware profile; for `this-machine`, the machine that measured it."""

    model: str
    quant: str
    hardware: str
    machine: str
    tokens_per_s: float
    first_token_ms: float | None
    prompt_tokens: float | None
    measured_at: datetime
    measured_by: str | None
    source: str

    @property
    def key(self) -> str:
        """The pair key, `model|QUANT|hardware`, as measurements.json writes it."""
        return f"{self.model}|{self.quant.upper()}|{self.hardware}"

    def figures(self) -> dict[str, float]:
        """The measured figures as a measurements.json entry: tokens_per_s, and the first token when measured."""
        entry = {"tokens_per_s": self.tokens_per_s}
        if self.first_token_ms is not None:
            entry["first_token_ms"] = self.first_token_ms
            if self.prompt_tokens is not None:
                entry["prompt_tokens"] = self.prompt_tokens
        return entry

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "quant": self.quant,
            "hardware": self.hardware,
            "machine": self.machine or None,
            "tokens_per_s": self.tokens_per_s,
            "first_token_ms": self.first_token_ms,
            "prompt_tokens": self.prompt_tokens,
            "measured_at": self.measured_at.isoformat(),
            "measured_by": self.measured_by,
            "source": self.source,
        }


@dataclass(frozen=True)
class MeasurementImport:
    """What importing a measurements.json did: how many entries it held, how many were new to the store (the
    store's own figures win over the file's), and whether this very content had been imported before."""

    entries: int
    added: int
    already_imported: bool
