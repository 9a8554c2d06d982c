"""A live API run calibrates that API model's latency: first token and speed from the team's own network replace
the published figures, and every output says 'measured'.

llama.cpp's OpenAI-compatible server stands in for the API; `--api-as` names the catalog model it is measured as,
as a team does for a proxy or gateway in front of a provider.
"""

from __future__ import annotations

import json
from types import MappingProxyType

import pytest
from pydantic import ValidationError

from advisor.cli import main
from advisor.compare import api_option_label, api_option_labels, known_api_label
from advisor.data.catalog import Catalog, default_catalog
from advisor.data.measurements import API_QUANT, HOSTED_API_ID, Measurements, list_measurements, pair_key
from advisor.data.scenarios import scenario_from_data
from advisor.engine.api_latency import api_latency
from advisor.engine.options import api_options
from advisor.engine.recommend import recommend
from advisor.errors import AdvisorError
from advisor.present.catalog_view import catalog_rows, with_details
from advisor.schema.catalog import ReasoningVariant
from tests.apptest import open_app, rerun

MINI = "openai/gpt-4o-mini"
SHORT = {"name": "support", "task": "customer_support", "requests_per_day": 5_000, "input_tokens": 400,
         "output_tokens": 150}  # fmt: skip


def _with_api_run(catalog: Catalog, label: str, **figures: float) -> Catalog:
    entries = {pair_key(label, API_QUANT, HOSTED_API_ID): MappingProxyType(figures)}
    return catalog.with_measurements(Measurements(MappingProxyType(entries)))


def _api_option(options: list, label: str):  # type: ignore[no-untyped-def]
    return next(o for o in options if o.label == label)


def test_a_stored_api_run_replaces_the_published_figures_for_that_option_only(catalog: Catalog) -> None:
    workload = scenario_from_data({"version": 1, "name": "t", "workloads": [SHORT]}).workloads[0]
    measured = _with_api_run(catalog, MINI, tokens_per_s=42.0, first_token_ms=1234.0, prompt_tokens=30.0)
    before = {o.label: o for o in api_options(workload, catalog)}
    after = {o.label: o for o in api_options(workload, measured)}
    mini = after[MINI]
    assert mini.basis == "measured" and before[MINI].basis == "published"
    # 400 prompt tokens are within the base size, whose reading the first token already holds: the run's figures.
    assert mini.est_first_token_ms == pytest.approx(1234.0)
    assert mini.est_tokens_per_s == pytest.approx(42.0)
    assert mini.est_total_ms == pytest.approx(1234.0 + 150 / 42.0 * 1000)
    assert mini.per_request_usd == before[MINI].per_request_usd  # latency only: the price stays genai-prices'
    for label, option in before.items():
        if label != MINI:
            assert after[label].est_first_token_ms == option.est_first_token_ms, label
            assert after[label].basis == option.basis, label
    # The catalog listing (`advisor catalog api-models`, the Catalog page) says where the figures now come from.
    rows = with_details("api-models", catalog_rows("api-models", measured), measured)
    shown = {f"{r['provider']}/{r['model']}": r["latency_basis"] for r in rows}
    assert shown[MINI].startswith("measured in a live run from this network: first token 1,234 ms")
    assert shown["openai/gpt-4o"].startswith("measured by ")  # a published page, as before


def test_the_measured_band_keeps_the_class_spread_and_longer_prompts_add_reading(catalog: Catalog) -> None:
    note = next(n for n in catalog.api_notes if f"{n.provider}/{n.model}" == MINI)
    bands = catalog.efficiency.api_latency[note.latency_class]
    base = catalog.efficiency.api_latency_base_prompt_tokens
    run = {"tokens_per_s": 50.0, "first_token_ms": 800.0, "prompt_tokens": 20.0}
    estimate = api_latency(note, base + 10_000, 100, catalog, run)
    ft, speed, reading = bands.first_token_ms, bands.tokens_per_s, bands.prompt_tokens_per_s
    assert estimate.first_token_ms["expected"] == pytest.approx(800.0 + 10_000 / reading.expected * 1000)
    assert estimate.first_token_ms["high"] == pytest.approx(800.0 * ft.high / ft.expected + 10_000 / reading.low * 1000)
    assert estimate.tokens_per_s["low"] == pytest.approx(50.0 * speed.low / speed.expected)
    assert estimate.basis.startswith("measured in a live run from this network: first token 800 ms for a 20-token")
    assert "in place of the published figures" in estimate.basis
    # A run measured with a prompt longer than the base size already holds that prompt's reading.
    long_run = {**run, "prompt_tokens": float(base + 4_000)}
    assert api_latency(note, base + 10_000, 0, catalog, long_run).first_token_ms["expected"] == pytest.approx(
        800.0 + 6_000 / reading.expected * 1000
    )
    # Speed only (a run that timed no first token): the first token stays the published one.
    speed_only = api_latency(note, 500, 100, catalog, {"tokens_per_s": 50.0})
    assert speed_only.first_token_ms == api_latency(note, 500, 100, catalog).first_token_ms
    assert speed_only.tokens_per_s["expected"] == 50.0


def test_a_reasoning_variant_is_calibrated_on_its_own(catalog: Catalog) -> None:
    workload = scenario_from_data({"version": 1, "name": "t", "workloads": [SHORT]}).workloads[0]
    variant = "openai/gpt-5 (minimal effort)"
    options = api_options(workload, _with_api_run(catalog, variant, tokens_per_s=77.0, first_token_ms=900.0))
    assert _api_option(options, variant).basis == "measured"
    assert _api_option(options, variant).est_tokens_per_s == pytest.approx(77.0)
    assert _api_option(options, "openai/gpt-5").basis == "published"


def test_which_catalog_model_an_endpoint_is() -> None:
    assert known_api_label("gpt-4o-mini", "https://api.openai.com/v1") == MINI
    assert known_api_label("gpt-4o-mini", "http://127.0.0.1:8080/v1") is None  # not a provider's endpoint
    assert known_api_label("my-finetune", "https://api.openai.com/v1") is None  # not a curated model
    assert api_option_label("anything", "http://127.0.0.1:8080/v1", as_label=MINI) == MINI
    with pytest.raises(AdvisorError, match=r"^api-as: 'gpt-4o-mini' at http://127.0.0.1:8080/v1 is not one"):
        api_option_label("gpt-4o-mini", "http://127.0.0.1:8080/v1")
    with pytest.raises(AdvisorError, match=r"^api-as: 'openai/gpt-99' is not a curated API model"):
        api_option_label("x", "https://api.openai.com/v1", as_label="openai/gpt-99")
    # A run is filed under the reasoning setting it sent: without an effort, the model's default option only.
    with pytest.raises(AdvisorError, match=r"its default setting \(no reasoning effort sent\)"):
        api_option_label("gpt-5", "https://api.openai.com/v1", as_label="openai/gpt-5 (minimal effort)")
    assert api_option_label("gpt-5", "https://api.openai.com/v1") == "openai/gpt-5"
    minimal = "openai/gpt-5 (minimal effort)"
    assert api_option_label("gpt-5", "https://api.openai.com/v1", effort="minimal") == minimal
    assert api_option_label("gpt-5", "https://api.openai.com/v1", effort="medium") == "openai/gpt-5"  # its default
    assert known_api_label("gpt-4o-mini", "https://api.openai.com/v1", effort="minimal") is None  # no such setting
    with pytest.raises(AdvisorError, match=r"at reasoning effort minimal; the choices at that setting are openai/"):
        api_option_label("x", "http://127.0.0.1:8080/v1", as_label=MINI, effort="minimal")
    # The message names what is allowed: every option at that setting when few, else the first five and a count.
    with pytest.raises(AdvisorError) as caught:
        api_option_label("x", "https://api.openai.com/v1", as_label="openai/gpt-99")
    assert caught.value.args[0].endswith(f"{len(api_option_labels()) - 5} more (`advisor catalog api-models`)")
    with pytest.raises(
        AdvisorError,
        match=r"^api-as: the catalog has no API model at reasoning effort low, so.*"
        r"at an effort the catalog lists \(none, minimal, medium\)$",
    ):
        api_option_label("gpt-5", "https://api.openai.com/v1", effort="low")
    # Gemini's OpenAI-compatible endpoint turns thinking off with reasoning_effort 'none': that run measures the
    # catalog's thinking-off setting, and a run without an effort measures the default (dynamic thinking).
    gemini = "https://generativelanguage.googleapis.com/v1beta/openai/"
    off = "google/gemini-2.5-flash (thinking off)"
    assert api_option_label("gemini-2.5-flash", gemini, effort="none") == off
    assert api_option_label("gemini-2.5-flash", gemini) == "google/gemini-2.5-flash"
    assert known_api_label("gemini-2.5-flash", gemini, effort="thinking-off") is None  # not a value the API takes
    assert off in api_option_labels("none") and off not in api_option_labels("minimal")


def test_a_variant_names_only_a_reasoning_effort_the_api_takes() -> None:
    variant = {
        "effort": "thinking-off",
        "label": "thinking off",
        "latency_class": "fast",
        "capability_tier": "basic",
        "source": "https://example.com/docs/thinking",
    }
    assert ReasoningVariant.model_validate({**variant, "api_effort": "none"}).sent_effort == "none"
    assert ReasoningVariant.model_validate(variant).sent_effort == "thinking-off"
    with pytest.raises(ValidationError, match=r"api_effort: must be one of none \| minimal \| low \| medium \| high"):
        ReasoningVariant.model_validate({**variant, "api_effort": "off"})


def test_a_wrong_api_as_is_refused_before_anything_runs(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["compare", "--prompt", "hi", "--only", "api", "--api-model", "m", "--api-as", "openai/gpt-99"]
    code = main([*args, "--calibrate"])
    err = capsys.readouterr().err.strip()
    assert code == 2 and err.count("\n") == 0
    assert err.startswith("advisor: error: api-as: 'openai/gpt-99' is not a curated API model")
    # Without --calibrate nothing is kept, so a name to keep it under is a mistake, said before anything runs.
    assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        "advisor: error: api-as: names the model a kept run is filed under; use it with --calibrate"
    )


@pytest.fixture
def compare_api(llama_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """`advisor compare` arguments for one short prompt on the API side only, llama.cpp's server as the API."""
    base_url, model_id = llama_server
    monkeypatch.setenv("OPENAI_API_KEY", "local-server-needs-none")
    return ["compare", "--prompt", "Say hello.", "--only", "api", "--api-base", base_url, "--api-model", model_id]


@pytest.mark.slow
def test_compare_calibrate_keeps_the_api_run_and_recommend_uses_it(
    compare_api: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    args = compare_api
    # Without --api-as a local server is not a provider's endpoint: the run is shown, its latency is not kept.
    assert main([*args, "--max-tokens", "16", "--calibrate"]) == 0
    err = capsys.readouterr().err
    assert "advisor: API latency not kept: api-as:" in err
    assert list_measurements() == []

    assert main([*args, "--max-tokens", "16", "--calibrate", "--api-as", MINI, "--format", "json"]) == 0
    out, err = capsys.readouterr()
    run = json.loads(out)["api"]
    assert "error" not in run and run["tokens_per_s"] > 0 and run["first_token_ms"] > 0
    [row] = list_measurements()
    # The message formats the kept (unrounded) value; the JSON's rounding can land on the other side of .5.
    assert f"advisor: {MINI}: a {row['first_token_ms']:,.0f} ms first token for a {run['prompt_tokens']}-token" in err
    assert row["first_token_ms"] == pytest.approx(run["first_token_ms"], abs=0.051)  # the JSON rounds to 1 place
    assert (row["model"], row["quant"], row["hardware"]) == (MINI, API_QUANT, HOSTED_API_ID)
    assert row["tokens_per_s"] == pytest.approx(run["tokens_per_s"], abs=0.01)  # the JSON rounds to 2 places

    # The next recommendation reads the store (default_catalog) and uses the run for gpt-4o-mini.
    scenario = scenario_from_data({"version": 1, "name": "t", "workloads": [SHORT]})
    result = recommend(scenario, catalog=default_catalog())
    mini = next(r.option for r in result.workloads[0].options if r.option.label == MINI)
    assert mini.basis == "measured"
    assert mini.est_first_token_ms == pytest.approx(run["first_token_ms"], abs=0.1)
    assert mini.est_tokens_per_s == pytest.approx(run["tokens_per_s"], abs=0.01)
    apis = [r.option for r in result.workloads[0].options if r.option.provider and r.option.small is None]
    others = [o for o in apis if o.label != MINI]
    assert others and all(o.basis == "published" for o in others)


@pytest.mark.slow
def test_a_run_at_minimal_effort_is_kept_for_the_minimal_effort_option(
    compare_api: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    variant = "openai/gpt-5 (minimal effort)"
    args = compare_api
    assert main([*args, "--max-tokens", "16", "--calibrate", "--api-effort", "minimal", "--api-as", variant]) == 0
    assert f"advisor: {variant}: a " in capsys.readouterr().err
    [row] = list_measurements()
    assert row["model"] == variant
    scenario = scenario_from_data({"version": 1, "name": "t", "workloads": [SHORT]})
    options = {r.option.label: r.option for r in recommend(scenario, catalog=default_catalog()).workloads[0].options}
    assert options[variant].basis == "measured" and options["openai/gpt-5"].basis == "published"
    # The default setting is not what this run measured: naming it with --api-effort minimal is refused up front.
    code = main([*args, "--calibrate", "--api-effort", "minimal", "--api-as", "openai/gpt-5"])
    assert code == 2 and "at reasoning effort minimal" in capsys.readouterr().err


@pytest.mark.slow
def test_the_live_compare_page_keeps_the_api_runs_latency(
    llama_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    base_url, model_id = llama_server
    monkeypatch.setenv("OPENAI_API_KEY", "local-server-needs-none")
    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    at = open_app("live_compare")
    at.text_input(key="live_api_model").input(model_id)
    at.slider(key="live_max_tokens").set_value(16)
    at.button(key="live_run").click()
    rerun(at)
    api_run = at.session_state["live_result"].sides["api"]
    assert api_run.ok, api_run.error
    # A local server is no provider's endpoint: nothing is chosen, and the button waits for a choice.
    assert at.selectbox(key="live_api_as").value is None
    assert at.button(key="live_calibrate_api").disabled
    at.selectbox(key="live_api_as").set_value(MINI)
    rerun(at)
    at.button(key="live_calibrate_api").click()
    rerun(at)
    assert not at.error
    assert any(f"Recommendations for {MINI} now say 'measured'" in str(s.value) for s in at.success)
    [row] = list_measurements()
    assert row["model"] == MINI and row["tokens_per_s"] == pytest.approx(api_run.tokens_per_s)
    # At minimal effort the run is offered only the minimal-effort options.
    at.selectbox(key="live_api_effort").set_value("minimal")
    at.button(key="live_run").click()
    rerun(at)
    assert at.session_state["live_result"].sides["api"].extra["reasoning_effort"] == "minimal"
    assert all(label.endswith("(minimal effort)") for label in at.selectbox(key="live_api_as").options)
    # 'none' is how Gemini's OpenAI-compatible endpoint turns thinking off: the run measures that setting.
    at.selectbox(key="live_api_effort").set_value("none")
    at.button(key="live_run").click()
    rerun(at)
    assert at.session_state["live_result"].sides["api"].extra["reasoning_effort"] == "none"
    assert at.selectbox(key="live_api_as").options == ["google/gemini-2.5-flash (thinking off)"]
    # No catalog option is at effort "low": the page says so instead of an empty choice.
    at.selectbox(key="live_api_effort").set_value("low")
    at.button(key="live_run").click()
    rerun(at)
    assert "live_calibrate_api" not in [b.key for b in at.button]
    assert any(
        "No catalog API model has a setting at reasoning effort low" in str(c.value)
        and "an effort the catalog lists (none, minimal, medium)" in str(c.value)
        for c in at.caption
    )
