"""Sample prompts per task kind, with expected answers and a simple scorer, to try a small and a large model.

The prompts live in catalog/prompts.yaml. `score()` judges one answer against a prompt's `expected` rule;
`agreement()` says whether two models gave the same scored answer. Both are plain string checks: they can tell a
wrong label, a missing fact or a wrong JSON field, never whether a text is well written.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, field_validator

from advisor.catalog_schema import ID_PATTERN, Strict
from advisor.errors import UnknownIdError

PROMPTS_FILE = "prompts.yaml"
Verdict = Literal["match", "mismatch", "not_scored"]
JsonValue = str | int | float | bool | None

# Characters a model wraps a one-word answer in ("**Negative.**") that say nothing about the answer.
_EDGE = " \t\r\n.,;:!?\"'`*_()[]"
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.DOTALL)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SHOWN_CHARS = 60


class ExactAnswer(Strict):
    """The whole answer is this text (case, surrounding whitespace, quotes and a final full stop ignored)."""

    match: Literal["exact"]
    answer: str = Field(min_length=1, description="The one right answer, e.g. a label: negative.")

    def describe(self) -> str:
        return f"exactly {self.answer!r}"


class ContainsAnswer(Strict):
    """Every listed piece of text appears in the answer (case-insensitive); a number must stand on its own."""

    match: Literal["contains"]
    all_of: list[str] = Field(
        min_length=1,
        description="Texts the answer must contain, e.g. the result of a word problem: '125'. A number matches "
        "only as a whole number ('42' is not found in '142'), with thousands separators ignored.",
    )

    def describe(self) -> str:
        return "contains " + ", ".join(repr(needle) for needle in self.all_of)


class JsonFieldAnswer(Strict):
    """The answer holds a JSON object (bare, in ```json fences or amid text) whose named fields have these values."""

    match: Literal["json_field"]
    fields: dict[str, JsonValue] = Field(
        min_length=1,
        description="Field -> expected value. Strings compare case-insensitively, numbers numerically ('42' "
        "equals 42); other fields of the object are ignored.",
    )

    def describe(self) -> str:
        return "JSON with " + ", ".join(f"{key}={value!r}" for key, value in self.fields.items())


Expected = Annotated[ExactAnswer | ContainsAnswer | JsonFieldAnswer, Field(discriminator="match")]


class SamplePrompt(Strict):
    """One prompt to send to both models."""

    id: str = Field(pattern=ID_PATTERN, description="Unique within its task's set, e.g. shoe-review-negative.")
    system: str | None = Field(default=None, description="System instruction sent before the prompt, if any.")
    text: str = Field(min_length=1, description="The user prompt, with the output format it wants spelled out.")
    expected: Expected | None = Field(
        default=None, description="How to score an answer; null where no single answer is right (creative text)."
    )


def _first_repeat(values: Iterable[str]) -> str | None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            return value
        seen.add(value)
    return None


class PromptSet(Strict):
    """The sample prompts for one task kind of tasks.yaml."""

    task: str = Field(pattern=ID_PATTERN, description="Task id from tasks.yaml, e.g. classification.")
    prompts: list[SamplePrompt] = Field(min_length=1)

    @field_validator("prompts")
    @classmethod
    def _unique_prompt_ids(cls, prompts: list[SamplePrompt]) -> list[SamplePrompt]:
        if (repeated := _first_repeat(p.id for p in prompts)) is not None:
            raise ValueError(f"prompt id {repeated!r} appears twice in this set; rename one")
        return prompts


class PromptFile(Strict):
    """catalog/prompts.yaml: one prompt set per task kind."""

    prompt_sets: list[PromptSet] = Field(min_length=1)

    @field_validator("prompt_sets")
    @classmethod
    def _one_set_per_task(cls, prompt_sets: list[PromptSet]) -> list[PromptSet]:
        if (repeated := _first_repeat(p.task for p in prompt_sets)) is not None:
            raise ValueError(f"task {repeated!r} has two prompt sets; merge them")
        return prompt_sets


class NoSamplePromptsError(UnknownIdError):
    """A task id without a prompt set; the message lists the task ids that have one."""

    def __init__(self, task_id: str, known: list[str]) -> None:
        import difflib

        self.kind, self.given = "task", task_id
        close = difflib.get_close_matches(task_id.lower(), known, n=1, cutoff=0.5)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        # Not UnknownIdError.__init__: its message points at `advisor catalog tasks`, which lists tasks without prompts.
        Exception.__init__(
            self, f"no sample prompts for task {task_id!r}{hint} (prompts exist for: {', '.join(known)})"
        )


@dataclass(frozen=True)
class Score:
    """How one answer fared against a prompt's expected answer."""

    verdict: Verdict
    detail: str
    """One line: what was expected and what was found."""


@dataclass(frozen=True)
class Agreement:
    """Whether two answers to the same prompt give the same scored answer (e.g. the small and the large model)."""

    verdict: Literal["agree", "disagree", "not_scored"]
    detail: str
    a: Score
    b: Score


@functools.cache
def _load_file(root: Path | None) -> PromptFile:
    from advisor.catalog import catalog_dir, read_catalog_file

    return read_catalog_file((root or catalog_dir()) / PROMPTS_FILE, PromptFile)


def load_prompt_sets(root: Path | None = None) -> dict[str, PromptSet]:
    """Task id -> its prompt set, from prompts.yaml under `root` (default: the shipped catalog). File read once."""
    return {prompt_set.task: prompt_set for prompt_set in _load_file(root).prompt_sets}


def prompts_for(task_id: str, root: Path | None = None) -> list[SamplePrompt]:
    """The sample prompts of one task kind; NoSamplePromptsError (an UnknownIdError) when it has none."""
    sets = load_prompt_sets(root)
    if task_id not in sets:
        raise NoSamplePromptsError(task_id, sorted(sets))
    return list(sets[task_id].prompts)


def score(answer: str, prompt: SamplePrompt) -> Score:
    """Judge `answer` by the prompt's expected rule; 'not_scored' when the prompt has none."""
    expected = prompt.expected
    if expected is None:
        return Score("not_scored", "no single right answer; judge it by reading")
    if isinstance(expected, ExactAnswer):
        found = _bare(answer)
        if found == _bare(expected.answer):
            return Score("match", f"answered {expected.answer!r}")
        return Score("mismatch", f"expected {expected.answer!r}, found {_shown(answer)}")
    if isinstance(expected, ContainsAnswer):
        missing = [needle for needle in expected.all_of if not _contains(answer, needle)]
        if not missing:
            return Score("match", expected.describe())
        return Score("mismatch", f"missing {', '.join(repr(m) for m in missing)} in {_shown(answer)}")
    return _score_json(answer, expected)


def agreement(answer_a: str, answer_b: str, prompt: SamplePrompt) -> Agreement:
    """Whether two answers give the same scored answer: the same label, the same JSON fields, both with the facts."""
    a, b = score(answer_a, prompt), score(answer_b, prompt)
    expected = prompt.expected
    if expected is None:
        return Agreement("not_scored", "no single right answer; compare the texts by reading", a, b)
    if isinstance(expected, JsonFieldAnswer):
        fields_a, fields_b = _json_fields(answer_a, expected), _json_fields(answer_b, expected)
        if fields_a is not None and fields_a == fields_b:
            return Agreement("agree", f"same {', '.join(expected.fields)}", a, b)
        return Agreement("disagree", f"A: {a.detail}; B: {b.detail}", a, b)
    same = _bare(answer_a) == _bare(answer_b) or (a.verdict == b.verdict == "match")
    if same:
        return Agreement("agree", f"both {a.verdict}: {a.detail}", a, b)
    return Agreement("disagree", f"A {a.verdict}: {a.detail}; B {b.verdict}: {b.detail}", a, b)


def _normalise(text: str) -> str:
    return " ".join(text.split()).casefold()


def _bare(text: str) -> str:
    return _normalise(text.strip(_EDGE))


def _shown(answer: str) -> str:
    one_line = " ".join(answer.split())
    if not one_line:
        return "an empty answer"
    if len(one_line) > _SHOWN_CHARS:
        one_line = one_line[: _SHOWN_CHARS - 1] + "…"
    return repr(one_line)


def _contains(answer: str, needle: str) -> bool:
    text = _THOUSANDS.sub("", _normalise(answer))
    wanted = _THOUSANDS.sub("", _normalise(needle))
    if _NUMBER.match(wanted):
        # A number on its own: not inside 142 or 0.42, but "42.00" and "42," are fine.
        return re.search(rf"(?<![\d.]){re.escape(wanted)}(?:\.0+)?(?![\d])", text) is not None
    return wanted in text


def _as_number(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        text = _THOUSANDS.sub("", value.strip())
        if _NUMBER.match(text):
            return float(text)
    return None


def _canonical(value: object) -> object:
    """A form two equal answers share: numbers as floats, strings folded, booleans as 'true'/'false'."""
    if isinstance(value, bool):
        return "true" if value else "false"
    number = _as_number(value)
    if number is not None:
        return number
    if isinstance(value, str):
        return _normalise(value)
    return value


def _json_objects(answer: str) -> list[dict[str, object]]:
    """JSON objects in the answer: those in ``` fences first, then any in the text around them."""
    decoder = json.JSONDecoder()
    objects: list[dict[str, object]] = []
    chunks = [*_FENCE.findall(answer), answer]
    for chunk in chunks:
        position = chunk.find("{")
        while position != -1:
            try:
                value, end = decoder.raw_decode(chunk, position)
            except json.JSONDecodeError:
                position = chunk.find("{", position + 1)
                continue
            if isinstance(value, dict):
                objects.append(value)
            position = chunk.find("{", end)
    return objects


def _pick_object(answer: str, expected: JsonFieldAnswer) -> dict[str, object] | None:
    objects = _json_objects(answer)
    for candidate in objects:
        if all(key in candidate for key in expected.fields):
            return candidate
    return objects[0] if objects else None


def _json_fields(answer: str, expected: JsonFieldAnswer) -> tuple[object, ...] | None:
    found = _pick_object(answer, expected)
    if found is None or not all(key in found for key in expected.fields):
        return None
    return tuple(_canonical(found[key]) for key in expected.fields)


def _score_json(answer: str, expected: JsonFieldAnswer) -> Score:
    found = _pick_object(answer, expected)
    if found is None:
        return Score("mismatch", f"no valid JSON object in {_shown(answer)}")
    problems: list[str] = []
    for key, value in expected.fields.items():
        if key not in found:
            problems.append(f"{key} missing")
        elif _canonical(found[key]) != _canonical(value):
            problems.append(f"{key}: expected {value!r}, found {found[key]!r}")
    if problems:
        return Score("mismatch", "; ".join(problems))
    return Score("match", expected.describe())
