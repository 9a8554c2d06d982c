"""The rules file: every rule fires when its situation holds and stays silent when it does not; a user's own rules
file is checked the way the shipped one is."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from advisor.data.catalog import load_rules
from advisor.data.scenarios import scenario_from_data
from advisor.engine.recommend import WorkloadRecommendation, recommend
from advisor.errors import CatalogError
from advisor.schema.rules import CONTEXT_FIELDS

BASE: dict[str, Any] = {
    "version": 1,
    "name": "rule probe",
    "workloads": [
        {
            "name": "support",
            "task": "customer_support",
            "requests_per_day": 20000,
            "input_tokens": 600,
            "output_tokens": 150,
        }
    ],
    "hardware": {"profile": "l4", "ownership": "rented"},
}
OWNED_4090 = {"profile": "rtx-4090", "ownership": "owned"}
REVIEWS = {"task": "classification", "requests_per_day": 1_000_000, "input_tokens": 300, "output_tokens": 5}


def decide_from(
    base: dict[str, Any], workload: dict[str, Any] | None = None, **sections: Any
) -> WorkloadRecommendation:
    """The one workload of `base` decided, with `workload` keys and whole scenario `sections` changed."""
    data = copy.deepcopy(base)
    data["workloads"][0].update(workload or {})
    data.update(sections)
    return recommend(scenario_from_data(data)).workloads[0]


def decide(workload: dict[str, Any] | None = None, **sections: Any) -> WorkloadRecommendation:
    return decide_from(BASE, workload, **sections)


def fired(result: WorkloadRecommendation) -> set[str]:
    return {reason.rule for reason in result.reasons}


# rule id -> (situation where it must fire, situation where it must not); each as (workload overrides, sections)
CASES: dict[str, tuple[tuple[dict[str, Any], dict[str, Any]], tuple[dict[str, Any], dict[str, Any]]]] = {
    "regulated_data_stays_in_house": (({}, {"constraints": {"privacy": "regulated"}}), ({}, {})),
    "air_gapped_no_api": (({}, {"constraints": {"privacy": "air_gapped"}}), ({}, {})),
    "local_only_deployment": (({}, {"constraints": {"deployment": "local_only"}}), ({}, {})),
    "api_only_deployment": (({}, {"constraints": {"deployment": "api_only"}}), ({}, {})),
    "provider_not_allowed": (({}, {"constraints": {"allowed_providers": ["openai"]}}), ({}, {})),
    "does_not_fit_hardware": (({}, {}), ({}, {"hardware": {"profile": "h200", "count": 2}})),
    "context_window_too_small": (({"context_tokens": 20000}, {}), ({}, {})),
    "first_token_too_slow": (({"latency_p95_first_token_ms": 100}, {}), ({}, {})),
    "total_latency_too_slow": (({"latency_p95_total_ms": 800}, {}), ({}, {})),
    "below_quality_bar": (({}, {}), ({"quality": "basic"}, {})),
    "narrow_task": (({}, {}), ({"task": "creative_writing"}, {})),
    "open_ended_task": (({"task": "creative_writing"}, {}), ({}, {})),
    "multi_step_reasoning": (({"task": "complex_reasoning"}, {}), ({}, {})),
    "frontier_quality": (({"quality": "frontier"}, {}), ({}, {})),
    "basic_quality": (({"quality": "basic"}, {}), ({}, {})),
    "long_context": (({"context_tokens": 64000}, {}), ({"context_tokens": 32000}, {})),
    "many_languages": (
        ({"languages": ["en", "de", "fr", "it", "pt", "hi", "es", "th", "zh", "ja"]}, {}),
        ({"languages": ["en", "de", "fr", "it", "pt", "hi", "es", "th", "zh"]}, {}),
    ),
    "low_resource_languages": (({"languages": ["en", "sw"]}, {}), ({"languages": ["en", "de"]}, {})),
    "high_volume": (({"requests_per_day": 100000}, {}), ({"requests_per_day": 99999}, {})),
    "low_volume": (({"requests_per_day": 999}, {}), ({"requests_per_day": 1000}, {})),
    "tight_latency": (({"latency_p95_first_token_ms": 500}, {}), ({"latency_p95_first_token_ms": 501}, {})),
    "domain_data_to_tune": (({"domain_data": True}, {}), ({}, {})),
    "agentic_pipeline": (({"task": "agentic"}, {}), ({}, {})),
    "mixed_difficulty_traffic": (({}, {}), ({"task": "classification"}, {})),
    "confidential_data": (({}, {"constraints": {"privacy": "confidential"}}), ({}, {})),
    "device_hardware": (({}, {"hardware": {"profile": "raspberry-pi-5", "ownership": "owned"}}), ({}, {})),
    # 1M reviews a day on a Jetson: small models fit it, large ones only go through APIs at a far higher bill.
    "slm_much_cheaper": ((REVIEWS, {"hardware": {"profile": "jetson-orin-nano", "ownership": "owned"}}), ({}, {})),
    # 200 requests a day and only OpenAI allowed (no small model behind its API): a rented L4 kept up all month
    # for a small model loses to paying per token.
    "llm_much_cheaper": (({"requests_per_day": 200}, {"constraints": {"allowed_providers": ["openai"]}}), ({}, {})),
    # Any API hybrid (an 8B on Groq keeping the routine share) undercuts the large models; air-gapped, no API is
    # left and a pair on own GPUs costs more than one model.
    "hybrid_saves": (({}, {}), ({}, {"constraints": {"privacy": "air_gapped"}})),
    "rented_hardware_not_on_premises": (({}, {"constraints": {"on_premises_only": True}}), ({}, {})),
    # Gemma 3 270M (a base model) fits the L4; with in-domain data it could be tuned, so it is not ruled out.
    "base_model_without_tuning_data": (({}, {}), ({"domain_data": True}, {})),
    "regulated_on_rented_cloud": (
        ({}, {"constraints": {"privacy": "regulated"}}),
        ({}, {"constraints": {"privacy": "regulated"}, "hardware": OWNED_4090}),
    ),
    "no_ops_cost": (({}, {}), ({}, {"assumptions": {"ops_usd_per_month": 100}})),
    "small_model_long_context": (({"context_tokens": 64000}, {}), ({"context_tokens": 32000}, {})),
    "high_stakes_verification": (({"quality": "frontier"}, {}), ({}, {})),
    "personal_data_in_tuning_set": (
        ({"domain_data": True}, {"constraints": {"privacy": "confidential"}}),
        ({"domain_data": True}, {}),
    ),
    # Any viable hybrid; air-gapped on an L4 none is (no API, and a pair of own GPUs breaks the quality bar).
    "distil_into_the_small_model": (({}, {}), ({"quality": "frontier"}, {"constraints": {"privacy": "air_gapped"}})),
    "unpredictable_queries": (({"query_variety": "unpredictable"}, {}), ({}, {})),
    "mixed_queries": (({"query_variety": "mixed"}, {}), ({}, {})),
    "prototype_phase": (({}, {"phase": "prototype"}), ({}, {})),
    "novel_task_without_data": (
        ({"task": "creative_writing"}, {}),
        ({"task": "creative_writing", "domain_data": True}, {}),
    ),
    # An H100 the team already runs (no purchase price: electricity only) against 1M API requests a day.
    "own_hardware_much_cheaper": (
        ({"requests_per_day": 1_000_000}, {"hardware": {"profile": "h100", "ownership": "owned"}}),
        ({"requests_per_day": 1_000_000}, {"hardware": OWNED_4090}),
    ),
    "api_much_cheaper": (({}, {}), ({"requests_per_day": 1_000_000}, {"hardware": OWNED_4090})),
    "unknown_allowed_provider": (({}, {"constraints": {"allowed_providers": ["cohere"]}}), ({}, {})),
    "hardware_price_unknown": (({}, {"hardware": {"profile": "h100", "ownership": "owned"}}), ({}, {})),
    "hardware_chosen_by_advisor": (({}, {"hardware": {"ownership": "rented"}}), ({}, {})),
    # Swahili: every model whose card names its languages (Llama, Qwen2.5, Mistral, Phi, gpt-oss) is out.
    "language_not_covered": (({"languages": ["en", "sw"]}, {}), ({"languages": ["en"]}, {})),
    "no_image_input": (({"modality": "image"}, {}), ({}, {})),
    "frequent_updates": (({"update_frequency": "monthly"}, {}), ({}, {})),
    "drift_retraining": (
        ({"update_frequency": "weekly", "domain_data": True}, {}),
        ({"update_frequency": "weekly"}, {}),
    ),
    "existing_infrastructure": (
        ({}, {"hardware": {"profile": "h100", "ownership": "owned", "already_owned": True}}),
        ({}, {"hardware": {"profile": "h100", "ownership": "owned"}}),
    ),
}


def test_every_shipped_rule_has_a_firing_case() -> None:
    assert set(CASES) == {rule.id for rule in load_rules().rules}


@pytest.mark.parametrize("rule_id", sorted(CASES))
def test_rule_fires_in_its_situation_and_not_outside_it(rule_id: str) -> None:
    (fire_w, fire_s), (quiet_w, quiet_s) = CASES[rule_id]
    assert rule_id in fired(decide(fire_w, **fire_s)), f"{rule_id} should fire"
    assert rule_id not in fired(decide(quiet_w, **quiet_s)), f"{rule_id} should stay silent"


def test_hard_rule_names_the_excluded_options() -> None:
    result = decide({}, constraints={"privacy": "regulated"})
    api = [o for o in result.options if o.option.provider is not None]
    assert api and all("regulated_data_stays_in_house" in o.excluded_by for o in api)
    assert all(o.why_excluded and "may not be sent to" in o.why_excluded[0] for o in api)
    own = [o for o in result.options if o.option.provider is None]
    assert not any("regulated_data_stays_in_house" in o.excluded_by for o in own)


def test_allowed_provider_lifts_the_regulated_exclusion_for_that_provider_only() -> None:
    result = decide({}, constraints={"privacy": "regulated", "allowed_providers": ["openai"]})
    for ranked in result.options:
        if ranked.option.provider is None:
            continue
        blocked = "regulated_data_stays_in_house" in ranked.excluded_by
        assert blocked == (ranked.option.provider != "openai"), ranked.option.label


def test_every_context_field_a_rule_may_use_is_filled() -> None:
    """A field listed in CONTEXT_FIELDS that the engine does not fill would fail only when a user's rule uses it."""
    from advisor.data.catalog import load_catalog
    from advisor.engine.recommend import _Engine

    scenario = scenario_from_data(BASE)
    engine = _Engine(scenario, load_catalog(), load_rules())
    context = engine.context(scenario, scenario.workloads[0])
    for root, fields in CONTEXT_FIELDS.items():
        if root in ("option", "cost"):
            continue
        assert set(vars(context[root])) == set(fields), root
    result = decide()
    option = result.options[0].option
    for name in CONTEXT_FIELDS["option"]:
        getattr(option, name)


# ------------------------------------------------------------------------------------------- user's rules file
GOOD_RULE = """
well_covered_languages: {codes: [en], source: "test"}
rules:
  - id: always_slm
    kind: soft
    when: "workload.requests_per_day > 0"
    favours: {slm: 100}
    text: "Always a small model ({workload.requests_per_day:,.0f} a day)."
    source: "this test"
"""


def test_user_rules_file_replaces_the_shipped_rules(tmp_path: Path) -> None:
    path = tmp_path / "my-rules.yaml"
    path.write_text(GOOD_RULE)
    rec = recommend(scenario_from_data(BASE), rules=path)
    result = rec.workloads[0]
    assert result.verdict == "slm"
    assert [r.rule for r in result.reasons] == ["always_slm", "ranking"]  # the rule, then how the pick was chosen
    assert result.reasons[0].text == "Always a small model (20,000 a day)."
    assert rec.rules_source == str(path)


@pytest.mark.parametrize(
    ("when", "message"),
    [
        ("workload.requests_per_dai > 1", "rule bad (rules[0].when): unknown field workload.requests_per_dai"),
        ("__import__('os')", "only these functions may be called"),
        ("workload.__class__", "unknown field workload.__class__"),
        ("[x for x in workload.languages]", "'ListComp' is not allowed"),
        ("option.fits", "unknown name 'option'"),
        ("workload.requests_per_day >", "not a valid expression"),
        ("open('x')", "only these functions may be called"),
        ("workload", "use a field of 'workload'"),
    ],
)
def test_bad_condition_is_one_line_naming_the_rule(tmp_path: Path, when: str, message: str) -> None:
    path = tmp_path / "rules.yaml"
    quoted = "'" + when.replace("'", "''") + "'"  # a YAML single-quoted scalar
    path.write_text(GOOD_RULE.replace("always_slm", "bad").replace('"workload.requests_per_day > 0"', quoted))
    with pytest.raises(CatalogError) as error:
        load_rules(path)
    text = str(error.value)
    assert text.startswith("rules.yaml: ")
    assert message in text
    assert "\n" not in text


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        (("favours: {slm: 100}", "favours: {small: 1}"), "unknown target 'small'"),
        (("kind: soft", "kind: hard"), "only soft rules favour"),
        (("kind: soft", "kind: medium"), "must be one of"),
        (
            ("({workload.requests_per_day:,.0f} a day)", "({workload.volume})"),
            "rules\\[0\\].text\\): unknown field workload.volume",
        ),
        (('source: "this test"', "sauce: x"), "unknown key 'sauce'"),
        (('source: "this test"', "source: x"), r"rules\[0\]\.source\): must have at least 4 characters, got 'x'"),
    ],
)
def test_bad_rule_fields_are_named(tmp_path: Path, edit: tuple[str, str], message: str) -> None:
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD_RULE.replace(*edit))
    with pytest.raises(CatalogError, match=message):
        load_rules(path)


def test_duplicate_rule_ids_are_refused(tmp_path: Path) -> None:
    rule = GOOD_RULE.split("rules:\n", 1)[1]
    path = tmp_path / "rules.yaml"
    path.write_text(GOOD_RULE + rule)
    with pytest.raises(CatalogError, match="appears twice"):
        load_rules(path)


def test_missing_rules_file_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no such rules file"):
        load_rules(tmp_path / "absent.yaml")


def test_none_in_a_comparison_makes_the_condition_false() -> None:
    """A workload without a latency target must not be treated as missing every target."""
    rule = next(r for r in load_rules().rules if r.id == "tight_latency")
    from types import SimpleNamespace

    workload = SimpleNamespace(latency_p95_first_token_ms=None)
    assert rule.holds({"workload": workload}) is False
