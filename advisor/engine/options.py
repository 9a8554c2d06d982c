"""Candidate options for one workload: API models, open-weight deployments and hybrid pairings, costed at any volume.

Building an option does the slow part once (prices, fit, capacity per replica); `monthly_usd(volume)` is then
plain arithmetic, so the engine can re-run its decision at other volumes to find where the verdict flips.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.data.catalog import Catalog
from advisor.data.measurements import api_measured
from advisor.engine.api_latency import api_latency
from advisor.engine.cost import (
    Ownership,
    SelfHostedCost,
    devices_monthly_cost,
    expected_self_hosted_usd,
    has_price,
    replica_monthly_cost,
    self_hosted_cost,
)
from advisor.engine.fit import GB, QUANT_PREFERENCE, Deployment, best_quant, engine_name, make_deployment
from advisor.engine.quality import quality_table, tier_quality, tier_reached
from advisor.errors import AdvisorError
from advisor.schema.vocabulary import BAND_NAMES, QUALITY_RANK, DeploymentKind, Kind, size_class_of

if TYPE_CHECKING:
    from advisor.data.prices import ApiPriceTable, PriceVariant
    from advisor.schema.catalog import ApiModelNote, HardwareProfile, OpenWeightModel, ReasoningVariant
    from advisor.schema.scenario import Assumptions, Scenario, Workload

DEVICE_KINDS = ("apple_silicon", "edge")
"""Hardware that is a person's device (phones, boards, Macs): a model the scenario puts on it runs `local`. So do a
CPU laptop and this-machine. GPU cards and CPU servers serve as servers (`self_hosted`), as does anything rented
or picked by the advisor."""
DEVICE_IDS = ("cpu-laptop-8c", "this-machine")
P95_SHARE = 0.05
"""A side of a hybrid that takes at least this share of requests sets the p95 latency of the whole."""


@dataclass
class Option:
    """One way to serve a workload, with its volume-independent facts and the inputs its cost scales with."""

    kind: Kind
    deployment: DeploymentKind
    model: str  # genai-prices model id for an API model (the API side of a hybrid), else the catalog model id
    provider: str | None  # genai-prices provider id when any traffic goes to a third-party API
    hardware: str | None  # hardware id the local / self-hosted side runs on
    quant: str | None
    label: str
    capability: str
    context_tokens: int
    fits: bool
    memory_gb: float | None
    available_gb: float | None
    est_first_token_ms: float | None
    est_total_ms: float | None
    est_tokens_per_s: float | None
    basis: Literal["estimated", "measured", "published"] = "estimated"
    per_request_usd: float = 0.0  # API part, per request sent to it
    replica_cost_usd: float = 0.0
    replica_hardware_usd: float = 0.0
    replica_energy_usd: float = 0.0
    replica_rps: dict[str, float] = field(default_factory=dict)  # per speed band
    devices: int | None = None
    price_known: bool = True
    small: Option | None = None  # hybrid: the small model's side
    large: Option | None = None  # hybrid: the large model's side
    small_share: float | None = None  # hybrid: share of requests the small model keeps
    pattern: str | None = None  # hybrid: router | cascade
    quality_range: tuple[float, float] | None = None  # hybrid: (random, oracle) routing, share of the large's quality
    routing_source: str | None = None
    mmlu: float | None = None  # published MMLU score: breaks ties between options of one tier and cost
    instruction_tuned: bool = True  # a base model needs tuning before it answers requests: ranks after chat models
    min_first_token_ms: float | None = None  # one request alone (batch 1): the fastest first token it can give
    meets_latency: bool | None = None  # self-hosted: one replica meets the latency targets at some batch size
    open_weight_model: str | None = None  # an API model whose weights are in the catalog: their id
    deployment_spec: Deployment | None = field(default=None, repr=False)  # self-hosted: what the fit estimate used
    est_first_token_p95_ms: float | None = None  # the slow end of the first-token estimate: compared with p95 targets
    load_ceiling: float | None = None  # self-hosted: most a replica is loaded, as a share of flat out (fit.capacity)
    # Hardware there and on anyway: one request's electricity per speed band (cost.energy_per_request_usd).
    energy_usd_per_request: dict[str, float] | None = None
    reasoning_effort: str | None = None  # API reasoning model: its setting (the note's default or a variant's)
    reasoning_variant: str | None = None  # API: a variant's name ("minimal effort"); None for the note's default
    output_multiplier: float = 1.0  # API: billed output tokens per visible answer token (hidden reasoning billed too)
    quality_score: float | None = None  # 0-100, advisor.engine.quality
    quality_basis: str = ""
    shared_hardware_usd: float = 0.0  # hybrid on one owned machine: the smaller side's hardware, billed once
    on_named_owned_machine: bool = False  # self-hosted on the machine the scenario names and owns
    languages: tuple[str, ...] | None = None  # the model card's languages; ("*",) a broad claim; None: none named
    vision: bool = False  # accepts images as input
    fine_tunable: bool = False  # the team can tune it: its own copy of open weights, or a provider that tunes it

    @property
    def capability_rank(self) -> int:
        return QUALITY_RANK[self.capability]

    @property
    def small_model(self) -> str | None:
        return self.small.model if self.small else None

    @property
    def is_self_hosted(self) -> bool:
        return self.small is None and self.provider is None

    def monthly_usd(self, requests_per_day: float, workload: Workload, assumptions: Assumptions) -> dict[str, float]:
        """Monthly cost band at `requests_per_day` (same token shape); low is the cheap end."""
        # The fast speed band needs the fewest replicas: low cost = high speed.
        return {
            cost: self.usd_at(requests_per_day, workload, assumptions, speed)
            for cost, speed in (("low", "high"), ("expected", "expected"), ("high", "low"))
        }

    def usd_at(self, requests_per_day: float, workload: Workload, assumptions: Assumptions, speed: str) -> float:
        """Monthly cost at `requests_per_day` for one speed band of the fit estimate."""
        if self.small is not None and self.large is not None and self.small_share is not None:
            small_volume = requests_per_day if self.pattern == "cascade" else requests_per_day * self.small_share
            small = self.small.usd_at(small_volume, workload, assumptions, speed)
            large = self.large.usd_at(requests_per_day * (1 - self.small_share), workload, assumptions, speed)
            return small + large - self.shared_ops_usd(assumptions) - self.shared_hardware_usd
        if self.provider is not None:
            return self.per_request_usd * requests_per_day * assumptions.days_per_month
        if requests_per_day <= 0:
            return 0.0
        if self.energy_usd_per_request is not None:
            per_request = self.energy_usd_per_request[speed]
            return requests_per_day * assumptions.days_per_month * per_request + assumptions.ops_usd_per_month
        peak_rps = requests_per_day * workload.peak_factor / (assumptions.hours_per_day * 3600)
        replica_rps = self.replica_rps[speed]
        # _replicas, inline: the engine prices every option this way at every volume it tries.
        replicas = 1.0 if replica_rps <= 0 else float(max(math.ceil(peak_rps / replica_rps), 1))
        return replicas * self.replica_cost_usd + assumptions.ops_usd_per_month

    def shared_ops_usd(self, assumptions: Assumptions) -> float:
        """Ops counted twice when both sides of a hybrid run on own hardware (the team runs one platform)."""
        if self.small is None or self.large is None:
            return 0.0
        both_own = self.small.is_self_hosted and self.large.is_self_hosted
        return assumptions.ops_usd_per_month if both_own else 0.0

    def breakdown_usd(self, requests_per_day: float, workload: Workload, assumptions: Assumptions) -> dict[str, float]:
        """Expected monthly cost split into API tokens, hardware, energy and ops."""
        if self.small is not None and self.large is not None and self.small_share is not None:
            small_volume = requests_per_day if self.pattern == "cascade" else requests_per_day * self.small_share
            small = self.small.breakdown_usd(small_volume, workload, assumptions)
            large = self.large.breakdown_usd(requests_per_day * (1 - self.small_share), workload, assumptions)
            total = {key: small[key] + large[key] for key in small}
            total["ops_usd"] -= self.shared_ops_usd(assumptions)
            total["hardware_usd"] -= self.shared_hardware_usd
            return total
        if self.provider is not None:
            api = self.per_request_usd * requests_per_day * assumptions.days_per_month
            return {"api_usd": api, "hardware_usd": 0.0, "energy_usd": 0.0, "ops_usd": 0.0}
        if self.energy_usd_per_request is not None:
            energy = requests_per_day * assumptions.days_per_month * self.energy_usd_per_request["expected"]
            return {"api_usd": 0.0, "hardware_usd": 0.0, "energy_usd": energy, "ops_usd": assumptions.ops_usd_per_month}
        peak_rps = requests_per_day * workload.peak_factor / (assumptions.hours_per_day * 3600)
        replicas = _replicas(peak_rps, self.replica_rps.get("expected", 0.0))
        return {
            "api_usd": 0.0,
            "hardware_usd": replicas * self.replica_hardware_usd,
            "energy_usd": replicas * self.replica_energy_usd,
            "ops_usd": assumptions.ops_usd_per_month,
        }

    def replicas(self, requests_per_day: float, workload: Workload, assumptions: Assumptions) -> float | None:
        rps = self.replica_rps.get("expected", 0.0)
        if not self.is_self_hosted or rps <= 0:
            return None
        return _replicas(requests_per_day * workload.peak_factor / (assumptions.hours_per_day * 3600), rps)


def _replicas(peak_rps: float, replica_rps: float) -> float:
    """advisor.engine.fit.replicas_needed for one option, in plain floats (the engine calls it thousands of times).

    A deployment that serves nothing (it does not fit) still costs the one replica the team would pay for."""
    if replica_rps <= 0:
        return 1.0
    return float(max(math.ceil(peak_rps / replica_rps), 1))


def deployment_kind(profile: HardwareProfile, scenario: Scenario) -> DeploymentKind:
    """`local` for a device the scenario names and owns, `self_hosted` for servers and anything rented."""
    hardware = scenario.hardware
    device = profile.kind in DEVICE_KINDS or profile.id in DEVICE_IDS
    if hardware.profile and hardware.ownership == "owned" and device:
        return "local"
    return "self_hosted"


def api_capability(note: ApiModelNote, catalog: Catalog) -> str:
    """The tier an API model is ranked at: the open weights' tier when it serves weights the catalog has (the same
    model, with the same benchmark scores), else the note's own. Listings show this one."""
    weights = catalog.models.get(note.open_weight_model) if note.open_weight_model else None
    return weights.capability_hint if weights else note.capability_tier


def api_options(workload: Workload, catalog: Catalog, variant: PriceVariant = "standard") -> list[Option]:
    """One option per curated API model, priced by genai-prices for the workload's token shape, and one more for each
    other reasoning setting a reasoning model's note describes (minimal effort, thinking off). A reasoning model's
    hidden thinking is billed as output tokens: its bill counts the visible answer times the setting's
    output_multiplier."""
    table = catalog.price_table(variant)
    index = _api_rows(catalog, table)
    settings = api_settings(catalog)
    if not settings:  # a catalog narrowed to open-weight models only (advisor cost --model phi-4)
        return []
    rows = np.array([index[position] for position, _ in settings])
    multipliers = np.array([note.reasoning_multiplier for _, note in settings])
    per_request = table.cost_per_request(
        workload.input_tokens, workload.output_tokens * multipliers, workload.cached_input_share, rows=rows
    )
    options = []
    qualities = quality_table(catalog, workload.task)
    for (_, setting), cost in zip(settings, per_request, strict=True):
        note = setting.note
        label = setting.label
        # A live run from the user's own network (advisor compare --calibrate) beats the published figures.
        own = api_measured(catalog.measurements, label)
        latency = api_latency(note, workload.input_tokens, workload.output_tokens, catalog, own)
        quality = qualities[f"{note.provider}/{note.model}"]
        if setting.variant is not None:
            quality = tier_quality(
                setting.variant.capability_tier, "its benchmark scores were published with reasoning on"
            )
        weights = catalog.models.get(note.open_weight_model) if note.open_weight_model else None
        capability = api_capability(note, catalog)
        # A variant's benchmark scores are not published: its tier stands alone (no MMLU tie-break either).
        mmlu = _mmlu(note.benchmarks) if weights is None else weights.score("mmlu")
        if setting.variant is not None:
            capability, mmlu = setting.variant.capability_tier, None
        options.append(
            Option(
                kind=note.size_class,
                deployment="api",
                model=note.model,
                provider=note.provider,
                hardware=None,
                quant=None,
                label=label,
                # The same weights get the same tier whether the team or a provider serves them.
                capability=capability,
                context_tokens=note.context_tokens,
                fits=True,
                memory_gb=None,
                available_gb=None,
                est_first_token_ms=latency.first_token_ms["expected"],
                est_total_ms=latency.total_ms["expected"],
                est_tokens_per_s=latency.tokens_per_s["expected"],
                basis="measured" if own else "published",
                per_request_usd=float(cost),
                min_first_token_ms=latency.first_token_ms["expected"],
                mmlu=mmlu,
                open_weight_model=note.open_weight_model,
                # The slow band is a plausible p95, a published one where the model has it (advisor.engine.api_latency).
                est_first_token_p95_ms=latency.first_token_ms["high"],
                quality_score=quality.score,
                quality_basis=quality.basis,
                languages=card_languages(weights) if weights else None,
                vision=note.vision,
                fine_tunable=note.fine_tuning,
                reasoning_effort=setting.effort,
                reasoning_variant=setting.variant.label if setting.variant is not None else None,
                output_multiplier=setting.reasoning_multiplier,
            )
        )
    return options


@dataclass(frozen=True)
class ApiSetting:
    """One API model at one reasoning setting: its note (a variant's latency class, measured latency and tier put in
    the note's place), the setting's name and how many output tokens it bills per visible one."""

    note: ApiModelNote
    variant: ReasoningVariant | None
    effort: str | None
    reasoning_multiplier: float

    @property
    def sent_effort(self) -> str | None:
        """The `reasoning_effort` a live request sends to run at this setting (None: the model has no setting)."""
        return self.variant.sent_effort if self.variant is not None else self.effort

    @property
    def label(self) -> str:
        """The option's label: "provider/model", and the variant's name in brackets for a variant."""
        label = f"{self.note.provider}/{self.note.model}"
        return f"{label} ({self.variant.label})" if self.variant is not None else label


_API_SETTINGS: dict[int, tuple[Catalog, list[tuple[int, ApiSetting]]]] = {}


def api_settings(catalog: Catalog) -> list[tuple[int, ApiSetting]]:
    """Every (note position, setting) the API options are built from, in catalog order, each note's default first;
    found once per catalog snapshot."""
    found = _API_SETTINGS.get(id(catalog))
    if found is None:
        if len(_API_SETTINGS) > 64:
            _API_SETTINGS.clear()
        settings: list[tuple[int, ApiSetting]] = []
        for position, note in enumerate(catalog.api_notes):
            reasoning = note.reasoning
            if reasoning is None:
                settings.append((position, ApiSetting(note, None, None, 1.0)))
                continue
            settings.append((position, ApiSetting(note, None, reasoning.default_effort, reasoning.output_multiplier)))
            for variant in reasoning.variants:
                as_note = note.model_copy(
                    update={
                        "latency_class": variant.latency_class,
                        "latency": variant.latency,
                        "capability_tier": variant.capability_tier,
                    }
                )
                settings.append((position, ApiSetting(as_note, variant, variant.effort, variant.output_multiplier)))
        found = _API_SETTINGS[id(catalog)] = (catalog, settings)
    return found[1]


def card_languages(model: OpenWeightModel) -> tuple[str, ...] | None:
    """The languages a model's card names, ("*",) where it claims 100+ without naming them, None where it names
    none (rules then assume the rules file's well-covered languages)."""
    if model.languages == "broad":
        return ("*",)
    return tuple(model.languages) if model.languages is not None else None


_API_ROWS: dict[tuple[int, int], tuple[Catalog, ApiPriceTable, np.ndarray]] = {}


def _api_rows(catalog: Catalog, table: ApiPriceTable) -> np.ndarray:
    """The price-table row of each of the catalog's API notes, found once per (catalog snapshot, price table): both
    are immutable, and the rows depend on nothing else. Both are held, so their ids are not reused."""
    key = (id(catalog), id(table))
    found = _API_ROWS.get(key)
    if found is None:
        if len(_API_ROWS) > 64:
            _API_ROWS.clear()
        rows = np.array([table.index(n.provider, n.model) for n in catalog.api_notes])
        found = _API_ROWS[key] = (catalog, table, rows)
    return found[2]


class BuiltOptions:
    """Self-hosted options built during one engine run (one recommend() or one sweep), handed out again when the
    engine decides once more at another volume.

    A self-hosted option's figures (speed, what one replica sustains and costs, memory, quality) depend on its
    deployment, how the hardware is paid for, the workload's token shape, targets and task, the scenario's hardware
    and assumptions and the catalog, never on the volume: the volume only decides which profile a model lands on
    when the advisor picks the hardware, and the search still runs at every volume. So an option is keyed on
    (catalog, the workload less its volume, the scenario less its workloads, model, deployment, ownership), and the
    same key gives back the same option. The deployment is held by the option, so its id is not reused."""

    def __init__(self) -> None:
        self._options: dict[tuple[Any, ...], Option] = {}

    @staticmethod
    def key(scenario: Scenario, workload: Workload, catalog: Catalog) -> tuple[Any, ...]:
        """Everything a self-hosted option of `workload` can depend on, except the model and its deployment."""
        return (
            catalog,
            workload.model_dump_json(exclude={"requests_per_day"}),
            scenario.model_dump_json(exclude={"workloads"}),
        )

    def get(self, key: tuple[Any, ...], build: Any) -> Option:
        found = self._options.get(key)
        if found is None:
            found = self._options[key] = build()
        return found


def self_hosted_options(
    scenario: Scenario,
    workload: Workload,
    catalog: Catalog,
    keep_hardware: dict[str, str] | None = None,
    *,
    models: list[OpenWeightModel] | None = None,
    built: BuiltOptions | None = None,
) -> list[Option]:
    """Each open-weight model at its best quantisation on the scenario's hardware (or the cheapest priced profile
    it fits when the scenario names none); a model that fits nowhere is kept, marked `fits=False`.

    `keep_hardware` (model id -> hardware id) pins each model to a profile chosen before, for what-if runs.
    `models` limits the list to those catalog models; `built` reuses the options of an earlier call (BuiltOptions)."""
    ownership = scenario.hardware.ownership
    count = scenario.hardware.count
    floor: dict[str, float] = {}  # one replica's monthly cost per profile, when the advisor picks
    if scenario.hardware.profile:
        profiles = [catalog.hardware_profile(scenario.hardware.profile)]
    else:
        # Cheapest first, so the search can stop once no dearer profile could beat the best found.
        for_sale = [
            h for h in catalog.hardware.values() if (h.purchase_usd if ownership == "owned" else h.cloud_usd_per_hour)
        ]
        floor = {h.id: devices_monthly_cost(h, count, scenario.assumptions, ownership).total_usd for h in for_sale}
        profiles = sorted(for_sale, key=lambda h: (floor[h.id], h.id))
    if not profiles:
        raise AdvisorError(f"hardware.ownership: no hardware profile has a price for {ownership!r}")
    context = workload.effective_context_tokens
    options = []
    assumptions = scenario.assumptions
    shared = BuiltOptions.key(scenario, workload, catalog) if built is not None else ()
    for model in catalog.models.values() if models is None else models:
        best: tuple[bool, float, Deployment, Ownership] | None = None
        pinned = keep_hardware.get(model.id) if keep_hardware else None
        for profile in [catalog.hardware[pinned]] if pinned in catalog.hardware else profiles:
            # A bill is at least one replica plus ops: a profile whose one replica costs more cannot win.
            if (
                best is not None
                and best[0]
                and best[1] <= floor.get(profile.id, -math.inf) + assumptions.ops_usd_per_month
            ):
                break
            deployment = best_quant_cached(model, profile, context, count, catalog, scenario.hardware.engine)
            if deployment is None or (len(profiles) > 1 and not has_price(deployment, ownership)):
                continue
            # Hardware with no price for this ownership (a phone, this machine) counts its energy only.
            priced = paid_as(deployment, scenario)
            if len(profiles) == 1 or pinned:
                best = (True, 0.0, deployment, priced)  # nothing to compare: cost it in full once, below
                break
            meets, monthly = expected_self_hosted_usd(deployment, workload, assumptions, priced)
            # Latency-meeting profiles first, then the cheaper one.
            if best is None or (meets, -monthly) > (best[0], -best[1]):
                best = (meets, monthly, deployment, priced)
        if best is None:
            if built is None:
                options.append(_not_fitting(model, profiles, scenario, workload, catalog))
            else:
                missing = functools.partial(_not_fitting, model, profiles, scenario, workload, catalog)
                options.append(built.get((*shared, model.id, None), missing))
            continue
        _, _, chosen, chosen_ownership = best
        build = functools.partial(_full_option, chosen, chosen_ownership, scenario, workload, catalog)
        if built is None:
            options.append(build())
        else:
            options.append(built.get((*shared, model.id, id(chosen), chosen_ownership), build))
    return options


def deployment_option(deployment: Deployment, scenario: Scenario, workload: Workload, catalog: Catalog) -> Option:
    """The option of one deployment on the scenario's terms: what self_hosted_options builds for the profile it
    keeps for a model (the sweep, which chooses profiles for many volumes at once, builds them this way)."""
    return _full_option(deployment, paid_as(deployment, scenario), scenario, workload, catalog)


def _full_option(
    deployment: Deployment, ownership: Ownership, scenario: Scenario, workload: Workload, catalog: Catalog
) -> Option:
    full = self_hosted_cost(deployment, workload, scenario.assumptions, ownership)
    return _costed(full, scenario, workload, catalog)


_BEST_QUANT_MEMO: dict[tuple[Any, ...], Deployment | None] = {}
BEST_QUANT_MEMO_ENTRIES = 100_000
"""A sweep over 50 token shapes with the hardware left to the advisor asks for about 25,000 (model, profile,
context) triples."""


def best_quant_cached(
    model: OpenWeightModel,
    profile: HardwareProfile,
    context: int,
    count: int,
    catalog: Catalog,
    engine: str | None = None,
) -> Deployment | None:
    """fit.best_quant, remembered per (model, profile, context, devices, engine, catalog snapshot): it does not
    depend on the volume, and the engine builds options again at many volumes."""
    key = (model.id, profile.id, context, count, engine, id(catalog))
    if key not in _BEST_QUANT_MEMO:
        if len(_BEST_QUANT_MEMO) > BEST_QUANT_MEMO_ENTRIES:
            _BEST_QUANT_MEMO.clear()
            _CATALOGS.clear()
        _BEST_QUANT_MEMO[key] = best_quant(model, profile, context, 1, count, catalog=catalog, engine=engine)
        _CATALOGS[id(catalog)] = catalog  # held, so that its id is not reused by another snapshot
    return _BEST_QUANT_MEMO[key]


_CATALOGS: dict[int, Catalog] = {}


def prime_best_quant(
    models: list[OpenWeightModel],
    profiles: list[HardwareProfile],
    contexts: list[int],
    count: int,
    catalog: Catalog,
    engine: str | None = None,
) -> None:
    """Fill best_quant_cached's memo for every model x profile x context with few fit.best_quant calls.

    A deployment's memory grows with the context, so the best quantisation that fits can only get smaller (or none
    fit) as the context grows: where the smallest and largest of a run of contexts get the same quantisation, every
    context between gets it too, the same deployment. Runs that differ are split in two until they agree."""
    ordered = sorted(set(contexts))

    def fill(model: OpenWeightModel, profile: HardwareProfile, low: int, high: int) -> None:
        first = best_quant_cached(model, profile, ordered[low], count, catalog, engine)
        last = best_quant_cached(model, profile, ordered[high], count, catalog, engine)
        if (first.quant if first else None) == (last.quant if last else None):
            for context in ordered[low + 1 : high]:
                _BEST_QUANT_MEMO[(model.id, profile.id, context, count, engine, id(catalog))] = first
        elif high - low > 1:
            middle = (low + high) // 2
            fill(model, profile, low, middle)
            fill(model, profile, middle, high)

    for model in models:
        for profile in profiles:
            fill(model, profile, 0, len(ordered) - 1)


def paid_as(deployment: Deployment, scenario: Scenario) -> Ownership:
    """How the hardware is charged: as the scenario's ownership; for the electricity its requests use when it is
    there and on anyway (hardware.already_owned: its purchase is paid; or a person's device the catalog has no price
    for, such as this machine); for its electricity around the clock when the catalog has no price for a server."""
    ownership = scenario.hardware.ownership
    profile = deployment.hardware
    device = profile.kind in DEVICE_KINDS or profile.id in DEVICE_IDS
    if scenario.hardware.already_owned or (device and not has_price(deployment, ownership)):
        return "energy_used"
    if not has_price(deployment, ownership):
        return "energy_only"
    return ownership


def resized(
    option: Option, scenario: Scenario, workload: Workload, catalog: Catalog, *, expected_only: bool = False
) -> Option:
    """A self-hosted option costed again for `workload` (a tighter latency target, say) on the same deployment;
    `expected_only` for a search that needs only the expected figures (advisor.engine.cost.self_hosted_cost)."""
    deployment = option.deployment_spec
    if deployment is None or not option.fits:
        return option
    priced = paid_as(deployment, scenario)
    cost = self_hosted_cost(deployment, workload, scenario.assumptions, priced, expected_only=expected_only)
    return _costed(cost, scenario, workload, catalog)


def deployment_label(deployment: Deployment, catalog: Catalog) -> str:
    """A self-hosted option's label: "model QUANT, engine on Nx hardware" (the id in tables, charts and JSON)."""
    engine = engine_name(deployment.engine, catalog)
    return f"{deployment.model.id} {deployment.quant}, {engine} on {deployment.count}x {deployment.hardware.id}"


def _own_option(
    deployment: Deployment, scenario: Scenario, workload: Workload, fits: bool, catalog: Catalog, **figures: Any
) -> Option:
    """An option on the team's own or rented hardware: the facts every such option shares, plus `figures`."""
    model = deployment.model
    profile = deployment.hardware
    quality = quality_table(catalog, workload.task).get(model.id)
    return Option(
        kind=size_class_of(model.params_b),
        deployment=deployment_kind(profile, scenario),
        model=model.id,
        provider=None,
        hardware=profile.id,
        quant=deployment.quant,
        label=deployment_label(deployment, catalog),
        capability=model.capability_hint,
        context_tokens=model.context_tokens,
        fits=fits,
        memory_gb=float(deployment.memory_gb(workload.effective_context_tokens, 1)),
        available_gb=deployment.usable_memory_bytes / GB,
        devices=deployment.count,
        price_known=has_price(deployment, scenario.hardware.ownership),
        mmlu=model.score("mmlu"),
        instruction_tuned=model.instruction_tuned,
        quality_score=quality.score if quality else None,
        quality_basis=quality.basis if quality else "",
        on_named_owned_machine=bool(scenario.hardware.profile) and scenario.hardware.ownership == "owned",
        languages=card_languages(model),
        vision=model.vision,
        fine_tunable=True,  # the team holds the weights: LoRA / QLoRA on its own hardware
        **figures,
    )


def _costed(cost: SelfHostedCost, scenario: Scenario, workload: Workload, catalog: Catalog) -> Option:
    deployment = cost.deployment
    return _own_option(
        deployment,
        scenario,
        workload,
        fits=True,
        catalog=catalog,
        est_first_token_ms=float(cost.capacity.first_token_ms),
        est_total_ms=float(cost.capacity.total_ms),
        est_tokens_per_s=float(cost.capacity.tokens_per_s),
        basis="measured" if deployment.measured else "estimated",
        replica_cost_usd=cost.replica_cost_usd,
        replica_hardware_usd=cost.replica.hardware_usd,
        replica_energy_usd=cost.replica.energy_usd,
        replica_rps=dict(cost.replica_rps),
        meets_latency=cost.meets_latency,
        deployment_spec=deployment,
        est_first_token_p95_ms=float(cost.capacity.first_token_p95_ms),
        load_ceiling=float(cost.capacity.utilisation_ceiling),
        energy_usd_per_request=cost.energy_usd_per_request,
        min_first_token_ms=float(
            deployment.measured_first_token_s(workload.input_tokens)
            if deployment.measured.get("first_token_ms")
            else deployment.prefill_s(workload.input_tokens)
        )
        * 1000,
    )


def _mmlu(benchmarks: list[Any]) -> float | None:
    return next((b.score for b in benchmarks if b.name == "mmlu"), None)


def _not_fitting(
    model: OpenWeightModel, profiles: list[HardwareProfile], scenario: Scenario, workload: Workload, catalog: Catalog
) -> Option:
    """A model no profile holds: memory at the smallest quantisation on the largest profile, for the reason text."""
    profile = max(profiles, key=lambda h: (h.memory_gb, h.id))
    deployment = make_deployment(model, profile, QUANT_PREFERENCE[-1], scenario.hardware.count, catalog)
    priced = paid_as(deployment, scenario)
    replica_cost = replica_monthly_cost(deployment, scenario.assumptions, priced).total_usd
    return _own_option(
        deployment,
        scenario,
        workload,
        fits=False,
        catalog=catalog,
        est_first_token_ms=None,
        est_total_ms=None,
        est_tokens_per_s=None,
        replica_cost_usd=replica_cost,
        replica_rps=dict.fromkeys(BAND_NAMES, 0.0),
    )


_HYBRIDS: dict[tuple[Any, ...], Option] = {}
HYBRID_MEMO_ENTRIES = 4096


def hybrid_option(small: Option, large: Option, small_share: float, pattern: str, routing: Any) -> Option:
    """A small model keeping `small_share` of requests and a large one taking the rest (router), or the small
    model answering everything first and escalating the rest (cascade, which pays for the wasted attempt).

    A hybrid is a function of its two sides, its share, pattern and routing range alone, and the engine pairs the
    same sides again at every volume it tries: each is built once, kept (with its sides, so the sides' ids, which
    key it, are not reused), and every call gets its own copy, which the caller may change."""
    key = (id(small), id(large), small_share, pattern, routing)
    built = _HYBRIDS.get(key)
    if built is None or built.small is not small or built.large is not large:
        if len(_HYBRIDS) >= HYBRID_MEMO_ENTRIES:
            _HYBRIDS.clear()
        built = _HYBRIDS[key] = _hybrid_option(small, large, small_share, pattern, routing)
    copy = object.__new__(Option)
    copy.__dict__.update(built.__dict__)
    copy.replica_rps = dict(built.replica_rps)
    return copy


def _hybrid_option(small: Option, large: Option, small_share: float, pattern: str, routing: Any) -> Option:
    large_share = 1 - small_share
    first = _hybrid_latency(small.est_first_token_ms, large.est_first_token_ms, small_share)
    first_p95 = _hybrid_latency(small.est_first_token_p95_ms, large.est_first_token_p95_ms, small_share)
    total = _hybrid_latency(small.est_total_ms, large.est_total_ms, small_share)
    if pattern == "cascade" and small.est_total_ms is not None and large.est_first_token_ms is not None:
        # An escalated request waits for the small model's whole answer (and its check) before the large starts.
        escalated_first = small.est_total_ms + large.est_first_token_ms
        first = escalated_first if large_share >= P95_SHARE else first
        if large.est_first_token_p95_ms is not None and large_share >= P95_SHARE:
            first_p95 = small.est_total_ms + large.est_first_token_p95_ms
        if large.est_total_ms is not None and large_share >= P95_SHARE:
            total = small.est_total_ms + large.est_total_ms
    deployment: DeploymentKind
    if small.provider is None and large.provider is None:
        deployment = "local" if {small.deployment, large.deployment} == {"local"} else "self_hosted"
    elif small.provider is not None and large.provider is not None:
        deployment = "api"
    else:
        deployment = "mixed"
    quality = None
    basis = ""
    if large.quality_score is not None and routing:
        # What a router that knows nothing keeps (random routing): the floor a real router should beat, never a
        # promise that it will reach the oracle's figure.
        floor = min(routing[0], 1.0)
        quality = round(max(large.quality_score * floor, small.quality_score or 0.0), 1)
        above = " of the large model's quality: the small one is right on some prompts it gets wrong"
        basis = (
            f"{large.label}'s {large.quality_score:g} x {floor:.0%} (random routing at this share; a perfect router "
            f"would keep {routing[1]:.0%}{above if routing[1] > 1 else ''})"
        )
    return Option(
        kind="hybrid",
        deployment=deployment,
        model=large.model,
        provider=large.provider or small.provider,
        hardware=small.hardware or large.hardware,
        quant=small.quant,
        label=f"{pattern}: {small.label} keeps {small_share:.0%}, {large.label} the rest",
        # The large side's tier only as far as the blended score reaches it (see advisor.engine.quality).
        capability=large.capability
        if quality is None or QUALITY_RANK[tier_reached(quality)] >= QUALITY_RANK[large.capability]
        else tier_reached(quality),
        context_tokens=min(small.context_tokens, large.context_tokens),
        fits=small.fits and large.fits,
        memory_gb=small.memory_gb,
        available_gb=small.available_gb,
        est_first_token_ms=first,
        est_total_ms=total,
        min_first_token_ms=_hybrid_latency(small.min_first_token_ms, large.min_first_token_ms, small_share)
        if pattern == "router"
        else first,
        est_tokens_per_s=_min_or_none(small.est_tokens_per_s, large.est_tokens_per_s),
        basis="measured" if "measured" in (small.basis, large.basis) else "estimated",
        devices=small.devices,
        price_known=small.price_known and large.price_known,
        small=small,
        large=large,
        small_share=small_share,
        pattern=pattern,
        vision=small.vision and large.vision,
        fine_tunable=small.fine_tunable,
        quality_range=routing,
        est_first_token_p95_ms=first_p95,
        quality_score=quality,
        quality_basis=basis,
        shared_hardware_usd=_shared_machine_usd(small, large),
    )


def _shared_machine_usd(small: Option, large: Option) -> float:
    """Both sides on the same owned machine, which holds both models at once: its price is paid once. The smaller
    side's hardware share is then not billed again (each side keeps its own energy)."""
    if small.deployment_spec is None or large.deployment_spec is None or small.hardware != large.hardware:
        return 0.0
    if not (small.on_named_owned_machine and large.on_named_owned_machine) or small.replica_hardware_usd <= 0:
        return 0.0
    together = (small.memory_gb or 0.0) + (large.memory_gb or 0.0)
    if together > (small.available_gb or 0.0):
        return 0.0
    return min(small.replica_hardware_usd, large.replica_hardware_usd)


def _hybrid_latency(small: float | None, large: float | None, small_share: float) -> float | None:
    """p95 of a mix: the slower side sets it once it takes at least 5% of requests."""
    sides = []
    if small_share >= P95_SHARE and small is not None:
        sides.append(small)
    if 1 - small_share >= P95_SHARE and large is not None:
        sides.append(large)
    return max(sides) if sides else None


def _min_or_none(a: float | None, b: float | None) -> float | None:
    values = [v for v in (a, b) if v is not None]
    return min(values) if values else None
