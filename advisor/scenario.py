"""Scenario file v1: the contract every interface reads and writes (questionnaire, CLI, notebooks, share links).

Field descriptions here are the single place each question is explained: the JSON schema, the CLI help and the
app's help text all read them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from advisor._yaml import parse_yaml, read_text
from advisor.errors import ScenarioError, UnknownIdError

Privacy = Literal["public", "internal", "confidential", "regulated", "air_gapped"]
Quality = Literal["basic", "standard", "frontier"]
Deployment = Literal["any", "local_only", "api_only"]
Ownership = Literal["owned", "rented"]

PRIVACY_MEANINGS: dict[str, str] = {
    "public": "Public data: any API provider may see it.",
    "internal": "Internal data: any API provider may see it under its standard terms.",
    "confidential": "Confidential: APIs allowed on enterprise terms (no training on the data, limited retention); "
    "privacy counts in favour of local or self-hosted options.",
    "regulated": "Regulated (health, finance, personal data under GDPR / HIPAA): no third-party API unless the "
    "provider is listed in allowed providers (you have a BAA / DPA with it).",
    "air_gapped": "Air-gapped: no network at all - no API and no download at run time; models come from local files.",
}


_NUMBER_ANNOTATIONS: tuple[Any, ...] = (int, float, int | None, float | None, Literal[1])


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_true_false_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        # YAML reads yes / no / on / off as true / false, and pydantic would quietly take true as 1
        # (`requests_per_day: yes`, `version: true`); a number field wants a number.
        field = cls.model_fields.get(info.field_name or "")
        if isinstance(value, bool) and field is not None and field.annotation in _NUMBER_ANNOTATIONS:
            raise ValueError(f"must be a number, got {str(value).lower()}")
        return value


class Workload(_Strict):
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
    quality: Quality = Field(
        default="standard",
        description="How strong answers must be: basic (narrow, checkable), standard, frontier (best available).",
    )
    domain_data: bool = Field(
        default=False, description="Do you have labelled in-domain examples to fine-tune or evaluate with?"
    )

    @field_validator("task")
    @classmethod
    def _known_task(cls, value: str, info: ValidationInfo) -> str:
        catalog = _catalog_from(info)
        if value not in catalog.tasks:
            raise ValueError(str(UnknownIdError("task", value, sorted(catalog.tasks))))
        return value

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


class Constraints(_Strict):
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


class HardwareChoice(_Strict):
    """Where local or self-hosted models would run."""

    profile: str | None = Field(
        default=None,
        description="A hardware id (`advisor catalog hardware`) or 'this-machine'; empty: the cheapest that fits.",
    )
    count: int = Field(default=1, ge=1, le=1024, description="Devices one model replica is split across.")
    ownership: Ownership = Field(
        default="rented", description="owned (purchase amortised over months) or rented (paid per hour)."
    )

    @field_validator("profile")
    @classmethod
    def _known_profile(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return None
        try:
            resolved: str = _catalog_from(info).resolve_hardware_id(value)
        except UnknownIdError as e:
            raise ValueError(str(e)) from None
        return resolved


class Assumptions(_Strict):
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


class Scenario(_Strict):
    """A deployment question: one or more workloads, the constraints and the money assumptions."""

    version: Literal[1] = Field(description="Scenario file format version; 1 is the only one so far.")
    name: str = Field(min_length=1, max_length=200, description="Free text, shown on reports.")
    workloads: list[Workload] = Field(min_length=1, max_length=100)
    constraints: Constraints = Field(default_factory=Constraints)
    hardware: HardwareChoice = Field(default_factory=HardwareChoice)
    assumptions: Assumptions = Field(default_factory=Assumptions)

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
        import yaml

        return yaml.safe_dump(self.to_dict(), sort_keys=False, allow_unicode=True)

    def save(self, path: str | Path) -> None:
        target = Path(path)
        text = json.dumps(self.to_dict(), indent=2) if target.suffix == ".json" else self.to_yaml()
        target.write_text(text, encoding="utf-8")


def _catalog_from(info: ValidationInfo) -> Any:
    context = info.context or {}
    if "catalog" in context:
        return context["catalog"]
    from advisor.catalog import load_catalog

    return load_catalog()


def _loc_to_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path


def _show(value: Any) -> str:
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return str(int(value))
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _allowed_literal(model: type[BaseModel], loc: tuple[int | str, ...]) -> str | None:
    """Allowed values for a Literal field at `loc`, read from the schema itself."""
    from typing import get_args

    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return None
        annotation = fields[part].annotation
        args = [a for a in get_args(annotation) if a is not type(None)]
        nested = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            current = annotation
        elif nested is not None:
            current = nested
        else:
            literal_args: tuple[Any, ...] = get_args(annotation)
            if literal_args and all(isinstance(a, str | int) for a in literal_args):
                return " | ".join(str(a) for a in literal_args)
            return None
    return None


def _allowed_keys(model: type[BaseModel], loc: tuple[int | str, ...]) -> list[str]:
    current: Any = model
    from typing import get_args

    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        annotation = current.model_fields[part].annotation
        inner = [a for a in (get_args(annotation) or (annotation,)) if isinstance(a, type)]
        current = next(a for a in inner if issubclass(a, BaseModel))
    return list(current.model_fields)


def explain_validation_error(error: ValidationError, model: type[BaseModel] = Scenario) -> str:
    """The first problem of a pydantic error as one line: `field.path: what is allowed, got what`.

    An unknown key is reported before anything else: a misspelt key also makes the real one "missing", and the
    typo is the thing to fix.
    """
    return validation_problems(error, model)[0]


def validation_problems(error: ValidationError, model: type[BaseModel] = Scenario) -> list[str]:
    """Every problem of a pydantic error, one line each (`field.path: ...`), unknown keys first."""
    problems = error.errors(include_url=False)
    ordered = sorted(problems, key=lambda p: p["type"] != "extra_forbidden")
    return [_explain_problem(problem, model) for problem in ordered]


def _explain_problem(first: Any, model: type[BaseModel]) -> str:
    loc = tuple(first["loc"])
    path = _loc_to_path(loc)
    kind = first["type"]
    given = first.get("input")
    ctx = first.get("ctx") or {}
    bounds = {"greater_than": ">", "greater_than_equal": ">=", "less_than": "<", "less_than_equal": "<="}
    if kind in bounds:
        limit = next(iter(ctx.values()))
        message = f"must be {bounds[kind]} {_show(limit)}, got {_show(given)}"
    elif kind == "finite_number":
        message = f"must be a finite number, got {_show(given)}"
    elif kind == "missing":
        message = "required but missing"
    elif kind == "extra_forbidden":
        import difflib

        key = str(loc[-1])
        known = _allowed_keys(model, loc)
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        message = f"unknown key {key!r}{hint}; allowed keys here: {', '.join(known)}"
    elif kind in ("literal_error", "enum"):
        allowed = _allowed_literal(model, loc) or str(ctx.get("expected", ""))
        message = f"must be one of {allowed}, got {_show(given)}"
    elif kind in ("int_parsing", "int_type", "float_parsing", "float_type", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        message = f"must be {what}, got {_show(given)}"
    elif kind in ("bool_parsing", "bool_type"):
        message = f"must be true or false, got {_show(given)}"
    elif kind == "list_type":
        message = f"must be a list, got {_show(given)}"
    elif kind in ("model_type", "dict_type", "model_attributes_type"):
        message = f"must be a mapping of keys, got {_show(given)}"
    elif kind in ("string_too_short", "too_short"):
        least = int(ctx.get("min_length", 1))
        unit = "characters" if kind == "string_too_short" else "items"
        message = "must not be empty" if least <= 1 else f"must have at least {least} {unit}, got {_show(given)}"
    elif kind in ("string_too_long", "too_long"):
        message = f"too long (at most {ctx.get('max_length')})"
    elif kind == "value_error":
        message = str(ctx.get("error", first["msg"]))
        # A model-level check names the field it is about ("context_tokens: ..."): append it to the path.
        import re

        if re.match(r"^[a-z_][a-z0-9_]*(\[\d+\])?(\.[a-z_][a-z0-9_]*)*: ", message):
            return f"{path}.{message}" if path else message
    else:
        text = first["msg"].rstrip(".")  # lower the first letter only: the rest may be a pattern like ^[A-Z]{3}$
        message = f"{text[:1].lower()}{text[1:]}, got {_show(given)}"
    return f"{path}: {message}" if path else message


def scenario_from_data(data: Any, origin: str = "scenario", catalog: Any = None) -> Scenario:
    """Validate plain data (from YAML, JSON, a form or a share link) into a Scenario."""
    if data is None:
        raise ScenarioError(f"{origin}: empty; a scenario needs at least version, name and workloads")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{origin}: must be a mapping of keys (version, name, workloads...), got {type(data).__name__}"
        )
    context = {"catalog": catalog} if catalog is not None else None
    try:
        return Scenario.model_validate(data, context=context)
    except ValidationError as e:
        raise ScenarioError(f"{origin}: {explain_validation_error(e)}") from None


def parse_scenario(text: str, origin: str = "scenario", catalog: Any = None) -> Scenario:
    """Parse scenario YAML or JSON text."""
    return scenario_from_data(parse_yaml(text, origin), origin, catalog)


def load_scenario(path: str | Path, catalog: Any = None) -> Scenario:
    """Read a scenario file (.yaml, .yml or .json)."""
    target = Path(path)
    return parse_scenario(read_text(target), str(target), catalog)
