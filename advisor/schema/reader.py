"""The one reader for every file the product reads (scenario, catalog, rules, routing, prompts, stored measurements):
safe YAML/JSON with a size limit and no alias bombs, validation against a strict model, and one-line errors that
name the file, the line or the field, and what is allowed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.errors import AdvisorError, ScenarioError

Model = TypeVar("Model", bound=BaseModel)

MAX_FILE_BYTES = 1_000_000
"""Scenario files are a few hundred bytes; anything over 1 MB is a mistake or an attack."""

MAX_DEPTH = 64
"""Scenario, catalog and rules files nest a handful of levels; 64 leaves room and stops a crafted file early."""

MAX_ALIASES = 100
"""Real scenarios use no YAML aliases at all; a bounded count stops the crudest 'billion laughs' files."""

MAX_ALIAS_EXPANSION = 10_000
"""Values aliases may add once expanded. The count above is not enough on its own: 9 levels of 9 aliases (72 in
all) expand to 9^9 values and hang whatever reads them; merge keys (`<<: *defaults`) in 100 workloads stay far under."""

_YAML12_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_YAML12_FLOAT = re.compile(r"^[-+]?[0-9][0-9_]*(?:\.[0-9_]*)?[eE][-+]?[0-9]+$")
"""Floats such as 1e15 or 2.5E-3: YAML 1.1 (PyYAML) reads them as strings, YAML 1.2 and JSON as numbers."""


def read_text(path: Path, what: str = "scenario file", error: type[AdvisorError] = ScenarioError) -> str:
    """Read a user file as UTF-8 text: regular files only (a FIFO would hang, /dev/zero never ends), at most the
    size limit, no NUL bytes."""
    shown = _excerpt(str(path), 200)
    try:
        if not path.exists():
            raise error(f"{shown}: no such {what}")
        if path.is_dir():
            raise error(f"{shown}: is a directory, expected a {what} (.yaml or .json)")
        if not path.is_file():
            raise error(f"{shown}: not a regular file (a device, pipe or socket); give a {what}")
        with path.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)  # never more, whatever the file claims its size is
    except OSError as e:
        raise error(f"{shown}: cannot read ({e.strerror or type(e).__name__})") from None
    if len(data) > MAX_FILE_BYTES:
        raise error(f"{shown}: over {MAX_FILE_BYTES:,} bytes; a {what} must be under {MAX_FILE_BYTES:,} bytes")
    try:
        text = data.decode("utf-8-sig")  # -sig: drop the byte-order mark Windows editors write
    except UnicodeDecodeError as e:
        raise error(f"{shown}: not UTF-8 text (byte {e.start})") from None
    if "\x00" in text:
        raise error(f"{shown}: holds a NUL byte at character {text.index(chr(0)):,}; a {what} is text")
    return text


def _excerpt(text: str, limit: int = 60) -> str:
    """At most `limit` characters of a value, for an error message (a 500 KB value is not echoed whole)."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_yaml(text: str, origin: str = "<text>", error: type[AdvisorError] = ScenarioError) -> Any:
    """Parse YAML (JSON is a subset) into plain Python data, with alias and size guards; a .json origin is JSON."""
    import yaml

    if len(text.encode("utf-8")) > MAX_FILE_BYTES:
        raise error(f"{origin}: over {MAX_FILE_BYTES:,} bytes")
    if "\x00" in text:
        raise error(f"{origin}: holds a NUL byte at character {text.index(chr(0)):,}; it must be text")
    if origin.lower().endswith(".json"):
        # PyYAML is YAML 1.1, which valid JSON is not always: tab indentation, 1e3, "\ud83d\ude00" escapes.
        return _parse_json(text, origin, error)

    class _GuardedLoader(yaml.SafeLoader):
        aliases_seen = 0
        depth = 0

        def compose_node(self, parent: Any, index: Any) -> Any:
            if self.check_event(yaml.AliasEvent):
                _GuardedLoader.aliases_seen += 1
                if _GuardedLoader.aliases_seen > MAX_ALIASES:
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise error(
                        f"{origin}: line {mark.line + 1}: more than {MAX_ALIASES} YAML aliases; "
                        "write the values out instead"
                    )
            _GuardedLoader.depth += 1
            try:
                if _GuardedLoader.depth > MAX_DEPTH:  # stop early: deep nesting is slow to parse, not just to build
                    mark = self.peek_event().start_mark  # type: ignore[no-untyped-call]
                    raise error(f"{origin}: line {mark.line + 1}: nested more than {MAX_DEPTH} levels deep")
                return super().compose_node(parent, index)
            finally:
                _GuardedLoader.depth -= 1

        def get_single_node(self) -> Any:
            node = super().get_single_node()
            if node is not None:
                _check_nodes(node, origin, error)
            return node

    _GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:float", _YAML12_FLOAT, list("-+0123456789"))
    # YAML 1.2 booleans: only true / false. YAML 1.1 also reads yes / no / on / off as booleans, which turns
    # Norwegian (`languages: [sv, da, no]`) into false.
    _GuardedLoader.yaml_implicit_resolvers = {
        first: [(tag, pattern) for tag, pattern in resolvers if tag != "tag:yaml.org,2002:bool"]
        for first, resolvers in _GuardedLoader.yaml_implicit_resolvers.items()
    }
    _GuardedLoader.add_implicit_resolver("tag:yaml.org,2002:bool", _YAML12_BOOL, list("tTfF"))

    try:
        return yaml.load(text, Loader=_GuardedLoader)
    except AdvisorError:
        raise  # the guards' own one-line refusals
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = _excerpt(" ".join((e.problem or e.context or "invalid YAML").split()), 200)
        raise error(f"{origin}: {where}YAML syntax error: {problem}") from None
    except yaml.YAMLError as e:
        raise error(f"{origin}: YAML error: {_excerpt(' '.join(str(e).split()), 200)}") from None
    except RecursionError:
        raise error(f"{origin}: nesting too deep") from None
    except ValueError as e:  # a number past Python's 4,300-digit limit, and the like
        raise error(f"{origin}: a value cannot be read ({_excerpt(str(e), 80)})") from None


def _check_nodes(root: Any, origin: str, error: type[AdvisorError]) -> None:
    """Refuse, before anything is built, duplicate keys (the last would silently win), aliases that refer to
    themselves, and aliases that expand past MAX_ALIAS_EXPANSION values."""
    import yaml

    sizes: dict[int, int] = {}  # id(node) -> values it stands for once aliases are expanded
    open_nodes: set[int] = set()

    def size(node: Any) -> int:
        key = id(node)
        if key in sizes:
            return sizes[key]
        if key in open_nodes:
            raise error(
                f"{origin}: line {node.start_mark.line + 1}: a YAML alias refers to itself; "
                "write the values out instead"
            )
        open_nodes.add(key)
        total = 1
        if isinstance(node, yaml.MappingNode):
            seen: set[tuple[str, str]] = set()
            for key_node, value_node in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if (key_node.tag, key_node.value) in seen:
                        raise error(
                            f"{origin}: line {key_node.start_mark.line + 1}: duplicate key {key_node.value!r}; "
                            "each key may appear once"
                        )
                    seen.add((key_node.tag, key_node.value))
                total += size(key_node) + size(value_node)
        elif isinstance(node, yaml.SequenceNode):
            total += sum(size(child) for child in node.value)
        open_nodes.discard(key)
        sizes[key] = total
        return total

    if size(root) - len(sizes) > MAX_ALIAS_EXPANSION:
        raise error(
            f"{origin}: YAML aliases expand to more than {MAX_ALIAS_EXPANSION:,} values; write the values out instead"
        )


def _parse_json(text: str, origin: str, error: type[AdvisorError]) -> Any:
    def no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for key, value in pairs:
            if key in data:
                raise error(f"{origin}: duplicate key {key!r}; each key may appear once")
            data[key] = value
        return data

    try:
        return json.loads(text, object_pairs_hook=no_duplicates)
    except json.JSONDecodeError as e:
        raise error(f"{origin}: line {e.lineno}, column {e.colno}: JSON syntax error: {e.msg}") from None
    except RecursionError:
        raise error(f"{origin}: nesting too deep") from None
    except AdvisorError:
        raise  # a duplicate key, named by the hook above
    except ValueError as e:  # a number past Python's 4,300-digit limit
        raise error(f"{origin}: a value cannot be read ({_excerpt(str(e), 80)})") from None


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
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"a {len(str(abs(value)))}-digit number" if value.bit_length() < 14_000 else "a number too long to show"
    return _excerpt(repr(value))


def _show_amount(value: Any) -> str:
    """A bound or the number against it, with thousands separators ('10,000,000') where _show gives digits."""
    shown = _show(value)
    return f"{int(shown):,}" if shown.lstrip("-").isdigit() else shown


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
        fields = getattr(current, "model_fields", None)
        if not fields or part not in fields:
            return []  # a key inside a free-form mapping (e.g. a dict of answer fields): no fixed keys
        annotation = fields[part].annotation
        inner = [a for a in (get_args(annotation) or (annotation,)) if isinstance(a, type)]
        current = next((a for a in inner if issubclass(a, BaseModel)), None)
    return list(getattr(current, "model_fields", {}))


def explain_validation_error(error: ValidationError, model: type[BaseModel]) -> str:
    """The first problem of a pydantic error as one line: `field.path: what is allowed, got what`.

    An unknown key is reported before anything else: a misspelt key also makes the real one "missing", and the
    typo is the thing to fix.
    """
    return validation_problems(error, model)[0]


def validation_problems(error: ValidationError, model: type[BaseModel]) -> list[str]:
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
        message = f"must be {bounds[kind]} {_show_amount(limit)}, got {_show_amount(given)}"
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
        allowed = f"; allowed keys here: {', '.join(known)}" if known else ""
        message = f"unknown key {key!r}{hint}{allowed}"
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
    elif kind == "string_pattern_mismatch" and ctx.get("pattern") == r"^[A-Z]{3}$":
        message = f"must be a three-letter currency code in capitals (ISO 4217, e.g. USD, EUR), got {_show(given)}"
    else:
        text = first["msg"].rstrip(".")  # lower the first letter only: the rest may be a pattern like ^[A-Z]{3}$
        message = f"{text[:1].lower()}{text[1:]}, got {_show(given)}"
    return f"{path}: {message}" if path else message


def validate_file_data(data: Any, model: type[Model], origin: str, error: type[AdvisorError]) -> Model:
    """`data` read from `origin` validated as `model`; `error` names the file and the first problem."""
    try:
        return model.model_validate(data)
    except ValidationError as e:
        raise error(f"{origin}: {explain_validation_error(e, model)}") from None


def read_model_file(path: Path, model: type[Model], error: type[AdvisorError], what: str = "catalog file") -> Model:
    """Read, parse and validate one file the product ships or a user gives; `error` carries every problem."""
    if not path.is_file():
        raise error(f"{path.name}: not found in {path.parent}; restore the file (or reinstall the package)")
    text = read_text(path, what, error)
    return validate_file_data(parse_yaml(text, path.name, error), model, path.name, error)
