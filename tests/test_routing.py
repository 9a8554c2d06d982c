"""Hybrid routing: the counts give the published accuracies, random and oracle lines behave, tasks stay in bounds."""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
from pathlib import Path
from types import ModuleType

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from advisor.data.catalog import load_catalog
from advisor.errors import CatalogError, UnknownIdError
from advisor.schema.reader import read_model_file
from advisor.schema.routing import (
    RoutingBenchmark,
    RoutingFile,
    oracle_quality,
    oracle_share_at_quality,
    quality_range,
    random_quality,
    random_share_at_quality,
)

REPO = Path(__file__).resolve().parent.parent
ROUTELLM_DATA = Path(os.environ.get("ROUTELLM_DATA", "/nonexistent"))
"""The reduced RouteLLM CSV files (see scripts/derive_routing.py), when a developer points at them."""
CATALOG = load_catalog()
ROUTING = CATALOG.routing
BENCHMARK_IDS = sorted(ROUTING.benchmarks)

TINY = RoutingBenchmark(
    name="ten questions",
    small_model="small",
    large_model="large",
    both_correct=5,
    only_small_correct=1,
    only_large_correct=3,
    neither_correct=1,
    source="worked example",
)
"""n = 10: the small model gets 6 right, the large 8, an oracle 9."""


@pytest.mark.parametrize(
    ("benchmark_id", "small", "large", "only_large", "oracle"),
    [
        # Figures the RouteLLM data README gives for all rows.
        ("gsm8k", 0.638, 0.857, 0.290, 0.929),
        ("mmlu", 0.681, 0.806, 0.178, 0.859),
    ],
)
def test_counts_give_the_published_accuracies(
    benchmark_id: str, small: float, large: float, only_large: float, oracle: float
) -> None:
    benchmark = CATALOG.routing_benchmark(benchmark_id)
    assert round(benchmark.small_accuracy, 3) == small
    assert round(benchmark.large_accuracy, 3) == large
    assert round(benchmark.only_large_share, 3) == only_large
    assert round(benchmark.oracle_accuracy, 3) == oracle


def test_accuracies_are_read_off_the_four_counts() -> None:
    gsm8k = CATALOG.routing_benchmark("gsm8k")
    assert (gsm8k.both_correct, gsm8k.only_small_correct, gsm8k.only_large_correct, gsm8k.neither_correct) == (
        747, 95, 383, 94,
    )  # fmt: skip
    assert gsm8k.n == 1319
    assert gsm8k.small_accuracy == (747 + 95) / 1319
    assert gsm8k.large_accuracy == (747 + 383) / 1319
    assert gsm8k.oracle_accuracy == (747 + 95 + 383) / 1319


@pytest.mark.parametrize(
    ("small_share", "random", "oracle"),
    [
        # random: (6s + 8(1 - s)) / 8; oracle: (9 - max(0, 3 - 10(1 - s)) - max(0, 1 - 10s)) / 8
        (0.0, 1.0, 1.0),
        (0.05, 0.9875, 8.5 / 8),
        (0.1, 0.975, 9 / 8),
        (0.5, 0.875, 9 / 8),
        (0.7, 0.825, 9 / 8),
        (0.9, 0.775, 7 / 8),
        (1.0, 0.75, 0.75),
    ],
)
def test_quality_range_worked_example(small_share: float, random: float, oracle: float) -> None:
    assert quality_range(TINY, small_share) == pytest.approx((random, oracle))


@pytest.mark.parametrize(
    ("target", "random_share", "oracle_share"),
    [
        (0.7, 1.0, 1.0),  # below the small model alone: everything may stay small
        (0.75, 1.0, 1.0),
        (0.9, 0.4, 0.88),  # random: (8 - 7.2) / (8 - 6); oracle: 1 - (7.2 - 6) / 10
        (1.0, 0.0, 0.8),
        (9 / 8, None, 0.7),  # above the large model: only a router with skill gets there
        (1.2, None, None),  # above the oracle accuracy
    ],
)
def test_shares_at_quality_worked_example(
    target: float, random_share: float | None, oracle_share: float | None
) -> None:
    assert random_share_at_quality(TINY, target) == pytest.approx(random_share)
    assert oracle_share_at_quality(TINY, target) == pytest.approx(oracle_share)


@pytest.mark.parametrize("benchmark_id", BENCHMARK_IDS)
def test_both_lines_start_at_the_large_model_and_random_ends_at_the_small_one(benchmark_id: str) -> None:
    benchmark = CATALOG.routing_benchmark(benchmark_id)
    small_over_large = benchmark.small_accuracy / benchmark.large_accuracy
    assert quality_range(benchmark, 0.0) == pytest.approx((1.0, 1.0))
    assert quality_range(benchmark, 1.0) == pytest.approx((small_over_large, small_over_large))


@pytest.mark.parametrize("benchmark_id", BENCHMARK_IDS)
@given(small_share=st.floats(min_value=0.0, max_value=1.0))
def test_oracle_never_below_random_nor_above_its_accuracy(benchmark_id: str, small_share: float) -> None:
    benchmark = ROUTING.benchmarks[benchmark_id]
    random, oracle = quality_range(benchmark, small_share)
    assert oracle >= random - 1e-12
    assert oracle <= benchmark.oracle_accuracy / benchmark.large_accuracy + 1e-12


@pytest.mark.parametrize("benchmark_id", BENCHMARK_IDS)
@given(target=st.floats(min_value=0.5, max_value=1.2))
def test_shares_at_quality_are_the_largest_that_meet_it(benchmark_id: str, target: float) -> None:
    benchmark = ROUTING.benchmarks[benchmark_id]
    for share_at, quality_at in (
        (random_share_at_quality, random_quality),
        (oracle_share_at_quality, oracle_quality),
    ):
        share = share_at(benchmark, target)
        if share is None:
            assert quality_at(benchmark, 0.0) < target and quality_at(benchmark, 1.0) < target
            continue
        assert quality_at(benchmark, share) >= target - 1e-9
        if share < 1.0:
            assert quality_at(benchmark, min(1.0, share + 1e-6)) < target
    random_share = random_share_at_quality(benchmark, target)
    oracle_share = oracle_share_at_quality(benchmark, target)
    if random_share is not None:
        assert oracle_share is not None and oracle_share >= random_share


def test_every_task_kind_has_a_routing_default(catalog) -> None:  # type: ignore[no-untyped-def]
    assert set(ROUTING.tasks) == set(catalog.tasks)


@pytest.mark.parametrize("task_id", sorted(ROUTING.tasks))
def test_task_share_lies_between_random_and_oracle_at_its_claimed_quality(task_id: str) -> None:
    task = CATALOG.task_routing(task_id)
    benchmark = CATALOG.routing_benchmark(task.benchmark)
    lowest = random_share_at_quality(benchmark, task.quality_fraction) or 0.0
    highest = oracle_share_at_quality(benchmark, task.quality_fraction)
    assert highest is not None
    assert lowest <= task.small_share <= highest
    assert len(task.source) > 20
    assert ".txt" not in task.source  # articles are cited by title and section


@pytest.mark.parametrize(
    "point_id", sorted(p for p, point in ROUTING.published.items() if point.benchmark and point.small_share)
)
def test_published_router_beats_random_on_its_own_benchmark(point_id: str) -> None:
    point = ROUTING.published[point_id]
    assert point.benchmark is not None and point.small_share is not None
    random, oracle = quality_range(CATALOG.routing_benchmark(point.benchmark), point.small_share)
    assert random < point.quality_fraction <= oracle


def test_every_published_figure_names_a_source() -> None:
    for point_id, point in ROUTING.published.items():
        assert any(mark in point.source for mark in ("arXiv", "lmsys.org")), point_id


def _derive_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("derive_routing", REPO / "scripts" / "derive_routing.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not ROUTELLM_DATA.is_dir(), reason="set ROUTELLM_DATA to the reduced RouteLLM CSV folder")
def test_committed_counts_match_a_fresh_derivation() -> None:
    script = _derive_script()
    derived = script.derive(ROUTELLM_DATA)
    assert set(derived) == set(ROUTING.benchmarks)
    for benchmark_id, counts in derived.items():
        committed = ROUTING.benchmarks[benchmark_id]
        assert (
            committed.both_correct,
            committed.only_small_correct,
            committed.only_large_correct,
            committed.neither_correct,
        ) == (counts.both_correct, counts.only_small_correct, counts.only_large_correct, counts.neither_correct)
        assert tuple(committed.subjects) == script.GROUPS[benchmark_id].subjects
    text = (REPO / "catalog" / "routing.yaml").read_text(encoding="utf-8")
    assert script.replace_block(text, script.benchmarks_block(derived)) == text


def test_unknown_task_suggests_the_closest() -> None:
    with pytest.raises(UnknownIdError, match=r"unknown task 'clasification'; did you mean 'classification'"):
        CATALOG.task_routing("clasification")


@pytest.mark.parametrize("bad_share", [-0.1, 1.5])
def test_share_outside_zero_to_one_is_refused(bad_share: float) -> None:
    with pytest.raises(ValueError, match="small_share must lie between 0 and 1"):
        quality_range(TINY, bad_share)


def _edit(data: dict, change: str) -> None:  # type: ignore[type-arg]
    if change == "negative count":
        data["benchmarks"]["gsm8k"]["neither_correct"] = -1
    elif change == "share beyond the oracle":
        data["tasks"]["classification"]["small_share"] = 0.95
    elif change == "unknown benchmark":
        data["tasks"]["agentic"]["benchmark"] = "hellaswag"
    elif change == "unknown key":
        data["tasks"]["agentic"]["share"] = 0.5
    elif change == "share differs from its published point":
        data["tasks"]["agentic"]["small_share"] = 0.5
    elif change == "published without a figure":
        del data["published"]["frugalgpt"]["cost_reduction"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("negative count", r"benchmarks\.gsm8k\.neither_correct: must be >= 0, got -1"),
        ("share beyond the oracle", r"tasks\.classification: small_share 0\.95 .* between 0\.000 \(random\)"),
        ("unknown benchmark", r"tasks\.agentic: benchmark 'hellaswag' is not under `benchmarks`"),
        ("unknown key", r"tasks\.agentic\.share: unknown key 'share'"),
        ("share differs from its published point", r"must match published 'routellm-mmlu-causal-llm'"),
        ("published without a figure", r"published\.frugalgpt: .*give small_share, cost_reduction or both"),
    ],
)
def test_invalid_file_is_refused_naming_it(tmp_path: Path, change: str, message: str) -> None:
    path = tmp_path / "routing.yaml"
    shutil.copy(REPO / "catalog" / "routing.yaml", path)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    _edit(data, change)
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(CatalogError, match=rf"^routing\.yaml: .*{message}"):
        read_model_file(tmp_path / "routing.yaml", RoutingFile, CatalogError)


def test_missing_file_is_refused_naming_it(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"^routing\.yaml: not found in "):
        read_model_file(tmp_path / "routing.yaml", RoutingFile, CatalogError)
