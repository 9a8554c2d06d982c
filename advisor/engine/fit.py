"""Fit estimates: will a model run on a piece of hardware, how fast, and how many requests one replica serves.

The arithmetic lives in small functions over numpy arrays, so the same formulas price one option or a million
grid cells (see advisor.engine.cost.sensitivity). Efficiency factors and overheads come from catalog/efficiency.yaml,
each with its source; every speed is a low / expected / high band.

    memory   = weights + KV cache (per sequence x concurrency) + runtime overhead
    decode   = bytes read per token / (bandwidth x efficiency) + per-token overhead    [memory-bound]
             or batch x FLOPs per token / (peak FLOPS x efficiency)                   [compute-bound]
    prefill  = 2 x non-embedding active params x prompt tokens / (peak FLOPS x efficiency) + request overhead

Every deployment names its serving engine (efficiency.yaml `engines`): llama.cpp-class runtimes on laptops,
Apple silicon, CPUs, edge devices and GeForce cards; a continuous-batching engine (vLLM) on data-centre GPUs.
The engine decides the largest batch, whether the KV cache is paged (sequences hold their mean length, not the
full context), the share of memory it takes, and whether the per-request overhead blocks the device. The
precision decides the bytes read per weight and, for FP8 on Ada / Hopper / Blackwell, the FP8 tensor rate.
"""

from __future__ import annotations

import bisect
import dataclasses
import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.data.catalog import LLAMA_CPP, Catalog, default_catalog
from advisor.errors import FitError
from advisor.schema.vocabulary import BAND_NAMES

if TYPE_CHECKING:
    from advisor.schema.catalog import Band, HardwareProfile, OpenWeightModel

GB = 1e9
QUANT_PREFERENCE = ("Q8_0", "Q6_K", "Q5_K_M", "Q4_K_M", "Q3_K_M")
"""Quantisations tried when none is given, best quality first (F16 only when asked for)."""
BATCHING_QUANT_PREFERENCE = ("FP8", "INT4-AWQ")
"""The same for a batching engine: FP8 (as lossless as Q8_0), then 4-bit AWQ (BF16 only when asked for)."""
BATCH_CANDIDATES = (1, 2, 4, 8, 16, 32, 64)
"""Concurrent sequences a llama.cpp-class replica may run (server slots)."""
P95_WAIT_SHARE = 0.05
"""Share of requests that wait longer than the p95 wait (see `p95_wait_s`)."""
_UTILISATION_GRID = np.unique(np.concatenate([np.linspace(0.0, 0.99, 199), 1.0 - np.logspace(-2, -4, 41)]))


@dataclass(frozen=True)
class Deployment:
    """The constants of one (model, quantisation, hardware, device count) that the formulas need."""

    model: OpenWeightModel
    quant: str
    hardware: HardwareProfile
    count: int
    weights_bytes: float
    weights_read_per_token: float  # bytes of weights read for one decode step (active experts only for MoE)
    prefill_params: float  # non-embedding active parameters multiplied per prompt token
    kv_bytes_per_element: float
    bandwidth_bps: float  # peak, all devices
    peak_flops: float  # peak for the weights' matrix multiplies (FP8 where card and precision have it), all devices
    usable_memory_bytes: float
    decode_eff: Band
    prefill_eff: Band
    overhead_gb: Band
    per_token_overhead_ms: Band
    request_overhead_ms: Band
    measured: dict[str, float] = field(default_factory=dict)  # from a live run, when there is one
    engine: str = LLAMA_CPP  # serving engine (efficiency.yaml `engines`)
    max_batch: int = BATCH_CANDIDATES[-1]  # most sequences decoded together
    kv_paged: bool = False  # KV cache held at each sequence's mean length (paged) rather than the full context
    request_overhead_serialised: bool = True  # per-request overhead blocks the device (llama.cpp's single loop)
    moe_shared_bytes: float = 0.0  # MoE: weights every token reads (attention, shared layers, embeddings)
    moe_expert_bytes: float = 0.0  # MoE: all routed experts' weights
    moe_route_share: float = 0.0  # MoE: experts routed per token / experts per layer
    per_sequence_step_ms: Band | None = None  # host time each running sequence adds to a decode step (batching)
    tp_allreduce_ms: Band | None = None  # tensor parallel (count > 1): fixed time of one all-reduce, ms
    interconnect_bps: float = 0.0  # tensor parallel: bytes/s one card sends its peers each way (0: not priced)
    attention_peak_flops: float = 0.0  # peak for the attention scores (BF16 / FP16 whatever the weights), all devices

    @property
    def batch_candidates(self) -> tuple[int, ...]:
        """Batch sizes the capacity search tries: powers of two up to the engine's limit."""
        sizes = [1]
        while sizes[-1] * 2 <= self.max_batch:
            sizes.append(sizes[-1] * 2)
        return tuple(sizes)

    def weights_read_per_step(self, batch: Any) -> Any:
        """Bytes of weights one decode step reads for `batch` sequences. A dense model reads all of them; an MoE
        model reads the shared weights plus the experts at least one sequence is routed to, expected
        E x (1 - (1 - k/E)^batch) of them per layer with independent routing (one sequence: the active ones)."""
        batch_arr = np.asarray(batch, dtype=float)
        if not self.moe_expert_bytes:
            return np.full_like(batch_arr, self.weights_read_per_token)
        touched = 1.0 - (1.0 - self.moe_route_share) ** batch_arr
        return self.moe_shared_bytes + self.moe_expert_bytes * touched

    def kv_bytes_per_sequence(self, context_tokens: Any) -> Any:
        """KV cache of one sequence holding `context_tokens`, sliding-window layers capped at their window."""
        arch = self.model.architecture
        tokens = np.asarray(context_tokens, dtype=float)
        global_layers = arch.layers - arch.sliding_window_layers
        cached_tokens = global_layers * tokens
        if arch.sliding_window_layers and arch.sliding_window:
            cached_tokens = cached_tokens + arch.sliding_window_layers * np.minimum(tokens, arch.sliding_window)
        per_token_per_layer = 2 * arch.kv_heads * arch.head_dim * self.kv_bytes_per_element  # K and V
        return cached_tokens * per_token_per_layer

    def memory_gb(self, context_tokens: Any, concurrency: Any, band: str = "expected") -> Any:
        overhead = getattr(self.overhead_gb, band)
        kv = self.kv_bytes_per_sequence(context_tokens) * np.asarray(concurrency, dtype=float)
        return (self.weights_bytes + kv) / GB + overhead

    def decode_step_s(self, kv_tokens: Any, batch: Any, band: str = "expected") -> Any:
        """Seconds for one decode step producing one token for each of `batch` sequences."""
        eff_bw = getattr(self.decode_eff, band)
        eff_flops = getattr(self.prefill_eff, band)
        batch_arr = np.asarray(batch, dtype=float)
        bytes_read = self.weights_read_per_step(batch_arr) + batch_arr * self.kv_bytes_per_sequence(kv_tokens)
        memory_s = bytes_read / (self.bandwidth_bps * eff_bw)
        compute_s = batch_arr * 2 * self.model.active_b * 1e9 / (self.peak_flops * eff_flops)
        # The high band is the fast end: it gets the small per-token overhead, and vice versa.
        overhead_band = {"low": "high", "expected": "expected", "high": "low"}[band]
        step = np.maximum(memory_s, compute_s) + getattr(self.per_token_overhead_ms, overhead_band) / 1000
        if self.per_sequence_step_ms is not None:
            # A batching engine's host work (scheduling, sampling, detokenising, streaming) grows with the batch.
            step = step + batch_arr * getattr(self.per_sequence_step_ms, overhead_band) / 1000
        if self.count > 1 and self.tp_allreduce_ms is not None:
            step = step + self.tp_comm_s(batch_arr, band)
        return step

    def tp_comm_s(self, tokens: Any, band: str = "expected") -> Any:
        """Seconds a tensor-parallel replica (count > 1 cards of one node) spends in all-reduces for one forward pass
        over `tokens` tokens (a decode step's batch, or a prompt): two per layer (after attention and after the MLP),
        each a fixed time, the engine's two-card figure x log2(n) (the synchronisation steps of a tree all-reduce),
        plus the activations, tokens x hidden size x 2 bytes x 2(n-1)/n sent by each card over its interconnect.
        Zero on one card."""
        if self.count <= 1 or self.tp_allreduce_ms is None:
            return np.zeros_like(np.asarray(tokens, dtype=float))
        overhead_band = {"low": "high", "expected": "expected", "high": "low"}[band]
        arch = self.model.architecture
        n = self.count
        fixed = getattr(self.tp_allreduce_ms, overhead_band) / 1000 * math.log2(n)
        # 2 bytes an activation: the engines all-reduce in BF16 / FP16, FP8 weights included.
        sent = np.asarray(tokens, dtype=float) * arch.hidden_size * 2 * 2 * (n - 1) / n
        moved = sent / self.interconnect_bps if self.interconnect_bps else 0.0 * sent
        return 2 * arch.layers * (fixed + moved)

    def attention_flops(self, prompt_tokens: Any) -> Any:
        """FLOPs of causal attention over a prompt: scores and weighted values, 2 x 2 FLOPs x query heads x head dim
        for each (query, earlier token) pair of each layer, about n^2 / 2 pairs; a sliding-window layer pairs each
        token with at most its window. Negligible for short prompts, about a third of a 32K-token prompt's work for
        a 14B model."""
        arch = self.model.architecture
        n = np.asarray(prompt_tokens, dtype=float)
        pairs = (arch.layers - arch.sliding_window_layers) * n * n / 2
        if arch.sliding_window_layers and arch.sliding_window:
            w = float(arch.sliding_window)
            pairs = pairs + arch.sliding_window_layers * np.where(n <= w, n * n / 2, w * w / 2 + (n - w) * w)
        return 4 * arch.attention_heads * arch.head_dim * pairs

    def prefill_s(self, prompt_tokens: Any, band: str = "expected", with_overhead: bool = True) -> Any:
        """Seconds to read a prompt: the weights' matrix multiplies (2 x parameters x tokens, at the precision's
        rate) and attention (at the BF16 rate: FP8 weights do not make it faster), plus, unless `with_overhead` is
        false, the fixed request overhead."""
        eff = getattr(self.prefill_eff, band)
        overhead_band = {"low": "high", "expected": "expected", "high": "low"}[band]
        flops = 2 * self.prefill_params * np.asarray(prompt_tokens, dtype=float)
        overhead = getattr(self.request_overhead_ms, overhead_band) / 1000 if with_overhead else 0.0
        attention_peak = self.attention_peak_flops or self.peak_flops
        seconds = flops / (self.peak_flops * eff) + self.attention_flops(prompt_tokens) / (attention_peak * eff)
        seconds = seconds + overhead
        if self.count > 1 and self.tp_allreduce_ms is not None:
            seconds = seconds + self.tp_comm_s(prompt_tokens, band)
        return seconds

    def busy_prefill_s(self, prompt_tokens: Any, band: str = "expected") -> Any:
        """Device time a request's prefill takes from the others: with the fixed overhead when the engine
        serialises it (llama.cpp), without where another process overlaps it with the running batch."""
        return self.prefill_s(prompt_tokens, band, with_overhead=self.request_overhead_serialised)

    def measured_first_token_s(self, prompt_tokens: Any) -> Any:
        """First-token time from a live run, carried to `prompt_tokens`; None when the pair was not measured.

        A run measures one prompt length. The estimate's shape (compute per prompt token plus a fixed overhead)
        carries it to other lengths, scaled so that it matches the measurement where it was taken. A stored
        measurement without its prompt length is used as it is.
        """
        measured = self.measured
        if "first_token_ms" not in measured:
            return None
        if "prompt_tokens" not in measured:
            return measured["first_token_ms"] / 1000
        scale = measured["first_token_ms"] / 1000 / float(self.prefill_s(measured["prompt_tokens"]))
        return self.prefill_s(prompt_tokens) * scale


def _band_order(values: dict[str, float], higher_is_better: bool) -> dict[str, float]:
    ordered = sorted(values.values(), reverse=not higher_is_better)
    if higher_is_better:
        return {"low": ordered[0], "expected": values["expected"], "high": ordered[-1]}
    return {"low": ordered[-1], "expected": values["expected"], "high": ordered[0]}


def weights_bytes(model: OpenWeightModel, quant: str, catalog: Catalog) -> float:
    """File size when the catalog knows the GGUF, else parameters x bits per weight."""
    for known in model.gguf_files:
        if known.quant.upper() == quant.upper():
            return float(known.size_bytes)
    return model.params_b * 1e9 * catalog.quantization(quant).bytes_per_param


def engine_name(engine: str, catalog: Catalog) -> str:
    """How an engine is written for people: its efficiency.yaml name ("vLLM"), else its id ("llama.cpp")."""
    serving = catalog.efficiency.engines.get(engine)
    return serving.name if serving else engine


def engine_for(hardware: HardwareProfile, quant: str, catalog: Catalog, engine: str | None = None) -> str:
    """The serving engine a deployment assumes: the one asked for, else the hardware kind's default when it runs
    the precision, else llama.cpp when it does, else the first engine that does."""
    runs = catalog.quantization(quant).engines
    known = {LLAMA_CPP, *catalog.efficiency.engines}
    if engine is not None:
        if engine not in known:
            raise FitError(f"engine: {engine!r} is not one of {', '.join(sorted(known))}")
        if not catalog.engine_runs_on(engine, hardware.kind):
            kinds = ", ".join(catalog.engine_kinds(engine))
            raise FitError(f"engine: {engine} does not run on {hardware.id} ({hardware.kind}); it runs on {kinds}")
        if engine not in runs:
            raise FitError(f"engine: {engine} does not run {quant} (it runs on {', '.join(runs)})")
        return engine
    default = catalog.efficiency.default_engine.get(hardware.kind, LLAMA_CPP)
    if default in runs:
        return default
    if LLAMA_CPP in runs:
        return LLAMA_CPP
    return next((name for name in runs if name in known), runs[0])


WEIGHT_ONLY = ("INT4-AWQ", "MXFP4")
"""Batching-engine formats whose matrix products dequantise the weights to FP16 inside the kernel (W4A16): no
catalog card has FP4 tensor cores priced, so MXFP4 counts here too. FP8 does on cards without FP8 tensor cores."""


def weight_only(quant: str, hardware: HardwareProfile, catalog: Catalog) -> bool:
    """Whether `quant` runs as a weight-only format on `hardware` (dequantised to FP16 in the matrix products)."""
    spec = catalog.quantization(quant)
    if spec.compute == "fp8":
        return not hardware.fp8_tflops
    return spec.id in WEIGHT_ONLY


def engine_compute_band(base: Band, engine: str, quant: str, hardware: HardwareProfile, catalog: Catalog) -> Band:
    """The compute share a batching engine reaches: its share on this card where efficiency.yaml gives one
    (`prefill_compute_by_hardware`), else `base`; times `weight_only_compute` for a weight-only format. llama.cpp
    keeps `base`."""
    serving = catalog.efficiency.engines.get(engine)
    if serving is None:
        return base
    band = serving.prefill_compute_by_hardware.get(hardware.id, base)
    share = serving.weight_only_compute
    if share is None or not weight_only(quant, hardware, catalog):
        return band
    return type(band).model_construct(
        low=band.low * share.low, expected=band.expected * share.expected, high=band.high * share.high
    )


def _peak_flops(hardware: HardwareProfile, quant: str, catalog: Catalog) -> float:
    """Peak TFLOPS the precision's matrix products run at: the FP8 rate for an FP8 format where the hardware
    has one, the FP16 rate otherwise."""
    if catalog.quantization(quant).compute == "fp8" and hardware.fp8_tflops:
        return hardware.fp8_tflops
    return hardware.fp16_tflops


def make_deployment(
    model: OpenWeightModel | str,
    hardware: HardwareProfile | str,
    quant: str = "Q4_K_M",
    count: int = 1,
    catalog: Catalog | None = None,
    *,
    engine: str | None = None,
    kv_cache_bytes_per_element: float | None = None,
) -> Deployment:
    """Gather the constants for one model on `count` devices of one hardware profile (measured speeds from the
    catalog snapshot's measurements). `engine` defaults to the hardware kind's (see `engine_for`);
    `kv_cache_bytes_per_element` to the engine's (1 for an FP8 KV cache)."""
    cat = catalog or default_catalog()
    model_obj = cat.model(model) if isinstance(model, str) else model
    hardware_obj = cat.hardware_profile(hardware) if isinstance(hardware, str) else hardware
    quant = cat.quantization(quant).id
    if count < 1:
        raise FitError(f"count: must be >= 1, got {count}")
    engine_id = engine_for(hardware_obj, quant, cat, engine)
    serving = cat.efficiency.engines.get(engine_id)
    total_bytes = weights_bytes(model_obj, quant, cat)
    active_share = model_obj.active_b / model_obj.params_b
    arch = model_obj.architecture
    embedding_params = arch.vocab_size * arch.hidden_size
    prefill_params = max(model_obj.active_b * 1e9 - embedding_params, 0.1 * model_obj.active_b * 1e9)
    efficiency = cat.efficiency.by_kind[hardware_obj.kind]
    own = serving.by_kind.get(hardware_obj.kind) if serving else None
    memory_fraction = serving.memory_fraction if serving else 1.0
    kv_bytes = kv_cache_bytes_per_element or (
        serving.kv_cache_bytes_per_element if serving else cat.efficiency.kv_cache_bytes_per_element
    )
    prefill_eff = engine_compute_band(
        (own and own.prefill_compute) or efficiency.prefill_compute, engine_id, quant, hardware_obj, cat
    )
    # Devices a token's work is spread over at once. The batching engines split every layer across the cards
    # (tensor parallel, paying its all-reduces: tp_comm_s). llama.cpp's default splits the layers between them
    # (--split-mode layer): a token passes through the cards one after the other, so the cards add memory, not
    # speed. On one A100 80GB PCIe llama-bench read a 512-token prompt (Code Llama 7B F16) at 8,668 tokens/s, on
    # eight 8,381 (https://github.com/ggml-org/llama.cpp/pull/6017, comment of 2024-03-12).
    lanes = count if serving is not None and serving.tp_allreduce_ms is not None else 1
    moe: dict[str, float] = {}
    if model_obj.is_moe and model_obj.experts and model_obj.experts_active:
        # params = shared + experts; active = shared + experts x k/E  ->  experts = (params - active) / (1 - k/E)
        route_share = model_obj.experts_active / model_obj.experts
        expert_share = min((1 - active_share) / (1 - route_share), 1.0) if route_share < 1 else 0.0
        moe = {
            "moe_shared_bytes": total_bytes * (1 - expert_share),
            "moe_expert_bytes": total_bytes * expert_share,
            "moe_route_share": route_share,
        }
    deployment = Deployment(
        model=model_obj,
        quant=quant,
        hardware=hardware_obj,
        count=count,
        weights_bytes=total_bytes,
        weights_read_per_token=total_bytes * active_share,
        prefill_params=prefill_params,
        kv_bytes_per_element=kv_bytes,
        bandwidth_bps=hardware_obj.memory_bandwidth_gbs * GB * lanes,
        peak_flops=_peak_flops(hardware_obj, quant, cat) * 1e12 * lanes,
        usable_memory_bytes=hardware_obj.usable_memory_gb * memory_fraction * GB * count,
        decode_eff=(own and own.decode_bandwidth) or efficiency.decode_bandwidth,
        prefill_eff=prefill_eff,
        overhead_gb=(own and own.runtime_overhead_gb) or efficiency.runtime_overhead_gb,
        per_token_overhead_ms=(own and own.per_token_overhead_ms) or efficiency.per_token_overhead_ms,
        request_overhead_ms=cat.efficiency.request_overhead_ms,
        measured=cat.measurements.for_pair(model_obj.id, quant, hardware_obj.id),
        engine=engine_id,
        max_batch=serving.max_batch if serving else BATCH_CANDIDATES[-1],
        kv_paged=serving.kv_paged if serving else False,
        request_overhead_serialised=serving.request_overhead_serialised if serving else True,
        per_sequence_step_ms=serving.per_sequence_step_ms if serving else None,
        tp_allreduce_ms=serving.tp_allreduce_ms if serving else None,
        interconnect_bps=cat.efficiency.interconnect_gbs.get(hardware_obj.id, 0.0) * GB,
        attention_peak_flops=hardware_obj.fp16_tflops * 1e12 * lanes,
        **moe,
    )
    if deployment.measured:
        return deployment
    other = cat.measurements.other_quant(model_obj.id, quant, hardware_obj.id)
    if other is None:
        return deployment
    # The pair was measured at another quantisation: carry the speed over by the estimate's ratio between the two
    # (decode reads the weights once per token, so it scales with their size); prefill does not depend on it.
    measured_quant = make_deployment(model_obj, hardware_obj, other, count, cat, engine=None)
    ratio = float(measured_quant.decode_step_s(CARRY_CONTEXT, 1) / deployment.decode_step_s(CARRY_CONTEXT, 1))
    carried = dict(measured_quant.measured)
    carried["tokens_per_s"] = measured_quant.measured["tokens_per_s"] * ratio
    return dataclasses.replace(deployment, measured=carried)


CARRY_CONTEXT = 512
"""Context at which decode speeds of two quantisations are compared to carry a measurement between them."""


@dataclass(frozen=True)
class FitResult:
    """Answer to `advisor fit`: memory breakdown, fits or not, speed bands."""

    model: str
    quant: str
    hardware: str
    count: int
    context_tokens: int
    prompt_tokens: int
    concurrency: int
    weights_gb: float
    kv_cache_gb: float
    overhead_gb: float
    total_gb: float
    available_gb: float
    fits: bool
    gpu_layer_share: float | None  # share of layers that fit in VRAM when the whole model does not (GPU only)
    tokens_per_s: dict[str, float]
    first_token_ms: dict[str, float]
    basis: Literal["estimated", "measured"]
    engine: str = LLAMA_CPP
    """The serving engine the figures assume (efficiency.yaml `engines`)."""

    @property
    def first_token_p95_ms(self) -> float:
        """First token of one request on an idle replica, 95th percentile. With nothing queued ahead the p95 is the
        first token itself, at the expected speed: published sweeps put the p99 within 1.3x of the median at light
        load (catalog/validation/serving_latency.yaml), the same figure a recommendation's p95 starts from before
        its queue wait. The slow end of `first_token_ms` is the estimate's uncertainty, not a percentile."""
        return self.first_token_ms["expected"]

    def to_dict(self) -> dict[str, Any]:
        """The fit JSON contract (docs/outputs.md, docs/schemas/fit.schema.json), plus a few extra keys."""
        return {
            "model": self.model,
            "quant": self.quant,
            "hardware": self.hardware,
            "context_tokens": self.context_tokens,
            "concurrency": self.concurrency,
            "memory_gb": {
                "weights": round(self.weights_gb, 3),
                "kv_cache": round(self.kv_cache_gb, 3),
                "overhead": round(self.overhead_gb, 3),
                "total": round(self.total_gb, 3),
                "available": round(self.available_gb, 3),
            },
            "fits": self.fits,
            "tokens_per_s": {k: round(v, 2) for k, v in self.tokens_per_s.items()},
            "first_token_ms": {k: round(v, 1) for k, v in self.first_token_ms.items()},
            "basis": self.basis,
            "device_count": self.count,
            "prompt_tokens": self.prompt_tokens,
            "gpu_layer_share": self.gpu_layer_share,
            "engine": self.engine,
            "first_token_p95_ms": round(self.first_token_p95_ms, 1),
        }


def estimate_fit(
    model: str,
    hardware: str,
    quant: str = "Q4_K_M",
    context_tokens: int = 4096,
    concurrency: int = 1,
    prompt_tokens: int | None = None,
    count: int = 1,
    catalog: Catalog | None = None,
    engine: str | None = None,
) -> FitResult:
    """Memory, fit and speed of `model` at `quant` on `count` x `hardware` for the context the user needs, under
    `engine` (default: the hardware kind's, see `engine_for`)."""
    if context_tokens < 1:
        raise FitError(f"context: must be >= 1, got {context_tokens}")
    if concurrency < 1:
        raise FitError(f"concurrency: must be >= 1, got {concurrency}")
    if prompt_tokens is not None and not 1 <= prompt_tokens <= context_tokens:
        raise FitError(f"prompt: must be between 1 and the context ({context_tokens:,} tokens), got {prompt_tokens:,}")
    deployment = make_deployment(model, hardware, quant, count, catalog or default_catalog(), engine=engine)
    window = deployment.model.context_tokens
    if context_tokens > window:
        raise FitError(f"context: {deployment.model.id} reads at most {window:,} tokens, got {context_tokens:,}")
    return fit_deployment(deployment, context_tokens, concurrency, prompt_tokens)


def fit_deployment(
    deployment: Deployment, context_tokens: int, concurrency: int = 1, prompt_tokens: int | None = None
) -> FitResult:
    prompt = min(prompt_tokens or context_tokens, context_tokens)
    kv_gb = float(deployment.kv_bytes_per_sequence(context_tokens)) * concurrency / GB
    weights_gb = deployment.weights_bytes / GB
    overhead = deployment.overhead_gb.expected
    total = weights_gb + kv_gb + overhead
    available = deployment.usable_memory_bytes / GB
    fits = total <= available
    gpu_share = None
    if not fits and deployment.hardware.kind in ("consumer_gpu", "datacenter_gpu"):
        room = max(available - kv_gb - overhead, 0.0)
        gpu_share = round(min(room / weights_gb, 1.0), 3)
    speed = {band: 1.0 / float(deployment.decode_step_s(context_tokens, 1, band)) for band in BAND_NAMES}
    first = {band: float(deployment.prefill_s(prompt, band)) * 1000 for band in BAND_NAMES}
    basis: Literal["estimated", "measured"] = "estimated"
    measured = deployment.measured
    if "tokens_per_s" in measured:
        speed = {band: measured["tokens_per_s"] for band in BAND_NAMES}
        basis = "measured"
    if "first_token_ms" in measured:
        first = {band: float(deployment.measured_first_token_s(prompt)) * 1000 for band in BAND_NAMES}
        basis = "measured"
    return FitResult(
        model=deployment.model.id,
        quant=deployment.quant,
        hardware=deployment.hardware.id,
        count=deployment.count,
        context_tokens=context_tokens,
        prompt_tokens=prompt,
        concurrency=concurrency,
        weights_gb=weights_gb,
        kv_cache_gb=kv_gb,
        overhead_gb=overhead,
        total_gb=total,
        available_gb=available,
        fits=fits,
        gpu_layer_share=gpu_share,
        tokens_per_s=_band_order(speed, higher_is_better=True),
        first_token_ms=_band_order(first, higher_is_better=False),
        basis=basis,
        engine=deployment.engine,
    )


def best_quant(
    model: OpenWeightModel,
    hardware: HardwareProfile,
    context_tokens: int,
    concurrency: int = 1,
    count: int = 1,
    *,
    catalog: Catalog,
    engine: str | None = None,
) -> Deployment | None:
    """The highest-quality quantisation of `model` that fits, or None when even the smallest does not (or `engine`
    does not run on this kind of hardware). A batching engine (the default on data-centre GPUs) tries its
    precisions, FP8 first, then the GGUF ones under llama.cpp."""
    if engine is not None and not catalog.engine_runs_on(engine, hardware.kind):
        return None
    chosen = engine or catalog.efficiency.default_engine.get(hardware.kind, LLAMA_CPP)
    preference: tuple[str, ...] = QUANT_PREFERENCE
    if chosen != LLAMA_CPP:
        # FP8 only where the hardware has FP8 tensor cores (a catalog fp8_tflops figure: Ada, Hopper, Blackwell);
        # a T4 or an A100 cannot run FP8 matrix products natively, so those try the next precision.
        own = tuple(
            q
            for q in BATCHING_QUANT_PREFERENCE
            if q in catalog.quantizations
            and chosen in catalog.quantizations[q].engines
            and (catalog.quantizations[q].compute != "fp8" or hardware.fp8_tflops)
        )
        preference = own if engine else own + QUANT_PREFERENCE
    for quant in preference:
        deployment = make_deployment(model, hardware, quant, count, catalog, engine=engine)
        needed = float(deployment.memory_gb(context_tokens, concurrency)) * GB
        if needed <= deployment.usable_memory_bytes:
            return deployment
    return None


def models_that_fit(
    hardware: str,
    context_tokens: int = 4096,
    concurrency: int = 1,
    count: int = 1,
    catalog: Catalog | None = None,
    engine: str | None = None,
) -> list[FitResult]:
    """Open-weight models that fit `hardware` at the context and concurrency needed, best first.

    Best = most capable (total parameters as the proxy, then quantisation quality), each at the
    highest-quality quantisation that fits; models with no fitting quantisation are left out.
    """
    cat = catalog or default_catalog()
    profile = cat.hardware_profile(hardware)
    results: list[tuple[tuple[float, float, float], FitResult]] = []
    for model in cat.models.values():
        if model.context_tokens < context_tokens:
            continue
        deployment = best_quant(model, profile, context_tokens, concurrency, count, catalog=cat, engine=engine)
        if deployment is None:
            continue
        result = fit_deployment(deployment, context_tokens, concurrency)
        bits = cat.quantization(deployment.quant).bits_per_weight
        results.append(((model.params_b, bits, result.tokens_per_s["expected"]), result))
    results.sort(key=lambda pair: pair[0], reverse=True)
    return [result for _, result in results]


@dataclass(frozen=True)
class Capacity:
    """What one replica sustains for a workload shape, at the largest batch that meets the latency targets."""

    batch: Any  # concurrent sequences chosen
    requests_per_s: Any
    first_token_ms: Any
    total_ms: Any
    tokens_per_s: Any  # per sequence, at the chosen batch
    meets_latency: Any  # bool: some batch size meets the targets
    first_token_p95_ms: Any = None
    """First token at the chosen batch once the request's prefill starts: its prefill plus one decode step (the
    step under way when it arrives) at the replica's speed band. What makes the 95th percentile longer is the wait
    before the prefill starts (`p95_wait_ms`), which comes on top; a replica sized to the targets keeps the sum
    within them (checked against published p50/p99 first tokens under Poisson load,
    catalog/validation/serving_latency.yaml)."""
    saturation_rps: Any = None
    """Requests per second at the chosen batch with every slot always busy (what a benchmark at an unbounded
    request rate measures). `requests_per_s` is this times `utilisation_ceiling`."""
    utilisation_ceiling: Any = None
    """The highest share of `saturation_rps` one replica may be loaded to, with requests arriving at random, while
    the p95 wait (for a slot, or behind other prefills) still leaves the latency targets met; 1 without targets."""
    p95_wait_ms: Any = None
    """The p95 wait before a request's prefill starts at `utilisation_ceiling`, the longer of the waits for a free
    slot and behind other requests' prefills (0 without targets: no load is chosen then)."""


def capacity(
    deployment: Deployment,
    input_tokens: Any,
    output_tokens: Any,
    context_tokens: Any,
    first_token_target_ms: float | None = None,
    total_target_ms: float | None = None,
    band: str = "expected",
    *,
    first_token_percentile: Literal["expected", "p95"] = "p95",
) -> Capacity:
    """Requests per second one replica sustains, choosing the batch size that maximises it within targets.

    Prefill of other requests interleaves with this request's decode steps: with B sequences in flight a request
    sees about B-1 other prefills during its life. A llama.cpp-class engine reserves the KV cache for the full
    context of every slot and serialises each request's fixed overhead; a batching engine pages the KV cache
    (each sequence holds its mean length) and overlaps that overhead with the running batch.
    The first-token target is a p95 target (the scenario's latency_p95_first_token_ms), so by default it is checked
    against the p95 estimate; `first_token_percentile="expected"` checks the expected figure instead.

    Under latency targets a replica is not sized to run flat out: requests arrive at random and queue twice. When
    every slot is busy a new one waits for a slot: the batch's slots are the servers of an M/M/c queue (see
    `p95_wait_s`). And its prefill waits behind the prefills of requests that arrived just before it: the engines
    schedule waiting prefills at the next step, between the running sequences' decode steps, so the device is an
    M/M/1 queue of prefills whose load is the request rate times one prefill's device time. (An earlier model
    queued each prefill behind all the device's work, decode steps included, at the replica's utilisation; against
    published p50/p99 first tokens it was 2-9x too slow.) The replica is loaded only up to the utilisation at which
    the longer p95 wait still fits in what the targets leave (`Capacity.utilisation_ceiling`), and `requests_per_s`
    is that share of the saturated rate. A llama.cpp replica with a few slots is bound by the first (its slots are
    held for whole requests); a batching engine's 256 slots absorb that randomness, and under a tight target the
    second binds. Without targets the replica is sized at saturation, as a benchmark at an unbounded rate measures
    it.
    Works element-wise over array inputs (for grids).
    """
    figures = load_figures(deployment, input_tokens, output_tokens, context_tokens, band)
    return capacity_within(figures, first_token_target_ms, total_target_ms, first_token_percentile)


@dataclass(frozen=True)
class LoadFigures:
    """What one replica does for a request shape at each batch size it may run (leading axis `batches`), before
    any latency target: the part of `capacity` that does not depend on the targets (advisor.engine.cost keeps it
    while a search tries one target after another)."""

    candidates: tuple[int, ...]
    shape: tuple[int, ...]
    batches: Any
    memory_ok: Any
    first_s: Any
    p95_s: Any
    total_s: Any
    step: Any
    saturated: Any  # requests/s with every slot always busy
    prefill_work_s: Any  # device time one request's prefill takes from the others: what a new prefill queues behind
    prefill: Any  # one request alone
    step_one: Any
    tokens_out: Any
    knee: float = 1.0  # without targets, the share of the most requests/s the batch chosen must reach (see KNEE)


def load_figures(
    deployment: Deployment, input_tokens: Any, output_tokens: Any, context_tokens: Any, band: str = "expected"
) -> LoadFigures:
    """The target-free figures of `capacity` for one deployment, request shape and speed band."""
    tokens_in = np.asarray(input_tokens, dtype=float)
    tokens_out = np.asarray(output_tokens, dtype=float)
    context = np.asarray(context_tokens, dtype=float)
    shape = np.broadcast_shapes(tokens_in.shape, tokens_out.shape, context.shape)
    # Every batch size at once, on a leading axis: one numpy expression instead of a loop (the engine calls this
    # for every model x hardware profile x speed band).
    candidates = deployment.batch_candidates
    batches = np.asarray(candidates, dtype=float).reshape((-1,) + (1,) * len(shape))
    full = (len(candidates), *shape)
    kv_position = np.minimum(tokens_in + tokens_out / 2, context)
    prefill = deployment.prefill_s(tokens_in, band)
    busy = deployment.busy_prefill_s(tokens_in, band)
    measured = deployment.measured
    held = kv_position if deployment.kv_paged else context
    memory_ok = np.broadcast_to(
        deployment.memory_gb(held, batches, "expected") * GB <= deployment.usable_memory_bytes, full
    )
    step = np.array(np.broadcast_to(deployment.decode_step_s(kv_position, batches, band), full))
    if "tokens_per_s" in measured:
        step[0] = 1.0 / measured["tokens_per_s"]
    first_s = np.array(np.broadcast_to(prefill + np.where(batches > 1, step, 0.0), full))
    if "first_token_ms" in measured:
        first_s[0] = deployment.measured_first_token_s(tokens_in)
    # Once a request's prefill starts, its first token comes in the time of first_s: what makes the p95 longer than
    # that is the wait before it (for a slot, and behind other requests' prefills), which capacity_within adds
    # at the load it chooses (catalog/validation/serving_latency.yaml checks the sum against published p50/p99).
    p95_s = first_s
    total_s = first_s + tokens_out * step + (batches - 1) * busy
    saturated = np.broadcast_to(batches / (batches * busy + tokens_out * step), full)
    prefill_work = np.broadcast_to(np.maximum(busy, 1e-6), full)  # an empty prompt still takes a moment
    step_one = deployment.decode_step_s(kv_position, 1, band)
    return LoadFigures(
        candidates,
        shape,
        batches,
        memory_ok,
        first_s,
        p95_s,
        total_s,
        step,
        saturated,
        prefill_work,
        prefill,
        step_one,
        tokens_out,
        # A continuous-batching engine admits requests as they come, so under load it runs its whole batch (what its
        # published benchmarks measure); a llama.cpp-class server runs the slots its operator starts it with.
        1.0 if deployment.kv_paged else KNEE,
    )


KNEE = 0.95
"""Without latency targets a llama.cpp-class server runs the smallest number of slots that serves at least this
share of the most requests/s any slot count reaches: the operator starts it with a slot count (-np), and past this
point more slots buy next to no throughput while every request waits longer (on a CPU, whose prefill leaves decode
batching little to gain, 64 slots buy 5% more requests for a whole answer sixty times longer than one). A
continuous-batching engine keeps the batch that serves the most (see LoadFigures.knee)."""


def capacity_within(
    figures: LoadFigures,
    first_token_target_ms: float | None = None,
    total_target_ms: float | None = None,
    first_token_percentile: Literal["expected", "p95"] = "p95",
) -> Capacity:
    """`capacity` from its target-free figures: the load each batch may run at within the targets, and the batch
    that serves the most requests/s."""
    f = figures
    shape, candidates = f.shape, f.candidates
    if not shape:
        return _capacity_within_one(f, first_token_target_ms, total_target_ms, first_token_percentile)
    full = (len(candidates), *shape)
    ok = f.memory_ok
    ceiling = np.ones(full)
    if first_token_target_ms is not None or total_target_ms is not None:
        # Seconds the targets leave for waiting in the queue: the tighter of the two.
        slack = np.full(full, np.inf)
        if first_token_target_ms is not None:
            checked = f.p95_s if first_token_percentile == "p95" else f.first_s
            slack = np.minimum(slack, first_token_target_ms / 1000 - checked)
        if total_target_ms is not None:
            slack = np.minimum(slack, total_target_ms / 1000 - f.total_s)
        for i, slots in enumerate(candidates):
            ceiling[i] = np.minimum(
                utilisation_ceiling(slots, slack[i], f.saturated[i]),
                utilisation_ceiling(1, slack[i], 1.0 / f.prefill_work_s[i]) / _prefill_share(f, i),
            )
        ok = ok & (ceiling > 0)
    rps = f.saturated * ceiling
    # The batch with the most requests/s within the targets; on a tie the smaller batch (argmax takes the first).
    # Without targets, the smallest batch within KNEE of that: a bigger one buys next to no throughput and makes
    # every request wait longer (see KNEE).
    served = np.where(ok, rps, 0.0)
    chosen = np.argmax(served, axis=0)
    if first_token_target_ms is None and total_target_ms is None:
        chosen = np.argmax(served >= f.knee * served.max(axis=0), axis=0)

    def pick(values: Any) -> Any:
        if not shape:  # one workload shape (the common case): plain indexing is ten times cheaper
            return np.broadcast_to(values, full)[int(chosen)]
        return np.take_along_axis(np.broadcast_to(values, full), chosen[None], axis=0)[0]

    meets = pick(ok) & (pick(rps) > 0)
    wait_s = np.zeros(shape)
    if first_token_target_ms is not None or total_target_ms is not None:
        for i, slots in enumerate(candidates):  # the p95 wait at the load chosen, for the batch chosen
            wait_s = np.where(chosen == i, p95_wait_at(slots, ceiling[i], f, i), wait_s)
    # Where nothing meets the targets, report the single-stream figures so the reader sees by how much.
    first_one = f.prefill * 1000
    return Capacity(
        batch=np.where(meets, pick(f.batches), 0.0),
        requests_per_s=np.where(meets, pick(rps), 0.0),
        first_token_ms=np.where(meets, pick(f.first_s) * 1000, first_one),
        total_ms=np.where(meets, pick(f.total_s) * 1000, first_one + f.tokens_out * f.step_one * 1000),
        tokens_per_s=np.where(meets, 1.0 / pick(f.step), 1.0 / f.step_one),
        meets_latency=meets,
        first_token_p95_ms=np.where(meets, pick(f.p95_s) * 1000, f.p95_s[0] * 1000),
        saturation_rps=np.where(meets, pick(f.saturated), 0.0),
        utilisation_ceiling=np.where(meets, pick(ceiling), 0.0),
        p95_wait_ms=np.where(meets, wait_s * 1000, 0.0),
    )


def _capacity_within_one(
    f: LoadFigures,
    first_token_target_ms: float | None,
    total_target_ms: float | None,
    first_token_percentile: Literal["expected", "p95"],
) -> Capacity:
    """capacity_within for one request shape, in plain floats: the same arithmetic, in the same order, as the
    array path (tests/test_fit.py checks they agree); a search over targets sizes hundreds of options this way."""
    targeted = first_token_target_ms is not None or total_target_ms is not None
    checked = f.p95_s if first_token_percentile == "p95" else f.first_s
    best, best_rps, best_ceiling = 0, 0.0, 0.0
    for i, slots in enumerate(f.candidates):
        if not f.memory_ok[i]:
            continue
        saturated = float(f.saturated[i])
        ceiling = 1.0
        if targeted:
            slack = math.inf
            if first_token_target_ms is not None:
                slack = min(slack, first_token_target_ms / 1000 - float(checked[i]))
            if total_target_ms is not None:
                slack = min(slack, total_target_ms / 1000 - float(f.total_s[i]))
            work = float(f.prefill_work_s[i])
            behind_prefills = _ceiling_one(1, slack, 1.0 / work) / (saturated * work)
            ceiling = min(_ceiling_one(slots, slack, saturated), behind_prefills)
            if ceiling <= 0:
                continue
        if saturated * ceiling > best_rps:
            best, best_rps, best_ceiling = i, saturated * ceiling, ceiling
    if not targeted and best_rps > 0:  # the smallest batch within KNEE of the most requests/s, as the array path
        best = next(
            i for i in range(len(f.candidates)) if f.memory_ok[i] and float(f.saturated[i]) >= f.knee * best_rps
        )
        best_rps = float(f.saturated[best])
    if best_rps <= 0:  # nothing meets the targets: the single-stream figures, so the reader sees by how much
        first_one = float(f.prefill) * 1000
        zero = np.asarray(0.0)
        return Capacity(
            batch=zero,
            requests_per_s=zero,
            first_token_ms=np.asarray(first_one),
            total_ms=np.asarray(first_one + float(f.tokens_out) * float(f.step_one) * 1000),
            tokens_per_s=np.asarray(1.0 / float(f.step_one)),
            meets_latency=np.bool_(False),
            first_token_p95_ms=np.asarray(float(f.p95_s[0]) * 1000),
            saturation_rps=zero,
            utilisation_ceiling=zero,
            p95_wait_ms=zero,
        )
    saturated = float(f.saturated[best])
    wait = 0.0
    if targeted:  # the longer of the waits for a slot and behind other prefills (see p95_wait_at), in plain floats
        work = float(f.prefill_work_s[best])
        wait = max(
            _wait_one(f.candidates[best], best_ceiling, saturated),
            _wait_one(1, best_ceiling * saturated * work, 1.0 / work),
        )
    return Capacity(
        batch=np.asarray(float(f.candidates[best])),
        requests_per_s=np.asarray(best_rps),
        first_token_ms=np.asarray(float(f.first_s[best]) * 1000),
        total_ms=np.asarray(float(f.total_s[best]) * 1000),
        tokens_per_s=np.asarray(1.0 / float(f.step[best])),
        meets_latency=np.bool_(True),
        first_token_p95_ms=np.asarray(float(f.p95_s[best]) * 1000),
        saturation_rps=np.asarray(saturated),
        utilisation_ceiling=np.asarray(best_ceiling),
        p95_wait_ms=np.asarray(wait * 1000),
    )


def _prefill_share(f: LoadFigures, i: int) -> Any:
    """The share of the device's time that prefills take with batch candidate `i` at saturation: the device's
    utilisation by prefills is this times the replica's utilisation."""
    return np.asarray(f.saturated[i]) * np.asarray(f.prefill_work_s[i])


def p95_wait_at(slots: int, utilisation: Any, f: LoadFigures, i: int) -> Any:
    """The p95 wait before a request's prefill starts at `utilisation` of batch candidate `i`: the longer of the
    wait for a free slot and the wait behind other requests' prefills (see capacity)."""
    for_slot = p95_wait_s(slots, utilisation, f.saturated[i])
    for_device = p95_wait_s(1, utilisation * _prefill_share(f, i), 1.0 / np.asarray(f.prefill_work_s[i]))
    return np.maximum(for_slot, for_device)


def _wait_one(slots: int, utilisation: float, saturated_rps: float) -> float:
    """p95_wait_s for one replica shape, in plain floats (np.interp's arithmetic)."""
    wait, rho = _wait_lists(int(slots))
    if utilisation <= rho[0]:
        return wait[0] / saturated_rps
    if utilisation >= rho[-1]:
        return math.inf if utilisation > rho[-1] else wait[-1] / saturated_rps
    j = bisect.bisect_right(rho, utilisation)
    share = (utilisation - rho[j - 1]) / (rho[j] - rho[j - 1])
    return (wait[j - 1] + share * (wait[j] - wait[j - 1])) / saturated_rps


def _ceiling_one(slots: int, slack_s: float, saturated_rps: float) -> float:
    """utilisation_ceiling for one replica shape, in plain floats (np.interp's arithmetic)."""
    if slack_s < 0:
        return 0.0
    wait, rho = _wait_lists(int(slots))
    x = slack_s * saturated_rps
    if x >= wait[-1]:
        return rho[-1]
    j = bisect.bisect_right(wait, x)  # wait[j - 1] <= x < wait[j]; wait[0] == 0 <= x
    return rho[j - 1] + (x - wait[j - 1]) * (rho[j] - rho[j - 1]) / (wait[j] - wait[j - 1])


@functools.cache
def _wait_lists(slots: int) -> tuple[list[float], list[float]]:
    wait, rho = _wait_table(slots)
    return wait.tolist(), rho.tolist()


@functools.cache
def _wait_table(slots: int) -> tuple[np.ndarray, np.ndarray]:
    """The p95 wait for a slot of an M/M/c queue with `slots` servers, in units of the mean time between
    completions at saturation, at each utilisation of _UTILISATION_GRID; as (wait, utilisation) from the highest
    utilisation with no p95 wait on, both strictly increasing (for np.interp either way).

    Erlang C: a request waits with probability C = B / (1 - rho (1 - B)), B the Erlang B blocking probability
    (recursion B_k = a B_(k-1) / (k + a B_(k-1)), a = rho c offered load), and then for an exponential time of rate
    c mu (1 - rho); so P(wait > t) = C exp(-c mu (1 - rho) t), and the p95 wait is ln(C / 0.05) / (c mu (1 - rho)),
    zero where C <= 0.05. c mu is the saturated rate."""
    rho = _UTILISATION_GRID
    offered = rho * slots
    blocking = np.ones_like(rho)
    for k in range(1, slots + 1):
        blocking = offered * blocking / (k + offered * blocking)
    waiting = blocking / (1 - rho * (1 - blocking))
    with np.errstate(divide="ignore"):
        wait = np.where(waiting > P95_WAIT_SHARE, np.log(waiting / P95_WAIT_SHARE) / (1 - rho), 0.0)
    start = int(np.flatnonzero(wait == 0)[-1])
    wait, rho = wait[start:], rho[start:]
    rising = np.concatenate([[True], np.diff(wait) > 0])
    return wait[rising], rho[rising]


def utilisation_ceiling(slots: int, slack_s: Any, saturated_rps: Any) -> Any:
    """The highest utilisation at which a replica of `slots` slots keeps its p95 wait for a slot within `slack_s`
    seconds (0 when the slack is negative: the targets are missed even on an idle replica)."""
    wait, rho = _wait_table(int(slots))
    slack = np.asarray(slack_s, dtype=float)
    with np.errstate(invalid="ignore"):
        allowed = np.interp(slack * np.asarray(saturated_rps, dtype=float), wait, rho)
    return np.where(slack >= 0, allowed, 0.0)


def p95_wait_s(slots: int, utilisation: Any, saturated_rps: Any) -> Any:
    """The p95 wait for a free slot, in seconds, on a replica of `slots` slots loaded to `utilisation` of its
    `saturated_rps`: requests arriving at random (Poisson) and holding a slot for a random (exponential) time,
    an M/M/c queue. Continuous batching frees a slot whenever any sequence ends, so its many slots absorb the
    randomness that makes a one-slot server wait."""
    wait, rho = _wait_table(int(slots))
    rate = np.asarray(saturated_rps, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(rate > 0, np.interp(utilisation, rho, wait, left=0.0, right=np.inf) / rate, np.inf)


def replicas_needed(requests_per_day: Any, peak_factor: Any, hours_per_day: Any, replica_rps: Any) -> Any:
    """Replicas to serve the peak rate: traffic falls in the hours capacity is up, peaks at peak_factor x mean."""
    peak_rps = np.asarray(requests_per_day, dtype=float) / (np.asarray(hours_per_day, dtype=float) * 3600)
    peak_rps = peak_rps * np.asarray(peak_factor, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        needed = np.ceil(peak_rps / np.asarray(replica_rps, dtype=float))
    return np.where(np.asarray(replica_rps) > 0, np.maximum(needed, 1), np.inf)
