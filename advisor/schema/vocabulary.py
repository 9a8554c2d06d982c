"""The product's words for things, defined once: quality tiers and their order, model classes, where a model runs.

Every layer reads these names; the words shown to people for them live in advisor.present.words.
"""

from __future__ import annotations

from typing import Literal

Capability = Literal["basic", "standard", "frontier"]
"""How strong answers must be (a workload's `quality`), or how strong a model is (its capability tier)."""

QUALITIES: tuple[Capability, ...] = ("basic", "standard", "frontier")
"""Quality tiers, weakest first."""

QUALITY_RANK: dict[str, int] = {quality: rank for rank, quality in enumerate(QUALITIES)}
"""Tier -> its position in QUALITIES, for comparing a model's tier with a workload's bar."""

Kind = Literal["slm", "llm", "hybrid"]
"""The verdict's model class: a small model, a large model, or both behind a router."""

SizeClass = Literal["slm", "llm"]
"""The class of one model, before any pairing."""

DeploymentKind = Literal["local", "self_hosted", "api", "mixed"]
"""Where an option runs: the user's device, own or rented servers, a third-party API, or both sides of a hybrid."""

DEPLOYMENT_KINDS: tuple[DeploymentKind, ...] = ("local", "self_hosted", "api", "mixed")

SLM_MAX_PARAMS_B = 15.0
"""Open-weight models up to 15B total parameters count as small. The literature puts the line at 'usually under
10B' with Gartner / Deloitte allowing up to 20B (SLMs vs LLMs: A Practical Comparison, 'What Are LLMs and SLMs')."""


def size_class_of(params_b: float | None) -> SizeClass:
    """`slm` up to SLM_MAX_PARAMS_B billion parameters, `llm` above (and when the count is unknown)."""
    return "slm" if params_b is not None and params_b <= SLM_MAX_PARAMS_B else "llm"


BAND_NAMES = ("low", "expected", "high")
"""Every estimate is a band: `low` and `high` are the numeric ends, `expected` the central figure."""
REASONING_EFFORTS = ("none", "minimal", "low", "medium", "high")
"""Values of the chat completions `reasoning_effort` parameter a live API run may send (OpenAI's reasoning models;
Gemini's OpenAI-compatible endpoint takes none / low / medium / high). A server that does not know it ignores it
(llama.cpp's does)."""
