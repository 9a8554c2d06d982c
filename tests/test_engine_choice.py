"""The serving engine as a scenario input (hardware.engine): validated against the catalog and the hardware, used
by every self-hosted option, named in labels, the fit command, the questionnaire and the report."""

from __future__ import annotations

import json

import pytest

from advisor.cli import main
from advisor.data.catalog import default_catalog
from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.engine.recommend import recommend
from advisor.errors import ScenarioError
from advisor.present.catalog_view import catalog_rows
from advisor.present.questionnaire import draft_from_scenario, scenario_data, skey
from advisor.present.report import Names, input_rows
from advisor.schema.scenario import Scenario
from tests.apptest import open_app, rerun


def _scenario(**hardware: object) -> Scenario:
    return scenario_from_data(
        {
            "version": 1,
            "name": "engine choice",
            "workloads": [
                {
                    "name": "chat",
                    "task": "customer_support",
                    "requests_per_day": 200_000,
                    "input_tokens": 600,
                    "output_tokens": 150,
                }
            ],
            "hardware": hardware,
        }
    )


def _self_hosted_labels(scenario: Scenario) -> list[str]:
    result = recommend(scenario).workloads[0]
    return [r.option.label for r in result.options if r.option.is_self_hosted and r.option.fits]


def test_engine_names_resolve_to_catalog_ids() -> None:
    assert _scenario(profile="h100", engine="vLLM").hardware.engine == "vllm"
    assert _scenario(profile="h100", engine="llama.cpp").hardware.engine == "llama.cpp"
    assert _scenario().hardware.engine is None


def test_an_unknown_engine_is_one_line_naming_the_field() -> None:
    with pytest.raises(ScenarioError) as caught:
        _scenario(profile="h100", engine="tgi-classic")
    message = str(caught.value)
    assert "\n" not in message and "hardware.engine" in message and "tgi-classic" in message
    assert "vllm" in message and "llama.cpp" in message  # what is allowed


def test_an_engine_that_does_not_run_on_the_named_hardware_is_refused() -> None:
    with pytest.raises(ScenarioError, match=r"hardware\.engine: .*vllm does not run on m3-max-64gb \(apple_silicon\)"):
        _scenario(profile="m3-max-64gb", ownership="owned", engine="vllm")


def test_the_engine_decides_every_self_hosted_option() -> None:
    default = _self_hosted_labels(_scenario(profile="h100"))
    assert default and all(", vLLM on 1x h100" in label for label in default)
    llama = _self_hosted_labels(_scenario(profile="h100", engine="llama.cpp"))
    assert llama and all(", llama.cpp on 1x h100" in label for label in llama)
    # llama.cpp runs GGUF precisions on the same card; vLLM its own (FP8 on Hopper).
    assert any(label.split(",")[0].endswith(("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M")) for label in llama)
    assert any(" FP8," in label for label in default)


def test_with_the_hardware_left_open_the_engine_keeps_to_hardware_it_runs_on() -> None:
    catalog = default_catalog()
    result = recommend(_scenario(engine="vllm")).workloads[0]
    own = [r.option for r in result.options if r.option.is_self_hosted and r.option.fits]
    assert own
    for option in own:
        assert catalog.engine_runs_on("vllm", catalog.hardware[option.hardware].kind), option.label
        assert ", vLLM on " in option.label


def test_fit_command_takes_and_names_the_engine(capsys: pytest.CaptureFixture[str]) -> None:
    main(["fit", "llama-3.1-8b-instruct", "--hardware", "h100", "--engine", "llama.cpp", "--format", "json"])
    data = json.loads(capsys.readouterr().out)
    assert data["engine"] == "llama.cpp" and data["quant"] == "Q8_0"
    main(["fit", "llama-3.1-8b-instruct", "--hardware", "h100"])
    assert capsys.readouterr().out.startswith("llama-3.1-8b-instruct FP8, vLLM on 1x h100: FITS")
    assert main(["fit", "llama-3.1-8b-instruct", "--hardware", "m3-max-64gb", "--engine", "vllm"]) == 2
    err = capsys.readouterr().err
    assert "engine: vllm does not run on m3-max-64gb" in err and "Traceback" not in err


def test_catalog_lists_the_engines() -> None:
    rows = {row["id"]: row for row in catalog_rows("engines")}
    assert {"llama.cpp", "vllm"} <= set(rows)
    assert rows["vllm"]["max_sequences"] == 256 and "datacenter_gpu" in rows["vllm"]["default_on"]
    assert "FP8" in rows["vllm"]["precisions"] and "FP8" not in rows["llama.cpp"]["precisions"]
    assert "apple_silicon" in rows["llama.cpp"]["runs_on"] and "apple_silicon" not in rows["vllm"]["runs_on"]
    assert all(row["source"] for row in rows.values())


def test_the_questionnaire_round_trips_the_engine() -> None:
    scenario = example_scenarios()["shoe-store"]
    assert scenario_data(draft_from_scenario(scenario))["hardware"]["engine"] is None
    chosen = scenario.model_copy(update={"hardware": scenario.hardware.model_copy(update={"engine": "llama.cpp"})})
    draft = draft_from_scenario(chosen)
    assert draft["values"][skey("engine")] == "llama.cpp"
    assert scenario_data(draft)["hardware"]["engine"] == "llama.cpp"


def test_the_questionnaire_keeps_the_engine_and_the_recommendation_uses_it() -> None:
    at = open_app()
    at.selectbox(key=skey("engine")).select("llama.cpp")
    at.button(key="q_submit").click()
    rerun(at)
    assert not at.exception
    scenario = at.session_state["scenario"]
    assert isinstance(scenario, Scenario) and scenario.hardware.engine == "llama.cpp"


def test_the_report_names_the_engine_asked_for() -> None:
    names = Names(default_catalog())
    scenario = _scenario(profile="h100", engine="llama.cpp")
    (row,) = [row for row in input_rows(scenario, names) if row["item"] == "Serving engine"]
    assert row["value"] == "llama.cpp"
    (row,) = [row for row in input_rows(_scenario(profile="h100"), names) if row["item"] == "Serving engine"]
    assert row["value"].startswith("the usual one")


def test_the_catalog_page_lists_the_engines() -> None:
    at = open_app("catalog")
    assert not at.exception
    (engines,) = [e for e in at.expander if e.label == "Serving engines"]
    text = " ".join(m.value for m in engines.markdown)
    for row in catalog_rows("engines"):
        assert f"**{row['name']}**" in text
    assert "vLLM" in text and "runs on datacenter gpu, consumer gpu" in text


def test_an_engine_the_hardware_cannot_run_is_marked_on_its_question_and_nothing_is_lost() -> None:
    at = open_app()
    at.selectbox(key=skey("profile")).select("m3-max-64gb")
    at.radio(key=skey("ownership")).set_value("owned")
    at.selectbox(key=skey("engine")).select("vllm")
    at.button(key="q_submit").click()
    rerun(at)
    assert not at.exception
    marked = [e.value for e in at.error if "vllm does not run on m3-max-64gb" in e.value]
    assert marked and all("\n" not in m for m in marked)
    assert at.selectbox(key=skey("engine")).value == "vllm"
    assert at.selectbox(key=skey("profile")).value == "m3-max-64gb"
