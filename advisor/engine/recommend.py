"""The recommendation: build the options, let hard rules exclude and soft rules score, and explain the pick.

    options   every API model, every open-weight model on the scenario's hardware, hybrid pairings (options.py)
    exclude   hard rules, per option: `excluded_by` names each rule that holds
    score     soft rules, per workload: each one that holds adds its points to options of its kinds / deployments
    rank      not excluded first, by points, then expected monthly cost, then capability; the first is the pick
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
from advisor.engine.options import Option, hybrid_option
from advisor.engine.tables import single_options
from advisor.errors import AdvisorError
from advisor.schema.routing import quality_range
from advisor.schema.rules import RulesFile
from advisor.schema.vocabulary import BAND_NAMES, QUALITIES, QUALITY_RANK

if TYPE_CHECKING:
    import pandas as pd

    from advisor.schema.scenario import Scenario, Workload

SMALL_SIDES = 2
LARGE_SIDES = 2
"""Hybrid pairings tried: the best small sides, and the best large sides on an API and on own hardware each."""
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

    @property
    def viable(self) -> bool:
        return not self.excluded_by

    @property
    def cost(self) -> float:
        return self.monthly_usd["expected"]

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

    factor: str  # volume | first_token_target | privacy | quality
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
    def verdict(self) -> str:
        top = self.pick or (self.options[0] if self.options else None)
        if self.pick is None:
            return max(sorted(self.scores), key=lambda k: self.scores[k]) if self.scores else "llm"
        return top.option.kind if top else "llm"

    @property
    def deployment(self) -> str:
        top = self.pick or (self.options[0] if self.options else None)
        return top.option.deployment if top else "api"

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

    # ----------------------------------------------------------------------------------------- building blocks
    def singles(
        self, scenario: Scenario, workload: Workload, keep_hardware: dict[str, str] | None = None
    ) -> list[Option]:
        return single_options(scenario, workload, self.catalog, keep_hardware=keep_hardware)

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
            ),
            "hardware": SimpleNamespace(
                profile=profile.id if profile else None,
                name=profile.name if profile else None,
                kind=profile.kind if profile else None,
                count=hardware.count,
                ownership=hardware.ownership,
                memory_gb=profile.memory_gb if profile else None,
                priced=profile is None
                or (profile.purchase_usd if hardware.ownership == "owned" else profile.cloud_usd_per_hour) is not None,
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
    ) -> WorkloadRecommendation:
        """Rank every option at `volume` (default: the workload's); `explain` adds the reasons (slower)."""
        volume = workload.requests_per_day if volume is None else volume
        assumptions = scenario.assumptions
        context = {**context, "workload": SimpleNamespace(**{**vars(context["workload"]), "requests_per_day": volume})}
        hybrids = self.hybrids(workload, singles, excluded, volume)
        hybrid_excluded = self.exclusions(hybrids, context)
        excluded = {**excluded, **hybrid_excluded}
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
            return favour.get(option.kind, 0.0) + favour.get(option.deployment, 0.0)

        ranked = []
        for option in options:
            broken = excluded[id(option)]
            ranked.append(RankedOption(option, costs[id(option)], points(option), broken))
        ranked.sort(key=_rank_key)
        scores: dict[str, float] = {}
        for r in ranked:
            if r.viable:
                scores[r.option.kind] = max(scores.get(r.option.kind, -math.inf), r.score)
        result = WorkloadRecommendation(workload, ranked, [], scores)
        if explain:
            result.reasons = self.reasons(result, context, fired)
        return result

    def hybrids(
        self, workload: Workload, singles: list[Option], excluded: dict[int, list[str]], volume: float
    ) -> list[Option]:
        """Pair the cheapest small self-hosted sides with the cheapest large sides at the task's routed share."""
        routing = self.catalog.task_routing(workload.task)
        share = routing.small_share
        benchmark = self.catalog.routing_benchmark(routing.benchmark)
        assumptions = self.scenario.assumptions
        need = QUALITY_RANK[workload.quality]

        def cost_at(option: Option, share_of_volume: float) -> float:
            return option.usd_at(volume * share_of_volume, workload, assumptions, "expected")

        def small_key(o: Option) -> tuple[Any, ...]:
            broken = set(excluded[id(o)])
            # Best: passes every hard rule; next: fails only the quality bar (the router keeps easy requests).
            return (len(broken - {"below_quality_bar"}), bool(broken), round(cost_at(o, share), 2), *_quality_key(o))

        # The small side answers only what the router keeps, so it may be one tier below the bar.
        small_pool = [
            o for o in singles if o.kind == "slm" and o.is_self_hosted and o.fits and o.capability_rank >= need - 1
        ]
        smalls = sorted(small_pool, key=small_key)[:SMALL_SIDES]
        # Large sides: the cheapest API model and the cheapest on own hardware, so that both kinds of pairing
        # compete (they score differently under deployment rules).
        large_pool = [o for o in singles if o.kind == "llm" and o.fits]

        def large_key(o: Option) -> tuple[Any, ...]:
            return (len(excluded[id(o)]), round(cost_at(o, 1 - share), 2), *_quality_key(o))

        larges = []
        for on_api in (True, False):
            side = [o for o in large_pool if (o.provider is not None) == on_api]
            larges += sorted(side, key=large_key)[:LARGE_SIDES]
        quality = quality_range(benchmark, share)
        other = "cascade" if routing.pattern == "router" else "router"
        hybrids = []
        for i, small in enumerate(smalls):
            for j, large in enumerate(larges):
                patterns = [routing.pattern] + ([other] if i == 0 and j == 0 else [])
                for pattern in patterns:
                    hybrid = hybrid_option(small, large, share, pattern, quality)
                    hybrid.routing_source = routing.source
                    hybrids.append(hybrid)
        return hybrids

    @staticmethod
    def cost_facts(viable: list[Option], costs: dict[int, dict[str, float]]) -> SimpleNamespace:
        def cheapest(selected: list[Option]) -> float:
            return min((costs[id(o)]["expected"] for o in selected), default=math.inf)

        best = min(viable, key=lambda o: (costs[id(o)]["expected"], o.label), default=None)
        return SimpleNamespace(
            slm=cheapest([o for o in viable if o.kind == "slm"]),
            llm=cheapest([o for o in viable if o.kind == "llm"]),
            hybrid=cheapest([o for o in viable if o.kind == "hybrid"]),
            api=cheapest([o for o in viable if o.provider is not None]),
            own=cheapest([o for o in viable if o.provider is None]),
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
                r.why_excluded.append(rule.render({**context, "option": r.option}))
            providers = sorted({r.option.provider for r in hit if r.option.provider})
            effect = f"excluded {len(hit)} option{'s' if len(hit) != 1 else ''}"
            if providers:
                effect += f" (providers: {', '.join(providers)})"
            best_lost = min(hit, key=lambda r: (-r.score, r.cost, r.option.label))
            reasons.append(Reason(rule.id, effect, rule.render({**context, "option": best_lost.option}), rule.source))
        for rule in fired:
            effect = ", ".join(f"{target} +{weight:g}" for target, weight in rule.favours.items()) or "note"
            reasons.append(Reason(rule.id, effect, rule.render(context), rule.source))
        return reasons

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
        changes += self.latency_change(workload, result)
        changes += self.constraint_changes(workload, singles, context, result)
        result.changes = changes
        return result

    def break_even(self, result: WorkloadRecommendation, workload: Workload) -> None:
        """First volume where own hardware becomes cheaper than the API, between the pick and the best viable
        option on the other side of that line."""
        pick = result.pick
        if pick is None:
            return
        uses_api = pick.option.provider is not None
        other = next((r for r in result.options if r.viable and (r.option.provider is None) == uses_api), None)
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
        """The nearest volumes below and above today's where the pick changes kind or deployment."""
        volume = workload.requests_per_day

        def signature(v: float) -> tuple[str, str, str] | None:
            decided = self.decide(self.scenario, workload, singles, context, excluded, v)
            pick = decided.pick
            return (pick.option.kind, pick.option.deployment, pick.option.label) if pick else None

        def coarse(sig: tuple[str, str, str] | None) -> tuple[str, str] | None:
            return sig[:2] if sig else None

        here = coarse(signature(volume))
        changes = []
        below = [v for v in VOLUME_GRID if v < volume][::-1]
        above = [v for v in VOLUME_GRID if v > volume]
        for direction, grid in (("below", below), ("above", above)):
            inside = volume
            for probe in grid:
                if coarse(signature(probe)) != here:
                    edge = _bisect(lambda v: coarse(signature(v)) != here, inside, probe)
                    after = self.decide(self.scenario, workload, singles, context, excluded, edge)
                    changes.append(_volume_change(direction, edge, inside, after))
                    break
                inside = probe
        return changes

    def latency_change(self, workload: Workload, result: WorkloadRecommendation) -> list[Change]:
        """The first-token target under which the pick no longer qualifies, and what would be picked then."""
        pick = result.pick
        if pick is None or pick.option.min_first_token_ms is None:
            return []
        # Below the pick's single-request first token no batch size or replica count can meet the target.
        threshold = pick.option.min_first_token_ms
        tighter = workload.model_copy(update={"latency_p95_first_token_ms": max(threshold * 0.99, 1.0)})
        scenario = self.scenario.model_copy(
            update={"workloads": [tighter if w.name == workload.name else w for w in self.scenario.workloads]}
        )
        # Each model stays on the hardware chosen for it: the question is what a tighter target does to the pick.
        keep = {o.model: o.hardware for o in (r.option for r in result.options) if o.is_self_hosted and o.hardware}
        singles = self.singles(scenario, tighter, keep)
        context = self.context(scenario, tighter)
        after = self.decide(scenario, tighter, singles, context, self.exclusions(singles, context))
        return [
            _change(
                "first_token_target",
                round(threshold, 1),
                after,
                f"A first-token target under {threshold:,.0f} ms rules out {pick.option.label}",
            )
        ]

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
        for factor, threshold, update, lead in trials:
            ctx = {**context, "constraints": SimpleNamespace(**{**vars(constraints), **update})}
            after = self.decide(self.scenario, workload, singles, ctx, self.exclusions(singles, ctx))
            changes.append(_change(factor, threshold, after, lead))
        rank = QUALITY_RANK[workload.quality]
        for other in (rank + 1, rank - 1):
            if not 0 <= other < len(QUALITIES):
                continue
            quality = QUALITIES[other]
            w = SimpleNamespace(**{**vars(context["workload"]), "quality": quality, "quality_rank": other})
            ctx = {**context, "workload": w}
            changed = workload.model_copy(update={"quality": quality})
            after = self.decide(self.scenario, changed, singles, ctx, self.exclusions(singles, ctx))
            changes.append(
                _change(
                    "quality",
                    quality,
                    after,
                    f"If {quality} answers were enough" if other < rank else f"If answers had to be {quality}",
                )
            )
        return [c for c in changes if c.pick != (pick.option.label if pick else None)]


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
        f"${pick.cost:,.0f} a month."
    )
    return Change(factor, threshold, pick.option.kind, pick.option.deployment, pick.option.label, pick.cost, text)


def _volume_change(direction: str, edge: float, inside: float, after: WorkloadRecommendation) -> Change:
    shown = _round_volume(edge)
    lead = f"{'Below' if direction == 'below' else 'Above'} {shown:,.0f} requests a day"
    return _change("volume", shown, after, lead)


def _round_volume(volume: float) -> float:
    """Two significant figures: thresholds are estimates, not exact counts."""
    if volume <= 0:
        return 0.0
    return float(round(volume, 1 - math.floor(math.log10(volume))))


def _money(value: float | None) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, 2)


def _round(value: float | None, digits: int) -> float | None:
    if value is None or not math.isfinite(value):
        return None
    return round(value, digits)
