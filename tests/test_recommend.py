"""The recommendation: its JSON contract, determinism, hybrid arithmetic, thresholds re-checked by re-running the
engine, contradictory scenarios, and the command line."""

from __future__ import annotations

import copy
import json
import math
import subprocess
import sys
from functools import cache
from typing import Any

import pytest

from advisor.cli import main
from advisor.data.catalog import load_rules
from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.cost import break_even_requests_per_day
from advisor.engine.recommend import Recommendation, WorkloadRecommendation, recommend

from .conftest import EXAMPLES

SHOE_STORE = EXAMPLES / "shoe-store.yaml"
SUPPORT: dict[str, Any] = {
    "version": 1,
    "name": "support",
    "workloads": [
        {
            "name": "chat",
            "task": "customer_support",
            "requests_per_day": 20000,
            "input_tokens": 600,
            "output_tokens": 150,
        }
    ],
    "hardware": {"profile": "l4", "ownership": "rented"},
}
RULE_IDS = {rule.id for rule in load_rules().rules}
REASON_IDS = RULE_IDS | {"ranking"}  # the last reason says how the pick was chosen among the viable options


@cache
def shoe_store() -> Recommendation:
    return recommend(load_scenario(SHOE_STORE))


def decide(workload: dict[str, Any] | None = None, **sections: Any) -> WorkloadRecommendation:
    data = copy.deepcopy(SUPPORT)
    data["workloads"][0].update(workload or {})
    data.update(sections)
    return recommend(scenario_from_data(data)).workloads[0]


# ----------------------------------------------------------------------------------------------- the contract
def test_json_contract_keys_and_types() -> None:
    data = json.loads(shoe_store().to_json())
    assert isinstance(data["scenario"], str)
    assert isinstance(data["total_monthly_cost_usd"], float)
    assert len(data["workloads"]) == 2
    for workload in data["workloads"]:
        assert isinstance(workload["name"], str)
        assert workload["verdict"] in ("slm", "llm", "hybrid")
        assert workload["deployment"] in ("local", "self_hosted", "api", "mixed")
        assert isinstance(workload["monthly_cost_usd"], float)
        assert workload["break_even_requests_per_day"] is None or isinstance(
            workload["break_even_requests_per_day"], float
        )
        assert workload["options"] and workload["reasons"]
        for option in workload["options"]:
            assert option["kind"] in ("slm", "llm", "hybrid")
            assert isinstance(option["model"], str)
            assert option["provider"] is None or isinstance(option["provider"], str)
            assert option["hardware"] is None or isinstance(option["hardware"], str)
            for key in ("monthly_cost_usd", "cost_low_usd", "cost_high_usd"):
                assert isinstance(option[key], float)
            assert option["cost_low_usd"] <= option["monthly_cost_usd"] <= option["cost_high_usd"]
            for key in ("est_first_token_ms", "est_tokens_per_s"):
                assert option[key] is None or isinstance(option[key], float)
            assert isinstance(option["fits"], bool)
            assert set(option["excluded_by"]) <= RULE_IDS
        for reason in workload["reasons"]:
            assert set(reason) >= {"rule", "effect", "text", "source"}
            assert reason["rule"] in REASON_IDS and reason["text"] and reason["source"]
    assert data["total_monthly_cost_usd"] == pytest.approx(sum(w["monthly_cost_usd"] for w in data["workloads"]))


def test_options_ranked_with_the_pick_first_and_excluded_last() -> None:
    for workload in shoe_store().workloads:
        shown = workload.shown_options()
        assert shown[0] is workload.pick
        viable = [o.viable for o in shown]
        assert viable == sorted(viable, reverse=True), "excluded options come after every viable one"
        assert any(not v for v in viable), "excluded alternatives are shown with their reasons"
        assert workload.verdict == workload.pick.option.kind
        assert workload.deployment == workload.pick.option.deployment
        assert workload.monthly_cost_usd == workload.pick.cost


def test_provider_is_set_exactly_when_traffic_goes_to_an_api() -> None:
    for workload in shoe_store().workloads:
        for ranked in workload.options:
            option = ranked.option
            sends_to_api = option.deployment in ("api", "mixed")
            assert (option.provider is not None) == sends_to_api, option.label
            if option.small is None and option.provider is not None:
                assert option.hardware is None
            if option.provider is None:
                assert option.hardware is not None
            if option.kind == "hybrid" and option.provider is not None:
                assert option.large is not None and option.model == option.large.model  # the genai-prices id


def test_same_scenario_same_output_byte_for_byte() -> None:
    first = recommend(load_scenario(SHOE_STORE)).to_json(all_options=True)
    assert recommend(load_scenario(SHOE_STORE)).to_json(all_options=True) == first
    # Separate processes with different hash seeds: no set or dict order may leak into the output.
    outputs = {
        subprocess.run(
            [sys.executable, "-m", "advisor.cli", "recommend", str(SHOE_STORE), "--format", "json"],
            capture_output=True,
            text=True,
            check=True,
            env={"PYTHONHASHSEED": seed, "PATH": "/usr/bin:/bin"},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1


def test_options_frame_for_notebooks() -> None:
    frame = shoe_store().options_frame()
    assert {"workload", "rank", "kind", "model", "monthly_cost_usd", "excluded_by", "api_usd"} <= set(frame.columns)
    assert frame.groupby("workload")["rank"].min().eq(1).all()


# ------------------------------------------------------------------------------------------------- arithmetic
def test_hybrid_cost_is_the_sum_of_its_sides_without_double_ops() -> None:
    scenario = scenario_from_data({**SUPPORT, "assumptions": {"ops_usd_per_month": 500}})
    workload = scenario.workloads[0]
    result = recommend(scenario).workloads[0]
    hybrids = [r.option for r in result.options if r.option.kind == "hybrid"]
    patterns = {h.pattern for h in hybrids}
    assert patterns == {"router", "cascade"}
    for hybrid in hybrids:
        assert hybrid.small is not None and hybrid.large is not None and hybrid.small_share is not None
        volume = workload.requests_per_day
        small_volume = volume if hybrid.pattern == "cascade" else volume * hybrid.small_share
        args = (workload, scenario.assumptions, "expected")
        expected = hybrid.small.usd_at(small_volume, *args) + hybrid.large.usd_at(
            volume * (1 - hybrid.small_share), *args
        )
        if hybrid.small.provider is None and hybrid.large.provider is None:
            expected -= 500  # one team runs both sides: ops once
        expected -= hybrid.shared_hardware_usd  # both sides on one owned machine: its price once
        assert hybrid.usd_at(volume, *args) == pytest.approx(expected)
        random, oracle = hybrid.quality_range or (0, 0)
        assert 0 < random <= oracle


@pytest.mark.parametrize(
    "constraints",
    [
        {"allowed_providers": ["openai"]},  # gpt-4o-mini: a rented L4 catches up at some volume
        {},  # an 8B model on Groq: per request so cheap that one L4 never pays for itself
    ],
)
def test_break_even_matches_the_closed_form(constraints: dict[str, Any]) -> None:
    result = decide({"task": "classification"}, constraints=constraints)  # single options win: no routed share
    pick = result.pick
    assert pick is not None
    # The break-even is between the pick and the best viable option on the other side of the API / own line.
    other = next(
        r
        for r in result.options
        if r.viable and r.option.small is None and (r.option.provider is None) == (pick.option.provider is not None)
    )
    api, own = (pick, other) if pick.option.provider is not None else (other, pick)
    assert api.option.small is None and own.option.small is None  # single options here: the closed form applies
    assert result.break_even_against == other.option.label
    scenario = scenario_from_data(SUPPORT)
    workload, assumptions = scenario.workloads[0], scenario.assumptions
    capacity_per_day = own.option.replica_rps["expected"] * assumptions.hours_per_day * 3600 / workload.peak_factor
    closed = float(
        break_even_requests_per_day(
            own.option.replica_cost_usd,
            assumptions.ops_usd_per_month,
            api.option.per_request_usd,
            capacity_per_day,
            assumptions.days_per_month,
        )
    )
    if math.isnan(closed):
        assert result.break_even_requests_per_day is None
    else:
        assert result.break_even_requests_per_day == pytest.approx(closed, rel=0.02)


# ------------------------------------------------------------------------------------- what would change it
def test_volume_thresholds_hold_when_the_engine_runs_again() -> None:
    result = decide()
    changes = [c for c in result.changes if c.factor == "volume"]
    assert changes, "a verdict that holds at every volume would be suspicious for this workload"
    here = (result.verdict, result.deployment)
    for change in changes:
        assert isinstance(change.threshold, float)
        above = change.text.startswith("Above")
        beyond = decide({"requests_per_day": change.threshold * (1.1 if above else 0.9)})
        inside = decide({"requests_per_day": change.threshold * (0.9 if above else 1.1)})
        assert (beyond.verdict, beyond.deployment) == (change.verdict, change.deployment)
        assert (inside.verdict, inside.deployment) == here
        assert f"{change.threshold:,.0f} requests a day" in change.text


def test_latency_threshold_is_where_deciding_again_changes_the_pick() -> None:
    """The p95 first-token target in "what would change this": just under it the engine picks something else, at
    it and above the same option, and the pick's own p95 first token is within it."""
    result = decide()
    change = next(c for c in result.changes if c.factor == "first_token_target")
    pick = result.pick
    assert pick is not None and isinstance(change.threshold, float)
    assert pick.option.est_first_token_p95_ms is not None
    assert change.threshold >= pick.option.est_first_token_p95_ms - 0.1
    tighter = decide({"latency_p95_first_token_ms": change.threshold * 0.99})
    looser = decide({"latency_p95_first_token_ms": change.threshold * 1.01})
    assert tighter.pick is not None and tighter.pick.option.label != pick.option.label
    assert tighter.pick.option.label == change.pick
    assert looser.pick is not None and looser.pick.option.label == pick.option.label


def test_privacy_change_is_what_the_engine_says_for_regulated_data() -> None:
    result = decide()
    change = next(c for c in result.changes if c.factor == "privacy")
    regulated = decide({}, constraints={"privacy": "regulated"})
    assert regulated.pick is not None
    assert (change.verdict, change.deployment, change.pick) == (
        regulated.verdict,
        regulated.deployment,
        regulated.pick.option.label,
    )
    assert all(r.option.provider is None for r in regulated.options if r.viable)


def test_regulated_scenario_is_told_what_an_agreement_would_change() -> None:
    result = decide({}, constraints={"privacy": "regulated"})
    change = next(c for c in result.changes if c.factor == "privacy")
    assert "allowed_providers" in str(change.threshold)
    provider = str(change.threshold).split("[")[1].rstrip("]")
    allowed = decide({}, constraints={"privacy": "regulated", "allowed_providers": [provider]})
    assert allowed.pick is not None and change.pick == allowed.pick.option.label


# ---------------------------------------------------------------------------------- contradictory scenarios
def test_air_gapped_frontier_on_a_raspberry_pi_has_no_option() -> None:
    result = decide(
        {"task": "complex_reasoning", "quality": "frontier", "requests_per_day": 100},
        constraints={"privacy": "air_gapped"},
        hardware={"profile": "raspberry-pi-5", "ownership": "owned"},
    )
    assert not result.feasible and result.pick is None
    assert result.monthly_cost_usd == 0.0
    assert result.closest and all(r.excluded_by for r in result.closest)
    broken = {rule for r in result.closest for rule in r.excluded_by}
    assert {"air_gapped_no_api", "does_not_fit_hardware", "below_quality_bar"} & broken
    data = result.to_dict()
    assert data["feasible"] is False and data["closest_options"]


def test_latency_target_nobody_meets() -> None:
    result = decide({"latency_p95_first_token_ms": 5})
    assert not result.feasible
    assert all("first_token_too_slow" in r.excluded_by for r in result.options if r.option.fits)


def test_allowed_provider_that_serves_no_curated_model() -> None:
    result = decide({}, constraints={"allowed_providers": ["cohere"], "deployment": "api_only"})
    assert not result.feasible
    note = next(r for r in result.reasons if r.rule == "unknown_allowed_provider")
    assert "cohere" in note.text


def test_a_provider_genai_prices_does_not_know_is_refused_with_a_suggestion() -> None:
    from advisor.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"allowed_providers: unknown API provider 'opnai'; did you mean 'openai'"):
        decide({}, constraints={"allowed_providers": ["opnai"]})


def test_measured_speed_replaces_the_estimate() -> None:
    from advisor.data.measurements import record_measurement

    before = decide()
    own = next(r.option for r in before.options if r.option.provider is None and r.option.fits)
    assert own.basis == "estimated" and own.quant and own.hardware
    record_measurement(own.model, own.quant, own.hardware, tokens_per_s=12.5, first_token_ms=321.0)
    after = decide()
    measured = next(r for r in after.options if r.option.label == own.label)
    assert measured.option.basis == "measured"
    assert measured.to_dict()["basis"] == "measured"
    untouched = next(r.option for r in after.options if r.option.provider is None and r.option.model != own.model)
    assert untouched.basis == "estimated"


# ------------------------------------------------------------------------------------------- command line
def test_cli_json_is_the_contract_for_one_file_and_a_list_for_several(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", str(SHOE_STORE), "--format", "json"]) == 0
    one = json.loads(capsys.readouterr().out)
    assert one == json.loads(shoe_store().to_json())
    assert main(["recommend", str(SHOE_STORE), str(EXAMPLES / "hospital-records.yaml"), "--format", "json"]) == 0
    several = json.loads(capsys.readouterr().out)
    assert [s["scenario"] for s in several] == ["Shoe store AI", load_scenario(EXAMPLES / "hospital-records.yaml").name]


def test_cli_table_and_markdown_read_as_advice(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recommend", str(SHOE_STORE)]) == 0
    table = capsys.readouterr().out
    assert "support-chat: SLM" in table and "why:" in table and "what would change it:" in table
    assert main(["recommend", str(SHOE_STORE), "--format", "markdown"]) == 0
    markdown = capsys.readouterr().out
    assert markdown.startswith("# Shoe store AI")
    assert "### Why" in markdown and "_Source:" in markdown and "| workload | verdict |" in markdown
    assert main(["recommend", str(SHOE_STORE), "--all", "--format", "json"]) == 0
    everything = json.loads(capsys.readouterr().out)
    assert len(everything["workloads"][0]["options"]) == everything["workloads"][0]["options_considered"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["recommend", "missing.yaml"], "no such scenario file"),
        (["recommend", str(SHOE_STORE), "--rules", "missing-rules.yaml"], "no such rules file"),
    ],
)
def test_cli_bad_input_is_one_line(capsys: pytest.CaptureFixture[str], args: list[str], message: str) -> None:
    assert main(args) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1 and "Traceback" not in err


def test_infeasible_scenario_prints_the_closest_options(capsys: pytest.CaptureFixture[str], tmp_path: Any) -> None:
    path = tmp_path / "impossible.yaml"
    path.write_text(
        "version: 1\nname: impossible\nworkloads:\n  - {name: w, task: summarization, requests_per_day: 10, "
        "input_tokens: 500, output_tokens: 50, latency_p95_first_token_ms: 1}\n"
    )
    assert main(["recommend", str(path)]) == 0
    out = capsys.readouterr().out
    assert "no option meets all constraints" in out and "excluded by first_token_too_slow" in out
    assert not math.isnan(json.loads(recommend(load_scenario(path)).to_json())["total_monthly_cost_usd"])
