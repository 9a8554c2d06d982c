"""Latency bands for hosted API models: first token, output speed and whole-request time for one request shape."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.data.catalog import Catalog, default_catalog
from advisor.errors import CatalogError, FitError
from advisor.schema.vocabulary import BAND_NAMES

if TYPE_CHECKING:
    from advisor.schema.catalog import ApiLatencyClass, ApiModelNote

SPEED_BAND_FOR_TIME = {"low": "high", "expected": "expected", "high": "low"}
"""The speed band that gives each time band: the fastest reader / decoder gives the shortest time."""


@dataclass(frozen=True)
class ApiLatencyEstimate:
    """How long one request to an API model takes: bands keyed low / expected / high, in numeric order."""

    provider: str
    model: str
    latency_class: str
    input_tokens: int
    output_tokens: int
    first_token_ms: dict[str, float]
    tokens_per_s: dict[str, float]
    total_ms: dict[str, float]

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "latency_class": self.latency_class,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "first_token_ms": {k: round(v, 1) for k, v in self.first_token_ms.items()},
            "tokens_per_s": {k: round(v, 2) for k, v in self.tokens_per_s.items()},
            "total_ms": {k: round(v, 1) for k, v in self.total_ms.items()},
        }


def latency_class(note: ApiModelNote, catalog: Catalog) -> ApiLatencyClass:
    """The efficiency.yaml latency class a note names; a name that is not there is a catalog error."""
    classes = catalog.efficiency.api_latency
    if note.latency_class not in classes:
        raise CatalogError(
            f"api_models.yaml: {note.provider}/{note.model}: latency_class {note.latency_class!r} is not under "
            f"api_latency in efficiency.yaml (known: {', '.join(sorted(classes))})"
        )
    return classes[note.latency_class]


def api_latency(
    note: ApiModelNote, input_tokens: int, output_tokens: int, catalog: Catalog | None = None
) -> ApiLatencyEstimate:
    """First-token, speed and total-time bands for one request of `input_tokens` in and `output_tokens` out.

        first_token_ms = class first-token band + prompt tokens beyond the base size / prompt_tokens_per_s
        total_ms       = first_token_ms + output tokens / tokens_per_s

    The class bands and the base prompt size are `api_latency` in catalog/efficiency.yaml, each with its sources.
    Bands follow the fit estimates' convention, numeric order: for times `low` is the fast end, for speeds the slow
    end. The slow reader and decoder go with the slow first token, so `high` times are a plausible p95, not a sum
    of best cases. For reasoning models the hidden thinking is inside the first-token band and `output_tokens`
    counts the visible answer. The context window is not checked here; the caller refuses a prompt that is too long.
    """
    if input_tokens < 0:
        raise FitError(f"input_tokens: must be >= 0, got {input_tokens}")
    if output_tokens < 0:
        raise FitError(f"output_tokens: must be >= 0, got {output_tokens}")
    cat = catalog or default_catalog()
    bands = latency_class(note, cat)
    # The class first-token figures were measured with prompts up to the base size; only the rest costs reading time.
    extra_prompt = max(input_tokens - cat.efficiency.api_latency_base_prompt_tokens, 0)
    tokens_per_s = {band: getattr(bands.tokens_per_s, band) for band in BAND_NAMES}
    first_token_ms: dict[str, float] = {}
    total_ms: dict[str, float] = {}
    for band in BAND_NAMES:
        speed_band = SPEED_BAND_FOR_TIME[band]
        reading_ms = extra_prompt / getattr(bands.prompt_tokens_per_s, speed_band) * 1000
        first_token_ms[band] = getattr(bands.first_token_ms, band) + reading_ms
        total_ms[band] = first_token_ms[band] + output_tokens / tokens_per_s[speed_band] * 1000
    return ApiLatencyEstimate(
        provider=note.provider,
        model=note.model,
        latency_class=note.latency_class,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        first_token_ms=first_token_ms,
        tokens_per_s=tokens_per_s,
        total_ms=total_ms,
    )
