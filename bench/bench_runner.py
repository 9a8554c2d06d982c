"""The default local model (SmolLM2 135M Instruct) in the local runner against a bare llama_cpp loop on the same
loaded model, prompt and threads, in one run; and how long the model takes to load.

Both decode the same number of tokens greedily from the same chat-formatted prompt (about 60 tokens, the GGUF's
own template) with a fresh context; runs alternate so that machine noise hits both alike. Reported: decode tokens/s
(after the first token) and the time to the first token, medians over the repeats. Load: `make_runner("local")` in
a new Python process, imports included, median of three processes.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from typing import Any

from advisor.runners import RunSettings, make_runner
from advisor.runners.local import LocalRunner

from .common import write_result

TOKENS = 96
REPEATS = 5
PROMPT = (
    "A customer writes: my running shoes arrived in the wrong size and I need them for a race on Saturday. "
    "Write a short, friendly reply that offers an exchange."
)
LOAD_PROCESSES = 3
LOAD = (
    "import time; start = time.perf_counter(); from advisor.runners import make_runner; "
    "make_runner('local'); print(time.perf_counter() - start)"
)


def load_seconds() -> float:
    """Median seconds from a new process's first import to a loaded default model."""
    times = []
    for _ in range(LOAD_PROCESSES):
        done = subprocess.run([sys.executable, "-c", LOAD], capture_output=True, text=True, check=True, timeout=120)
        times.append(float(done.stdout.strip().splitlines()[-1]))
    return statistics.median(times)


def bare_loop(llm: Any, tokens: list[int], count: int = TOKENS) -> tuple[float, float]:
    """(first token s, decode tokens/s) of llama_cpp's own generate loop over `count` tokens."""
    llm.reset()
    start = time.perf_counter()
    first = 0.0
    produced = 0
    for _ in llm.generate(tokens, temp=0.0):
        produced += 1
        if produced == 1:
            first = time.perf_counter() - start
        if produced >= count:
            break
    total = time.perf_counter() - start
    return first, (produced - 1) / (total - first)


def run() -> dict[str, Any]:
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    load_s = load_seconds()
    runner = make_runner("local")
    assert isinstance(runner, LocalRunner) and runner.facts.chat_template
    llm = runner._llm  # the very model the runner holds: no difference in weights, threads or context
    rendered = Jinja2ChatFormatter(
        runner.facts.chat_template,
        eos_token=llm._model.token_get_text(llm.token_eos()),
        bos_token=llm._model.token_get_text(llm.token_bos()),
    )(messages=[{"role": "user", "content": PROMPT}]).prompt
    tokens = llm.tokenize(rendered.encode(), add_bos=False, special=True)
    settings = RunSettings(max_tokens=TOKENS, temperature=0.0)
    ours_first, ours_speed, bare_first, bare_speed = [], [], [], []
    runner.run(PROMPT, settings)  # warm both paths once
    bare_loop(llm, tokens)
    for _ in range(REPEATS):
        measured = runner.run(PROMPT, settings)
        assert measured.ok, measured.error
        assert measured.prompt_tokens == len(tokens)
        ours_first.append((measured.first_token_ms or 0) / 1000)
        ours_speed.append(measured.tokens_per_s or 0)
        first, speed = bare_loop(llm, tokens, measured.completion_tokens or TOKENS)  # as many as the runner made
        bare_first.append(first)
        bare_speed.append(speed)
    return write_result(
        "runner",
        {
            "model": f"{runner.model} {runner.facts.quant}",
            "threads": runner.threads,
            "prompt_tokens": len(tokens),
            "decode_tokens": TOKENS,
            "runner_tokens": measured.completion_tokens,
            "runner_decode_tokens_per_s": statistics.median(ours_speed),
            "bare_decode_tokens_per_s": statistics.median(bare_speed),
            "decode_ratio": statistics.median(ours_speed) / statistics.median(bare_speed),
            "runner_first_token_ms": statistics.median(ours_first) * 1000,
            "bare_first_token_ms": statistics.median(bare_first) * 1000,
            "added_first_token_ms": (statistics.median(ours_first) - statistics.median(bare_first)) * 1000,
            "load_s": load_s,
            "target": "decode >= 0.95x the bare loop; added first-token time < 15 ms; first token < 300 ms for a "
            "60-token prompt; load < 3 s",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
