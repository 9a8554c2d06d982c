"""A numeric quality estimate per option, so that ranking and the dominance check can weigh quality against cost.

    quality_score = tier base + within-tier adjustment            (0-100)

- tier base: 40 basic, 60 standard, 80 frontier (the tier the catalog gives the model, from its sources);
- within-tier adjustment, -10 to +10: the model's mean percentile among every catalog entry that publishes the same
  benchmark, over the benchmarks relevant to the task kind (TASK_BENCHMARKS), scaled to +-10. A model with none of
  those scores gets the tier base alone, and its basis says so.

The benchmark scores are the catalog's own (model cards and providers' pages, each with its source). An API model
that serves open weights uses the weights' scores. A hybrid's score is its large side's times what random routing
keeps at its share (the floor of the routing range the task's routing figures give; a real router should do
better), never below its small side's. A hybrid's tier is the large side's only when that score reaches the tier's
range (`tier_reached`): a router keeping most requests on a standard model does not answer at frontier level.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.schema.catalog import Benchmark

TIER_BASE = {"basic": 40.0, "standard": 60.0, "frontier": 80.0}
WITHIN_TIER = 10.0
GENERAL = ("mmlu", "mmlu_pro", "ifeval", "gpqa_diamond")
TASK_BENCHMARKS: dict[str, tuple[str, ...]] = {
    "code_generation": ("humaneval", "livecodebench", "mmlu_pro"),
    "complex_reasoning": ("gpqa_diamond", "math", "math_500", "aime_2024", "mmlu_pro"),
    "agentic": ("ifeval", "mmlu_pro", "gpqa_diamond"),
    "classification": ("mmlu", "ifeval"),
    "extraction": ("ifeval", "mmlu"),
    "routing": ("ifeval", "mmlu"),
}
"""Benchmarks that speak to each task kind; the other kinds use GENERAL."""


@dataclass(frozen=True)
class Quality:
    score: float
    basis: str


def tier_reached(score: float) -> str:
    """The highest tier whose range (its base minus the within-tier span, and up) holds `score`."""
    reached = [tier for tier, base in TIER_BASE.items() if score >= base - WITHIN_TIER]
    return reached[-1] if reached else "basic"


def tier_quality(tier: str, why: str) -> Quality:
    """A model's quality from its tier alone, `why` saying why no benchmark adjusts it."""
    base = TIER_BASE[tier]
    return Quality(base, f"{tier} tier ({base:g}); {why}")


def benchmarks_for(task: str) -> tuple[str, ...]:
    return TASK_BENCHMARKS.get(task, GENERAL)


@functools.lru_cache(maxsize=64)
def quality_table(catalog: Catalog, task: str) -> dict[str, Quality]:
    """Quality per catalog model id and per API label ("provider/model") for `task`."""
    wanted = benchmarks_for(task)
    entries: dict[str, tuple[str, list[Benchmark]]] = {}  # key -> (capability tier, benchmark scores)
    for model in catalog.models.values():
        entries[model.id] = (model.capability_hint, list(model.benchmarks))
    for note in catalog.api_notes:
        weights = catalog.models.get(note.open_weight_model) if note.open_weight_model else None
        tier: str = weights.capability_hint if weights else note.capability_tier
        entries[f"{note.provider}/{note.model}"] = (tier, list(weights.benchmarks if weights else note.benchmarks))
    scores_by_benchmark: dict[str, list[float]] = {}
    for _, benchmarks in entries.values():
        for b in benchmarks:
            if b.name in wanted:
                scores_by_benchmark.setdefault(b.name, []).append(b.score)
    table = {}
    for key, (tier, benchmarks) in entries.items():
        percentiles = []
        used = []
        for b in benchmarks:
            if b.name not in wanted or len(scores_by_benchmark.get(b.name, [])) < 3:
                continue
            others = scores_by_benchmark[b.name]
            below = sum(score < b.score for score in others)
            equal = sum(score == b.score for score in others)
            percentiles.append((below + 0.5 * equal) / len(others))
            used.append(f"{b.name} {b.score:g}")
        base = TIER_BASE[tier]
        if percentiles:
            mean = sum(percentiles) / len(percentiles)
            score = base + (mean - 0.5) * 2 * WITHIN_TIER
            basis = f"{tier} tier ({base:g}) {score - base:+.1f} for {', '.join(used)} against the catalog"
        else:
            score = base
            basis = f"{tier} tier ({base:g}); no {'/'.join(wanted)} score in the catalog"
        table[key] = Quality(round(score, 1), basis)
    return table
