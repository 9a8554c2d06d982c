"""One catalog snapshot through the whole engine, and one option list behind every cost figure.

A custom catalog must reach every step (options, rules, routing, prompts), and the cost table, the sensitivity grid
and `recommend()` must cost the same option the same.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest
import yaml

import advisor
from advisor.data.catalog import default_catalog, load_catalog, set_default_catalog
from advisor.data.measurements import record_measurement
from advisor.data.scenarios import scenario_from_data
from advisor.engine.tables import sensitivity, workload_cost_table
from advisor.errors import ScenarioError
from tests.conftest import EXAMPLES

NEW_TASK = "contract_redlining"


@pytest.fixture(scope="module")
def custom_catalog_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The shipped catalog plus one task id only it has, with its token shape, routing figures and prompts."""
    root = tmp_path_factory.mktemp("custom") / "catalog"
    shutil.copytree(Path(advisor.__file__).parent.parent / "catalog", root)
    tasks = yaml.safe_load((root / "tasks.yaml").read_text())
    tasks["tasks"].append(
        {
            "id": NEW_TASK,
            "name": "Contract redlining",
            "description": "Mark the clauses of a contract that depart from the team's playbook.",
            "input_tokens": 2500,
            "output_tokens": 300,
            "capability": "standard",
            "nature": "narrow",
            "source": "A team's own task kind (test data)",
        }
    )
    (root / "tasks.yaml").write_text(yaml.safe_dump(tasks, sort_keys=False))
    routing = yaml.safe_load((root / "routing.yaml").read_text())
    routing["tasks"][NEW_TASK] = {
        "benchmark": "mmlu",
        "small_share": 0.6,
        "quality_fraction": 0.95,
        "pattern": "router",
        "source": "A team's own routing figure (test data)",
    }
    (root / "routing.yaml").write_text(yaml.safe_dump(routing, sort_keys=False))
    return root


def scenario_for(task: str, catalog: advisor.Catalog | None = None) -> advisor.Scenario:
    data = {
        "version": 1,
        "name": "Custom task",
        "workloads": [
            {"name": "redlines", "task": task, "requests_per_day": 4000, "input_tokens": 2500, "output_tokens": 300}
        ],
    }
    return scenario_from_data(data, catalog=catalog)


def test_a_task_only_a_custom_catalog_has_recommends_end_to_end(custom_catalog_dir: Path) -> None:
    custom = load_catalog(custom_catalog_dir)
    with pytest.raises(ScenarioError, match=f"unknown task '{NEW_TASK}'"):
        scenario_for(NEW_TASK)  # the shipped catalog does not know it
    scenario = scenario_for(NEW_TASK, custom)
    result = advisor.recommend(scenario, catalog=custom)
    workload = result.workloads[0]
    assert workload.verdict in ("slm", "llm", "hybrid")
    assert workload.pick is not None and workload.monthly_cost_usd > 0
    # The hybrids were built from the custom routing file: its share and its source.
    hybrids = [r.option for r in workload.options if r.option.kind == "hybrid"]
    assert hybrids, "no hybrid option was built"
    assert {h.small_share for h in hybrids} == {0.6}
    assert {h.routing_source for h in hybrids} == {"A team's own routing figure (test data)"}
    assert result.rules_source == str(custom_catalog_dir / "rules.yaml")
    # The same scenario decides through the CLI-facing entry points once the custom catalog is the default.
    set_default_catalog(custom)
    try:
        again = advisor.recommend(scenario)
        assert again.to_dict() == result.to_dict()
    finally:
        set_default_catalog(None)
    assert default_catalog().tasks.keys() == load_catalog().tasks.keys()


def test_a_routing_file_that_misses_a_task_is_refused(custom_catalog_dir: Path, tmp_path: Path) -> None:
    broken = tmp_path / "catalog"
    shutil.copytree(custom_catalog_dir, broken)
    routing = yaml.safe_load((broken / "routing.yaml").read_text())
    del routing["tasks"][NEW_TASK]
    (broken / "routing.yaml").write_text(yaml.safe_dump(routing, sort_keys=False))
    with pytest.raises(advisor.AdvisorError, match=f"routing.yaml: tasks: no routing figures for {NEW_TASK}"):
        load_catalog(broken)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_cost_table_row_is_the_recommended_options_cost(path: Path) -> None:
    scenario = advisor.load_scenario(path)
    result = advisor.recommend(scenario)
    for workload, decided in zip(scenario.workloads, result.workloads, strict=True):
        by_label = {r.option.label: r for r in decided.options}
        table = workload_cost_table(scenario, workload)
        assert len(table) > 0
        for row in table.to_dict(orient="records"):
            ranked = by_label[row["option"]]  # every row is one of the options recommend() ranked
            for column, band in (("cost_low_usd", "low"), ("monthly_cost_usd", "expected"), ("cost_high_usd", "high")):
                assert math.isclose(row[column], ranked.monthly_usd[band], rel_tol=1e-9), (row["option"], band)


def test_sensitivity_for_a_scenario_uses_the_recommended_options() -> None:
    scenario = advisor.load_scenario(EXAMPLES / "shoe-store.yaml")
    workload = scenario.workloads[0]
    table = workload_cost_table(scenario, workload)
    grid = sensitivity(
        [workload.requests_per_day], [workload.input_tokens], [workload.output_tokens], scenario=scenario
    )
    assert set(grid["option"].astype(str)) == set(table["option"])
    # API options cost the same in both (the grid's self-hosted capacity ignores latency targets, by design).
    api = table[table["kind"] == "api"].set_index("option")["monthly_cost_usd"]
    for row in grid[grid["kind"] == "api"].itertuples():
        assert math.isclose(row.monthly_cost_usd, api[str(row.option)], rel_tol=1e-9)


def test_a_stored_measurement_reaches_the_engine_through_the_snapshot() -> None:
    before = default_catalog()
    assert len(before.measurements) == 0
    assert advisor.estimate_fit("gemma-3-270m", "rtx-4090", "Q8_0").basis == "estimated"
    record_measurement("gemma-3-270m", "Q8_0", "rtx-4090", tokens_per_s=321.0, first_token_ms=12.0, prompt_tokens=40)
    after = default_catalog()
    assert after is not before and len(after.measurements) == 1
    fit = advisor.estimate_fit("gemma-3-270m", "rtx-4090", "Q8_0")
    assert fit.basis == "measured" and fit.tokens_per_s["expected"] == 321.0
    # The snapshot a caller holds does not change under it.
    assert advisor.estimate_fit("gemma-3-270m", "rtx-4090", "Q8_0", catalog=before).basis == "estimated"
