"""The questionnaire's library side: typical figures per task kind, problems by field, contradictions."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.data.catalog import load_catalog
from advisor.data.examples import example_scenarios
from advisor.lab import use_split
from advisor.present.questionnaire import (
    SCENARIO_LEVEL,
    blank_scenario,
    contradictions,
    draft_from_scenario,
    form_problems,
    parse_languages,
    problem_keys,
    scenario_data,
    skey,
    split_problem,
    unused_workload_name,
    wkey,
    workload_defaults,
)
from advisor.schema.scenario import MeasuredSplit, Scenario


@pytest.mark.parametrize("task_id", sorted(load_catalog().tasks))
def test_a_new_workload_takes_its_task_kinds_typical_figures(task_id: str) -> None:
    task = load_catalog().task(task_id)
    workload = workload_defaults(task_id, "w")
    assert (workload["input_tokens"], workload["output_tokens"], workload["quality"]) == (
        task.input_tokens,
        task.output_tokens,
        task.capability,
    )


def test_the_blank_scenario_is_valid_and_has_one_workload() -> None:
    scenario = blank_scenario()
    assert len(scenario.workloads) == 1
    assert form_problems(scenario.to_dict()) == {}


@pytest.mark.parametrize(
    ("taken", "expected"),
    [
        ([], "workload-1"),
        (["workload-1"], "workload-2"),
        (["a", "workload-2"], "workload-3"),
        (["x", "y"], "workload-3"),
    ],
)
def test_unused_workload_name(taken: list[str], expected: str) -> None:
    assert unused_workload_name(taken) == expected


@pytest.mark.parametrize(
    ("text", "codes"), [("en", ["en"]), ("en, de fr;sw", ["en", "de", "fr", "sw"]), (" en,,en ", ["en"]), ("", [])]
)
def test_parse_languages(text: str, codes: list[str]) -> None:
    assert parse_languages(text) == codes


@pytest.mark.parametrize(
    ("line", "path", "message"),
    [
        (
            "workloads[1].latency_p95_total_ms: must be > 0, got 0",
            "workloads[1].latency_p95_total_ms",
            "must be > 0, got 0",
        ),
        ("hardware.profile: unknown hardware 'x'", "hardware.profile", "unknown hardware 'x'"),
        ("empty; a scenario needs workloads", SCENARIO_LEVEL, "empty; a scenario needs workloads"),
    ],
)
def test_split_problem(line: str, path: str, message: str) -> None:
    assert split_problem(line) == (path, message)


def shoe_store() -> dict[str, Any]:
    return example_scenarios()["shoe-store"].to_dict()


def test_every_bad_field_is_reported_not_only_the_first() -> None:
    data = shoe_store()
    data["workloads"][0]["requests_per_day"] = 0
    data["workloads"][1]["languages"] = ["EN"]
    data["hardware"]["ownership"] = "leased"
    assert form_problems(data) == {
        "workloads[0].requests_per_day": "must be > 0, got 0",
        "workloads[1].languages": "must be ISO 639 codes like 'en' or 'pt-BR', got 'EN'",
        "hardware.ownership": "must be one of owned | rented, got 'leased'",
    }


@pytest.mark.parametrize(
    ("changes", "path"),
    [
        ({"privacy": "air_gapped", "deployment": "api_only"}, "constraints.deployment"),
        ({"privacy": "regulated", "deployment": "api_only"}, "constraints.deployment"),
    ],
)
def test_contradictory_constraints_are_reported_at_the_field_to_change(changes: dict[str, str], path: str) -> None:
    data = shoe_store()
    data["constraints"].update(changes)
    assert set(contradictions(data)) == {path}
    assert path in form_problems(data)


def test_regulated_api_only_is_fine_with_a_provider_agreement() -> None:
    data = shoe_store()
    data["constraints"].update(privacy="regulated", deployment="api_only", allowed_providers=["openai"])
    assert contradictions(data) == {}


def test_total_latency_under_the_first_token_target_is_a_contradiction() -> None:
    data = shoe_store()
    data["workloads"][0].update(latency_p95_first_token_ms=1000, latency_p95_total_ms=400)
    assert contradictions(data) == {
        "workloads[0].latency_p95_total_ms": "must be >= the first-token target (1,000 ms): the whole answer cannot "
        "come before its first words, got 400"
    }


@pytest.mark.parametrize("name", sorted(example_scenarios()))
def test_no_example_trips_a_form_check(name: str) -> None:
    assert form_problems(example_scenarios()[name].to_dict()) == {}


@pytest.mark.parametrize("name", sorted(example_scenarios()))
def test_a_scenario_survives_the_form_unchanged(name: str) -> None:
    scenario = example_scenarios()[name]
    draft = draft_from_scenario(scenario)
    data = scenario_data(draft, scenario.assumptions.currency)
    assert form_problems(data) == {}
    assert Scenario.model_validate(data) == scenario


def test_the_hybrid_labs_measured_split_survives_the_form() -> None:
    """Not a question on the form, but submitting it must not drop what the Hybrid lab measured."""
    scenario = use_split(
        example_scenarios()["shoe-store"],
        "support-chat",
        MeasuredSplit(small_share=0.72, quality_vs_large=0.93, pattern="cascade", router="self-check", prompts=38),
    )
    data = scenario_data(draft_from_scenario(scenario), scenario.assumptions.currency)
    assert Scenario.model_validate(data) == scenario
    assert data["workloads"][0]["measured_split"]["small_share"] == 0.72
    assert "measured_split" not in data["workloads"][1]


def test_problems_land_on_the_widget_of_their_workload_slot() -> None:
    draft = draft_from_scenario(example_scenarios()["shoe-store"])
    draft["slots"] = [0, 7]  # workload 1 now lives in slot 7 (slot 1 was removed, another added)
    draft["values"].update(
        {wkey(7, key[len(wkey(1, "")) :]): v for key, v in draft["values"].items() if key.startswith("q_w1_")}
    )
    problems = {
        "workloads[1].requests_per_day": "must be > 0, got 0",
        "hardware.ownership": "must be one of owned | rented, got 'x'",
        "name": "must not be empty",
        "workloads[9].name": "no such workload",
    }
    assert problem_keys(draft, problems) == {
        wkey(7, "requests_per_day"): "must be > 0, got 0",
        skey("ownership"): "must be one of owned | rented, got 'x'",
        skey("name"): "must not be empty",
        SCENARIO_LEVEL: "workloads[9].name: no such workload",
    }
