"""Answer quality a small/large model hybrid keeps for the share of requests it leaves on the small model."""

from __future__ import annotations

import math
from typing import Literal

from pydantic import Field, model_validator

from advisor.schema.base import Record

Pattern = Literal["router", "cascade"]


class RoutingBenchmark(Record):
    """Per-question correctness of a small and a large model on one benchmark (or a pooled group of subjects)."""

    name: str = Field(description="What the questions are, e.g. 'MMLU law subjects'.")
    small_model: str = Field(description="The small (cheap) model the counts were measured on.")
    large_model: str = Field(description="The large (strong) model the counts were measured on.")
    subjects: list[str] = Field(default_factory=list, description="MMLU subjects pooled here; empty: all of it.")
    both_correct: int = Field(ge=0, description="Questions both models answer correctly.")
    only_small_correct: int = Field(ge=0, description="Questions only the small model answers correctly.")
    only_large_correct: int = Field(ge=0, description="Questions only the large model answers correctly.")
    neither_correct: int = Field(ge=0, description="Questions neither model answers correctly.")
    source: str = Field(min_length=4, description="Where the per-question results come from.")

    @model_validator(mode="after")
    def _large_model_scores(self) -> RoutingBenchmark:
        if self.both_correct + self.only_large_correct == 0:
            raise ValueError("the large model answers nothing correctly; quality fractions would divide by zero")
        return self

    @property
    def n(self) -> int:
        """Questions counted."""
        return self.both_correct + self.only_small_correct + self.only_large_correct + self.neither_correct

    @property
    def small_accuracy(self) -> float:
        return (self.both_correct + self.only_small_correct) / self.n

    @property
    def large_accuracy(self) -> float:
        return (self.both_correct + self.only_large_correct) / self.n

    @property
    def only_large_share(self) -> float:
        """u: share of questions only the large model gets right, the most any router can gain by escalating."""
        return self.only_large_correct / self.n

    @property
    def only_small_share(self) -> float:
        """Share of questions only the small model gets right (sending them to the large model loses them)."""
        return self.only_small_correct / self.n

    @property
    def oracle_accuracy(self) -> float:
        """Accuracy of a router that always picks a model that is right when either is."""
        return (self.n - self.neither_correct) / self.n


class PublishedOperatingPoint(Record):
    """A hybrid (router or cascade) result as a paper or its authors report it."""

    method: str = Field(description="Which router or cascade, trained on what.")
    pattern: Pattern = Field(description="router: one model is picked up front; cascade: small first, escalate.")
    evaluated_on: str = Field(description="The benchmark or data set as the source names it.")
    benchmark: str | None = Field(
        default=None, description="Key under `benchmarks` when the counts of that benchmark are in this file."
    )
    models: str = Field(description="Small and large model of the experiment.")
    quality_fraction: float = Field(
        gt=0, le=1.5, description="Quality kept, as a fraction of the large model's (1.0: no drop, as claimed)."
    )
    small_share: float | None = Field(
        default=None, ge=0, le=1, description="Share of requests the large model never sees."
    )
    cost_reduction: float | None = Field(
        default=None, ge=0, le=1, description="Cost saved against sending everything to the large model."
    )
    best_case: bool = Field(description="The source gives the figure as 'up to': its best experiment, not typical.")
    claim: str = Field(description="What the source reports, in brief.")
    source: str = Field(min_length=4, description="Paper or page, and the section, table or figure.")

    @model_validator(mode="after")
    def _has_a_figure(self) -> PublishedOperatingPoint:
        if self.small_share is None and self.cost_reduction is None:
            raise ValueError("give small_share, cost_reduction or both")
        return self


class TaskRouting(Record):
    """The hybrid a task kind starts from: which benchmark mixes like it, and how much traffic stays small."""

    benchmark: str = Field(description="Key under `benchmarks` whose difficulty mix stands in for the task.")
    small_share: float = Field(ge=0, le=1, description="Default share of requests the small model keeps.")
    quality_fraction: float = Field(
        gt=0, le=1.5, description="Quality the source claims at that share, as a fraction of the large model's."
    )
    pattern: Pattern = Field(description="router: one model is picked up front; cascade: small first, escalate.")
    published: str | None = Field(
        default=None, description="Key under `published` the share and quality are taken from, if any."
    )
    source: str = Field(min_length=4, description="Why this share: a published result, or an article and section.")


class RoutingFile(Record):
    """catalog/routing.yaml."""

    benchmarks: dict[str, RoutingBenchmark] = Field(min_length=1)
    published: dict[str, PublishedOperatingPoint] = Field(default_factory=dict)
    tasks: dict[str, TaskRouting] = Field(min_length=1)

    @model_validator(mode="after")
    def _references_and_bounds(self) -> RoutingFile:
        for point_id, point in self.published.items():
            if point.benchmark is not None:
                self._known_benchmark(f"published.{point_id}", point.benchmark)
                if point.small_share is not None:
                    _check_reachable(
                        f"published.{point_id}",
                        self.benchmarks[point.benchmark],
                        point.small_share,
                        point.quality_fraction,
                    )
        for task_id, task in self.tasks.items():
            where = f"tasks.{task_id}"
            self._known_benchmark(where, task.benchmark)
            if task.published is not None:
                claimed = self.published.get(task.published)
                if claimed is None:
                    raise ValueError(f"{where}: published {task.published!r} is not under `published`")
                if (claimed.small_share, claimed.quality_fraction) != (task.small_share, task.quality_fraction):
                    raise ValueError(
                        f"{where}: small_share and quality_fraction must match published {task.published!r} "
                        f"({claimed.small_share}, {claimed.quality_fraction})"
                    )
            _check_reachable(where, self.benchmarks[task.benchmark], task.small_share, task.quality_fraction)
        return self

    def _known_benchmark(self, where: str, benchmark_id: str) -> None:
        if benchmark_id not in self.benchmarks:
            known = ", ".join(sorted(self.benchmarks))
            raise ValueError(f"{where}: benchmark {benchmark_id!r} is not under `benchmarks` ({known})")


def _check_reachable(where: str, benchmark: RoutingBenchmark, small_share: float, quality: float) -> None:
    """Refuse a share no router can reach at `quality`, or one a router without skill already beats."""
    low = random_share_at_quality(benchmark, quality) or 0.0
    high = oracle_share_at_quality(benchmark, quality)
    if high is None or not low - 1e-9 <= small_share <= high + 1e-9:
        reach = "no router reaches it" if high is None else f"between {low:.3f} (random) and {high:.3f} (oracle)"
        raise ValueError(
            f"{where}: small_share {small_share} at quality {quality} is outside what routing can do on "
            f"{benchmark.name}: {reach}"
        )


def _check_share(small_share: float) -> None:
    if not 0 <= small_share <= 1:
        raise ValueError(f"small_share must lie between 0 and 1, got {small_share}")


def _check_target(target_fraction: float) -> None:
    if not (math.isfinite(target_fraction) and target_fraction > 0):
        raise ValueError(f"target quality must be a positive fraction of the large model's, got {target_fraction}")


def random_quality(benchmark: RoutingBenchmark, small_share: float) -> float:
    """Quality of a router without skill: s * acc_small + (1 - s) * acc_large, over acc_large."""
    _check_share(small_share)
    small = benchmark.both_correct + benchmark.only_small_correct
    large = benchmark.both_correct + benchmark.only_large_correct
    return (small_share * small + (1 - small_share) * large) / large


def oracle_quality(benchmark: RoutingBenchmark, small_share: float) -> float:
    """Quality of the best possible router that keeps `small_share` of the questions on the small model.

    With n questions, counts b (both right), v (only small right), u (only large right) and z (neither), and
    s = small_share, the oracle spends its (1 - s) * n large-model calls on the u questions first, then on
    questions where the choice does not matter (b and z), and gives up v questions only when s * n < v:

        correct(s) = b + v + u - max(0, u - (1 - s) * n) - max(0, v - s * n)

    At s = 0 that is b + u (the large model alone), at s = 1 it is b + v (the small model alone), and in between it
    reaches b + u + v (the oracle accuracy) for every s from v / n to 1 - u / n. The result is correct(s) over the
    large model's b + u: it exceeds 1 where the small model is right on questions the large one misses.
    """
    _check_share(small_share)
    b, v, u = benchmark.both_correct, benchmark.only_small_correct, benchmark.only_large_correct
    n = benchmark.n
    lost_to_small = max(0.0, u - (1 - small_share) * n)
    lost_to_large = max(0.0, v - small_share * n)
    return (b + v + u - lost_to_small - lost_to_large) / (b + u)


def quality_range(benchmark: RoutingBenchmark, small_share: float) -> tuple[float, float]:
    """(random router, oracle router) quality at `small_share`, each as a fraction of the large model's accuracy.

    A real router that keeps `small_share` of requests on the small model lands between the two.
    """
    return random_quality(benchmark, small_share), oracle_quality(benchmark, small_share)


def random_share_at_quality(benchmark: RoutingBenchmark, target_fraction: float) -> float | None:
    """Largest small share at which random routing still keeps `target_fraction` of the large model's quality.

    Solves s * acc_small + (1 - s) * acc_large >= target * acc_large for s; None when no share reaches it.
    """
    _check_target(target_fraction)
    small = benchmark.both_correct + benchmark.only_small_correct
    large = benchmark.both_correct + benchmark.only_large_correct
    needed = target_fraction * large
    if small >= needed:
        return 1.0  # the line's low end already meets the target
    if large < needed:
        return None  # random mixing never beats the better of the two endpoints
    return min(1.0, (large - needed) / (large - small))


def oracle_share_at_quality(benchmark: RoutingBenchmark, target_fraction: float) -> float | None:
    """Largest small share at which a perfect router keeps `target_fraction` of the large model's quality.

    Beyond s = 1 - u / n the oracle loses one large-only question per question it keeps small, so
    correct(s) = b + v + (1 - s) * n there; solving for the target gives s = 1 - (target * (b + u) - (b + v)) / n.
    None when the target is above the oracle accuracy.
    """
    _check_target(target_fraction)
    small = benchmark.both_correct + benchmark.only_small_correct
    large = benchmark.both_correct + benchmark.only_large_correct
    needed = target_fraction * large
    if small >= needed:
        return 1.0
    if needed > benchmark.n - benchmark.neither_correct:
        return None
    return 1.0 - (needed - small) / benchmark.n
