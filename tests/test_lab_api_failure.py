"""The Hybrid lab when the large (API) model fails: a closed port and a misbehaving local server (tests/faulty_server),
through run_lab, the command line and the page. The failed prompts are named with the runner's one-line cause and
left out of every total (the all-large row included); the key is never in a message, the JSON or the page."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from advisor.lab import LabSettings, make_router, parse_prompts, run_lab
from tests.apptest import open_app, rerun
from tests.faulty_server import faulty_server, refused_base_url

KEY = "sk-lab-SENTINEL-0987654321"
UPLOAD = (
    b"prompt,expected\n"
    b"What is 2+2? Answer with the number only.,4\n"
    b"What is the capital of France? Answer with the city only.,Paris\n"
)


@pytest.fixture(scope="module")
def small():  # type: ignore[no-untyped-def]
    from advisor.runners import make_runner

    return make_runner("local", threads=1)


def _large(base_url: str):  # type: ignore[no-untyped-def]
    from advisor.runners import make_runner

    return make_runner("api", model="gpt-4o-mini", base_url=base_url, api_key=KEY, provider="openai")


def _run(small: Any, base_url: str, share: float = 1.0):  # type: ignore[no-untyped-def]
    prompts = parse_prompts(UPLOAD, "mine.csv")
    return run_lab(prompts, small, _large(base_url), make_router("rule"), share, LabSettings(max_tokens=4))


def test_an_unreachable_large_model_fails_every_prompt_it_checked_and_names_the_cause(small) -> None:  # type: ignore[no-untyped-def]
    # share 1.0: the rule router keeps both prompts small; the large model is asked for its reference answers.
    with refused_base_url() as base_url:
        result = _run(small, base_url)
    assert all(p.small is not None and p.small.ok for p in result.prompts)
    assert [p.status for p in result.prompts] == ["failed", "failed"]
    assert result.failed == ["row-2", "row-3"] and result.finished == []
    for p in result.prompts:
        assert p.error == (
            f"large model: cannot reach {base_url}: connection refused after 2 retries; is the server running and "
            "the api-base right?"
        )
    # Nothing is totalled over prompts the large model never answered: no figure claims a full run.
    per = result.costs()["per_1000_requests_usd"]
    assert per == {"hybrid": None, "all_large": None, "all_small": None}
    data = result.to_dict()
    assert data["finished"] == 0 and data["failed"] == ["row-2", "row-3"]
    assert KEY not in json.dumps(data)


def test_a_failed_reference_answer_leaves_that_prompt_out_and_the_rest_counts(small) -> None:  # type: ignore[no-untyped-def]
    # A real server that answers 500 to the first prompt's three tries (1 + 2 retries), then answers.
    with faulty_server("500", failures=3) as server:
        result = _run(small, server.base_url)
    first, second = result.prompts
    assert first.status == "failed" and second.status == "ok"
    assert first.error is not None and first.error.startswith("large model: server error (500) after 2 retries")
    assert result.failed == ["row-2"] and [p.prompt.id for p in result.finished] == ["row-3"]
    per = result.costs()["per_1000_requests_usd"]
    assert per["all_large"] == pytest.approx(second.large_cost_usd * 1000)  # type: ignore[operator]
    assert per["all_small"] == pytest.approx(second.small_cost_usd * 1000)  # type: ignore[operator]
    assert result.latency()["large"]["p50_ms"] is not None


def test_a_server_that_echoes_the_key_in_its_error_never_shows_it(small) -> None:  # type: ignore[no-untyped-def]
    with faulty_server("401") as server:
        result = _run(small, server.base_url)
    assert result.failed == ["row-2", "row-3"]
    assert all((p.error or "").startswith("large model: authentication failed (401)") for p in result.prompts)
    assert KEY not in json.dumps(result.to_dict()) and KEY not in repr(result)


def test_the_cli_names_the_failed_prompts_and_exits_1_when_none_finished(  # type: ignore[no-untyped-def]
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from advisor.cli import main

    monkeypatch.setenv("LAB_KEY", KEY)
    csv_file = tmp_path / "mine.csv"
    csv_file.write_bytes(UPLOAD)
    with refused_base_url() as base_url:
        code = main(
            [
                "hybrid", str(csv_file), "--router", "rule", "--share", "1.0", "--api-base", base_url,
                "--api-model", "gpt-4o-mini", "--api-key-env", "LAB_KEY", "--max-tokens", "4", "--format", "json",
            ]
        )  # fmt: skip
    out, err = capsys.readouterr()
    assert code == 1
    data = json.loads(out)
    assert data["finished"] == 0 and data["failed"] == ["row-2", "row-3"]
    assert data["costs"]["per_1000_requests_usd"]["all_large"] is None
    lines = err.strip().splitlines()
    assert lines == [
        f"advisor: prompt {row} failed: large model: cannot reach {base_url}: connection refused after 2 retries; "
        "is the server running and the api-base right?"
        for row in ("row-2", "row-3")
    ]
    assert KEY not in out and KEY not in err


def test_the_page_shows_one_error_line_marks_the_prompts_failed_and_hides_the_key() -> None:
    at = open_app("hybrid_lab")
    at.default_timeout = 120
    at.radio(key="lab_source").set_value("My prompts (CSV or JSONL upload)")
    rerun(at)
    at.file_uploader(key="lab_upload").upload("mine.csv", UPLOAD, "text/csv")
    rerun(at)
    at.selectbox(key="lab_router").set_value("rule")
    at.slider(key="lab_share").set_value(1.0)
    at.text_input(key="lab_api_model").input("gpt-4o-mini")
    at.slider(key="lab_max_tokens").set_value(4)
    with refused_base_url() as base_url:
        at.text_input(key="lab_api_base").input(base_url)
        at.text_input(key="lab_api_key").input(KEY)
        rerun(at)
        at.button(key="lab_run").click()
        rerun(at)
    from advisor.present.words import plain

    cause = f"large model: cannot reach {base_url}: connection refused after 2 retries; is the server running and "
    cause += "the api-base right?"
    errors = [str(e.value) for e in at.error]
    assert errors == [plain(f"2 prompts failed and are left out of the totals: row-2, row-3. {cause}")]
    assert any("0 of 2 prompts finished" in str(c.value) for c in at.caption)
    table = next(d.value for d in at.dataframe if "Prompt" in d.value.columns)
    assert list(table["Status"]) == [f"failed: {cause}"] * 2
    assert list(table["Large answer"]) == ["", ""]
    costs = next(d.value for d in at.dataframe if "Cost per 1,000 requests" in d.value.columns)
    assert list(costs["Cost per 1,000 requests"]) == ["-", "-", "-"]
    assert at.button(key="lab_use").disabled
    shown = str([e.value for e in at.main if hasattr(e, "value") and not isinstance(e.value, bool | int)])
    assert KEY not in shown.replace(repr(KEY), "")
    _, result = at.session_state["lab_result"]
    assert KEY not in json.dumps(result.to_dict())


def _one_of_two_failed(error: str = "cannot reach the server"):  # type: ignore[no-untyped-def]
    from advisor.lab import LabResult, RouteDecision
    from advisor.lab.prompts import token_profile
    from advisor.lab.run import PromptResult
    from advisor.runners import Measurement

    prompts = parse_prompts(UPLOAD, "mine.csv")
    answer = Measurement(runner="local", model="m", text="4", total_ms=5.0, prompt_tokens=3, completion_tokens=1)
    refused = Measurement(runner="api", model="g", error=error)
    kept = RouteDecision(False, "kept")
    results = [PromptResult(prompts[0], 3, answer, refused, kept), PromptResult(prompts[1], 3, answer, answer, kept)]
    profile = token_profile([3, 3], "words")
    return LabResult(results, "rule", "Rule router", "router", 1.0, None, "s", "l", "", "", [profile, profile], 1, 0, 0)


def test_one_failed_prompt_is_said_in_the_singular() -> None:
    from advisor.present.words import plain

    at = open_app("hybrid_lab")
    at.session_state["lab_result"] = (at.session_state["scenario"].workloads[0].name, _one_of_two_failed())
    rerun(at)
    message = "1 prompt failed and is left out of the totals: row-2. large model: cannot reach the server"
    assert [str(e.value) for e in at.error] == [plain(message)]
    assert any("1 of 2 prompts finished" in str(c.value) for c in at.caption)


def test_the_cli_table_counts_prompts_in_words() -> None:
    from advisor.lab.command import result_table

    result = _one_of_two_failed()
    result.prompts[1].small_verdict = result.prompts[1].large_verdict = "match"
    text = result_table(result)
    assert text.startswith("Hybrid lab: Rule router (router), 2 prompts, 1 finished\n")
    assert "  quality (1 prompt with an expected answer): hybrid" in text and "failed: row-2" in text


def test_a_typed_key_echoed_by_a_third_party_runner_is_blanked_on_the_page() -> None:
    at = open_app("hybrid_lab")
    at.text_input(key="lab_api_key").input(KEY)
    at.session_state["lab_result"] = (at.session_state["scenario"].workloads[0].name, _one_of_two_failed(f"bad {KEY}"))
    rerun(at)
    (error,) = [str(e.value) for e in at.error]
    assert KEY not in error and "bad \\[secret\\]" in error
    table = next(d.value for d in at.dataframe if "Prompt" in d.value.columns)
    assert KEY not in str(table.to_dict())
