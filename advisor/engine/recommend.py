"""The recommendation: build the options, let hard rules exclude and soft rules score, and explain the pick.

    options   every API model, every open-weight model on the scenario's hardware, hybrid pairings (options.py)
    exclude   hard rules, per option: `excluded_by` names each rule that holds
    score     soft rules, per workload: each one that holds adds its points to options of its kinds / deployments
    rank      not excluded first, by points; between equal points the scenario's `optimize_for` (balanced: the best
              quality score within 10% of the cheapest; cost; latency; quality); an option another viable option of
              its deployment kind beats on cost, p95 first token, whole-answer time and quality at once is set
              aside (`dominated_by`); the first is the pick
    explain   the rules that fired, the break-even volume, and what would change the verdict (found by deciding
              again at other volumes, latency targets, privacy levels and quality bars)

Same scenario + catalog + rules give the same output, byte for byte: every ordering ends on a unique label.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.data.catalog import Catalog, default_catalog
from advisor.engine.money import money_in_text, usd_text
from advisor.engine.options import BuiltOptions, Option, hybrid_option, resized
from advisor.engine.tables import single_options
from advisor.errors import AdvisorError
from advisor.schema.routing import quality_range
from advisor.schema.rules import RulesFile
from advisor.schema.vocabulary import BAND_NAMES, QUALITIES, QUALITY_RANK

if TYPE_CHECKING:
    import pandas as pd

    from advisor.schema.scenario import Scenario, Workload

SIDES_PER_CLASS = 2
"""Hybrid sides tried per class (on an API, on own or rented hardware): the cheapest at the volume each side takes.
A hybrid's cost is the sum of its sides' (less what they share), so the cheapest pairing of each class pair is
among these, and the cheapest hybrid found equals the cheapest over all pairs."""
VOLUME_REFINE_STEPS = 10
"""Bisection steps when a volume edge has to be searched again by deciding from scratch (about 1% on a half
decade)."""
MIN_VOLUME_SHOWN = 100.0
"""Volume thresholds under 100 requests a day are not worth a sentence: every option with an API side costs cents
there, and cents decide."""
OPS_GRID_USD = (100.0, 300.0, 1_000.0, 3_000.0, 10_000.0, 30_000.0, 100_000.0)
"""Monthly staff and operations figures probed for the one that changes a self-hosted pick."""
LATENCY_HEADROOM = 16.0
"""Without a target, the probes start at 16x the pick's p95 first token: a target that loose leaves a replica
nearly flat out (fit.capacity), so the pick is today's."""
LATENCY_REFINE_STEPS = 12
"""Bisection steps for the first-token target that changes the pick (1% on a 100x range takes 9)."""
BALANCED_BAND = 0.10
"""optimize_for balanced: options within 10% of the cheapest (of equal points) compete on quality."""
VOLUME_GRID = np.logspace(0, 8, 17)
"""Requests/day probed for verdict flips (1 to 100M, two points a decade), refined by bisection to 1%."""
SHOWN_PER_KIND = 3
SHOWN_EXCLUDED_PER_KIND = 2


@dataclass(frozen=True)
class Reason:
    rule: str
    effect: str
    text: str
    source: str

    def to_dict(self) -> dict[str, str]:
        return {"rule": self.rule, "effect": self.effect, "text": self.text, "source": self.source}


@dataclass
class RankedOption:
    """An option with its cost at the workload's volume, its points and the hard rules it broke."""

    option: Option
    monthly_usd: dict[str, float]
    score: float
    excluded_by: list[str]
    why_excluded: list[str] = field(default_factory=list)
    breakdown_usd: dict[str, float] = field(default_factory=dict)
    replicas: float | None = None
    dominated_by: str | None = None  # a viable option of the same deployment kind at least as good on every axis
    # On the pick only: the options it replaced, in order, each beaten on every axis by the next (the first had the
    # most points and was the best of them by the objective).
    replaced: tuple[str, ...] = ()
    _figures: tuple[float, float, float, float] | None = field(default=None, repr=False, compare=False)

    @property
    def viable(self) -> bool:
        return not self.excluded_by

    @property
    def cost(self) -> float:
        return self.monthly_usd["expected"]

    @property
    def label(self) -> str:
        """The option's unique name, as in to_dict()["label"] and the `label` column of the tables."""
        return self.option.label

    def to_dict(self) -> dict[str, Any]:
        """One option in the recommendation JSON contract (docs/outputs.md), plus detail keys."""
        o = self.option
        data: dict[str, Any] = {
            "kind": o.kind,
            "model": o.model,
            "provider": o.provider,
            "hardware": o.hardware,
            "monthly_cost_usd": _money(self.monthly_usd["expected"]),
            "cost_low_usd": _money(self.monthly_usd["low"]),
            "cost_high_usd": _money(self.monthly_usd["high"]),
            "est_first_token_ms": _round(o.est_first_token_ms, 1),
            "est_tokens_per_s": _round(o.est_tokens_per_s, 1),
            "fits": o.fits,
            "excluded_by": list(self.excluded_by),
            "label": o.label,
            "deployment": o.deployment,
            "quant": o.quant,
            "capability": o.capability,
            "context_tokens": o.context_tokens,
            "est_total_ms": _round(o.est_total_ms, 1),
            "est_first_token_p95_ms": _round(o.est_first_token_p95_ms, 1),
            "quality_score": o.quality_score,
            "quality_basis": o.quality_basis,
            "dominated_by": self.dominated_by,
            "basis": o.basis,
            "score": self.score,
            "replicas": self.replicas,
            "breakdown_usd": {key: _money(value) for key, value in self.breakdown_usd.items()},
            "why_excluded": list(self.why_excluded),
        }
        if o.small is not None and o.large is not None:
            data["hybrid"] = {
                "pattern": o.pattern,
                "small_model": o.small.model,
                "small_provider": o.small.provider,
                "small_hardware": o.small.hardware,
                "small_quant": o.small.quant,
                "large_model": o.large.model,
                "large_provider": o.large.provider,
                "large_hardware": o.large.hardware,
                "small_share": o.small_share,
                "quality_vs_large": {
                    "random_routing": _round(o.quality_range[0], 3) if o.quality_range else None,
                    "oracle_routing": _round(o.quality_range[1], 3) if o.quality_range else None,
                },
                "routing_source": o.routing_source,
            }
        return data


@dataclass(frozen=True)
class Change:
    """One threshold that changes the pick: a volume, a latency target, a privacy level or a quality bar."""

    factor: str  # volume | first_token_target | privacy | quality | ops
    threshold: float | str | None
    verdict: str | None
    deployment: str | None
    pick: str | None
    monthly_cost_usd: float | None
    text: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "factor": self.factor,
            "threshold": self.threshold,
            "verdict": self.verdict,
            "deployment": self.deployment,
            "pick": self.pick,
            "monthly_cost_usd": _money(self.monthly_cost_usd) if self.monthly_cost_usd is not None else None,
            "text": self.text,
        }


@dataclass
class WorkloadRecommendation:
    workload: Workload
    options: list[RankedOption]  # all of them, ranked: viable first
    reasons: list[Reason]
    scores: dict[str, float]  # best points of any viable option per kind
    break_even_requests_per_day: float | None = None
    break_even_against: str | None = None
    changes: list[Change] = field(default_factory=list)

    @property
    def pick(self) -> RankedOption | None:
        return self.options[0] if self.options and self.options[0].viable else None

    @property
    def feasible(self) -> bool:
        return self.pick is not None

    @property
    def closest(self) -> list[RankedOption]:
        """When nothing meets every constraint: the options breaking the fewest, cheapest first."""
        return [] if self.feasible else self.options[:5]

    @property
    def verdict(self) -> str | None:
        """The pick's kind; None when no option meets every constraint (there is nothing to recommend)."""
        return self.pick.option.kind if self.pick else None

    @property
    def deployment(self) -> str | None:
        return self.pick.option.deployment if self.pick else None

    @property
    def monthly_cost_usd(self) -> float:
        """The pick's expected monthly cost; 0 when no option meets every constraint (nothing to run)."""
        pick = self.pick
        return pick.cost if pick and math.isfinite(pick.cost) else 0.0

    def shown_options(self, all_options: bool = False) -> list[RankedOption]:
        """The options worth reading: a few viable ones per kind and the best excluded ones, in rank order."""
        if all_options:
            return list(self.options)
        shown: list[RankedOption] = []
        viable_count = dict.fromkeys(("slm", "llm", "hybrid"), 0)
        excluded_count: dict[str, int] = {}
        for ranked in self.options:
            kind = ranked.option.kind
            if ranked.viable and viable_count[kind] < SHOWN_PER_KIND:
                viable_count[kind] += 1
                shown.append(ranked)
            elif not ranked.viable and excluded_count.get(kind, 0) < SHOWN_EXCLUDED_PER_KIND:
                excluded_count[kind] = excluded_count.get(kind, 0) + 1
                shown.append(ranked)
        return shown

    def to_dict(self, all_options: bool = False) -> dict[str, Any]:
        pick = self.pick
        return {
            "name": self.workload.name,
            "task": self.workload.task,
            "verdict": self.verdict,
            "deployment": self.deployment,
            "monthly_cost_usd": _money(self.monthly_cost_usd),
            "feasible": self.feasible,
            "pick": pick.option.label if pick else None,
            "options": [o.to_dict() for o in self.shown_options(all_options)],
            "options_considered": len(self.options),
            "options_excluded": sum(not o.viable for o in self.options),
            "reasons": [r.to_dict() for r in self.reasons],
            "scores": self.scores,
            "break_even_requests_per_day": _round(self.break_even_requests_per_day, 0),
            "break_even_against": self.break_even_against,
            "what_would_change": [c.to_dict() for c in self.changes],
            "closest_options": [o.option.label for o in self.closest],
        }


@dataclass
class Recommendation:
    scenario: Scenario
    workloads: list[WorkloadRecommendation]
    rules_source: str

    @property
    def total_monthly_cost_usd(self) -> float:
        return sum(w.monthly_cost_usd for w in self.workloads)

    @property
    def feasible(self) -> bool:
        return all(w.feasible for w in self.workloads)

    def to_dict(self, all_options: bool = False) -> dict[str, Any]:
        """The recommendation JSON contract (docs/outputs.md, docs/schemas/recommendation.schema.json), plus detail
        keys."""
        return {
            "scenario": self.scenario.name,
            "total_monthly_cost_usd": _money(self.total_monthly_cost_usd),
            "feasible": self.feasible,
            "workloads": [w.to_dict(all_options) for w in self.workloads],
            "rules": self.rules_source,
        }

    def to_json(self, all_options: bool = False) -> str:
        import json

        return json.dumps(self.to_dict(all_options), indent=2, allow_nan=False)

    def options_frame(self) -> pd.DataFrame:
        """Every option of every workload as one DataFrame (for notebooks)."""
        import pandas as pd

        rows = []
        for w in self.workloads:
            for rank, ranked in enumerate(w.options, start=1):
                row = ranked.to_dict()
                row.pop("breakdown_usd")
                row.pop("hybrid", None)
                rows.append({"workload": w.workload.name, "rank": rank, **row, **ranked.breakdown_usd})
        return pd.DataFrame(rows)


def recommend(
    scenario: Scenario,
    catalog: Catalog | None = None,
    rules: RulesFile | str | Path | None = None,
    *,
    time_budget_s: float | None = None,
) -> Recommendation:
    """Verdict, ranked options, reasons and thresholds for every workload of `scenario`.

    `catalog` is the snapshot to decide with (default: the shipped catalog with the stored measurements); `rules`
    replaces its rules file (a path or a loaded RulesFile). With `time_budget_s` (the app sets one: a share link
    anyone can open must not buy unbounded server time), AdvisorError once that many seconds have gone by."""
    cat = catalog or default_catalog()
    if rules is not None:
        cat = cat.with_rules(rules)
    engine = _Engine(scenario, cat, cat.rules)
    started = time.perf_counter()
    results = []
    for index, workload in enumerate(scenario.workloads):
        if time_budget_s is not None and index and time.perf_counter() - started > time_budget_s:
            raise AdvisorError(
                f"workloads: the recommendation took over {time_budget_s:g} s and stopped after {index} of "
                f"{len(scenario.workloads)} workloads; split the scenario, or run `advisor recommend` on it"
            )
        results.append(engine.recommend_workload(workload))
    return Recommendation(scenario, results, cat.rules_source)


class _Engine:
    """Decides one workload; keeps the built options so that re-deciding under other inputs is cheap."""

    def __init__(self, scenario: Scenario, catalog: Catalog, rules: RulesFile) -> None:
        self.scenario = scenario
        self.catalog = catalog
        self.rules = rules
        self.hard = rules.by_kind("hard")
        self.soft = rules.by_kind("soft")
        self.covered = frozenset(rules.well_covered_languages.codes)
        self.providers = frozenset(note.provider for note in catalog.api_notes)
        self.built = BuiltOptions()  # self-hosted options, reused when deciding again at another volume
        self.hybrid_rules: dict[tuple[Any, ...], tuple[Option, list[str]]] = {}  # see hybrid_own_rules

    # ----------------------------------------------------------------------------------------- building blocks
    def singles(
        self, scenario: Scenario, workload: Workload, keep_hardware: dict[str, str] | None = None
    ) -> list[Option]:
        return single_options(scenario, workload, self.catalog, keep_hardware=keep_hardware, built=self.built)

    def context(self, scenario: Scenario, workload: Workload) -> dict[str, Any]:
        task = self.catalog.task(workload.task)
        hardware = scenario.hardware
        profile = self.catalog.hardware_profile(hardware.profile) if hardware.profile else None
        languages = list(workload.languages)
        return {
            "workload": SimpleNamespace(
                name=workload.name,
                task=workload.task,
                requests_per_day=workload.requests_per_day,
                input_tokens=workload.input_tokens,
                output_tokens=workload.output_tokens,
                tokens_per_day=workload.requests_per_day * (workload.input_tokens + workload.output_tokens),
                cached_input_share=workload.cached_input_share,
                peak_factor=workload.peak_factor,
                latency_p95_first_token_ms=workload.latency_p95_first_token_ms,
                latency_p95_total_ms=workload.latency_p95_total_ms,
                context_tokens=workload.effective_context_tokens,
                languages=languages,
                language_count=len(languages),
                uncovered_languages=[code for code in languages if code not in self.covered],
                quality=workload.quality,
                quality_rank=QUALITY_RANK[workload.quality],
                domain_data=workload.domain_data,
                query_variety=workload.query_variety,
                phase=scenario.phase,
                update_frequency=workload.update_frequency,
                modality=workload.modality,
            ),
            "task": SimpleNamespace(
                id=task.id,
                name=task.name,
                capability=task.capability,
                capability_rank=QUALITY_RANK[task.capability],
                nature=task.nature,
            ),
            "constraints": SimpleNamespace(
                privacy=scenario.constraints.privacy,
                allowed_providers=list(scenario.constraints.allowed_providers),
                unknown_providers=[p for p in scenario.constraints.allowed_providers if p not in self.providers],
                deployment=scenario.constraints.deployment,
                on_premises_only=scenario.constraints.on_premises_only,
                optimize_for=scenario.optimize_for,
            ),
            "hardware": SimpleNamespace(
                profile=profile.id if profile else None,
                name=profile.name if profile else None,
                kind=profile.kind if profile else None,
                count=hardware.count,
                ownership=hardware.ownership,
                already_owned=hardware.already_owned,
                memory_gb=profile.memory_gb if profile else None,
                priced=profile is None
                or (profile.purchase_usd if hardware.ownership == "owned" else profile.cloud_usd_per_hour) is not None,
                ops_usd_per_month=scenario.assumptions.ops_usd_per_month,
            ),
        }

    def exclusions(self, options: list[Option], context: dict[str, Any]) -> dict[int, list[str]]:
        """Hard rules per option (they do not depend on volume, so volume probes reuse them)."""
        result = {}
        for option in options:
            scope = {**context, "option": option}
            result[id(option)] = [rule.id for rule in self.hard if rule.holds(scope)]
        return result

    # ------------------------------------------------------------------------------------------------ decide
    def decide(
        self,
        scenario: Scenario,
        workload: Workload,
        singles: list[Option],
        context: dict[str, Any],
        excluded: dict[int, list[str]],
        volume: float | None = None,
        explain: bool = False,
        pick_only: bool = False,
    ) -> WorkloadRecommendation:
        """Rank every option at `volume` (default: the workload's); `explain` adds the reasons (slower).
        `pick_only`: the caller reads only the pick (a "what would change this" probe), so the other options are
        left unsorted."""
        volume = workload.requests_per_day if volume is None else volume
        assumptions = scenario.assumptions
        context = {**context, "workload": SimpleNamespace(**{**vars(context["workload"]), "requests_per_day": volume})}
        hybrids = self.hybrids(scenario, workload, singles, excluded, volume)
        excluded = {**excluded, **self.hybrid_exclusions(hybrids, context, excluded)}
        options = singles + hybrids
        if explain:
            costs = {id(o): o.monthly_usd(volume, workload, assumptions) for o in options}
        else:  # a probe only ranks: the expected band is enough
            costs = {
                id(o): dict.fromkeys(BAND_NAMES, o.usd_at(volume, workload, assumptions, "expected")) for o in options
            }
        viable = [o for o in options if not excluded[id(o)]]
        context["cost"] = self.cost_facts(viable, costs)
        fired = [rule for rule in self.soft if rule.holds(context)]

        favour: dict[str, float] = {}
        for rule in fired:
            for target, weight in rule.favours.items():
                favour[target] = favour.get(target, 0.0) + weight

        def points(option: Option) -> float:
            tunable = favour.get("tunable_slm", 0.0) if option.kind == "slm" and option.fine_tunable else 0.0
            return favour.get(option.kind, 0.0) + favour.get(option.deployment, 0.0) + tunable

        ranked = []
        for option in options:
            broken = excluded[id(option)]
            ranked.append(RankedOption(option, costs[id(option)], points(option), broken))
        if not pick_only:  # the pick does not depend on the order (see _choose)
            ranked.sort(key=_rank_key)
        ranked = _choose(ranked, scenario.optimize_for, mark_all=explain)
        scores: dict[str, float] = {}
        for r in ranked:
            if r.viable:
                scores[r.option.kind] = max(scores.get(r.option.kind, -math.inf), r.score)
        result = WorkloadRecommendation(workload, ranked, [], scores)
        if explain:
            result.reasons = self.reasons(result, context, fired)
        return result

    def hybrids(
        self,
        scenario: Scenario,
        workload: Workload,
        singles: list[Option],
        excluded: dict[int, list[str]],
        volume: float,
    ) -> list[Option]:
        """Hybrid pairings in every shape: a small side on an API or on own or rented hardware, a large side on an
        API or on own or rented hardware, as a router and as a cascade. Each side is among the SIDES_PER_CLASS
        cheapest of its class at the volume it takes, so the cheapest hybrid is the cheapest over all pairs; and a
        large side that answers better than the small sides is always among them."""
        routing = self.catalog.task_routing(workload.task)
        assumptions = scenario.assumptions
        need = QUALITY_RANK[workload.quality]
        # The small side answers only what the router keeps, so it may be one tier below the bar; every other
        # hard rule holds for it as for any option.
        small_pool = [
            o
            for o in singles
            if o.kind == "slm"
            and o.fits
            and o.capability_rank >= need - 1
            and set(excluded[id(o)]) <= {"below_quality_bar"}
        ]
        large_pool = [o for o in singles if o.kind == "llm" and o.fits and not excluded[id(o)]]

        def cheapest(pool: list[Option], on_api: bool, side_volume: float) -> list[Option]:
            side = [o for o in pool if (o.provider is not None) == on_api]
            key = {id(o): round(o.usd_at(side_volume, workload, assumptions, "expected"), 2) for o in side}
            return sorted(side, key=lambda o: (key[id(o)], *_quality_key(o)))[:SIDES_PER_CLASS]

        hybrids = []
        measured = workload.measured_split  # the Hybrid lab's split on the team's prompts, for its own pattern
        for pattern in (routing.pattern, "cascade" if routing.pattern == "router" else "router"):
            is_measured = measured is not None and measured.pattern == pattern
            share = measured.small_share if measured is not None and is_measured else routing.small_share
            quality = quality_range(self.catalog.routing_benchmark(routing.benchmark), share)
            small_volume = volume if pattern == "cascade" else volume * share
            smalls = [*cheapest(small_pool, True, small_volume), *cheapest(small_pool, False, small_volume)]
            larges = [
                *cheapest(large_pool, True, volume * (1 - share)),
                *cheapest(large_pool, False, volume * (1 - share)),
            ]
            # A large side is there for the answers the small one gets wrong: where none of the cheapest lifts a
            # hybrid above the best small side (at random routing, see hybrid_option), the cheapest that does is
            # paired too.
            lift = min(quality[0], 1.0) if quality else 1.0
            floor = max((o.quality_score or 0.0 for o in smalls), default=0.0)
            lifting = [o for o in large_pool if (o.quality_score or 0.0) * lift > floor]
            lifts = {id(o) for o in lifting}
            for on_api in (True, False):
                if not any(id(o) in lifts and (o.provider is not None) == on_api for o in larges):
                    chosen = {id(o) for o in larges}
                    larges += [o for o in cheapest(lifting, on_api, volume * (1 - share))[:1] if id(o) not in chosen]
            for small in smalls:
                for large in larges:
                    hybrid = hybrid_option(small, large, share, pattern, quality)
                    hybrid.routing_source = routing.source
                    if is_measured:
                        _use_measured_split(hybrid, measured)
                    hybrids.append(hybrid)
        return hybrids

    def hybrid_exclusions(
        self, hybrids: list[Option], context: dict[str, Any], excluded: dict[int, list[str]]
    ) -> dict[int, list[str]]:
        """A hybrid breaks the hard rules it breaks as a whole (latency, context, quality bar) and every rule either
        side breaks, except the quality bar on the small side (it keeps only what the router sends it)."""
        own = self.hybrid_own_rules(hybrids, context)
        result = {}
        for hybrid in hybrids:
            assert hybrid.small is not None and hybrid.large is not None
            rules = set(own[id(hybrid)])
            rules |= set(excluded.get(id(hybrid.small), [])) - {"below_quality_bar"}
            rules |= set(excluded.get(id(hybrid.large), []))
            result[id(hybrid)] = [rule.id for rule in self.hard if rule.id in rules]
        return result

    def hybrid_own_rules(self, hybrids: list[Option], context: dict[str, Any]) -> dict[int, list[str]]:
        """exclusions() of hybrids, remembered for this engine's run: the volume probes pair the same sides again
        and again. A hybrid is made from its two sides (the same option objects from probe to probe), pattern and
        share, all in the key with its label; hard rules do not depend on the volume (see exclusions()), and the
        key holds everything else they read: the context less the volume. The memo holds each hybrid, and so its
        sides, so that their ids are not reused."""
        workload = [
            (k, v) for k, v in vars(context["workload"]).items() if k not in ("requests_per_day", "tokens_per_day")
        ]
        scope = repr([*sorted((k, v) for k, v in context.items() if k != "workload"), workload])
        memo = self.hybrid_rules
        if len(memo) > 20_000:
            memo.clear()

        def key(hybrid: Option) -> tuple[Any, ...]:
            return (id(hybrid.small), id(hybrid.large), hybrid.pattern, hybrid.small_share, hybrid.label, scope)

        missing = [h for h in hybrids if key(h) not in memo]
        if missing:
            found = self.exclusions(missing, context)
            memo.update({key(h): (h, found[id(h)]) for h in missing})
        return {id(h): list(memo[key(h)][1]) for h in hybrids}

    @staticmethod
    def cost_facts(viable: list[Option], costs: dict[int, dict[str, float]]) -> SimpleNamespace:
        """The cheapest expected monthly cost per kind (slm, llm, hybrid), per side (api, own, own_llm) and overall,
        which the soft rules read as `cost`; one pass over the viable options (every probe of a search runs it)."""
        cheapest = dict.fromkeys(("slm", "llm", "hybrid", "api", "own", "own_llm"), math.inf)
        best: Option | None = None
        best_key: tuple[float, str] | None = None
        for o in viable:
            usd = costs[id(o)]["expected"]
            if usd < cheapest[o.kind]:
                cheapest[o.kind] = usd
            side = "api" if o.provider is not None else "own"
            if usd < cheapest[side]:
                cheapest[side] = usd
            if side == "own" and o.kind == "llm" and usd < cheapest["own_llm"]:
                cheapest["own_llm"] = usd
            if best_key is None or (usd, o.label) < best_key:
                best, best_key = o, (usd, o.label)
        return SimpleNamespace(
            **cheapest,
            cheapest_kind=best.kind if best else None,
            cheapest_model=best.model if best else None,
            break_even_requests_per_day=None,
        )

    def reasons(self, result: WorkloadRecommendation, context: dict[str, Any], fired: list[Any]) -> list[Reason]:
        reasons = []
        for rule in self.hard:
            hit = [r for r in result.options if rule.id in r.excluded_by]
            if not hit:
                continue
            for r in hit:
                r.why_excluded.append(money_in_text(rule.render({**context, "option": r.option})))
            providers = sorted({r.option.provider for r in hit if r.option.provider})
            effect = f"excluded {len(hit)} option{'s' if len(hit) != 1 else ''}"
            if providers:
                effect += f" (providers: {', '.join(providers)})"
            best_lost = min(hit, key=lambda r: (-r.score, r.cost, r.option.label))
            text = money_in_text(rule.render({**context, "option": best_lost.option}))
            reasons.append(Reason(rule.id, effect, text, rule.source))
        for rule in fired:
            effect = ", ".join(f"{target} +{weight:g}" for target, weight in rule.favours.items()) or "note"
            reasons.append(Reason(rule.id, effect, money_in_text(rule.render(context)), rule.source))
        ranking = self.ranking_reason(result)
        if ranking is not None:
            reasons.append(ranking)
        return reasons

    def ranking_reason(self, result: WorkloadRecommendation) -> Reason | None:
        """How the pick was chosen among the viable options: the points, the objective, and any option set aside
        because another beat it on every axis."""
        pick = result.pick
        if pick is None:
            return None
        objective = self.scenario.optimize_for
        viable = [r for r in result.options if r.viable]
        if pick.replaced:  # the objective chose among the options that beat the last one replaced, on every axis
            last = next(r for r in viable if r.option.label == pick.replaced[-1])
            peers = [r for r in viable if dominates(r, last)]
        else:
            peers = [r for r in viable if r.score == pick.score]
        cheapest = min(peers, key=lambda r: (r.cost, r.option.label)) if peers else pick
        how = {
            "balanced": f"the best quality score ({pick.option.quality_score:g}) within 10% of the cheapest of them "
            f"({cheapest.option.label}, {usd_text(cheapest.cost)} a month)"
            if pick.option.quality_score is not None
            else "the cheapest of them",
            "cost": "the cheapest of them",
            "latency": "the fastest p95 first token among them",
            "quality": "the best quality score among them",
        }[objective]
        count = f"{len(peers)} viable option{'s' if len(peers) != 1 else ''}"
        if not pick.replaced:
            text = f"Among the {count} with {pick.score:g} point{'s' if pick.score != 1 else ''}, "
            text += f"{pick.option.label} is {how} (optimize_for: {objective})."
        else:
            first = next(r for r in viable if r.option.label == pick.replaced[0])
            text = (
                f"{first.option.label} has the most points ({first.score:g}) and is the best of them by "
                f"optimize_for ({objective}), but another option deployed the same way costs no more, starts and "
                "finishes no later and scores no lower on quality, and is better on at least one of these: an option "
                "beaten on every axis is never the pick. "
            )
            if len(pick.replaced) > 1:
                steps = len(pick.replaced) - 1
                text += (
                    f"The best of those was beaten the same way in turn ({steps} more step{'s' if steps > 1 else ''}). "
                )
            verb = "beats" if len(peers) == 1 else "beat"
            text += (
                f"Among the {count} that {verb} {last.option.label} so, {pick.option.label} is {how} "
                f"(optimize_for: {objective}); it has {pick.score:g} point{'s' if pick.score != 1 else ''}."
            )
        return Reason(
            "ranking",
            objective,
            text,
            "Rightsize ranking - points from the rules, then the scenario's optimize_for; an option beaten on cost, "
            "p95 first token, whole-answer time and quality at once is never the pick",
        )

    # ------------------------------------------------------------------------------------ what would change
    def recommend_workload(self, workload: Workload) -> WorkloadRecommendation:
        scenario = self.scenario
        singles = self.singles(scenario, workload)
        context = self.context(scenario, workload)
        excluded = self.exclusions(singles, context)
        result = self.decide(scenario, workload, singles, context, excluded, explain=True)
        for ranked in result.options:
            ranked.breakdown_usd = ranked.option.breakdown_usd(
                workload.requests_per_day, workload, scenario.assumptions
            )
            ranked.replicas = ranked.option.replicas(workload.requests_per_day, workload, scenario.assumptions)
        self.break_even(result, workload)
        changes = self.volume_changes(workload, singles, context, excluded, result)
        changes += self.latency_change(workload, result, singles)
        changes += self.constraint_changes(workload, singles, context, result)
        changes += self.ops_change(workload, singles, context, excluded, result)
        result.changes = [
            c
            for c in changes
            if not (c.factor == "volume" and isinstance(c.threshold, float) and c.threshold < MIN_VOLUME_SHOWN)
        ]
        return result

    def ops_change(
        self,
        workload: Workload,
        singles: list[Option],
        context: dict[str, Any],
        excluded: dict[int, list[str]],
        result: WorkloadRecommendation,
    ) -> list[Change]:
        """With staff and operations at $0 and a pick on own or rented hardware: the monthly ops figure from which
        the pick changes (searched up to the last of OPS_GRID_USD)."""
        pick = result.pick
        assumptions = self.scenario.assumptions
        if pick is None or assumptions.ops_usd_per_month > 0 or pick.option.deployment == "api":
            return []
        label = pick.option.label

        def decide_with(ops: float) -> WorkloadRecommendation:
            scenario = self.scenario.model_copy(
                update={"assumptions": assumptions.model_copy(update={"ops_usd_per_month": ops})}
            )
            return self.decide(scenario, workload, singles, context, excluded, pick_only=True)

        def changed(ops: float) -> bool:
            after = decide_with(ops)
            return after.pick is None or after.pick.option.label != label

        inside = 0.0
        for outside in OPS_GRID_USD:
            if changed(outside):
                edge = _bisect(changed, max(inside, 1.0), outside, steps=12)
                edge = math.ceil(edge / 10) * 10  # whole tens of dollars, on the changed side
                if not changed(edge):  # the rounding crossed back: keep the bisection's own figure
                    edge = _bisect(changed, max(inside, 1.0), outside, steps=12)
                lead = f"With staff and operations at {usd_text(edge)} a month or more (today $0)"
                return [_change("ops", float(edge), decide_with(edge), lead)]
            inside = outside
        return []

    def break_even(self, result: WorkloadRecommendation, workload: Workload) -> None:
        """First volume where own hardware becomes cheaper than the API, between the pick and the best viable
        option on the other side of that line."""
        pick = result.pick
        if pick is None:
            return
        uses_api = pick.option.provider is not None
        # The other side is a single model (all API, or all own hardware): a hybrid sits on both sides of the line.
        other = next(
            (
                r
                for r in result.options
                if r.viable and r.option.small is None and (r.option.provider is None) == uses_api
            ),
            None,
        )
        if other is None:
            return
        api, own = (pick.option, other.option) if uses_api else (other.option, pick.option)
        assumptions = self.scenario.assumptions

        def own_cheaper(volume: float) -> bool:
            own_cost = own.usd_at(volume, workload, assumptions, "expected")
            return own_cost < api.usd_at(volume, workload, assumptions, "expected")

        crossing = _first_crossing(own_cheaper)
        result.break_even_against = other.option.label
        result.break_even_requests_per_day = crossing

    def volume_changes(
        self,
        workload: Workload,
        singles: list[Option],
        context: dict[str, Any],
        excluded: dict[int, list[str]],
        result: WorkloadRecommendation,
    ) -> list[Change]:
        """The nearest volumes below and above today's where the pick changes kind or deployment.

        The search re-decides with today's options (each model on the hardware chosen for today's volume), which is
        cheap; the edge it finds is then checked by deciding again from scratch on either side of it (where the
        hardware may be chosen anew), and searched again that way when the check fails. So a threshold shown is
        one that re-running the engine confirms."""
        volume = workload.requests_per_day

        def signature(v: float) -> tuple[str, str] | None:
            decided = self.decide(self.scenario, workload, singles, context, excluded, v, pick_only=True)
            pick = decided.pick
            return (pick.option.kind, pick.option.deployment) if pick else None

        def again(v: float) -> tuple[str, str] | None:
            decided = self.redecide(workload.model_copy(update={"requests_per_day": v}))
            pick = decided.pick
            return (pick.option.kind, pick.option.deployment) if pick else None

        here = signature(volume)
        changes = []
        # Below MIN_VOLUME_SHOWN no change is reported, so the search stops one grid step under it.
        below = [float(v) for v in VOLUME_GRID if MIN_VOLUME_SHOWN / 4 <= v < volume][::-1]
        above = [float(v) for v in VOLUME_GRID if v > volume]
        # With the hardware named, today's options are the options at any volume (only the replica count moves),
        # so the search is exact; when the advisor picks the hardware, the edge is checked by deciding again.
        exact = self.scenario.hardware.profile is not None
        for direction, grid in (("below", below), ("above", above)):
            edge = self.first_change(lambda v: signature(v) != here, volume, grid)
            if edge is None:
                continue
            # The edge is bisected to 1%: one step of that on either side is beyond it and before it.
            step = 1.01 if direction == "above" else 1 / 1.01
            confirmed = exact or (again(edge * step) != here and again(edge / step) == here)
            if not confirmed:
                edge = self.first_change(lambda v: again(v) != here, volume, grid, steps=VOLUME_REFINE_STEPS)
                if edge is None:
                    continue
            shown = _round_volume(edge, up=direction == "above")
            after = (
                self.decide(self.scenario, workload, singles, context, excluded, shown, pick_only=True)
                if exact
                else self.redecide(workload.model_copy(update={"requests_per_day": shown}))
            )
            changes.append(_volume_change(direction, shown, after))
        return changes

    @staticmethod
    def first_change(changed: Any, start: float, grid: list[float], steps: int = 40) -> float | None:
        """The first grid point from `start` where `changed` holds, refined by bisection to 1%; None if none."""
        inside = start
        for probe in grid:
            if changed(probe):
                return _bisect(changed, inside, probe, steps)
            inside = probe
        return None

    def redecide(self, workload: Workload) -> WorkloadRecommendation:
        """Decide `workload` from scratch: options built for it (hardware chosen anew), rules checked again."""
        scenario = self.scenario.model_copy(
            update={"workloads": [workload if w.name == workload.name else w for w in self.scenario.workloads]}
        )
        singles = self.singles(scenario, workload)
        context = self.context(scenario, workload)
        return self.decide(scenario, workload, singles, context, self.exclusions(singles, context), pick_only=True)

    def latency_change(self, workload: Workload, result: WorkloadRecommendation, singles: list[Option]) -> list[Change]:
        """The p95 first-token target under which the pick changes, and what would be picked then.

        A tighter target never makes an option cheaper: a self-hosted option must load its replicas less (the p95
        wait for a slot and behind other prefills has less room; fit.capacity) or run smaller batches, and drops out
        below what an idle replica manages. So the pick holds down to some target and has changed below the fastest
        first token it can give; the edge between is bisected to 1%, from today's target (from far above the pick's
        p95 when there is none). When the advisor chooses the hardware, the edge is confirmed by deciding from scratch
        on both sides of it."""
        pick = result.pick
        if pick is None or pick.option.est_first_token_p95_ms is None:
            return []
        label = pick.option.label
        own = pick.option.est_first_token_p95_ms
        target = workload.latency_p95_first_token_ms

        decided: dict[float, WorkloadRecommendation] = {}

        def at(probe: float) -> WorkloadRecommendation:
            if probe not in decided:
                decided[probe] = self.decide_at_first_token(workload, probe, singles, result)
            return decided[probe]

        def changed(probe: float) -> bool:
            after = at(probe)
            return after.pick is None or after.pick.option.label != label

        # Under the fastest first token the pick can give (one request alone; its own p95 for an API) it drops out,
        # so the pick has changed there; above, bisect between that and a target that keeps it.
        fastest = min(own, pick.option.min_first_token_ms or own) * 0.999
        if target is not None:
            inside = target
        else:
            inside = own * LATENCY_HEADROOM
            if changed(inside):
                return []  # already changed far above the pick's p95: any target would change it
        if fastest >= inside:
            return []
        # The pick's own p95 is where it drops out when nothing else moves it first (an API's sizing never changes):
        # if the pick still holds just above it, the edge is there, and two probes find it.
        if own < inside and not changed(min(own * 1.01, inside)) and changed(own * 0.999):
            threshold = own
        else:
            # `edge` changes the pick and a target 1% above it does not.
            threshold = _bisect(changed, inside, fastest, LATENCY_REFINE_STEPS)
        if self.scenario.hardware.profile is None:  # hardware chosen anew: check from scratch
            confirmed = self.latency_confirmed(workload, threshold, label)
            if confirmed is None:
                return []  # deciding from scratch disagrees: no sentence is better than a wrong one
            after = confirmed
        else:
            after = at(threshold * 0.999)
        return [
            _change(
                "first_token_target",
                round(threshold, 1),
                after,
                f"A p95 first-token target under {threshold:,.0f} ms rules out {label}",
            )
        ]

    def latency_confirmed(self, workload: Workload, threshold: float, label: str) -> WorkloadRecommendation | None:
        """Deciding from scratch just under the threshold changes the pick and just over it keeps it: then the
        decision just under it (what the pick would be), else None. "Just over" is 2% over: the edge is bisected
        to 1%."""

        def at(target: float) -> WorkloadRecommendation:
            return self.redecide(workload.model_copy(update={"latency_p95_first_token_ms": target}))

        under = at(threshold * 0.999)
        if under.pick is not None and under.pick.option.label == label:
            return None
        over = at(threshold * 1.02)
        return under if over.pick is not None and over.pick.option.label == label else None

    def decide_at_first_token(
        self, workload: Workload, target: float, singles: list[Option], result: WorkloadRecommendation
    ) -> WorkloadRecommendation:
        """Decide again with a p95 first-token target of `target` ms, each model on the hardware chosen for it.

        Self-hosted options are sized again (a tighter target loads each replica less and may shrink its batch),
        but only the ones that could still be picked: resizing makes an option slower to serve and dearer, never
        cheaper, so one already dearer than the re-sized pick (10% more under balanced) with no more points than
        the pick cannot win; the hard rule decides on it as it is. Under optimize_for latency every one is sized
        again."""
        tighter = workload.model_copy(update={"latency_p95_first_token_ms": target})
        scenario = self.scenario.model_copy(
            update={"workloads": [tighter if w.name == workload.name else w for w in self.scenario.workloads]}
        )
        pick = result.pick
        assert pick is not None
        points = {id(r.option): r.score for r in result.options}
        volume, assumptions = workload.requests_per_day, scenario.assumptions

        def sized_by_target(o: Option) -> bool:
            return o.is_self_hosted and o.est_first_token_p95_ms is not None

        new_pick = (
            resized(pick.option, scenario, tighter, self.catalog, expected_only=True)
            if sized_by_target(pick.option)
            else pick.option
        )
        band = 1 + BALANCED_BAND if self.scenario.optimize_for == "balanced" else 1.0
        ceiling = new_pick.usd_at(volume, tighter, assumptions, "expected") * band
        # The pick itself may miss the new target (an API's p95, or a replica that cannot start in time): then any
        # of the others may take its place, and how they compare depends on their own re-sizing.
        pick_holds = new_pick.meets_latency is not False and (
            new_pick.est_first_token_p95_ms is None or new_pick.est_first_token_p95_ms <= target
        )

        def worth_resizing(o: Option) -> bool:
            if not pick_holds or self.scenario.optimize_for == "latency" or points.get(id(o), 0.0) > pick.score:
                return True
            return o.usd_at(volume, tighter, assumptions, "expected") <= ceiling

        again = []
        for o in singles:
            if o is pick.option:
                again.append(new_pick)
            elif sized_by_target(o) and worth_resizing(o):
                again.append(resized(o, scenario, tighter, self.catalog, expected_only=True))
            else:
                again.append(o)  # an API, or cannot win: the hard rule decides on it as it is
        context = self.context(scenario, tighter)
        return self.decide(scenario, tighter, again, context, self.exclusions(again, context), pick_only=True)

    def constraint_changes(
        self, workload: Workload, singles: list[Option], context: dict[str, Any], result: WorkloadRecommendation
    ) -> list[Change]:
        """Stricter privacy when the pick uses an API, an agreement with a provider when privacy rules APIs out,
        and the neighbouring quality bars."""
        pick = result.pick
        changes = []
        constraints = context["constraints"]
        trials: list[tuple[str, str, dict[str, Any], str]] = []
        if pick is not None and pick.option.provider is not None:
            trials.append(
                (
                    "privacy",
                    "regulated",
                    {"privacy": "regulated", "allowed_providers": []},
                    "If the data were regulated (no agreement with any API provider)",
                ),
            )
        privacy_rules = {"regulated_data_stays_in_house", "air_gapped_no_api", "local_only_deployment"}
        blocked = [r for r in result.options if r.option.provider and set(r.excluded_by) & privacy_rules]
        if blocked and constraints.privacy == "regulated" and constraints.deployment != "local_only":
            provider = min(blocked, key=lambda r: (len(r.excluded_by), r.cost, r.option.label)).option.provider
            trials.append(
                (
                    "privacy",
                    f"allowed_providers: [{provider}]",
                    {"allowed_providers": sorted({*constraints.allowed_providers, provider})},
                    f"With a data-processing agreement with {provider} (allowed_providers: [{provider}])",
                ),
            )
        if constraints.privacy == "confidential" and not constraints.allowed_providers:
            # Confidential data with no vetted provider: the rules prefer own hardware. Naming the provider of the
            # best API option there is shows what confirming its enterprise terms would change.
            api = [r for r in result.options if r.viable and r.option.provider]
            if api:
                best = min(api, key=lambda r: (-r.score, r.cost, r.option.label))
                providers = sorted(
                    {
                        best.option.provider or "",
                        *(side.provider for side in (best.option.small, best.option.large) if side and side.provider),
                    }
                    - {""}
                )
                trials.append(
                    (
                        "privacy",
                        f"allowed_providers: [{', '.join(providers)}]",
                        {"allowed_providers": providers},
                        f"With {', '.join(providers)}'s enterprise terms confirmed (allowed_providers: "
                        f"[{', '.join(providers)}])",
                    ),
                )
        for factor, threshold, update, lead in trials:
            ctx = {**context, "constraints": SimpleNamespace(**{**vars(constraints), **update})}
            after = self.decide(self.scenario, workload, singles, ctx, self.exclusions(singles, ctx), pick_only=True)
            changes.append(_change(factor, threshold, after, lead))
        rank = QUALITY_RANK[workload.quality]
        for other in (rank + 1, rank - 1):
            if not 0 <= other < len(QUALITIES):
                continue
            quality = QUALITIES[other]
            w = SimpleNamespace(**{**vars(context["workload"]), "quality": quality, "quality_rank": other})
            ctx = {**context, "workload": w}
            changed = workload.model_copy(update={"quality": quality})
            after = self.decide(self.scenario, changed, singles, ctx, self.exclusions(singles, ctx), pick_only=True)
            changes.append(
                _change(
                    "quality",
                    quality,
                    after,
                    f"If {quality} answers were enough" if other < rank else f"If answers had to be {quality}",
                )
            )
        return [c for c in changes if c.pick != (pick.option.label if pick else None)]


def _figures(ranked: RankedOption) -> tuple[float, float, float, float]:
    """What dominance compares, lower is better: monthly cost, p95 first token, whole-answer time, -quality."""
    if ranked._figures is None:
        ranked._figures = _compute_figures(ranked)
    return ranked._figures


def _compute_figures(ranked: RankedOption) -> tuple[float, float, float, float]:
    o = ranked.option
    return (
        round(ranked.cost, 2),
        round(o.est_first_token_p95_ms, 0) if o.est_first_token_p95_ms is not None else math.inf,
        round(o.est_total_ms, 0) if o.est_total_ms is not None else math.inf,
        -(o.quality_score or 0.0),
    )


def dominates(a: RankedOption, b: RankedOption) -> bool:
    """`a` is at least as good as `b` on cost, p95 first token, whole-answer time and quality, better on one,
    and runs where `b` runs (the same deployment kind, so a where-it-runs preference never explains it)."""
    if a.option.deployment != b.option.deployment:
        return False
    fa, fb = _figures(a), _figures(b)
    return all(x <= y for x, y in zip(fa, fb, strict=True)) and fa != fb


def _objective(optimize_for: str) -> Any:
    """Sort key between viable options of equal points."""
    if optimize_for == "latency":
        return lambda r: (_figures(r)[1], _figures(r)[2], round(r.cost, 2), *_quality_key(r.option))
    if optimize_for == "quality":
        return lambda r: (-(r.option.quality_score or 0.0), round(r.cost, 2), *_quality_key(r.option))
    return lambda r: (round(r.cost, 2), -(r.option.quality_score or 0.0), *_quality_key(r.option))


def _best(candidates: list[RankedOption], optimize_for: str) -> RankedOption:
    """The best of options of equal points: by the objective; balanced takes the best quality within 10% of the
    cheapest."""
    ordered = sorted(candidates, key=_objective(optimize_for))
    if optimize_for != "balanced":
        return ordered[0]
    ceiling = ordered[0].cost * (1 + BALANCED_BAND)
    near = [r for r in ordered if r.cost <= ceiling]
    return min(near, key=lambda r: (-(r.option.quality_score or 0.0), round(r.cost, 2), *_quality_key(r.option)))


def _choose(ranked: list[RankedOption], optimize_for: str, mark_all: bool = True) -> list[RankedOption]:
    """Put the pick first. The candidate is the best by points, then by the objective; while a viable option of the
    same deployment kind dominates it, the best of its dominators takes its place (the rules' preferred kind never
    justifies an option that another beats on cost, speed and quality at once). The others keep their rank order.
    Every dominated viable option gets `dominated_by` (the cheapest option that dominates it); `mark_all` False
    (the engine's probes, which only need the pick) marks only the chain that led to the pick. The pick does not
    depend on the order of `ranked`: the top points are the highest, and every tie-break ends at the label."""
    viable = [r for r in ranked if r.viable]
    if not viable:
        return ranked
    figures = np.array([_figures(r) for r in viable])
    kinds = np.array([r.option.deployment for r in viable])
    index = {id(r): i for i, r in enumerate(viable)}

    def beaters(j: int) -> np.ndarray:
        """Indices of the viable options that dominate option j."""
        no_worse = (figures <= figures[j]).all(axis=1)
        better = (figures < figures[j]).any(axis=1)
        return np.flatnonzero(no_worse & better & (kinds == kinds[j]))

    def cheapest_label(found: np.ndarray) -> str:
        order = np.lexsort((np.array([viable[i].option.label for i in found]), figures[found, 0]))
        return str(viable[found[order[0]]].option.label)

    for r in viable:
        r.dominated_by, r.replaced = None, ()
    top = max(r.score for r in viable)
    pick = _best([r for r in viable if r.score == top], optimize_for)
    replaced: list[str] = []
    while (found := beaters(index[id(pick)])).size:
        pick.dominated_by = cheapest_label(found)
        replaced.append(pick.option.label)
        pick = _best([viable[i] for i in found], optimize_for)
    pick.replaced = tuple(replaced)
    if mark_all:
        for j, r in enumerate(viable):
            if r is not pick and (found := beaters(j)).size:
                r.dominated_by = cheapest_label(found)
    return [pick, *(r for r in viable if r is not pick), *(r for r in ranked if not r.viable)]


def _quality_key(o: Option) -> tuple[Any, ...]:
    """Between options of equal points and cost: higher tier, chat-tuned, higher MMLU, then the label."""
    return (-o.capability_rank, not o.instruction_tuned, -(o.mmlu or 0.0), o.label)


def _rank_key(ranked: RankedOption) -> tuple[Any, ...]:
    cost = round(ranked.cost, 2)
    if ranked.viable:
        return (0, 0, -ranked.score, cost, *_quality_key(ranked.option))
    return (1, len(ranked.excluded_by), -ranked.score, cost, *_quality_key(ranked.option))


def _first_crossing(own_cheaper: Any, low: float = 1.0, high: float = 1e9) -> float | None:
    """The smallest volume (requests/day) on a log scale where `own_cheaper` turns true, or None."""
    grid = np.logspace(math.log10(low), math.log10(high), 73)
    previous = grid[0]
    if own_cheaper(previous):
        return float(previous)
    for volume in grid[1:]:
        if own_cheaper(volume):
            return _bisect(own_cheaper, previous, volume)
        previous = volume
    return None


def _bisect(changed: Any, inside: float, outside: float, steps: int = 40) -> float:
    """The boundary between `inside` (changed false) and `outside` (changed true), to 1% or a request a day."""
    for _ in range(steps):
        if abs(outside - inside) <= max(1.0, 0.01 * min(inside, outside)):
            break
        middle = math.sqrt(inside * outside) if inside > 0 and outside > 0 else (inside + outside) / 2
        if changed(middle):
            outside = middle
        else:
            inside = middle
    return float(outside)


def _change(factor: str, threshold: float | str | None, after: WorkloadRecommendation, lead: str) -> Change:
    pick = after.pick
    if pick is None:
        text = f"{lead}, no option would meet every constraint."
        return Change(factor, threshold, None, None, None, None, text)
    text = (
        f"{lead}, the pick would be {pick.option.label}: {pick.option.kind.upper()} ({pick.option.deployment}), "
        f"{usd_text(pick.cost)} a month."
    )
    return Change(factor, threshold, pick.option.kind, pick.option.deployment, pick.option.label, pick.cost, text)


def _volume_change(direction: str, shown: float, after: WorkloadRecommendation) -> Change:
    lead = f"{'Below' if direction == 'below' else 'Above'} {shown:,.0f} requests a day"
    return _change("volume", shown, after, lead)


def _round_volume(volume: float, up: bool) -> float:
    """Three significant figures, rounded away from today's volume so the figure stays on the side where the pick
    has changed: up for a threshold above today's volume, down for one below."""
    if volume <= 0:
        return 0.0
    scale = 10 ** (math.floor(math.log10(volume)) - 2)
    return float((math.ceil if up else math.floor)(volume / scale) * scale)


def _money(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 2)


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)


MEASURED_ON_YOUR_PROMPTS = "measured on your prompts"
"""What a hybrid whose split the Hybrid lab measured says, at the end of its label and in its routing source."""


def _use_measured_split(hybrid: Option, measured: Any) -> None:
    """A hybrid whose routed share the Hybrid lab measured on the team's prompts: it says so, and its quality score
    uses the measured quality against the large model (capped at the large model's) instead of random routing's."""
    hybrid.label += f" ({MEASURED_ON_YOUR_PROMPTS})"
    hybrid.routing_source = (
        f"{MEASURED_ON_YOUR_PROMPTS}: {measured.router}, {measured.prompts:,} prompts, the small model kept "
        f"{measured.small_share:.0%}"
        + ("" if measured.quality_vs_large is None else f" at {measured.quality_vs_large:.0%} of the large model's")
    )
    large = hybrid.large
    if measured.quality_vs_large is not None and large is not None and large.quality_score is not None:
        kept = min(measured.quality_vs_large, 1.0)
        small_score = hybrid.small.quality_score if hybrid.small is not None else None
        hybrid.quality_score = round(max(large.quality_score * kept, small_score or 0.0), 1)
        hybrid.quality_basis = f"{large.label}'s {large.quality_score:g} x {kept:.0%} ({MEASURED_ON_YOUR_PROMPTS})"
