"""Fit estimates: memory, KV cache, speed bands and capacity, each against figures worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.engine.fit import (
    KNEE,
    capacity,
    engine_name,
    estimate_fit,
    load_figures,
    make_deployment,
    models_that_fit,
    p95_wait_s,
    replicas_needed,
    utilisation_ceiling,
)
from advisor.errors import FitError, UnknownIdError


def test_weights_use_params_times_bits_per_weight(catalog) -> None:
    # Llama 3.1 8B: 8.03e9 params x 4.84 bits / 8 = 4.858 GB at Q4_K_M.
    fit = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", context_tokens=8192, catalog=catalog)
    assert fit.weights_gb == pytest.approx(8.03e9 * 4.84 / 8 / 1e9)


def test_weights_use_the_real_file_size_when_known(catalog) -> None:
    # The bundled Gemma 3 270M Q4_K_M file is 253,113,024 bytes (embeddings stay at higher precision).
    fit = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", context_tokens=2048, catalog=catalog)
    assert fit.weights_gb == pytest.approx(0.253113024)


def test_kv_cache_is_gqa_aware(catalog) -> None:
    # 32 layers x 8 KV heads x 128 dims x 2 (K, V) x 2 bytes x 8192 tokens = 1,073,741,824 bytes.
    fit = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", context_tokens=8192, catalog=catalog)
    assert fit.kv_cache_gb == pytest.approx(1_073_741_824 / 1e9)


def test_kv_cache_is_sliding_window_aware(catalog) -> None:
    # Gemma 3 270M: 3 global layers x 2048 + 15 window layers x 512 = 13,824 token-layers x 1,024 bytes.
    fit = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", context_tokens=2048, catalog=catalog)
    assert fit.kv_cache_gb == pytest.approx(13_824 * 1024 / 1e9)


def test_kv_cache_scales_with_concurrency(catalog) -> None:
    one = estimate_fit("qwen2.5-7b-instruct", "l4", "Q4_K_M", context_tokens=4096, catalog=catalog)
    four = estimate_fit("qwen2.5-7b-instruct", "l4", "Q4_K_M", context_tokens=4096, concurrency=4, catalog=catalog)
    assert four.kv_cache_gb == pytest.approx(4 * one.kv_cache_gb)
    assert four.total_gb - four.kv_cache_gb == pytest.approx(one.total_gb - one.kv_cache_gb)


def test_total_is_weights_plus_kv_plus_overhead_and_fits_against_usable_memory(catalog) -> None:
    fit = estimate_fit("llama-3.1-70b-instruct", "rtx-4090", "Q4_K_M", context_tokens=4096, catalog=catalog)
    assert fit.total_gb == pytest.approx(fit.weights_gb + fit.kv_cache_gb + fit.overhead_gb)
    assert not fit.fits
    assert fit.available_gb == 24
    # Partial offload: the VRAM left after KV cache and overhead holds this share of the weights (~52%).
    assert fit.gpu_layer_share == pytest.approx((24 - fit.kv_cache_gb - fit.overhead_gb) / fit.weights_gb, abs=1e-3)
    two_a100 = estimate_fit("llama-3.1-70b-instruct", "a100-80gb", "Q4_K_M", 4096, count=2, catalog=catalog)
    assert two_a100.fits and two_a100.available_gb == 160


def test_llama_cpp_splits_layers_across_cards_for_memory_not_speed(catalog) -> None:
    """llama.cpp's default multi-GPU mode puts whole layers on each card: a token passes through them in turn, so
    three cards hold more but one stream decodes and reads a prompt no faster. vLLM splits each layer (tensor
    parallel) and its all-reduces are paid on top of the shared work."""
    one = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", 4096, catalog=catalog)
    three = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", 4096, count=3, catalog=catalog)
    assert three.engine == one.engine == "llama.cpp" and three.available_gb == 3 * one.available_gb
    assert three.tokens_per_s == one.tokens_per_s and three.first_token_ms == one.first_token_ms
    tp_one = estimate_fit("llama-3.1-70b-instruct", "h100", "FP8", 4096, count=2, catalog=catalog)
    tp_four = estimate_fit("llama-3.1-70b-instruct", "h100", "FP8", 4096, count=4, catalog=catalog)
    assert tp_four.engine == "vllm" and tp_four.tokens_per_s["expected"] > tp_one.tokens_per_s["expected"]


def test_decode_speed_from_bandwidth(catalog) -> None:
    # Memory-bound decode: bytes per token / (1008 GB/s x 0.85) + 1.5 ms per token, expected band (GeForce llama.cpp
    # decode refitted on the fit rows of catalog/validation/measurements.yaml).
    fit = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", context_tokens=1, catalog=catalog)
    weights = 8.03e9 * 4.84 / 8
    kv_one_token = 32 * 8 * 128 * 2 * 2
    seconds = (weights + kv_one_token) / (1008e9 * 0.85) + 1.5e-3
    assert fit.tokens_per_s["expected"] == pytest.approx(1 / seconds)
    assert fit.tokens_per_s["low"] < fit.tokens_per_s["expected"] < fit.tokens_per_s["high"]


def test_moe_decode_reads_only_active_experts(catalog) -> None:
    moe = make_deployment("mixtral-8x7b-instruct-v0.1", "a100-80gb", "Q4_K_M", catalog=catalog)
    model = catalog.model("mixtral-8x7b-instruct-v0.1")
    assert moe.weights_read_per_token == pytest.approx(moe.weights_bytes * model.active_params_b / model.params_b)
    dense_fit = estimate_fit("llama-3.1-70b-instruct", "a100-80gb", "Q4_K_M", 4096, catalog=catalog)
    moe_fit = estimate_fit("mixtral-8x7b-instruct-v0.1", "a100-80gb", "Q4_K_M", 4096, catalog=catalog)
    assert moe_fit.tokens_per_s["expected"] > 3 * dense_fit.tokens_per_s["expected"]


def test_first_token_from_compute(catalog) -> None:
    # 2 x non-embedding params x prompt tokens / (165.2 TFLOPS x 0.79) + attention + 15 ms request overhead. 0.79:
    # GeForce llama.cpp prefill refitted on the fit rows' pp512 (catalog/validation/measurements.yaml). Attention:
    # 4 FLOPs x 32 heads x 128 dims for each of 1000^2 / 2 (query, earlier token) pairs in each of 32 layers.
    fit = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", 4096, prompt_tokens=1000, catalog=catalog)
    prefill_params = 8.03e9 - 128256 * 4096
    attention = 4 * 32 * 128 * 32 * 1000**2 / 2
    expected_ms = (2 * prefill_params * 1000 + attention) / (165.2e12 * 0.79) * 1000 + 15
    assert fit.first_token_ms["expected"] == pytest.approx(expected_ms)
    assert fit.first_token_ms["low"] < fit.first_token_ms["expected"] < fit.first_token_ms["high"]


def test_attention_runs_at_the_bf16_rate_and_sliding_windows_cap_it(catalog) -> None:
    """FP8 weights double the matrix-multiply rate on an H100 (1,979 TFLOPS) but not attention's (989.5), which
    grows with the square of the prompt: a 32K prompt costs more than 16 times an 8K one (2K: about 4 times)."""
    fp8 = make_deployment("qwen3-14b", "h100", "FP8", catalog=catalog, engine="vllm")
    eff = fp8.prefill_eff.expected
    for tokens in (2_000, 32_000):
        attention = 4 * 40 * 128 * 40 * tokens**2 / 2  # Qwen3-14B: 40 layers, 40 query heads of 128
        linear = 2 * fp8.prefill_params * tokens
        assert float(fp8.attention_flops(tokens)) == pytest.approx(attention)
        assert float(fp8.prefill_s(tokens, with_overhead=False)) == pytest.approx(
            linear / (1979e12 * eff) + attention / (989.5e12 * eff)
        )
    assert float(fp8.prefill_s(32_000, with_overhead=False)) > 16 * float(fp8.prefill_s(2_000, with_overhead=False))
    # Gemma 3 270M: 15 of 18 layers attend to a 512-token window, 3 to everything (4 heads of 256).
    gemma = make_deployment("gemma-3-270m", "rtx-4090", "Q8_0", catalog=catalog)
    n, w = 4_000, 512
    pairs = 3 * n * n / 2 + 15 * (w * w / 2 + (n - w) * w)
    assert float(gemma.attention_flops(n)) == pytest.approx(4 * 4 * 256 * pairs)
    assert float(gemma.attention_flops(400)) == pytest.approx(4 * 4 * 256 * 18 * 400**2 / 2)  # within the window


def test_measured_run_overrides_the_estimate(catalog) -> None:
    from advisor.data.catalog import default_catalog
    from advisor.data.measurements import record_measurement

    before = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", 2048, catalog=catalog)
    assert before.basis == "estimated"
    record_measurement("gemma-3-270m", "Q4_K_M", "cpu-laptop-8c", tokens_per_s=81.0, first_token_ms=40.0)
    after = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", 2048, catalog=default_catalog())
    assert after.basis == "measured"
    assert after.tokens_per_s == {"low": 81.0, "expected": 81.0, "high": 81.0}
    assert after.first_token_ms["expected"] == 40.0


def test_a_measured_first_token_carries_to_other_prompt_lengths(catalog) -> None:
    from advisor.data.catalog import default_catalog
    from advisor.data.measurements import record_measurement
    from advisor.engine.fit import make_deployment

    deployment = make_deployment("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", catalog=catalog)
    estimated_short, estimated_long = float(deployment.prefill_s(20)), float(deployment.prefill_s(500))
    # The run took twice the estimate for a 20-token prompt; a 500-token prompt is then twice its estimate too.
    record_measurement("gemma-3-270m", "Q4_K_M", "cpu-laptop-8c", 80.0, estimated_short * 2000, prompt_tokens=20)
    at_20 = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", 2048, prompt_tokens=20, catalog=default_catalog())
    at_500 = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", 2048, prompt_tokens=500, catalog=default_catalog())
    assert at_20.first_token_ms["expected"] == pytest.approx(estimated_short * 2000)
    assert at_500.first_token_ms["expected"] == pytest.approx(estimated_long * 2000)
    assert at_500.basis == "measured"


def test_a_measurement_carries_to_another_quantisation_by_the_estimates_ratio(catalog) -> None:
    from advisor.data.catalog import default_catalog
    from advisor.data.measurements import record_measurement
    from advisor.engine.fit import CARRY_CONTEXT, make_deployment

    q4 = make_deployment("gemma-3-270m", "cpu-laptop-8c", "Q4_K_M", catalog=catalog)
    q8 = make_deployment("gemma-3-270m", "cpu-laptop-8c", "Q8_0", catalog=catalog)
    estimated_ratio = float(q4.decode_step_s(CARRY_CONTEXT, 1) / q8.decode_step_s(CARRY_CONTEXT, 1))
    assert estimated_ratio < 1  # Q8_0 reads more bytes per token: slower
    record_measurement("gemma-3-270m", "Q4_K_M", "cpu-laptop-8c", 100.0, 50.0, prompt_tokens=20)
    carried = make_deployment("gemma-3-270m", "cpu-laptop-8c", "Q8_0", catalog=default_catalog()).measured
    assert carried["tokens_per_s"] == pytest.approx(100.0 * estimated_ratio)
    assert (carried["first_token_ms"], carried["prompt_tokens"]) == (50.0, 20.0)
    q8_fit = estimate_fit("gemma-3-270m", "cpu-laptop-8c", "Q8_0", 2048, catalog=default_catalog())
    assert q8_fit.basis == "measured"


def test_models_that_fit_ranks_largest_first_and_respects_context(catalog) -> None:
    results = models_that_fit("rtx-4090", context_tokens=8192, catalog=catalog)
    assert results, "a 24 GB card fits many models"
    assert all(r.fits and r.total_gb <= 24 for r in results)
    params = [catalog.model(r.model).params_b for r in results]
    assert params == sorted(params, reverse=True)
    assert "llama-3.1-70b-instruct" not in {r.model for r in results}
    # A context beyond a model's window leaves it out (Phi-3-mini-4k has 4,096 tokens).
    long = models_that_fit("h200", context_tokens=16384, catalog=catalog)
    assert "phi-3-mini-4k-instruct" not in {r.model for r in long}


def test_fit_json_contract(catalog) -> None:
    data = estimate_fit("qwen3-8b", "l4", "Q4_K_M", 4096, catalog=catalog).to_dict()
    assert set(data) >= {"model", "quant", "hardware", "context_tokens", "concurrency", "memory_gb", "fits"}
    assert set(data["memory_gb"]) == {"weights", "kv_cache", "overhead", "total", "available"}
    assert set(data["tokens_per_s"]) == set(data["first_token_ms"]) == {"low", "expected", "high"}
    assert data["basis"] in ("estimated", "measured")


def test_capacity_batches_up_to_the_latency_target(catalog) -> None:
    deployment = make_deployment("llama-3.1-8b-instruct", "l4", "Q4_K_M", catalog=catalog)
    free = capacity(deployment, 600, 150, 750)
    tight = capacity(deployment, 600, 150, 750, first_token_target_ms=float(free.first_token_ms) / 2)
    assert bool(free.meets_latency) and free.batch > 1
    assert float(tight.requests_per_s) < float(free.requests_per_s) or not bool(tight.meets_latency)
    impossible = capacity(deployment, 600, 150, 750, first_token_target_ms=0.001)
    assert not bool(impossible.meets_latency)


# ------------------------------------------------------------------------------------ queueing under load
def _simulated_p95_wait(slots: int, utilisation: float, customers: int = 200_000, seed: int = 7) -> float:
    """p95 wait of a first-come-first-served queue with `slots` servers, Poisson arrivals and exponential service
    (mean 1, so the saturated rate is `slots` per unit time), by plain simulation: each arrival takes the slot
    that frees first."""
    import heapq

    rng = np.random.default_rng(seed)
    arrivals = np.cumsum(rng.exponential(1 / (utilisation * slots), customers))
    services = rng.exponential(1.0, customers)
    free = [0.0] * slots
    waits = np.empty(customers)
    for i, (arrival, service) in enumerate(zip(arrivals, services, strict=True)):
        start = max(arrival, heapq.heappop(free))
        waits[i] = start - arrival
        heapq.heappush(free, start + service)
    return float(np.quantile(waits[customers // 10 :], 0.95))


@pytest.mark.parametrize(("slots", "utilisation"), [(1, 0.5), (1, 0.8), (4, 0.7), (16, 0.85), (64, 0.9)])
def test_p95_wait_matches_a_simulated_queue(slots: int, utilisation: float) -> None:
    estimate = float(p95_wait_s(slots, utilisation, saturated_rps=slots))
    # Near saturation successive waits are strongly correlated: two long runs, averaged.
    simulated = np.mean([_simulated_p95_wait(slots, utilisation, seed=seed) for seed in (1, 2)])
    assert estimate == pytest.approx(simulated, rel=0.12, abs=0.02)


def test_p95_wait_of_one_slot_is_the_textbook_formula() -> None:
    # M/M/1: P(wait > t) = rho exp(-mu (1 - rho) t), so the p95 wait is ln(rho / 0.05) / (mu (1 - rho)).
    assert float(p95_wait_s(1, 0.5, 2.0)) == pytest.approx(np.log(0.5 / 0.05) / (2.0 * 0.5), rel=1e-3)
    assert float(p95_wait_s(1, 0.04, 2.0)) == 0.0  # 96% of requests find the slot free


def test_utilisation_ceiling_inverts_the_wait() -> None:
    for slots in (1, 8, 256):
        for slack in (0.05, 0.5, 5.0):
            ceiling = float(utilisation_ceiling(slots, slack, saturated_rps=10.0))
            assert 0 < ceiling < 1
            assert float(p95_wait_s(slots, ceiling, 10.0)) == pytest.approx(slack, rel=0.02, abs=1e-3)
    assert float(utilisation_ceiling(4, -0.1, 10.0)) == 0.0  # the target is missed even with no wait
    # More slots absorb the same randomness: a continuous-batching replica runs nearer flat out.
    assert utilisation_ceiling(256, 0.5, 10.0) > utilisation_ceiling(4, 0.5, 10.0) > utilisation_ceiling(1, 0.5, 10.0)


def test_a_latency_target_loads_replicas_below_flat_out(catalog) -> None:
    """Either engine keeps room for bursts under a target: llama.cpp because its few slots are held for whole
    requests, vLLM because each new prefill waits behind the others'. The first token plus the p95 wait at the load
    chosen stays within the target, and a tighter target leaves less room."""
    small = make_deployment("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", catalog=catalog)
    batching = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", catalog=catalog)
    for deployment, floor in ((small, 0.0), (batching, 0.5)):
        free = capacity(deployment, 500, 200, 700)
        assert float(free.utilisation_ceiling) == 1.0 and float(free.p95_wait_ms) == 0.0
        assert float(free.requests_per_s) == float(free.saturation_rps)
        target = float(free.first_token_p95_ms) * 3
        sized = capacity(deployment, 500, 200, 700, first_token_target_ms=target)
        assert floor < float(sized.utilisation_ceiling) < 1
        assert float(sized.requests_per_s) == pytest.approx(
            float(sized.saturation_rps) * float(sized.utilisation_ceiling)
        )
        assert float(sized.first_token_p95_ms) + float(sized.p95_wait_ms) <= target * 1.001
        tighter = capacity(deployment, 500, 200, 700, first_token_target_ms=target / 2)
        assert float(tighter.requests_per_s) <= float(sized.requests_per_s)
    # Two queues, the longer wait binds: vLLM's 128+ slots, and the device's queue of prefills (an M/M/1 queue whose
    # load is the request rate times one prefill). Checked by hand at a loose and a tight target.
    figures = load_figures(batching, 500, 200, 700)
    for times in (3.0, 1.3):
        target = float(capacity(batching, 500, 200, 700).first_token_p95_ms) * times
        sized = capacity(batching, 500, 200, 700, first_token_target_ms=target)
        slack_s = (target - float(sized.first_token_p95_ms)) / 1000
        saturated = float(sized.saturation_rps)
        slots_only = float(utilisation_ceiling(int(sized.batch), slack_s, saturated))
        work = float(figures.prefill_work_s[figures.candidates.index(int(sized.batch))])
        behind_prefills = float(utilisation_ceiling(1, slack_s, 1 / work)) / (saturated * work)
        assert float(sized.utilisation_ceiling) == pytest.approx(min(slots_only, behind_prefills), rel=1e-6)
        device_load = float(sized.utilisation_ceiling) * saturated * work
        if device_load > 0.05:  # below that 95% of requests find no prefill ahead of them
            wait = np.log(device_load / 0.05) * work / (1 - device_load)
            assert wait <= slack_s * 1.02
    assert behind_prefills < slots_only  # the tight target: the prefills queue binds


@pytest.mark.parametrize(
    ("model", "hardware", "quant"),
    [("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M"), ("qwen3-30b-a3b", "h100", "FP8"), ("qwen3-8b", "t4", "Q4_K_M")],
)
def test_one_shape_and_a_grid_of_shapes_size_alike(catalog, model: str, hardware: str, quant: str) -> None:
    """capacity() takes a plain-float path for one request shape and a numpy path for grids: same figures."""
    deployment = make_deployment(model, hardware, quant, catalog=catalog)
    inputs = np.array([100.0, 800.0, 3000.0, 20_000.0])
    outputs = np.array([50.0, 300.0, 100.0, 800.0])
    for first, total in ((None, None), (400.0, None), (1500.0, 20_000.0), (None, 9000.0), (5.0, None)):
        grid = capacity(deployment, inputs, outputs, inputs + outputs, first, total)
        for k in range(len(inputs)):
            one = capacity(deployment, inputs[k], outputs[k], inputs[k] + outputs[k], first, total)
            for name in (
                "batch",
                "requests_per_s",
                "first_token_ms",
                "total_ms",
                "tokens_per_s",
                "meets_latency",
                "first_token_p95_ms",
                "saturation_rps",
                "utilisation_ceiling",
                "p95_wait_ms",
            ):
                assert float(getattr(one, name)) == pytest.approx(float(getattr(grid, name)[k]), rel=1e-9), name


@pytest.mark.parametrize(
    ("requests_per_day", "peak", "hours", "replica_rps", "expected"),
    [
        (864_000, 3.0, 24, 7.0, 5),  # mean 10 rps x 3 = 30 rps; 30 / 7 -> 5 replicas
        (864_000, 1.0, 24, 10.0, 1),  # exactly one replica's worth
        (100, 3.0, 8, 50.0, 1),  # tiny volume still needs one replica
        (432_000, 2.0, 12, 4.0, 5),  # traffic in 12 h: 10 rps mean x 2 = 20 rps; 20 / 4 = 5
    ],
)
def test_replicas_needed(requests_per_day, peak, hours, replica_rps, expected) -> None:
    assert replicas_needed(requests_per_day, peak, hours, replica_rps) == expected


def test_replicas_are_infinite_when_nothing_fits() -> None:
    assert np.isinf(replicas_needed(1000, 3.0, 24, 0.0))


def test_bad_fit_arguments_name_the_field(catalog) -> None:
    with pytest.raises(FitError, match="context: must be >= 1"):
        estimate_fit("qwen3-8b", "l4", context_tokens=0, catalog=catalog)
    with pytest.raises(UnknownIdError, match="did you mean 'rtx-4090'"):
        estimate_fit("qwen3-8b", "rtx-4909", catalog=catalog)
    with pytest.raises(UnknownIdError, match="unknown quantisation 'Q4'"):
        estimate_fit("qwen3-8b", "l4", quant="Q4", catalog=catalog)


def test_hardware_aliases_resolve(catalog) -> None:
    assert catalog.resolve_hardware_id("RTX 4090") == "rtx-4090"
    assert catalog.resolve_hardware_id("nvidia-l4") == "l4"
    assert catalog.resolve_hardware_id("NVIDIA L4") == "l4"


def test_this_machine_is_detected(catalog) -> None:
    import os

    profile = catalog.hardware_profile("this-machine")
    assert profile.cpu_cores == os.cpu_count()
    assert profile.memory_gb > 1 and profile.memory_bandwidth_gbs > 1
    fit = estimate_fit("gemma-3-270m", "this-machine", "Q4_K_M", 2048, catalog=catalog)
    assert fit.fits


def test_engine_names_for_labels(catalog) -> None:
    """Self-hosted option labels name the engine as people write it ("qwen3-8b FP8, vLLM on 1x l4")."""
    assert engine_name("vllm", catalog) == "vLLM"
    assert engine_name("llama.cpp", catalog) == "llama.cpp"


def test_batching_engine_serving_factors() -> None:
    """vLLM's serving factors (efficiency.yaml, fitted on published serving rows): weight-only formats compute at a
    share of BF16's rate, the H100 at its own share, and each running sequence adds host time to a step; llama.cpp
    keeps none of them."""
    import dataclasses

    from advisor.data.catalog import default_catalog
    from advisor.engine.fit import make_deployment, weight_only

    cat = default_catalog()
    serving = cat.efficiency.engines["vllm"]
    bf16 = make_deployment("qwen3-8b", "a100-80gb", "BF16", catalog=cat, engine="vllm")
    awq = make_deployment("qwen3-8b", "a100-80gb", "INT4-AWQ", catalog=cat, engine="vllm")
    assert serving.weight_only_compute is not None and serving.per_sequence_step_ms is not None
    assert awq.prefill_eff.expected == pytest.approx(bf16.prefill_eff.expected * serving.weight_only_compute.expected)
    assert weight_only("FP8", cat.hardware_profile("a100-80gb"), cat)
    assert not weight_only("FP8", cat.hardware_profile("h100"), cat)
    h100 = make_deployment("qwen3-8b", "h100", "BF16", catalog=cat, engine="vllm")
    assert h100.prefill_eff == serving.prefill_compute_by_hardware["h100"]
    one, full = (float(bf16.decode_step_s(512, b)) for b in (1, 256))
    no_host = dataclasses.replace(bf16, per_sequence_step_ms=None)
    host = full - float(no_host.decode_step_s(512, 256))
    assert host == pytest.approx(256 * serving.per_sequence_step_ms.expected / 1000)
    assert one < full
    gguf = make_deployment("qwen3-8b", "rtx-4090", "Q4_K_M", catalog=cat, engine="llama.cpp")
    assert gguf.per_sequence_step_ms is None


def test_one_card_has_no_tensor_parallel_cost() -> None:
    """A deployment on one card pays no all-reduce: its figures are those without the tensor-parallel fields."""
    import dataclasses

    from advisor.data.catalog import default_catalog

    cat = default_catalog()
    for engine in ("vllm", "sglang", "tensorrt-llm"):
        one = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", 1, cat, engine=engine)
        plain = dataclasses.replace(one, tp_allreduce_ms=None, interconnect_bps=0.0)
        for band in ("low", "expected", "high"):
            assert float(one.decode_step_s(1024, 64, band)) == float(plain.decode_step_s(1024, 64, band))
            assert float(one.prefill_s(2048, band)) == float(plain.prefill_s(2048, band))
        assert float(one.tp_comm_s(64)) == 0.0


def test_tensor_parallel_pays_two_all_reduces_per_layer() -> None:
    """Llama 3.1 70B FP8 on 2 x H100: bandwidth and FLOPS double, and each decode step and prefill adds 2 x 80
    all-reduces, each the engine's fixed time x log2(2) plus tokens x 8192 x 2 bytes x 2(2-1)/2 over 450 GB/s."""
    import dataclasses

    from advisor.data.catalog import default_catalog

    cat = default_catalog()
    serving = cat.efficiency.engines["tensorrt-llm"]
    assert serving.tp_allreduce_ms is not None
    two = make_deployment("llama-3.1-70b-instruct", "h100", "FP8", 2, cat, engine="tensorrt-llm")
    one = make_deployment("llama-3.1-70b-instruct", "h100", "FP8", 1, cat, engine="tensorrt-llm")
    assert two.bandwidth_bps == pytest.approx(2 * one.bandwidth_bps)
    assert two.interconnect_bps == pytest.approx(450e9)
    no_comm = dataclasses.replace(two, tp_allreduce_ms=None)
    for batch in (1, 64):
        comm = 2 * 80 * (serving.tp_allreduce_ms.expected / 1000 + batch * 8192 * 2 * 2 * (1 / 2) / 450e9)
        added = float(two.decode_step_s(1024, batch)) - float(no_comm.decode_step_s(1024, batch))
        assert added == pytest.approx(comm)
    prompt = 2 * 80 * (serving.tp_allreduce_ms.expected / 1000 + 5000 * 8192 * 2 * 2 * (1 / 2) / 450e9)
    assert float(two.prefill_s(5000)) - float(no_comm.prefill_s(5000)) == pytest.approx(prompt)
    # Four cards: twice the fixed time (log2 4) and 3/4 of the activations sent by each card.
    four = make_deployment("llama-3.1-70b-instruct", "h100", "FP8", 4, cat, engine="tensorrt-llm")
    fixed4 = 2 * 80 * 2 * serving.tp_allreduce_ms.expected / 1000
    assert float(four.tp_comm_s(1)) == pytest.approx(fixed4 + 2 * 80 * 8192 * 2 * 2 * 0.75 / 450e9)
    # llama.cpp has no all-reduce figure: several cards keep the plain arithmetic.
    gguf = make_deployment("llama-3.1-70b-instruct", "rtx-4090", "Q4_K_M", 2, cat, engine="llama.cpp")
    assert gguf.tp_allreduce_ms is None and float(gguf.tp_comm_s(8)) == 0.0


def test_sglang_and_tensorrt_llm_are_batching_engines() -> None:
    """SGLang and TensorRT-LLM run on data-centre GPUs with a paged KV cache; vLLM stays the default there; neither
    is priced for a format its docs do not list (TensorRT-LLM and MXFP4)."""
    from advisor.data.catalog import default_catalog

    cat = default_catalog()
    assert cat.efficiency.default_engine["datacenter_gpu"] == "vllm"
    assert make_deployment("llama-3.1-8b-instruct", "h100", "FP8", catalog=cat).engine == "vllm"
    trt = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", catalog=cat, engine="tensorrt-llm")
    sgl = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", catalog=cat, engine="sglang")
    assert trt.kv_paged and sgl.kv_paged and not trt.request_overhead_serialised
    assert trt.max_batch == 2048 and trt.batch_candidates[-1] == 2048
    assert cat.resolve_engine_id("TensorRT-LLM") == "tensorrt-llm" and cat.resolve_engine_id("SGLang") == "sglang"
    for quant in ("BF16", "FP8", "INT4-AWQ"):
        assert {"sglang", "tensorrt-llm"} <= set(cat.quantization(quant).engines)
    make_deployment("gpt-oss-20b", "h100", "MXFP4", catalog=cat, engine="sglang")
    with pytest.raises(FitError):
        make_deployment("gpt-oss-20b", "h100", "MXFP4", catalog=cat, engine="tensorrt-llm")


def test_without_targets_llama_cpp_runs_the_fewest_slots_near_its_best_throughput(catalog) -> None:
    """On a laptop CPU prefill leaves slots little to gain: the largest slot count serves a few percent more
    requests/s than a few slots while every request takes many times longer. Without latency targets the server
    runs the fewest slots within KNEE of the best throughput; vLLM keeps the batch that serves the most."""
    cpu = make_deployment("qwen3-4b", "cpu-laptop-8c", "Q8_0", 1, catalog)
    figures = load_figures(cpu, 300, 50, 862)
    served = np.where(figures.memory_ok, figures.saturated, 0.0)
    chosen = capacity(cpu, 300, 50, 862)
    assert figures.knee == KNEE and chosen.batch < figures.batches.max()
    assert KNEE * served.max() <= chosen.requests_per_s < served.max()
    smaller = [float(rps) for b, rps in zip(figures.batches, served, strict=True) if b < chosen.batch]
    assert all(rps < KNEE * served.max() for rps in smaller)  # the fewest slots that get there
    at_most = float(figures.total_s[int(np.argmax(served))]) * 1000
    assert chosen.total_ms < at_most / 2
    # The array path (grids) chooses the same.
    grid = capacity(cpu, np.array([300, 300]), np.array([50, 50]), np.array([862, 862]))
    assert list(grid.batch) == [chosen.batch, chosen.batch]
    gpu = make_deployment("llama-3.1-8b-instruct", "h100", "FP8", 1, catalog)
    gpu_figures = load_figures(gpu, 205, 137, 342)
    assert gpu_figures.knee == 1.0
    assert capacity(gpu, 205, 137, 342).requests_per_s == pytest.approx(gpu_figures.saturated.max())
