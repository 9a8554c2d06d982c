"""The rule engine's data: rules loaded from YAML, their conditions checked and compiled, their texts rendered.

A rule is data (catalog/rules.yaml): an id, a `when` condition, an effect and a plain-language text with its
source. Conditions are Python expressions restricted to comparisons, boolean logic, arithmetic and a few
functions over the fields listed in CONTEXT_FIELDS, so a user's own rules file gets the same checks at load
time as the shipped one: an unknown field or a disallowed construct is an error naming the rule.

    hard  evaluated per option; when true the option is excluded and `excluded_by` names the rule
    soft  evaluated per workload; when true each option gains `favours[kind] + favours[deployment]` points
"""

from __future__ import annotations

import ast
import functools
import math
import string
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from advisor.schema.base import Record
from advisor.schema.vocabulary import DEPLOYMENT_KINDS

FAVOUR_TARGETS = ("slm", "llm", "hybrid", *DEPLOYMENT_KINDS)

CONTEXT_FIELDS: dict[str, frozenset[str]] = {
    "workload": frozenset(
        {
            "name",
            "task",
            "requests_per_day",
            "input_tokens",
            "output_tokens",
            "tokens_per_day",
            "cached_input_share",
            "peak_factor",
            "latency_p95_first_token_ms",
            "latency_p95_total_ms",
            "context_tokens",
            "languages",
            "language_count",
            "uncovered_languages",
            "quality",
            "quality_rank",
            "domain_data",
        }
    ),
    "task": frozenset({"id", "name", "capability", "capability_rank", "nature"}),
    "constraints": frozenset({"privacy", "allowed_providers", "unknown_providers", "deployment"}),
    "hardware": frozenset({"profile", "name", "kind", "count", "ownership", "memory_gb", "priced"}),
    "cost": frozenset(
        {
            "slm",
            "llm",
            "hybrid",
            "api",
            "own",
            "cheapest_kind",
            "cheapest_model",
            "break_even_requests_per_day",
        }
    ),
    "option": frozenset(
        {
            "kind",
            "deployment",
            "label",
            "model",
            "provider",
            "hardware",
            "quant",
            "capability",
            "capability_rank",
            "context_tokens",
            "fits",
            "memory_gb",
            "available_gb",
            "est_first_token_ms",
            "est_total_ms",
            "est_tokens_per_s",
            "small_model",
            "small_share",
        }
    ),
}
"""The names a condition or text may use, and their fields. `option` exists for hard rules only."""

SOFT_ROOTS = frozenset(CONTEXT_FIELDS) - {"option"}
FUNCTIONS: dict[str, Any] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": round,
    "finite": math.isfinite,  # finite(cost.llm): some large-model option survived the hard rules
}
_ALLOWED_NODES = (
    ast.Expression,
    ast.BoolOp,
    ast.And,
    ast.Or,
    ast.UnaryOp,
    ast.Not,
    ast.USub,
    ast.BinOp,
    ast.Add,
    ast.Sub,
    ast.Mult,
    ast.Div,
    ast.Compare,
    ast.Eq,
    ast.NotEq,
    ast.Lt,
    ast.LtE,
    ast.Gt,
    ast.GtE,
    ast.In,
    ast.NotIn,
    ast.Is,
    ast.IsNot,
    ast.IfExp,
    ast.Call,
    ast.Name,
    ast.Load,
    ast.Attribute,
    ast.Constant,
    ast.List,
    ast.Tuple,
)


def _check_expression(tree: ast.AST, roots: frozenset[str]) -> None:
    """Raise ValueError unless every node is allowed and every name.field is a known context field."""
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"'{type(node).__name__}' is not allowed in a condition")
        if isinstance(node, ast.Call):
            if not isinstance(node.func, ast.Name) or node.func.id not in FUNCTIONS or node.keywords:
                raise ValueError(f"only these functions may be called: {', '.join(FUNCTIONS)}")
        elif isinstance(node, ast.Attribute):
            if not isinstance(node.value, ast.Name):
                raise ValueError("use fields one level deep, like workload.requests_per_day")
            _check_field(node.value.id, node.attr, roots)
        elif isinstance(node, ast.Name) and node.id not in FUNCTIONS and node.id not in roots:
            raise ValueError(f"unknown name {node.id!r}; allowed: {', '.join(sorted(roots))}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in roots and not _is_attribute_base(tree, node):
            raise ValueError(f"use a field of {node.id!r}, like {node.id}.{sorted(CONTEXT_FIELDS[node.id])[0]}")


def _is_attribute_base(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Attribute) and n.value is name for n in ast.walk(tree))


def _check_field(root: str, attr: str, roots: frozenset[str]) -> None:
    if root not in roots:
        raise ValueError(f"unknown name {root!r}; allowed: {', '.join(sorted(roots))}")
    if attr not in CONTEXT_FIELDS[root]:
        raise ValueError(f"unknown field {root}.{attr}; {root} has: {', '.join(sorted(CONTEXT_FIELDS[root]))}")


def _text_fields(text: str) -> list[tuple[str, str]]:
    """The (root, field) pairs a text template names, e.g. '{workload.requests_per_day:,.0f}'."""
    pairs = []
    for _, name, _, _ in string.Formatter().parse(text):
        if name is None:
            continue
        root, _, attr = name.partition(".")
        if not attr or "." in attr or "[" in attr:
            raise ValueError(f"placeholder {{{name}}} must be name.field, like {{workload.requests_per_day}}")
        pairs.append((root, attr))
    return pairs


class Rule(Record):
    """One decision rule: when its condition holds it excludes an option (hard) or scores options (soft)."""

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$", description="Stable id, shown in reasons and excluded_by.")
    kind: Literal["hard", "soft"] = Field(description="hard: excludes options; soft: adds points to options.")
    when: str = Field(min_length=1, description="Condition over the context fields (a Python-like expression).")
    favours: dict[str, float] = Field(
        default_factory=dict,
        description="Soft rules: points added to options of these kinds (slm, llm, hybrid) and deployments "
        "(local, self_hosted, api, mixed). Empty: the rule only informs.",
    )
    text: str = Field(min_length=4, description="What the rule means for this scenario; {root.field} placeholders.")
    source: str = Field(min_length=4, description="The trade-off it encodes: article title and section, or paper.")

    @field_validator("favours")
    @classmethod
    def _known_targets(cls, value: dict[str, float]) -> dict[str, float]:
        for target in value:
            if target not in FAVOUR_TARGETS:
                raise ValueError(f"favours: unknown target {target!r}; allowed: {', '.join(FAVOUR_TARGETS)}")
        return value

    @model_validator(mode="after")
    def _checked(self) -> Rule:
        roots = frozenset(CONTEXT_FIELDS) if self.kind == "hard" else SOFT_ROOTS
        try:
            tree = ast.parse(self.when.strip(), mode="eval")
        except SyntaxError as e:
            raise ValueError(f"when: not a valid expression ({e.msg})") from None
        try:
            _check_expression(tree, roots)
        except ValueError as e:
            raise ValueError(f"when: {e}") from None
        try:
            for root, attr in _text_fields(self.text):
                _check_field(root, attr, roots)
        except ValueError as e:
            raise ValueError(f"text: {e}") from None
        if self.kind == "hard" and self.favours:
            raise ValueError("favours: hard rules exclude options; only soft rules favour")
        return self

    @functools.cached_property
    def condition(self) -> Any:
        return compile(ast.parse(self.when.strip(), mode="eval"), f"<rule {self.id}>", "eval")

    def holds(self, context: dict[str, Any]) -> bool:
        """Evaluate the condition; a missing figure (None) in arithmetic or ordering makes it false."""
        try:
            return bool(eval(self.condition, {"__builtins__": {}, **FUNCTIONS}, context))
        except TypeError:
            return False

    def render(self, context: dict[str, Any]) -> str:
        """The rule's text with its placeholders filled from the context."""
        out = []
        for literal, name, spec, _ in string.Formatter().parse(self.text):
            out.append(literal)
            if name is None:
                continue
            root, _, attr = name.partition(".")
            value = getattr(context[root], attr)
            out.append(_format_value(value, spec or ""))
        return "".join(out)


def _format_value(value: Any, spec: str) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float) and not math.isfinite(value):
        return "none"
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) if value else "none"
    try:
        return format(value, spec)
    except (ValueError, TypeError):
        return str(value)


class LanguageList(Record):
    codes: list[str] = Field(min_length=1, description="ISO 639-1 codes.")
    source: str = Field(min_length=4)


class RulesFile(Record):
    """A rules file: the rules in the order their reasons are listed."""

    well_covered_languages: LanguageList = Field(
        description="Languages small open models are trained and evaluated for; the rest are `uncovered_languages`."
    )
    rules: list[Rule] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique_ids(self) -> RulesFile:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"rule id {rule.id!r} appears twice")
            seen.add(rule.id)
        return self

    def by_kind(self, kind: str) -> list[Rule]:
        return [r for r in self.rules if r.kind == kind]
