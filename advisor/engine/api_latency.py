"""Latency bands for hosted API models: first token, output speed and whole-request time for one request shape."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from advisor.data.catalog import Catalog, default_catalog
from advisor.errors import CatalogError, FitError
from advisor.schema.vocabulary import BAND_NAMES

if TYPE_CHECKING:
    from advisor.schema.catalog import ApiLatencyClass, ApiLatencyMeasured, ApiModelNote, Band

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
    basis: str = ""
    """Where the figures come from, in words: the model's own measurement and its source, or its latency class."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "model": self.model,
            "latency_class": self.latency_class,
            "basis": self.basis,
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


def _scaled(median: float, shape: Band) -> dict[str, float]:
    """A band around a measured median with the class band's spread: low and high keep their ratio to expected."""
    return {band: median * getattr(shape, band) / shape.expected for band in BAND_NAMES}


def first_token_band(
    note: ApiModelNote, bands: ApiLatencyClass, own: Mapping[str, float] | None = None
) -> dict[str, float]:
    """The first-token band before prompt reading: a live run's (`own`, see api_latency), else the model's own
    published median (and p95 where published), else the class.

    Without a published p95 the high end is the median times the class's high/expected ratio, and the low end
    is always the median times the class's low/expected ratio.
    """
    if own and "first_token_ms" in own:
        return _scaled(own["first_token_ms"], bands.first_token_ms)
    measured = note.latency
    if measured is None or measured.first_token_ms is None:
        return {band: getattr(bands.first_token_ms, band) for band in BAND_NAMES}
    band = _scaled(measured.first_token_ms, bands.first_token_ms)
    if measured.first_token_p95_ms is not None:
        band["high"] = measured.first_token_p95_ms
    return band


def speed_band(note: ApiModelNote, bands: ApiLatencyClass, own: Mapping[str, float] | None = None) -> dict[str, float]:
    """Output tokens per second: a live run's, else the model's own published median, with the class's spread; else
    the class band."""
    if own and "tokens_per_s" in own:
        return _scaled(own["tokens_per_s"], bands.tokens_per_s)
    measured = note.latency
    if measured is None or measured.output_tokens_per_s is None:
        return {band: getattr(bands.tokens_per_s, band) for band in BAND_NAMES}
    return _scaled(measured.output_tokens_per_s, bands.tokens_per_s)


def measured_prompt_tokens(note: ApiModelNote, base_prompt_tokens: int, own: Mapping[str, float] | None = None) -> int:
    """The prompt size whose reading is already inside the first-token figures; longer prompts add reading time.

    A figure taken with a prompt longer than the base size already holds that prompt's reading, so only tokens
    beyond it are added; a shorter prompt gets no credit, which errs towards the slow side.
    """
    if own and "first_token_ms" in own:
        return max(int(own.get("prompt_tokens", 0)), base_prompt_tokens)
    measured = note.latency
    if measured is None or measured.first_token_ms is None or measured.prompt_tokens is None:
        return base_prompt_tokens
    return max(measured.prompt_tokens, base_prompt_tokens)


def latency_basis(note: ApiModelNote, own: Mapping[str, float] | None = None) -> str:
    """Where a note's latency figures come from, in words."""
    measured: ApiLatencyMeasured | None = note.latency
    class_words = f"latency class '{note.latency_class}' (catalog/efficiency.yaml)"
    if own:
        return _own_basis(own, "published" if measured is not None else class_words)
    if measured is None:
        return f"from the {class_words}"
    if measured.first_token_ms is not None and measured.output_tokens_per_s is not None:
        what = "first token and output speed"
    elif measured.first_token_ms is not None:
        what = f"first token; output speed from the {class_words}"
    else:
        what = f"output speed; first token from the {class_words}"
    return f"measured by {measured.source} ({measured.date}): {what}"


def _own_basis(own: Mapping[str, float], replaced: str) -> str:
    """A live run's figures in words, and what they replace."""
    parts = []
    if "first_token_ms" in own:
        prompt = f" for a {own['prompt_tokens']:,.0f}-token prompt" if "prompt_tokens" in own else ""
        parts.append(f"first token {own['first_token_ms']:,.0f} ms{prompt}")
    parts.append(f"{own['tokens_per_s']:,.1f} tokens/s")
    replaced_words = "published figures" if replaced == "published" else f"the {replaced}"
    return f"measured in a live run from this network: {', '.join(parts)} (in place of the {replaced_words})"


def api_latency(
    note: ApiModelNote,
    input_tokens: int,
    output_tokens: int,
    catalog: Catalog | None = None,
    measured: Mapping[str, float] | None = None,
) -> ApiLatencyEstimate:
    """First-token, speed and total-time bands for one request of `input_tokens` in and `output_tokens` out.

        first_token_ms = first-token band + prompt tokens beyond the measured size / prompt_tokens_per_s
        total_ms       = first_token_ms + output tokens / tokens_per_s

    A live run's `measured` figures (`tokens_per_s`, and `first_token_ms` with its `prompt_tokens` where the run
    timed them; advisor.data.measurements.api_measured) come first: the user's own network and account, so
    measured beats published. Then a note's own `latency` figures (median first token, p95 where published,
    output speed) where given; the rest comes from its latency class, `api_latency` in catalog/efficiency.yaml,
    which also gives the band spread around a measured median and the prompt reading rate.
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
    # The first-token figures were measured with prompts up to this size; only the rest costs reading time.
    own = measured or None
    base_prompt = measured_prompt_tokens(note, cat.efficiency.api_latency_base_prompt_tokens, own)
    extra_prompt = max(input_tokens - base_prompt, 0)
    first_token_base = first_token_band(note, bands, own)
    tokens_per_s = speed_band(note, bands, own)
    first_token_ms: dict[str, float] = {}
    total_ms: dict[str, float] = {}
    for band in BAND_NAMES:
        speed_band_name = SPEED_BAND_FOR_TIME[band]
        reading_ms = extra_prompt / getattr(bands.prompt_tokens_per_s, speed_band_name) * 1000
        first_token_ms[band] = first_token_base[band] + reading_ms
        total_ms[band] = first_token_ms[band] + output_tokens / tokens_per_s[speed_band_name] * 1000
    return ApiLatencyEstimate(
        provider=note.provider,
        model=note.model,
        latency_class=note.latency_class,
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        first_token_ms=first_token_ms,
        tokens_per_s=tokens_per_s,
        total_ms=total_ms,
        basis=latency_basis(note, own),
    )
