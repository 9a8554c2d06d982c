"""advisor.present.catalog_view: the Catalog page's filters, defaults, fit answers and memory figure, no Streamlit."""

from __future__ import annotations

import dataclasses
import math

import pytest

from advisor.data.catalog import Catalog
from advisor.engine.fit import QUANT_PREFERENCE, best_quant, estimate_fit
from advisor.errors import FitError, UnknownIdError
from advisor.present.catalog_view import (
    AUTO_QUANT,
    answer_fit,
    catalog_rows,
    context_label,
    default_fit_hardware,
    default_fit_model,
    distinct,
    filter_api_models,
    filter_hardware,
    filter_models,
    fit_headline,
    headroom_text,
    memory_figure,
    params_label,
    with_details,
)
from advisor.present.words import gb

MODELS = [
    {"id": "a", "family": "Alpha", "params_b": 0.5, "context_tokens": 8192, "license": "mit"},
    {"id": "b", "family": "Alpha", "params_b": 8.0, "context_tokens": 131072, "license": "apache-2.0"},
    {"id": "c", "family": "Beta", "params_b": 70.0, "context_tokens": 32768, "license": "llama3.1"},
]
API = [
    {"provider": "p1", "model": "m1", "input_usd_per_mtok": 0.15, "context_window": 128000.0},
    {"provider": "p1", "model": "m2", "input_usd_per_mtok": 3.0, "context_window": math.nan},
    {"provider": "p2", "model": "m3", "input_usd_per_mtok": 0.5, "context_window": 1_000_000.0},
]
HARDWARE = [
    {"id": "g1", "kind": "consumer_gpu", "memory_gb": 24.0, "purchase_usd": 1599.0, "cloud_usd_per_hour": None},
    {"id": "g2", "kind": "datacenter_gpu", "memory_gb": 80.0, "purchase_usd": None, "cloud_usd_per_hour": 2.69},
    {"id": "e1", "kind": "edge", "memory_gb": 8.0, "purchase_usd": None, "cloud_usd_per_hour": None},
]


def ids(rows: list[dict[str, object]], column: str = "id") -> list[object]:
    return [row[column] for row in rows]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["a", "b", "c"]),
        ({"families": ["Alpha"]}, ["a", "b"]),
        ({"params_b": (0.5, 8.0)}, ["a", "b"]),  # both ends inclusive
        ({"params_b": (1.0, 64.0)}, ["b"]),
        ({"min_context": 32768}, ["b", "c"]),
        ({"licenses": ["mit", "llama3.1"]}, ["a", "c"]),
        ({"families": ["Alpha"], "min_context": 32768}, ["b"]),
        ({"families": ["Gamma"]}, []),
    ],
)
def test_filter_models(filters: dict[str, object], expected: list[str]) -> None:
    assert ids(filter_models(MODELS, **filters)) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["m1", "m2", "m3"]),
        ({"providers": ["p2"]}, ["m3"]),
        ({"max_input_usd_per_mtok": 0.5}, ["m1", "m3"]),
        ({"max_input_usd_per_mtok": 0.0}, []),
        ({"min_context": 200_000}, ["m3"]),
        ({"min_context": 1}, ["m1", "m3"]),  # an unknown window drops out once any minimum is asked for
    ],
)
def test_filter_api_models(filters: dict[str, object], expected: list[str]) -> None:
    assert ids(filter_api_models(API, **filters), "model") == expected  # type: ignore[arg-type]


def test_filter_api_models_compared_only_keeps_rows_with_a_catalog_note() -> None:
    rows = [{**API[0], "capability_tier": "standard"}, {**API[1], "capability_tier": None}]
    assert ids(filter_api_models(rows, compared_only=True), "model") == ["m1"]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["g1", "g2", "e1"]),
        ({"kinds": ["consumer_gpu", "edge"]}, ["g1", "e1"]),
        ({"min_memory_gb": 24}, ["g1", "g2"]),
        ({"priced": "buy"}, ["g1"]),
        ({"priced": "rent"}, ["g2"]),
        ({"priced": "rent", "kinds": ["consumer_gpu"]}, []),
    ],
)
def test_filter_hardware(filters: dict[str, object], expected: list[str]) -> None:
    assert ids(filter_hardware(HARDWARE, **filters)) == expected  # type: ignore[arg-type]


def test_distinct_is_sorted_without_blanks() -> None:
    rows = [{"x": "b"}, {"x": "A"}, {"x": None}, {"x": "b"}, {"x": ""}]
    assert distinct(rows, "x") == ["A", "b"]


@pytest.mark.parametrize("kind", ["models", "api-models", "hardware"])
def test_with_details_keeps_every_row_and_column(catalog: Catalog, kind: str) -> None:
    rows = catalog_rows(kind, catalog)
    detailed = with_details(kind, rows, catalog)
    assert len(detailed) == len(rows)
    assert all(plain.items() <= rich.items() for plain, rich in zip(rows, detailed, strict=True))


def test_with_details_links_models_and_hardware_and_notes_api_models(catalog: Catalog) -> None:
    models = {row["id"]: row for row in with_details("models", catalog_rows("models", catalog), catalog)}
    repo = catalog.models["llama-3.1-8b-instruct"].hf_repo
    assert models["llama-3.1-8b-instruct"]["source"] == f"https://huggingface.co/{repo}"
    hardware = {row["id"]: row for row in with_details("hardware", catalog_rows("hardware", catalog), catalog)}
    assert hardware["rtx-4090"]["source"] == catalog.hardware["rtx-4090"].sources["memory"]
    assert hardware["rtx-4090"]["kind_label"] == "Consumer GPU"
    note = catalog.api_notes[0]
    api = with_details("api-models", catalog_rows("api-models", catalog), catalog)
    noted = [row for row in api if (row["provider"], row["model"]) == (note.provider, note.model)]
    assert [row["capability_tier"] for row in noted] == [note.capability_tier]
    assert sum(row["capability_tier"] is not None for row in api) <= len(catalog.api_notes)
    # A reasoning model's settings name the reasoning_effort a live run sends for each (Gemini: 'none').
    settings = {row["model"]: row["reasoning_settings"] for row in api if row["provider"] in ("openai", "google")}
    assert settings["gpt-5"] == "medium (default); minimal effort (reasoning_effort minimal)"
    assert settings["gemini-2.5-flash"] == "dynamic (default); thinking off (reasoning_effort none)"
    assert settings["gpt-4o-mini"] is None


def test_defaults_prefer_the_scenario_hardware_then_rtx_4090(catalog: Catalog) -> None:
    assert default_fit_model(catalog) == "llama-3.1-8b-instruct"
    assert default_fit_hardware(catalog, "h100") == "h100"
    assert default_fit_hardware(catalog, None) == "rtx-4090"
    assert default_fit_hardware(catalog, "this-machine") == "rtx-4090"


def test_default_model_without_the_8b_is_the_smallest(catalog: Catalog) -> None:
    smaller = dataclasses.replace(
        catalog, models={k: v for k, v in catalog.models.items() if k != "llama-3.1-8b-instruct"}
    )
    assert default_fit_model(smaller) == min(smaller.models.values(), key=lambda m: m.params_b).id


def test_answer_fit_with_a_quant_is_estimate_fit(catalog: Catalog) -> None:
    answer = answer_fit("qwen3-8b", "rtx-3060-12gb", "Q4_K_M", 8192, 2, 1, catalog)
    assert answer.fit == estimate_fit("qwen3-8b", "rtx-3060-12gb", "Q4_K_M", 8192, 2, count=1, catalog=catalog)
    assert not answer.auto_quant


def test_answer_fit_auto_takes_the_best_quant_that_fits(catalog: Catalog) -> None:
    model, hardware = catalog.models["llama-3.1-8b-instruct"], catalog.hardware["rtx-3060-12gb"]
    chosen = best_quant(model, hardware, 4096, 1, 1, catalog=catalog)
    assert chosen is not None
    answer = answer_fit(model.id, hardware.id, AUTO_QUANT, 4096, 1, 1, catalog)
    assert (answer.auto_quant, answer.nothing_fits) == (True, False)
    assert answer.fit == estimate_fit(model.id, hardware.id, chosen.quant, 4096, 1, catalog=catalog)
    assert answer.fit.fits


def test_answer_fit_auto_when_nothing_fits_shows_the_smallest_quant(catalog: Catalog) -> None:
    answer = answer_fit("llama-3.3-70b-instruct", "rtx-3060-12gb", AUTO_QUANT, 4096, 1, 1, catalog)
    assert answer.nothing_fits
    assert answer.fit.quant == QUANT_PREFERENCE[-1]
    assert not answer.fit.fits


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("phi-3-mini-4k-instruct", "rtx-4090", AUTO_QUANT, 8192, 1, 1), "context: phi-3-mini-4k-instruct reads at"),
        (("qwen3-8b", "rtx-4090", "Q4_K_M", 0, 1, 1), "context: must be >= 1"),
        (("qwen3-8b", "rtx-4090", "Q4_K_M", 4096, 0, 1), "concurrency: must be >= 1"),
        (("qwen3-8b", "rtx-4090", "Q4_K_M", 4096, 1, 0), "count: must be >= 1"),
    ],
)
def test_answer_fit_refuses_questions_it_cannot_answer(
    catalog: Catalog, args: tuple[str, str, str, int, int, int], message: str
) -> None:
    with pytest.raises(FitError, match=message.replace("(", r"\(")):
        answer_fit(*args, catalog=catalog)


def test_answer_fit_unknown_model_suggests_a_close_id(catalog: Catalog) -> None:
    with pytest.raises(UnknownIdError, match="qwen3-8b"):
        answer_fit("qwen3-8", "rtx-4090", catalog=catalog)


@pytest.mark.parametrize(
    ("value", "text"),
    [(0.123, "0.12 GB"), (9.449, "9.45 GB"), (9.999, "10.00 GB"), (24.0, "24.0 GB"), (1234.56, "1,234.6 GB")],
)
def test_gb(value: float, text: str) -> None:
    assert gb(value) == text


@pytest.mark.parametrize(
    ("tokens", "text"),
    [(0, "Any"), (4096, "4K+"), (32_768, "32K+"), (131_072, "128K+"), (200_000, "200K+"), (1_000_000, "1M+")],
)
def test_context_label(tokens: int, text: str) -> None:
    assert context_label(tokens) == text


@pytest.mark.parametrize(("billions", "text"), [(0.1, "100M"), (0.25, "250M"), (1.0, "1B"), (8.03, "8.03B")])
def test_params_label(billions: float, text: str) -> None:
    assert params_label(billions) == text


def test_headroom_and_headline_for_a_fit_and_a_miss(catalog: Catalog) -> None:
    fits = estimate_fit("llama-3.1-8b-instruct", "rtx-4090", "Q4_K_M", 4096, catalog=catalog)
    spare = fits.available_gb - fits.total_gb
    assert spare > 0
    assert headroom_text(fits) == f"+{gb(spare)}"
    assert fit_headline(fits).startswith("Fits: llama-3.1-8b-instruct at Q4_K_M needs ")
    assert fit_headline(fits).endswith(f"on 1 × rtx-4090, {gb(spare)} to spare.")
    miss = estimate_fit("llama-3.3-70b-instruct", "rtx-4090", "Q4_K_M", 4096, catalog=catalog)
    over = miss.total_gb - miss.available_gb
    assert over > 0
    assert headroom_text(miss) == f"-{gb(over)}"
    assert fit_headline(miss) == (
        f"Does not fit: llama-3.3-70b-instruct at Q4_K_M needs {gb(miss.total_gb)}, 1 × rtx-4090 has "
        f"{gb(miss.available_gb)} usable, {gb(over)} over."
    )


def test_memory_figure_stacks_the_breakdown_against_usable_memory(catalog: Catalog) -> None:
    fit = estimate_fit("qwen3-8b", "rtx-4090", "Q8_0", 32768, 4, catalog=catalog)
    figure = memory_figure(fit)
    assert figure.layout.barmode == "stack"
    widths = [trace.x[0] for trace in figure.data]
    assert widths == [fit.weights_gb, fit.kv_cache_gb, fit.overhead_gb]
    assert sum(widths) == pytest.approx(fit.total_gb)
    assert [shape.x0 for shape in figure.layout.shapes] == [fit.available_gb]


def test_the_hardware_listing_ends_with_this_machine_which_every_command_accepts(catalog: Catalog) -> None:
    rows = catalog_rows("hardware", catalog)
    assert [row["id"] for row in rows].count("this-machine") == 1 and rows[-1]["id"] == "this-machine"
    this = rows[-1]
    assert this["name"].startswith("This machine (") and this["kind"] == "cpu"
    assert this["memory_gb"] > 0 and this["bandwidth_gbs"] > 0  # detected and measured here, not typed
    detailed = with_details("hardware", rows, catalog)[-1]
    assert detailed["source"] == "detected at run time (os.sysconf)"


def test_rents_and_engines_read_as_markdown_with_catalog_text_escaped() -> None:
    from advisor.data.catalog import load_catalog
    from advisor.present.catalog_view import engine_markdown, engine_rows, rent_rows, rents_markdown

    catalog = load_catalog()
    rows = rent_rows(catalog, "h100")
    blocks = rents_markdown(rows)
    assert len(blocks) == len({row["hardware"] for row in rows}) >= 1
    first = rows[0]
    assert blocks[0].startswith(f"**{first['hardware']}**\n\n- {first['provider_class']}: ")
    assert f"**{first['usd_per_hour']:.2f} USD/h**" in blocks[0] and f"([read in]({first['source']}))" in blocks[0]
    # A name with Markdown in it is shown as text, not markup.
    hostile = [{**first, "provider": "*Bold* [x](javascript:alert(1))"}]
    shown = rents_markdown(hostile)[0]
    assert "\\*Bold\\* \\[x\\](javascript\\:alert(1))" in shown and "[x](javascript" not in shown
    vllm = next(row for row in engine_rows(catalog) if row["id"] == "vllm")
    line = engine_markdown(vllm)
    assert line.startswith("- **vLLM** (vllm): continuous, paged KV cache, up to 256 sequences; runs on datacenter gpu")
