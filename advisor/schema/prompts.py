"""Sample prompts per task kind (catalog/prompts.yaml), each with the answer it expects.

advisor.engine.scoring judges an answer against a prompt's `expected` rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import Field, field_validator

from advisor.schema.base import ID_PATTERN, Record

JsonValue = str | int | float | bool | None


class ExactAnswer(Record):
    """The whole answer is this text (case, surrounding whitespace, quotes and a final full stop ignored)."""

    match: Literal["exact"]
    answer: str = Field(min_length=1, description="The one right answer, e.g. a label: negative.")

    def describe(self) -> str:
        return f"exactly {self.answer!r}"


class ContainsAnswer(Record):
    """Every listed piece of text appears in the answer (case-insensitive); a number must stand on its own."""

    match: Literal["contains"]
    all_of: list[str] = Field(
        min_length=1,
        description="Texts the answer must contain, e.g. the result of a word problem: '125'. A number matches "
        "only as a whole number ('42' is not found in '142'), with thousands separators ignored.",
    )

    def describe(self) -> str:
        return "contains " + ", ".join(repr(needle) for needle in self.all_of)


class JsonFieldAnswer(Record):
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


class SamplePrompt(Record):
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


class PromptSet(Record):
    """The sample prompts for one task kind of tasks.yaml."""

    task: str = Field(pattern=ID_PATTERN, description="Task id from tasks.yaml, e.g. classification.")
    prompts: list[SamplePrompt] = Field(min_length=1)

    @field_validator("prompts")
    @classmethod
    def _unique_prompt_ids(cls, prompts: list[SamplePrompt]) -> list[SamplePrompt]:
        if (repeated := _first_repeat(p.id for p in prompts)) is not None:
            raise ValueError(f"prompt id {repeated!r} appears twice in this set; rename one")
        return prompts


class PromptFile(Record):
    """catalog/prompts.yaml: one prompt set per task kind."""

    prompt_sets: list[PromptSet] = Field(min_length=1)

    @field_validator("prompt_sets")
    @classmethod
    def _one_set_per_task(cls, prompt_sets: list[PromptSet]) -> list[PromptSet]:
        if (repeated := _first_repeat(p.task for p in prompt_sets)) is not None:
            raise ValueError(f"task {repeated!r} has two prompt sets; merge them")
        return prompt_sets
