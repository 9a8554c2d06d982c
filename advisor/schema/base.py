"""The one strict base every file the product reads is validated with: catalog, scenario, rules, routing, prompts,
stored measurements.

Unknown keys are an error, so a misspelt key never passes silently; numbers must be finite; and YAML's yes / no /
on / off (read as true / false) is refused where a number is wanted, rather than taken as 1 or 0.
"""

from __future__ import annotations

import re
import types
from typing import Any, Literal, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, model_validator

ID_PATTERN = r"^[a-z0-9][a-z0-9._-]*$"
"""Catalog ids are lowercase with hyphens, underscores or dots, stable once published."""


def _wants_number(annotation: Any) -> bool:
    """True when a field's type is a number (int, float, a Literal of numbers), possibly optional."""
    if annotation in (int, float):
        return True
    origin = get_origin(annotation)
    if origin is Literal:
        return all(isinstance(a, int | float) and not isinstance(a, bool) for a in get_args(annotation))
    if origin in (Union, types.UnionType):
        members = [a for a in get_args(annotation) if a is not type(None)]
        return bool(members) and all(_wants_number(a) for a in members)
    return False


class Strict(BaseModel):
    """Base for every model read from a file or a form: no unknown keys, no inf/NaN, no true/false as a number."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_assignment=True)

    @model_validator(mode="before")
    @classmethod
    def _no_true_false_numbers(cls, data: Any) -> Any:
        # YAML reads yes / no / on / off as true / false, and pydantic would quietly take true as 1
        # (`requests_per_day: yes`, `version: true`); a number field wants a number. (A model-level check, not a
        # field validator: pydantic allows no "before" validator on the field a tagged union is discriminated by.)
        if isinstance(data, dict):
            for name, value in data.items():
                field = cls.model_fields.get(name) if isinstance(name, str) else None
                if isinstance(value, bool) and field is not None and _wants_number(field.annotation):
                    raise ValueError(f"{name}: must be a number, got {str(value).lower()}")
        return data


class Record(Strict):
    """A catalog entry: strict, and immutable once loaded (one snapshot is shared by every caller)."""

    model_config = ConfigDict(frozen=True)


def slug(text: str) -> str:
    """Lowercase id form of a name: 'RTX 4090' -> 'rtx-4090'."""
    return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


_INVISIBLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")
"""Control characters (ANSI escapes start with one), zero-width and bidirectional-override characters: in a name
they rewrite a terminal, hide text, or make a report read differently from what it holds."""


def printable_text(value: str) -> str:
    """A name as shown on screens and reports: refuses control, zero-width and direction-override characters."""
    match = _INVISIBLE.search(value)
    if match:
        raise ValueError(f"must not contain control or invisible characters (found U+{ord(match.group()):04X})")
    return value
