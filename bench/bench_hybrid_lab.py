"""The Hybrid lab on 30 sample prompts: the bundled SmolLM2 135M Instruct answers every prompt on this machine,
a self-check cascade calibrated to keep 70% escalates the rest to llama.cpp's own OpenAI-compatible server on
127.0.0.1 (the same model, standing in for an API; it shares this machine's processor).

Reported: the whole run's wall time (escalated prompts only to the large side, as in production; and with the
large side also answering every prompt, the reference the quality curve needs), and the routing overhead per
prompt: everything but the model calls and the one-time set-up (token counting, calibration, routing, scoring,
costing, the curve), from the run itself and, warm, from re-routing and re-scoring the finished run 200 times.
"""

from __future__ import annotations

import copy
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from advisor.lab import LabSettings, RouteInput, make_router, run_lab, sample_prompts
from advisor.lab.run import _score_and_price, quality_curve
from advisor.runners import make_runner
from tests.app_server import stop
from tests.llama_server import start_llama_server

from .common import write_result

PROMPTS = 30
SHARE = 0.7
MAX_TOKENS = 32
WARM_REPEATS = 200


def warm_overhead_ms(result: Any) -> float:
    """Per prompt: calibrate and route the finished run again, score and price every prompt, redraw the curve."""
    result = copy.deepcopy(result)  # re-scoring and re-pricing (at no price) must not touch the run's figures
    router = make_router("self-check")
    items = [RouteInput(p.prompt, p.prompt_tokens, p.small) for p in result.prompts]
    no_price: Any = lambda *_args: 0.0  # noqa: E731 - the price look-up itself is timed in the run's figure
    times = []
    for _ in range(WARM_REPEATS):
        start = time.perf_counter()
        router.route(items, SHARE)
        for p in result.prompts:
            _score_and_price(p, p.prompt_tokens, no_price, no_price)
        quality_curve(result)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000 / len(items)


def run() -> dict[str, Any]:
    prompts = sample_prompts()[:PROMPTS]
    small = make_runner("local")
    with tempfile.TemporaryDirectory() as folder:
        process, base_url, _ = start_llama_server(Path(folder) / "server.log")
        try:
            large = make_runner("api", model="gpt-4o-mini", base_url=base_url, api_key="local", provider="openai")
            runs = {}
            for name, check_all in (("escalated_only", False), ("with_reference", True)):
                settings = LabSettings(max_tokens=MAX_TOKENS, check_all=check_all)
                runs[name] = run_lab(prompts, small, large, make_router("self-check"), SHARE, settings)
        finally:
            stop(process)
    lean, full = runs["escalated_only"], runs["with_reference"]
    quality = full.quality()
    return write_result(
        "hybrid_lab",
        {
            "prompts": PROMPTS,
            "max_tokens": MAX_TOKENS,
            "target_small_share": SHARE,
            "small_share": lean.small_share,
            "run_s": lean.elapsed_s,
            "run_with_reference_s": full.elapsed_s,
            "model_s": lean.model_s,
            "setup_s": lean.setup_s,
            "overhead_ms_per_prompt": lean.overhead_ms_per_prompt,
            "overhead_with_reference_ms_per_prompt": full.overhead_ms_per_prompt,
            "warm_overhead_ms_per_prompt": warm_overhead_ms(full),
            "quality_vs_large": quality["quality_vs_large"],
            "hybrid_accuracy": quality["hybrid_accuracy"],
            "all_small_accuracy": quality["all_small_accuracy"],
            "per_1000_requests_usd": full.costs()["per_1000_requests_usd"],
        },
    )


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
