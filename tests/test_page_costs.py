"""The Costs page through the entrypoint (streamlit.testing.v1.AppTest): headline figures, the four charts and the
table agree with advisor.engine.recommend for the saved scenario and for a what-if one; keep, reset and bad input."""

from __future__ import annotations

import base64
import json
import math
from functools import cache
from typing import Any

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from advisor.data.catalog import default_catalog
from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.engine.recommend import WorkloadRecommendation, recommend
from advisor.present.charts import option_names, top_options
from advisor.present.report import Names
from advisor.present.words import money, plain
from advisor.schema.scenario import Scenario

from .apptest import open_app, rerun
from .conftest import EXAMPLES

CHART_KEYS = ["costs_volume_chart", "costs_breakdown_chart", "costs_band_chart", "costs_latency_chart"]
PICK = "Pick · per month"
BREAK_EVEN = "Break-even · requests per day"


@cache
def decided(scenario_json: str) -> list[WorkloadRecommendation]:
    return recommend(Scenario.model_validate_json(scenario_json)).workloads


def expected(scenario: Scenario, index: int) -> WorkloadRecommendation:
    return decided(scenario.model_dump_json())[index]


def with_changes(scenario: Scenario, index: int, **workload: Any) -> Scenario:
    data = scenario.to_dict()
    data["workloads"][index].update(workload)
    return scenario_from_data(data)


def usd(amount: float) -> str:
    """Money the way every screen shows it: cents below $100, whole dollars from $100."""
    return money(amount)


def open_costs(scenario: Scenario | None = None) -> AppTest:
    return open_app("costs", scenario)


def metric(at: AppTest, label: str) -> str:
    values = [m.value for m in at.metric if m.label.startswith(label)]
    assert len(values) == 1, [m.label for m in at.metric]
    return values[0]


def figures(at: AppTest) -> dict[str, dict[str, Any]]:
    charts = at.get("plotly_chart")
    return {key: json.loads(next(c.proto.spec for c in charts if key in c.proto.id)) for key in CHART_KEYS}


def numbers(values: Any) -> list[float]:
    """A trace's array as sent to the browser: plotly encodes numpy arrays as base64 typed arrays."""
    if isinstance(values, dict):
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=values["dtype"]).tolist()
    return list(values)


def what_ifs(at: AppTest) -> list[Any]:
    return [i for i in at.info if "What-if" in i.value]


def ops_notes(at: AppTest) -> list[Any]:
    return [i for i in at.info if "Staff and upkeep for self-hosting count as $0" in i.value]


def assert_page_shows(at: AppTest, result: WorkloadRecommendation) -> None:
    """Headline, charts and table are the library's figures for `result`, formatted the page's way: options by
    their catalog names, never their ids."""
    naming = Names(default_catalog())
    pick = result.pick
    assert pick is not None
    assert metric(at, PICK) == usd(pick.cost)
    assert any(c.value.startswith(f"{naming.option(pick.option)} · ") for c in at.caption)
    other = next(
        (r for r in result.options if r.viable and (r.option.provider is None) == (pick.option.provider is not None)),
        None,
    )
    break_even = result.break_even_requests_per_day
    if other is None:  # nothing viable across the API / own-hardware line: nothing to compare or cross
        assert metric(at, "Best on ") == metric(at, BREAK_EVEN) == "—"
    else:
        assert metric(at, "Best on ") == usd(other.cost)
        assert metric(at, BREAK_EVEN) == (f"{break_even:,.0f}" if break_even is not None else "Never")
        # The caption names the two options the crossing is between, never "own hardware" against "the API".
        own, api = (other, pick) if pick.option.provider is not None else (pick, other)
        lead = "Above it" if break_even is not None else "Between 1 and a billion requests a day,"
        said = f"{naming.option(own.option)} {'costs less than' if break_even is not None else 'never costs less than'}"
        assert any(c.value.startswith(lead) and f"{said} {naming.option(api.option)}" in c.value for c in at.caption)

    options = top_options(result)
    assert len(at.dataframe) == 1
    table = at.dataframe[0].value
    assert list(table["Option"]) == [naming.option(r.option) for r in options]
    assert [usd(v) for v in table["Monthly"]] == [usd(r.monthly_usd["expected"]) for r in options]

    charts = figures(at)
    assert len(at.get("plotly_chart")) == 4
    volume = result.workload.requests_per_day
    curves = {t["meta"]["option"]: t for t in charts["costs_volume_chart"]["data"] if t.get("meta", {}).get("band")}
    # The pick is drawn last (on top of lines that cost the same), thickest, and marked in the legend.
    assert sorted(curves) == sorted(r.option.label for r in options) and list(curves)[-1] == pick.option.label
    widths = {label: trace["line"]["width"] for label, trace in curves.items()}
    assert all(widths[pick.option.label] > w for label, w in widths.items() if label != pick.option.label)
    assert curves[pick.option.label]["name"].startswith("★") and "(the pick)" in curves[pick.option.label]["name"]
    for ranked in options:
        trace = curves[ranked.option.label]
        at_volume = numbers(trace["y"])[numbers(trace["x"]).index(volume)]
        assert usd(at_volume) == usd(ranked.monthly_usd["expected"])
    (marker,) = [t for t in charts["costs_volume_chart"]["data"] if t.get("meta", {}).get("marker") == "volume"]
    assert numbers(marker["x"]) == [volume, volume]
    names = option_names(options, {r.option.label: naming.short(r.option) for r in options})
    for chart in ("costs_breakdown_chart", "costs_latency_chart"):
        assert charts[chart]["data"][0]["y"] == [names[r.option.label] for r in options]


def test_page_shows_the_recommendation_for_the_default_scenario() -> None:
    at = open_costs()
    assert at.title[0].value == "Costs"
    assert not at.error and not what_ifs(at)
    scenario: Scenario = at.session_state["scenario"]
    assert_page_shows(at, expected(scenario, 0))
    assert at.select_slider(key="costs_requests_per_day").value == scenario.workloads[0].requests_per_day
    assert "costs_keep" not in [b.key for b in at.button]


def test_second_workload_loads_its_figures() -> None:
    at = open_costs()
    scenario: Scenario = at.session_state["scenario"]
    second = scenario.workloads[1]
    at.selectbox(key="costs_workload").select(second.name)
    rerun(at)
    assert at.select_slider(key="costs_requests_per_day").value == second.requests_per_day
    assert at.select_slider(key="costs_output_tokens").value == second.output_tokens
    assert_page_shows(at, expected(scenario, 1))
    assert not what_ifs(at)  # the sliders hold the scenario's figures: no what-if


def test_volume_slider_redraws_for_the_what_if_without_saving_it() -> None:
    at = open_costs()
    scenario: Scenario = at.session_state["scenario"]
    slider = at.select_slider(key="costs_requests_per_day")
    volume = scenario.workloads[0].requests_per_day * 10
    slider.set_value(volume)
    rerun(at)
    what_if = with_changes(scenario, 0, requests_per_day=volume)
    before, after = expected(scenario, 0), expected(what_if, 0)
    assert after.pick is not None and before.pick is not None and usd(after.pick.cost) != usd(before.pick.cost)
    assert_page_shows(at, after)
    assert at.session_state["scenario"] == scenario
    assert len(what_ifs(at)) == 1


def test_keep_saves_the_what_if_and_reset_restores_the_scenario() -> None:
    at = open_costs()
    scenario: Scenario = at.session_state["scenario"]
    output_tokens = scenario.workloads[0].output_tokens * 2
    at.select_slider(key="costs_output_tokens").set_value(output_tokens)
    rerun(at)
    at.button(key="costs_keep").click()
    rerun(at)
    kept = with_changes(scenario, 0, output_tokens=output_tokens)
    assert at.session_state["scenario"] == kept
    assert not what_ifs(at) and "costs_keep" not in [b.key for b in at.button]
    assert_page_shows(at, expected(kept, 0))

    at.select_slider(key="costs_requests_per_day").set_value(scenario.workloads[0].requests_per_day / 10)
    rerun(at)
    assert len(what_ifs(at)) == 1
    at.button(key="costs_reset").click()
    rerun(at)
    assert at.session_state["scenario"] == kept
    assert at.select_slider(key="costs_requests_per_day").value == kept.workloads[0].requests_per_day
    assert not what_ifs(at)
    assert_page_shows(at, expected(kept, 0))


def test_impossible_what_if_names_the_field_and_keeps_the_last_figures() -> None:
    scenario = load_scenario(EXAMPLES / "contract-analysis.yaml")
    workload = scenario.workloads[0]
    assert workload.context_tokens is not None
    at = open_costs(scenario)
    assert_page_shows(at, expected(scenario, 0))
    slider = at.select_slider(key="costs_input_tokens")
    too_long = 10 ** math.ceil(math.log10(workload.context_tokens))  # a round figure past the context
    assert too_long + workload.output_tokens > workload.context_tokens
    slider.set_value(too_long)
    rerun(at)
    assert len(at.error) == 1
    message = at.error[0].value
    assert plain("workloads[0].context_tokens") in message and "Traceback" not in message
    assert at.session_state["scenario"] == scenario
    assert at.button(key="costs_keep").disabled
    assert_page_shows(at, expected(scenario, 0))  # the last figures that fit together
    at.button(key="costs_reset").click()
    rerun(at)
    assert not at.error and at.select_slider(key="costs_input_tokens").value == workload.input_tokens


@pytest.mark.parametrize("example", ["legal-research", "reviews-sentiment"])
def test_a_scenario_changed_elsewhere_reloads_the_sliders(example: str) -> None:
    at = open_costs()
    other = load_scenario(EXAMPLES / f"{example}.yaml")
    at.session_state["scenario"] = other
    rerun(at)
    assert at.selectbox(key="costs_workload").value == other.workloads[0].name
    assert at.select_slider(key="costs_requests_per_day").value == other.workloads[0].requests_per_day
    assert at.slider(key="costs_electricity_usd_per_kwh").value == other.assumptions.electricity_usd_per_kwh
    result = expected(other, 0)
    assert result.break_even_requests_per_day is not None  # these examples have one: the star and its number
    assert_page_shows(at, result)
    (star,) = [t for t in figures(at)["costs_volume_chart"]["data"] if t.get("meta", {}).get("marker") == "break_even"]
    assert numbers(star["x"]) == [pytest.approx(result.break_even_requests_per_day)]


def test_free_staff_and_upkeep_is_said_and_a_what_if_figure_removes_the_note() -> None:
    # The legal example with its engineer's time taken out: own-hardware options shown at the $0 default.
    scenario = load_scenario(EXAMPLES / "legal-research.yaml").replace(ops_usd_per_month=0)
    assert scenario.assumptions.ops_usd_per_month == 0
    at = open_costs(scenario)
    assert len(ops_notes(at)) == 1  # own-hardware options are shown, and their staff cost is the $0 default
    at.slider(key="costs_ops_usd_per_month").set_value(2000.0)
    rerun(at)
    assert not ops_notes(at)
    assert len(what_ifs(at)) == 1 and "staff and upkeep $0 a month → $2,000 a month" in what_ifs(at)[0].value
    assert at.session_state["scenario"] == scenario


def test_cost_bands_of_one_figure_say_so() -> None:
    from advisor.present.charts import single_figure_reason

    at = open_costs()
    result = expected(at.session_state["scenario"], 0)
    band = figures(at)["costs_band_chart"]
    for ranked in top_options(result):
        (trace,) = [t for t in band["data"] if t.get("meta", {}).get("option") == ranked.option.label]
        why = single_figure_reason(ranked)
        if why is None:
            assert trace["error_x"]["visible"] is True
        else:  # no zero-width whiskers: the label and the hover say it is one figure, and why
            assert trace["error_x"]["visible"] is False
            assert trace["text"][0].endswith("one figure") and why in trace["hovertemplate"]
