"""Scenario file v1: the contract every interface reads and writes (questionnaire, CLI, notebooks, share links).

Field descriptions here are the single place each question is explained: the JSON schema, the CLI help and the
app's help text all read them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from advisor.errors import UnknownIdError
from advisor.schema.base import Strict, printable_text
from advisor.schema.catalog import RentClass
from advisor.schema.vocabulary import Capability

Privacy = Literal["public", "internal", "confidential", "regulated", "air_gapped"]
Deployment = Literal["any", "local_only", "api_only"]
Ownership = Literal["owned", "rented"]
OptimizeFor = Literal["balanced", "cost", "latency", "quality"]
QueryVariety = Literal["predictable", "mixed", "unpredictable"]
UpdateFrequency = Literal["rarely", "monthly", "weekly"]
Modality = Literal["text", "image"]
Phase = Literal["production", "prototype"]

PRIVACY_MEANINGS: dict[str, str] = {
    "public": "Public data: any API provider may see it.",
    "internal": "Internal data: any API provider may see it under its standard terms.",
    "confidential": "Confidential: APIs allowed on enterprise terms (no training on the data, limited retention); "
    "privacy counts in favour of local or self-hosted options.",
    "regulated": "Regulated (health, finance, personal data under GDPR / HIPAA): no third-party API unless the "
    "provider is listed in allowed providers (you have a BAA / DPA with it).",
    "air_gapped": "Air-gapped: no network at all - no API and no download at run time; models come from local files.",
}


class MeasuredSplit(Strict):
    """A hybrid's split measured by the Hybrid lab (`advisor hybrid`, the Hybrid lab page) on the team's own prompts:
    the recommendation's hybrid of this pattern then uses it instead of the catalog's figure for the task kind."""

    small_share: float = Field(ge=0, le=1, description="Share of requests the small model kept, 0..1 (measured).")
    quality_vs_large: float | None = Field(
        default=None,
        ge=0,
        le=10,
        description="The hybrid's answer quality as a fraction of the large model's alone on the prompts with an "
        "expected answer (measured); null when none had one.",
    )
    pattern: Literal["router", "cascade"] = Field(
        description="router: decided before any model answers; cascade: the small model answers first, then escalates."
    )
    router: str = Field(min_length=1, max_length=200, description="Which router or cascade was measured.")
    prompts: int = Field(ge=1, le=1_000_000, description="How many prompts the split was measured on.")

    _printable_router = field_validator("router")(printable_text)


class Workload(Strict):
    """One kind of request the system serves; each workload gets its own verdict."""

    name: str = Field(min_length=1, max_length=80, description="Short unique name, e.g. support-chat.")
    task: str = Field(description="What the model does (a task id, see `advisor catalog tasks`).")
    requests_per_day: float = Field(gt=0, le=1e10, description="How many requests a day, on average?")
    input_tokens: int = Field(
        gt=0, le=10_000_000, description="Mean tokens in per request: prompt plus any retrieved context."
    )
    output_tokens: int = Field(gt=0, le=1_000_000, description="Mean tokens the model writes per request.")
    cached_input_share: float = Field(
        default=0.0,
        ge=0,
        le=1,
        description="Share of input tokens an API can serve from its prompt cache (a fixed system prompt, say).",
    )
    peak_factor: float = Field(
        default=3.0, ge=1, le=100, description="Busiest-hour request rate divided by the average rate."
    )
    latency_p95_first_token_ms: float | None = Field(
        default=None, gt=0, le=600_000, description="How fast must the first words appear (ms, 95th percentile)?"
    )
    latency_p95_total_ms: float | None = Field(
        default=None, gt=0, le=3_600_000, description="How long may a whole answer take (ms, 95th percentile)?"
    )
    context_tokens: int | None = Field(
        default=None,
        gt=0,
        le=10_000_000,
        description="Longest context one request needs, in tokens; empty means input plus output tokens.",
    )
    languages: list[str] = Field(
        default_factory=lambda: ["en"],
        min_length=1,
        max_length=200,
        description="Languages users write in, as ISO 639 codes (en, de, sw...).",
    )
    quality: Capability = Field(
        default="standard",
        description="How strong answers must be: basic (narrow, checkable), standard, frontier (best available).",
    )
    domain_data: bool = Field(
        default=False, description="Do you have labelled in-domain examples to fine-tune or evaluate with?"
    )
    query_variety: QueryVariety = Field(
        default="predictable",
        description="How varied the requests are: predictable (the same few kinds, e.g. classify an email), mixed "
        "(mostly routine with a hard or unusual minority) or unpredictable (anything a user may ask, as a "
        "general-purpose assistant).",
    )
    update_frequency: UpdateFrequency = Field(
        default="rarely",
        description="How often the task's knowledge or rules change so that a tuned model must be updated: rarely, "
        "monthly or weekly (new products, policies, a drifting domain).",
    )
    modality: Modality = Field(
        default="text",
        description="What requests carry: text, or image (a photo or scan with the text; count an image's tokens in "
        "input_tokens).",
    )
    measured_split: MeasuredSplit | None = Field(
        default=None,
        description="The hybrid split the Hybrid lab measured on your prompts for this workload (small share, quality "
        "against the large model, pattern); null: the catalog's figure for the task kind.",
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str, info: ValidationInfo) -> str:
        catalog = _catalog_from(info)
        if catalog is not None and value not in catalog.tasks:
            raise ValueError(str(UnknownIdError("task", value, sorted(catalog.tasks))))
        return value

    _printable_name = field_validator("name")(printable_text)

    @field_validator("languages")
    @classmethod
    def _language_codes(cls, value: list[str]) -> list[str]:
        import re

        for code in value:
            if not re.fullmatch(r"[a-z]{2,3}(-[A-Za-z0-9]{2,8})?", code):
                raise ValueError(f"must be ISO 639 codes like 'en' or 'pt-BR', got {code!r}")
        return value

    @property
    def effective_context_tokens(self) -> int:
        """The context a request needs: the stated one, else input + output."""
        return self.context_tokens or (self.input_tokens + self.output_tokens)

    @model_validator(mode="after")
    def _context_holds_request(self) -> Workload:
        if self.context_tokens is not None and self.context_tokens < self.input_tokens + self.output_tokens:
            raise ValueError(
                f"context_tokens: must be >= input_tokens + output_tokens "
                f"({self.input_tokens + self.output_tokens}), got {self.context_tokens}"
            )
        return self

    def replace(self, **changes: Any) -> Workload:
        """A validated copy with `changes` (field names as keywords): `workload.replace(requests_per_day=1e6)`."""
        return type(self).model_validate({**self.model_dump(), **changes})


class Constraints(Strict):
    """What the answer must respect, whatever it costs."""

    privacy: Privacy = Field(
        default="internal", description="What data does it see? " + " ".join(PRIVACY_MEANINGS.values())
    )
    allowed_providers: list[str] = Field(
        default_factory=list,
        description="API providers you may use (genai-prices ids, e.g. openai, anthropic); empty means any.",
    )
    deployment: Deployment = Field(
        default="any", description="any, local_only (nothing leaves your machines) or api_only (nothing to host)."
    )
    on_premises_only: bool = Field(
        default=False,
        description="Self-hosted models must run on hardware the team owns on its premises, not on rented cloud "
        "GPUs (hardware.ownership: owned).",
    )

    @field_validator("allowed_providers")
    @classmethod
    def _known_providers(cls, value: list[str], info: ValidationInfo) -> list[str]:
        catalog = _catalog_from(info)
        if catalog is None:
            return value
        known = sorted(set(catalog.price_table().provider.tolist()))
        for provider in value:
            if provider not in known:
                # A typo here would silently rule out every API: name it, with the closest ids.
                raise ValueError(str(UnknownIdError("API provider", provider, known)))
        return value


class HardwareChoice(Strict):
    """Where local or self-hosted models would run."""

    profile: str | None = Field(
        default=None,
        description="A hardware id (`advisor catalog hardware`) or 'this-machine'; empty: the cheapest that fits.",
    )
    count: int = Field(default=1, ge=1, le=1024, description="Devices one model replica is split across.")
    ownership: Ownership = Field(
        default="rented", description="owned (purchase amortised over months) or rented (paid per hour)."
    )
    already_owned: bool = Field(
        default=False,
        description="The team has this hardware already and its purchase is paid: only its electricity (and ops) "
        "count. Needs a named profile and ownership: owned.",
    )
    engine: str | None = Field(
        default=None,
        max_length=40,
        description="The serving engine self-hosted models run under (`advisor catalog engines`): llama.cpp, vllm "
        "or another the catalog describes. Empty: each hardware kind's default (vLLM on data-centre GPUs, "
        "llama.cpp elsewhere). An engine only runs on the hardware kinds it supports; hardware it does not run on "
        "is left out.",
    )

    @model_validator(mode="after")
    def _already_owned_needs_owned_profile(self) -> HardwareChoice:
        if self.already_owned and (self.profile is None or self.ownership != "owned"):
            raise ValueError("already_owned: true needs a hardware.profile and ownership: owned")
        return self

    @field_validator("engine")
    @classmethod
    def _known_engine(cls, value: str | None, info: ValidationInfo) -> str | None:
        resolved = _catalog_id(value, info, "resolve_engine_id")
        catalog = _catalog_from(info)
        if resolved is None or catalog is None:
            return resolved
        profile = info.data.get("profile")
        if profile is not None and profile in catalog.hardware:
            kind = catalog.hardware[profile].kind
            if not catalog.engine_runs_on(resolved, kind):
                runs = ", ".join(catalog.engine_kinds(resolved))
                raise ValueError(f"{value} does not run on {profile} ({kind}); it runs on {runs}")
        return resolved

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str | None, info: ValidationInfo) -> str | None:
        return _catalog_id(value, info, "resolve_hardware_id")


def _catalog_id(value: str | None, info: ValidationInfo, resolve: str) -> str | None:
    """`value` as the catalog's own id (its method `resolve`: 'RTX 4090' -> 'rtx-4090'), the lookup's message as the
    field's error; unchanged without a catalog in the validation context."""
    catalog = _catalog_from(info)
    if value is None or catalog is None:
        return value
    try:
        resolved: str = getattr(catalog, resolve)(value)
    except UnknownIdError as e:
        raise ValueError(str(e)) from None
    return resolved


class Assumptions(Strict):
    """Money and time figures the cost model needs."""

    days_per_month: float = Field(default=30, ge=1, le=31, description="Days of traffic in a month.")
    hours_per_day: float = Field(
        default=24, ge=1, le=24, description="Hours a day self-hosted capacity is kept up (traffic falls in them)."
    )
    electricity_usd_per_kwh: float = Field(default=0.15, ge=0, le=10, description="Electricity price, USD per kWh.")
    amortization_months: float = Field(
        default=36, ge=1, le=240, description="Months over which owned hardware is written off."
    )
    ops_usd_per_month: float = Field(
        default=0, ge=0, le=1e9, description="Staff and maintenance share for self-hosting, USD per month."
    )
    currency: str = Field(default="USD", pattern=r"^[A-Z]{3}$", description="Currency reports are shown in.")
    rent_class: RentClass | None = Field(
        default=None,
        description="Who rented GPUs come from: hyperscaler (AWS, Azure, Google Cloud), neocloud (Lambda, CoreWeave, "
        "RunPod Secure Cloud...) or marketplace (RunPod Community Cloud, Vast.ai...): each card is priced at the "
        "median of its published rents from that class, or at its named offer where it has none from it. Empty: "
        "each card's one named offer (`advisor catalog hardware`).",
    )


class Scenario(Strict):
    """A deployment question: one or more workloads, the constraints and the money assumptions."""

    version: Literal[1] = Field(description="Scenario file format version; 1 is the only one so far.")
    name: str = Field(min_length=1, max_length=200, description="Free text, shown on reports.")
    workloads: list[Workload] = Field(min_length=1, max_length=100)
    constraints: Constraints = Field(default_factory=Constraints)
    hardware: HardwareChoice = Field(default_factory=HardwareChoice)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    phase: Phase = Field(
        default="production",
        description="production (a system to run for months) or prototype (finding out whether the idea works: "
        "what to try first, re-run the advice before going to production).",
    )
    optimize_for: OptimizeFor = Field(
        default="balanced",
        description="What decides between options the rules rank equally: balanced (the best quality score within "
        "10% of the cheapest), cost (the cheapest), latency (the fastest p95 first token) or quality (the best "
        "quality score).",
    )

    _printable_name = field_validator("name")(printable_text)

    @model_validator(mode="after")
    def _unique_workload_names(self) -> Scenario:
        seen: set[str] = set()
        for index, workload in enumerate(self.workloads):
            if workload.name in seen:
                raise ValueError(f"workloads[{index}].name: must be unique, {workload.name!r} appears twice")
            seen.add(workload.name)
        return self

    def to_dict(self) -> dict[str, Any]:
        """Plain data in file order, every key written out (defaults included) so the file documents itself."""
        return self.model_dump(mode="json")

    def to_yaml(self) -> str:
        """The scenario file text; whole numbers are written as integers (`requests_per_day: 5000`)."""
        import yaml

        return yaml.safe_dump(_whole_numbers(self.to_dict()), sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> None:
        target = Path(path)
        text = json.dumps(self.to_dict(), indent=2) if target.suffix == ".json" else self.to_yaml()
        target.write_text(text, encoding="utf-8")

    def workload(self, name: str) -> Workload:
        """The workload called `name`; KeyError naming the ones there are otherwise."""
        for workload in self.workloads:
            if workload.name == name:
                return workload
        raise KeyError(f"no workload named {name!r} (the scenario has: {', '.join(w.name for w in self.workloads)})")

    def with_workload(self, workload: Workload | None = None, **fields: Any) -> Scenario:
        """A copy with one more workload, or with the workload of the same name replaced: pass a Workload or its
        fields as keywords (`scenario.with_workload(name="faq", task="rag_qa", requests_per_day=2000,
        input_tokens=400, output_tokens=120)`)."""
        added = workload if workload is not None else Workload.model_validate(fields)
        if workload is not None and fields:
            added = workload.replace(**fields)
        names = [w.name for w in self.workloads]
        workloads = [added if w.name == added.name else w for w in self.workloads]
        if added.name not in names:
            workloads.append(added)
        return self.replace(workloads=workloads)

    def without_workload(self, name: str) -> Scenario:
        """A copy without the workload called `name`."""
        self.workload(name)
        return self.replace(workloads=[w for w in self.workloads if w.name != name])

    def replace(self, **changes: Any) -> Scenario:
        """A validated copy with `changes`. Keys are the scenario's own fields (name, workloads, ...) or the fields
        of its sections, which are unique across them: `scenario.replace(privacy="regulated", profile="l4",
        ops_usd_per_month=2000)` edits constraints, hardware and assumptions."""
        data = self.model_dump()
        sections = {name: field.annotation for name, field in type(self).model_fields.items()}
        for key, value in changes.items():
            if key in sections:
                data[key] = value
                continue
            owner = next(
                (
                    section
                    for section in ("constraints", "hardware", "assumptions")
                    if key in getattr(sections[section], "model_fields", {})
                ),
                None,
            )
            if owner is None:
                raise ValueError(f"{key}: not a scenario field nor a field of constraints, hardware or assumptions")
            data[owner] = {**data[owner], key: value}
        data["workloads"] = [w.model_dump() if isinstance(w, Workload) else w for w in data["workloads"]]
        return type(self).model_validate(data)


def _catalog_from(info: ValidationInfo) -> Any:
    """The catalog ids are checked against: passed by the loaders in advisor.data.scenarios as validation context.

    Without one (a Scenario built in code) ids are not checked here; the engine refuses an unknown id when it meets it.
    """
    return (info.context or {}).get("catalog")


def _whole_numbers(data: Any) -> Any:
    """Floats that hold whole numbers as ints, so a file reads `5000`, not `5000.0` (a float field reads it back)."""
    if isinstance(data, dict):
        return {key: _whole_numbers(value) for key, value in data.items()}
    if isinstance(data, list):
        return [_whole_numbers(value) for value in data]
    if isinstance(data, float) and data.is_integer() and abs(data) < 2**53:
        return int(data)
    return data
