"""The published contracts: the scenario file and the JSON that recommend, fit and compare print.

The committed JSON Schemas in docs/schemas must equal what advisor.schema.outputs generates, what the code prints
must validate against the output models (which refuse unknown keys and require every key), and the reference
pages must name every field.
"""

from __future__ import annotations

import inspect
import json
import re
import subprocess
from functools import cache
from pathlib import Path
from typing import Any, get_args

import pytest
from pydantic import BaseModel

import advisor
from advisor.schema.outputs import (
    CompareOutput,
    FitOutput,
    OptionOutput,
    ReasonOutput,
    RecommendationOutput,
    WorkloadOutput,
    output_json_schemas,
)
from tests.conftest import EXAMPLES, REPO

SCHEMAS = REPO / "docs" / "schemas"
REGENERATE = "python -m advisor.schema.outputs docs/schemas"
EXAMPLE_FILES = sorted(EXAMPLES.glob("*.yaml"))

# The keys every reader may rely on (docs/outputs.md, marked C): the models must require each one.
CONTRACT_KEYS: dict[type[BaseModel], set[str]] = {
    RecommendationOutput: {"scenario", "total_monthly_cost_usd", "workloads"},
    WorkloadOutput: {
        "name",
        "verdict",
        "deployment",
        "monthly_cost_usd",
        "options",
        "reasons",
        "break_even_requests_per_day",
    },
    OptionOutput: {
        "kind",
        "model",
        "provider",
        "hardware",
        "monthly_cost_usd",
        "cost_low_usd",
        "cost_high_usd",
        "est_first_token_ms",
        "est_tokens_per_s",
        "fits",
        "excluded_by",
    },
    ReasonOutput: {"rule", "effect", "text", "source"},
    FitOutput: {
        "model",
        "quant",
        "hardware",
        "context_tokens",
        "concurrency",
        "memory_gb",
        "fits",
        "tokens_per_s",
        "first_token_ms",
        "basis",
    },
}


def as_printed(data: Any) -> Any:
    """The object as a reader of the CLI's JSON gets it (the CLI prints with allow_nan=False)."""
    return json.loads(json.dumps(data, allow_nan=False))


# ------------------------------------------------------------------------------------------- committed schemas
def test_committed_schemas_match_the_models() -> None:
    expected = output_json_schemas()
    committed = {path.name: path.read_text(encoding="utf-8") for path in sorted(SCHEMAS.glob("*.json"))}
    assert sorted(committed) == sorted(expected), (
        f"docs/schemas holds {sorted(committed)}, the models give {sorted(expected)}; run `{REGENERATE}`"
    )
    stale = [name for name, text in expected.items() if committed[name] != text]
    assert not stale, f"docs/schemas/{', '.join(stale)} out of date with the pydantic models; run `{REGENERATE}`"


@pytest.mark.parametrize("model", list(CONTRACT_KEYS), ids=lambda m: m.__name__)
def test_contract_keys_are_required(model: type[BaseModel]) -> None:
    required = {name for name, field in model.model_fields.items() if field.is_required()}
    missing = CONTRACT_KEYS[model] - required
    assert not missing, f"{model.__name__}: contract keys {sorted(missing)} must be required fields"


def test_output_models_refuse_unknown_keys() -> None:
    for model in (RecommendationOutput, WorkloadOutput, OptionOutput, ReasonOutput, FitOutput, CompareOutput):
        assert model.model_config.get("extra") == "forbid", f"{model.__name__} must refuse keys it does not list"


# ---------------------------------------------------------------------------------------------- recommendation
@cache
def recommendation(name: str) -> Any:
    return advisor.recommend(advisor.load_scenario(EXAMPLES / name))


def all_options_supported() -> bool:
    return "all_options" in inspect.signature(advisor.Recommendation.to_dict).parameters


@pytest.mark.parametrize("path", EXAMPLE_FILES, ids=lambda p: p.stem)
def test_recommendation_json_matches_the_contract(path: Path) -> None:
    result = recommendation(path.name)
    variants = [result.to_dict()]
    if all_options_supported():
        variants.append(result.to_dict(all_options=True))
    for data in variants:
        RecommendationOutput.model_validate(data)
        parsed = RecommendationOutput.model_validate(as_printed(data))
        assert parsed.scenario == result.scenario.name
        assert [w.name for w in parsed.workloads] == [w.name for w in result.scenario.workloads]
        total = sum(w.monthly_cost_usd for w in parsed.workloads)  # each rounded to cents, the total from the sum
        assert parsed.total_monthly_cost_usd == pytest.approx(total, abs=0.01 * len(parsed.workloads))
        for workload in parsed.workloads:
            check_ranking(workload)


def check_ranking(workload: WorkloadOutput) -> None:
    """Options ranked best first: every viable option before every excluded one, the first viable one the pick."""
    viable = [not option.excluded_by for option in workload.options]
    assert viable == sorted(viable, reverse=True), f"{workload.name}: an excluded option ranks above a viable one"
    assert workload.feasible == (bool(viable) and viable[0])
    if workload.feasible:
        first = workload.options[0]
        assert workload.pick == first.label
        assert (workload.verdict, workload.deployment) == (first.kind, first.deployment)
        assert workload.monthly_cost_usd == first.monthly_cost_usd
    else:
        assert workload.pick is None
        assert workload.monthly_cost_usd == 0
    for option in workload.options:
        assert len(option.why_excluded) == len(option.excluded_by), option.label
        assert (option.hybrid is not None) == (option.kind == "hybrid"), option.label


def test_recommend_cli_prints_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    code = main(["recommend", str(EXAMPLE_FILES[0]), "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    RecommendationOutput.model_validate(json.loads(out))


def test_recommendation_json_with_no_viable_option() -> None:
    """Privacy that rules out every API and a deployment that allows only APIs: nothing is viable."""
    scenario = advisor.Scenario.model_validate(
        {
            "version": 1,
            "name": "nothing fits",
            "workloads": [
                {"name": "labels", "task": "classification", "requests_per_day": 100, "input_tokens": 100,
                 "output_tokens": 5}
            ],
            "constraints": {"privacy": "air_gapped", "deployment": "api_only"},
        }
    )  # fmt: skip
    parsed = RecommendationOutput.model_validate(as_printed(advisor.recommend(scenario).to_dict()))
    workload = parsed.workloads[0]
    assert not parsed.feasible and not workload.feasible
    assert workload.pick is None and workload.closest_options
    assert all(option.excluded_by for option in workload.options)
    check_ranking(workload)


# ----------------------------------------------------------------------------------------------------------- fit
def test_fit_json_matches_the_contract() -> None:
    parsed = FitOutput.model_validate(as_printed(advisor.estimate_fit("llama-3.1-8b-instruct", "rtx-4090").to_dict()))
    assert (parsed.model, parsed.hardware, parsed.fits) == ("llama-3.1-8b-instruct", "rtx-4090", True)
    assert parsed.gpu_layer_share is None
    for band in (parsed.tokens_per_s, parsed.first_token_ms):
        assert band.low <= band.expected <= band.high
    memory = parsed.memory_gb
    assert memory.total == pytest.approx(memory.weights + memory.kv_cache + memory.overhead, abs=0.01)


def test_fit_json_when_the_model_does_not_fit() -> None:
    data = advisor.estimate_fit("llama-3.3-70b-instruct", "RTX 4090", quant="Q8_0").to_dict()
    parsed = FitOutput.model_validate(as_printed(data))
    assert parsed.hardware == "rtx-4090" and not parsed.fits
    assert parsed.gpu_layer_share is not None and 0 <= parsed.gpu_layer_share < 1


def test_fit_cli_prints_the_contract(capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    code = main(["fit", "llama-3.1-8b-instruct", "--hardware", "rtx-4090", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    FitOutput.model_validate(json.loads(out))
    code = main(["fit", "--hardware", "rtx-4090", "--format", "json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    listed = json.loads(out)
    assert listed, "some model fits an RTX 4090"
    for item in listed:
        FitOutput.model_validate(item)


# ------------------------------------------------------------------------------------------------------ compare
def measurements() -> dict[str, Any]:
    from advisor.runners import Measurement

    ok = Measurement(
        runner="local",
        model="gemma-3-270m",
        text="negative",
        first_token_ms=41.234,
        tokens_per_s=88.1234,
        total_ms=160.04,
        prompt_tokens=52,
        completion_tokens=11,
        cost_usd=2.1e-7,
        cost_basis="electricity for this run on this machine",
    )
    failed = Measurement(runner="api", model="gpt-4o-mini", error="api: connection refused", retries=2)
    return {"local": ok, "api": failed}


def test_compare_json_matches_the_contract() -> None:
    from advisor.compare import SideBySide
    from advisor.data.catalog import load_catalog
    from advisor.engine.scoring import score

    sides = measurements()
    prompt = next(p for p in load_catalog().prompts_for("classification") if p.expected is not None)
    scored = score(sides["local"].text, prompt)  # the real scorer, on the text the measurement carries
    result = SideBySide(prompt.text, sides, prompt.id, {"local": scored})
    parsed = CompareOutput.model_validate(as_printed(result.to_dict()))
    assert parsed.local is not None and parsed.api is not None
    assert parsed.local.error is None and parsed.local.score is not None
    assert parsed.api.error == "api: connection refused" and parsed.api.total_ms is None
    one_side = SideBySide("hello", {"local": sides["local"]})
    parsed = CompareOutput.model_validate(as_printed(one_side.to_dict()))
    assert parsed.api is None and parsed.prompt_id is None


def field_names(model: type[BaseModel], seen: set[type[BaseModel]] | None = None) -> set[str]:
    """Every field name of `model` and of the models nested in it."""
    seen = seen if seen is not None else set()
    if model in seen:
        return set()
    seen.add(model)
    names = set(model.model_fields)
    for field in model.model_fields.values():
        for inner in nested_models(field.annotation):
            names |= field_names(inner, seen)
    return names


def nested_models(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [model for arg in get_args(annotation) for model in nested_models(arg)]


def test_scenario_reference_names_every_field_and_privacy_level() -> None:
    from advisor.schema import scenario as module

    text = (REPO / "docs" / "scenario-v1.md").read_text(encoding="utf-8")
    models = (module.Scenario, module.Workload, module.Constraints, module.HardwareChoice, module.Assumptions)
    names = set().union(*(set(model.model_fields) for model in models))
    missing = sorted(name for name in names if f"`{name}`" not in text)
    assert not missing, f"docs/scenario-v1.md does not describe {missing}"
    levels = set(get_args(module.Privacy)) | set(module.PRIVACY_MEANINGS)
    missing = sorted(level for level in levels if f"`{level}`" not in text)
    assert not missing, f"docs/scenario-v1.md does not explain privacy levels {missing}"
    assert "schemas/scenario.schema.json" in text


def test_outputs_reference_names_every_key() -> None:
    text = (REPO / "docs" / "outputs.md").read_text(encoding="utf-8")
    for model in (RecommendationOutput, FitOutput, CompareOutput):
        missing = sorted(name for name in field_names(model) if f"`{name}`" not in text)
        assert not missing, f"docs/outputs.md does not describe {model.__name__} keys {missing}"
    for name in output_json_schemas():
        assert f"schemas/{name}" in text, f"docs/outputs.md does not point to docs/schemas/{name}"


def test_no_file_refers_outside_the_repository() -> None:
    """The repository stands on its own: no file points at design notes or folders kept outside it."""
    banned = re.compile(re.escape("DESIGN" + ".md") + "|" + re.escape(".." + "/shared"))
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    if listed.returncode != 0:
        pytest.skip(f"not a git checkout: {listed.stderr.strip()}")
    offenders = []
    for name in filter(None, listed.stdout.split("\0")):
        path = REPO / name
        if not path.is_file():
            continue
        data = path.read_bytes()
        if b"\0" in data[:8192]:  # binary
            continue
        for number, line in enumerate(data.decode("utf-8", errors="replace").splitlines(), start=1):
            if banned.search(line):
                offenders.append(f"{name}:{number}: {line.strip()[:100]}")
    assert not offenders, "files refer to something outside the repository:\n" + "\n".join(offenders)
