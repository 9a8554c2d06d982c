"""Bounds that keep one request from buying unbounded server time or memory: workloads in a share link, the time
one recommendation may take, absurd CLI figures, and an API server that ignores max_tokens or stalls."""

from __future__ import annotations

import base64
import json
import time
import zlib

import pytest

from advisor.cli import main
from advisor.data.examples import example_scenarios
from advisor.data.share import MAX_LINK_WORKLOADS, decode_scenario, encode_scenario
from advisor.engine.recommend import recommend
from advisor.errors import AdvisorError, ScenarioError
from advisor.runners import RunSettings, make_runner
from tests.faulty_server import faulty_server


def many_workloads(count: int) -> dict[str, object]:
    data = example_scenarios()["shoe-store"].to_dict()
    template = data["workloads"][0]  # type: ignore[index]
    data["workloads"] = [{**template, "name": f"w{i}", "requests_per_day": 1000 + i} for i in range(count)]
    return data


def link_for(data: dict[str, object]) -> str:
    packed = zlib.compress(json.dumps(data).encode(), 9)
    return base64.urlsafe_b64encode(packed).decode().rstrip("=")


def test_a_share_link_carries_at_most_twenty_workloads() -> None:
    assert len(decode_scenario(link_for(many_workloads(MAX_LINK_WORKLOADS))).workloads) == MAX_LINK_WORKLOADS
    started = time.perf_counter()
    with pytest.raises(ScenarioError, match=r"share link: 100 workloads; a link carries at most 20"):
        decode_scenario(link_for(many_workloads(100)))
    assert time.perf_counter() - started < 0.5  # refused before any validation or decision


def test_a_recommendation_stops_at_its_time_budget() -> None:
    from advisor.data.scenarios import scenario_from_data

    scenario = scenario_from_data(many_workloads(12))
    with pytest.raises(AdvisorError, match=r"took over 0\.01 s and stopped after 1 of 12 workloads"):
        recommend(scenario, time_budget_s=0.01)
    assert len(recommend(scenario_from_data(many_workloads(2)), time_budget_s=60).workloads) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--context", str(10**12)], "argument --context: must be from 1 to 10,000,000"),
        (["--count", str(10**9)], "argument --count: must be from 1 to 1,024"),
        (["--concurrency", str(10**21)], "argument --concurrency: must be from 1 to 4,096"),
    ],
)
def test_absurd_fit_figures_are_refused(args: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["fit", "llama-3.1-8b-instruct", "--hardware", "l4", *args])
    assert exited.value.code == 2
    assert message in capsys.readouterr().err


def test_a_context_past_the_models_window_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fit", "llama-3.1-8b-instruct", "--hardware", "l4", "--context", "1000000"]) == 2
    err = capsys.readouterr().err
    assert err == "advisor: error: context: llama-3.1-8b-instruct reads at most 131,072 tokens, got 1,000,000\n"


def test_a_server_that_ignores_max_tokens_is_cut_off() -> None:
    with faulty_server("echo") as echo:
        runner = make_runner("api", model="echo", base_url=echo.base_url, api_key="visitor-key-42")
        flood = " ".join(["word"] * 5_000)  # echoed back as one enormous piece
        measurement = runner.run(flood, RunSettings(max_tokens=8, timeout_s=20))
    assert measurement.error is not None and "kept sending past the 8-token limit" in measurement.error
    assert len(measurement.text) <= (8 + 16) * 64


def test_a_stalled_server_is_bounded_by_one_deadline_retries_included() -> None:
    with faulty_server("hang", hang_s=30) as stalled:
        runner = make_runner("api", model="m", base_url=stalled.base_url, api_key="k", max_retries=2)
        started = time.perf_counter()
        measurement = runner.run("hello", RunSettings(max_tokens=8, timeout_s=2))
        took = time.perf_counter() - started
    assert took < 4, took  # 3 attempts of 2 s each would take 6 s and more
    assert measurement.error is not None and "no answer within 2 s" in measurement.error
    assert "--timeout" in measurement.error


def test_compare_has_a_timeout_option(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compare", "--prompt", "hi", "--timeout", "0"])
    assert "argument --timeout: must be from 1 to 600 seconds" in capsys.readouterr().err
    share = encode_scenario(example_scenarios()["shoe-store"])
    assert decode_scenario(share).name == "Shoe store AI"
