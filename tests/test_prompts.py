"""Sample prompts: the shipped sets validate and cover the task kinds, and each match rule scores as documented."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml

from advisor.data.catalog import load_catalog
from advisor.engine.scoring import agreement, score
from advisor.errors import CatalogError, UnknownIdError
from advisor.schema.json_schemas import json_schemas
from advisor.schema.prompts import (
    ContainsAnswer,
    ExactAnswer,
    JsonFieldAnswer,
    PromptFile,
    SamplePrompt,
)
from advisor.schema.reader import read_model_file

CATALOG = load_catalog()
prompts_for = CATALOG.prompts_for


def load_prompt_sets(root: Path | None = None) -> dict[str, object]:
    """The prompt sets of the shipped catalog, or of the prompts.yaml file in `root`."""
    if root is None:
        return dict(CATALOG.prompt_sets)
    return {s.task: s for s in read_model_file(root / "prompts.yaml", PromptFile, CatalogError).prompt_sets}


REPO = Path(__file__).resolve().parent.parent
TASKS_WITH_PROMPTS = [
    "classification", "extraction", "summarization", "customer_support", "complex_reasoning", "creative_writing",
]  # fmt: skip
ALWAYS_SCORED = {"classification", "extraction", "customer_support", "complex_reasoning"}


def _prompt(expected: ExactAnswer | ContainsAnswer | JsonFieldAnswer | None) -> SamplePrompt:
    return SamplePrompt(id="case", text="a question", expected=expected)


EXACT = _prompt(ExactAnswer(match="exact", answer="negative"))
CONTAINS = _prompt(ContainsAnswer(match="contains", all_of=["42", "Refund"]))
NUMBER = _prompt(ContainsAnswer(match="contains", all_of=["1440"]))
JSON = _prompt(JsonFieldAnswer(match="json_field", fields={"order_id": "A-1042", "size": 42, "express": True}))
FREE_TEXT = _prompt(None)


# --- the shipped prompt sets ------------------------------------------------------------------------------------


@pytest.mark.parametrize("task_id", TASKS_WITH_PROMPTS)
def test_each_task_kind_has_at_least_five_prompts(task_id: str) -> None:
    prompts = prompts_for(task_id)
    assert len(prompts) >= 5
    assert len({p.id for p in prompts}) == len(prompts)
    if task_id in ALWAYS_SCORED:
        assert all(p.expected is not None for p in prompts), task_id


def test_every_prompt_set_names_a_task_in_tasks_yaml(catalog) -> None:  # type: ignore[no-untyped-def]
    assert set(load_prompt_sets()) <= set(catalog.tasks)


def test_prompts_are_short_enough_for_a_tiny_model() -> None:
    for prompt_set in load_prompt_sets().values():
        for prompt in prompt_set.prompts:
            words = len(((prompt.system or "") + " " + prompt.text).split())
            assert words <= 120, f"{prompt_set.task}/{prompt.id}: {words} words"


def _plausible_answer(prompt: SamplePrompt) -> str:
    """How a model that got it right might phrase the answer."""
    expected = prompt.expected
    if isinstance(expected, ExactAnswer):
        return f" {expected.answer.upper()}.\n"
    if isinstance(expected, ContainsAnswer):
        return "Here is my answer: " + " and ".join(expected.all_of) + "."
    assert isinstance(expected, JsonFieldAnswer)
    return f"Sure! Here is the JSON:\n```json\n{json.dumps(expected.fields, indent=2)}\n```\nAnything else?"


SCORED = [pytest.param(p, id=f"{s.task}/{p.id}") for s in load_prompt_sets().values() for p in s.prompts if p.expected]


@pytest.mark.parametrize("prompt", SCORED)
def test_every_expected_answer_scores_as_a_match(prompt: SamplePrompt) -> None:
    result = score(_plausible_answer(prompt), prompt)
    assert result.verdict == "match", result.detail


def test_unscored_prompts_say_so() -> None:
    haiku = next(p for p in prompts_for("creative_writing") if p.expected is None)
    assert score("Yellow boots in rain", haiku).verdict == "not_scored"


def test_unknown_task_lists_the_task_ids_with_prompts() -> None:
    with pytest.raises(UnknownIdError, match=r"'clasification'; did you mean 'classification'\?.*creative_writing"):
        prompts_for("clasification")
    with pytest.raises(UnknownIdError, match=r"no sample prompts for task 'routing'"):
        prompts_for("routing")


def test_prompt_schema_is_generated() -> None:
    text = (REPO / "catalog" / "schema" / "prompts.schema.json").read_text()
    assert text == json_schemas()["prompts.schema.json"]
    assert (
        (REPO / "catalog" / "prompts.yaml")
        .read_text()
        .startswith("# yaml-language-server: $schema=schema/prompts.schema.json\n")
    )


# --- the match rules --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prompt", "answer", "verdict", "detail"),
    [
        # exact: case, whitespace, quotes and a full stop do not count; more words do.
        (EXACT, "negative", "match", "answered 'negative'"),
        (EXACT, "  Negative.\n", "match", "answered 'negative'"),
        (EXACT, '"NEGATIVE"', "match", "answered 'negative'"),
        (EXACT, "**negative**", "match", "answered 'negative'"),
        (EXACT, "positive", "mismatch", "expected 'negative', found 'positive'"),
        (EXACT, "The sentiment is negative.", "mismatch", "expected 'negative', found 'The sentiment is negative.'"),
        (EXACT, "", "mismatch", "expected 'negative', found an empty answer"),
        # contains: every piece, case-insensitive; numbers whole, thousands separators ignored.
        (CONTAINS, "We will REFUND 42 euros.", "match", "contains '42', 'Refund'"),
        (CONTAINS, "We will refund 142 euros.", "mismatch", "missing '42' in 'We will refund 142 euros.'"),
        (CONTAINS, "You get 42 euros back.", "mismatch", "missing 'Refund' in 'You get 42 euros back.'"),
        (CONTAINS, "nothing", "mismatch", "missing '42', 'Refund' in 'nothing'"),
        (CONTAINS, "Refund: 42.00 EUR", "match", "contains '42', 'Refund'"),
        (CONTAINS, "refund of 0.42", "mismatch", "missing '42' in 'refund of 0.42'"),
        (NUMBER, "The insurer pays 1,440 EUR.", "match", "contains '1440'"),
        (NUMBER, "1440", "match", "contains '1440'"),
        (NUMBER, "14400", "mismatch", "missing '1440' in '14400'"),
        # json_field: bare, fenced or amid text; strings case-insensitive, numbers numerically.
        (JSON, '{"order_id": "A-1042", "size": 42, "express": true}', "match", None),
        (JSON, '```json\n{"order_id": "a-1042", "size": "42", "express": true}\n```', "match", None),
        (JSON, 'Here you go: {"size": 42.0, "order_id": " A-1042 ", "express": "true", "x": 1} Bye.', "match", None),
        (JSON, 'Wrong: {"a": 1}\n```json\n{"order_id": "A-1042", "size": 42, "express": true}\n```', "match", None),
        (JSON, '{"order_id": "A-1042", "size": 43, "express": true}', "mismatch", "size: expected 42, found 43"),
        (JSON, '{"order_id": "A-1042", "express": false}', "mismatch", "size missing; express: expected True"),
        (JSON, "{'order_id': 'A-1042', 'size': 42}", "mismatch", "no valid JSON object in"),
        (JSON, '```json\n{"order_id": "A-1042", "size": 42,}\n```', "mismatch", "no valid JSON object in"),
        (JSON, "order A-1042, size 42", "mismatch", "no valid JSON object in 'order A-1042, size 42'"),
        (JSON, "[1, 2]", "mismatch", "no valid JSON object"),
        # no expected answer
        (FREE_TEXT, "anything", "not_scored", "no single right answer"),
    ],
)
def test_match_rules(prompt: SamplePrompt, answer: str, verdict: str, detail: str | None) -> None:
    result = score(answer, prompt)
    assert result.verdict == verdict, result.detail
    assert "\n" not in result.detail
    if detail is not None:
        assert detail in result.detail


def test_a_long_answer_is_shown_on_one_short_line() -> None:
    result = score("no\n" * 200, EXACT)
    assert result.verdict == "mismatch"
    assert "\n" not in result.detail and len(result.detail) < 120


@pytest.mark.parametrize(
    ("prompt", "answer_a", "answer_b", "verdict"),
    [
        (EXACT, "Negative", "negative.", "agree"),
        (EXACT, "positive", "Positive", "agree"),  # both wrong, but the same answer
        (EXACT, "negative", "neutral", "disagree"),
        (CONTAINS, "refund 42", "We refund you 42 EUR", "agree"),
        (CONTAINS, "refund 42", "refund 41", "disagree"),
        (
            JSON,
            '{"order_id": "A-1042", "size": 42, "express": true}',
            '```{"order_id": "a-1042", "size": "42", "express": true}```',
            "agree",
        ),
        (
            JSON,
            '{"order_id": "A-1042", "size": 41, "express": true}',
            '{"order_id": "A-1042", "size": 41.0, "express": true}',
            "agree",
        ),
        (
            JSON,
            '{"order_id": "A-1042", "size": 42, "express": true}',
            '{"order_id": "A-1042", "size": 43, "express": true}',
            "disagree",
        ),
        (JSON, "not json", "not json", "disagree"),
        (FREE_TEXT, "a poem", "a poem", "not_scored"),
    ],
)
def test_agreement(prompt: SamplePrompt, answer_a: str, answer_b: str, verdict: str) -> None:
    result = agreement(answer_a, answer_b, prompt)
    assert result.verdict == verdict, result.detail
    assert result.a == score(answer_a, prompt) and result.b == score(answer_b, prompt)


# --- malformed files --------------------------------------------------------------------------------------------


def _break(tmp_path: Path, change: str) -> Path:
    root = tmp_path / "catalog"
    root.mkdir()
    shutil.copy(REPO / "catalog" / "prompts.yaml", root / "prompts.yaml")
    data = yaml.safe_load((root / "prompts.yaml").read_text())
    first = data["prompt_sets"][1]["prompts"][0]
    if change == "unknown key":
        first["answer"] = "A-1042"
    elif change == "bad match rule":
        first["expected"]["match"] = "fuzzy"
    elif change == "unknown expected key":
        first["expected"]["value"] = "x"
    elif change == "duplicate prompt id":
        data["prompt_sets"][1]["prompts"][1]["id"] = first["id"]
    elif change == "duplicate task":
        data["prompt_sets"][2]["task"] = "extraction"
    (root / "prompts.yaml").write_text(yaml.safe_dump(data))
    return root


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("unknown key", r"prompt_sets\[1\]\.prompts\[0\]\.answer: unknown key 'answer'; allowed keys here: id, system"),
        ("bad match rule", r"prompt_sets\[1\]\.prompts\[0\]\.expected: input tag 'fuzzy' found using 'match'"),
        ("unknown expected key", r"prompt_sets\[1\]\.prompts\[0\]\.expected\.json_field\.value: unknown key 'value'"),
        ("duplicate prompt id", r"prompt_sets\[1\]\.prompts: prompt id 'shoe-exchange-request' appears twice"),
        ("duplicate task", r"prompt_sets: .*task 'extraction' has two prompt sets"),
    ],
)
def test_a_malformed_prompts_file_names_the_file_and_field(tmp_path: Path, change: str, message: str) -> None:
    with pytest.raises(CatalogError, match=rf"^prompts\.yaml: {message}"):
        load_prompt_sets(_break(tmp_path, change))


def test_a_missing_prompts_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(CatalogError, match=r"^prompts\.yaml: not found in "):
        load_prompt_sets(tmp_path)


def test_an_answer_that_repeats_the_prompt_does_not_match() -> None:
    """A base model that echoes its input must not score a match on words the prompt itself holds."""
    for prompt_set in CATALOG.prompt_sets.values():
        for prompt in prompt_set.prompts:
            if prompt.expected is None:
                continue
            echo = f"{prompt.text} {prompt.text}"
            assert score(echo, prompt).verdict == "mismatch", prompt.id
            assert "only repeats the prompt" in score(echo, prompt).detail


def test_a_real_answer_after_an_echo_still_counts() -> None:
    prompt = next(p for s in CATALOG.prompt_sets.values() for p in s.prompts if isinstance(p.expected, ExactAnswer))
    assert isinstance(prompt.expected, ExactAnswer)
    assert score(prompt.expected.answer, prompt).verdict == "match"
    assert score(f"{prompt.text} mendatang mendatang", prompt).verdict == "mismatch"
