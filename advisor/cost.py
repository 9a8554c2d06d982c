"""The TCO engine: monthly cost of serving a workload through an API, on owned hardware or on rented GPUs.

    API          requests/month x (uncached in x price_in + cached in x price_cached + out x price_out) / 1e6
    owned        replicas x devices x (purchase / amortisation months + power x hours x days x $/kWh) + ops
    rented       replicas x devices x $/hour x hours x days + ops
    replicas     ceil(peak requests/s / requests/s one replica sustains at the latency target)
    break-even   the requests/day where the API bill meets the self-hosted bill (closed form, see below)

Each self-hosted figure is a low / expected / high band from the speed band of the fit estimate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.errors import AdvisorError, PriceError
from advisor.fit import BAND_NAMES, Capacity, Deployment, capacity, replicas_needed

if TYPE_CHECKING:
    import pandas as pd

    from advisor.catalog import Catalog
    from advisor.catalog_schema import HardwareProfile
    from advisor.prices import ApiPriceTable, PriceVariant
    from advisor.scenario import Assumptions, Scenario, Workload

Ownership = Literal["owned", "rented", "energy_only"]
"""energy_only: hardware the team already has and whose price is unknown (a phone, this machine): only its
electricity counts. The recommendation says so when it uses it."""
SLM_MAX_PARAMS_B = 15.0
"""Open-weight models up to 15B total parameters count as small. The literature puts the line at 'usually under
10B' with Gartner / Deloitte allowing up to 20B (SLMs vs LLMs: A Practical Comparison, 'What Are LLMs and SLMs')."""


def requests_per_month(requests_per_day: Any, days_per_month: Any) -> Any:
    return np.asarray(requests_per_day, dtype=float) * np.asarray(days_per_month, dtype=float)


def api_monthly_cost(
    workload: Workload,
    assumptions: Assumptions,
    variant: PriceVariant = "standard",
    table: ApiPriceTable | None = None,
) -> np.ndarray:
    """Monthly USD for every API model in the price table (one vectorised expression)."""
    from advisor.prices import api_price_table

    prices = table or api_price_table(variant)
    per_request = prices.cost_per_request(workload.input_tokens, workload.output_tokens, workload.cached_input_share)
    result: np.ndarray = per_request * requests_per_month(workload.requests_per_day, assumptions.days_per_month)
    return result


def api_cost_for(
    provider: str,
    model: str,
    workload: Workload,
    assumptions: Assumptions,
    variant: PriceVariant = "standard",
) -> tuple[float, float]:
    """(monthly USD, USD per request) of one API model."""
    from advisor.prices import api_price_table

    table = api_price_table(variant)
    row = table.index(provider, model)
    per_request = float(
        table.cost_per_request(
            workload.input_tokens, workload.output_tokens, workload.cached_input_share, rows=np.array([row])
        )[0]
    )
    return per_request * workload.requests_per_day * assumptions.days_per_month, per_request


@dataclass(frozen=True)
class ReplicaCost:
    """Monthly cost of keeping one replica (all its devices) up, split by where the money goes."""

    hardware_usd: float
    energy_usd: float

    @property
    def total_usd(self) -> float:
        return self.hardware_usd + self.energy_usd


def replica_monthly_cost(deployment: Deployment, assumptions: Assumptions, ownership: Ownership) -> ReplicaCost:
    """One replica's monthly cost; raises PriceError when the profile has no price for that ownership."""
    return devices_monthly_cost(deployment.hardware, deployment.count, assumptions, ownership)


def devices_monthly_cost(
    profile: HardwareProfile, devices: int, assumptions: Assumptions, ownership: Ownership
) -> ReplicaCost:
    """What keeping `devices` of a hardware profile up costs a month, whatever model runs on them."""
    hours = assumptions.hours_per_day * assumptions.days_per_month
    if ownership == "energy_only":
        return ReplicaCost(0.0, profile.power_w * devices / 1000 * hours * assumptions.electricity_usd_per_kwh)
    if ownership == "owned":
        if profile.purchase_usd is None:
            raise PriceError(f"hardware.ownership: {profile.id} has no purchase price; choose rented")
        hardware = profile.purchase_usd * devices / assumptions.amortization_months
        energy = profile.power_w * devices / 1000 * hours * assumptions.electricity_usd_per_kwh
        return ReplicaCost(hardware, energy)
    if profile.cloud_usd_per_hour is None:
        raise PriceError(f"hardware.ownership: {profile.id} has no hourly rent; choose owned")
    # Electricity is inside the hourly rent.
    return ReplicaCost(profile.cloud_usd_per_hour * devices * hours, 0.0)


def has_price(deployment: Deployment, ownership: Ownership) -> bool:
    profile = deployment.hardware
    if ownership == "energy_only":
        return True
    return (profile.purchase_usd if ownership == "owned" else profile.cloud_usd_per_hour) is not None


@dataclass(frozen=True)
class SelfHostedCost:
    """Monthly cost of serving a workload on self-hosted replicas."""

    deployment: Deployment
    ownership: Ownership
    replicas: dict[str, float]  # per band; inf when no batch meets memory
    monthly_usd: dict[str, float]  # low / expected / high
    hardware_usd: float  # expected band, split
    energy_usd: float
    ops_usd: float
    utilisation: float
    capacity: Capacity  # expected band
    requests_per_month: float
    tokens_per_month: float
    replica_cost_usd: float
    capacity_requests_per_day: float  # one replica, at the peak factor
    replica: ReplicaCost  # one replica's monthly cost, split
    replica_rps: dict[str, float]  # requests/s one replica sustains, per speed band (sizes replicas at any volume)

    @property
    def per_request_usd(self) -> float:
        return self.monthly_usd["expected"] / self.requests_per_month

    @property
    def per_mtok_usd(self) -> float:
        return self.monthly_usd["expected"] / (self.tokens_per_month / 1e6)

    @property
    def meets_latency(self) -> bool:
        return bool(self.capacity.meets_latency)


def expected_self_hosted_usd(
    deployment: Deployment, workload: Workload, assumptions: Assumptions, ownership: Ownership
) -> tuple[bool, float]:
    """(meets the latency targets, expected monthly USD): the expected band of self_hosted_cost alone, a third of
    its work, for comparing hardware profiles before costing the winner in full."""
    cap = capacity(
        deployment,
        workload.input_tokens,
        workload.output_tokens,
        workload.effective_context_tokens,
        workload.latency_p95_first_token_ms,
        workload.latency_p95_total_ms,
    )
    meets = bool(cap.meets_latency)
    rps = float(cap.requests_per_s) if meets else _unconstrained_rps(deployment, workload, "expected")
    replicas = float(replicas_needed(workload.requests_per_day, workload.peak_factor, assumptions.hours_per_day, rps))
    return meets, replicas * replica_monthly_cost(
        deployment, assumptions, ownership
    ).total_usd + assumptions.ops_usd_per_month


def self_hosted_cost(
    deployment: Deployment, workload: Workload, assumptions: Assumptions, ownership: Ownership
) -> SelfHostedCost:
    """Replicas needed at peak and what they cost per month, as a band."""
    replica = replica_monthly_cost(deployment, assumptions, ownership)
    context = workload.effective_context_tokens
    replicas: dict[str, float] = {}
    replica_rps: dict[str, float] = {}
    capacities: dict[str, Capacity] = {}
    for band in BAND_NAMES:
        cap = capacity(
            deployment,
            workload.input_tokens,
            workload.output_tokens,
            context,
            workload.latency_p95_first_token_ms,
            workload.latency_p95_total_ms,
            band,
        )
        capacities[band] = cap
        rps = float(cap.requests_per_s) if bool(cap.meets_latency) else _unconstrained_rps(deployment, workload, band)
        replica_rps[band] = rps
        replicas[band] = float(
            replicas_needed(workload.requests_per_day, workload.peak_factor, assumptions.hours_per_day, rps)
        )
    ops = assumptions.ops_usd_per_month
    monthly = {band: replicas[band] * replica.total_usd + ops for band in BAND_NAMES}
    # The fast band needs the fewest replicas and so is the cheapest: low cost = high speed.
    monthly = {"low": monthly["high"], "expected": monthly["expected"], "high": monthly["low"]}
    expected = capacities["expected"]
    expected_rps = float(expected.requests_per_s) or _unconstrained_rps(deployment, workload, "expected")
    mean_rps = workload.requests_per_day / (assumptions.hours_per_day * 3600)
    n = replicas["expected"]
    per_month = workload.requests_per_day * assumptions.days_per_month
    return SelfHostedCost(
        deployment=deployment,
        ownership=ownership,
        replicas={"low": replicas["high"], "expected": n, "high": replicas["low"]},
        monthly_usd=monthly,
        hardware_usd=n * replica.hardware_usd,
        energy_usd=n * replica.energy_usd,
        ops_usd=ops,
        utilisation=mean_rps / (n * expected_rps) if math.isfinite(n) and expected_rps > 0 else 0.0,
        capacity=expected,
        requests_per_month=per_month,
        tokens_per_month=per_month * (workload.input_tokens + workload.output_tokens),
        replica_cost_usd=replica.total_usd,
        capacity_requests_per_day=expected_rps * assumptions.hours_per_day * 3600 / workload.peak_factor,
        replica=replica,
        replica_rps=replica_rps,
    )


def _unconstrained_rps(deployment: Deployment, workload: Workload, band: str) -> float:
    """Throughput ignoring latency targets (a target nobody meets still leaves a bill to size)."""
    cap = capacity(
        deployment, workload.input_tokens, workload.output_tokens, workload.effective_context_tokens, band=band
    )
    return float(cap.requests_per_s)


def break_even_requests_per_day(
    replica_cost_usd: Any,
    ops_usd: Any,
    api_cost_per_request: Any,
    capacity_requests_per_day: Any,
    days_per_month: Any,
) -> Any:
    """Requests/day at which the API bill equals the self-hosted bill; NaN when self-hosting never catches up.

    The API bill a x d x v grows linearly in volume v; the self-hosted bill ops + n x R steps up by one replica
    cost R every C requests/day. With n replicas the lines meet at v = (ops + n R) / (a d), which lies in the
    n-replica range iff n >= ops / (a d C - R). So the first crossing uses n* = max(1, ceil(ops / (a d C - R)))
    and exists only when one full replica is cheaper than the same volume on the API (a d C > R).
    """
    a = np.asarray(api_cost_per_request, dtype=float)
    r = np.asarray(replica_cost_usd, dtype=float)
    ops = np.asarray(ops_usd, dtype=float)
    c = np.asarray(capacity_requests_per_day, dtype=float)
    d = np.asarray(days_per_month, dtype=float)
    margin = a * d * c - r
    with np.errstate(divide="ignore", invalid="ignore"):
        n_star = np.maximum(1.0, np.ceil(np.where(margin > 0, ops / margin, np.nan)))
        volume = (ops + n_star * r) / (a * d)
    return np.where((margin > 0) & (a > 0), volume, np.nan)


def self_hosted_monthly_at(cost: SelfHostedCost, requests_per_day: float, assumptions: Assumptions) -> float:
    """The expected self-hosted bill at another volume, same deployment and shape (for curves and checks)."""
    replicas = math.ceil(requests_per_day / cost.capacity_requests_per_day) if requests_per_day > 0 else 0
    return max(replicas, 1) * cost.replica_cost_usd + assumptions.ops_usd_per_month


def size_class_of(params_b: float | None) -> Literal["slm", "llm"]:
    return "slm" if params_b is not None and params_b <= SLM_MAX_PARAMS_B else "llm"


def workload_cost_table(
    scenario: Scenario,
    workload: Workload,
    catalog: Catalog | None = None,
    model: str | None = None,
    variant: PriceVariant = "standard",
) -> pd.DataFrame:
    """Every costed option for a workload: the curated API models and each open-weight model self-hosted.

    Self-hosted options run on the scenario's hardware profile, or, when it names none, on the cheapest priced
    profile that fits (the `hardware_chosen` column says which it was). `model` keeps only options whose model
    id (API or open-weight) equals it.
    """
    import pandas as pd

    from advisor.catalog import load_catalog
    from advisor.fit import best_quant
    from advisor.prices import api_price_table

    cat = catalog or load_catalog()
    assumptions = scenario.assumptions
    table = api_price_table(variant)
    rows: list[dict[str, Any]] = []
    notes = [n for n in cat.api_notes if model in (None, n.model, n.open_weight_model)]
    if notes:
        index = np.array([table.index(n.provider, n.model) for n in notes])
        per_request = table.cost_per_request(
            workload.input_tokens, workload.output_tokens, workload.cached_input_share, rows=index
        )
        volume = workload.requests_per_day * assumptions.days_per_month
        for note, cost in zip(notes, per_request, strict=True):
            monthly = float(cost) * volume
            rows.append(
                {
                    "option": f"{note.provider}/{note.model}",
                    "kind": "api",
                    "size_class": note.size_class,
                    "capability": note.capability_tier,
                    "model": note.model,
                    "provider": note.provider,
                    "hardware": None,
                    "quant": None,
                    "replicas": None,
                    "monthly_cost_usd": monthly,
                    "cost_low_usd": monthly,
                    "cost_high_usd": monthly,
                    "per_request_usd": float(cost),
                    "per_mtok_usd": float(cost) / (workload.input_tokens + workload.output_tokens) * 1e6,
                    "hardware_usd": 0.0,
                    "energy_usd": 0.0,
                    "ops_usd": 0.0,
                    "api_usd": monthly,
                    "utilisation": None,
                    "est_first_token_ms": None,
                    "est_tokens_per_s": None,
                    "meets_latency": None,
                    "fits": note.context_tokens >= workload.effective_context_tokens,
                    "hardware_chosen": None,
                    "devices": None,
                    "replica_cost_usd": None,
                    "capacity_requests_per_day": None,
                }
            )
    ownership = scenario.hardware.ownership
    if scenario.hardware.profile:
        profiles = [cat.hardware_profile(scenario.hardware.profile)]
    else:
        profiles = [
            h for h in cat.hardware.values() if (h.purchase_usd if ownership == "owned" else h.cloud_usd_per_hour)
        ]
    context = workload.effective_context_tokens
    for open_model in cat.models.values():
        if model not in (None, open_model.id) or open_model.context_tokens < context:
            continue
        best: SelfHostedCost | None = None
        for profile in profiles:
            deployment = best_quant(open_model, profile, context, 1, scenario.hardware.count, cat)
            if deployment is None or not has_price(deployment, ownership):
                continue
            candidate = self_hosted_cost(deployment, workload, assumptions, ownership)
            if best is None or preferred_self_hosted(candidate, best):
                best = candidate
        if best is not None:
            rows.append(_self_hosted_row(best, open_model.capability_hint, scenario.hardware.profile is None))
    frame = pd.DataFrame(rows)
    if frame.empty:
        raise AdvisorError(f"workloads.{workload.name}: no option could be costed (check --model and hardware)")
    # Equal bills (one replica of the same hardware) go to the more capable option, then the one with headroom.
    frame["_capability_rank"] = -frame["capability"].map(CAPABILITY_RANK)
    frame["_headroom"] = -frame["capacity_requests_per_day"].fillna(0)
    frame = frame.sort_values(["monthly_cost_usd", "_capability_rank", "_headroom", "option"], kind="stable")
    return frame.drop(columns=["_capability_rank", "_headroom"]).reset_index(drop=True)


CAPABILITY_RANK = {"basic": 0, "standard": 1, "frontier": 2}


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


def preferred_self_hosted(candidate: SelfHostedCost, incumbent: SelfHostedCost) -> bool:
    """Latency-meeting options first, then the cheaper one."""
    if candidate.meets_latency != incumbent.meets_latency:
        return candidate.meets_latency
    return candidate.monthly_usd["expected"] < incumbent.monthly_usd["expected"]


def _self_hosted_row(cost: SelfHostedCost, capability: str, hardware_chosen: bool) -> dict[str, Any]:
    deployment = cost.deployment
    model = deployment.model
    label = f"{model.id} {deployment.quant} on {deployment.count}x {deployment.hardware.id}"
    return {
        "option": label,
        "kind": "self_hosted",
        "size_class": size_class_of(model.params_b),
        "capability": capability,
        "model": model.id,
        "provider": None,
        "hardware": deployment.hardware.id,
        "quant": deployment.quant,
        "replicas": cost.replicas["expected"],
        "monthly_cost_usd": cost.monthly_usd["expected"],
        "cost_low_usd": cost.monthly_usd["low"],
        "cost_high_usd": cost.monthly_usd["high"],
        "per_request_usd": cost.per_request_usd,
        "per_mtok_usd": cost.per_mtok_usd,
        "hardware_usd": cost.hardware_usd,
        "energy_usd": cost.energy_usd,
        "ops_usd": cost.ops_usd,
        "api_usd": 0.0,
        "utilisation": cost.utilisation,
        "est_first_token_ms": float(cost.capacity.first_token_ms),
        "est_tokens_per_s": float(cost.capacity.tokens_per_s),
        "meets_latency": cost.meets_latency,
        "fits": True,
        "hardware_chosen": "cheapest fitting" if hardware_chosen else "scenario",
        "devices": deployment.count,
        "replica_cost_usd": cost.replica_cost_usd,
        "capacity_requests_per_day": cost.capacity_requests_per_day,
    }


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
) -> pd.DataFrame:
    """Monthly cost over the grid volumes x input tokens x output tokens x options, in one vectorised pass.

    `api_models` are "provider/model" ids; `deployments` self-hosted options (advisor.fit.make_deployment).
    Returns a long DataFrame: volume, input_tokens, output_tokens, option, kind, monthly_cost_usd, replicas.
    Self-hosted capacity uses no latency target here (a sweep asks what it costs, not whether it is fast).
    """
    import pandas as pd

    from advisor.prices import api_price_table
    from advisor.scenario import Assumptions as AssumptionsModel

    money = assumptions or AssumptionsModel()
    v = np.asarray(volumes, dtype=float).reshape(-1, 1, 1)
    i = np.asarray(input_tokens, dtype=float).reshape(1, -1, 1)
    o = np.asarray(output_tokens, dtype=float).reshape(1, 1, -1)
    grid_shape = (v.shape[0], i.shape[1], o.shape[2])
    labels: list[str] = []
    kinds: list[str] = []
    blocks: list[np.ndarray] = []
    replica_blocks: list[np.ndarray] = []
    if api_models:
        table = api_price_table(variant)
        pairs = [_split_api_id(ref) for ref in api_models]
        rows = np.array([table.index(p, m) for p, m in pairs])
        per_request = table.cost_per_request(i[..., None], o[..., None], cached_input_share, rows=rows)
        monthly = v[..., None] * money.days_per_month * per_request  # (V, I, O, A)
        for k, ref in enumerate(api_models):
            labels.append(ref)
            kinds.append("api")
            blocks.append(np.broadcast_to(monthly[..., k], grid_shape))
            replica_blocks.append(np.full(grid_shape, np.nan))
    for deployment in deployments or []:
        replica = replica_monthly_cost(deployment, money, ownership)
        cap = capacity(deployment, i, o, i + o)
        replicas = replicas_needed(v, peak_factor, money.hours_per_day, cap.requests_per_s)
        labels.append(f"{deployment.model.id} {deployment.quant} on {deployment.count}x {deployment.hardware.id}")
        kinds.append("self_hosted")
        blocks.append(np.broadcast_to(replicas * replica.total_usd + money.ops_usd_per_month, grid_shape))
        replica_blocks.append(np.broadcast_to(replicas, grid_shape))
    if not blocks:
        raise AdvisorError("sensitivity: give at least one API model or deployment")
    cells = int(np.prod(grid_shape))
    n_options = len(blocks)
    costs = np.stack(blocks, axis=-1)  # (V, I, O, options)
    return pd.DataFrame(
        {
            "volume": np.repeat(np.broadcast_to(v, grid_shape).ravel(), n_options),
            "input_tokens": np.repeat(np.broadcast_to(i, grid_shape).ravel(), n_options),
            "output_tokens": np.repeat(np.broadcast_to(o, grid_shape).ravel(), n_options),
            "option": pd.Categorical.from_codes(np.tile(np.arange(n_options), cells), categories=labels),
            "kind": pd.Categorical.from_codes(
                np.tile(np.array([0 if k == "api" else 1 for k in kinds]), cells),
                categories=["api", "self_hosted"],
            ),
            "monthly_cost_usd": costs.ravel(),
            "replicas": np.stack(replica_blocks, axis=-1).ravel(),
        }
    )


def _split_api_id(ref: str) -> tuple[str, str]:
    if "/" not in ref:
        raise PriceError(f"api model: write it as provider/model (e.g. openai/gpt-4o-mini), got {ref!r}")
    provider, model = ref.split("/", 1)
    return provider, model
