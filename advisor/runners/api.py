"""The OpenAI-compatible API runner: streams a chat completion from any /v1 server, measures it and prices it.

Retries are done here, not by the openai client, so they are bounded and counted in `Measurement.retries`. The
stream is read on a worker thread while the caller's thread waits with a deadline: a server that hangs before
or during the answer cannot hold a run past `RunSettings.timeout_s`, and `on_text` is always called on the
caller's thread (Streamlit callbacks need that). The API key never leaves the client's Authorization header:
every message built from a server's reply or an exception is scrubbed of it.
"""

from __future__ import annotations

import email.utils
import json
import queue
import random
import re
import socket
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from advisor.runners import Measurement, RunnerError, RunSettings, TextCallback, decode_speed
from advisor.runners.endpoints import DEFAULT_BASE_URL
from advisor.runners.tokens import count_chat_tokens
from advisor.schema.vocabulary import REASONING_EFFORTS

if TYPE_CHECKING:
    import openai
    from openai.types.chat import ChatCompletionMessageParam

    from advisor.data.prices import ApiPriceTable

RETRY_AFTER_CAP_S = 10.0
"""A longer Retry-After is not worth waiting for in an interactive comparison; the error says to try later."""
CONNECT_RETRIES = 2
"""A refused connection or an unknown host rarely heals within seconds: two quick tries ride out a restart."""
CONNECT_RETRY_DELAY_S = 0.25
BACKOFF_BASE_S = 0.5
_MESSAGE_CHARS = 240
REASONING_MODEL = re.compile(r"^(o\d|gpt-5)", re.IGNORECASE)
"""OpenAI's reasoning models by id (o1, o3-mini, o4-mini, gpt-5, gpt-5-mini...): they refuse max_tokens and a
temperature (OpenAI's API reference, chat completions: max_tokens is deprecated and not compatible with o-series)."""
OUTPUT_MARGIN_TOKENS = 16
"""Stream pieces accepted past max_tokens (a piece is about a token) before the answer is cut off."""
MAX_CHARS_PER_TOKEN = 64
"""A token is a few characters; a piece far longer is a server sending bulk text, cut off like too many pieces."""


def make_api_runner(
    model: str,
    base_url: str | None = None,
    api_key: str | None = None,
    api_key_env: str = "OPENAI_API_KEY",
    provider: str | None = None,
    max_retries: int = 2,
    connect_timeout_s: float = 5.0,
    reasoning_effort: str | None = None,
) -> ApiRunner:
    """An API runner for `model` at `base_url` (None: OpenAI), keyed by `api_key` or the `api_key_env` variable;
    `reasoning_effort` (REASONING_EFFORTS) is sent with every request when given."""
    import os

    key = api_key if api_key is not None else os.environ.get(api_key_env)
    scrub = _Scrubber(key)
    if not model or not model.strip():
        raise RunnerError("model: must be the model id the server knows, like gpt-4o-mini; got an empty name")
    url = (base_url or DEFAULT_BASE_URL).strip().rstrip("/")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - parsing the port is the check: "host:abc" raises here
    except ValueError:
        parts = parts._replace(netloc="")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise RunnerError(
            "api-base: must be an http:// or https:// URL with a host, like https://api.openai.com/v1 or "
            f"http://127.0.0.1:8080/v1; got {scrub(base_url or '')!r}"
        )
    if not key:
        where = (
            "OPENAI_API_KEY (or the variable named by --api-key-env)"
            if api_key_env == "OPENAI_API_KEY"
            else f"{api_key_env} (the variable named by --api-key-env)"
        )
        raise RunnerError(
            f"api key: set {where} or pass one; the key comes from your provider's dashboard, and for a local "
            "server with no auth any non-empty value works"
        )
    if max_retries < 0:
        raise RunnerError(f"max retries: must be 0 or more, got {max_retries}")
    if connect_timeout_s <= 0:
        raise RunnerError(f"connect timeout: must be more than 0 s, got {connect_timeout_s:g}")
    if reasoning_effort is not None and reasoning_effort not in REASONING_EFFORTS:
        raise RunnerError(f"api-effort: must be one of {' | '.join(REASONING_EFFORTS)}, got {reasoning_effort!r}")
    key_source = f"the key in {api_key_env}" if api_key is None else "the api key that was passed in"
    return ApiRunner(
        model.strip(), url, key, key_source, provider, max_retries, connect_timeout_s, reasoning_effort=reasoning_effort
    )


@dataclass
class _Fault:
    """What went wrong in one attempt, classified so the retry policy and the final message can be chosen."""

    kind: str  # auth, quota, rate, server, request, refused, unknown_host, connection, timeout, empty, ...
    detail: str = ""  # already scrubbed
    status: int | None = None
    retry_after_s: float | None = None


@dataclass
class _Attempt:
    started: float
    pieces: list[str] = field(default_factory=list)
    first_token_at: float | None = None
    last_token_at: float | None = None
    ended_at: float | None = None
    usage: tuple[int | None, int | None] | None = None
    finish_reason: str | None = None
    fault: _Fault | None = None


class ApiRunner:
    """Streams one chat completion per run from an OpenAI-compatible server (see `make_api_runner`)."""

    name = "api"

    def __init__(
        self,
        model: str,
        base_url: str,
        api_key: str,
        key_source: str,
        provider: str | None,
        max_retries: int,
        connect_timeout_s: float,
        backoff_base_s: float = BACKOFF_BASE_S,
        reasoning_effort: str | None = None,
    ) -> None:
        import openai

        self.model = model
        self.base_url = base_url
        self.provider = provider
        self.max_retries = max_retries
        self.connect_timeout_s = connect_timeout_s
        self.reasoning_form = bool(REASONING_MODEL.match(model.rsplit("/", 1)[-1]))
        self._form_switched = False
        self.backoff_base_s = backoff_base_s
        self.reasoning_effort = reasoning_effort  # sent as `reasoning_effort` with every request when set
        self._key_source = key_source
        self._scrub = _Scrubber(api_key)
        parts = urlsplit(base_url)
        self.host = parts.netloc.rpartition("@")[2]
        # Shown in messages: no user:password@ and no query string, which is where secrets hide in URLs.
        self.display_url = f"{parts.scheme}://{self.host}{parts.path}"
        shown_model = model.rsplit("/", 1)[-1] if model.endswith(".gguf") else model
        self.label = f"{shown_model} via {self.host}"
        self._client = openai.OpenAI(
            base_url=base_url,
            api_key=api_key,
            max_retries=0,
            timeout=openai.Timeout(60.0, connect=connect_timeout_s),
        )
        self._price: tuple[ApiPriceTable, int | None, str] | None = None

    def __repr__(self) -> str:
        return f"ApiRunner(model={self.model!r}, base_url={self.display_url!r}, provider={self.provider!r})"

    def run(self, prompt: str, settings: RunSettings, on_text: TextCallback | None = None) -> Measurement:
        retries = 0
        run_deadline = time.perf_counter() + settings.timeout_s  # retries included: the whole run has one bound
        while True:
            attempt = self._attempt(prompt, settings, on_text, run_deadline)
            # Text already shown cannot be taken back, so a fault after it is final.
            if attempt.fault is None or attempt.pieces:
                break
            if self._switch_form(attempt.fault):
                continue  # the same request in the form the model accepts: not a retry of a failure
            delay = self._retry_delay(attempt.fault, retries)
            if delay is None or time.perf_counter() + delay >= run_deadline:
                break
            time.sleep(delay)
            retries += 1
        return self._measurement(attempt, retries, settings, prompt)

    def request_cost(self, prompt_tokens: int, completion_tokens: int) -> tuple[float | None, str]:
        """USD for one request with these token counts, and where the figure comes from (or why there is none)."""
        table, row, basis = self._price_row()
        if row is None:
            return None, basis
        import numpy as np

        cost = table.cost_per_request(prompt_tokens, completion_tokens, rows=np.array([row]))
        return float(cost[0]), basis

    # --- one attempt -------------------------------------------------------------------------------------------

    def _attempt(
        self, prompt: str, settings: RunSettings, on_text: TextCallback | None, run_deadline: float
    ) -> _Attempt:
        events: queue.SimpleQueue[tuple[str, Any, float]] = queue.SimpleQueue()
        cancel = threading.Event()
        attempt = _Attempt(started=time.perf_counter())
        deadline = min(attempt.started + settings.timeout_s, run_deadline)
        most_pieces = settings.max_tokens + OUTPUT_MARGIN_TOKENS  # a server that ignores max_tokens is cut off
        most_chars = most_pieces * MAX_CHARS_PER_TOKEN
        chars = 0
        worker = threading.Thread(
            target=self._stream, args=(prompt, settings, events, cancel), daemon=True, name="api-runner-stream"
        )
        worker.start()
        try:
            while attempt.fault is None:
                try:
                    kind, value, at = events.get(timeout=max(deadline - time.perf_counter(), 0.0))
                except queue.Empty:
                    attempt.fault = _Fault("timeout")
                    break
                if kind == "text":
                    if attempt.first_token_at is None:
                        attempt.first_token_at = at
                    attempt.last_token_at = at
                    chars += len(value)
                    if len(attempt.pieces) >= most_pieces or chars > most_chars:
                        attempt.fault = _Fault("too_long")
                        break
                    attempt.pieces.append(value)
                    if on_text is not None:
                        on_text(value)
                elif kind == "usage":
                    attempt.usage = value
                elif kind == "finish":
                    attempt.finish_reason = value
                elif kind == "end":
                    attempt.ended_at = at
                    if attempt.finish_reason is None and attempt.usage is None:
                        # A server may close the socket cleanly mid-answer; only a finish_reason says it was done.
                        attempt.fault = _Fault("broken" if attempt.pieces else "empty")
                    break
                else:
                    attempt.fault = self._classify(value, streamed=bool(attempt.pieces))
        finally:
            cancel.set()  # a worker still blocked on a read ends at its own read timeout; it is a daemon
        attempt.ended_at = attempt.ended_at or time.perf_counter()
        return attempt

    def _stream(
        self,
        prompt: str,
        settings: RunSettings,
        events: queue.SimpleQueue[tuple[str, Any, float]],
        cancel: threading.Event,
    ) -> None:
        import openai

        messages: list[ChatCompletionMessageParam] = []
        if settings.system:
            messages.append({"role": "system", "content": settings.system})
        messages.append({"role": "user", "content": prompt})
        try:
            stream = self._client.chat.completions.create(
                model=self.model,
                messages=messages,
                **self._length_and_sampling(settings),
                stream=True,
                stream_options={"include_usage": True},
                timeout=openai.Timeout(settings.timeout_s, connect=min(self.connect_timeout_s, settings.timeout_s)),
            )
            with stream:
                for chunk in stream:
                    if cancel.is_set():
                        return
                    now = time.perf_counter()
                    if chunk.usage is not None:
                        events.put(("usage", (chunk.usage.prompt_tokens, chunk.usage.completion_tokens), now))
                    for choice in chunk.choices or ():
                        if choice.delta is not None and choice.delta.content:
                            events.put(("text", choice.delta.content, now))
                        if choice.finish_reason:
                            events.put(("finish", choice.finish_reason, now))
            events.put(("end", None, time.perf_counter()))
        except Exception as exc:  # handed to the caller's thread, which turns every fault into Measurement.error
            events.put(("error", exc, time.perf_counter()))

    def _length_and_sampling(self, settings: RunSettings) -> dict[str, Any]:
        """The answer-length cap and temperature in the form this model accepts.

        OpenAI's reasoning models (o-series, gpt-5 family) refuse `max_tokens` and any temperature but the default:
        they take `max_completion_tokens` and no temperature. Other servers take the classic form. A 400 naming
        the parameter flips the form once (`_switch_form`)."""
        effort = {"reasoning_effort": self.reasoning_effort} if self.reasoning_effort else {}
        if self.reasoning_form:
            return {"max_completion_tokens": settings.max_tokens, **effort}
        return {"max_tokens": settings.max_tokens, "temperature": settings.temperature, **effort}

    def _switch_form(self, fault: _Fault) -> bool:
        """After a 400 that names max_tokens or temperature as unsupported, use the other form; True if it flipped."""
        text = (fault.detail or "").lower()
        if fault.kind != "request" or self._form_switched:
            return False
        if not any(name in text for name in ("max_tokens", "max_completion_tokens", "temperature")):
            return False
        if "unsupported" not in text and "not supported" not in text and "use '" not in text:
            return False
        self.reasoning_form = not self.reasoning_form
        self._form_switched = True
        return True

    # --- faults ------------------------------------------------------------------------------------------------

    def _classify(self, exc: BaseException, streamed: bool) -> _Fault:
        import openai

        if isinstance(exc, openai.APIStatusError):
            status = exc.status_code
            detail = self._server_message(exc)
            if status in (401, 403):
                return _Fault("auth", detail, status)
            if status == 429:
                if _error_code(exc.body) == "insufficient_quota":
                    return _Fault("quota", detail, status)
                return _Fault("rate", detail, status, _retry_after_s(exc.response.headers))
            return _Fault("server" if status >= 500 else "request", detail, status)
        if isinstance(exc, openai.APITimeoutError):
            return _Fault("timeout")
        if isinstance(exc, openai.APIConnectionError):
            causes = _causes(exc)
            if any(isinstance(cause, ConnectionRefusedError) for cause in causes):
                return _Fault("refused")
            if any(isinstance(cause, socket.gaierror) for cause in causes):
                return _Fault("unknown_host")
            return _Fault("broken" if streamed else "connection", self._one_line(str(causes[-1])))
        if isinstance(exc, openai.APIError):  # an error event inside a 200 stream
            return _Fault("stream_error", self._one_line(exc.message))
        if isinstance(exc, json.JSONDecodeError):
            return _Fault("malformed", f"a chunk is not JSON: {self._one_line(exc.doc)[:60]!r}")
        if isinstance(exc, ValueError):  # pydantic's ValidationError: JSON, but not a chat.completion.chunk
            return _Fault("malformed", self._one_line(str(exc)))
        return _Fault("unexpected", f"{type(exc).__name__}: {self._one_line(str(exc))}")

    def _retry_delay(self, fault: _Fault, retries: int) -> float | None:
        """Seconds to wait before the next try, or None when this fault is final."""
        if fault.kind in ("refused", "unknown_host"):
            return CONNECT_RETRY_DELAY_S if retries < min(self.max_retries, CONNECT_RETRIES) else None
        if fault.kind not in ("rate", "server", "timeout", "connection") or retries >= self.max_retries:
            return None
        if fault.retry_after_s is not None:
            return min(fault.retry_after_s, RETRY_AFTER_CAP_S)
        # Jitter keeps several runners that failed together from retrying in step.
        backoff = self.backoff_base_s * 2.0**retries + random.uniform(0, self.backoff_base_s)
        return min(backoff, RETRY_AFTER_CAP_S)

    def _error_message(self, fault: _Fault, attempt: _Attempt, retries: int, settings: RunSettings) -> str:
        after = f" after {retries} {'retry' if retries == 1 else 'retries'}" if retries else ""
        tokens = len(attempt.pieces)
        detail = f": {fault.detail}" if fault.detail else ""
        kind = fault.kind
        if kind == "auth":
            return f"authentication failed ({fault.status}): check {self._key_source}"
        if kind == "quota":
            return f"quota exceeded ({fault.status}){detail}; check the plan and billing of this key"
        if kind == "rate":
            return f"rate limited ({fault.status}){after}; wait a minute or send fewer requests per minute"
        if kind == "server":
            return f"server error ({fault.status}){after}; the service is having trouble, try again later"
        if kind == "request":
            return f"the server refused the request ({fault.status}){detail}; check the model name and settings"
        if kind in ("refused", "unknown_host"):
            why = "connection refused" if kind == "refused" else "host not found"
            return f"cannot reach {self.display_url}: {why}{after}; is the server running and the api-base right?"
        if kind == "timeout":
            if tokens:
                return f"no answer within {settings.timeout_s:g} s: the stream stalled after {tokens} tokens"
            return f"no answer within {settings.timeout_s:g} s{after}; try again later, or allow longer (--timeout)"
        if kind == "too_long":
            return (
                f"the server kept sending past the {settings.max_tokens}-token limit; the answer is cut at "
                f"{tokens} pieces (does it honour max_tokens?)"
            )
        if kind == "broken":
            return f"the stream broke off after {tokens} tokens; the partial answer is kept, try again"
        if kind == "connection":
            return f"the connection to {self.display_url} failed{after}{detail}"
        if kind == "empty":
            return f"the server closed the stream without an answer; is {self.display_url} an OpenAI-compatible API?"
        if kind == "malformed":
            return f"the server sent a malformed stream ({fault.detail}); is the api-base an OpenAI-compatible API?"
        if kind == "stream_error":
            return f"the server reported an error mid-stream{detail}"
        return f"unexpected error{detail}"

    def _server_message(self, exc: openai.APIStatusError) -> str:
        body = exc.body
        message = body.get("message") if isinstance(body, dict) else None
        return self._one_line(message if isinstance(message, str) else exc.message)

    def _one_line(self, text: str) -> str:
        line = " ".join(self._scrub(text).split())
        return line if len(line) <= _MESSAGE_CHARS else line[: _MESSAGE_CHARS - 1] + "…"

    # --- results -----------------------------------------------------------------------------------------------

    def _measurement(self, attempt: _Attempt, retries: int, settings: RunSettings, prompt: str) -> Measurement:
        text = "".join(attempt.pieces)
        prompt_tokens, completion_tokens = attempt.usage or (None, None)
        extra: dict[str, Any] = {"base_url": self.display_url}
        if self.reasoning_effort:
            extra["reasoning_effort"] = self.reasoning_effort
        counted = None
        if attempt.usage is None and (attempt.pieces or attempt.fault is None):
            # Without a usage chunk (llama.cpp's server sends none) the tokens are counted here, to price them.
            messages = [m for m in (settings.system, prompt) if m]
            cap = settings.max_tokens if attempt.finish_reason == "length" else None
            counted = count_chat_tokens(self.model, messages, text, len(attempt.pieces), cap)
            prompt_tokens, completion_tokens = counted.prompt_tokens, counted.completion_tokens
            extra["token_counts"] = f"{counted.how}; the server reported none"
            extra["chunks"] = len(attempt.pieces)
        if attempt.finish_reason:
            extra["finish_reason"] = attempt.finish_reason
        first_s = None if attempt.first_token_at is None else attempt.first_token_at - attempt.started
        total_s = attempt.ended_at - attempt.started if attempt.ended_at is not None else 0.0
        decode_end_s = total_s
        if attempt.fault is not None and attempt.last_token_at is not None:
            # A stalled or broken stream's wait after its last token is not decoding.
            decode_end_s = attempt.last_token_at - attempt.started
        measurement = Measurement(
            runner=self.name,
            model=self.model,
            text=text,
            first_token_ms=None if first_s is None else first_s * 1000,
            tokens_per_s=decode_speed(first_s, decode_end_s, completion_tokens),
            total_ms=total_s * 1000,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            retries=retries,
            extra=extra,
        )
        if attempt.fault is not None:
            measurement.error = self._scrub(self._error_message(attempt.fault, attempt, retries, settings))
            return measurement
        _, row, basis = self._price_row()
        if row is not None and prompt_tokens is not None and completion_tokens is not None:
            measurement.cost_usd, basis = self.request_cost(prompt_tokens, completion_tokens)
            if counted is not None:
                basis += f"; tokens {counted.how}, the server reported none"
        measurement.cost_basis = basis
        return measurement

    def _price_row(self) -> tuple[ApiPriceTable, int | None, str]:
        if self._price is None:
            from advisor.data.prices import api_price_table

            table = api_price_table()
            row, basis = _find_price_row(table, self.model, self.provider, self.base_url)
            self._price = (table, row, basis)
        return self._price


# --- pricing -----------------------------------------------------------------------------------------------------


def provider_for_url(base_url: str) -> str | None:
    """The genai-prices provider whose API lives at `base_url` (its own `api_pattern`), or None."""
    from genai_prices import data

    for provider in data.providers:
        if re.match(provider.api_pattern, base_url):
            return provider.id
    return None


def _find_price_row(table: ApiPriceTable, model: str, provider: str | None, base_url: str) -> tuple[int | None, str]:
    provider_id = provider or provider_for_url(base_url)
    if provider_id is None:
        # A self-hosted or unknown endpoint: a model id that only one provider prices is still unambiguous.
        owners = sorted({str(p) for p in table.provider[table.model == model]})
        if len(owners) > 1:
            return None, f"no cost: model {model!r} is priced by {', '.join(owners)}; pass a provider to pick one"
        if not owners:
            return None, f"no genai-prices price for model {model!r} (a self-hosted server?)"
        provider_id = owners[0]
    row = _row(table, provider_id, model)
    if row is None:
        return None, f"no genai-prices price for model {model!r} at provider {provider_id!r}"
    return row, f"genai-prices {table.provider[row]}/{table.model[row]}"


def _row(table: ApiPriceTable, provider_id: str, model: str) -> int | None:
    """The table row for this model, trying genai-prices' own matching for dated or aliased ids."""
    from genai_prices import data

    hits = (table.provider == provider_id) & (table.model == model)
    if hits.any():
        return int(hits.argmax())
    provider = next((p for p in data.providers if p.id == provider_id), None)
    info = provider.find_model(model, all_providers=data.providers) if provider is not None else None
    if info is None or provider is None:
        return None
    # The match may come from a provider this one falls back to (Azure bills OpenAI's models).
    for owner in [provider_id, *(provider.fallback_model_providers or [])]:
        hits = (table.provider == owner) & (table.model == info.id)
        if hits.any():
            return int(hits.argmax())
    return None


# --- small helpers ----------------------------------------------------------------------------------------------


class _Scrubber:
    """Removes the API key from text; servers and proxies have been known to echo it in error messages."""

    def __init__(self, key: str | None) -> None:
        self._key = key

    def __call__(self, text: str) -> str:
        return text.replace(self._key, "[api key]") if self._key else text

    def __repr__(self) -> str:
        return "_Scrubber(...)"


def _causes(exc: BaseException) -> list[BaseException]:
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in chain:
        chain.append(current)
        current = current.__cause__ or current.__context__
    return chain


def _error_code(body: object) -> str | None:
    code = body.get("code") if isinstance(body, dict) else None
    return code if isinstance(code, str) else None


def _retry_after_s(headers: Any) -> float | None:
    """Seconds from Retry-After (seconds or an HTTP date) or OpenAI's retry-after-ms, or None when absent."""
    millis = headers.get("retry-after-ms")
    if millis:
        try:
            return max(float(millis) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if not value:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max((when - datetime.now(tz=UTC)).total_seconds(), 0.0)
