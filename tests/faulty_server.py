"""A real local /v1/chat/completions server that misbehaves on request, for testing the API runner's fault paths.

It speaks just enough of OpenAI's streaming chat API (SSE `data: {...}` chunks shaped like chat.completion.chunk, a
usage chunk, `data: [DONE]`, all over HTTP/1.1 chunked transfer like real servers) and, per `mode`, answers
401/429/500, hangs, stalls mid-stream, drops the connection or sends a chunk that is not JSON. It records every
request's headers so a test can check what the client sent (the key in Authorization, and nowhere else).
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MODES = (
    "ok",  # streams CHUNKS, a usage chunk and [DONE]
    "no_usage",  # like ok, without the usage chunk (servers that ignore stream_options)
    "401",  # rejects the key, echoing it in the error message as careless proxies do
    "404",  # unknown model, also echoing the key
    "429",  # rate limited with Retry-After for `failures` requests (None: always), then ok
    "500",  # server error for `failures` requests (None: always), then ok
    "hang",  # says nothing for `hang_s`
    "hang_mid_stream",  # sends 2 chunks, then says nothing for `hang_s`
    "drop",  # sends 3 chunks, then closes the socket mid chunked body (no [DONE])
    "drop_eof",  # close-delimited body that ends cleanly after 3 chunks, with no finish_reason or [DONE]
    "malformed",  # one good chunk, then `data: {not json`
    "echo",  # streams back everything it received: the messages and the Authorization header
    "reasoning",  # like OpenAI's reasoning models: 400 for max_tokens or a temperature, else ok
)
CHUNKS = ("Hello", " from", " the", " faulty", " server", ".")
PROMPT_TOKENS = 7


@dataclass
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: dict[str, Any]


@dataclass
class FaultyServer:
    mode: str = "ok"
    failures: int | None = None  # for 429 / 500: how many requests fail before it answers; None = all
    retry_after: str | None = "1"  # Retry-After header on 429; None sends none
    hang_s: float = 5.0
    requests: list[RecordedRequest] = field(default_factory=list)
    port: int = 0
    _httpd: ThreadingHTTPServer | None = None
    _release: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def request_count(self) -> int:
        with self._lock:
            return len(self.requests)

    def set_mode(self, mode: str, **options: Any) -> None:
        if mode not in MODES:
            raise ValueError(f"mode: must be one of {' | '.join(MODES)}, got {mode!r}")
        with self._lock:
            self.mode = mode
            self.requests.clear()
            for key, value in options.items():
                setattr(self, key, value)

    def start(self) -> None:
        server = self

        class Handler(_Handler):
            owner = server

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        threading.Thread(target=self._httpd.serve_forever, daemon=True, name="faulty-server").start()

    def stop(self) -> None:
        self._release.set()  # wakes handlers sleeping in hang modes so they end now
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _record(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)


@contextlib.contextmanager
def faulty_server(mode: str = "ok", **options: Any) -> Iterator[FaultyServer]:
    server = FaultyServer()
    server.set_mode(mode, **options)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@contextlib.contextmanager
def refused_base_url() -> Iterator[str]:
    """A base URL whose port refuses connections: bound but never listening, so no other process can take it."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}/v1"
    finally:
        sock.close()


def chunk(content: str | None = None, finish_reason: str | None = None, usage: dict[str, int] | None = None) -> str:
    """One chat.completion.chunk as an SSE event."""
    choices = [] if usage else [{"index": 0, "delta": {"content": content} if content else {}, "finish_reason": None}]
    if finish_reason:
        choices[0]["finish_reason"] = finish_reason
    body = {
        "id": "chatcmpl-faulty",
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": "faulty-model",
        "choices": choices,
        "usage": usage,
    }
    return f"data: {json.dumps(body)}\n\n"


class _Handler(BaseHTTPRequestHandler):
    owner: FaultyServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep test output clean

    def do_GET(self) -> None:
        self._json(200, {"object": "list", "data": [{"id": "faulty-model", "object": "model"}]})

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            body = {}
        owner = self.owner
        number = owner._record(RecordedRequest(self.path, {k.lower(): v for k, v in self.headers.items()}, body))
        mode = owner.mode
        failing = owner.failures is None or number <= owner.failures
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        try:
            if mode == "401":
                self._error(401, f"Incorrect API key provided: {key}", "invalid_api_key")
            elif mode == "404":
                self._error(404, f"The model does not exist or you have no access to it (key {key})", "model_not_found")
            elif mode == "429" and failing:
                headers = {"Retry-After": owner.retry_after} if owner.retry_after is not None else {}
                self._error(429, "Rate limit reached for requests", "rate_limit_exceeded", headers)
            elif mode == "500" and failing:
                self._error(500, "The server had an error while processing your request", None)
            elif mode == "hang":
                owner._release.wait(owner.hang_s)
                self._stream(CHUNKS)
            elif mode == "reasoning" and "max_tokens" in body:
                self._error(
                    400,
                    "Unsupported parameter: 'max_tokens' is not supported with this model. "
                    "Use 'max_completion_tokens' instead.",
                    "unsupported_parameter",
                )
            elif mode == "reasoning" and body.get("temperature", 1) != 1:
                self._error(
                    400,
                    "Unsupported value: 'temperature' does not support 0.0 with this model. "
                    "Only the default (1) value is supported.",
                    "unsupported_value",
                )
            elif mode == "echo":
                messages = body.get("messages") or []
                said = " ".join(str(m.get("content", "")) for m in messages if isinstance(m, dict))
                self._stream((said, f" (authorization: {self.headers.get('Authorization')})"))
            elif mode == "drop_eof":
                self._stream_close_delimited(CHUNKS[:3])
            else:
                self._stream(CHUNKS)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up first, as the runner is meant to

    def _stream(self, pieces: tuple[str, ...]) -> None:
        mode = self.owner.mode
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for index, piece in enumerate(pieces):
            if mode == "hang_mid_stream" and index == 2:
                self.owner._release.wait(self.owner.hang_s)
            if mode == "drop" and index == 3:
                # Closing mid-body (no terminating zero-size chunk) is what a crashed proxy looks like.
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            if mode == "malformed" and index == 1:
                self._write_chunk("data: {not json\n\n")
                continue
            self._write_chunk(chunk(piece))
        self._write_chunk(chunk(finish_reason="stop"))
        if mode != "no_usage":
            usage = {"prompt_tokens": PROMPT_TOKENS, "completion_tokens": len(pieces)}
            self._write_chunk(chunk(usage={**usage, "total_tokens": sum(usage.values())}))
        self._write_chunk("data: [DONE]\n\n")
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def _stream_close_delimited(self, pieces: tuple[str, ...]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for piece in pieces:
            self.wfile.write(chunk(piece).encode())
        self.wfile.flush()
        self.close_connection = True

    def _write_chunk(self, text: str) -> None:
        data = text.encode()
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _error(self, status: int, message: str, code: str | None, headers: dict[str, str] | None = None) -> None:
        self._json(status, {"error": {"message": message, "type": "error", "code": code}}, headers)

    def _json(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)
        self.wfile.flush()
