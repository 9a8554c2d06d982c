"""Prompt sets for the Hybrid lab: a CSV or JSONL upload, or the sample set in the catalog; and their token profile.

A prompt set has one prompt per row (CSV) or line (JSONL) with these columns / keys:

- `prompt` (required): the text sent to the models;
- `expected` (optional): the right answer; scored as "the answer contains it" (case-insensitive, a number must
  stand on its own), or as the whole answer with `match` = `exact`. In JSONL it may also be a scoring rule object
  as in catalog/prompts.yaml ({"match": "json_field", "fields": {...}});
- `label` (optional): a task label a rule router can route on (e.g. classification, complex_reasoning);
- `match` (optional): `contains` (default) or `exact`;
- `id` (optional): a name for the prompt (default: its row number).

Anything wrong is one line naming the problem: the file is empty, binary, too large, has no `prompt` column or an
unknown one, a row without a prompt, more than MAX_PROMPTS prompts.
"""

from __future__ import annotations

import csv
import io
import json
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import Field, TypeAdapter, ValidationError

from advisor.errors import AdvisorError, CatalogError
from advisor.schema.base import Record
from advisor.schema.prompts import ContainsAnswer, ExactAnswer, Expected, SamplePrompt

MAX_UPLOAD_BYTES = 5_000_000
"""A prompt set larger than this is not one a lab run can get through (about 5,000 long prompts)."""
MAX_PROMPTS = 2_000
MAX_PROMPT_CHARS = 32_000
MIN_PROMPTS = 1
COLUMNS = ("prompt", "expected", "label", "match", "id")
SAMPLE_FILE = "hybrid_prompts.yaml"


class PromptSetError(AdvisorError, ValueError):
    """A prompt set that cannot be used; the message is one line naming the file and the problem."""


@dataclass(frozen=True)
class LabPrompt:
    """One prompt of a lab run."""

    id: str
    text: str
    expected: Any = None  # an Expected rule (ExactAnswer | ContainsAnswer | JsonFieldAnswer) or None
    label: str | None = None
    system: str | None = None

    @property
    def sample(self) -> SamplePrompt:
        """The prompt as advisor.engine.scoring scores it."""
        return SamplePrompt.model_construct(id="lab", system=self.system, text=self.text, expected=self.expected)

    def to_dict(self) -> dict[str, Any]:
        expected = self.expected.model_dump() if self.expected is not None else None
        return {"id": self.id, "prompt": self.text, "label": self.label, "expected": expected}


class _SampleRecord(Record):
    id: str = Field(min_length=1)
    label: str | None = None
    text: str = Field(min_length=1)
    system: str | None = None
    expected: Expected | None = None


class _SampleFile(Record):
    source: str = Field(min_length=4)
    prompts: list[_SampleRecord] = Field(min_length=30)


_EXPECTED: TypeAdapter[Any] = TypeAdapter(Expected)


def sample_prompts(catalog_root: Path | None = None) -> list[LabPrompt]:
    """The catalog's sample set (catalog/hybrid_prompts.yaml): written for this project, with labels and answers."""
    from advisor.data.catalog import catalog_dir
    from advisor.schema.reader import read_model_file

    path = (catalog_root or catalog_dir()) / SAMPLE_FILE
    data = read_model_file(path, _SampleFile, CatalogError)
    return [LabPrompt(p.id, p.text, p.expected, p.label, p.system) for p in data.prompts]


def sample_source(catalog_root: Path | None = None) -> str:
    from advisor.data.catalog import catalog_dir
    from advisor.schema.reader import read_model_file

    return read_model_file((catalog_root or catalog_dir()) / SAMPLE_FILE, _SampleFile, CatalogError).source


def load_prompts(source: str | Path | bytes, name: str | None = None) -> list[LabPrompt]:
    """Read a prompt set from a path or from uploaded bytes (`name`: the file's name, for the format and messages)."""
    if isinstance(source, bytes):
        raw, shown = source, name or "the upload"
        if len(raw) > MAX_UPLOAD_BYTES:
            raise PromptSetError(f"{shown}: too large ({len(raw):,} bytes); at most {MAX_UPLOAD_BYTES:,} are allowed")
    else:
        path = Path(source)
        shown = name or path.name
        try:
            size = path.stat().st_size
            if not path.is_file():
                raise PromptSetError(f"{shown}: not a file")
            if size > MAX_UPLOAD_BYTES:
                raise PromptSetError(f"{shown}: too large ({size:,} bytes); at most {MAX_UPLOAD_BYTES:,} are allowed")
            raw = path.read_bytes()
        except OSError as e:
            raise PromptSetError(f"{shown}: cannot read it ({e.strerror or e})") from e
    return parse_prompts(raw, shown)


def parse_prompts(raw: bytes, shown: str = "the upload") -> list[LabPrompt]:
    if len(raw) > MAX_UPLOAD_BYTES:
        raise PromptSetError(f"{shown}: too large ({len(raw):,} bytes); at most {MAX_UPLOAD_BYTES:,} are allowed")
    if not raw.strip():
        raise PromptSetError(f"{shown}: the file is empty; it needs a 'prompt' column and at least one prompt")
    if b"\x00" in raw[:65_536]:
        raise PromptSetError(f"{shown}: a binary file, not CSV or JSONL text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise PromptSetError(f"{shown}: not UTF-8 text (byte {e.start}); save it as UTF-8 CSV or JSONL") from e
    lowered = shown.lower()
    if lowered.endswith((".jsonl", ".ndjson", ".json")) or text.lstrip().startswith("{"):
        rows = _jsonl_rows(text, shown)
    else:
        rows = _csv_rows(text, shown)
    prompts = [_prompt(row, where, shown) for where, row in rows]
    if not prompts:
        raise PromptSetError(f"{shown}: no prompts; it needs at least one row under the 'prompt' column")
    if len(prompts) > MAX_PROMPTS:
        raise PromptSetError(f"{shown}: {len(prompts):,} prompts; at most {MAX_PROMPTS:,} per run")
    ids = [p.id for p in prompts]
    repeated = next((i for i in ids if ids.count(i) > 1), None)
    if repeated is not None:
        raise PromptSetError(f"{shown}: id {repeated!r} appears twice; ids must be unique")
    return prompts


def _check_columns(columns: Sequence[str], shown: str, where: str) -> None:
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise PromptSetError(
            f"{shown}: {where}unknown column {unknown[0]!r}; the columns are prompt (required), expected, label, "
            "match, id"
        )
    if "prompt" not in columns:
        found = ", ".join(repr(c) for c in columns) or "none"
        raise PromptSetError(f"{shown}: {where}no 'prompt' column (found {found})")


def _csv_rows(text: str, shown: str) -> list[tuple[str, dict[str, Any]]]:
    try:
        reader = csv.reader(io.StringIO(text, newline=""))
        header = next(reader, None)
        if header is None:
            raise PromptSetError(f"{shown}: the file is empty")
        columns = [c.strip().lower() for c in header]
        _check_columns(columns, shown, "")
        rows = []
        for number, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) > len(columns):
                raise PromptSetError(
                    f"{shown}: row {number} has {len(values)} fields but the header has {len(columns)} "
                    "(quote prompts that contain commas)"
                )
            rows.append((f"row {number}", dict(zip(columns, values, strict=False))))
            if len(rows) > MAX_PROMPTS:
                break
    except csv.Error as e:
        raise PromptSetError(f"{shown}: not valid CSV: {e}") from e
    return rows


def _jsonl_rows(text: str, shown: str) -> list[tuple[str, dict[str, Any]]]:
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as e:
            detail = e.msg if isinstance(e, json.JSONDecodeError) else "nested too deeply"
            raise PromptSetError(f"{shown}: line {number} is not JSON ({detail}); JSONL is one object per line") from e
        if not isinstance(value, dict):
            raise PromptSetError(f"{shown}: line {number} is not a JSON object with a 'prompt' key")
        _check_columns([str(k) for k in value], shown, f"line {number}: ")
        rows.append((f"line {number}", value))
        if len(rows) > MAX_PROMPTS:
            break
    return rows


def _prompt(row: dict[str, Any], where: str, shown: str) -> LabPrompt:
    text = row.get("prompt")
    if not isinstance(text, str) or not text.strip():
        raise PromptSetError(f"{shown}: {where} has no prompt")
    if len(text) > MAX_PROMPT_CHARS:
        raise PromptSetError(f"{shown}: {where}: the prompt is {len(text):,} characters; at most {MAX_PROMPT_CHARS:,}")
    match = str(row.get("match") or "contains").strip().lower()
    if match not in ("contains", "exact"):
        raise PromptSetError(f"{shown}: {where}: match must be 'contains' or 'exact', got {match!r}")
    raw_expected = row.get("expected")
    expected: Any = None
    if isinstance(raw_expected, dict):
        try:
            expected = _EXPECTED.validate_python(raw_expected)
        except ValidationError as e:
            first = e.errors()[0]
            raise PromptSetError(f"{shown}: {where}: expected: {first['msg']}") from None
    elif raw_expected is not None and str(raw_expected).strip():
        answer = str(raw_expected).strip()
        expected = (
            ExactAnswer(match="exact", answer=answer)
            if match == "exact"
            else ContainsAnswer(match="contains", all_of=[answer])
        )
    label = row.get("label")
    label = str(label).strip() or None if label is not None else None
    ident = str(row.get("id") or "").strip() or where.replace(" ", "-")
    return LabPrompt(ident[:80], text, expected, label)


# --- token profile ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TokenProfile:
    """Prompt tokens per request over a prompt set, counted with one tokenizer."""

    tokenizer: str
    count: int
    mean: float
    p50: float
    p95: float
    max: int

    def to_dict(self) -> dict[str, Any]:
        return {
            "tokenizer": self.tokenizer,
            "prompts": self.count,
            "mean": round(self.mean, 1),
            "p50": round(self.p50, 1),
            "p95": round(self.p95, 1),
            "max": self.max,
        }


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100), linear between closest ranks (numpy's default)."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def token_profile(counts: Sequence[int], tokenizer: str) -> TokenProfile:
    if not counts:
        return TokenProfile(tokenizer, 0, 0.0, 0.0, 0.0, 0)
    return TokenProfile(
        tokenizer, len(counts), statistics.fmean(counts), percentile(counts, 50), percentile(counts, 95), max(counts)
    )


def counter_for(runner: object) -> tuple[Callable[[str], int], str]:
    """A token counter for a runner's model: a local model's own tokenizer, else an offline OpenAI encoding."""
    count = getattr(runner, "count_tokens", None)
    if callable(count):
        model = getattr(runner, "model", "local model")
        return count, f"{model}'s own tokenizer"
    from advisor.runners.tokens import _encoding, encoding_name

    model = str(getattr(runner, "model", ""))
    name, own = encoding_name(model)
    encoding = _encoding(name)
    return (lambda text: len(encoding.encode_ordinary(text))), (
        f"{name} ({'the model' if own else 'an approximation: not the model'}'s own tokenizer)"
    )
