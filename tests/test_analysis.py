"""The analyst's API: scenarios built in code, sweeps that re-decide at each point, tables with stable columns,
the figures over them, and the HTML a notebook shows."""

from __future__ import annotations

import math
import subprocess
import sys

import numpy as np
import pytest

import advisor
from advisor.engine.sweep import SWEEP_COLUMNS, sweep, tornado
from advisor.engine.tables import OPTIONS_COLUMNS, options_table
from advisor.errors import ScenarioError

VOLUMES = [1_000, 30_000, 1_000_000, 10_000_000]


def three_workloads(**settings: object) -> advisor.Scenario:
    return advisor.scenario(
        "Three workloads",
        advisor.workload("chat", "customer_support", 20_000, input_tokens=600, output_tokens=150),
        advisor.workload("qa", "rag_qa", 2_000, input_tokens=1500, output_tokens=200),
        advisor.workload("sort", "classification", 50_000, input_tokens=300, output_tokens=5),
        **settings,
    )


def at_volume(scenario: advisor.Scenario, volume: float) -> advisor.Scenario:
    return scenario.replace(workloads=[w.replace(requests_per_day=volume) for w in scenario.workloads])


@pytest.mark.parametrize("settings", [{}, {"profile": "l4"}], ids=["advisor-picks-hardware", "named-hardware"])
def test_a_sweep_equals_recommend_at_each_volume(settings: dict[str, object]) -> None:
    plan = three_workloads(**settings)
    frame = sweep(plan, volume=VOLUMES)
    assert list(frame.columns) == list(SWEEP_COLUMNS)
    assert len(frame) == len(VOLUMES) * 3 * 3
    for volume in VOLUMES:
        direct = advisor.recommend(at_volume(plan, volume))
        for result in direct.workloads:
            rows = frame[(frame["workload"] == result.workload.name) & (frame["requests_per_day"] == volume)]
            for kind in ("slm", "llm", "hybrid"):
                row = rows[rows["class"] == kind].iloc[0]
                best = next((r for r in result.options if r.viable and r.option.kind == kind), None)
                assert row["viable"] == (best is not None)
                if best is not None:
                    assert row["label"] == best.option.label
                    assert math.isclose(row["monthly_cost_usd"], best.cost, rel_tol=1e-12)
            pick = rows[rows["is_pick"]]
            assert list(pick["label"]) == ([result.pick.option.label] if result.pick else [])
            if result.pick:
                assert math.isclose(pick["monthly_cost_usd"].iloc[0], result.monthly_cost_usd, rel_tol=1e-12)


def test_options_are_sized_for_each_volume_not_held_fixed() -> None:
    plan = three_workloads()
    frame = sweep(plan, volume=[5_000, 10_000_000], workloads=["chat"])
    llm = frame[frame["class"] == "llm"].set_index("requests_per_day")["monthly_cost_usd"]
    # A bill held fixed at 5,000/day scales 2,000x in the API case; re-decided it grows less or equal.
    assert llm[10_000_000] <= llm[5_000] * 2_000 * (1 + 1e-9)
    assert frame.loc[frame["requests_per_day"] == 10_000_000, "pick"].notna().all()


def test_price_factor_scales_api_bills_and_token_axes_reach_the_engine() -> None:
    plan = three_workloads(deployment="api_only")
    frame = sweep(plan, price_factor=[0.5, 1.0], input_tokens=[300, 3000], workloads=["chat"])
    picks = frame[frame["is_pick"]].set_index(["input_tokens", "price_factor"])["monthly_cost_usd"]
    assert picks[(300, 0.5)] == pytest.approx(picks[(300, 1.0)] * 0.5, rel=1e-9)
    assert picks[(3000, 1.0)] > picks[(300, 1.0)]


def test_tornado_rows_move_the_bill_and_sort_by_swing() -> None:
    plan = three_workloads(deployment="api_only")
    swings = tornado(plan, change=0.3)
    assert list(swings["swing_usd"]) == sorted(swings["swing_usd"], reverse=True)
    base = advisor.recommend(plan).total_monthly_cost_usd
    assert swings["base_monthly_cost_usd"].iloc[0] == pytest.approx(base, rel=1e-9)
    prices = swings.set_index("assumption").loc["API prices"]
    assert prices["low_monthly_cost_usd"] == pytest.approx(base * 0.7, rel=1e-9)


def test_options_table_has_stable_columns_and_the_pick_first() -> None:
    result = advisor.recommend(three_workloads())
    table = options_table(result)
    assert list(table.columns) == list(OPTIONS_COLUMNS)
    for w in result.workloads:
        rows = table[table["workload"] == w.workload.name]
        assert rows["is_pick"].sum() == 1 and rows.iloc[0]["is_pick"]
        assert (rows["viable"] == (rows["excluded_by"] == "")).all()
        assert rows.iloc[0]["label"] == w.pick.option.label


def test_sensitivity_from_a_scenario_knows_hybrids_and_viability() -> None:
    plan = advisor.load_scenario("examples/shoe-store.yaml")
    grid = advisor.sensitivity([1e3, 1e5], scenario=plan)
    assert {"hybrid", "api", "self_hosted"} <= set(grid["kind"].astype(str))
    direct = {r.option.label: r for r in advisor.recommend(at_volume(plan, 1e5)).workloads[0].options}
    hybrids = grid[(grid["kind"] == "hybrid") & (grid["requests_per_day"] == 1e5)]
    for row in hybrids.itertuples():
        if str(row.label) in direct:  # the engine's own formula at that volume
            assert row.monthly_cost_usd == pytest.approx(direct[str(row.label)].cost, rel=1e-9)
    assert grid["viable"].notna().all()


def test_scenarios_build_in_code_and_round_trip_through_yaml(tmp_path) -> None:
    plan = three_workloads(privacy="confidential", ops_usd_per_month=500)
    text = plan.to_yaml()
    assert "requests_per_day: 20000\n" in text and "5000.0" not in text
    path = tmp_path / "plan.yaml"
    plan.save(path)
    assert advisor.load_scenario(path) == plan
    grown = plan.with_workload(
        name="extra", task="summarization", requests_per_day=10, input_tokens=900, output_tokens=90
    )
    assert [w.name for w in grown.workloads][-1] == "extra" and len(plan.workloads) == 3
    assert (
        grown.with_workload(grown.workload("extra").replace(requests_per_day=99)).workload("extra").requests_per_day
        == 99
    )
    assert grown.replace(profile="l4").hardware.profile == "l4"
    with pytest.raises(ScenarioError, match="task"):
        advisor.workload("x", "no_such_task", 10)
    with pytest.raises(ScenarioError, match="not a setting"):
        advisor.scenario("x", advisor.workload("x", "classification", 10), colour="red")


def test_the_package_surface_is_clean_and_imports_fast() -> None:
    names = dir(advisor)
    assert not {"Any", "annotations", "importlib", "sys"} & set(names)
    for name in advisor.__all__:
        assert getattr(advisor, name).__doc__, f"advisor.{name} has no docstring"
    code = "import sys, advisor; assert 'pandas' not in sys.modules and 'pydantic' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_notebook_html_for_recommendation_fit_and_figures() -> None:
    from advisor.present.display import fit_html, recommendation_html, render

    result = advisor.recommend(three_workloads())
    page = recommendation_html(result)
    for w in result.workloads:
        assert w.workload.name in page and w.pick.option.label in page
    assert render(result) == page
    fit = advisor.estimate_fit("qwen3-8b", "l4", "Q4_K_M", context_tokens=8192)
    assert "qwen3-8b" in fit_html(fit) and "GB" in fit_html(fit)
    frame = sweep(three_workloads(), volume=np.geomspace(1e3, 1e7, 9), workloads=["chat"])
    figure = advisor.charts.sweep_cost_figure(frame)
    assert {t.meta["class"] for t in figure.data if t.meta and "class" in t.meta} == {"slm", "llm", "hybrid"}
    assert "re-decided" in figure.layout.title.text
