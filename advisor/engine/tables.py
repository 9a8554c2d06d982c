"""Tables of costed options for analysts and the `advisor cost` command: the cost table of one workload, cost
curves over volume, break-even between two rows, and the sensitivity grid.

All of them are built on the one option list `recommend()` ranks (advisor.engine.options), so a row here and the
matching recommended option always carry the same cost.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.data.catalog import Catalog, default_catalog
from advisor.engine.cost import Ownership, break_even_requests_per_day, replica_monthly_cost, split_api_id
from advisor.engine.fit import Deployment, capacity, replicas_needed
from advisor.engine.options import (
    BuiltOptions,
    Option,
    api_options,
    api_settings,
    deployment_label,
    self_hosted_options,
)
from advisor.errors import AdvisorError, UnknownIdError
from advisor.schema.scenario import Assumptions, Scenario, Workload
from advisor.schema.vocabulary import size_class_of

if TYPE_CHECKING:
    import pandas as pd

    from advisor.data.prices import PriceVariant

TABLE_COLUMNS = (
    "option",
    "kind",
    "deployment",
    "size_class",
    "capability",
    "model",
    "provider",
    "hardware",
    "quant",
    "replicas",
    "monthly_cost_usd",
    "cost_low_usd",
    "cost_high_usd",
    "per_request_usd",
    "per_mtok_usd",
    "hardware_usd",
    "energy_usd",
    "ops_usd",
    "api_usd",
    "utilisation",
    "max_load",
    "est_first_token_ms",
    "est_tokens_per_s",
    "meets_latency",
    "fits",
    "hardware_chosen",
    "devices",
    "replica_cost_usd",
    "capacity_requests_per_day",
)
"""Columns of workload_cost_table, in order. `kind` is api or self_hosted; `size_class` is slm or llm. For self-hosted
rows `max_load` is the share of a replica's flat-out rate it is sized to (under 1 with latency targets: requests
arrive at random and must find a free slot soon enough; advisor.engine.fit.capacity) and `utilisation` the mean
load over that sized capacity."""


def single_options(
    scenario: Scenario,
    workload: Workload,
    catalog: Catalog,
    variant: PriceVariant = "standard",
    keep_hardware: dict[str, str] | None = None,
    built: BuiltOptions | None = None,
) -> list[Option]:
    """The single-model options recommend() ranks for `workload`: every curated API model, then every open-weight
    model on the scenario's hardware (or the cheapest priced profile that fits; `keep_hardware` pins a model to a
    profile chosen before, for what-if runs). `built` reuses self-hosted options built before (BuiltOptions)."""
    api = api_options(workload, catalog, variant)
    return api + self_hosted_options(scenario, workload, catalog, keep_hardware, built=built)


def _api_meets_latency(option: Option, workload: Workload) -> bool | None:
    """Whether an API option's estimate meets the workload's targets as recommend() checks them (the p95 first
    token, the whole answer); None when the workload sets no target."""
    first_target, total_target = workload.latency_p95_first_token_ms, workload.latency_p95_total_ms
    if first_target is None and total_target is None:
        return None
    first, total = option.est_first_token_p95_ms, option.est_total_ms
    return (first_target is None or first is None or first <= first_target) and (
        total_target is None or total is None or total <= total_target
    )


def option_row(option: Option, scenario: Scenario, workload: Workload) -> dict[str, Any]:
    """One option as a row of the cost table, costed at the workload's volume."""
    assumptions = scenario.assumptions
    volume = workload.requests_per_day
    band = option.monthly_usd(volume, workload, assumptions)
    split = option.breakdown_usd(volume, workload, assumptions)
    per_month = volume * assumptions.days_per_month
    per_request = band["expected"] / per_month
    replicas = option.replicas(volume, workload, assumptions)
    own = option.provider is None
    replica_rps = option.replica_rps.get("expected", 0.0)
    mean_rps = volume / (assumptions.hours_per_day * 3600)
    return {
        "option": option.label,
        "kind": "self_hosted" if own else "api",
        "deployment": option.deployment,
        "size_class": option.kind,
        "capability": option.capability,
        "model": option.model,
        "provider": option.provider,
        "hardware": option.hardware,
        "quant": option.quant,
        "replicas": replicas,
        "monthly_cost_usd": band["expected"],
        "cost_low_usd": band["low"],
        "cost_high_usd": band["high"],
        "per_request_usd": per_request,
        "per_mtok_usd": per_request / (workload.input_tokens + workload.output_tokens) * 1e6,
        **split,
        "utilisation": mean_rps / (replicas * replica_rps) if own and replicas and replica_rps > 0 else None,
        "max_load": option.load_ceiling if own else None,
        "est_first_token_ms": option.est_first_token_ms,
        "est_tokens_per_s": option.est_tokens_per_s,
        "meets_latency": option.meets_latency if own else _api_meets_latency(option, workload),
        # An API model whose context window is shorter than a request cannot serve the workload.
        "fits": option.fits and option.context_tokens >= workload.effective_context_tokens,
        "hardware_chosen": ("scenario" if scenario.hardware.profile else "cheapest fitting") if own else None,
        "devices": option.devices,
        "replica_cost_usd": option.replica_cost_usd if own else None,
        "capacity_requests_per_day": replica_rps * assumptions.hours_per_day * 3600 / workload.peak_factor
        if own
        else None,
    }


def workload_cost_table(
    scenario: Scenario,
    workload: Workload,
    catalog: Catalog | None = None,
    model: str | None = None,
    variant: PriceVariant = "standard",
) -> pd.DataFrame:
    """Every costed single-model option for a workload, cheapest first: the curated API models and each open-weight
    model that fits, self-hosted. The same options, at the same cost, as `recommend()` ranks.

    Self-hosted options run on the scenario's hardware profile, or, when it names none, on the cheapest priced
    profile that fits (the `hardware_chosen` column says which it was). `model` keeps only options whose model
    id (API or open-weight) equals it. Columns: TABLE_COLUMNS.
    """
    import pandas as pd

    cat = catalog or default_catalog()
    if model is not None:  # price only what is asked for (not every curated model has a batch price)
        notes = [n for n in cat.api_notes if model in (n.model, n.open_weight_model, f"{n.provider}/{n.model}")]
        if not notes and model not in cat.models:
            known = sorted({*cat.models, *(f"{n.provider}/{n.model}" for n in cat.api_notes)})
            raise UnknownIdError("model", model, known, field="model")
        cat = dataclasses.replace(cat, api_notes=notes, models={k: v for k, v in cat.models.items() if k == model})
    options = [o for o in single_options(scenario, workload, cat, variant) if o.provider is not None or o.fits]
    if not options:
        raise AdvisorError(f"workloads.{workload.name}: no option could be costed (check --model and hardware)")
    frame = pd.DataFrame([option_row(o, scenario, workload) for o in options], columns=list(TABLE_COLUMNS))
    # Equal bills (one replica of the same hardware) go to the more capable option, then the one with headroom.
    from advisor.schema.vocabulary import QUALITY_RANK

    frame["_capability_rank"] = -frame["capability"].map(QUALITY_RANK)
    frame["_headroom"] = -frame["capacity_requests_per_day"].fillna(0)
    frame = frame.sort_values(["monthly_cost_usd", "_capability_rank", "_headroom", "option"], kind="stable")
    return frame.drop(columns=["_capability_rank", "_headroom"]).reset_index(drop=True)


def usable_options(table: pd.DataFrame, kind: Literal["api", "self_hosted"]) -> pd.DataFrame:
    """Rows of workload_cost_table of one kind that can serve the workload (an API model whose context window is
    too short is no option), cheapest first."""
    return table[(table["kind"] == kind) & table["fits"].astype(bool)]


def break_even_between(api_row: Any, self_hosted_row: Any, assumptions: Assumptions) -> float:
    """Requests/day where an API option's bill meets a self-hosted option's (rows of workload_cost_table).

    NaN when self-hosting never catches up with that API at this token shape.
    """
    return float(
        break_even_requests_per_day(
            self_hosted_row["replica_cost_usd"],
            self_hosted_row["ops_usd"],
            api_row["per_request_usd"],
            self_hosted_row["capacity_requests_per_day"],
            assumptions.days_per_month,
        )
    )


def cost_curves(table: pd.DataFrame, volumes: Any, assumptions: Assumptions) -> pd.DataFrame:
    """Monthly cost of each row of `table` (from workload_cost_table) over `volumes`, same token shape.

    Self-hosted curves step up one replica each time volume passes a replica's capacity, the capacity the table
    computed within the workload's latency targets, so curve and table always agree at the workload's volume.
    """
    import pandas as pd

    v = np.asarray(volumes, dtype=float)
    frames = []
    for row in table.to_dict(orient="records"):
        if row["kind"] == "api":
            monthly = row["per_request_usd"] * v * assumptions.days_per_month
        else:
            replicas = np.maximum(1, np.ceil(v / row["capacity_requests_per_day"]))
            monthly = replicas * row["replica_cost_usd"] + row["ops_usd"]
        frames.append(
            pd.DataFrame({"volume": v, "option": row["option"], "kind": row["kind"], "monthly_cost_usd": monthly})
        )
    return pd.concat(frames, ignore_index=True)


def sensitivity(
    volumes: Any,
    input_tokens: Any,
    output_tokens: Any,
    api_models: list[str] | None = None,
    deployments: list[Deployment] | None = None,
    assumptions: Assumptions | None = None,
    ownership: Ownership = "rented",
    peak_factor: float = 3.0,
    cached_input_share: float = 0.0,
    variant: PriceVariant = "standard",
    *,
    scenario: Scenario | None = None,
    workload: str | None = None,
    catalog: Catalog | None = None,
    hybrids: bool = False,
    ranked: Any = None,
) -> pd.DataFrame:
    """Monthly cost over the grid volumes x input tokens x output tokens x options, in one vectorised pass.

    `api_models` are "provider/model" ids; `deployments` self-hosted options (advisor.engine.fit.make_deployment).
    Given a `scenario` (and optionally the name of one of its workloads, default the first) and neither of those,
    the options are the ones `recommend()` ranks for that workload - its API models and the open-weight models
    that fit, on the hardware it chose - with the scenario's assumptions, ownership, peak factor and cached share.
    `ranked` is recommend()'s result for that workload (a WorkloadRecommendation): it fills the `viable` column and,
    with `hybrids=True`, adds the hybrid pairings it built, costed by the engine's own formula at the workload's
    token shape. advisor.sensitivity (advisor.engine.sweep.sensitivity) passes it for you.
    Returns a long DataFrame (SENSITIVITY_COLUMNS): volume and requests_per_day (the same), input_tokens,
    output_tokens, option and label (the same), kind (api, self_hosted or hybrid), class (slm, llm or hybrid),
    viable (with a scenario: the option meets every hard rule; without one: unknown, <NA>), monthly_cost_usd,
    replicas (of a self-hosted option; NaN otherwise).
    Self-hosted capacity uses no latency target here (a grid asks what options cost as they are; to re-decide at
    each point, sizing the options for it, use advisor.engine.sweep.sweep).
    """
    import pandas as pd

    cat = catalog or default_catalog()
    viable_by_label: dict[str, bool] = {}
    pairings: list[Option] = []
    shape_of_workload: tuple[int, int] | None = None
    if scenario is not None and api_models is None and deployments is None:
        chosen = _named_workload(scenario, workload)
        options = single_options(scenario, chosen, cat, variant)
        api_models = [o.label for o in options if o.provider is not None]
        deployments = [o.deployment_spec for o in options if o.deployment_spec is not None and o.fits]
        if ranked is not None:
            viable_by_label = {r.option.label: r.viable for r in ranked.options}
            pairings = [r.option for r in ranked.options if hybrids and r.option.small is not None]
        elif hybrids:
            raise AdvisorError("sensitivity: hybrids=True needs `ranked` (use advisor.sensitivity, which passes it)")
        shape_of_workload = (chosen.input_tokens, chosen.output_tokens)
        assumptions = scenario.assumptions
        ownership = scenario.hardware.ownership
        peak_factor = chosen.peak_factor
        cached_input_share = chosen.cached_input_share
    money = assumptions or Assumptions()
    v = np.asarray(volumes, dtype=float).reshape(-1, 1, 1)
    i = np.asarray(input_tokens, dtype=float).reshape(1, -1, 1)
    o = np.asarray(output_tokens, dtype=float).reshape(1, 1, -1)
    grid_shape = (v.shape[0], i.shape[1], o.shape[2])
    labels: list[str] = []
    kinds: list[str] = []
    blocks: list[np.ndarray] = []
    replica_blocks: list[np.ndarray] = []
    if api_models:
        table = cat.price_table(variant)
        # An option label names a reasoning setting too ("openai/gpt-5 (minimal effort)"): its hidden thinking is
        # billed as output tokens, as api_options prices it.
        settings = {setting.label: setting for _, setting in api_settings(cat)}
        pairs, multipliers = [], []
        for ref in api_models:
            setting = settings.get(ref)
            pairs.append((setting.note.provider, setting.note.model) if setting else split_api_id(ref))
            multipliers.append(setting.reasoning_multiplier if setting else 1.0)
        rows = np.array([table.index(p, m) for p, m in pairs])
        billed_out = o[..., None] * np.asarray(multipliers)
        per_request = table.cost_per_request(i[..., None], billed_out, cached_input_share, rows=rows)
        monthly = v[..., None] * money.days_per_month * per_request  # (V, I, O, A)
        for k, ref in enumerate(api_models):
            labels.append(ref)
            kinds.append("api")
            blocks.append(np.broadcast_to(monthly[..., k], grid_shape))
            replica_blocks.append(np.full(grid_shape, np.nan))
    classes: list[str] = []
    notes = {setting.label: setting.note.size_class for _, setting in api_settings(cat)}
    classes += [notes.get(ref, "llm") for ref in api_models or []]

    for deployment in deployments or []:
        replica = replica_monthly_cost(deployment, money, ownership)
        cap = capacity(deployment, i, o, i + o)
        replicas = replicas_needed(v, peak_factor, money.hours_per_day, cap.requests_per_s)
        monthly_own = np.broadcast_to(replicas * replica.total_usd + money.ops_usd_per_month, grid_shape)
        labels.append(deployment_label(deployment, cat))
        kinds.append("self_hosted")
        classes.append(size_class_of(deployment.model.params_b))
        blocks.append(monthly_own)
        replica_blocks.append(np.broadcast_to(replicas, grid_shape))
    if pairings and ((i.size, o.size) != (1, 1) or (int(i.flat[0]), int(o.flat[0])) != shape_of_workload):
        raise AdvisorError(
            "sensitivity: hybrids are costed at the workload's own token shape; to vary tokens, use "
            "advisor.sweep(scenario, input_tokens=..., output_tokens=...), which rebuilds them at each point"
        )
    for pairing in pairings:
        blocks.append(_hybrid_cost(pairing, chosen, v, money, grid_shape))
        labels.append(pairing.label)
        kinds.append("hybrid")
        classes.append("hybrid")
        replica_blocks.append(np.full(grid_shape, np.nan))
    if not blocks:
        raise AdvisorError("sensitivity: give at least one API model or deployment")
    cells = int(np.prod(grid_shape))
    n_options = len(blocks)
    costs = np.stack(blocks, axis=-1)  # (V, I, O, options)
    codes = np.tile(np.arange(n_options), cells)
    volume_column = np.repeat(np.broadcast_to(v, grid_shape).ravel(), n_options)
    option_column = pd.Categorical.from_codes(codes, categories=labels)
    viable = pd.array([viable_by_label.get(label) if viable_by_label else None for label in labels], dtype="boolean")
    return pd.DataFrame(
        {
            "volume": volume_column,
            "requests_per_day": volume_column,
            "input_tokens": np.repeat(np.broadcast_to(i, grid_shape).ravel(), n_options),
            "output_tokens": np.repeat(np.broadcast_to(o, grid_shape).ravel(), n_options),
            "option": option_column,
            "label": option_column,
            "kind": pd.Categorical.from_codes(
                np.tile(np.array([KINDS.index(k) for k in kinds]), cells), categories=list(KINDS)
            ),
            "class": pd.Categorical.from_codes(
                np.tile(np.array([CLASSES.index(c) for c in classes]), cells), categories=list(CLASSES)
            ),
            "viable": viable[codes],
            "monthly_cost_usd": costs.ravel(),
            "replicas": np.stack(replica_blocks, axis=-1).ravel(),
        },
        columns=list(SENSITIVITY_COLUMNS),
    )


KINDS = ("api", "self_hosted", "hybrid")
CLASSES = ("slm", "llm", "hybrid")
SENSITIVITY_COLUMNS = (
    "volume",
    "requests_per_day",
    "input_tokens",
    "output_tokens",
    "option",
    "label",
    "kind",
    "class",
    "viable",
    "monthly_cost_usd",
    "replicas",
)
"""Columns of sensitivity(), in order (volume and requests_per_day hold the same; so do option and label)."""


def _hybrid_cost(pairing: Option, workload: Workload, v: np.ndarray, money: Assumptions, shape: Any) -> np.ndarray:
    """A hybrid's monthly cost over the grid's volumes, by the engine's own formula (advisor.engine.options)."""
    costs = np.array([pairing.usd_at(float(x), workload, money, "expected") for x in v.ravel()])
    return np.broadcast_to(costs.reshape(-1, 1, 1), shape)


def _named_workload(scenario: Scenario, name: str | None) -> Workload:
    if name is None:
        return scenario.workloads[0]
    for workload in scenario.workloads:
        if workload.name == name:
            return workload
    known = ", ".join(w.name for w in scenario.workloads)
    raise AdvisorError(f"workload: no workload named {name!r} in the scenario (it has: {known})")


OPTIONS_COLUMNS = (
    "workload",
    "rank",
    "label",
    "class",
    "deployment",
    "viable",
    "is_pick",
    "excluded_by",
    "model",
    "provider",
    "hardware",
    "quant",
    "capability",
    "monthly_cost_usd",
    "cost_low_usd",
    "cost_high_usd",
    "per_request_usd",
    "api_usd",
    "hardware_usd",
    "energy_usd",
    "ops_usd",
    "replicas",
    "est_first_token_ms",
    "est_total_ms",
    "est_tokens_per_s",
    "score",
    "small_share",
)
"""Columns of options_table(), in order: one row per option recommend() ranked, per workload.

rank: 1 is the pick when it is viable. class: slm, llm or hybrid. deployment: api, self_hosted, local or mixed.
viable: meets every hard rule; excluded_by: the hard rules it breaks, comma-separated. Costs are USD a month at
the workload's volume (expected, and the low-high band of the speed estimate), per_request_usd per request, split
into api / hardware / energy / ops. est_*: estimated p95 first token and whole answer (ms), decode speed (tokens/s).
score: the soft rules' points. small_share: the share of requests a hybrid's small model keeps."""


def options_table(recommendation: Any) -> pd.DataFrame:
    """Every option of every workload of a Recommendation as one DataFrame with stable columns (OPTIONS_COLUMNS)."""
    import pandas as pd

    rows = []
    assumptions = recommendation.scenario.assumptions
    for result in recommendation.workloads:
        pick = result.pick
        volume = result.workload.requests_per_day
        for rank, ranked in enumerate(result.options, start=1):
            o = ranked.option
            split = ranked.breakdown_usd or o.breakdown_usd(volume, result.workload, assumptions)
            rows.append(
                {
                    "workload": result.workload.name,
                    "rank": rank,
                    "label": o.label,
                    "class": o.kind,
                    "deployment": o.deployment,
                    "viable": ranked.viable,
                    "is_pick": ranked is pick,
                    "excluded_by": ", ".join(ranked.excluded_by),
                    "model": o.model,
                    "provider": o.provider,
                    "hardware": o.hardware,
                    "quant": o.quant,
                    "capability": o.capability,
                    "monthly_cost_usd": ranked.monthly_usd["expected"],
                    "cost_low_usd": ranked.monthly_usd["low"],
                    "cost_high_usd": ranked.monthly_usd["high"],
                    "per_request_usd": ranked.monthly_usd["expected"] / (volume * assumptions.days_per_month),
                    **{key: split.get(key, 0.0) for key in ("api_usd", "hardware_usd", "energy_usd", "ops_usd")},
                    "replicas": ranked.replicas,
                    "est_first_token_ms": o.est_first_token_ms,
                    "est_total_ms": o.est_total_ms,
                    "est_tokens_per_s": o.est_tokens_per_s,
                    "score": ranked.score,
                    "small_share": o.small_share,
                }
            )
    return pd.DataFrame(rows, columns=list(OPTIONS_COLUMNS))
