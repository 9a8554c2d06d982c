"""Scoring sample answers: `score()` judges one answer against a prompt's expected rule; `agreement()` says whether
two models gave the same scored answer.

Both are plain string checks: they can tell a wrong label, a missing fact or a wrong JSON field, never whether a text
is well written.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Literal

from advisor.schema.prompts import ContainsAnswer, ExactAnswer, JsonFieldAnswer, SamplePrompt

Verdict = Literal["match", "mismatch", "not_scored"]

# Characters a model wraps a one-word answer in ("**Negative.**") that say nothing about the answer.
_EDGE = " \t\r\n.,;:!?\"'`*_()[]"
_FENCE = re.compile(r"```[a-zA-Z]*\s*\n?(.*?)```", re.DOTALL)
_THOUSANDS = re.compile(r"(?<=\d),(?=\d{3}(?!\d))")
_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")
_SHOWN_CHARS = 60


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


ECHO_WORDS = 6
"""A run of this many words copied from the prompt is an echo, not an answer (a base model repeats its input)."""


def without_echo(answer: str, prompt_text: str) -> str:
    """The answer with every run of ECHO_WORDS or more words copied from the prompt taken out."""
    words = answer.split()
    prompt_words = [w.lower() for w in prompt_text.split()]
    size = min(ECHO_WORDS, len(prompt_words))  # a short prompt echoed whole counts too
    if size < 3:
        return answer
    runs = {tuple(prompt_words[i : i + size]) for i in range(len(prompt_words) - size + 1)}
    copied = [False] * len(words)
    lowered = [w.lower() for w in words]
    for start in range(len(words) - size + 1):
        if tuple(lowered[start : start + size]) in runs:
            copied[start : start + size] = [True] * size
    return " ".join(word for word, was_copied in zip(words, copied, strict=True) if not was_copied)


def score(answer: str, prompt: SamplePrompt) -> Score:
    """Judge `answer` by the prompt's expected rule; 'not_scored' when the prompt has none.

    What the answer copies from the prompt does not count: an answer that only repeats the prompt, or the part of it
    holding the expected words, does not match."""
    expected = prompt.expected
    if expected is None:
        return Score("not_scored", "no single right answer; judge it by reading")
    own = without_echo(answer, prompt.text)
    if answer.strip() and not own.strip():
        return Score("mismatch", f"the answer only repeats the prompt: {_shown(answer)}")
    answer = own
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
