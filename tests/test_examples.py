"""The example scenarios: each one's verdict, where it runs, and the rules behind it, as argued in its header."""

from __future__ import annotations

import re
from functools import cache

import pytest

from advisor.data.scenarios import load_scenario
from advisor.engine.recommend import Recommendation, recommend
from tests.conftest import EXAMPLES

# (file, workload) -> verdict, deployment, rules that must be among the reasons
EXPECTED: dict[tuple[str, str], tuple[str, str, set[str]]] = {
    ("shoe-store", "support-chat"): ("slm", "api", {"narrow_task", "api_much_cheaper", "first_token_too_slow"}),
    ("shoe-store", "product-descriptions"): ("llm", "api", {"open_ended_task", "low_volume", "api_much_cheaper"}),
    ("hospital-records", "clinical-note-summary"): (
        "llm",
        "self_hosted",
        {"regulated_data_stays_in_house", "local_only_deployment", "narrow_task", "domain_data_to_tune", "ranking"},
    ),
    ("reviews-sentiment", "review-sentiment"): (
        "slm",
        "self_hosted",
        {"narrow_task", "high_volume", "basic_quality", "hardware_chosen_by_advisor"},
    ),
    ("legal-research", "case-law-research"): (
        "llm",
        "api",
        {"frontier_quality", "multi_step_reasoning", "long_context", "provider_not_allowed"},
    ),
    ("mobile-offline", "voice-commands"): (
        "slm",
        "local",
        {"air_gapped_no_api", "device_hardware", "tight_latency", "first_token_too_slow"},
    ),
    ("mobile-offline", "note-summaries"): ("slm", "local", {"air_gapped_no_api", "device_hardware", "narrow_task"}),
    ("agentic-customer-service", "support-agent-steps"): (
        "hybrid",
        "self_hosted",
        {"agentic_pipeline", "confidential_data", "high_volume", "domain_data_to_tune", "ranking"},
    ),
    ("contract-analysis", "contract-review"): (
        "llm",
        "api",
        {"long_context", "context_window_too_small", "api_only_deployment", "frontier_quality"},
    ),
    ("multilingual-support", "support-chat-40-languages"): (
        "llm",
        "api",
        {"many_languages", "low_resource_languages", "language_not_covered"},
    ),
    ("team-assistant", "team-questions"): ("slm", "api", {"narrow_task", "basic_quality"}),
}


@cache
def recommendation(name: str) -> Recommendation:
    return recommend(load_scenario(EXAMPLES / f"{name}.yaml"))


def test_at_least_eight_examples_each_fully_covered() -> None:
    files = {path.stem for path in EXAMPLES.glob("*.yaml")}
    assert len(files) >= 8
    assert files == {name for name, _ in EXPECTED}
    for name in files:
        workloads = {w.name for w in load_scenario(EXAMPLES / f"{name}.yaml").workloads}
        assert workloads == {w for n, w in EXPECTED if n == name}, name


@pytest.mark.parametrize(("name", "workload"), sorted(EXPECTED))
def test_example_verdict_and_reasons(name: str, workload: str) -> None:
    verdict, deployment, rules = EXPECTED[(name, workload)]
    result = next(w for w in recommendation(name).workloads if w.workload.name == workload)
    assert result.feasible
    assert (result.verdict, result.deployment) == (verdict, deployment)
    fired = {reason.rule for reason in result.reasons}
    assert rules <= fired, f"missing: {rules - fired}"
    assert all(reason.source and reason.text for reason in result.reasons)


@pytest.mark.parametrize(("name", "workload"), sorted(EXPECTED))
def test_example_header_states_the_same_verdict(name: str, workload: str) -> None:
    """The `# expected` line in each file argues the verdict; it must not drift from what the engine says."""
    text = (EXAMPLES / f"{name}.yaml").read_text()
    lines = dict(re.findall(r"^# expected(?:\[([\w-]+)\])?: (verdict=\w+ deployment=\w+)$", text, re.MULTILINE))
    verdict, deployment, _ = EXPECTED[(name, workload)]
    stated = lines.get(workload) or lines.get("")
    assert stated == f"verdict={verdict} deployment={deployment}"
