"""Live compare with real parts: the bundled model in-process, and llama.cpp's server standing in for an API.

Through the app (AppTest) and `advisor compare`; a sentinel API key is then searched for everywhere a user's data
goes: the scenario, the share link, reports, the page's text, the measurements and the command's output.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from advisor.compare import SideBySide
from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.data.share import QUERY_KEY, encode_scenario
from advisor.engine.recommend import recommend
from advisor.present.text import recommendation_markdown
from advisor.schema.outputs import CompareOutput
from tests.apptest import ENTRYPOINT, open_app, rerun

SENTINEL = "sk-live-SENTINEL-0987654321"

pytestmark = pytest.mark.slow


def run_both(at: AppTest, max_tokens: int = 32) -> SideBySide:
    at.slider(key="live_max_tokens").set_value(max_tokens)
    at.button(key="live_run").click()
    rerun(at)
    result: SideBySide = at.session_state["live_result"]
    return result


def page_text(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "error", "success", "warning", "text", "code"):
        parts += [str(element.value) for element in at.get(kind)]
    parts += [str(element.value) for element in at.text_input]
    parts += [frame.value.to_json() for frame in at.dataframe]
    return "\n".join(parts)


def test_without_an_api_the_local_column_runs_and_the_api_column_says_what_to_set() -> None:
    at = open_app("live_compare")
    assert at.title[0].value == "Live compare"
    result = run_both(at)
    local, api = result.sides["local"], result.sides["api"]
    assert local.ok and local.text and local.completion_tokens
    assert not api.ok and "set **OPENAI_API_KEY** in the environment" in (api.error or "")
    assert any("OPENAI_API_KEY" in str(info.value) for info in at.info)
    assert not at.error  # an API side that is not set up is explained, not shown as a failure
    metrics = at.dataframe[0].value
    assert metrics.loc["Decode speed", "Local small model"] == f"{local.tokens_per_s:,.1f} tokens/s"
    assert metrics.loc["Completion tokens", "Local small model"] == f"{local.completion_tokens:,}"
    assert metrics.loc["First token", "API model"] == "—"
    assert len(at.get("plotly_chart")) == 1
    # The default scenario's support workload is costed on its rented L4 by the TCO engine.
    assert "TCO engine: l4 (rented)" in (local.cost_basis or "")
    assert local.monthly_cost_usd and local.monthly_cost_usd > 0


def test_both_sides_stream_against_an_openai_compatible_server_and_the_key_goes_nowhere(
    llama_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, model_id = llama_server
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    at = open_app("live_compare")
    at.text_input(key="live_api_model").input(model_id)
    at.text_input(key="live_api_base").input(base_url)
    result = run_both(at)
    local, api = result.sides["local"], result.sides["api"]
    assert local.ok and api.ok, (local.error, api.error)
    assert api.text and api.first_token_ms and api.completion_tokens
    assert "no genai-prices price" in (api.cost_basis or "")  # a local server's model has no public price
    assert not at.error
    # Both sides shared this machine's processor: keeping the local speed from this run is advised against.
    assert any("both sides shared its processor" in str(w.value) for w in at.warning)

    # The key is in none of the places a user's data goes.
    scenario = at.session_state["scenario"]
    report = recommend(scenario)
    places = {
        "scenario": scenario.to_yaml(),
        "share link": str(at.query_params.get(QUERY_KEY, "")) + encode_scenario(scenario),
        "report": recommendation_markdown(report) + report.to_json(),
        "page": page_text(at),
        "measurements": json.dumps(result.to_dict()),
        "session": repr({k: at.session_state[k] for k in at.session_state if not k.startswith("$$")}),
    }
    for place, text in places.items():
        assert SENTINEL not in text, f"the API key leaked into the {place}"
    assert "Completion tokens" in places["page"]  # the page's text was really collected


def test_the_key_can_come_from_streamlit_secrets(llama_server: tuple[str, str]) -> None:
    import streamlit as st

    base_url, model_id = llama_server
    st.cache_resource.clear()  # an API client made with an environment key earlier in this process must not serve
    at = AppTest.from_file(ENTRYPOINT, default_timeout=60)
    at.secrets["OPENAI_API_KEY"] = SENTINEL  # no environment variable: conftest removed it
    rerun(at)
    at.switch_page("pages/live_compare.py")
    rerun(at)
    at.text_input(key="live_api_model").input(model_id)
    at.text_input(key="live_api_base").input(base_url)
    result = run_both(at, max_tokens=8)
    assert result.sides["api"].ok, result.sides["api"].error
    assert SENTINEL not in page_text(at)


def test_use_these_measurements_makes_this_machines_estimates_measured() -> None:
    data = example_scenarios()["team-assistant"].to_dict()
    data["hardware"] = {"profile": "this-machine", "ownership": "owned", "count": 1}
    scenario = scenario_from_data(data)
    at = open_app("live_compare", scenario)
    result = run_both(at, max_tokens=24)
    assert result.sides["local"].ok
    before = [o for o in recommend(scenario).workloads[0].options if o.option.model == "gemma-3-270m"]
    assert before and all(o.option.basis == "estimated" for o in before)
    at.button(key="live_calibrate").click()
    rerun(at)
    assert any("now replace the estimate" in str(s.value) for s in at.success)
    assert any("The scenario runs on this machine" in str(s.value) for s in at.success)
    after = [o for o in recommend(scenario).workloads[0].options if o.option.model == "gemma-3-270m"]
    assert after and all(o.option.basis == "measured" for o in after)
    # The Recommendation page's cached result follows the new measurement.
    at.switch_page("pages/recommendation.py")
    rerun(at)
    at.toggle(key="rec_all_0").set_value(True)
    rerun(at)
    table = at.dataframe[0].value
    assert set(table.loc[table["Option"].str.startswith("gemma-3-270m "), "Basis"]) == {"measured"}


def test_cli_compare_runs_both_sides_against_the_server(llama_server: tuple[str, str], tmp_path: Path) -> None:
    base_url, model_id = llama_server
    command = [sys.executable, "-m", "advisor.cli", "compare", "--prompt", "Name a colour.", "--max-tokens", "12"]
    command += ["--api-base", base_url, "--api-model", model_id, "--format", "json"]
    env = {**__import__("os").environ, "OPENAI_API_KEY": SENTINEL}
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    CompareOutput.model_validate(data)  # the compare JSON contract (docs/schemas/compare.schema.json)
    for side in ("local", "api"):
        assert "error" not in data[side], data[side]
        assert data[side]["text"] and data[side]["completion_tokens"] > 0 and data[side]["first_token_ms"] > 0
    assert SENTINEL not in done.stdout and SENTINEL not in done.stderr
