"""The TCO engine: worked figures from the sources, hand-checked arithmetic and invariants over random inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from advisor.data.prices import api_price_table
from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.cost import (
    api_cost_for,
    api_monthly_cost,
    break_even_requests_per_day,
    replica_monthly_cost,
    requests_per_month,
    self_hosted_cost,
    self_hosted_monthly_at,
)
from advisor.engine.fit import make_deployment
from advisor.engine.tables import sensitivity, workload_cost_table
from advisor.schema.scenario import Assumptions, Workload

from .conftest import EXAMPLES


def workload(**overrides) -> Workload:
    fields = {"name": "w", "task": "customer_support", "requests_per_day": 20_000, "input_tokens": 600}
    fields |= {"output_tokens": 150} | overrides
    return Workload.model_validate(fields)


def test_seed_one_million_queries_at_a_tenth_of_a_cent_is_30k_a_month() -> None:
    # "at 1M queries/day, even $0.001/query adds up to $30K/month" (SLMs vs LLMs: Use Cases & Trade-offs in 2026)
    assert requests_per_month(1_000_000, 30) * 0.001 == pytest.approx(30_000)
    # The same through the engine: a token shape that costs $0.001 a request on gpt-4o-mini.
    table = api_price_table()
    row = table.index("openai", "gpt-4o-mini")
    tokens_in = 1000
    tokens_out = round((0.001 * 1e6 - tokens_in * table.input_mtok[row]) / table.output_mtok[row])
    monthly, per_request = api_cost_for(
        "openai",
        "gpt-4o-mini",
        workload(requests_per_day=1_000_000, input_tokens=tokens_in, output_tokens=tokens_out),
        Assumptions(),
    )
    assert per_request == pytest.approx(0.001, rel=1e-3)
    assert monthly == pytest.approx(30_000, rel=1e-3)


def test_seed_team_of_300_gpt4_class_vs_mistral_nemo_differs_by_over_100x() -> None:
    # 300 people x 5 queries a day x ~1,000 tokens (SLMs vs LLMs: A Practical Comparison, cloud API access).
    team = workload(task="rag_qa", requests_per_day=300 * 5, input_tokens=800, output_tokens=200)
    gpt4, _ = api_cost_for("openai", "gpt-4", team, Assumptions())
    nemo, _ = api_cost_for("mistral", "mistral-nemo", team, Assumptions())
    table = api_price_table()
    row = table.index("openai", "gpt-4")
    # 45,000 requests a month x (800 x input price + 200 x output price) / 1e6, by hand.
    assert gpt4 == pytest.approx(45_000 * (800 * table.input_mtok[row] + 200 * table.output_mtok[row]) / 1e6)
    assert gpt4 / nemo > 100


def test_api_monthly_cost_is_volume_times_genai_prices_per_request() -> None:
    shape = workload(cached_input_share=0.25)
    monthly = api_monthly_cost(shape, Assumptions(days_per_month=30))
    per_request = api_price_table().cost_per_request(600, 150, 0.25)
    np.testing.assert_allclose(monthly, per_request * 20_000 * 30)


def test_batch_prices_are_cheaper_where_offered() -> None:
    standard = api_price_table("standard")
    batch = api_price_table("batch")
    row_b = batch.index("openai", "gpt-4o-mini")
    row_s = standard.index("openai", "gpt-4o-mini")
    assert batch.input_mtok[row_b] < standard.input_mtok[row_s]


@pytest.mark.parametrize(
    ("hardware", "ownership", "assumptions", "hardware_usd", "energy_usd"),
    [
        # RTX 4090 owned: $1,599 / 36 months; 450 W x 24 h x 30 d = 324 kWh x $0.15.
        ("rtx-4090", "owned", {}, 1599 / 36, 324 * 0.15),
        # Same card, 12 h a day at $0.30/kWh over 24 months: 162 kWh x $0.30.
        (
            "rtx-4090",
            "owned",
            {"hours_per_day": 12, "electricity_usd_per_kwh": 0.3, "amortization_months": 24},
            1599 / 24,
            162 * 0.30,
        ),
        # L4 rented: $0.8048/h x 720 h; electricity is inside the rent.
        ("l4", "rented", {}, 0.8048 * 720, 0.0),
        # L4 rented 8 h a day: $0.8048 x 240 h.
        ("l4", "rented", {"hours_per_day": 8}, 0.8048 * 240, 0.0),
    ],
)
def test_replica_monthly_cost(catalog, hardware, ownership, assumptions, hardware_usd, energy_usd) -> None:
    deployment = make_deployment("qwen2.5-7b-instruct", hardware, "Q4_K_M", catalog=catalog)
    cost = replica_monthly_cost(deployment, Assumptions(**assumptions), ownership)
    assert cost.hardware_usd == pytest.approx(hardware_usd)
    assert cost.energy_usd == pytest.approx(energy_usd)


def test_self_hosted_cost_is_replicas_times_replica_cost_plus_ops(catalog) -> None:
    deployment = make_deployment("llama-3.1-8b-instruct", "l4", "Q4_K_M", catalog=catalog)
    money = Assumptions(ops_usd_per_month=500)
    cost = self_hosted_cost(deployment, workload(requests_per_day=2_000_000), money, "rented")
    replica = 0.8048 * 720
    assert cost.monthly_usd["expected"] == pytest.approx(cost.replicas["expected"] * replica + 500)
    assert cost.replicas["expected"] > 1
    assert cost.monthly_usd["low"] <= cost.monthly_usd["expected"] <= cost.monthly_usd["high"]
    assert 0 < cost.utilisation <= 1


@pytest.mark.parametrize(
    ("replica", "ops", "per_request", "capacity_per_day", "expected"),
    [
        (100.0, 0.0, 0.001, 10_000, 100 / 0.03),  # one replica pays off at 3,333 requests/day
        (100.0, 200.0, 0.001, 10_000, 300 / 0.03),  # ops included: 10,000/day, still one replica
        (100.0, 500.0, 0.001, 10_000, 800 / 0.03),  # ops need 3 replicas' worth of volume: 26,667/day
        (400.0, 0.0, 0.001, 10_000, math.nan),  # a full replica earns $300 of API bill < $400: never
    ],
)
def test_break_even_closed_form(replica, ops, per_request, capacity_per_day, expected) -> None:
    result = float(break_even_requests_per_day(replica, ops, per_request, capacity_per_day, 30))
    if math.isnan(expected):
        assert math.isnan(result)
    else:
        assert result == pytest.approx(expected)


shapes = st.fixed_dictionaries(
    {
        "requests_per_day": st.floats(1, 5e6),
        "input_tokens": st.integers(1, 8000),
        "output_tokens": st.integers(1, 2000),
        "cached_input_share": st.floats(0, 1),
        "peak_factor": st.floats(1, 10),
    }
)


@settings(max_examples=60, deadline=None)
@given(shape=shapes, hours=st.floats(1, 24), ops=st.floats(0, 5000))
def test_costs_are_never_negative(catalog, shape, hours, ops) -> None:
    w = workload(**shape)
    money = Assumptions(hours_per_day=hours, ops_usd_per_month=ops)
    assert (api_monthly_cost(w, money) >= 0).all()
    deployment = make_deployment("qwen2.5-1.5b-instruct", "t4", "Q4_K_M", catalog=catalog)
    cost = self_hosted_cost(deployment, w, money, "rented")
    assert all(value >= 0 for value in cost.monthly_usd.values())


@settings(max_examples=60, deadline=None)
@given(shape=shapes, factor=st.floats(1.01, 100))
def test_costs_are_monotone_in_volume(catalog, shape, factor) -> None:
    low = workload(**shape)
    high = workload(**(shape | {"requests_per_day": shape["requests_per_day"] * factor}))
    money = Assumptions()
    assert (api_monthly_cost(high, money) >= api_monthly_cost(low, money)).all()
    deployment = make_deployment("qwen2.5-1.5b-instruct", "t4", "Q4_K_M", catalog=catalog)
    assert (
        self_hosted_cost(deployment, high, money, "rented").monthly_usd["expected"]
        >= self_hosted_cost(deployment, low, money, "rented").monthly_usd["expected"]
    )


@settings(max_examples=60, deadline=None)
@given(
    replica=st.floats(10, 5000),
    ops=st.floats(0, 5000),
    per_request=st.floats(1e-5, 0.05),
    capacity_per_day=st.floats(100, 1e7),
)
def test_break_even_is_where_the_two_curves_meet(replica, ops, per_request, capacity_per_day) -> None:
    days = 30

    def self_hosted(volume: float) -> float:
        return ops + max(1, math.ceil(volume / capacity_per_day)) * replica

    volume = float(break_even_requests_per_day(replica, ops, per_request, capacity_per_day, days))
    if math.isnan(volume):
        # Never: at any whole number of full replicas the API stays cheaper.
        assert per_request * days * capacity_per_day <= replica
        return
    api_bill = per_request * days * volume
    assert api_bill == pytest.approx(self_hosted(volume), rel=1e-9)
    below = volume * (1 - 1e-6)
    assert per_request * days * below <= self_hosted(below) * (1 + 1e-9)


def test_self_hosted_curve_matches_the_engine_at_other_volumes(catalog) -> None:
    deployment = make_deployment("llama-3.1-8b-instruct", "l4", "Q4_K_M", catalog=catalog)
    money = Assumptions(ops_usd_per_month=100)
    base = self_hosted_cost(deployment, workload(), money, "rented")
    for volume in (1_000, 50_000, 400_000, 3_000_000):
        direct = self_hosted_cost(deployment, workload(requests_per_day=volume), money, "rented")
        assert self_hosted_monthly_at(base, volume, money) == pytest.approx(direct.monthly_usd["expected"], rel=1e-6)


def test_sensitivity_grid_equals_scalar_calls(catalog) -> None:
    volumes = [100, 10_000, 1_000_000]
    tokens_in = [200, 2000]
    tokens_out = [50, 500]
    deployments = [make_deployment("qwen2.5-7b-instruct", "l4", "Q4_K_M", catalog=catalog)]
    money = Assumptions(ops_usd_per_month=50)
    frame = sensitivity(
        volumes,
        tokens_in,
        tokens_out,
        ["openai/gpt-4o-mini", "mistral/mistral-nemo"],
        deployments,
        money,
        "rented",
        peak_factor=3.0,
    )
    assert len(frame) == 3 * 2 * 2 * 3
    for row in frame.itertuples():
        w = workload(
            requests_per_day=row.volume,
            input_tokens=int(row.input_tokens),
            output_tokens=int(row.output_tokens),
            peak_factor=3.0,
        )
        if row.kind == "api":
            provider, model = str(row.option).split("/", 1)
            expected, _ = api_cost_for(provider, model, w, money)
        else:
            expected = self_hosted_cost(deployments[0], w, money, "rented").monthly_usd["expected"]
        assert row.monthly_cost_usd == pytest.approx(expected, rel=1e-9), row


def test_workload_cost_table_for_an_example(catalog) -> None:
    scenario = load_scenario(EXAMPLES / "shoe-store.yaml")
    frame = workload_cost_table(scenario, scenario.workloads[0], catalog)
    assert {"api", "self_hosted"} == set(frame["kind"])
    assert (frame["monthly_cost_usd"].diff().dropna() >= 0).all()  # cheapest first
    assert set(frame.loc[frame["kind"] == "self_hosted", "hardware"]) == {"l4"}
    only = workload_cost_table(scenario, scenario.workloads[0], catalog, model="gpt-4o-mini")
    assert list(only["option"]) == ["openai/gpt-4o-mini"]


def test_cheapest_hardware_is_picked_when_the_scenario_names_none(catalog) -> None:
    scenario = scenario_from_data(
        {
            "version": 1,
            "name": "x",
            "workloads": [
                {
                    "name": "w",
                    "task": "classification",
                    "requests_per_day": 50_000,
                    "input_tokens": 300,
                    "output_tokens": 5,
                }
            ],
        }
    )
    frame = workload_cost_table(scenario, scenario.workloads[0], catalog)
    hosted = frame[frame["kind"] == "self_hosted"]
    assert (hosted["hardware_chosen"] == "cheapest fitting").all()
    assert hosted["hardware"].nunique() >= 1


def test_cost_curves_agree_with_the_table_at_the_workloads_volume(catalog) -> None:
    from advisor.engine.tables import break_even_between, cost_curves
    from advisor.present.charts import cost_curve_figure

    scenario = load_scenario(EXAMPLES / "shoe-store.yaml")
    workload = scenario.workloads[0]
    table = workload_cost_table(scenario, workload, catalog)
    picks = table.groupby("kind").head(2)
    curves = cost_curves(picks, [workload.requests_per_day, 10 * workload.requests_per_day], scenario.assumptions)
    at_volume = curves[curves["volume"] == workload.requests_per_day].set_index("option")["monthly_cost_usd"]
    for row in picks.itertuples():
        assert at_volume[row.option] == pytest.approx(row.monthly_cost_usd, rel=1e-9)
    api = picks[picks["kind"] == "api"].iloc[0]
    hosted = picks[picks["kind"] == "self_hosted"].iloc[0]
    volume = break_even_between(api, hosted, scenario.assumptions)
    if math.isfinite(volume):
        meet = cost_curves(picks.loc[[api.name, hosted.name]], [volume], scenario.assumptions)
        assert meet["monthly_cost_usd"].iloc[0] == pytest.approx(meet["monthly_cost_usd"].iloc[1], rel=1e-9)
    figure = cost_curve_figure(curves, workload.requests_per_day)
    assert len(figure.data) == len(picks) + 1 and figure.layout.xaxis.type == "log"


def test_equal_bills_rank_the_more_capable_option_first(catalog) -> None:
    scenario = load_scenario(EXAMPLES / "shoe-store.yaml")
    table = workload_cost_table(scenario, scenario.workloads[0], catalog)
    hosted = table[table["kind"] == "self_hosted"]
    cheapest = hosted[hosted["monthly_cost_usd"] == hosted["monthly_cost_usd"].min()]
    ranks = cheapest["capability"].map({"basic": 0, "standard": 1, "frontier": 2}).tolist()
    assert ranks == sorted(ranks, reverse=True)


def test_built_in_scenario_is_the_shoe_store_example() -> None:
    from advisor.data.examples import default_scenario

    assert default_scenario() == load_scenario(EXAMPLES / "shoe-store.yaml")


def test_usable_options_drop_api_models_whose_context_is_too_short(catalog) -> None:
    from advisor.engine.tables import usable_options

    scenario = scenario_from_data(
        {
            "version": 1,
            "name": "x",
            "workloads": [
                {
                    "name": "w",
                    "task": "long_document",
                    "requests_per_day": 100,
                    "input_tokens": 150_000,
                    "output_tokens": 1000,
                }
            ],
        }
    )
    table = workload_cost_table(scenario, scenario.workloads[0], catalog)
    api = usable_options(table, "api")
    short = table[(table["kind"] == "api") & ~table["fits"].astype(bool)]
    assert len(short) > 0, "some curated API models have windows under 151K tokens"
    assert len(api) > 0 and not set(api["option"]) & set(short["option"])
    assert (api["monthly_cost_usd"].diff().dropna() >= 0).all()


# ----------------------------------------------------------- a self-hosted bill rests on a published capacity
def test_llama_8b_fp8_on_an_h100_under_vllm_is_costed_from_the_published_capacity(catalog) -> None:
    """The deployment every serving engine publishes figures for: Llama-3.1-8B in FP8 on one H100 under vLLM. The
    recommendation names the engine and precision, and sizes replicas from a capacity within +-50% of the published
    vLLM measurement of that deployment (catalog/validation/measurements.yaml; the figure is read, not typed)."""
    from pathlib import Path

    import yaml

    from advisor.engine.recommend import recommend

    rows = yaml.safe_load((Path(__file__).parents[1] / "catalog/validation/measurements.yaml").read_text())["rows"]
    published = [
        r
        for r in rows
        if (r["model"], r["precision"], r["hardware"], r["engine"], r["metric"])
        == ("llama-3.1-8b-instruct", "FP8", "h100", "vllm", "requests_per_s")
        and r.get("devices", 1) == 1
        and "batch" not in r["shape"]
    ]
    assert published, "no published vLLM capacity for Llama-3.1-8B FP8 on one H100"
    for row in published:
        shape = row["shape"]
        scenario = scenario_from_data(
            {
                "version": 1,
                "name": "Llama 3.1 8B on an H100",
                "workloads": [
                    {
                        "name": "chat",
                        "task": "customer_support",
                        "requests_per_day": 1_000_000,
                        "input_tokens": round(shape["input_tokens"]),
                        "output_tokens": round(shape["output_tokens"]),
                    }
                ],
                "hardware": {"profile": "h100", "ownership": "rented"},
            }
        )
        result = recommend(scenario).workloads[0]
        option = next(r.option for r in result.options if r.option.model == "llama-3.1-8b-instruct")
        assert option.label == "llama-3.1-8b-instruct FP8, vLLM on 1x h100"
        assert option.replica_rps is not None
        ratio = option.replica_rps["expected"] / row["measured"]
        print(f"\n{row['id']}: estimated {option.replica_rps['expected']:.1f} requests/s, published {row['measured']}")
        assert 0.5 <= ratio <= 1.5, (row["id"], ratio)


def test_hardware_there_anyway_is_billed_for_the_electricity_its_requests_use() -> None:
    """The phone the user already has: each workload pays the electricity its requests take (device power over the
    device time per request), in proportion to its volume, not the phone's power for every waking hour. A server the
    catalog has no price for is still billed for its electricity around the clock."""
    from advisor.engine.options import paid_as
    from advisor.engine.recommend import recommend

    phone = load_scenario(EXAMPLES / "mobile-offline.yaml")
    result = recommend(phone)
    assumptions = phone.assumptions
    awake = 8.0 / 1000 * assumptions.hours_per_day * assumptions.days_per_month * assumptions.electricity_usd_per_kwh
    for decided in result.workloads:
        pick = decided.pick
        assert pick is not None and pick.option.energy_usd_per_request is not None
        assert paid_as(pick.option.deployment_spec, phone) == "energy_used"  # type: ignore[arg-type]
        w = decided.workload
        one = pick.option.usd_at(w.requests_per_day, w, assumptions, "expected")
        assert 0 < one < awake / 100
        assert pick.option.usd_at(2 * w.requests_per_day, w, assumptions, "expected") == pytest.approx(2 * one)
        per_request = pick.option.energy_usd_per_request["expected"]
        assert one == pytest.approx(w.requests_per_day * assumptions.days_per_month * per_request)
    server = scenario_from_data(
        {
            "version": 1,
            "name": "s",
            "workloads": [
                {
                    "name": "w",
                    "task": "summarization",
                    "requests_per_day": 2000,
                    "input_tokens": 800,
                    "output_tokens": 150,
                }
            ],
            "hardware": {"profile": "h100", "ownership": "owned"},
        }
    )
    deployment = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", 1)
    assert paid_as(deployment, server) == "energy_only"
    cost = self_hosted_cost(deployment, server.workloads[0], server.assumptions, "energy_only")
    assert cost.energy_usd_per_request is None
    full_time = 700 / 1000 * server.assumptions.hours_per_day * server.assumptions.days_per_month
    assert cost.energy_usd == pytest.approx(full_time * server.assumptions.electricity_usd_per_kwh)
