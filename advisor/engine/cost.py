"""The TCO engine: monthly cost of serving a workload through an API, on owned hardware or on rented GPUs.

    API          requests/month x (uncached in x price_in + cached in x price_cached + out x price_out) / 1e6
    owned        replicas x devices x (purchase / amortisation months + power x hours x days x $/kWh) + ops
    rented       replicas x devices x $/hour x hours x days + ops
    replicas     ceil(peak requests/s / requests/s one replica sustains at the latency target)
    break-even   the requests/day where the API bill meets the self-hosted bill (closed form, see below)

Each self-hosted figure is a low / expected / high band from the speed band of the fit estimate.
"""

from __future__ import annotations

import contextlib
import itertools
import math
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.data.catalog import Catalog, default_catalog
from advisor.engine.fit import Capacity, Deployment, LoadFigures, capacity_within, load_figures, replicas_needed
from advisor.errors import PriceError
from advisor.schema.vocabulary import BAND_NAMES

if TYPE_CHECKING:
    from advisor.data.prices import ApiPriceTable, PriceVariant
    from advisor.schema.catalog import HardwareProfile
    from advisor.schema.scenario import Assumptions, Workload

Ownership = Literal["owned", "rented", "energy_only", "energy_used"]
"""energy_only: a server whose purchase price the catalog lacks: only its electricity counts, around the clock.
energy_used: hardware that is there and on anyway (hardware.already_owned, or a person's device: a phone, a laptop,
this machine): only the electricity the model's requests use counts (energy_per_request_usd)."""


def requests_per_month(requests_per_day: Any, days_per_month: Any) -> Any:
    return np.asarray(requests_per_day, dtype=float) * np.asarray(days_per_month, dtype=float)


def api_monthly_cost(
    workload: Workload,
    assumptions: Assumptions,
    variant: PriceVariant = "standard",
    table: ApiPriceTable | None = None,
) -> np.ndarray:
    """Monthly USD for every API model in the price table (one vectorised expression), at the visible token counts:
    a reasoning model's hidden thinking is not in these (api_cost_for and the recommendation's options add it)."""
    prices = table or default_catalog().price_table(variant)
    per_request = prices.cost_per_request(workload.input_tokens, workload.output_tokens, workload.cached_input_share)
    result: np.ndarray = per_request * requests_per_month(workload.requests_per_day, assumptions.days_per_month)
    return result


def api_cost_for(
    provider: str,
    model: str,
    workload: Workload,
    assumptions: Assumptions,
    variant: PriceVariant = "standard",
    catalog: Catalog | None = None,
) -> tuple[float, float]:
    """(monthly USD, USD per request) of one API model at its default setting: a reasoning model's hidden thinking
    is billed as output tokens (its note's reasoning.output_multiplier)."""
    cat = catalog or default_catalog()
    table = cat.price_table(variant)
    row = table.index(provider, model)
    note = next((n for n in cat.api_notes if (n.provider, n.model) == (provider, model)), None)
    billed_out = workload.output_tokens * (note.reasoning.output_multiplier if note and note.reasoning else 1.0)
    per_request = float(
        table.cost_per_request(workload.input_tokens, billed_out, workload.cached_input_share, rows=np.array([row]))[0]
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
    if ownership in ("energy_only", "energy_used"):
        return ReplicaCost(0.0, profile.power_w * devices / 1000 * hours * assumptions.electricity_usd_per_kwh)
    if ownership == "owned":
        if profile.purchase_usd is None:
            raise PriceError(f"hardware.ownership: {profile.id} has no purchase price; choose rented")
        hardware = profile.purchase_usd * devices / assumptions.amortization_months
        energy = profile.power_w * devices / 1000 * hours * assumptions.electricity_usd_per_kwh
        return ReplicaCost(hardware, energy)
    # The median rent of assumptions.rent_class where the card has rents from that class, else its named offer.
    rent = profile.rent_usd_per_hour(assumptions.rent_class)
    if rent is None:
        raise PriceError(f"hardware.ownership: {profile.id} has no hourly rent; choose owned")
    # Electricity is inside the hourly rent.
    return ReplicaCost(rent * devices * hours, 0.0)


def has_price(deployment: Deployment, ownership: Ownership) -> bool:
    profile = deployment.hardware
    if ownership in ("energy_only", "energy_used"):
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
    # energy_used: what one request's electricity costs, per speed band; the bill is that per request (see
    # energy_per_request_usd), not the devices' power around the clock.
    energy_usd_per_request: dict[str, float] | None = None

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
    if ownership == "energy_used":  # as self_hosted_cost bills it: the requests' electricity
        busy = float(cap.saturation_rps) if meets else rps
        per_request = energy_per_request_usd(deployment, assumptions, busy)
        return (
            meets,
            workload.requests_per_day * assumptions.days_per_month * per_request + assumptions.ops_usd_per_month,
        )
    peak_rps = workload.requests_per_day / (assumptions.hours_per_day * 3600) * workload.peak_factor
    # replicas_needed in plain floats: this runs for every (model, profile) pair the hardware search tries.
    replicas = float(max(math.ceil(peak_rps / rps), 1)) if rps > 0 else math.inf
    return meets, replicas * replica_monthly_cost(
        deployment, assumptions, ownership
    ).total_usd + assumptions.ops_usd_per_month


def replicas_at(requests_per_day: float, peak_factor: float, hours_per_day: float, replica_rps: float) -> float:
    """fit.replicas_needed for one volume in plain floats: the same operations in the same order, so the same
    result, without numpy's cost on scalars (the sweep sizes thousands of options)."""
    if not replica_rps > 0:
        return math.inf
    ratio = requests_per_day / (hours_per_day * 3600) * peak_factor / replica_rps
    if not math.isfinite(ratio):  # math.ceil refuses inf and nan; numpy keeps them
        return float(replicas_needed(requests_per_day, peak_factor, hours_per_day, replica_rps))
    return float(max(math.ceil(ratio), 1))


def energy_per_request_usd(deployment: Deployment, assumptions: Assumptions, busy_rps: float) -> float:
    """Electricity one request costs on hardware that is there and on anyway (ownership energy_used): the devices'
    power over the device time a request takes, one over the requests/s the replica serves with every slot busy.
    Idle hours are not the model's."""
    if not busy_rps > 0:
        return math.inf
    kwh = deployment.hardware.power_w * deployment.count / 1000 / busy_rps / 3600
    return kwh * assumptions.electricity_usd_per_kwh


def self_hosted_cost(
    deployment: Deployment,
    workload: Workload,
    assumptions: Assumptions,
    ownership: Ownership,
    *,
    expected_only: bool = False,
) -> SelfHostedCost:
    """Replicas needed at peak and what they cost per month, as a band. `expected_only`: the expected band stands
    for all three (a search that compares picks needs no more, and sizes a third as much)."""
    replica = replica_monthly_cost(deployment, assumptions, ownership)
    context = workload.effective_context_tokens
    replicas: dict[str, float] = {}
    replica_rps: dict[str, float] = {}
    capacities: dict[str, Capacity] = {}
    for band in ("expected",) if expected_only else BAND_NAMES:
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
        replicas[band] = replicas_at(workload.requests_per_day, workload.peak_factor, assumptions.hours_per_day, rps)
    for band in BAND_NAMES:  # with expected_only, the expected figures in the others' place
        capacities.setdefault(band, capacities["expected"])
        replica_rps.setdefault(band, replica_rps["expected"])
        replicas.setdefault(band, replicas["expected"])
    ops = assumptions.ops_usd_per_month
    monthly = {band: replicas[band] * replica.total_usd + ops for band in BAND_NAMES}
    per_request_energy: dict[str, float] | None = None
    if ownership == "energy_used":
        busy = {
            band: float(capacities[band].saturation_rps) if bool(capacities[band].meets_latency) else replica_rps[band]
            for band in BAND_NAMES
        }
        per_request_energy = {band: energy_per_request_usd(deployment, assumptions, busy[band]) for band in BAND_NAMES}
        per_month_requests = workload.requests_per_day * assumptions.days_per_month
        monthly = {band: per_month_requests * per_request_energy[band] + ops for band in BAND_NAMES}
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
        hardware_usd=0.0 if per_request_energy else n * replica.hardware_usd,
        energy_usd=monthly["expected"] - ops if per_request_energy else n * replica.energy_usd,
        ops_usd=ops,
        utilisation=mean_rps / (n * expected_rps) if math.isfinite(n) and expected_rps > 0 else 0.0,
        capacity=expected,
        requests_per_month=per_month,
        tokens_per_month=per_month * (workload.input_tokens + workload.output_tokens),
        replica_cost_usd=replica.total_usd,
        capacity_requests_per_day=expected_rps * assumptions.hours_per_day * 3600 / workload.peak_factor,
        replica=replica,
        replica_rps=replica_rps,
        energy_usd_per_request=per_request_energy,
    )


_CAPACITY_MEMO: dict[tuple[Any, ...], Capacity] = {}
CAPACITY_MEMO_ENTRIES = 50_000
"""What one replica sustains does not depend on the volume, so the engine, which re-decides at many volumes and
targets, sizes each (deployment, request shape, targets, band) once per process."""


_DEPLOYMENT_NUMBERS: dict[tuple[Any, ...], int] = {}
_NEXT_NUMBER = itertools.count()  # next() is atomic: two threads never get the same number for different figures


def _deployment_key(d: Deployment) -> int:
    """A number for every figure of a deployment the capacity model reads (two deployments with the same figures,
    and so the same sizing, get the same number), kept on the (frozen) deployment after the first call: a small int
    is much cheaper to hash in the memo's keys than the figures themselves."""
    key = d.__dict__.get("_memo_key")
    if key is None:
        figures = tuple(
            value if not isinstance(value, dict) else tuple(sorted(value.items()))
            for name, value in vars(d).items()
            if name not in ("model", "hardware", "_memo_key")
        )
        key = _DEPLOYMENT_NUMBERS.setdefault((*figures, d.model.id, d.hardware.id), next(_NEXT_NUMBER))
        object.__setattr__(d, "_memo_key", key)
    return key


def capacity(
    deployment: Deployment,
    input_tokens: Any,
    output_tokens: Any,
    context_tokens: Any,
    first_token_target_ms: float | None = None,
    total_target_ms: float | None = None,
    band: str = "expected",
) -> Capacity:
    """advisor.engine.fit.capacity for one request shape, remembered (see _CAPACITY_MEMO)."""
    key = (
        _deployment_key(deployment),
        float(input_tokens),
        float(output_tokens),
        float(context_tokens),
        first_token_target_ms,
        total_target_ms,
        band,
    )
    found = _CAPACITY_MEMO.get(key)
    if found is None:
        batch: _ShapeBatch | None = getattr(_BATCH, "shapes", None)
        if batch is not None and key[1:4] in batch.position:
            return batch.capacity(deployment, key)
        if len(_CAPACITY_MEMO) >= CAPACITY_MEMO_ENTRIES:
            _CAPACITY_MEMO.clear()
            _LOAD_MEMO.clear()
        load_key = (*key[:4], band)
        figures = _LOAD_MEMO.get(load_key)
        if figures is None:
            figures = load_figures(deployment, input_tokens, output_tokens, context_tokens, band)
            _LOAD_MEMO[load_key] = figures
        found = capacity_within(figures, first_token_target_ms, total_target_ms)
        _CAPACITY_MEMO[key] = found
    return found


_LOAD_MEMO: dict[tuple[Any, ...], LoadFigures] = {}
"""The target-free part of capacity() (fit.load_figures), kept per (deployment, request shape, band): a search over
latency targets sizes the same options at one target after another."""


_BATCH = threading.local()


@contextlib.contextmanager
def capacity_batch(shapes: Iterable[tuple[float, float, float]]) -> Iterator[None]:
    """Within the block, capacity() for any of `shapes` ((input, output, context) tokens) is computed for all of
    them at once, the first time a (deployment, targets, band) is asked for: one numpy expression over the shapes
    instead of one call per shape (a sweep over token shapes sizes every option at every shape).

    fit.capacity works element by element (the same arithmetic for each shape, whatever else is in the array), so
    each shape gets exactly the figures it gets alone. The figures are kept until the block ends, in this thread."""
    previous = getattr(_BATCH, "shapes", None)
    _BATCH.shapes = _ShapeBatch(shapes)
    try:
        yield
    finally:
        _BATCH.shapes = previous


class _ShapeBatch:
    """The shapes of a capacity_batch and the capacities computed over all of them, per (deployment, targets,
    band): the memo key of capacity() less the shape."""

    def __init__(self, shapes: Iterable[tuple[float, float, float]]) -> None:
        unique = list(dict.fromkeys((float(i), float(o), float(c)) for i, o, c in shapes))
        self.position = {shape: index for index, shape in enumerate(unique)}
        self.tokens = np.array(unique, dtype=float).reshape(-1, 3).T
        self.found: dict[tuple[Any, ...], Capacity] = {}
        self.loads: dict[tuple[Any, ...], LoadFigures] = {}

    def capacity(self, deployment: Deployment, key: tuple[Any, ...]) -> Capacity:
        deployment_key, first_target, total_target, band = key[0], key[4], key[5], key[6]
        figures = self.found.get((deployment_key, first_target, total_target, band))
        if figures is None:
            load = self.loads.get((deployment_key, band))
            if load is None:
                tokens_in, tokens_out, context = self.tokens
                load = self.loads[(deployment_key, band)] = load_figures(
                    deployment, tokens_in, tokens_out, context, band
                )
            figures = capacity_within(load, first_target, total_target)
            self.found[(deployment_key, first_target, total_target, band)] = figures
        i = self.position[key[1:4]]
        # As fit.capacity gives them for one shape: numpy 0-d arrays, and a numpy bool for meets_latency.
        return Capacity(
            batch=np.asarray(figures.batch[i]),
            requests_per_s=np.asarray(figures.requests_per_s[i]),
            first_token_ms=np.asarray(figures.first_token_ms[i]),
            total_ms=np.asarray(figures.total_ms[i]),
            tokens_per_s=np.asarray(figures.tokens_per_s[i]),
            meets_latency=figures.meets_latency[i],
            first_token_p95_ms=np.asarray(figures.first_token_p95_ms[i]),
            saturation_rps=np.asarray(figures.saturation_rps[i]),
            utilisation_ceiling=np.asarray(figures.utilisation_ceiling[i]),
            p95_wait_ms=np.asarray(figures.p95_wait_ms[i]),
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


def split_api_id(ref: str) -> tuple[str, str]:
    if "/" not in ref:
        raise PriceError(f"api model: write it as provider/model (e.g. openai/gpt-4o-mini), got {ref!r}")
    provider, model = ref.split("/", 1)
    return provider, model
