"""The articles' criteria that need an input of their own: each one isolated by a scenario and its control, which
differ only in that input (docs/criteria.md lists every criterion and the test that checks it)."""

from __future__ import annotations

import ast
import copy
import re
from pathlib import Path
from typing import Any

import pytest

from advisor.data.catalog import default_catalog
from advisor.data.scenarios import scenario_from_data
from advisor.engine.recommend import WorkloadRecommendation
from tests.test_rules import BASE as RULE_PROBE
from tests.test_rules import decide_from

ROOT = Path(__file__).resolve().parents[1]
# The rules' probe workload, with the hardware left to the advisor.
BASE: dict[str, Any] = {key: value for key, value in RULE_PROBE.items() if key != "hardware"}


def decide(workload: dict[str, Any] | None = None, **sections: Any) -> WorkloadRecommendation:
    return decide_from(BASE, workload, **sections)


def model_languages(result: WorkloadRecommendation) -> tuple[str, ...] | None:
    assert result.pick is not None
    option = result.pick.option
    return option.languages if option.small is None else option.large.languages  # type: ignore[union-attr]


# ---- C. languages ------------------------------------------------------------------------------------------------
def test_22_many_languages_rule_out_models_whose_cards_name_fewer() -> None:
    forty = ["en", "es", "fr", "de", "pt", "it", "nl", "pl", "ru", "uk", "tr", "ar", "fa", "he", "hi", "bn", "ur"]
    forty += ["ta", "te", "mr", "zh", "ja", "ko", "vi", "th", "id", "ms", "tl", "sw", "yo", "ha", "ig", "zu", "am"]
    control = decide({"task": "classification", "requests_per_day": 200_000})
    many = decide({"task": "classification", "requests_per_day": 200_000, "languages": forty})
    assert control.verdict == "slm"
    assert many.verdict == "llm"
    assert "many_languages" in {r.rule for r in many.reasons}
    # What is left reads every language: no pick whose card names a shorter list.
    assert model_languages(many) in (("*",), None)
    assert model_languages(control) != ("*",) or control.verdict == "slm"


def test_23_low_resource_languages_exclude_small_models_whose_cards_do_not_name_them() -> None:
    control = decide()
    swahili = decide({"languages": ["en", "sw", "yo"]})
    assert control.pick is not None and control.pick.option.model == "llama-3.1-8b-instant"
    out = {r.option.label for r in swahili.options if "language_not_covered" in r.excluded_by}
    assert "groq/llama-3.1-8b-instant" in out
    assert not any("language_not_covered" in r.excluded_by for r in control.options)
    # The pick's card claims 100+ languages (Qwen3, Gemma 3); no Llama, Qwen2.5, Mistral or Phi remains.
    assert model_languages(swahili) == ("*",)
    assert swahili.verdict != "slm" or swahili.pick.option.deployment == "self_hosted"  # type: ignore[union-attr]


# ---- G. adaptation, maintenance ------------------------------------------------------------------------------------
def test_11_55_domain_data_favours_only_small_models_the_team_can_tune() -> None:
    with_data = decide({"task": "extraction", "domain_data": True})
    points = {r.option.label: r.score for r in with_data.options}
    assert points["groq/llama-3.1-8b-instant"] == 2  # a hosted endpoint nobody can tune gains nothing
    assert points["together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"] == 3  # the provider tunes it
    tunable = [r for r in with_data.options if r.option.kind == "slm" and r.option.provider is None]
    assert tunable and all(r.score == 3 for r in tunable)
    without = decide({"task": "extraction"})
    assert {r.option.label: r.score for r in without.options}[
        "together/meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo"
    ] == 2


def test_39_confidential_domain_data_keeps_the_tunable_model_in_house() -> None:
    result = decide({"task": "extraction", "domain_data": True}, constraints={"privacy": "confidential"})
    control = decide({"task": "extraction", "domain_data": True})
    assert result.pick is not None and result.pick.option.provider is None
    assert result.pick.option.fine_tunable
    assert control.pick is not None and control.pick.option.provider is not None


def test_53_54_frequent_updates_favour_a_small_model_the_team_can_tune() -> None:
    weekly = decide({"update_frequency": "weekly"})
    rarely = decide()
    assert "frequent_updates" in {r.rule for r in weekly.reasons}
    assert "frequent_updates" not in {r.rule for r in rarely.reasons}
    gain = {r.option.label: r.score for r in weekly.options}
    base = {r.option.label: r.score for r in rarely.options}
    for r in weekly.options:
        expected = 1 if r.option.kind == "slm" and r.option.fine_tunable else 0
        assert gain[r.option.label] - base[r.option.label] == expected, r.option.label


def test_56_drift_note_only_for_a_tuned_model_that_must_keep_up() -> None:
    assert "drift_retraining" in {r.rule for r in decide({"update_frequency": "monthly", "domain_data": True}).reasons}
    assert "drift_retraining" not in {r.rule for r in decide({"domain_data": True}).reasons}


# ---- F. infrastructure and devices ---------------------------------------------------------------------------------
def test_48_strong_infrastructure_already_paid_favours_a_large_model() -> None:
    hardware = {"profile": "h100", "ownership": "owned"}
    paid = decide({"task": "summarization"}, hardware={**hardware, "already_owned": True})
    control = decide({"task": "summarization"}, hardware=hardware)
    assert "existing_infrastructure" in {r.rule for r in paid.reasons}
    assert paid.verdict == "llm" and paid.deployment == "self_hosted"
    assert paid.pick is not None and paid.pick.option.replica_hardware_usd == 0.0
    assert control.verdict != "llm" or control.deployment != "self_hosted"


def test_46_a_device_the_users_already_have_costs_its_electricity_only() -> None:
    phone = {"profile": "phone-flagship", "ownership": "owned"}
    rag = {"task": "rag_qa", "requests_per_day": 2000}
    bought = decide(rag, hardware=phone)
    theirs = decide(rag, hardware={**phone, "already_owned": True})
    assert bought.pick is not None and theirs.pick is not None
    assert theirs.deployment == "local"
    assert theirs.pick.cost < 5 < bought.pick.cost


def test_already_owned_needs_a_named_owned_machine() -> None:
    data = copy.deepcopy(BASE)
    data["hardware"] = {"ownership": "rented", "already_owned": True}
    with pytest.raises(Exception, match="already_owned"):
        scenario_from_data(data)


# ---- A. modality ---------------------------------------------------------------------------------------------------
def test_18_image_input_leaves_only_models_that_read_images() -> None:
    copy_from_photo = decide({"task": "creative_writing", "requests_per_day": 2000, "modality": "image"})
    control = decide({"task": "creative_writing", "requests_per_day": 2000})
    assert copy_from_photo.pick is not None and copy_from_photo.pick.option.vision
    assert all(not r.viable for r in copy_from_photo.options if not r.option.vision)
    assert any(r.viable and not r.option.vision for r in control.options)


def test_every_vision_and_language_claim_in_the_catalog_has_a_source() -> None:
    catalog = default_catalog()
    for model in catalog.models.values():
        if model.languages is not None:
            assert "languages" in model.sources, model.id
        if model.vision:
            assert "vision" in model.sources, model.id
    for note in catalog.api_notes:
        for claim in ("vision", "fine_tuning"):
            if getattr(note, claim):
                assert claim in note.sources, f"{note.provider}/{note.model}"


# ---- the list itself -----------------------------------------------------------------------------------------------
def test_every_criterion_in_the_list_names_a_test_that_exists() -> None:
    """docs/criteria.md has one row per criterion (74); each names the test that checks it, or says why none can."""
    text = (ROOT / "docs" / "criteria.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \|(.*)\|\s*$", text, flags=re.MULTILINE)
    assert [int(n) for n, _ in rows] == list(range(1, 75))
    defined: dict[str, set[str]] = {}
    for path in (ROOT / "tests").glob("test_*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        defined[path.name] = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
    for number, row in rows:
        named = re.findall(r"`(test_\w+\.py)::(test_\w+)`", row)
        if not named:
            assert "not modelled" in row or "no test" in row, f"criterion {number} names no test and no reason"
        for file, test in named:
            assert test in defined.get(file, set()), f"criterion {number}: {file}::{test} does not exist"
