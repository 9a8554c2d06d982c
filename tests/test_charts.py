"""advisor.present.charts over real recommendations: every figure carries the numbers the Option methods give."""

from __future__ import annotations

import copy
import math
from functools import cache
from typing import Any

import pytest

from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.recommend import RankedOption, WorkloadRecommendation, recommend
from advisor.present.charts import (
    breakdown_figure,
    cost_band_figure,
    latency_figure,
    log_ticks,
    option_colours,
    option_names,
    top_options,
    uses_api,
    volume_cost_figure,
)
from advisor.schema.scenario import Scenario

from .conftest import EXAMPLES

# (example, workload index): API picks with and without a break-even, own-hardware picks with one, bands that
# differ between the speed estimates, first-token and whole-response targets, hybrids among the options.
CASES = [
    ("shoe-store", 0),
    ("shoe-store", 1),
    ("legal-research", 0),
    ("reviews-sentiment", 0),
    ("contract-analysis", 0),
    ("mobile-offline", 0),
    ("agentic-customer-service", 0),
]
IDS = [f"{name}[{index}]" for name, index in CASES]


@cache
def scenario(name: str) -> Scenario:
    return load_scenario(EXAMPLES / f"{name}.yaml")


@cache
def result(name: str, index: int) -> WorkloadRecommendation:
    return recommend(scenario(name)).workloads[index]


def case(name: str, index: int) -> tuple[WorkloadRecommendation, Any, list[RankedOption]]:
    found = result(name, index)
    return found, scenario(name).assumptions, top_options(found)


def traces(figure: Any, **meta: str) -> list[Any]:
    return [t for t in figure.data if isinstance(t.meta, dict) and all(t.meta.get(k) == v for k, v in meta.items())]


def y_at(trace: Any, x: float) -> float:
    index = min(range(len(trace.x)), key=lambda i: abs(math.log(trace.x[i] / x)))
    assert trace.x[index] == pytest.approx(x, rel=1e-12), "the grid holds the workload's own volume"
    return float(trace.y[index])


# ------------------------------------------------------------------------------------------------ top_options
@pytest.mark.parametrize(("name", "index"), CASES, ids=IDS)
def test_top_options_start_with_the_pick_and_cover_the_groups(name: str, index: int) -> None:
    found, _, options = case(name, index)
    labels = [r.option.label for r in options]
    assert options[0] is found.pick
    assert len(labels) == len(set(labels)) == min(5, sum(r.viable for r in found.options))
    assert all(r.viable for r in options)
    if found.break_even_against:
        assert found.break_even_against in labels
    groups = {(r.option.kind, uses_api(r.option)) for r in found.options if r.viable}
    assert len({(r.option.kind, uses_api(r.option)) for r in options}) == min(len(groups), len(options))
    rank = [found.options.index(r) for r in options]
    assert rank[len({(r.option.kind, uses_api(r.option)) for r in options}) :] == sorted(
        rank[len({(r.option.kind, uses_api(r.option)) for r in options}) :]
    )


def test_top_options_fall_back_to_the_closest_when_nothing_is_viable() -> None:
    data = copy.deepcopy(scenario("shoe-store").to_dict())
    data["workloads"][0]["latency_p95_first_token_ms"] = 5  # nobody answers that fast
    found = recommend(scenario_from_data(data)).workloads[0]
    assert found.pick is None
    assert top_options(found, limit=3) == found.options[:3]


def test_option_names_are_short_and_distinct() -> None:
    found, _, _ = case("agentic-customer-service", 0)
    names = option_names(found.options)
    assert len(set(names.values())) == len(names) == len({r.option.label for r in found.options})
    hybrid = next(r.option for r in found.options if r.option.kind == "hybrid")
    assert len(names[hybrid.label]) < len(hybrid.label)


# ------------------------------------------------------------------------------------------------- the figures
@pytest.mark.parametrize(("name", "index"), CASES, ids=IDS)
def test_volume_figure_carries_each_options_cost_band_at_the_workloads_volume(name: str, index: int) -> None:
    found, assumptions, options = case(name, index)
    figure = volume_cost_figure(found, assumptions, options)
    volume = found.workload.requests_per_day
    assert figure.layout.xaxis.type == figure.layout.yaxis.type == "log"
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    for ranked in options:
        (expected,) = traces(figure, option=ranked.option.label, band="expected")
        assert y_at(expected, volume) == pytest.approx(ranked.monthly_usd["expected"], rel=1e-6)
        low_high = [[float(v) for v in row] for row in expected.customdata]
        at_volume = low_high[list(expected.x).index(volume)]
        assert at_volume == pytest.approx([ranked.monthly_usd["low"], ranked.monthly_usd["high"]], rel=1e-6)
        assert expected.line.shape == ("linear" if uses_api(ranked.option) and ranked.option.small is None else "hv")
        # The light fill around the line appears exactly when the speed estimate moves the cost somewhere.
        band = [t for t in figure.data if t.legendgroup == ranked.option.label and t.fill == "tonexty"]
        spread = any(not math.isclose(low, high, rel_tol=1e-12) for low, high in low_high)
        assert len(band) == int(spread)
    (marker,) = traces(figure, marker="volume")
    assert list(marker.x) == [volume, volume]
    assert min(expected.x) <= volume / 30 * 1.0001 and max(expected.x) >= volume * 30 / 1.0001


@pytest.mark.parametrize(("name", "index"), [c for c in CASES if result(*c).break_even_requests_per_day], ids=str)
def test_volume_figure_stars_the_break_even_on_the_picks_curve(name: str, index: int) -> None:
    found, assumptions, options = case(name, index)
    break_even = found.break_even_requests_per_day
    assert found.pick is not None and break_even is not None
    figure = volume_cost_figure(found, assumptions, options)
    (star,) = traces(figure, marker="break_even")
    assert star.marker.symbol == "star"
    assert star.x[0] == pytest.approx(break_even, rel=1e-12)
    assert star.y[0] == pytest.approx(
        pick_cost := found.pick.option.usd_at(break_even, found.workload, assumptions, "expected")
    )
    # ...which is where the two sides of the API line cost the same (to the engine's 1% bisection).
    other = next(r for r in options if r.option.label == found.break_even_against)
    other_cost = other.option.usd_at(break_even, found.workload, assumptions, "expected")
    assert other_cost == pytest.approx(pick_cost, rel=0.05)
    (label,) = [a for a in figure.layout.annotations if "Break-even" in a.text]
    assert label.x == pytest.approx(math.log10(break_even))  # annotations on a log axis take log10


def test_volume_figure_without_a_break_even_has_no_star() -> None:
    found, assumptions, options = case("shoe-store", 0)
    assert found.break_even_requests_per_day is None
    assert not traces(volume_cost_figure(found, assumptions, options), marker="break_even")


def test_volume_figure_honours_an_explicit_span() -> None:
    found, assumptions, options = case("shoe-store", 0)
    figure = volume_cost_figure(found, assumptions, options, low=10, high=1e6)
    (expected, *_) = traces(figure, band="expected")
    assert (min(expected.x), max(expected.x)) == (10, 1e6)


@pytest.mark.parametrize(("name", "index"), CASES, ids=IDS)
def test_breakdown_bars_sum_to_the_expected_monthly_cost(name: str, index: int) -> None:
    found, assumptions, options = case(name, index)
    figure = breakdown_figure(found, assumptions, options)
    assert figure.layout.barmode == "stack"
    components = {t.meta["component"]: t for t in figure.data if isinstance(t.meta, dict)}
    assert set(components) == {"api_usd", "hardware_usd", "energy_usd", "ops_usd"}
    names = option_names(options)
    for row, ranked in enumerate(options):
        parts = {key: float(trace.x[row]) for key, trace in components.items()}
        assert all(trace.y[row] == names[ranked.option.label] for trace in components.values())
        assert parts == pytest.approx(ranked.breakdown_usd, rel=1e-9)
        assert sum(parts.values()) == pytest.approx(ranked.monthly_usd["expected"], rel=1e-6)


def test_breakdown_at_another_volume_follows_the_option() -> None:
    found, assumptions, options = case("reviews-sentiment", 0)
    volume = found.workload.requests_per_day * 7
    figure = breakdown_figure(found, assumptions, options, requests_per_day=volume)
    components = [t for t in figure.data if isinstance(t.meta, dict)]
    for row, ranked in enumerate(options):
        total = sum(float(t.x[row]) for t in components)
        assert total == pytest.approx(ranked.option.usd_at(volume, found.workload, assumptions, "expected"), rel=1e-6)


@pytest.mark.parametrize(("name", "index"), CASES, ids=IDS)
def test_cost_band_shows_expected_with_low_high_whiskers(name: str, index: int) -> None:
    _, _, options = case(name, index)
    figure = cost_band_figure(options)
    for ranked in options:
        (trace,) = traces(figure, option=ranked.option.label)
        band = ranked.monthly_usd
        assert trace.x[0] == band["expected"]
        assert trace.x[0] - trace.error_x.arrayminus[0] == pytest.approx(band["low"], rel=1e-9)
        assert trace.x[0] + trace.error_x.array[0] == pytest.approx(band["high"], rel=1e-9)


@pytest.mark.parametrize(("name", "index"), CASES, ids=IDS)
def test_latency_figure_draws_estimates_and_the_targets(name: str, index: int) -> None:
    found, _, options = case(name, index)
    figure = latency_figure(found, options)
    names = option_names(options)
    for attribute, target in (
        ("est_first_token_ms", found.workload.latency_p95_first_token_ms),
        ("est_total_ms", found.workload.latency_p95_total_ms),
    ):
        (bars,) = traces(figure, estimate=attribute)
        assert list(bars.y) == [names[r.option.label] for r in options]
        assert list(bars.x) == [getattr(r.option, attribute) for r in options]
        axis = "x" if attribute == "est_first_token_ms" else "x2"
        lines = [s.x0 for s in figure.layout.shapes if s.xref == axis]
        assert lines == ([target] if target else [])


def test_the_cases_hold_both_latency_targets() -> None:
    workloads = [result(*c).workload for c in CASES]
    assert any(w.latency_p95_first_token_ms for w in workloads) and any(w.latency_p95_total_ms for w in workloads)


def test_latency_figure_says_n_a_where_an_option_has_no_estimate() -> None:
    found, _, _ = case("shoe-store", 0)
    unfit = [r for r in found.options if r.option.est_first_token_ms is None][:1]
    assert unfit, "the catalog has models that do not fit an L4"
    options = [*top_options(found, limit=2), *unfit]
    figure = latency_figure(found, options)
    name = option_names(options)[unfit[0].option.label]
    for attribute in ("est_first_token_ms", "est_total_ms"):
        (note,) = traces(figure, missing=attribute)
        assert list(note.text) == ["n/a"] and list(note.y) == [name]
        (bars,) = traces(figure, estimate=attribute)
        assert bars.x[-1] is None


def test_each_option_keeps_its_colour_across_the_figures() -> None:
    found, assumptions, options = case("reviews-sentiment", 0)
    colours = option_colours(options)
    assert len(set(colours.values())) == len(options)
    volume = volume_cost_figure(found, assumptions, options)
    band = cost_band_figure(options)
    latency = latency_figure(found, options)
    breakdown = breakdown_figure(found, assumptions, options)
    (first_token_bars,) = traces(latency, estimate="est_first_token_ms")
    for row, ranked in enumerate(options):
        colour = colours[ranked.option.label]
        assert traces(volume, option=ranked.option.label, band="expected")[0].line.color == colour
        assert traces(band, option=ranked.option.label)[0].marker.color == colour
        assert first_token_bars.marker.color[row] == colour
        assert colour in breakdown.layout.yaxis.ticktext[row]


@pytest.mark.parametrize(
    ("low", "high", "texts"),
    [
        (700, 600_000, ["1K", "10K", "100K"]),
        (12, 80, ["20", "50"]),
        (0.5, 3, ["0.5", "1", "2"]),
    ],
)
def test_log_ticks(low: float, high: float, texts: list[str]) -> None:
    assert log_ticks(low, high)["ticktext"] == texts
    assert log_ticks(low, high, "$")["ticktext"] == [f"${t}" for t in texts]
