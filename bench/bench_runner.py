"""The local runner against a bare llama_cpp loop on the same loaded model, prompt and threads, in one run.

Both decode the same number of tokens greedily from the same chat-formatted prompt with a fresh context; runs
alternate so that machine noise hits both alike. Reported: decode tokens/s (after the first token) and the time
to the first token, medians over the repeats.
"""

from __future__ import annotations

import statistics
import time
from typing import Any

from advisor.runners import RunSettings, make_runner
from advisor.runners.local import LocalRunner

from .common import write_result

TOKENS = 96
REPEATS = 5
PROMPT = "Describe a good running shoe for a beginner in a few sentences."


def bare_loop(llm: Any, tokens: list[int]) -> tuple[float, float]:
    """(first token s, decode tokens/s) of llama_cpp's own generate loop."""
    llm.reset()
    start = time.perf_counter()
    first = 0.0
    produced = 0
    for _ in llm.generate(tokens, temp=0.0):
        produced += 1
        if produced == 1:
            first = time.perf_counter() - start
        if produced >= TOKENS:
            break
    total = time.perf_counter() - start
    return first, (produced - 1) / (total - first)


def run() -> dict[str, Any]:
    runner = make_runner("local")
    assert isinstance(runner, LocalRunner)
    llm = runner._llm  # the very model the runner holds: no difference in weights, threads or context
    rendered = f"<start_of_turn>user\n{PROMPT}<end_of_turn>\n<start_of_turn>model\n".encode()
    tokens = llm.tokenize(rendered, add_bos=True, special=True)
    settings = RunSettings(max_tokens=TOKENS, temperature=0.0)
    ours_first, ours_speed, bare_first, bare_speed = [], [], [], []
    runner.run(PROMPT, settings)  # warm both paths once
    bare_loop(llm, tokens)
    for _ in range(REPEATS):
        measured = runner.run(PROMPT, settings)
        assert measured.ok and measured.completion_tokens == TOKENS, measured.error
        assert measured.prompt_tokens == len(tokens)
        ours_first.append((measured.first_token_ms or 0) / 1000)
        ours_speed.append(measured.tokens_per_s or 0)
        first, speed = bare_loop(llm, tokens)
        bare_first.append(first)
        bare_speed.append(speed)
    return write_result(
        "runner",
        {
            "model": f"{runner.model} {runner.facts.quant}",
            "threads": runner.threads,
            "prompt_tokens": len(tokens),
            "decode_tokens": TOKENS,
            "runner_decode_tokens_per_s": statistics.median(ours_speed),
            "bare_decode_tokens_per_s": statistics.median(bare_speed),
            "decode_ratio": statistics.median(ours_speed) / statistics.median(bare_speed),
            "runner_first_token_ms": statistics.median(ours_first) * 1000,
            "bare_first_token_ms": statistics.median(bare_first) * 1000,
            "added_first_token_ms": (statistics.median(ours_first) - statistics.median(bare_first)) * 1000,
            "target": "decode >= 0.95x the bare loop; added first-token time < 15 ms",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
