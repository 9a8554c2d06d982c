"""Sweeps that re-run the decision: the best small model (SLM), large model (LLM) and hybrid, and the pick, at every
point of a grid of volumes, token shapes and price changes.

Each point is decided exactly as `recommend()` decides a scenario whose workload has that volume and token shape:
the options are sized for the point (replicas, and the hardware profile when the scenario leaves the choice to the
advisor), the hard rules exclude, the soft rules score and the ranking picks. What a point does not need is left
out (the reasons, the thresholds that would change the pick), and what does not change between points is built once:
API options once per token shape, self-hosted options once per token shape and hardware choice.

    frame = sweep(scenario, volume=np.geomspace(1e3, 1e7, 50))
    frame[frame.is_pick]                                  # the pick at each volume, per workload
"""

from __future__ import annotations

import dataclasses
import itertools
import math
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.data.catalog import Catalog, default_catalog
from advisor.engine.cost import capacity, capacity_batch, devices_monthly_cost, has_price, replica_monthly_cost
from advisor.engine.options import (
    Option,
    api_options,
    best_quant_cached,
    deployment_option,
    paid_as,
    prime_best_quant,
    self_hosted_options,
)
from advisor.engine.recommend import RankedOption, WorkloadRecommendation, _Engine
from advisor.errors import AdvisorError

if TYPE_CHECKING:
    import pandas as pd

    from advisor.schema.catalog import HardwareProfile
    from advisor.schema.rules import RulesFile
    from advisor.schema.scenario import Scenario, Workload

CLASSES = ("slm", "llm", "hybrid")
"""The three answers the advisor gives, in the order sweep rows list them."""

SWEEP_COLUMNS = (
    "workload",
    "requests_per_day",
    "input_tokens",
    "output_tokens",
    "price_factor",
    "class",
    "label",
    "deployment",
    "viable",
    "monthly_cost_usd",
    "per_request_usd",
    "est_first_token_ms",
    "est_total_ms",
    "rank",
    "is_pick",
    "verdict",
    "pick",
    "pick_monthly_cost_usd",
)
"""Columns of `sweep()`, one row per point x workload x class:

workload, requests_per_day, input_tokens, output_tokens, price_factor: the point (price_factor multiplies every API
price; 1 is today's). class: slm, llm or hybrid. label: the best option of that class in the engine's ranking
(the one it would pick were it restricted to that class), empty when no option of the class meets every hard rule;
deployment: api, self_hosted, local or mixed. viable: an option of the class meets every hard rule.
monthly_cost_usd, per_request_usd: its expected cost at the point. est_first_token_ms, est_total_ms: its estimated
p95 latencies. rank: its place in the engine's ranking (1 = the pick). is_pick: it is the pick. verdict, pick,
pick_monthly_cost_usd: the pick's class, label and monthly cost at the point (repeated on the three rows)."""


def sweep(
    scenario: Scenario,
    volume: Any = None,
    input_tokens: Any = None,
    output_tokens: Any = None,
    *,
    volume_factor: Any = None,
    price_factor: Any = None,
    workloads: list[str] | None = None,
    catalog: Catalog | None = None,
    rules: RulesFile | str | None = None,
) -> pd.DataFrame:
    """Re-decide every workload of `scenario` at each point of a grid; returns a tidy DataFrame (SWEEP_COLUMNS).

    The grid is the product of the axes given; an axis left as None keeps each workload's own value.
    `volume`: requests/day, the same for every workload swept; `volume_factor`: multiplies each workload's own
    volume instead (a portfolio grows together); `input_tokens`, `output_tokens`: tokens per request;
    `price_factor`: multiplies every API price (0.7 = 30% cheaper). `workloads` limits the sweep to those names.

    At each point the costs equal `recommend()` on the scenario edited to that point: same options, sized for it,
    same rules, same pick. A workload's stated `context_tokens` grows with the swept tokens when it would no longer
    hold a request.
    """
    import pandas as pd

    cat = catalog or default_catalog()
    if rules is not None:
        cat = cat.with_rules(rules)
    if volume is not None and volume_factor is not None:
        raise AdvisorError("sweep: give volume (requests/day) or volume_factor (times each workload's), not both")
    chosen = _chosen_workloads(scenario, workloads)
    engine = _Engine(scenario, cat, cat.rules)
    factors = _axis(price_factor, "price_factor", positive=True) or [1.0]
    rows: list[dict[str, Any]] = []
    for workload in chosen:
        volumes = _axis(volume, "volume", positive=True) or [
            workload.requests_per_day * f for f in (_axis(volume_factor, "volume_factor", positive=True) or [1.0])
        ]
        shapes = [
            _reshaped(workload, int(tokens_in), int(tokens_out))
            for tokens_in, tokens_out in itertools.product(
                _axis(input_tokens, "input_tokens", whole=True) or [workload.input_tokens],
                _axis(output_tokens, "output_tokens", whole=True) or [workload.output_tokens],
            )
        ]
        # Every shape's options are sized at once (one numpy expression per deployment over the shapes).
        batch = capacity_batch((s.input_tokens, s.output_tokens, s.effective_context_tokens) for s in shapes)
        with batch:
            rows += _sweep_shapes(engine, scenario, shapes, volumes, factors, cat)
    return pd.DataFrame(rows, columns=list(SWEEP_COLUMNS))


def _sweep_shapes(
    engine: _Engine,
    scenario: Scenario,
    shapes: list[Workload],
    volumes: list[float],
    factors: list[float],
    cat: Catalog,
) -> list[dict[str, Any]]:
    """The rows of one workload at every token shape, volume and price factor."""
    rows: list[dict[str, Any]] = []
    contexts = [s.effective_context_tokens for s in shapes]
    if len(set(contexts)) > 1:
        # Each model's best quantisation on each profile at every context, in a few fit estimates.
        prime_best_quant(
            list(cat.models.values()),
            _profiles(scenario, cat),
            contexts,
            scenario.hardware.count,
            cat,
            scenario.hardware.engine,
        )
    for shape in shapes:
        engine.hybrid_rules.clear()  # the hybrids of the shape before are not paired again
        base_api = api_options(shape, cat)
        own = _OwnOptions(scenario, shape, cat, volumes)
        # Hard rules do not depend on volume (the engine reuses them across its own volume probes): each
        # option is checked once. `alive` keeps the options whose ids key the memo.
        excluded_memo: dict[int, list[str]] = {}
        alive: list[list[Option]] = []
        for factor in factors:
            api = base_api if factor == 1 else [_scaled(o, factor) for o in base_api]
            alive.append(api)
            for index, requests in enumerate(volumes):
                at_point = shape.model_copy(update={"requests_per_day": float(requests)})
                singles = api + own.at(index)
                context = engine.context(scenario, at_point)
                missing = [o for o in singles if id(o) not in excluded_memo]
                if missing:
                    excluded_memo.update(engine.exclusions(missing, context))
                excluded = {id(o): excluded_memo[id(o)] for o in singles}
                result = engine.decide(scenario, at_point, singles, context, excluded)
                rows += _rows(result, factor, scenario.assumptions.days_per_month)
    return rows


def decide_at(
    scenario: Scenario,
    workload: str | None = None,
    catalog: Catalog | None = None,
    **point: Any,
) -> WorkloadRecommendation:
    """The engine's ranking for one workload edited to `point` (requests_per_day, input_tokens, ...): what a sweep
    reads at one point, with every option ranked."""
    cat = catalog or default_catalog()
    chosen = _chosen_workloads(scenario, [workload] if workload else None)[0]
    edited = chosen.model_copy(update=point)
    engine = _Engine(scenario, cat, cat.rules)
    singles = api_options(edited, cat) + self_hosted_options(scenario, edited, cat)
    context = engine.context(scenario, edited)
    return engine.decide(scenario, edited, singles, context, engine.exclusions(singles, context))


def break_evens(frame: pd.DataFrame) -> pd.DataFrame:
    """Where one class's best option becomes cheaper than another's along the volume axis of a sweep.

    Returns workload, input_tokens, output_tokens, price_factor, cheaper (the class that wins above the volume),
    dearer, requests_per_day (the first swept volume where it is cheaper, geometric midpoint with the one before).
    """
    import pandas as pd

    wide = frame.pivot_table(
        index=["workload", "input_tokens", "output_tokens", "price_factor", "requests_per_day"],
        columns="class",
        values="monthly_cost_usd",
        observed=True,
    ).sort_index()
    found = []
    for key, group in wide.groupby(level=[0, 1, 2, 3], sort=False):
        volumes = group.index.get_level_values("requests_per_day").to_numpy()
        for a, b in itertools.permutations([c for c in CLASSES if c in group.columns], 2):
            cheaper = (group[a] < group[b]).to_numpy()
            known = (group[a].notna() & group[b].notna()).to_numpy()
            for i in range(1, len(volumes)):
                if known[i] and known[i - 1] and cheaper[i] and not cheaper[i - 1]:
                    found.append((*key, a, b, float(math.sqrt(volumes[i - 1] * volumes[i]))))
    return pd.DataFrame(
        found,
        columns=["workload", "input_tokens", "output_tokens", "price_factor", "cheaper", "dearer", "requests_per_day"],
    )


# ------------------------------------------------------------------------------------------------------- helpers
def _chosen_workloads(scenario: Scenario, names: list[str] | None) -> list[Workload]:
    if names is None:
        return list(scenario.workloads)
    known = {w.name: w for w in scenario.workloads}
    missing = [n for n in names if n not in known]
    if missing:
        raise AdvisorError(f"workloads: no workload named {missing[0]!r} in the scenario (it has: {', '.join(known)})")
    return [known[n] for n in names]


def _axis(values: Any, name: str, positive: bool = False, whole: bool = False) -> list[float] | None:
    if values is None:
        return None
    array = np.atleast_1d(np.asarray(values, dtype=float)).ravel()
    if array.size == 0:
        raise AdvisorError(f"{name}: give at least one value")
    if not np.all(np.isfinite(array)) or (positive and np.any(array <= 0)) or np.any(array < 0):
        raise AdvisorError(f"{name}: must be finite numbers > 0, got {values!r}")
    if whole:
        if np.any(array < 1):
            raise AdvisorError(f"{name}: must be at least 1 token, got {values!r}")
        array = np.round(array)
    return [float(v) for v in array]


def _reshaped(workload: Workload, tokens_in: int, tokens_out: int) -> Workload:
    update: dict[str, Any] = {"input_tokens": tokens_in, "output_tokens": tokens_out}
    if workload.context_tokens is not None and workload.context_tokens < tokens_in + tokens_out:
        update["context_tokens"] = tokens_in + tokens_out
    return workload.model_copy(update=update)


def _scaled(option: Option, factor: float) -> Option:
    return dataclasses.replace(option, per_request_usd=option.per_request_usd * factor)


def _rows(result: WorkloadRecommendation, factor: float, days_per_month: float) -> list[dict[str, Any]]:
    workload = result.workload
    pick = result.pick
    best: dict[str, tuple[int, RankedOption]] = {}
    for place, option in enumerate(result.options, start=1):
        if option.viable:
            best.setdefault(option.option.kind, (place, option))
    requests = workload.requests_per_day
    per_month = requests * days_per_month
    rows = []
    for kind in CLASSES:
        found: tuple[int, RankedOption | None] = best.get(kind, (0, None))
        rank, ranked = found
        cost = ranked.cost if ranked is not None else math.nan
        rows.append(
            {
                "workload": workload.name,
                "requests_per_day": requests,
                "input_tokens": workload.input_tokens,
                "output_tokens": workload.output_tokens,
                "price_factor": factor,
                "class": kind,
                "label": ranked.option.label if ranked else None,
                "deployment": ranked.option.deployment if ranked else None,
                "viable": ranked is not None,
                "monthly_cost_usd": cost,
                "per_request_usd": cost / per_month if ranked else math.nan,
                "est_first_token_ms": _number(ranked.option.est_first_token_ms) if ranked else math.nan,
                "est_total_ms": _number(ranked.option.est_total_ms) if ranked else math.nan,
                "rank": rank or None,
                "is_pick": ranked is not None and ranked is pick,
                "verdict": pick.option.kind if pick else None,
                "pick": pick.option.label if pick else None,
                "pick_monthly_cost_usd": pick.cost if pick else math.nan,
            }
        )
    return rows


def _number(value: float | None) -> float:
    return math.nan if value is None else float(value)


class _OwnOptions:
    """Self-hosted options of one token shape at each swept volume.

    With a hardware profile named by the scenario (or only one priced) they do not depend on volume: built once.
    When the advisor picks the profile, each model goes to the cheapest profile that fits at each volume (those
    that meet the latency targets first), exactly as advisor.engine.options.self_hosted_options chooses; the
    profiles' capacities are found once, and an option is built once per model and profile it lands on."""

    def __init__(self, scenario: Scenario, workload: Workload, catalog: Catalog, volumes: list[float]) -> None:
        self.scenario, self.workload, self.catalog = scenario, workload, catalog
        self.fixed: list[Option] | None = None
        self._built: dict[tuple[str, str | None], Option] = {}
        ownership = scenario.hardware.ownership
        for_sale = _profiles(scenario, catalog)
        if scenario.hardware.profile or len(for_sale) <= 1:
            self.fixed = self_hosted_options(scenario, workload, catalog)
            return
        assumptions = scenario.assumptions
        count = scenario.hardware.count
        floor = {h.id: devices_monthly_cost(h, count, assumptions, ownership).total_usd for h in for_sale}
        profiles = sorted(for_sale, key=lambda h: (floor[h.id], h.id))
        ops = assumptions.ops_usd_per_month
        v = np.asarray(volumes, dtype=float)
        top = int(np.argmax(v))
        # fit.replicas_needed's arithmetic, in its order, with the part that does not depend on the profile once.
        peak_rps = v / (np.asarray(assumptions.hours_per_day, dtype=float) * 3600) * workload.peak_factor
        context = workload.effective_context_tokens
        self.choice: dict[str, list[str | None]] = {}
        for model in catalog.models.values():
            candidates: list[tuple[str, bool, np.ndarray]] = []
            best_meeting = math.inf  # the cheapest bill at the top volume among profiles meeting the targets
            for profile in profiles:
                # The same stop as self_hosted_options, at the largest volume: bills grow with volume, so a profile
                # that cannot win there cannot win at any smaller one.
                if best_meeting <= floor[profile.id] + ops:
                    break
                deployment = best_quant_cached(model, profile, context, count, catalog, scenario.hardware.engine)
                if deployment is None or not has_price(deployment, ownership):
                    continue
                meets, rps = _replica_rps(deployment, workload)
                replica = replica_monthly_cost(deployment, assumptions, paid_as(deployment, scenario)).total_usd
                with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
                    replicas = np.maximum(np.ceil(peak_rps / rps), 1) if rps > 0 else np.full_like(v, np.inf)
                monthly = replicas * replica + ops
                candidates.append((profile.id, meets, monthly))
                if meets:
                    best_meeting = min(best_meeting, float(monthly[top]))
            self.choice[model.id] = _choose(candidates, len(volumes))

    def at(self, index: int) -> list[Option]:
        if self.fixed is not None:
            return self.fixed
        return [self._option(model_id, choices[index]) for model_id, choices in self.choice.items()]

    def _option(self, model_id: str, profile: str | None) -> Option:
        key = (model_id, profile)
        if key not in self._built:
            model = self.catalog.models[model_id]
            if profile is None:  # fits no profile: the option self_hosted_options keeps for the reason text
                (self._built[key],) = self_hosted_options(self.scenario, self.workload, self.catalog, models=[model])
            else:  # what self_hosted_options builds for a model it keeps on `profile`
                context, count = self.workload.effective_context_tokens, self.scenario.hardware.count
                deployment = best_quant_cached(
                    model, self.catalog.hardware[profile], context, count, self.catalog, self.scenario.hardware.engine
                )
                assert deployment is not None  # _choose only keeps profiles the model fits
                self._built[key] = deployment_option(deployment, self.scenario, self.workload, self.catalog)
        return self._built[key]


def _profiles(scenario: Scenario, catalog: Catalog) -> list[HardwareProfile]:
    """The profiles a model may land on: the one the scenario names, else every one priced for its ownership."""
    hardware = scenario.hardware
    if hardware.profile:
        return [catalog.hardware_profile(hardware.profile)]
    owned = hardware.ownership == "owned"
    return [h for h in catalog.hardware.values() if (h.purchase_usd if owned else h.cloud_usd_per_hour)]


def _replica_rps(deployment: Any, workload: Workload) -> tuple[bool, float]:
    """(meets the latency targets, requests/s one replica sustains): within the targets when some batch meets
    them, else ignoring them (a target nobody meets still leaves a bill to size), as the cost model sizes it."""
    cap = capacity(
        deployment,
        workload.input_tokens,
        workload.output_tokens,
        workload.effective_context_tokens,
        workload.latency_p95_first_token_ms,
        workload.latency_p95_total_ms,
    )
    if bool(cap.meets_latency):
        return True, float(cap.requests_per_s)
    free = capacity(deployment, workload.input_tokens, workload.output_tokens, workload.effective_context_tokens)
    return False, float(free.requests_per_s)


def _choose(candidates: list[tuple[str, bool, np.ndarray]], points: int) -> list[str | None]:
    """Per volume the profile self_hosted_options keeps: meeting the targets first, then the cheapest, then the
    first in price order; None when the model fits no profile."""
    if not candidates:
        return [None] * points
    meets = np.array([c[1] for c in candidates])
    bills = np.vstack([c[2] for c in candidates])  # (profiles, volumes)
    ranked = np.where(meets[:, None], bills, np.inf) if meets.any() else bills
    return [candidates[int(i)][0] for i in np.argmin(ranked, axis=0)]


TORNADO_COLUMNS = (
    "assumption",
    "low_value",
    "high_value",
    "low_monthly_cost_usd",
    "base_monthly_cost_usd",
    "high_monthly_cost_usd",
    "swing_usd",
)
"""Columns of tornado(): per assumption its values at -change and +change, the plan's monthly bill at each (the
picks of every workload, re-decided) and at today's values, and the swing (high bill minus low bill, absolute)."""


def tornado(scenario: Scenario, change: float = 0.3, catalog: Catalog | None = None) -> pd.DataFrame:
    """Which assumption moves the monthly bill most: each one moved `change` down and up (0.3 = +-30%) alone, every
    workload re-decided, the plan's total compared. Rows sorted by swing, largest first (TORNADO_COLUMNS)."""
    import pandas as pd

    if not 0 < change < 1:
        raise AdvisorError(f"change: must be between 0 and 1 (0.3 = +-30%), got {change}")
    cat = catalog or default_catalog()
    base = _plan_total(sweep(scenario, catalog=cat))
    factors = (1 - change, 1 + change)

    def workloads_scaled(field: str, factor: float, whole: bool = False) -> Scenario:
        edited = []
        for w in scenario.workloads:
            value = getattr(w, field) * factor
            value = max(1, round(value)) if whole else value
            update: dict[str, Any] = {field: value}
            if field == "peak_factor":
                update[field] = max(1.0, value)
            edited.append(w.model_copy(update=update))
        return scenario.model_copy(
            update={"workloads": [_reshaped(w, w.input_tokens, w.output_tokens) for w in edited]}
        )

    def assumption_scaled(field: str, factor: float, top: float | None = None) -> Scenario:
        value = getattr(scenario.assumptions, field) * factor
        value = min(value, top) if top is not None else value
        return scenario.model_copy(update={"assumptions": scenario.assumptions.model_copy(update={field: value})})

    trials: list[tuple[Any, ...]] = [
        ("requests per day", "x", *[workloads_scaled("requests_per_day", f) for f in factors]),
        ("input tokens per request", "x", *[workloads_scaled("input_tokens", f, whole=True) for f in factors]),
        ("output tokens per request", "x", *[workloads_scaled("output_tokens", f, whole=True) for f in factors]),
        ("API prices", "price", 1 - change, 1 + change),
        ("peak factor", "x", *[workloads_scaled("peak_factor", f) for f in factors]),
        ("hours a day capacity is up", "x", *[assumption_scaled("hours_per_day", f, 24) for f in factors]),
    ]
    if scenario.assumptions.ops_usd_per_month > 0:
        trials.append(("ops cost per month", "x", *[assumption_scaled("ops_usd_per_month", f) for f in factors]))
    if scenario.hardware.ownership == "owned":
        trials.append(("electricity price", "x", *[assumption_scaled("electricity_usd_per_kwh", f) for f in factors]))
        trials.append(("amortisation months", "x", *[assumption_scaled("amortization_months", f) for f in factors]))
    rows = []
    for name, how, low, high in trials:
        if how == "price":
            totals = [_plan_total(sweep(scenario, price_factor=f, catalog=cat)) for f in (low, high)]
            values = [low, high]
        else:
            totals = [_plan_total(sweep(s, catalog=cat)) for s in (low, high)]
            values = [1 - change, 1 + change]
        rows.append((name, values[0], values[1], totals[0], base, totals[1], abs(totals[1] - totals[0])))
    frame = pd.DataFrame(rows, columns=list(TORNADO_COLUMNS))
    return frame.sort_values("swing_usd", ascending=False, kind="stable").reset_index(drop=True)


def _plan_total(frame: pd.DataFrame) -> float:
    """The bill of the picks, summed over workloads (a workload with no viable option adds nothing)."""
    return float(frame.loc[frame["is_pick"], "monthly_cost_usd"].sum())


def sensitivity(
    volumes: Any,
    input_tokens: Any = None,
    output_tokens: Any = None,
    api_models: list[str] | None = None,
    deployments: list[Any] | None = None,
    *,
    scenario: Scenario | None = None,
    workload: str | None = None,
    hybrids: bool | None = None,
    catalog: Catalog | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Monthly cost of fixed options over a grid (advisor.engine.tables.sensitivity), and with a `scenario` the
    options `recommend()` ranks for one of its workloads (default the first), their `viable` column filled. Token
    axes default to the workload's own; the hybrids are included when the grid keeps that token shape (`hybrids`
    True or False forces it).

    The options stay as sized for the workload: what they would cost, not what the advisor would pick (that is
    sweep())."""
    from advisor.engine.recommend import recommend
    from advisor.engine.tables import sensitivity as grid

    cat = catalog or default_catalog()
    ranked = None
    if scenario is not None and api_models is None and deployments is None:
        chosen = _chosen_workloads(scenario, [workload] if workload else None)[0]
        input_tokens = [chosen.input_tokens] if input_tokens is None else input_tokens
        output_tokens = [chosen.output_tokens] if output_tokens is None else output_tokens
        ranked = recommend(scenario.model_copy(update={"workloads": [chosen]}), cat).workloads[0]
        workload = chosen.name
        if hybrids is None:
            own_shape = [chosen.input_tokens], [chosen.output_tokens]
            hybrids = (list(np.ravel(input_tokens)), list(np.ravel(output_tokens))) == own_shape
    if input_tokens is None or output_tokens is None:
        raise AdvisorError("sensitivity: give input_tokens and output_tokens (or a scenario to take them from)")
    return grid(
        volumes,
        input_tokens,
        output_tokens,
        api_models,
        deployments,
        scenario=scenario,
        workload=workload,
        catalog=cat,
        hybrids=bool(hybrids) and ranked is not None,
        ranked=ranked,
        **options,
    )
