"""Pydantic schema for the catalog files: open-weight models, quantisations, hardware, tasks, API model notes.

Every figure a file carries must name where it came from: each entry has a ``sources`` map whose keys are the
figures (or groups of figures) it backs, and a validator refuses an entry whose figure has no source.
"""

from __future__ import annotations

import re
import statistics
from typing import Annotated, Literal

from pydantic import Field, model_validator

from advisor.schema.base import ID_PATTERN, Record
from advisor.schema.vocabulary import REASONING_EFFORTS, Capability


def _require_sources(sources: dict[str, str], needed: dict[str, object], where: str) -> None:
    missing = [key for key, value in needed.items() if value is not None and key not in sources]
    if missing:
        raise ValueError(f"{where}: figures without a source: {', '.join(missing)} (add them under `sources`)")


class Benchmark(Record):
    """One published benchmark score."""

    name: str = Field(description="Benchmark id, lowercase: mmlu, mmlu_pro, gsm8k, humaneval, math, gpqa, ...")
    score: float = Field(ge=0, le=100, description="Score in percent as published.")
    setting: str | None = Field(default=None, description="Shots / variant as published, e.g. '5-shot'.")
    source: str = Field(min_length=4, description="URL or document (title, table) the score is taken from.")


class Architecture(Record):
    """Transformer shape figures that decide KV-cache size and speed (from the model's config.json)."""

    layers: int = Field(gt=0, description="Number of transformer blocks.")
    attention_heads: int = Field(gt=0, description="Query heads per layer.")
    kv_heads: int = Field(gt=0, description="Key/value heads per layer (fewer than query heads under GQA/MQA).")
    head_dim: int = Field(gt=0, description="Dimension of one attention head.")
    hidden_size: int = Field(gt=0, description="Model (embedding) width.")
    vocab_size: int = Field(gt=0, description="Tokenizer vocabulary size.")
    sliding_window: int | None = Field(
        default=None, gt=0, description="Tokens a sliding-window attention layer keeps; null when none."
    )
    sliding_window_layers: int = Field(
        default=0, ge=0, description="How many of `layers` use the sliding window; the rest attend globally."
    )

    @model_validator(mode="after")
    def _window_layout(self) -> Architecture:
        if self.sliding_window_layers > self.layers:
            raise ValueError("sliding_window_layers cannot exceed layers")
        if self.sliding_window_layers and self.sliding_window is None:
            raise ValueError("sliding_window_layers is set but sliding_window is null")
        if self.kv_heads > self.attention_heads:
            raise ValueError("kv_heads cannot exceed attention_heads")
        return self


class GgufFile(Record):
    """A known GGUF file of the model, so memory uses the real size rather than params x bytes/param."""

    quant: str
    size_bytes: int = Field(gt=0)
    source: str = Field(min_length=4)


class OpenWeightModel(Record):
    """An open-weight model people run locally or self-host."""

    id: str = Field(pattern=ID_PATTERN, description="Stable catalog id, e.g. llama-3.1-8b-instruct.")
    name: str
    family: str = Field(default="", description="Filled from the file's `family`.")
    hf_repo: str | None = Field(default=None, description="Hugging Face repo of the original weights.")
    params_b: float = Field(gt=0, description="Total parameters, billions.")
    active_params_b: float | None = Field(
        default=None, gt=0, description="Parameters active per token (MoE), billions; null for dense models."
    )
    experts: int | None = Field(default=None, gt=0, description="Experts per MoE layer.")
    experts_active: int | None = Field(default=None, gt=0, description="Experts routed per token.")
    architecture: Architecture
    context_tokens: int = Field(gt=0, description="Native context window in tokens.")
    license: str = Field(description="Licence id, e.g. apache-2.0, llama3.1, gemma, mit.")
    instruction_tuned: bool = True
    release: str | None = Field(
        default=None, pattern=r"^\d{4}-\d{2}$", description="Release month, YYYY-MM (unknown for a local GGUF)."
    )
    multilingual: bool = Field(default=False, description="Trained and evaluated for many languages.")
    languages: list[str] | Literal["broad"] | None = Field(
        default=None,
        description="Languages the model card names as supported (ISO 639-1 codes), or 'broad' where the card "
        "claims 100+ languages without listing them; null where the card names none (the rules file's "
        "well-covered languages are assumed).",
    )
    vision: bool = Field(default=False, description="Accepts images as input (the model card says so).")
    benchmarks: list[Benchmark] = Field(default_factory=list)
    gguf_files: list[GgufFile] = Field(default_factory=list)
    sources: dict[str, str] = Field(
        description="Where each figure comes from. Keys: params, architecture, context, license (+ active_params, "
        "languages, vision)."
    )

    @model_validator(mode="after")
    def _sources_cover_claims(self) -> OpenWeightModel:
        _require_sources(self.sources, {"languages": self.languages, "vision": self.vision or None}, f"model {self.id}")
        if isinstance(self.languages, list):
            bad = [code for code in self.languages if not re.fullmatch(r"[a-z]{2,3}", code)]
            if bad:
                raise ValueError(f"model {self.id}: languages: ISO 639 codes in lower case, got {bad}")
        return self

    @property
    def active_b(self) -> float:
        """Parameters read per generated token, billions (all of them for a dense model)."""
        return self.active_params_b if self.active_params_b is not None else self.params_b

    @property
    def is_moe(self) -> bool:
        return self.active_params_b is not None and self.active_params_b < self.params_b

    @property
    def capability_hint(self) -> Capability:
        """A rough tier for ranking, on the scale api_models.yaml uses for API models.

        frontier: MMLU >= 85 from a model of 60B+ parameters (Llama 3.3 70B, gpt-oss-120b). A smaller model that
        scores that high on MMLU (gpt-oss-20b) is a reasoning model its providers place in the standard tier.
        standard: 7B+ parameters or MMLU >= 65. basic: the rest. MMLU is the one score most model cards publish;
        parameters stand in where it is missing.
        """
        mmlu = self.score("mmlu")
        if mmlu is not None and mmlu >= 85 and self.params_b >= 60:
            return "frontier"
        if self.params_b >= 7 or (mmlu is not None and mmlu >= 65):
            return "standard"
        return "basic"

    def score(self, benchmark: str) -> float | None:
        for entry in self.benchmarks:
            if entry.name == benchmark:
                return entry.score
        return None

    @model_validator(mode="after")
    def _sources_cover_figures(self) -> OpenWeightModel:
        _require_sources(
            self.sources,
            {
                "params": self.params_b,
                "architecture": self.architecture,
                "context": self.context_tokens,
                "license": self.license,
                "active_params": self.active_params_b,
            },
            self.id,
        )
        if self.active_params_b is not None and self.active_params_b > self.params_b:
            raise ValueError(f"{self.id}: active_params_b exceeds params_b")
        return self


class ModelFamilyFile(Record):
    """One file under catalog/models/: a family of open-weight models from one vendor."""

    family: str
    vendor: str
    models: list[OpenWeightModel] = Field(min_length=1)


class Quantization(Record):
    """A weight format (a llama.cpp GGUF type, or a precision the batching engines run) and its storage cost."""

    id: str = Field(description="Format name: a llama.cpp type (Q4_K_M) or a precision (BF16, FP8, INT4-AWQ).")
    bits_per_weight: float = Field(gt=0, le=32, description="Average bits stored per weight.")
    quality_note: str = Field(description="What the format costs in quality, as the source measured it.")
    source: str = Field(min_length=4)
    engines: list[str] = Field(
        default_factory=lambda: ["llama.cpp"], description="Serving engines (efficiency.yaml `engines`) that run it."
    )
    compute: Literal["fp16", "fp8"] = Field(
        default="fp16",
        description="Tensor-core rate the matrix products run at: fp8 uses the hardware's `fp8_tflops` where it "
        "has one (Ada, Hopper, Blackwell), fp16 otherwise; weight-only formats dequantise to 16 bits.",
    )

    @property
    def bytes_per_param(self) -> float:
        return self.bits_per_weight / 8


class QuantFile(Record):
    quantizations: list[Quantization] = Field(min_length=1)


HardwareKind = Literal["cpu", "apple_silicon", "consumer_gpu", "datacenter_gpu", "edge"]

RentClass = Literal["hyperscaler", "neocloud", "marketplace"]
"""Who rents a GPU out: a hyperscaler (AWS, Azure, Google Cloud: whole VMs, list prices), a neocloud (GPU clouds such
as Lambda, CoreWeave, Crusoe, Nebius, Hyperstack, RunPod Secure Cloud) or a marketplace (hosts' own machines listed
for rent: RunPod Community Cloud, Vast.ai, TensorDock)."""

RENT_CLASSES: tuple[RentClass, ...] = ("hyperscaler", "neocloud", "marketplace")

RENT_DATE_PATTERN = r"^(\d{4}-\d{2}(-\d{2})?|undated, read \d{4}-\d{2})$"


class Rent(Record):
    """One published on-demand rent for one device of a card, with the document it was read in and its date."""

    provider_class: RentClass = Field(description="hyperscaler, neocloud or marketplace (see RentClass).")
    provider: str = Field(min_length=1, description="Who rents it out, e.g. AWS, Lambda, RunPod Community Cloud.")
    offer: str = Field(min_length=1, description="The offer as the provider names it: instance type, tier, region.")
    usd_per_hour: float = Field(
        gt=0, description="On-demand rent per device, USD/h (an 8-GPU instance's price divided by 8)."
    )
    as_of: str = Field(
        pattern=RENT_DATE_PATTERN,
        description="When the price was read or published, YYYY-MM-DD (or YYYY-MM); 'undated, read YYYY-MM' when "
        "the document carries no date.",
    )
    source: str = Field(pattern=r"^https?://", description="URL of the document the figure was actually read in.")
    origin: str | None = Field(
        default=None,
        min_length=4,
        description="The vendor page or API the figure comes from, when `source` is a transcription of it.",
    )


class HardwareProfile(Record):
    """A machine or accelerator a local / self-hosted model can run on."""

    id: str = Field(pattern=ID_PATTERN, description="Stable id, e.g. rtx-4090.")
    name: str
    aliases: list[str] = Field(default_factory=list, description="Other names users type, e.g. 'RTX 4090'.")
    kind: HardwareKind
    memory_gb: float = Field(gt=0, description="Memory the model can live in: VRAM, unified memory or RAM (GB).")
    usable_memory_fraction: float = Field(
        default=1.0,
        gt=0,
        le=1,
        description="Share of memory_gb a model may use (unified memory and system RAM leave room for the OS).",
    )
    memory_bandwidth_gbs: float = Field(gt=0, description="Peak memory bandwidth, GB/s.")
    fp16_tflops: float = Field(gt=0, description="Peak dense FP16 matrix throughput, TFLOPS.")
    fp8_tflops: float | None = Field(
        default=None, gt=0, description="Peak dense FP8 matrix throughput, TFLOPS; null where there is no FP8 path."
    )
    power_w: float = Field(gt=0, description="Typical board / system power under inference load, watts.")
    cpu_cores: int | None = Field(default=None, gt=0, description="Cores, for CPU-only profiles.")
    purchase_usd: float | None = Field(default=None, gt=0, description="Purchase price (list / launch), USD.")
    cloud_usd_per_hour: float | None = Field(default=None, gt=0, description="On-demand rent per device, USD/h.")
    cloud_offer: str | None = Field(default=None, description="Which offer the hourly rate is, e.g. instance type.")
    rents: list[Rent] = Field(
        default_factory=list,
        description="Published on-demand rents per device from hyperscalers, neoclouds and marketplaces, each with its "
        "source and date; `assumptions.rent_class` prices a rented card at its class's median.",
    )
    as_of: str = Field(pattern=r"^\d{4}-\d{2}$", description="Month the prices were read, YYYY-MM.")
    sources: dict[str, str] = Field(
        description="Keys: memory, bandwidth, fp16_tflops, power (+ purchase, cloud, usable_memory)."
    )

    @property
    def usable_memory_gb(self) -> float:
        return self.memory_gb * self.usable_memory_fraction

    @model_validator(mode="after")
    def _sources_cover_figures(self) -> HardwareProfile:
        _require_sources(
            self.sources,
            {
                "memory": self.memory_gb,
                "bandwidth": self.memory_bandwidth_gbs,
                "fp16_tflops": self.fp16_tflops,
                "fp8_tflops": self.fp8_tflops,
                "power": self.power_w,
                "purchase": self.purchase_usd,
                "cloud": self.cloud_usd_per_hour,
                "usable_memory": self.usable_memory_fraction if self.usable_memory_fraction < 1 else None,
            },
            self.id,
        )
        if (self.cloud_usd_per_hour is None) != (self.cloud_offer is None):
            raise ValueError(f"{self.id}: cloud_usd_per_hour and cloud_offer go together")
        if self.rents and self.cloud_usd_per_hour is None:
            # Without a named offer a class the card has no rent for would leave it unpriced.
            raise ValueError(f"{self.id}: rents need a default cloud_usd_per_hour / cloud_offer too")
        return self

    def rents_of(self, provider_class: RentClass) -> list[Rent]:
        """The card's rents from one provider class, cheapest first."""
        return sorted((r for r in self.rents if r.provider_class == provider_class), key=lambda r: r.usd_per_hour)

    def rent_band(self, provider_class: RentClass) -> Band | None:
        """low = the cheapest rent of the class, expected = the median, high = the dearest; None without one."""
        prices = [r.usd_per_hour for r in self.rents_of(provider_class)]
        if not prices:
            return None
        return Band(low=prices[0], expected=statistics.median(prices), high=prices[-1])

    def rent_usd_per_hour(self, provider_class: RentClass | None = None) -> float | None:
        """USD per device-hour when rented from `provider_class`.

        None: the card's one named offer (`cloud_usd_per_hour`). A class: the median of the card's rents from that
        class. A class the card has no rent for falls back to the named offer, so choosing a class never makes a
        rentable card unrentable (and a card with no named offer stays unpriced: None).
        """
        if provider_class is not None:
            band = self.rent_band(provider_class)
            if band is not None:
                return band.expected
        return self.cloud_usd_per_hour


class HardwareFile(Record):
    vendor: str
    hardware: list[HardwareProfile] = Field(min_length=1)


class TaskKind(Record):
    """A kind of work the trade-off literature names, with its typical token shape."""

    id: str = Field(pattern=ID_PATTERN)
    name: str
    description: str
    input_tokens: int = Field(gt=0, description="Typical mean tokens in per request.")
    output_tokens: int = Field(gt=0, description="Typical mean tokens out per request.")
    capability: Capability = Field(description="How strong a model the task usually needs.")
    nature: Literal["narrow", "open"] = Field(description="Narrow, well-defined work vs open-ended work.")
    source: str = Field(min_length=4, description="Article and section the classification comes from.")


class TaskFile(Record):
    tasks: list[TaskKind] = Field(min_length=1)


class ApiLatencyMeasured(Record):
    """One model's own published latency figures, which replace its latency class's where given."""

    first_token_ms: float | None = Field(
        default=None, gt=0, description="Median (p50) time to the first visible answer token, ms."
    )
    first_token_p95_ms: float | None = Field(
        default=None, gt=0, description="95th-percentile time to the first visible token, ms, where published."
    )
    prompt_tokens: int | None = Field(
        default=None,
        gt=0,
        description="Prompt length the first-token figures were taken with; null when the source does not say "
        "(then taken as `api_latency_base_prompt_tokens`).",
    )
    output_tokens_per_s: float | None = Field(
        default=None, gt=0, description="Median visible output tokens per second once the answer streams."
    )
    source: str = Field(
        pattern=r"https?://", description="Page (URL) and the section or table row the figures are read from."
    )
    date: str = Field(
        min_length=4,
        description="When the figures were measured or published (YYYY-MM or YYYY-MM-DD); 'undated, read YYYY-MM' "
        "when the page carries no date.",
    )

    @model_validator(mode="after")
    def _has_a_figure(self) -> ApiLatencyMeasured:
        if self.first_token_ms is None and self.output_tokens_per_s is None:
            raise ValueError("latency: give first_token_ms, output_tokens_per_s or both")
        if self.first_token_p95_ms is not None:
            if self.first_token_ms is None:
                raise ValueError("latency: first_token_p95_ms needs the median first_token_ms")
            if self.first_token_p95_ms < self.first_token_ms:
                raise ValueError("latency: first_token_p95_ms must be >= first_token_ms")
        return self


class ReasoningVariant(Record):
    """The same API model at another reasoning setting (minimal effort, thinking off): an option of its own, with
    its own speed, bill and tier. Same price per token; fewer hidden tokens."""

    effort: str = Field(
        pattern=ID_PATTERN,
        description="The setting as the API takes it: reasoning_effort 'minimal', or 'thinking-off' for a "
        "thinking budget of 0.",
    )
    label: str = Field(min_length=1, max_length=40, description="How the option names it, e.g. 'minimal effort'.")
    api_effort: str | None = Field(
        default=None,
        description="The chat completions `reasoning_effort` that selects this setting on the provider's "
        "OpenAI-compatible endpoint, where it is not `effort` itself (Gemini: 'none' turns thinking off); a live run "
        "that sent it measures this option.",
    )
    latency_class: str = Field(pattern=ID_PATTERN, description="Its latency class (efficiency.yaml api_latency).")
    latency: ApiLatencyMeasured | None = Field(default=None, description="Its own measured latency, when published.")
    output_multiplier: float = Field(
        default=1.0, ge=1.0, le=100.0, description="Billed output tokens per visible output token at this setting."
    )
    capability_tier: Capability = Field(
        description="The tier it answers at: the catalog's benchmark scores were published with reasoning on, so a "
        "variant without it is placed a tier lower unless a score at its own setting is published."
    )
    source: str = Field(min_length=10, description="The API setting's documentation, and where its figures come from.")

    @model_validator(mode="after")
    def _known_effort(self) -> ReasoningVariant:
        if self.api_effort is not None and self.api_effort not in REASONING_EFFORTS:
            raise ValueError(f"api_effort: must be one of {' | '.join(REASONING_EFFORTS)}, got {self.api_effort!r}")
        return self

    @property
    def sent_effort(self) -> str:
        """The `reasoning_effort` a request sends to get this setting."""
        return self.api_effort or self.effort


class ApiReasoning(Record):
    """How a reasoning model's hidden thinking is billed at its default setting, and its other settings."""

    default_effort: str = Field(pattern=ID_PATTERN, description="The setting requests get unless they ask otherwise.")
    output_multiplier: float = Field(
        ge=1.0,
        le=100.0,
        description="Billed output tokens (hidden reasoning + the visible answer) per visible answer token at the "
        "default setting: the model's total output tokens over the same questions answered without reasoning.",
    )
    source: str = Field(min_length=10, description="Where the multiplier comes from: the measurement and its date.")
    billing_source: str = Field(
        pattern=r"^https?://", description="The provider's page saying hidden reasoning is billed as output tokens."
    )
    variants: list[ReasoningVariant] = Field(default_factory=list)


class ApiModelNote(Record):
    """What prices lack for an API model people compare: its class, tier, window and scores."""

    provider: str = Field(description="genai-prices provider id, e.g. openai, groq.")
    model: str = Field(description="genai-prices model id, e.g. gpt-4o-mini.")
    name: str
    size_class: Literal["slm", "llm"] = Field(description="slm: a small model served by an API (<= ~15B).")
    capability_tier: Capability
    latency_class: str = Field(
        pattern=ID_PATTERN,
        description="How fast the hosted model answers: a class id under `api_latency` in efficiency.yaml "
        "(fast, standard, reasoning, accelerated).",
    )
    context_tokens: int = Field(gt=0)
    params_b: float | None = Field(default=None, gt=0, description="Published parameter count, billions.")
    open_weight_model: str | None = Field(default=None, description="Catalog id when the API serves an open model.")
    vision: bool = Field(default=False, description="The API accepts images as input for this model.")
    fine_tuning: bool = Field(
        default=False, description="The provider offers fine-tuning of this model on the team's own examples."
    )
    latency: ApiLatencyMeasured | None = Field(
        default=None,
        description="The model's own measured first token and output speed, each with its source and date; where "
        "given they replace the latency class's figures, which still set the band widths and prompt reading.",
    )
    reasoning: ApiReasoning | None = Field(
        default=None,
        description="A reasoning model's hidden thinking (billed as output tokens) and its other reasoning "
        "settings, each an option of its own.",
    )
    benchmarks: list[Benchmark] = Field(default_factory=list)
    sources: dict[str, str] = Field(
        description="Keys: context, capability_tier, latency_class (+ params, vision, fine_tuning)."
    )

    @model_validator(mode="after")
    def _sources_cover_figures(self) -> ApiModelNote:
        _require_sources(
            self.sources,
            {
                "context": self.context_tokens,
                "capability_tier": self.capability_tier,
                "latency_class": self.latency_class,
                "params": self.params_b,
                "vision": self.vision or None,
                "fine_tuning": self.fine_tuning or None,
            },
            f"{self.provider}/{self.model}",
        )
        return self


class ApiModelFile(Record):
    api_models: list[ApiModelNote] = Field(min_length=1)


class Band(Record):
    """A low / expected / high figure."""

    low: float = Field(gt=0)
    expected: float = Field(gt=0)
    high: float = Field(gt=0)

    @model_validator(mode="after")
    def _ordered(self) -> Band:
        if not self.low <= self.expected <= self.high:
            raise ValueError("band must satisfy low <= expected <= high")
        return self


class EfficiencyFactor(Record):
    """How much of a hardware peak llama.cpp-class runtimes reach, with the measurement it comes from."""

    decode_bandwidth: Band = Field(description="Achieved share of peak memory bandwidth while decoding.")
    prefill_compute: Band = Field(description="Achieved share of peak FP16 throughput while reading the prompt.")
    runtime_overhead_gb: Band = Field(description="Runtime buffers and compute graph beyond weights + KV, GB.")
    per_token_overhead_ms: Band = Field(description="Fixed time per generated token beyond reading weights.")
    source: str = Field(min_length=4)


class EngineEfficiency(Record):
    """An engine's own efficiency on one hardware kind; figures left out are the kind's llama.cpp figures."""

    decode_bandwidth: Band | None = None
    prefill_compute: Band | None = None
    runtime_overhead_gb: Band | None = None
    per_token_overhead_ms: Band | None = None
    source: str = Field(min_length=4)


class ServingEngine(Record):
    """A serving runtime: how it batches, holds the KV cache and overlaps per-request work."""

    name: str
    batching: Literal["slots", "continuous"] = Field(
        description="slots: a fixed number of server slots (llama.cpp); continuous: requests join and leave the "
        "running batch every step (vLLM, SGLang, TensorRT-LLM)."
    )
    max_batch: int = Field(gt=0, description="Most sequences decoded together (default max-num-seqs or slots).")
    memory_fraction: float = Field(
        gt=0, le=1, description="Share of the device memory the engine takes for weights, activations and KV cache."
    )
    kv_paged: bool = Field(
        description="KV cache allocated in blocks as tokens arrive (sequences hold their mean length), rather "
        "than reserved for the full context per slot."
    )
    kv_cache_bytes_per_element: float = Field(gt=0, description="Default KV cache element size, bytes.")
    request_overhead_serialised: bool = Field(
        description="The fixed per-request time (tokenising, scheduling) blocks the device: true for llama.cpp's "
        "single loop, false where a separate process overlaps it with the running batch."
    )
    per_sequence_step_ms: Band | None = Field(
        default=None,
        description="Host time each running sequence adds to a decode step (scheduling, sampling, detokenising, "
        "streaming), ms; a batch of B sequences adds B times this.",
    )
    weight_only_compute: Band | None = Field(
        default=None,
        description="Share of the FP16 tensor rate that matrix products reach with weight-only formats "
        "(INT4-AWQ; FP8 or MXFP4 on cards without those tensor cores), against BF16's.",
    )
    prefill_compute_by_hardware: dict[str, Band] = Field(
        default_factory=dict,
        description="Hardware profile id -> the engine's compute share on that card where it differs from its kind's.",
    )
    tp_allreduce_ms: Band | None = Field(
        default=None,
        description="Fixed time of one all-reduce between two cards of a tensor-parallel replica (launch and "
        "synchronisation, before the bytes), ms; n cards take log2(n) times it, and each layer pays two per decode "
        "step and per prefill.",
    )
    by_kind: dict[HardwareKind, EngineEfficiency] = Field(default_factory=dict)
    source: str = Field(min_length=4)


class ApiLatencyClass(Record):
    """How fast one kind of hosted API model answers, as measured from the caller's side of the network."""

    first_token_ms: Band = Field(
        description="Time to the first visible token for a prompt of up to `api_latency_base_prompt_tokens`, "
        "ms: low = a fast provider's p50, expected = a typical p50, high = a typical p95. For reasoning models "
        "it includes the hidden thinking before the answer starts."
    )
    tokens_per_s: Band = Field(
        description="Visible output tokens per second once the answer streams; low is the slow end."
    )
    prompt_tokens_per_s: Band = Field(
        description="Prompt tokens read per second beyond `api_latency_base_prompt_tokens`, which lengthen the "
        "first-token time of long prompts; low is the slow end."
    )
    source: str = Field(min_length=4, description="Pages and dates the figures come from.")


class EfficiencyFile(Record):
    by_kind: dict[HardwareKind, EfficiencyFactor]
    request_overhead_ms: Band = Field(description="Fixed per-request time: tokenising, scheduling, sampling set-up.")
    request_overhead_source: str
    kv_cache_bytes_per_element: float = Field(gt=0, description="KV cache element size (llama.cpp default F16).")
    kv_cache_source: str
    api_latency: dict[Annotated[str, Field(pattern=ID_PATTERN)], ApiLatencyClass] = Field(
        min_length=1, description="Latency class id -> bands for hosted API models (api_models.yaml `latency_class`)."
    )
    api_latency_base_prompt_tokens: int = Field(
        gt=0, description="Prompt size the `first_token_ms` bands were measured with; longer prompts add reading time."
    )
    engines: dict[Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9.\-]*$")], ServingEngine] = Field(
        default_factory=dict, description="Serving engine id -> how it batches and its efficiencies."
    )
    default_engine: dict[HardwareKind, str] = Field(
        default_factory=dict,
        description="The engine assumed on each hardware kind when none is asked for (llama.cpp where not named).",
    )
    interconnect_gbs: dict[str, float] = Field(
        default_factory=dict,
        description="Hardware profile id -> GB/s one card sends to its peers in each direction (NVLink, else PCIe), "
        "for the all-reduces of a tensor-parallel replica; a card not named pays only the fixed all-reduce time.",
    )
    interconnect_source: str = Field(default="", description="Where the interconnect figures come from.")

    @model_validator(mode="after")
    def _engines_known(self) -> EfficiencyFile:
        for kind, engine in self.default_engine.items():
            if engine != "llama.cpp" and engine not in self.engines:
                raise ValueError(f"default_engine.{kind}: {engine!r} is not under `engines`")
        return self
