"""A Hybrid lab run: every prompt through the small (local) model, a router or cascade deciding which go to the large
(API) model, and what that split costs, how fast it answers and how good its answers are, on the user's prompts.

Order of work: the small model answers every prompt (a cascade reads its answers; a router's decision never sees
them); the router decides for the whole set at once (calibrating its threshold to the target share); the large
model answers the escalated prompts and, with `check_all` (the default), the kept ones too, as the reference the
quality curve and the agreement figures need. A cascade's escalated prompt pays for both models; a router's only
for the large one.

Costs are token counts times prices, never typed: the large side's from genai-prices (the API runner prices each
request), the local side's from the TCO engine's cost per token on the scenario's hardware (this machine when it
names none), or without a scenario the electricity the run used on this machine (hardware time). A prompt whose
models failed is named in `failed` and left out of the totals; the finished ones are kept.
"""

from __future__ import annotations

import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.engine.scoring import agreement, score
from advisor.errors import AdvisorError
from advisor.lab.prompts import LabPrompt, TokenProfile, counter_for, percentile, token_profile
from advisor.lab.routers import RouteDecision, RouteInput, Router, check_share
from advisor.runners import Measurement, Runner, RunSettings

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.schema.scenario import Scenario, Workload

ProgressCallback = Callable[[int, int, str], None]
CURVE_STEPS = 20
MAX_LAB_TOKENS = 4_096


@dataclass(frozen=True)
class LabSettings:
    max_tokens: int = 64
    timeout_s: float = 60.0
    check_all: bool = True
    """The large model also answers the prompts the router keeps small: the reference the quality-vs-share curve,
    the oracle bound and the agreement on kept prompts need. Off: only escalated prompts reach the large model."""

    def __post_init__(self) -> None:
        if isinstance(self.max_tokens, bool) or not isinstance(self.max_tokens, int):
            raise AdvisorError(f"max tokens: must be a whole number, got {self.max_tokens!r}")
        if not 1 <= self.max_tokens <= MAX_LAB_TOKENS:
            raise AdvisorError(f"max tokens: must be 1 to {MAX_LAB_TOKENS:,}, got {self.max_tokens:,}")
        if not (math.isfinite(self.timeout_s) and 0 < self.timeout_s <= 600):
            raise AdvisorError(f"timeout: must be more than 0 and at most 600 s, got {self.timeout_s!r}")


@dataclass
class PromptResult:
    """One prompt: both answers, the route, and what the hybrid paid and waited for it."""

    prompt: LabPrompt
    prompt_tokens: int
    small: Measurement | None = None
    large: Measurement | None = None
    decision: RouteDecision | None = None
    small_cost_usd: float | None = None
    large_cost_usd: float | None = None
    large_cost_estimated: bool = False  # priced from token counts: the large model did not answer this prompt
    small_verdict: str | None = None
    large_verdict: str | None = None
    agree: str | None = None  # agree | disagree | not_scored: small vs large answer

    pattern_router: bool = False  # router: escalated prompts never ran on the small model (in production)

    @property
    def escalated(self) -> bool | None:
        return None if self.decision is None else self.decision.escalate

    @property
    def status(self) -> str:
        """ok: every model call made for this prompt answered; failed: one of them failed, be it the hybrid's answer
        or the large model's reference answer on a kept prompt (the all-large figures cannot count a prompt without
        it, so no total does); not_run: cancelled first."""
        if self.small is None or self.decision is None:
            return "not_run"
        if self.escalated and self.large is None:
            return "not_run"
        return "failed" if self._failures() else "ok"

    def _failures(self) -> list[str]:
        failures = []
        if self.small is not None and not self.small.ok:
            failures.append(f"small model: {self.small.error}")
        if self.large is not None and not self.large.ok:
            failures.append(f"large model: {self.large.error}")
        return failures

    @property
    def error(self) -> str | None:
        """What failed, 'small model: ...; large model: ...' in one line (the runners' messages carry no key)."""
        if self.status != "failed":
            return None
        return "; ".join(self._failures())

    @property
    def hybrid_answer(self) -> Measurement | None:
        return self.large if self.escalated else self.small

    @property
    def hybrid_verdict(self) -> str | None:
        return self.large_verdict if self.escalated else self.small_verdict

    @property
    def hybrid_cost_usd(self) -> float | None:
        """Router: the model that answered. Cascade: the small attempt, plus the large answer when escalated."""
        if self.status != "ok":
            return None
        if not self.escalated:
            return self.small_cost_usd
        if self.large_cost_usd is None:
            return None
        if self.pattern_router:
            return self.large_cost_usd
        return (self.small_cost_usd or 0.0) + self.large_cost_usd

    @property
    def hybrid_ms(self) -> float | None:
        if self.status != "ok" or self.small is None:
            return None
        if not self.escalated:
            return self.small.total_ms
        assert self.large is not None
        if self.pattern_router or self.small.total_ms is None or self.large.total_ms is None:
            return self.large.total_ms
        return self.small.total_ms + self.large.total_ms

    def to_dict(self) -> dict[str, Any]:
        def side(m: Measurement | None, cost: float | None, verdict: str | None) -> dict[str, Any] | None:
            if m is None:
                return None
            data = {
                "answer": m.text,
                "total_ms": _round(m.total_ms, 1),
                "prompt_tokens": m.prompt_tokens,
                "completion_tokens": m.completion_tokens,
                "cost_usd": cost,
                "verdict": verdict,
                "mean_logprob": _round(m.extra.get("mean_logprob"), 4),
            }
            if m.error:
                data["error"] = m.error
            return data

        return {
            "id": self.prompt.id,
            "label": self.prompt.label,
            "prompt_tokens": self.prompt_tokens,
            "status": self.status,
            "error": self.error,
            "escalated": self.escalated,
            "reason": self.decision.reason if self.decision else None,
            "confidence": _round(self.decision.confidence, 4) if self.decision else None,
            "small": side(self.small, self.small_cost_usd, self.small_verdict),
            "large": side(self.large, self.large_cost_usd, self.large_verdict),
            "large_cost_estimated": self.large_cost_estimated,
            "agreement": self.agree,
            "hybrid": {
                "verdict": self.hybrid_verdict,
                "cost_usd": self.hybrid_cost_usd,
                "total_ms": _round(self.hybrid_ms, 1),
            },
        }


@dataclass(frozen=True)
class CurvePoint:
    small_share: float
    random: float | None
    oracle: float | None
    measured: float | None  # this router's confidence order, swept over shares


@dataclass
class LabResult:
    """Every prompt's result and the totals over the prompts that finished."""

    prompts: list[PromptResult]
    router: str
    router_label: str
    pattern: str
    target_small_share: float | None
    threshold: float | None
    small_model: str
    large_model: str
    small_cost_basis: str
    large_cost_basis: str
    profiles: list[TokenProfile]
    elapsed_s: float
    model_s: float
    routing_s: float
    cancelled: bool = False
    setup_s: float = 0.0  # one-time: tokenizers, the price table, the cost basis
    curve: list[CurvePoint] = field(default_factory=list)
    published: list[dict[str, Any]] = field(default_factory=list)
    scenario: str | None = None
    workload: str | None = None

    # --- which prompts count ---------------------------------------------------------------------------------------
    @property
    def finished(self) -> list[PromptResult]:
        return [p for p in self.prompts if p.status == "ok"]

    @property
    def failed(self) -> list[str]:
        return [p.prompt.id for p in self.prompts if p.status == "failed"]

    @property
    def not_run(self) -> list[str]:
        return [p.prompt.id for p in self.prompts if p.status == "not_run"]

    @property
    def small_share(self) -> float | None:
        done = self.finished
        return sum(1 for p in done if not p.escalated) / len(done) if done else None

    @property
    def escalation_share(self) -> float | None:
        done = self.finished
        return sum(1 for p in done if p.escalated) / len(done) if done else None

    @property
    def overhead_ms_per_prompt(self) -> float:
        """Everything but the model calls and the one-time set-up (token counting, routing, scoring, costing, the
        curve), per prompt."""
        return max(self.elapsed_s - self.model_s - self.setup_s, 0.0) * 1000 / max(len(self.prompts), 1)

    # --- totals ------------------------------------------------------------------------------------------------------
    def costs(self) -> dict[str, Any]:
        done = self.finished
        n = len(done)

        def total(values: list[float | None]) -> float | None:
            return None if not values or any(v is None for v in values) else float(sum(v for v in values if v))

        hybrid = total([p.hybrid_cost_usd for p in done])
        small = total([p.small_cost_usd for p in done])
        large = total([p.large_cost_usd for p in done])

        def per_1000(value: float | None) -> float | None:
            return None if value is None or not n else value / n * 1000

        saving = None
        if hybrid is not None and large:
            saving = 1 - hybrid / large
        return {
            "hybrid_usd": hybrid,
            "per_1000_requests_usd": {
                "hybrid": per_1000(hybrid),
                "all_large": per_1000(large),
                "all_small": per_1000(small),
            },
            "saving_vs_all_large": _round(saving, 4),
            "large_estimated_prompts": sum(1 for p in done if p.large_cost_estimated),
            "small_basis": self.small_cost_basis,
            "large_basis": self.large_cost_basis,
        }

    def latency(self) -> dict[str, Any]:
        def band(values: list[float | None]) -> dict[str, float | None]:
            known = [v for v in values if v is not None]
            if not known:
                return {"p50_ms": None, "p95_ms": None}
            return {"p50_ms": round(percentile(known, 50), 1), "p95_ms": round(percentile(known, 95), 1)}

        done = self.finished
        return {
            "hybrid": band([p.hybrid_ms for p in done]),
            "small": band([p.small.total_ms if p.small and p.small.ok else None for p in done]),
            "large": band([p.large.total_ms if p.large and p.large.ok else None for p in done]),
        }

    def quality(self) -> dict[str, Any]:
        done = [p for p in self.finished if p.prompt.expected is not None]
        scored = [p for p in done if p.hybrid_verdict in ("match", "mismatch")]

        def accuracy(verdicts: list[str | None]) -> float | None:
            known = [v for v in verdicts if v in ("match", "mismatch")]
            return sum(1 for v in known if v == "match") / len(known) if known else None

        hybrid = accuracy([p.hybrid_verdict for p in scored])
        large = accuracy([p.large_verdict for p in done])
        small = accuracy([p.small_verdict for p in done])
        kept = [p.agree for p in self.finished if not p.escalated and p.agree in ("agree", "disagree")]
        escalated = [p.agree for p in self.finished if p.escalated and p.agree in ("agree", "disagree")]
        return {
            "scored_prompts": len(scored),
            "hybrid_accuracy": _round(hybrid, 4),
            "all_small_accuracy": _round(small, 4),
            "all_large_accuracy": _round(large, 4),
            "quality_vs_large": _round(hybrid / large, 4) if hybrid is not None and large else None,
            "agreement_kept": _round(kept.count("agree") / len(kept), 4) if kept else None,
            "agreement_escalated": _round(escalated.count("agree") / len(escalated), 4) if escalated else None,
        }

    def to_dict(self) -> dict[str, Any]:
        """The `advisor hybrid --format json` object (docs/outputs.md)."""
        return {
            "scenario": self.scenario,
            "workload": self.workload,
            "router": self.router,
            "router_label": self.router_label,
            "pattern": self.pattern,
            "target_small_share": self.target_small_share,
            "threshold": _round(self.threshold, 4),
            "small_model": self.small_model,
            "large_model": self.large_model,
            "prompts": len(self.prompts),
            "finished": len(self.finished),
            "failed": self.failed,
            "not_run": self.not_run,
            "cancelled": self.cancelled,
            "small_share": _round(self.small_share, 4),
            "escalation_share": _round(self.escalation_share, 4),
            "costs": self.costs(),
            "latency": self.latency(),
            "quality": self.quality(),
            "token_profiles": [p.to_dict() for p in self.profiles],
            "timing": {
                "elapsed_s": round(self.elapsed_s, 2),
                "model_s": round(self.model_s, 2),
                "setup_s": round(self.setup_s, 3),
                "routing_ms": round(self.routing_s * 1000, 2),
                "overhead_ms_per_prompt": round(self.overhead_ms_per_prompt, 3),
            },
            "curve": [
                {
                    "small_share": round(c.small_share, 3),
                    "random": _round(c.random, 4),
                    "oracle": _round(c.oracle, 4),
                    "measured": _round(c.measured, 4),
                }
                for c in self.curve
            ],
            "published": self.published,
            "per_prompt": [p.to_dict() for p in self.prompts],
        }


def _round(value: Any, digits: int) -> Any:
    return None if value is None or not isinstance(value, int | float) else round(float(value), digits)


# --- costs -----------------------------------------------------------------------------------------------------------


def local_cost_basis(
    runner: object, scenario: Scenario | None, workload: Workload | None, catalog: Catalog | None = None
) -> tuple[Callable[[Measurement], float | None], str]:
    """How a small-side answer is priced: an API small model by its runner (genai-prices); a local model by the TCO
    engine's cost per token on the scenario's hardware; without a scenario, the electricity of this machine."""
    facts = getattr(runner, "facts", None)
    if facts is None:
        return (lambda m: m.cost_usd), "genai-prices (the small model's API price per token)"
    from advisor.data.catalog import THIS_MACHINE, default_catalog
    from advisor.data.this_machine import detect_this_machine

    if scenario is not None and workload is not None:
        from advisor.engine.cost import self_hosted_cost
        from advisor.engine.fit import make_deployment
        from advisor.engine.options import paid_as

        base = catalog or default_catalog()
        if facts.catalog_id not in base.models:
            base = base.with_models([facts.model])
        hardware = scenario.hardware.profile or THIS_MACHINE
        try:
            deployment = make_deployment(facts.catalog_id, hardware, facts.quant, scenario.hardware.count, base)
            paid: Any = paid_as(deployment, scenario)  # as recommend() charges it
            cost = self_hosted_cost(deployment, workload, scenario.assumptions, paid)
            per_mtok = float(cost.per_mtok_usd)
        except AdvisorError as e:
            per_mtok, reason = math.inf, str(e)
        else:
            reason = "it cannot serve the workload there"
        if math.isfinite(per_mtok):
            basis = (
                f"TCO engine: {facts.catalog_id} {facts.quant} on {hardware} ({str(paid).replace('_', ' ')}), "
                f"${per_mtok:,.4f} per 1M tokens at {workload.name}'s volume, times each answer's tokens"
            )
            return (lambda m: per_mtok * ((m.prompt_tokens or 0) + (m.completion_tokens or 0)) / 1e6), basis
        fallback = f"no self-hosted cost on {hardware} ({reason}); "
    else:
        fallback = ""
    profile = detect_this_machine()
    from advisor.schema.scenario import Assumptions

    price = (scenario.assumptions if scenario is not None else Assumptions()).electricity_usd_per_kwh

    def energy(m: Measurement) -> float | None:
        return None if m.total_ms is None else profile.power_w * m.total_ms / 3_600_000 / 1000 * price

    return energy, (
        f"{fallback}hardware time on this machine: electricity only ({profile.power_w:g} W x each answer's time at "
        f"${price:.2f}/kWh); pass a scenario for the TCO engine's cost per token"
    )


def _large_price(runner: object) -> tuple[Callable[[int, int], float | None], str]:
    request_cost = getattr(runner, "request_cost", None)
    if request_cost is None:
        return (lambda _p, _c: None), "no price: the large runner does not price requests"
    _, basis = request_cost(1, 1)

    def price(prompt_tokens: int, completion_tokens: int) -> float | None:
        value, _ = request_cost(prompt_tokens, completion_tokens)
        return None if value is None else float(value)

    return price, basis


# --- the run ---------------------------------------------------------------------------------------------------------


def run_lab(
    prompts: Sequence[LabPrompt],
    small: Runner,
    large: Runner,
    router: Router,
    target_small_share: float | None = None,
    settings: LabSettings | None = None,
    scenario: Scenario | None = None,
    workload: Workload | None = None,
    on_progress: ProgressCallback | None = None,
    cancel: threading.Event | None = None,
    catalog: Catalog | None = None,
) -> LabResult:
    """Run `prompts` through the small model, route them, send the escalated ones (and with `check_all` the rest) to
    the large model; see the module docstring. `cancel.set()` stops after the prompt in flight: what finished is
    kept and the rest is `not_run`."""
    check_share(target_small_share)
    if not prompts:
        raise AdvisorError("prompts: the set is empty")
    settings = settings or LabSettings()
    started = time.perf_counter()
    model_s = 0.0
    router_pattern = getattr(router, "pattern", "router")
    # One-time set-up (tokenizers, the price table, the cost basis, the catalog): not per-prompt overhead.
    small_count, small_tokenizer = counter_for(small)
    large_count, large_tokenizer = counter_for(large)
    large_count("")
    price_small, small_basis = local_cost_basis(small, scenario, workload, catalog)
    price_large, large_basis = _large_price(large)
    published = published_points(catalog)
    setup_s = time.perf_counter() - started
    results = [PromptResult(p, small_count(p.text), pattern_router=router_pattern == "router") for p in prompts]
    profiles = [token_profile([r.prompt_tokens for r in results], small_tokenizer)]
    large_tokens = [large_count(p.text) for p in prompts]
    profiles.append(token_profile(large_tokens, large_tokenizer))
    wants_logprobs = bool(getattr(router, "needs_logprobs", False))

    def stopped() -> bool:
        return cancel is not None and cancel.is_set()

    def run_settings(prompt: LabPrompt, logprobs: bool) -> RunSettings:
        return RunSettings(settings.max_tokens, 0.0, prompt.system, settings.timeout_s, logprobs=logprobs)

    def call(runner: Runner, prompt: LabPrompt, logprobs: bool) -> Measurement:
        nonlocal model_s
        began = time.perf_counter()
        try:
            return runner.run(prompt.text, run_settings(prompt, logprobs))
        except Exception as e:  # a third-party runner's bug is that prompt's failure, not the run's
            return Measurement(runner=getattr(runner, "name", "?"), model="?", error=f"runner failed: {e}")
        finally:
            model_s += time.perf_counter() - began

    total_steps = len(results) * (2 if settings.check_all else 1)
    step = 0

    def progress(message: str) -> None:
        if on_progress is not None:
            on_progress(step, total_steps, message)

    cancelled = False
    for i, result in enumerate(results):
        if stopped():
            cancelled = True
            break
        result.small = call(small, result.prompt, wants_logprobs)
        step += 1
        progress(f"small model: prompt {i + 1} of {len(results)}")

    answered = [r for r in results if r.small is not None]
    routing_began = time.perf_counter()
    items = [RouteInput(r.prompt, r.prompt_tokens, r.small if router_pattern == "cascade" else None) for r in answered]
    decisions = router.route(items, target_small_share) if items else []
    routing_s = time.perf_counter() - routing_began
    if len(decisions) != len(items):
        raise AdvisorError(f"router {router.name!r} returned {len(decisions)} decisions for {len(items)} prompts")
    for result, decision in zip(answered, decisions, strict=True):
        result.decision = decision

    order = [r for r in answered if r.escalated]
    if settings.check_all:
        order += [r for r in answered if not r.escalated]
    total_steps = step + len(order) if cancelled else total_steps
    for done, result in enumerate(order, start=1):
        if stopped():
            cancelled = True
            break
        result.large = call(large, result.prompt, False)
        step += 1
        progress(f"large model: prompt {done} of {len(order)}")

    for result, tokens in zip(results, large_tokens, strict=True):
        _score_and_price(result, tokens, price_small, price_large)
    elapsed = time.perf_counter() - started
    lab = LabResult(
        prompts=results,
        router=router.name,
        router_label=router.label,
        pattern=router_pattern,
        target_small_share=target_small_share,
        threshold=getattr(router, "threshold", None),
        small_model=getattr(small, "label", getattr(small, "model", "small")),
        large_model=getattr(large, "label", getattr(large, "model", "large")),
        small_cost_basis=small_basis,
        large_cost_basis=large_basis,
        profiles=profiles,
        elapsed_s=elapsed,
        model_s=model_s,
        routing_s=routing_s,
        cancelled=cancelled,
        scenario=scenario.name if scenario is not None else None,
        workload=workload.name if workload is not None else None,
    )
    lab.curve = quality_curve(lab)
    lab.published = published
    lab.setup_s = setup_s
    lab.elapsed_s = time.perf_counter() - started
    return lab


def _score_and_price(
    result: PromptResult,
    large_prompt_tokens: int,
    price_small: Callable[[Measurement], float | None],
    price_large: Callable[[int, int], float | None],
) -> None:
    sample = result.prompt.sample
    small, large = result.small, result.large
    if small is not None and small.ok:
        result.small_cost_usd = price_small(small)
        if result.prompt.expected is not None:
            result.small_verdict = score(small.text, sample).verdict
    if large is not None and large.ok:
        result.large_cost_usd = large.cost_usd
        if large.cost_usd is None and large.prompt_tokens is not None and large.completion_tokens is not None:
            result.large_cost_usd = price_large(large.prompt_tokens, large.completion_tokens)
        if result.prompt.expected is not None:
            result.large_verdict = score(large.text, sample).verdict
        if small is not None and small.ok:
            result.agree = agreement(small.text, large.text, sample).verdict
    elif small is not None and small.ok and large is None:
        # What all-large would have paid for this prompt: its tokens for the large model, the small answer's length.
        result.large_cost_usd = price_large(large_prompt_tokens, small.completion_tokens or 0)
        result.large_cost_estimated = True


# --- the quality-vs-share curve -------------------------------------------------------------------------------------


def quality_curve(lab: LabResult, steps: int = CURVE_STEPS) -> list[CurvePoint]:
    """Quality relative to the large model alone, for small shares 0..1: random routing (the line), a perfect router
    (the oracle bound) and this router's confidence order swept over the shares, on the prompts with an expected
    answer that both models answered. Empty when there are none or the large model got none right."""
    both = [
        p for p in lab.finished if p.small_verdict in ("match", "mismatch") and p.large_verdict in ("match", "mismatch")
    ]
    n = len(both)
    small_right = [p.small_verdict == "match" for p in both]
    large_right = [p.large_verdict == "match" for p in both]
    large_total = sum(large_right)
    if not n or not large_total:
        return []
    b = sum(1 for s, g in zip(small_right, large_right, strict=True) if s and g)
    v = sum(1 for s, g in zip(small_right, large_right, strict=True) if s and not g)
    u = sum(1 for s, g in zip(small_right, large_right, strict=True) if g and not s)
    confidence = [
        p.decision.confidence if p.decision and p.decision.confidence is not None else -math.inf for p in both
    ]
    by_confidence = sorted(range(n), key=lambda i: (-confidence[i], i))
    has_signal = any(math.isfinite(c) for c in confidence)
    points = []
    for k in range(steps + 1):
        s = k / steps
        random = (s * (b + v) + (1 - s) * (b + u)) / large_total
        oracle = (b + v + u - max(0.0, u - (1 - s) * n) - max(0.0, v - s * n)) / large_total
        measured = None
        if has_signal:
            kept = set(by_confidence[: round(s * n)])
            right = sum(small_right[i] if i in kept else large_right[i] for i in range(n))
            measured = right / large_total
        points.append(CurvePoint(s, random, oracle, measured))
    return points


def published_points(catalog: Catalog | None = None) -> list[dict[str, Any]]:
    """The published router and cascade results with a small share (catalog/routing.yaml), for comparison."""
    from advisor.data.catalog import default_catalog

    routing = (catalog or default_catalog()).routing
    return [
        {
            "id": point_id,
            "method": point.method,
            "pattern": point.pattern,
            "evaluated_on": point.evaluated_on,
            "small_share": point.small_share,
            "quality_vs_large": point.quality_fraction,
            "best_case": point.best_case,
            "source": point.source,
        }
        for point_id, point in routing.published.items()
        if point.small_share is not None
    ]


def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None
