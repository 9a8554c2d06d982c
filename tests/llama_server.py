"""llama-cpp-python's own OpenAI-compatible server with the bundled model, on a free 127.0.0.1 port.

It stands in for an API in tests: the API runner, `advisor compare` and the Live compare page talk to it exactly as
they would to OpenAI, over HTTP.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.app_server import stop

STARTUP_S = 60


class LlamaServerError(RuntimeError):
    pass


def start_llama_server(log_path: Path) -> tuple[subprocess.Popen[bytes], str, str]:
    """Start the server and wait until it answers: (its process, base URL ending in /v1, the model id it reports).
    The caller stops it (`tests.app_server.stop`); a test that kills it mid-run needs the process."""
    from advisor.runners.local import default_model_path

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-m", "llama_cpp.server", "--model", str(default_model_path()), "--host", "127.0.0.1"]
    command += ["--port", str(port), "--n_ctx", "2048"]  # the GGUF carries its own chat template
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        return process, base_url, _wait_for_models(base_url, process, log_path)
    except BaseException:
        stop(process)
        raise


@contextmanager
def running_llama_server(log_dir: Path) -> Iterator[tuple[str, str]]:
    """Yield (base URL ending in /v1, the model id the server reports); stop the server afterwards."""
    process, base_url, model = start_llama_server(log_dir / "llama-server.log")
    try:
        yield base_url, model
    finally:
        stop(process)


def _wait_for_models(base_url: str, process: subprocess.Popen[bytes], log_path: Path) -> str:
    deadline = time.monotonic() + STARTUP_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LlamaServerError(
                f"llama_cpp.server exited with {process.returncode}:\n{log_path.read_text()[-2000:]}"
            )
        try:
            with urllib.request.urlopen(f"{base_url}/models", timeout=2) as response:
                return str(json.load(response)["data"][0]["id"])
        except OSError:
            time.sleep(0.2)
    raise LlamaServerError(f"llama_cpp.server did not answer within {STARTUP_S} s:\n{log_path.read_text()[-2000:]}")
