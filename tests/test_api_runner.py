"""The API runner against real local servers: llama.cpp's OpenAI-compatible server, and one that misbehaves."""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from advisor.runners import Measurement, RunnerError, RunSettings
from advisor.runners.api import ApiRunner, make_api_runner, provider_for_url
from tests.faulty_server import CHUNKS, PROMPT_TOKENS, FaultyServer, faulty_server, refused_base_url

SENTINEL = "sk-test-SENTINEL-1234567890"
FAST = RunSettings(max_tokens=16, timeout_s=3.0)
"""Three seconds for the whole run, retries included (a Retry-After of 1 s twice fits)."""


@pytest.fixture
def server() -> Iterator[FaultyServer]:
    with faulty_server() as started:
        yield started


@pytest.fixture
def key_in_env(monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
    return SENTINEL


@pytest.fixture
def all_logs(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """Every record at DEBUG, the HTTP libraries' included, so a leaked key in any log line fails a test."""
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx2", "httpcore2", "httpx", "httpcore"):
        caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def run_collecting(runner: ApiRunner, settings: RunSettings = FAST) -> tuple[Measurement, list[str], float]:
    pieces: list[str] = []
    started = time.perf_counter()
    measurement = runner.run("Say hello", settings, on_text=pieces.append)
    return measurement, pieces, time.perf_counter() - started


def assert_no_secret(runner: ApiRunner, measurement: Measurement, logs: pytest.LogCaptureFixture) -> None:
    assert SENTINEL not in json.dumps(measurement.to_dict())
    assert SENTINEL not in repr(measurement)
    assert SENTINEL not in (measurement.error or "")
    assert SENTINEL not in repr(runner) and SENTINEL not in runner.label
    assert SENTINEL not in logs.text
    assert "HTTP Request" in logs.text or "connect" in logs.text  # the logs were captured, so the check means something


# --- a real llama.cpp server --------------------------------------------------------------------------------------


@pytest.mark.slow
def test_streams_from_a_real_llama_cpp_server(llama_server: tuple[str, str], all_logs: Any) -> None:
    import openai

    base_url, model_id = llama_server
    runner = make_api_runner(model_id, base_url=base_url, api_key=SENTINEL)
    settings = RunSettings(max_tokens=16, timeout_s=30)

    measurement, pieces, _ = run_collecting(runner, settings)

    assert measurement.error is None, measurement.error
    assert measurement.text and "".join(pieces) == measurement.text
    assert measurement.first_token_ms is not None and measurement.first_token_ms > 0
    assert measurement.total_ms is not None and measurement.total_ms >= measurement.first_token_ms
    assert measurement.tokens_per_s is not None and measurement.tokens_per_s > 0
    # The same request without streaming, at temperature 0, gives the server's own usage to check against.
    answer = openai.OpenAI(base_url=base_url, api_key="x", max_retries=0).chat.completions.create(
        model=model_id, messages=[{"role": "user", "content": "Say hello"}], max_tokens=16, temperature=0.0
    )
    assert answer.usage is not None and answer.usage.completion_tokens > 0
    assert measurement.completion_tokens == answer.usage.completion_tokens
    if "token_counts" in measurement.extra:  # llama-cpp-python's server ignores stream_options.include_usage
        assert measurement.extra["token_counts"].startswith("prompt counted here with o200k_base (an approximation")
        # It stopped at the 16-token limit (finish_reason "length"): the answer had exactly that many tokens.
        assert measurement.extra["finish_reason"] == "length"
        assert measurement.extra["token_counts"].endswith("answer at its token limit; the server reported none")
        assert measurement.prompt_tokens is not None and measurement.prompt_tokens > 0
    else:
        assert measurement.prompt_tokens == answer.usage.prompt_tokens > 0
    assert measurement.cost_usd is None
    assert measurement.cost_basis == f"no genai-prices price for model {model_id!r} (a self-hosted server?)"
    assert runner.label == f"SmolLM2-135M-Instruct.Q4_1.gguf via 127.0.0.1:{base_url.split(':')[2].split('/')[0]}"
    assert_no_secret(runner, measurement, all_logs)


# --- a server that misbehaves -------------------------------------------------------------------------------------


def test_a_good_stream_is_measured_priced_and_shown_on_the_callers_thread(server: FaultyServer, all_logs: Any) -> None:
    from advisor.data.prices import api_price_table

    runner = make_api_runner("gpt-4o-mini", base_url=server.base_url, api_key=SENTINEL, provider="openai")
    threads: list[threading.Thread] = []
    pieces: list[str] = []

    def on_text(piece: str) -> None:
        threads.append(threading.current_thread())
        pieces.append(piece)

    measurement = runner.run("Say hello", FAST, on_text=on_text)

    assert measurement.error is None and measurement.retries == 0
    assert measurement.text == "".join(CHUNKS) == "".join(pieces)
    assert set(threads) == {threading.current_thread()}
    assert (measurement.prompt_tokens, measurement.completion_tokens) == (PROMPT_TOKENS, len(CHUNKS))
    assert "token_counts" not in measurement.extra
    assert measurement.first_token_ms is not None and measurement.total_ms is not None
    assert 0 < measurement.first_token_ms <= measurement.total_ms
    table = api_price_table()
    expected = table.cost_per_request(PROMPT_TOKENS, len(CHUNKS), rows=[table.index("openai", "gpt-4o-mini")])
    assert measurement.cost_usd == pytest.approx(float(expected[0]))
    assert measurement.cost_basis == "genai-prices openai/gpt-4o-mini"
    body = server.requests[0].body
    assert body["stream"] is True and body["stream_options"] == {"include_usage": True}
    assert body["max_tokens"] == FAST.max_tokens and body["messages"][-1] == {"role": "user", "content": "Say hello"}
    assert_no_secret(runner, measurement, all_logs)


def test_a_stream_without_usage_is_counted_here_and_priced(server: FaultyServer) -> None:
    """A server that reports no usage: an OpenAI model's tokens are counted offline with its own encoding."""
    import bpe_openai

    server.set_mode("no_usage")
    runner = make_api_runner("gpt-4o-mini", base_url=server.base_url, api_key=SENTINEL)
    measurement, _, _ = run_collecting(runner)
    assert measurement.error is None
    o200k = bpe_openai.get_encoding("o200k_base")
    # One user message: its tokens, 3 for the message's framing and 3 that prime the reply.
    assert measurement.prompt_tokens == len(o200k.encode_ordinary("Say hello")) + 3 + 3
    assert measurement.completion_tokens == len(o200k.encode_ordinary("".join(CHUNKS)))
    assert measurement.extra["token_counts"] == "counted here with o200k_base; the server reported none"
    expected, _ = runner.request_cost(measurement.prompt_tokens, measurement.completion_tokens)
    assert measurement.cost_usd == expected and expected is not None and expected > 0
    assert "tokens counted here with o200k_base, the server reported none" in (measurement.cost_basis or "")


def test_a_model_that_is_not_openais_counts_its_answer_by_streamed_pieces(server: FaultyServer) -> None:
    server.set_mode("no_usage")
    measurement, _, _ = run_collecting(make_api_runner("my-local-model", base_url=server.base_url, api_key="x"))
    assert measurement.completion_tokens == len(CHUNKS)
    assert "approximation" in measurement.extra["token_counts"]


# mode, server options, max_retries, error (start), requests the server saw, retries, text kept, most seconds
FAULTS: list[tuple[str, dict[str, Any], int, str | None, int, int, str, float]] = [
    ("401", {}, 2, "authentication failed (401): check the key in OPENAI_API_KEY", 1, 0, "", 1.0),
    ("404", {}, 2, "the server refused the request (404): The model does not exist", 1, 0, "", 1.0),
    ("429", {}, 2, "rate limited (429) after 2 retries;", 3, 2, "", 4.0),
    ("429", {"failures": 1}, 2, None, 2, 1, "".join(CHUNKS), 2.5),
    ("500", {}, 2, "server error (500) after 2 retries;", 3, 2, "", 3.5),
    ("500", {"failures": 1}, 2, None, 2, 1, "".join(CHUNKS), 2.0),
    # One deadline for the whole run: a server that hangs until it has passed gets no retry.
    ("hang", {}, 1, "no answer within 3 s; try again later, or allow longer (--timeout)", 1, 0, "", 3.8),
    ("hang_mid_stream", {}, 2, "no answer within 3 s: the stream stalled after 2 tokens", 1, 0, "Hello from", 3.8),
    ("drop", {}, 2, "the stream broke off after 3 tokens", 1, 0, "Hello from the", 1.0),
    ("drop_eof", {}, 2, "the stream broke off after 3 tokens", 1, 0, "Hello from the", 1.0),
    ("malformed", {}, 2, "the server sent a malformed stream (a chunk is not JSON: '{not json')", 1, 0, "Hello", 1.0),
]


@pytest.mark.parametrize(
    ("mode", "options", "max_retries", "error", "requests", "retries", "text", "most_s"),
    FAULTS,
    ids=[f"{f[0]}-{'then-ok' if f[3] is None else 'fails'}" for f in FAULTS],
)
def test_each_fault_gives_one_clear_line_bounded_retries_and_no_secret(
    server: FaultyServer,
    key_in_env: str,
    all_logs: Any,
    mode: str,
    options: dict[str, Any],
    max_retries: int,
    error: str | None,
    requests: int,
    retries: int,
    text: str,
    most_s: float,
) -> None:
    server.set_mode(mode, **options)
    runner = make_api_runner("gpt-4o-mini", base_url=server.base_url, max_retries=max_retries)

    measurement, pieces, elapsed = run_collecting(runner)

    if error is None:
        assert measurement.error is None
    else:
        assert measurement.error is not None and measurement.error.startswith(error), measurement.error
        assert "\n" not in measurement.error
    assert server.request_count == requests
    assert measurement.retries == retries
    assert measurement.text == text == "".join(pieces)
    assert elapsed < most_s
    assert all(r.headers.get("authorization") == f"Bearer {key_in_env}" for r in server.requests)
    for request in server.requests:  # the key travels in Authorization and nowhere else
        others = {name: value for name, value in request.headers.items() if name != "authorization"}
        assert key_in_env not in json.dumps(others) and key_in_env not in json.dumps(request.body)
    assert_no_secret(runner, measurement, all_logs)


def test_backoff_without_retry_after_is_exponential_and_bounded(server: FaultyServer) -> None:
    server.set_mode("429", retry_after=None)
    runner = make_api_runner("gpt-4o-mini", base_url=server.base_url, api_key=SENTINEL, max_retries=3)
    runner.backoff_base_s = 0.05
    measurement, _, elapsed = run_collecting(runner)
    assert measurement.retries == 3 and server.request_count == 4
    assert measurement.error is not None and measurement.error.startswith("rate limited (429) after 3 retries")
    assert 0.05 + 0.1 + 0.2 <= elapsed < 1.5


def test_a_refused_connection_is_retried_quickly_then_reported(all_logs: Any) -> None:
    with refused_base_url() as base_url:
        runner = make_api_runner("gpt-4o-mini", base_url=base_url, api_key=SENTINEL, max_retries=5)
        measurement, pieces, elapsed = run_collecting(runner)
    assert measurement.error is not None
    assert measurement.error.startswith(f"cannot reach {base_url}: connection refused after 2 retries")
    assert measurement.retries == 2 and pieces == [] and elapsed < 2.0
    assert_no_secret(runner, measurement, all_logs)


# --- settings -----------------------------------------------------------------------------------------------------


def test_a_missing_key_says_what_to_set() -> None:
    with pytest.raises(RunnerError) as caught:
        make_api_runner("gpt-4o-mini")
    assert str(caught.value) == (
        "api key: set OPENAI_API_KEY (or the variable named by --api-key-env) or pass one; the key comes from your "
        "provider's dashboard, and for a local server with no auth any non-empty value works"
    )
    with pytest.raises(RunnerError, match=r"^api key: set MY_PROVIDER_KEY \(the variable named by --api-key-env\)"):
        make_api_runner("gpt-4o-mini", api_key_env="MY_PROVIDER_KEY")


def test_the_key_comes_from_the_named_variable(server: FaultyServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MY_PROVIDER_KEY", SENTINEL)
    runner = make_api_runner("gpt-4o-mini", base_url=server.base_url, api_key_env="MY_PROVIDER_KEY")
    assert runner.run("hi", FAST).error is None
    assert server.requests[0].headers["authorization"] == f"Bearer {SENTINEL}"


@pytest.mark.parametrize(
    "base_url", ["ftp://example.com/v1", "localhost:8080/v1", "http://", "not a url", "http://h:x"]
)
def test_a_malformed_base_url_names_api_base(base_url: str) -> None:
    with pytest.raises(RunnerError, match=r"^api-base: must be an http:// or https:// URL with a host"):
        make_api_runner("gpt-4o-mini", base_url=base_url, api_key=SENTINEL)


def test_an_empty_model_name_is_refused() -> None:
    with pytest.raises(RunnerError, match=r"^model: "):
        make_api_runner("  ", api_key=SENTINEL)


def test_label_and_repr_show_where_not_the_key() -> None:
    runner = make_api_runner("gpt-4o-mini", api_key=SENTINEL)
    assert runner.label == "gpt-4o-mini via api.openai.com"
    assert repr(runner) == "ApiRunner(model='gpt-4o-mini', base_url='https://api.openai.com/v1', provider=None)"
    hidden = make_api_runner("m", base_url="https://user:secret@proxy.example:8443/v1?token=abc", api_key=SENTINEL)
    assert hidden.label == "m via proxy.example:8443" and "secret" not in repr(hidden) + hidden.display_url


def test_made_through_the_registry() -> None:
    pytest.importorskip("advisor.runners.local")
    from advisor.runners import make_runner

    assert isinstance(make_runner("api", model="gpt-4o-mini", api_key=SENTINEL), ApiRunner)


# --- pricing ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("input_tokens", "output_tokens"), [(0, 0), (1_000, 500), (120_000, 4_000)])
def test_request_cost_is_genai_prices_own_figure(input_tokens: int, output_tokens: int) -> None:
    from genai_prices import Usage, calc_price

    from advisor.data.prices import api_price_table

    runner = make_api_runner("gpt-4o-mini", api_key=SENTINEL, provider="openai")
    cost, basis = runner.request_cost(input_tokens, output_tokens)
    table = api_price_table()
    expected = table.cost_per_request(input_tokens, output_tokens, rows=[table.index("openai", "gpt-4o-mini")])
    assert cost == pytest.approx(float(expected[0]))
    usage = Usage(input_tokens=input_tokens, output_tokens=output_tokens)
    assert cost == pytest.approx(float(calc_price(usage, "gpt-4o-mini", provider_id="openai").total_price))
    assert basis == "genai-prices openai/gpt-4o-mini"


@pytest.mark.parametrize(
    ("base_url", "provider"),
    [
        ("https://api.openai.com/v1", "openai"),
        ("https://openrouter.ai/api/v1", "openrouter"),
        ("https://api.anthropic.com/v1/", "anthropic"),
        ("https://api.groq.com/openai/v1", "groq"),
        ("https://api.mistral.ai/v1", "mistral"),
        ("https://api.together.xyz/v1", "together"),
        ("https://api.fireworks.ai/inference/v1", "fireworks"),
        ("https://generativelanguage.googleapis.com/v1beta/openai", "google"),
        ("https://api.deepseek.com", "deepseek"),
        ("https://api.x.ai/v1", "x-ai"),
        ("http://127.0.0.1:8080/v1", None),
    ],
)
def test_provider_comes_from_the_base_url(base_url: str, provider: str | None) -> None:
    assert provider_for_url(base_url) == provider


@pytest.mark.parametrize(
    ("model", "provider", "base_url", "basis"),
    [
        ("gpt-4o-mini-2024-07-18", "openai", None, "genai-prices openai/gpt-4o-mini"),  # genai-prices' own matching
        ("deepseek-chat", None, "http://127.0.0.1:8080/v1", "genai-prices deepseek/deepseek-chat"),  # one owner
        ("my-finetune", None, "http://127.0.0.1:8080/v1", "no genai-prices price for model 'my-finetune' (a self"),
        ("claude-3-haiku", None, "http://127.0.0.1:8080/v1", "no cost: model 'claude-3-haiku' is priced by "),
        ("my-finetune", "openai", None, "no genai-prices price for model 'my-finetune' at provider 'openai'"),
    ],
)
def test_cost_basis_says_where_the_price_comes_from(
    model: str, provider: str | None, base_url: str | None, basis: str
) -> None:
    runner = make_api_runner(model, base_url=base_url, api_key=SENTINEL, provider=provider)
    cost, said = runner.request_cost(1_000, 100)
    assert said.startswith(basis)
    assert (cost is None) == basis.startswith("no ")


# --- model families ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("model", "sent"),
    [
        ("gpt-5-mini", {"max_completion_tokens": 16}),
        ("o4-mini", {"max_completion_tokens": 16}),
        ("gpt-4o-mini", {"max_tokens": 16, "temperature": 0.0}),
    ],
)
def test_each_model_gets_the_length_and_sampling_form_it_accepts(
    server: FaultyServer, model: str, sent: dict[str, Any]
) -> None:
    server.set_mode("reasoning")
    measurement = make_api_runner(model, base_url=server.base_url, api_key=SENTINEL).run("Say hello", FAST)
    body = server.requests[0].body
    assert {k: body[k] for k in ("max_tokens", "max_completion_tokens", "temperature") if k in body} == sent
    if "max_tokens" in sent:  # a classic-form request to a reasoning-style server: refused once, then re-sent
        assert server.request_count == 2 and "max_completion_tokens" in server.requests[1].body
        assert "temperature" not in server.requests[1].body
    assert measurement.error is None and measurement.text == "".join(CHUNKS)
    assert measurement.retries == 0  # switching the form is not a retry of a failure


def test_the_form_switches_only_once(server: FaultyServer) -> None:
    server.set_mode("404")  # a 400-class refusal that names no parameter: no switch, one request
    measurement = make_api_runner("gpt-5", base_url=server.base_url, api_key=SENTINEL).run("Say hello", FAST)
    assert server.request_count == 1 and measurement.error is not None


def test_a_reasoning_effort_is_sent_with_every_request_and_kept_with_the_run() -> None:
    with faulty_server() as server:
        plain = make_api_runner("gpt-5", base_url=server.base_url, api_key="k")
        minimal = make_api_runner("gpt-5", base_url=server.base_url, api_key="k", reasoning_effort="minimal")
        first = plain.run("hi", RunSettings(max_tokens=16))
        second = minimal.run("hi", RunSettings(max_tokens=16))
    assert first.ok and second.ok, (first.error, second.error)
    assert "reasoning_effort" not in server.requests[0].body and "reasoning_effort" not in first.extra
    assert server.requests[1].body["reasoning_effort"] == "minimal"
    assert second.extra["reasoning_effort"] == "minimal"


def test_an_unknown_reasoning_effort_is_refused_naming_the_field() -> None:
    with pytest.raises(RunnerError, match=r"^api-effort: must be one of none \| minimal \| low \| medium \| high"):
        make_api_runner("gpt-5", base_url="http://127.0.0.1:9/v1", api_key="k", reasoning_effort="max")
