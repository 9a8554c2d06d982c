"""Live compare with real parts: the bundled model in-process, and llama.cpp's server standing in for an API.

Through the app (AppTest) and `advisor compare`; a sentinel API key is then searched for everywhere a user's data
goes: the scenario, the share link, reports, the page's text, the measurements and the command's output.
"""

from __future__ import annotations

import json
import re

import pytest
from streamlit.testing.v1 import AppTest

from advisor.compare import SideBySide
from advisor.data.catalog import load_catalog
from advisor.data.share import QUERY_KEY, encode_scenario
from advisor.engine.recommend import recommend
from advisor.present.text import recommendation_markdown
from tests.apptest import ENTRYPOINT, open_app, rerun
from tests.faulty_server import faulty_server

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
    assert not api.ok and (api.error or "").startswith("To run the API side, name the model the API serves.")
    assert any("OPENAI_API_KEY" in str(info.value) for info in at.info)  # what the operator would set
    assert at.text_input(key="live_api_key").value == ""  # the visitor's own key field
    assert "live_key_env" not in at.session_state  # the server's variable name is not a visitor's choice
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
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)  # the operator's endpoint: the app's key may go there
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
    at.secrets["OPENAI_BASE_URL"] = base_url
    rerun(at)
    at.switch_page("pages/live_compare.py")
    rerun(at)
    at.text_input(key="live_api_model").input(model_id)
    result = run_both(at, max_tokens=8)  # base URL left empty: the app's configured endpoint
    assert result.sides["api"].ok, result.sides["api"].error
    assert SENTINEL not in page_text(at)


OTHER_SECRET = "db-password-OTHER-1234567"


def test_the_apps_key_never_goes_to_a_url_a_visitor_typed(monkeypatch: pytest.MonkeyPatch) -> None:
    """A visitor points the API side at a server of their own: it receives no request carrying the app's secrets,
    and with the visitor's own key it receives that key only."""
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)  # the app's key, for OpenAI (no OPENAI_BASE_URL)
    monkeypatch.setenv("OTHER_SECRET", OTHER_SECRET)
    with faulty_server("ok") as visitor_server:
        at = open_app("live_compare")
        at.text_input(key="live_api_model").input("any-model")
        at.text_input(key="live_api_base").input(visitor_server.base_url)
        result = run_both(at, max_tokens=8)
        api = result.sides["api"]
        assert not api.ok and "is not this app's configured endpoint, so the app's own key is never sent" in (
            api.error or ""
        )
        assert visitor_server.request_count == 0
        # With the visitor's own key the run goes ahead, and that key is all the server sees.
        at.text_input(key="live_api_key").input("visitor-key-42")
        result = run_both(at, max_tokens=8)
        assert result.sides["api"].ok, result.sides["api"].error
        assert visitor_server.request_count >= 1
        for request in visitor_server.requests:
            assert request.headers["authorization"] == "Bearer visitor-key-42"
            seen = json.dumps(request.headers) + json.dumps(request.body)
            assert SENTINEL not in seen and OTHER_SECRET not in seen
    assert SENTINEL not in page_text(at) and OTHER_SECRET not in page_text(at)


def test_a_server_that_echoes_the_apps_key_never_shows_it(monkeypatch: pytest.MonkeyPatch) -> None:
    with faulty_server("401") as echoing:  # answers 401 with the key it received in the message
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
        monkeypatch.setenv("OPENAI_BASE_URL", echoing.base_url)  # the operator's own (careless) endpoint
        at = open_app("live_compare")
        at.text_input(key="live_api_model").input("any-model")
        result = run_both(at, max_tokens=8)
        assert not result.sides["api"].ok
        assert echoing.requests and echoing.requests[0].headers["authorization"] == f"Bearer {SENTINEL}"
    assert SENTINEL not in page_text(at)
    assert not at.exception


def test_an_operator_can_limit_the_hosts_a_visitor_may_name(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RIGHTSIZE_API_HOSTS", "api.openai.com, openrouter.ai")
    with faulty_server("ok") as elsewhere:
        at = open_app("live_compare")
        at.text_input(key="live_api_model").input("any-model")
        at.text_input(key="live_api_base").input(elsewhere.base_url)
        at.text_input(key="live_api_key").input("visitor-key-42")
        result = run_both(at, max_tokens=8)
        assert "base URL: this app only calls api.openai.com, openrouter.ai" in (result.sides["api"].error or "")
        assert elsewhere.request_count == 0


PAYLOAD = "![p](http://127.0.0.1:9/pixel.png) [Enter your key here](http://127.0.0.1:9/) <script>alert(1)</script>"


def test_text_a_server_sends_back_is_shown_as_text_never_as_markup() -> None:
    """A server echoing a hostile prompt: the image, the link and the script show as characters, not markup."""
    with faulty_server("echo") as echo:
        at = open_app("live_compare")
        at.selectbox(key="live_prompt_choice").set_value("__own__")
        rerun(at)
        at.text_area(key="live_text___own__").input(PAYLOAD)
        at.text_input(key="live_api_model").input("echo-model")
        at.text_input(key="live_api_base").input(echo.base_url)
        at.text_input(key="live_api_key").input("visitor-key-42")
        rerun(at)  # the Run button is enabled once the typed prompt has reached the page
        result = run_both(at, max_tokens=8)
        assert result.sides["api"].ok and PAYLOAD in result.sides["api"].text
    shown = [str(m.value) for m in at.markdown if "pixel" in str(m.value)]
    assert shown, "the echoed answer is on the page"
    for value in shown:
        for markup in (r"!\[", r"\]\(", r"<script>"):  # an image, a link, a tag: present only escaped
            assert not re.search(r"(?<!\\)" + markup, value), (markup, value)
        assert "\\!\\[p\\]" in value  # each character escaped, so it reads as typed


def test_an_endpoint_preset_fills_the_base_url_and_a_priced_model() -> None:
    from advisor.runners.endpoints import PRESETS

    at = open_app("live_compare")
    at.selectbox(key="live_preset").set_value("Groq")
    rerun(at)
    groq = next(p for p in PRESETS if p.name == "Groq")
    assert at.text_input(key="live_api_base").value == groq.base_url == "https://api.groq.com/openai/v1"
    curated = [n.model for n in load_catalog().api_notes if n.provider == "groq"]
    assert at.text_input(key="live_api_model").value == curated[0]
    assert any(f"Priced models here: {', '.join(curated)}" in str(c.value) for c in at.caption)
    # Back to the app's own endpoint: the base URL empties, the typed model stays.
    at.selectbox(key="live_preset").set_value("This app's endpoint, or a URL I type")
    rerun(at)
    assert at.text_input(key="live_api_base").value == "" and at.text_input(key="live_api_model").value == curated[0]
    assert not at.exception


def test_a_key_for_a_local_stand_in_server_runs_both_sides_with_a_priced_counted_cost(
    llama_server: tuple[str, str],
) -> None:
    """A newcomer's path: pick the llama.cpp preset, point it at the running server, type any key, name a priced
    model; the API side answers and its cost is priced from tokens counted here (the server reports none)."""
    base_url, _model_id = llama_server
    at = open_app("live_compare")
    at.selectbox(key="live_preset").set_value("llama.cpp server on this machine")
    rerun(at)
    at.text_input(key="live_api_base").input(base_url)
    at.text_input(key="live_api_model").input("gpt-4o-mini")  # llama.cpp serves its loaded model under any name
    at.text_input(key="live_api_key").input("any-value")
    result = run_both(at, max_tokens=8)
    api = result.sides["api"]
    assert api.ok, api.error
    assert api.prompt_tokens and api.completion_tokens and api.cost_usd and api.cost_usd > 0
    assert "tokens counted here with o200k_base, the server reported none" in (api.cost_basis or "")
    assert not at.exception


def test_the_default_local_model_answers_a_sample_prompt_and_repeated_runs_give_a_median_and_range() -> None:
    """No configuration: the bundled instruction-tuned model answers (no echo of the prompt); three runs give each
    timing as "median (lowest–highest)" and the side's figures are those of its median run."""
    from advisor.engine.scoring import without_echo

    at = open_app("live_compare")
    assert at.selectbox(key="live_local_choice").value == "smollm2-135m-instruct"
    assert any("Instruction-tuned: it answers in chat form" in str(c.value) for c in at.caption)
    at.number_input(key="live_repeat").set_value(3)
    result = run_both(at, max_tokens=16)
    local = result.sides["local"]
    assert local.ok and local.model == "smollm2-135m-instruct"
    assert without_echo(local.text, result.prompt).strip(), local.text  # words of its own, not the prompt again
    spread = result.spreads["local"]
    assert spread.count == 3 and spread.ok == 3
    middle, low, high = spread.figures["total_ms"]
    assert low <= middle <= high and local.total_ms == middle
    metrics = at.dataframe[0].value
    assert metrics.loc["Whole answer", "Local small model"] == f"{middle:,.0f} ms ({low:,.0f} ms–{high:,.0f} ms)"
    assert metrics.loc["Runs", "Local small model"] == "3 of 3 succeeded"
    assert not at.exception


def test_the_speed_only_model_is_named_as_such_and_its_answers_are_not_scored() -> None:
    at = open_app("live_compare")
    at.selectbox(key="live_local_choice").set_value("gemma-3-270m")
    rerun(at)
    assert any("A base model: it continues the prompt" in str(c.value) for c in at.caption)
    result = run_both(at, max_tokens=8)
    assert result.sides["local"].model == "gemma-3-270m"
    if result.prompt_id is not None:  # the page opens on a sample prompt, which has an expected answer
        assert result.scores["local"].verdict == "not_scored"
        assert "base model" in result.scores["local"].detail
    assert not at.exception


def test_another_model_with_no_path_says_what_to_give_and_keeps_the_form() -> None:
    at = open_app("live_compare")
    at.selectbox(key="live_local_choice").set_value("__own_model__")
    rerun(at)
    at.slider(key="live_max_tokens").set_value(16)
    result = run_both(at, max_tokens=16)
    local = result.sides["local"]
    assert not local.ok and local.error == (
        "local model: give a .gguf path or a Hugging Face repo, or choose a bundled model"
    )
    assert at.selectbox(key="live_local_choice").value == "__own_model__"  # the choice is kept
    assert not at.exception
