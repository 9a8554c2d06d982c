"""Pydantic models of the JSON that `advisor recommend`, `advisor fit` and `advisor compare` print for other tools,
from which docs/schemas/*.schema.json are generated (`python -m advisor.schema.outputs docs/schemas`).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from advisor.schema.vocabulary import Capability, DeploymentKind, Kind

OptionBasis = Literal["estimated", "measured", "published"]
"""Where an option's speed figures come from: the fit estimate, a stored measured run, or a provider's published
figures (API models)."""

FitBasis = Literal["estimated", "measured"]
"""Where a fit's speed figures come from: the estimate, or a stored measured run for this model, quant and hardware."""

ChangeFactor = Literal["volume", "first_token_target", "privacy", "quality", "ops"]
"""What a `what_would_change` entry varies."""

HybridPattern = Literal["router", "cascade"]
"""router: a router sends each request to one side; cascade: the small model answers first, hard ones escalate."""

ScoreVerdict = Literal["match", "mismatch", "not_scored"]
"""How a compare answer fared against the sample prompt's expected answer."""


class _Output(BaseModel):
    """Base of every output model: no unknown keys, and no quiet coercion ('3' is not a number)."""

    model_config = ConfigDict(extra="forbid", strict=True)


# ------------------------------------------------------------------------------------------------ recommendation
class ReasonOutput(_Output):
    """A rule that fired for a workload: a hard rule that excluded options, or a soft rule that added points."""

    rule: str = Field(description="Rule id from the rules file (catalog/rules.yaml or the file passed with --rules).")
    effect: str = Field(
        description="What the rule did, in words: 'excluded 4 options (providers: ...)' for a hard rule, "
        "'slm +2, hybrid +1' for a soft one, 'note' for a soft rule with no points."
    )
    text: str = Field(description="The rule's plain-language explanation, filled in with this workload's figures.")
    source: str = Field(description="Which published trade-off or product convention the rule encodes.")


class BreakdownOutput(_Output):
    """Expected monthly cost split by what it pays for, USD a month; null where a figure is not finite."""

    api_usd: float | None = Field(description="Tokens sent to third-party APIs, USD a month.")
    hardware_usd: float | None = Field(
        description="Own or rented hardware: amortised purchase or hourly rent for the replicas, USD a month."
    )
    energy_usd: float | None = Field(description="Electricity for own hardware, USD a month.")
    ops_usd: float | None = Field(description="Staff and maintenance share for self-hosting, USD a month.")


class QualityRangeOutput(_Output):
    """Quality of a hybrid relative to the large model alone (1.0 = the same), from a routing benchmark."""

    random_routing: float | None = Field(description="With a router that picks at random; null when unknown.")
    oracle_routing: float | None = Field(
        description="With a perfect router (may exceed 1.0 when the small model is right where the large one is "
        "not); null when unknown."
    )


class HybridOutput(_Output):
    """Both sides of a hybrid option."""

    pattern: HybridPattern = Field(description="router or cascade.")
    small_model: str = Field(
        description="The small model: a genai-prices model id when it is served by an API, else a catalog id."
    )
    small_provider: str | None = Field(
        default=None, description="genai-prices provider id of the small side; null when it runs on own hardware."
    )
    small_hardware: str | None = Field(description="Hardware id the small model runs on; null when it is an API.")
    small_quant: str | None = Field(description="Quantisation of the small model, e.g. Q4_K_M.")
    large_model: str = Field(
        description="The large model: a genai-prices model id when it is served by an API, else a catalog id."
    )
    large_provider: str | None = Field(
        description="genai-prices provider id of the large side; null when it runs on own or rented hardware."
    )
    large_hardware: str | None = Field(description="Hardware id of the large side; null when it is an API.")
    small_share: float | None = Field(description="Share of requests the small model keeps, 0..1.")
    quality_vs_large: QualityRangeOutput = Field(description="Expected quality relative to the large model alone.")
    routing_source: str | None = Field(description="Where the routed share and quality figures come from.")


class OptionOutput(_Output):
    """One way to serve a workload, with its cost at the workload's volume and the hard rules it broke."""

    # The keys the contract requires.
    kind: Kind = Field(description="Model class: slm, llm or hybrid.")
    model: str = Field(
        description="The model: a genai-prices model id for an API model (for a hybrid, its large side's id), "
        "else the catalog model id."
    )
    provider: str | None = Field(
        description="genai-prices provider id whenever any traffic goes to a third-party API (an API model, or the "
        "API side of a hybrid); null when everything runs on own or rented hardware."
    )
    hardware: str | None = Field(
        description="Hardware id the local / self-hosted side runs on (for a hybrid, the small side's); null for a "
        "pure API option."
    )
    monthly_cost_usd: float | None = Field(
        description="Expected monthly cost, USD; null when it cannot be computed (not finite)."
    )
    cost_low_usd: float | None = Field(description="Cheap end of the monthly cost band, USD; null when not finite.")
    cost_high_usd: float | None = Field(description="Dear end of the monthly cost band, USD; null when not finite.")
    est_first_token_ms: float | None = Field(
        description="Estimated (expected) time to the first token, ms; null when there is no estimate."
    )
    est_tokens_per_s: float | None = Field(
        description="Estimated decode speed of one sequence, tokens/s (a hybrid: the slower side); null when unknown."
    )
    fits: bool = Field(description="The model fits the hardware's memory at the workload's context (APIs: true).")
    excluded_by: list[str] = Field(description="Ids of the hard rules that exclude this option; empty when viable.")
    # Detail keys beyond the contract.
    label: str = Field(description="Human-readable name of the option, unique within the workload.")
    deployment: DeploymentKind = Field(description="Where it runs: local, self_hosted, api or mixed.")
    quant: str | None = Field(description="Quantisation of the self-hosted model (a hybrid: the small side's).")
    capability: Capability = Field(description="Capability tier of the model (a hybrid: the large side's).")
    context_tokens: int = Field(description="Longest context the option accepts, tokens.")
    est_total_ms: float | None = Field(description="Estimated p95 time for the whole answer, ms; null when unknown.")
    est_first_token_p95_ms: float | None = Field(
        description="What p95 first-token targets are checked against, ms: self-hosted, the first token once the "
        "prefill starts (the p95 wait at the load the replicas are sized to comes on top); an API model's published "
        "p95, else its latency class's; null when there is no estimate."
    )
    quality_score: float | None = Field(
        description="Quality estimate, 0-100: the capability tier (basic 40, standard 60, frontier 80) moved by up "
        "to 10 by the model's benchmark percentile among catalog models on benchmarks relevant to the task; a "
        "hybrid: its large side's times random-routing quality. Null when the model has no catalog entry."
    )
    quality_basis: str = Field(description="How the quality score was made, in words.")
    dominated_by: str | None = Field(
        description="Label of a viable option of the same deployment kind that is at least as good on monthly "
        "cost, p95 first token, whole-answer time and quality score and better on one; null when none is."
    )
    basis: OptionBasis = Field(
        description="Where the speed figures come from: estimated, measured (a stored live run) or published "
        "(a provider's figures)."
    )
    score: float = Field(description="Points the soft rules gave this option's kind and deployment.")
    replicas: float | None = Field(
        description="Replicas needed at peak for a self-hosted option; null for API and hybrid options."
    )
    breakdown_usd: BreakdownOutput = Field(description="Expected monthly cost split by what it pays for.")
    why_excluded: list[str] = Field(description="For each rule in excluded_by, its explanation for this option.")
    hybrid: HybridOutput | None = Field(
        default=None, description="Present for hybrid options only: both sides and the routing."
    )


class ChangeOutput(_Output):
    """A threshold at which the pick would change, and what the pick would be then."""

    factor: ChangeFactor = Field(
        description="What is varied: volume, first_token_target, privacy, quality or ops (staff and operations "
        "per month, offered when the scenario assumes $0)."
    )
    threshold: float | str | None = Field(
        description="The threshold: requests/day for volume, ms (p95) for first_token_target, the privacy level or "
        "allowed_providers setting for privacy, the quality tier for quality, USD a month for ops."
    )
    verdict: Kind | None = Field(description="The verdict past the threshold; null when nothing would be viable.")
    deployment: DeploymentKind | None = Field(description="Where the new pick would run; null when none.")
    pick: str | None = Field(description="Label of the new pick; null when nothing would be viable.")
    monthly_cost_usd: float | None = Field(description="Expected monthly cost of the new pick, USD; null when none.")
    text: str = Field(description="The change in one sentence.")


class WorkloadOutput(_Output):
    """The verdict for one workload of the scenario."""

    # The keys the contract requires.
    name: str = Field(description="The workload's name from the scenario.")
    verdict: Kind | None = Field(
        description="Model class of the pick: slm, llm or hybrid; null when no option meets every constraint "
        "(feasible is false: there is nothing to recommend)."
    )
    deployment: DeploymentKind | None = Field(
        description="Where the pick runs: local, self_hosted, api or mixed; null when no option is viable."
    )
    monthly_cost_usd: float = Field(description="Expected monthly cost of the pick, USD; 0 when no option is viable.")
    options: list[OptionOutput] = Field(
        description="Options ranked best first: the pick, then viable ones by points, then the scenario's "
        "optimize_for (expected cost by default); then excluded ones by number of broken rules. Without --all, a "
        "few per kind plus the best excluded ones."
    )
    reasons: list[ReasonOutput] = Field(description="Hard rules that excluded options, then soft rules that fired.")
    break_even_requests_per_day: float | None = Field(
        description="Volume (requests/day) above which own or rented hardware becomes cheaper than the API, "
        "between the pick and the best viable single-model option on the other side; null when they never cross "
        "(1 to 1e9) or "
        "there is no such option."
    )
    # Detail keys beyond the contract.
    task: str = Field(description="The workload's task id.")
    feasible: bool = Field(description="Some option meets every hard rule.")
    pick: str | None = Field(description="Label of the picked option; null when no option is viable.")
    options_considered: int = Field(description="How many options were built and ranked (all, not only those shown).")
    options_excluded: int = Field(description="How many of them a hard rule excluded.")
    scores: dict[Kind, float] = Field(description="Best points of any viable option, per model class.")
    break_even_against: str | None = Field(
        description="Label of the option the break-even compares the pick with; null when there is none."
    )
    what_would_change: list[ChangeOutput] = Field(description="Thresholds at which the pick would change.")
    closest_options: list[str] = Field(
        description="When no option is viable: labels of those breaking the fewest rules; else empty."
    )


class RecommendationOutput(_Output):
    """What `advisor recommend FILE --format json` prints for one scenario file (several files: a list of these)."""

    # The keys the contract requires.
    scenario: str = Field(description="The scenario's name.")
    total_monthly_cost_usd: float = Field(description="Sum of the workloads' monthly costs, USD.")
    workloads: list[WorkloadOutput] = Field(description="One entry per workload, in scenario order.")
    # Detail keys beyond the contract.
    feasible: bool = Field(description="Every workload has a viable option.")
    rules: str = Field(description="The rules file used: catalog/rules.yaml, the --rules path, or 'custom'.")


# ------------------------------------------------------------------------------------------------------------ fit
class MemoryOutput(_Output):
    """Memory one replica needs and what the hardware offers, GB (10^9 bytes)."""

    weights: float = Field(description="Model weights at the quantisation, GB.")
    kv_cache: float = Field(description="KV cache for context_tokens x concurrency, GB.")
    overhead: float = Field(description="Runtime overhead (buffers, CUDA context), GB.")
    total: float = Field(description="weights + kv_cache + overhead, GB.")
    available: float = Field(description="Usable memory of all devices together, GB.")


class BandOutput(_Output):
    """An estimate's band over the hardware's efficiency range: low <= expected <= high as numbers."""

    low: float = Field(description="Smallest value of the band.")
    expected: float = Field(description="Most likely value.")
    high: float = Field(description="Largest value of the band.")


class FitOutput(_Output):
    """What `advisor fit MODEL --hardware ID --format json` prints (without MODEL: a list of these, best first)."""

    # The keys the contract requires.
    model: str = Field(description="Catalog model id.")
    quant: str = Field(description="Quantisation, e.g. Q4_K_M.")
    hardware: str = Field(description="Canonical hardware id (aliases resolved), or this-machine.")
    context_tokens: int = Field(description="Context each sequence holds, tokens.")
    concurrency: int = Field(description="Sequences held at once.")
    memory_gb: MemoryOutput = Field(description="Memory needed and available, GB.")
    fits: bool = Field(description="memory_gb.total <= memory_gb.available.")
    tokens_per_s: BandOutput = Field(description="Decode speed of one sequence, tokens/s (low <= expected <= high).")
    first_token_ms: BandOutput = Field(
        description="Time to the first token for prompt_tokens, ms (low <= expected <= high: low is the fast end)."
    )
    basis: FitBasis = Field(description="estimated, or measured when a stored live run supplies the speeds.")
    # Detail keys beyond the contract.
    device_count: int = Field(description="Devices the model is split across (--count).")
    prompt_tokens: int = Field(description="Prompt length the first-token time is for, tokens.")
    gpu_layer_share: float | None = Field(
        description="When the model does not fit a GPU: the share of weights that would fit in VRAM (partial "
        "offload); null when it fits or the hardware is not a GPU."
    )
    engine: str = Field(description="Serving engine the figures assume: llama.cpp, or vllm on data-centre GPUs.")
    first_token_p95_ms: float = Field(
        description="First token on an idle replica, 95th percentile, ms: with nothing queued, the expected first "
        "token (the slow end of first_token_ms is the estimate's uncertainty)."
    )


# -------------------------------------------------------------------------------------------------------- compare
class ScoreOutput(_Output):
    """How an answer fared against the sample prompt's expected answer."""

    verdict: ScoreVerdict = Field(description="match, mismatch or not_scored.")
    detail: str = Field(description="One line: what was expected and what was found.")


class SpreadOutput(_Output):
    """One timing over repeated runs of a prompt: the median, lowest and highest of the successful runs."""

    median: float
    low: float
    high: float


class RunsOutput(_Output):
    """A side's repeated runs of one prompt (`advisor compare --repeat N`, N > 1)."""

    count: int = Field(description="Runs made.")
    ok: int = Field(description="Runs that succeeded; the figures below are over these.")
    first_token_ms: SpreadOutput | None = Field(default=None, description="Time to the first token, ms.")
    tokens_per_s: SpreadOutput | None = Field(default=None, description="Decode speed, tokens/s.")
    ms_per_output_token: SpreadOutput | None = Field(default=None, description="Time per output token, ms.")
    total_ms: SpreadOutput | None = Field(default=None, description="Whole-answer time, ms.")


class SideOutput(_Output):
    """One side's run of a prompt: timings, token counts, cost and the answer."""

    runner: str = Field(description="Runner registry name: local, api, or a registered third-party runner.")
    model: str = Field(description="What ran: the local model id or the model name the API serves.")
    first_token_ms: float | None = Field(description="Wall-clock time to the first token, ms; null when none came.")
    tokens_per_s: float | None = Field(
        description="Decode speed after the first token, tokens/s; null with fewer than two tokens or on failure."
    )
    total_ms: float | None = Field(description="Wall-clock time of the whole answer, ms; null on failure.")
    prompt_tokens: int | None = Field(description="Prompt tokens as the model counted them; null when unknown.")
    completion_tokens: int | None = Field(description="Answer tokens as the model counted them; null when unknown.")
    cost_usd: float | None = Field(description="Cost of this one request, USD; null when it cannot be priced.")
    monthly_cost_usd: float | None = Field(
        description="Projected monthly cost at the scenario workload's volume, USD; null without --scenario."
    )
    cost_basis: str | None = Field(description="Where the cost figures come from, in words; null when there are none.")
    text: str = Field(description="The answer as streamed (empty on failure).")
    retries: int = Field(description="Retries made before the answer (API side).")
    error: str | None = Field(default=None, description="Present only when the run failed: one line saying why.")
    score: ScoreOutput | None = Field(
        default=None,
        description="Present only for a task's sample prompt that ran without error: the answer's score.",
    )
    runs: RunsOutput | None = Field(
        default=None,
        description="Present only with --repeat N (N > 1): the spread over the runs. The side's own figures and "
        "text are then those of its median run (by whole-answer time).",
    )


class CompareOutput(_Output):
    """What `advisor compare --prompt TEXT --format json` prints (with --task: a list of these, one per prompt)."""

    prompt: str = Field(description="The prompt sent to both sides.")
    prompt_id: str | None = Field(description="The sample prompt's id (with --task); null for --prompt.")
    local: SideOutput | None = Field(default=None, description="The local model's run; absent with --only api.")
    api: SideOutput | None = Field(default=None, description="The API model's run; absent with --only local.")


# ------------------------------------------------------------------------------------------------------ schemas
OUTPUT_MODELS: dict[str, type[BaseModel]] = {
    "recommendation.schema.json": RecommendationOutput,
    "fit.schema.json": FitOutput,
    "compare.schema.json": CompareOutput,
}


def output_json_schemas() -> dict[str, str]:
    """File name -> JSON Schema text for the three outputs and the scenario file, as committed in docs/schemas."""
    from advisor.schema.scenario import Scenario

    models: dict[str, type[BaseModel]] = {**OUTPUT_MODELS, "scenario.schema.json": Scenario}
    return {name: json.dumps(model.model_json_schema(), indent=2) + "\n" for name, model in models.items()}


def write_json_schemas(directory: str | Path) -> list[Path]:
    """Write every schema of output_json_schemas() into `directory`; returns the paths written."""
    target = Path(directory)
    target.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in output_json_schemas().items():
        path = target / name
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in write_json_schemas(sys.argv[1] if len(sys.argv) > 1 else "docs/schemas"):
        print(written_path)
