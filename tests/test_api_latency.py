"""API latency bands: every note has a sourced class, the bands are ordered, and the arithmetic checks by hand."""

from __future__ import annotations

import dataclasses

import pytest

from advisor.data.catalog import Catalog
from advisor.engine.api_latency import api_latency
from advisor.errors import CatalogError, FitError
from advisor.schema.catalog import ApiLatencyClass, ApiModelNote, Band

BANDS = ("low", "expected", "high")
SHAPES = [(0, 0), (500, 200), (1_000, 1_000), (20_000, 500), (100_000, 2_000)]


def _ordered(band: dict[str, float]) -> bool:
    return band["low"] <= band["expected"] <= band["high"]


def test_every_note_names_a_class_that_exists_and_says_why(catalog: Catalog) -> None:
    classes = catalog.efficiency.api_latency
    assert {"fast", "standard", "reasoning"} <= set(classes)
    for note in catalog.api_notes:
        assert note.latency_class in classes, f"{note.provider}/{note.model}"
        assert len(note.sources["latency_class"]) > 10, f"{note.provider}/{note.model}"
    for class_id, bands in classes.items():
        assert bands.source.count("http") >= 1, class_id


def test_every_class_is_used(catalog: Catalog) -> None:
    assert {note.latency_class for note in catalog.api_notes} == set(catalog.efficiency.api_latency)


@pytest.mark.parametrize(("input_tokens", "output_tokens"), SHAPES)
def test_bands_are_ordered_for_every_note(catalog: Catalog, input_tokens: int, output_tokens: int) -> None:
    for note in catalog.api_notes:
        estimate = api_latency(note, input_tokens, output_tokens, catalog)
        for band in (estimate.first_token_ms, estimate.tokens_per_s, estimate.total_ms):
            assert _ordered(band), (note.model, band)
        for name in BANDS:
            assert estimate.total_ms[name] >= estimate.first_token_ms[name] > 0


def test_a_long_prompt_waits_longer_for_the_first_token(catalog: Catalog) -> None:
    for note in catalog.api_notes:
        short = api_latency(note, 500, 200, catalog)
        long = api_latency(note, 100_000, 200, catalog)
        for name in BANDS:
            assert long.first_token_ms[name] > short.first_token_ms[name], (note.model, name)
        assert long.tokens_per_s == short.tokens_per_s


def test_reasoning_models_start_answering_later_than_fast_ones(catalog: Catalog) -> None:
    classes = catalog.efficiency.api_latency
    for name in BANDS:
        assert getattr(classes["reasoning"].first_token_ms, name) > getattr(classes["fast"].first_token_ms, name)
        assert getattr(classes["standard"].first_token_ms, name) > getattr(classes["fast"].first_token_ms, name)
    expected = {class_id: bands.first_token_ms.expected for class_id, bands in classes.items()}
    assert expected["accelerated"] < expected["fast"] < expected["standard"] < expected["reasoning"]
    o3 = next(n for n in catalog.api_notes if n.model == "o3")
    mini = next(n for n in catalog.api_notes if n.model == "gpt-4o-mini")
    assert (
        api_latency(o3, 500, 200, catalog).first_token_ms["expected"]
        > api_latency(mini, 500, 200, catalog).first_token_ms["expected"]
    )


HAND_CLASS = ApiLatencyClass(
    first_token_ms=Band(low=100, expected=400, high=2000),
    tokens_per_s=Band(low=50, expected=100, high=250),
    prompt_tokens_per_s=Band(low=10_000, expected=40_000, high=100_000),
    source="written out in this test",
)


@pytest.fixture
def hand_catalog(catalog: Catalog) -> Catalog:
    """The shipped catalog with one class, `hand`, whose figures the cases below use; base prompt 1,000 tokens."""
    efficiency = catalog.efficiency.model_copy(
        update={"api_latency": {"hand": HAND_CLASS}, "api_latency_base_prompt_tokens": 1000}
    )
    return dataclasses.replace(catalog, efficiency=efficiency)


@pytest.fixture
def hand_note(catalog: Catalog) -> ApiModelNote:
    note = next(n for n in catalog.api_notes if n.model == "gpt-4o-mini")
    return note.model_copy(update={"latency_class": "hand"})


# first token = class band + (input - 1,000) / prompt speed; the fast reader (100k/s) goes with the low band.
# total = first token + output / decode speed; the fast decoder (250 t/s) goes with the low band.
@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "first_token_ms", "total_ms"),
    [
        # prompt within the base size: the class band as it is; no output: total = first token
        (500, 0, (100, 400, 2000), (100, 400, 2000)),
        # 1,000 in (still the base), 100 out: 100 + 100/250 s = 500; 400 + 100/100 s = 1,400; 2,000 + 100/50 s = 4,000
        (1_000, 100, (100, 400, 2000), (500, 1400, 4000)),
        # 21,000 in = 20,000 extra: +200 ms at 100k/s, +500 ms at 40k/s, +2,000 ms at 10k/s
        # 250 out: +1,000 ms at 250 t/s, +2,500 ms at 100 t/s, +5,000 ms at 50 t/s
        (21_000, 250, (300, 900, 4000), (1300, 3400, 9000)),
        # 101,000 in = 100,000 extra: +1,000 / +2,500 / +10,000 ms; 500 out: +2,000 / +5,000 / +10,000 ms
        (101_000, 500, (1100, 2900, 12000), (3100, 7900, 22000)),
    ],
)
def test_arithmetic_written_out(
    hand_catalog: Catalog,
    hand_note: ApiModelNote,
    input_tokens: int,
    output_tokens: int,
    first_token_ms: tuple[float, float, float],
    total_ms: tuple[float, float, float],
) -> None:
    estimate = api_latency(hand_note, input_tokens, output_tokens, hand_catalog)
    assert estimate.latency_class == "hand"
    assert estimate.first_token_ms == pytest.approx(dict(zip(BANDS, first_token_ms, strict=True)))
    assert estimate.total_ms == pytest.approx(dict(zip(BANDS, total_ms, strict=True)))
    assert estimate.tokens_per_s == {"low": 50, "expected": 100, "high": 250}


def test_to_dict_rounds_and_names_the_request(hand_catalog: Catalog, hand_note: ApiModelNote) -> None:
    shape = api_latency(hand_note, 1_000, 100, hand_catalog).to_dict()
    assert shape["model"] == "gpt-4o-mini" and shape["latency_class"] == "hand"
    assert shape["input_tokens"] == 1_000 and shape["output_tokens"] == 100
    assert shape["total_ms"] == {"low": 500.0, "expected": 1400.0, "high": 4000.0}


def test_an_unknown_class_names_both_files(catalog: Catalog) -> None:
    note = catalog.api_notes[0].model_copy(update={"latency_class": "warp-speed"})
    with pytest.raises(CatalogError, match=r"api_models.yaml: .*'warp-speed' is not under api_latency in efficiency"):
        api_latency(note, 100, 100, catalog)


@pytest.mark.parametrize(
    ("input_tokens", "output_tokens", "field"), [(-1, 10, "input_tokens"), (10, -5, "output_tokens")]
)
def test_negative_token_counts_are_refused(catalog: Catalog, input_tokens: int, output_tokens: int, field: str) -> None:
    with pytest.raises(FitError, match=field):
        api_latency(catalog.api_notes[0], input_tokens, output_tokens, catalog)


def test_a_class_without_a_source_is_refused(catalog: Catalog) -> None:
    data = catalog.api_notes[0].model_dump()
    del data["sources"]["latency_class"]
    with pytest.raises(ValueError, match="figures without a source: latency_class"):
        ApiModelNote.model_validate(data)
