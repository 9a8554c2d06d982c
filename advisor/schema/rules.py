"""The rule engine's data: rules loaded from YAML, their conditions checked and compiled, their texts rendered.

A rule is data (catalog/rules.yaml): an id, a `when` condition, an effect and a plain-language text with its
source. Conditions are Python expressions restricted to comparisons, boolean logic, arithmetic and a few
functions over the fields listed in CONTEXT_FIELDS, so a user's own rules file gets the same checks at load
time as the shipped one: an unknown field or a disallowed construct is an error naming the rule.

    hard  evaluated per option; when true the option is excluded and `excluded_by` names the rule
    soft  evaluated per workload; when true each option gains `favours[kind] + favours[deployment]` points

A rules file may come from anyone, so a condition is also bounded at load time: its length, size and nesting,
its constants, no `*` that repeats a list or text, and a text's format widths. When it is evaluated, a missing
figure (None) makes it false; any other failure (division by zero, min() of an empty list, a list repeated with
`*`) is a CatalogError naming the rule, never an internal error.
"""

from __future__ import annotations

import ast
import functools
import math
import re
import string
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from advisor.errors import CatalogError
from advisor.schema.base import Record
from advisor.schema.vocabulary import DEPLOYMENT_KINDS

FAVOUR_TARGETS = ("slm", "llm", "hybrid", *DEPLOYMENT_KINDS, "tunable_slm")
"""A soft rule's points go to options of a kind or a deployment; `tunable_slm` to small-model options the team can
fine-tune (self-hosted weights, or an API whose provider tunes that model)."""

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
            "query_variety",
            "phase",
            "update_frequency",
            "modality",
        }
    ),
    "task": frozenset({"id", "name", "capability", "capability_rank", "nature"}),
    "constraints": frozenset(
        {"privacy", "allowed_providers", "unknown_providers", "deployment", "on_premises_only", "optimize_for"}
    ),
    "hardware": frozenset(
        {"profile", "name", "kind", "count", "ownership", "already_owned", "memory_gb", "priced", "ops_usd_per_month"}
    ),
    "cost": frozenset(
        {
            "slm",
            "llm",
            "hybrid",
            "api",
            "own",
            "own_llm",
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
            "est_first_token_p95_ms",
            "est_total_ms",
            "est_tokens_per_s",
            "small_model",
            "small_share",
            "instruction_tuned",
            "quality_score",
            "languages",
            "vision",
            "fine_tunable",
        }
    ),
}
"""The names a condition or text may use, and their fields. `option` exists for hard rules only."""

SOFT_ROOTS = frozenset(CONTEXT_FIELDS) - {"option"}

# Limits on what a rules file may ask of the machine. The shipped rules use under a fifth of the size limits and a
# third of the depth (186 characters, 43 nodes, 9 levels).
MAX_CONDITION_CHARS = 2000
"""Characters in one `when`; longer conditions belong in several rules."""
MAX_CONDITION_NODES = 300
"""Syntax-tree nodes (names, fields, constants, operators) in one condition."""
MAX_CONDITION_DEPTH = 30
"""Levels of nesting in one condition's syntax tree (`not not ... x`, nested brackets)."""
MAX_NUMBER_DIGITS = 15
"""Digits in a number constant: enough for any volume, price or token count."""
MAX_STRING_CHARS = 200
"""Characters in a text constant."""
MAX_FORMAT_DIGITS = 3
"""Digits of a width or precision in a text placeholder's format spec (`{workload.name:>20}`): at most 999."""
MAX_ROUND_DIGITS = 100
"""round(x, n) with |n| beyond this is refused: round(5, -10**9) computes 10**(10**9)."""


class _Refused(ValueError):
    """An evaluation the guards stop (a list repeated with `*`, a huge round()); reported as naming the rule."""


def _multiply(left: Any, right: Any) -> Any:
    """`*` in a condition: numbers only, so `workload.languages * 10**9` cannot fill the memory."""
    for side in (left, right):
        if side is not None and not isinstance(side, (int, float)):  # None: left to fail as a missing figure
            raise _Refused(f"'*' multiplies numbers only, got {type(side).__name__}")
    return left * right


def _round(number: Any, ndigits: Any = None) -> Any:
    """round() with a bounded number of digits."""
    if isinstance(ndigits, int) and abs(ndigits) > MAX_ROUND_DIGITS:
        raise _Refused(f"round() takes ndigits between -{MAX_ROUND_DIGITS} and {MAX_ROUND_DIGITS}, got {ndigits}")
    return round(number, ndigits)


def _missing(needed: list[str], offered: Any) -> list[str]:
    """The codes of `needed` that `offered` lacks; an offer of ["*"] (a model claiming broad coverage) lacks none."""
    if offered is None:
        return []
    if "*" in offered:
        return []
    return [code for code in needed if code not in offered]


FUNCTIONS: dict[str, Any] = {
    "len": len,
    "min": min,
    "max": max,
    "abs": abs,
    "round": _round,
    "finite": math.isfinite,  # finite(cost.llm): some large-model option survived the hard rules
    "missing": _missing,  # missing(workload.languages, option.languages): languages the model's card does not name
}
_MULTIPLY = "__multiply"
"""The name `*` is compiled to (see _GuardMultiplication); no condition can name it: the checks refuse it."""
_EVAL_GLOBALS: dict[str, Any] = {"__builtins__": {}, **FUNCTIONS, _MULTIPLY: _multiply}
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
    """Raise ValueError unless the tree is within the limits, every node is allowed and every name.field is a
    known context field."""
    _check_size(tree)
    for node in ast.walk(tree):
        if not isinstance(node, _ALLOWED_NODES):
            raise ValueError(f"'{type(node).__name__}' is not allowed in a condition")
        if isinstance(node, ast.Constant):
            _check_constant(node.value)
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
            if _is_sequence_display(node.left) or _is_sequence_display(node.right):
                raise ValueError("'*' may not repeat a list or a text; multiply numbers only")
        elif isinstance(node, ast.Call):
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


def _check_size(tree: ast.AST) -> None:
    """Raise ValueError when the tree has more than MAX_CONDITION_NODES nodes or nests deeper than
    MAX_CONDITION_DEPTH (walked without recursion: the tree may be anything the parser accepts)."""
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > MAX_CONDITION_NODES:
            raise ValueError(
                f"the condition is too large (more than {MAX_CONDITION_NODES} syntax-tree nodes); "
                "split it into several rules"
            )
        if depth > MAX_CONDITION_DEPTH:
            raise ValueError(f"the condition nests too deeply (more than {MAX_CONDITION_DEPTH} levels)")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


def _check_constant(value: object) -> None:
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, (int, float)):
        if not abs(value) < 10**MAX_NUMBER_DIGITS:  # also refuses inf and nan (1e999)
            shown = repr(value) if len(repr(value)) <= 20 else f"{repr(value)[:20]}..."
            raise ValueError(f"number {shown} is too large (at most {MAX_NUMBER_DIGITS} digits)")
    elif isinstance(value, str):
        if len(value) > MAX_STRING_CHARS:
            raise ValueError(f"a text constant has {len(value)} characters; at most {MAX_STRING_CHARS}")
    else:
        raise ValueError(f"{type(value).__name__} constants are not allowed; use numbers, 'text', True, False, None")


def _is_sequence_display(node: ast.AST) -> bool:
    return isinstance(node, (ast.List, ast.Tuple)) or (isinstance(node, ast.Constant) and isinstance(node.value, str))


class _GuardMultiplication(ast.NodeTransformer):
    """Compile `a * b` as `__multiply(a, b)`, which refuses to repeat a list or text taken from the context."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        self.generic_visit(node)
        if not isinstance(node.op, ast.Mult):
            return node
        call = ast.Call(func=ast.Name(id=_MULTIPLY, ctx=ast.Load()), args=[node.left, node.right], keywords=[])
        return ast.copy_location(call, node)


def _is_attribute_base(tree: ast.AST, name: ast.Name) -> bool:
    return any(isinstance(n, ast.Attribute) and n.value is name for n in ast.walk(tree))


def _check_field(root: str, attr: str, roots: frozenset[str]) -> None:
    if root not in roots:
        raise ValueError(f"unknown name {root!r}; allowed: {', '.join(sorted(roots))}")
    if attr not in CONTEXT_FIELDS[root]:
        raise ValueError(f"unknown field {root}.{attr}; {root} has: {', '.join(sorted(CONTEXT_FIELDS[root]))}")


# Python's format-spec mini-language: [[fill]align][sign][z][#][0][width][grouping][.precision[grouping]][type]
_FORMAT_SPEC = re.compile(
    r"(?:.?[<>=^])?[-+ ]?z?#?0?(?P<width>\d*)[,_]?(?:\.(?P<precision>\d+)[,_]?)?[bcdeEfFgGnosxX%]?", re.DOTALL
)


def _text_fields(text: str) -> list[tuple[str, str]]:
    """The (root, field) pairs a text template names, e.g. '{workload.requests_per_day:,.0f}'; each format spec
    must be one Python understands, with a width and precision of at most MAX_FORMAT_DIGITS digits."""
    pairs = []
    for _, name, spec, _ in string.Formatter().parse(text):
        if name is None:
            continue
        root, _, attr = name.partition(".")
        if not attr or "." in attr or "[" in attr:
            raise ValueError(f"placeholder {{{name}}} must be name.field, like {{workload.requests_per_day}}")
        if spec:
            _check_format_spec(name, spec)
        pairs.append((root, attr))
    return pairs


def _check_format_spec(name: str, spec: str) -> None:
    match = _FORMAT_SPEC.fullmatch(spec)
    shown = spec if len(spec) <= 20 else f"{spec[:20]}..."
    if match is None:
        raise ValueError(f"placeholder {{{name}:{shown}}}: not a format spec; use one like ',.0f', '.1f' or '>10'")
    for part in ("width", "precision"):
        if len((match[part] or "").lstrip("0")) > MAX_FORMAT_DIGITS:
            raise ValueError(
                f"placeholder {{{name}:{shown}}}: the {part} is too large (at most {MAX_FORMAT_DIGITS} digits)"
            )


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
        if len(self.when) > MAX_CONDITION_CHARS:
            raise ValueError(
                f"when: the condition has {len(self.when):,} characters; at most {MAX_CONDITION_CHARS:,} "
                "(split it into several rules)"
            )
        try:
            tree = ast.parse(self.when.strip(), mode="eval")
        except SyntaxError as e:
            raise ValueError(f"when: not a valid expression ({e.msg})") from None
        except ValueError as e:  # a null byte
            raise ValueError(f"when: not a valid expression ({e})") from None
        except (RecursionError, MemoryError):
            raise ValueError("when: the condition is too complex to read") from None
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
        tree = _GuardMultiplication().visit(ast.parse(self.when.strip(), mode="eval"))
        return compile(ast.fix_missing_locations(tree), f"<rule {self.id}>", "eval")

    def holds(self, context: dict[str, Any]) -> bool:
        """Evaluate the condition; a missing figure (None) in arithmetic or ordering makes it false.

        Any other failure (division by zero, min() of an empty list, a text compared with a number, a list
        repeated with `*`) raises CatalogError naming the rule: the rules file needs fixing.
        """
        try:
            return bool(eval(self.condition, dict(_EVAL_GLOBALS), context))
        except TypeError as e:
            if "NoneType" in str(e):  # None < 5, None * 2, len(None): a figure this scenario does not have
                return False
            raise self._cannot_evaluate(e) from None
        except (ArithmeticError, ValueError, RecursionError, MemoryError) as e:
            raise self._cannot_evaluate(e) from None

    def _cannot_evaluate(self, error: BaseException) -> CatalogError:
        problem = " ".join(str(error).split()) or type(error).__name__
        return CatalogError(f"rule {self.id}: cannot evaluate ({problem}); fix the rules file")

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
    except (ValueError, TypeError, OverflowError):
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
