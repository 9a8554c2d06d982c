"""The Hybrid lab with real parts: the bundled SmolLM2 answers every prompt on this machine, llama.cpp's own
OpenAI-compatible server on 127.0.0.1 is the large side, and the split goes back into the recommendation."""

from __future__ import annotations

import json
import math
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from advisor.errors import AdvisorError
from advisor.lab import (
    LabResult,
    LabSettings,
    PromptSetError,
    RouteInput,
    load_prompts,
    make_router,
    parse_prompts,
    register_router,
    router_names,
    run_lab,
    sample_prompts,
    use_split,
)
from advisor.lab.prompts import MAX_UPLOAD_BYTES
from tests.conftest import EXAMPLES

MAX_TOKENS = 8  # short answers keep a 30-prompt run quick on 2 cores


# --- prompt sets -------------------------------------------------------------------------------------------------


def test_the_sample_set_has_thirty_prompts_or_more_with_labels_answers_and_its_source() -> None:
    from advisor.lab.prompts import sample_source

    prompts = sample_prompts()
    assert len(prompts) >= 30
    assert len({p.id for p in prompts}) == len(prompts)
    assert sum(1 for p in prompts if p.expected is not None) >= 30
    assert all(p.label for p in prompts)
    assert "written for this project" in sample_source()


def test_csv_and_jsonl_uploads_read_prompt_expected_and_label(tmp_path: Path) -> None:
    csv_file = tmp_path / "set.csv"
    csv_file.write_text('prompt,expected,label,match\n"Hi, there",hello,greeting,exact\nWhat is 2+2?,4,,\n')
    first, second = load_prompts(csv_file)
    assert (first.text, first.label, first.expected.match, first.expected.answer) == (
        "Hi, there",
        "greeting",
        "exact",
        "hello",
    )
    assert second.expected.all_of == ["4"] and second.label is None and second.id == "row-3"
    lines = [{"prompt": "Sort it", "expected": {"match": "json_field", "fields": {"n": 3}}, "id": "a"}, {"prompt": "x"}]
    read = parse_prompts("\n".join(json.dumps(x) for x in lines).encode(), "set.jsonl")
    assert read[0].id == "a" and read[0].expected.fields == {"n": 3} and read[1].expected is None


@pytest.mark.parametrize(
    ("raw", "name", "problem"),
    [
        (b"", "empty.csv", "the file is empty"),
        (b"question,answer\nhi,there\n", "cols.csv", "unknown column 'question'"),
        (b"expected,label\nhi,there\n", "noprompt.csv", "no 'prompt' column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "picture.csv", "a binary file"),
        (b"prompt\n\xff\xfe broken", "latin.csv", "not UTF-8"),
        (b'{"prompt": "a"}\n{"prompt": ', "set.jsonl", "line 2 is not JSON"),
        (b'{"text": "a"}\n', "set.jsonl", "unknown column 'text'"),
        (b"prompt,expected\n,only an answer\n", "blank.csv", "row 2 has no prompt"),
        (b"prompt\n\n\n", "header-only.csv", "no prompts"),
    ],
)
def test_a_bad_upload_is_one_line_naming_the_problem(raw: bytes, name: str, problem: str) -> None:
    with pytest.raises(PromptSetError) as caught:
        parse_prompts(raw, name)
    message = str(caught.value)
    assert "\n" not in message and name in message and problem in message, message


def test_a_100_mb_upload_is_refused_before_it_is_read(tmp_path: Path) -> None:
    big = tmp_path / "huge.csv"
    with big.open("wb") as file:
        file.truncate(100 * 1024 * 1024)  # a sparse 100 MB file: nothing is written, nothing should be read
    with pytest.raises(PromptSetError, match=r"^huge\.csv: too large \(104,857,600 bytes\); at most 5,000,000"):
        load_prompts(big)
    with pytest.raises(PromptSetError, match="too large"):
        parse_prompts(b"prompt\n" + b"x" * MAX_UPLOAD_BYTES, "upload.csv")


# --- routers -----------------------------------------------------------------------------------------------------


def test_the_rule_router_escalates_labels_and_keywords_and_calibrates_length_to_the_target_share() -> None:
    prompts = sample_prompts()
    items = [RouteInput(p, len(p.text.split())) for p in prompts]
    router = make_router("rule", keywords=["step by step"], escalate_labels=["translation"])
    decisions = router.route(items, 0.7)
    escalated = [i for i, d in enumerate(decisions) if d.escalate]
    assert len(escalated) == round(len(prompts) * 0.3)
    assert all(decisions[i].escalate for i, p in enumerate(prompts) if p.label == "translation")
    explain = next(i for i, p in enumerate(prompts) if "step by step" in p.text)
    assert decisions[explain].reason == "keyword 'step by step'"
    by_length = [i for i in escalated if decisions[i].reason.startswith("among the longest")]
    kept = [i for i, d in enumerate(decisions) if not d.escalate]
    assert min(items[i].prompt_tokens for i in by_length) >= max(items[i].prompt_tokens for i in kept) - 0
    assert router.threshold == min(items[i].prompt_tokens for i in by_length)


def test_routers_are_registered_like_the_runners() -> None:
    assert {"rule", "self-check"} <= set(router_names())

    class KeepAll:
        name, pattern, threshold = "keep-all", "router", None
        label = "keeps everything"

        def route(self, items, target_small_share):  # type: ignore[no-untyped-def]
            from advisor.lab import RouteDecision

            return [RouteDecision(False, "kept") for _ in items]

    register_router("keep-all", KeepAll)
    assert make_router("keep-all").route([RouteInput(sample_prompts()[0], 3)], None)[0].reason == "kept"
    with pytest.raises(AdvisorError, match=r"^router: must be one of .*keep-all.*got 'nope'$"):
        make_router("nope")
    from advisor.lab import routers

    routers._REGISTRY.pop("keep-all")


def test_the_built_in_routers_are_declared_as_entry_points_in_pyproject() -> None:
    import tomllib

    from advisor.lab.routers import _BUILT_IN

    project = tomllib.loads((Path(__file__).resolve().parent.parent / "pyproject.toml").read_text())["project"]
    declared = project["entry-points"]["rightsize.routers"]
    assert declared == {
        "rule": "advisor.lab.routers:make_rule_router",
        "self-check": "advisor.lab.routers:make_self_check_router",
    }
    for name, target in declared.items():
        module, attribute = target.split(":")
        assert getattr(__import__(module, fromlist=[attribute]), attribute) is _BUILT_IN[name]


def test_a_third_party_router_is_found_through_its_entry_point(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    site = tmp_path / "site-packages"
    (site / "rightsize_firstword").mkdir(parents=True)
    (site / "rightsize_firstword" / "__init__.py").write_text(
        "from advisor.lab import RouteDecision\n\n"
        "class FirstWord:\n"
        "    name, pattern, threshold, label = 'first-word', 'router', None, 'escalates questions'\n"
        "    def route(self, items, target_small_share):\n"
        "        return [RouteDecision(i.prompt.text.startswith('Why'), 'first word') for i in items]\n\n"
        "def make_router():\n    return FirstWord()\n"
    )
    dist = site / "rightsize_firstword-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: rightsize-firstword\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[rightsize.routers]\nfirst-word = rightsize_firstword:make_router\n")
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    try:
        assert "first-word" in router_names()
        prompts = parse_prompts(b"prompt\nWhy is the sky blue?\nName a colour.\n", "q.csv")
        decisions = make_router("first-word").route([RouteInput(p, 5) for p in prompts], None)
        assert [d.escalate for d in decisions] == [True, False]
    finally:
        sys.modules.pop("rightsize_firstword", None)
        from advisor.lab import routers

        routers._REGISTRY.pop("first-word", None)


# --- runs with real models ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    from advisor.runners import make_runner

    return make_runner("local", threads=1)


def _large(base_url: str):  # type: ignore[no-untyped-def]
    from advisor.runners import make_runner

    return make_runner("api", model="gpt-4o-mini", base_url=base_url, api_key="sk-local-stand-in", provider="openai")


@pytest.fixture(scope="module")
def cascade_run(small, llama_server: tuple[str, str]) -> LabResult:  # type: ignore[no-untyped-def]
    """30 sample prompts, a self-check cascade calibrated to keep 70% small, the large model on every prompt."""
    base_url, _ = llama_server
    steps: list[tuple[int, int]] = []
    result = run_lab(
        sample_prompts()[:30],
        small,
        _large(base_url),
        make_router("self-check"),
        0.7,
        LabSettings(max_tokens=MAX_TOKENS),
        on_progress=lambda done, total, _message: steps.append((done, total)),
    )
    result.steps = steps  # type: ignore[attr-defined]
    return result


@pytest.mark.slow
def test_a_cascade_run_on_thirty_prompts_hits_its_share_and_its_totals_add_up(cascade_run: LabResult) -> None:
    result = cascade_run
    assert len(result.prompts) == 30 and not result.failed and not result.not_run and not result.cancelled
    assert result.small_share is not None and result.escalation_share is not None
    assert math.isclose(result.small_share + result.escalation_share, 1.0)
    assert result.small_share == pytest.approx(0.7, abs=1 / 30)
    # Every prompt really ran: the small model answered with its own log-probabilities, the server answered too.
    for p in result.prompts:
        assert p.small is not None and p.small.ok and p.small.completion_tokens
        assert isinstance(p.small.extra.get("mean_logprob"), float) and p.small.extra["mean_logprob"] <= 0
        assert p.large is not None and p.large.ok and p.large.text
    kept = [p.decision.confidence for p in result.prompts if p.decision and not p.escalated]
    lost = [p.decision.confidence for p in result.prompts if p.decision and p.escalated]
    assert result.threshold is not None and min(kept) >= result.threshold >= max(lost)  # type: ignore[type-var]
    # Cost = the sum of the per-prompt costs; a cascade's escalated prompt pays for both models.
    costs = result.costs()
    per_prompt = [p.hybrid_cost_usd for p in result.prompts]
    assert all(c is not None and c > 0 for c in per_prompt)
    assert costs["hybrid_usd"] == pytest.approx(sum(c for c in per_prompt if c is not None))
    for p in result.prompts:
        expected = p.small_cost_usd + (p.large_cost_usd if p.escalated else 0.0)  # type: ignore[operator]
        assert p.hybrid_cost_usd == pytest.approx(expected)
    per = costs["per_1000_requests_usd"]
    assert per["hybrid"] == pytest.approx(costs["hybrid_usd"] / 30 * 1000)
    assert per["all_large"] == pytest.approx(sum(p.large_cost_usd for p in result.prompts) / 30 * 1000)  # type: ignore[misc]
    assert costs["large_basis"] == "genai-prices openai/gpt-4o-mini"  # never a typed price
    assert costs["small_basis"].startswith("hardware time on this machine")
    # Progress went step by step to the end.
    steps = result.steps  # type: ignore[attr-defined]
    assert steps[-1][0] == steps[-1][1] == 60 and [s for s, _ in steps] == list(range(1, 61))
    latency = result.latency()["hybrid"]
    assert 0 < latency["p50_ms"] <= latency["p95_ms"]


@pytest.mark.slow
def test_the_quality_curve_runs_from_random_to_the_oracle_with_the_published_points(cascade_run: LabResult) -> None:
    result = cascade_run
    quality = result.quality()
    assert quality["scored_prompts"] == sum(1 for p in result.prompts if p.prompt.expected is not None)
    if not quality["all_large_accuracy"]:
        pytest.skip("the stand-in large model got no answer right: no curve relative to it")
    curve = result.curve
    assert curve[0].small_share == 0 and curve[-1].small_share == 1
    assert curve[0].random == pytest.approx(1.0) and curve[0].oracle == pytest.approx(1.0)
    for point in curve:
        assert point.random is not None and point.oracle is not None and point.measured is not None
        assert point.oracle >= point.random - 1e-9 and point.oracle + 1e-9 >= point.measured
    assert {p["id"] for p in result.published} >= {"routellm-mt-bench-mf", "hybrid-llm"}
    from advisor.lab.curve import curve_figure

    figure = curve_figure(result)
    names = {trace.name for trace in figure.data}
    assert {"Random routing", "Oracle bound", "This router (swept)", "This run"} <= names


@pytest.mark.slow
def test_the_measured_split_goes_back_into_the_recommendation(cascade_run: LabResult) -> None:
    from advisor.data.scenarios import load_scenario
    from advisor.engine.recommend import recommend

    scenario = load_scenario(EXAMPLES / "shoe-store.yaml")
    workload = scenario.workloads[0].name
    measured = use_split(scenario, workload, cascade_run)
    split = measured.workload(workload).measured_split
    assert split is not None and split.pattern == "cascade" and split.prompts == 30
    assert split.small_share == pytest.approx(cascade_run.small_share, abs=1e-4)
    before = recommend(scenario).workloads[0].options
    after = recommend(measured).workloads[0].options
    assert not any("measured on your prompts" in r.option.label for r in before)
    cascades = [r.option for r in after if r.option.kind == "hybrid" and r.option.pattern == "cascade"]
    assert cascades and all(o.label.endswith("(measured on your prompts)") for o in cascades)
    assert all(o.small_share == split.small_share for o in cascades)
    assert all((o.routing_source or "").startswith("measured on your prompts: self-check cascade") for o in cascades)
    routers = [r.option for r in after if r.option.kind == "hybrid" and r.option.pattern == "router"]
    assert routers and not any("measured" in o.label for o in routers)  # the other pattern keeps the catalog's
    # It travels with the scenario file.
    from advisor.schema.scenario import Scenario

    assert Scenario.model_validate_json(measured.model_dump_json()) == measured


def test_the_prompts_measured_size_can_replace_the_workloads_tokens(cascade_run: LabResult) -> None:
    from advisor.data.scenarios import load_scenario

    scenario = load_scenario(EXAMPLES / "shoe-store.yaml")
    workload = scenario.workloads[0]
    kept = use_split(scenario, workload.name, cascade_run).workload(workload.name)
    assert (kept.input_tokens, kept.context_tokens) == (workload.input_tokens, workload.context_tokens)  # by default
    sized = use_split(scenario, workload.name, cascade_run, tokens=True).workload(workload.name)
    large_profile = cascade_run.profiles[-1]
    assert sized.input_tokens == round(large_profile.mean) != workload.input_tokens
    assert sized.context_tokens == large_profile.max + workload.output_tokens  # holds the longest prompt too
    assert sized.measured_split is not None and sized.output_tokens == workload.output_tokens
    with pytest.raises(AdvisorError, match="a saved split does not hold them"):
        use_split(scenario, workload.name, sized.measured_split, tokens=True)


@pytest.fixture
def doomed_server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    from tests.app_server import stop
    from tests.llama_server import start_llama_server

    process, base_url, _ = start_llama_server(tmp_path / "server.log")
    try:
        yield process, base_url
    finally:
        if process.poll() is None:
            stop(process)


@pytest.mark.slow
def test_a_mid_run_api_failure_keeps_the_finished_prompts_and_names_the_failed_ones(  # type: ignore[no-untyped-def]
    small, doomed_server: tuple[subprocess.Popen[bytes], str]
) -> None:
    from tests.app_server import stop

    process, base_url = doomed_server
    prompts = sample_prompts()[:10]

    def progress(done: int, total: int, message: str) -> None:
        if message.startswith("large model: prompt 2 of"):
            stop(process)  # the API goes away after two escalated answers

    result = run_lab(
        prompts,
        small,
        _large(base_url),
        make_router("rule"),
        0.5,
        LabSettings(max_tokens=MAX_TOKENS, timeout_s=20, check_all=False),
        on_progress=progress,
    )
    escalated = [p for p in result.prompts if p.escalated]
    assert len(escalated) == 5
    assert [p.status for p in escalated[:2]] == ["ok", "ok"]
    assert result.failed == [p.prompt.id for p in escalated[2:]]
    for p in escalated[2:]:
        assert p.error is not None and p.error.startswith("large model: cannot reach") and "\n" not in p.error
    assert len(result.finished) == 7 and all(p.status == "ok" for p in result.prompts if not p.escalated)
    # Totals cover the finished prompts only, and still add up.
    assert result.small_share == pytest.approx(5 / 7) and result.escalation_share == pytest.approx(2 / 7)
    costs = result.costs()
    assert costs["hybrid_usd"] == pytest.approx(sum(p.hybrid_cost_usd for p in result.finished))  # type: ignore[misc]
    data = result.to_dict()
    assert data["failed"] == result.failed and data["finished"] == 7


@pytest.mark.slow
def test_cancel_stops_after_the_prompt_in_flight_and_keeps_what_finished(small) -> None:  # type: ignore[no-untyped-def]
    cancel = threading.Event()

    def progress(done: int, total: int, message: str) -> None:
        if done == 3:
            cancel.set()

    from advisor.runners import make_runner

    unreachable = make_runner("api", model="gpt-4o-mini", base_url="http://127.0.0.1:9/v1", api_key="x")
    result = run_lab(
        sample_prompts()[:8],
        small,
        unreachable,
        make_router("rule"),
        1.0,
        LabSettings(max_tokens=4),
        on_progress=progress,
        cancel=cancel,
    )
    assert result.cancelled and len(result.finished) == 3 and len(result.not_run) == 5
    assert result.small_share == 1.0 and result.escalation_share == 0.0


# --- the command line --------------------------------------------------------------------------------------------


def test_the_cli_names_a_bad_upload_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from advisor.cli import main

    bad = tmp_path / "prompts.csv"
    bad.write_text("question\nhello\n")
    assert main(["hybrid", str(bad), "--api-model", "gpt-4o-mini"]) == 2
    err = capsys.readouterr().err.strip()
    assert (
        err == "advisor: error: prompts.csv: unknown column 'question'; the columns are prompt (required), "
        "expected, label, match, id"
    )


@pytest.mark.slow
def test_the_cli_runs_thirty_prompts_and_saves_the_split_into_the_scenario(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys: pytest.CaptureFixture[str], llama_server: tuple[str, str], monkeypatch
) -> None:
    from advisor.cli import main
    from advisor.data.scenarios import load_scenario

    base_url, _ = llama_server
    monkeypatch.setenv("STAND_IN_KEY", "sk-local")
    csv_file = tmp_path / "mine.csv"
    rows = ["prompt,expected,label"] + [
        f'"{p.text.replace(chr(34), chr(39))}",{getattr(p.expected, "answer", "")},{p.label}'
        for p in sample_prompts()[:30]
    ]
    csv_file.write_text("\n".join(rows) + "\n")
    out = tmp_path / "measured.yaml"
    code = main(
        [
            "hybrid", str(csv_file), "--scenario", str(EXAMPLES / "shoe-store.yaml"), "--router", "rule",
            "--share", "0.9", "--api-base", base_url, "--api-model", "gpt-4o-mini", "--api-provider", "openai",
            "--api-key-env", "STAND_IN_KEY", "--max-tokens", "4", "--escalated-only", "--save", str(out),
            "--format", "json",
        ]
    )  # fmt: skip
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["prompts"] == data["finished"] == 30 and data["escalation_share"] == pytest.approx(0.1)
    assert data["small_share"] + data["escalation_share"] == pytest.approx(1.0)
    assert data["costs"]["small_basis"].startswith("TCO engine: smollm2-135m-instruct Q4_1 on")
    assert data["costs"]["large_estimated_prompts"] == 27  # all-large priced from counted tokens where it did not run
    assert "sk-local" not in json.dumps(data)
    split = load_scenario(out).workloads[0].measured_split
    assert split is not None and split.small_share == pytest.approx(0.9) and split.pattern == "router"
    assert (
        load_scenario(out).workloads[0].input_tokens
        == load_scenario(EXAMPLES / "shoe-store.yaml").workloads[0].input_tokens
    )

    # --use-tokens without --save is refused in one line, before any model runs.
    assert main(["hybrid", str(csv_file), "--scenario", str(EXAMPLES / "shoe-store.yaml"), "--use-tokens"]) == 2
    assert "--use-tokens goes with --save FILE" in capsys.readouterr().err


@pytest.mark.slow
def test_the_table_format_says_the_split_costs_and_every_prompt(cascade_run: LabResult) -> None:
    from advisor.lab.command import result_table

    text = result_table(cascade_run)
    assert text.startswith("Hybrid lab: self-check cascade (mean token log-probability of the small answer) (cascade)")
    assert f"routed share (small): {cascade_run.small_share:.0%}" in text and "target: 70%" in text
    assert "cost per 1,000 requests: hybrid $" in text and "large side: genai-prices openai/gpt-4o-mini" in text
    assert all(p.prompt.id[:28] in text for p in cascade_run.prompts)
