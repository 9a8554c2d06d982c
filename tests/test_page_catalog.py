"""The Catalog page through the app's entrypoint (AppTest): tables match catalog_rows, filters, the fit section."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from advisor.data.catalog import Catalog, default_catalog
from advisor.data.prices import genai_prices_version
from advisor.data.scenarios import scenario_from_data
from advisor.engine.fit import FitResult, best_quant, estimate_fit
from advisor.errors import FitError
from advisor.present.catalog_view import catalog_rows
from advisor.present.words import gb, humanize, ms, plain, tokens_per_s
from advisor.schema.scenario import Scenario
from tests.apptest import open_app, rerun

TABS = {"models": 0, "api-models": 1, "hardware": 2}
SEARCHES = {"models": "cat_models_search", "api-models": "cat_api_search", "hardware": "cat_hw_search"}
NOUNS = {"models": "models", "api-models": "API models", "hardware": "hardware profiles"}


def open_catalog(scenario: Scenario | None = None) -> AppTest:
    return open_app("catalog", scenario)


@pytest.fixture
def app() -> AppTest:
    return open_catalog()


def tab_tables(at: AppTest, kind: str) -> list[Any]:
    # AppTest gives a st.dataframe without selections no key: find each table by its tab.
    return [frame.value for frame in at.tabs[TABS[kind]].dataframe]


def table(at: AppTest, kind: str) -> Any:
    found = tab_tables(at, kind)
    assert len(found) == 1
    return found[0]


def shown_ids(at: AppTest, kind: str) -> list[str]:
    frame = table(at, kind)
    if kind == "api-models":
        return [f"{p}/{m}" for p, m in zip(frame["provider"], frame["model"], strict=True)]
    return list(frame["id"])


def row_ids(kind: str, rows: list[dict[str, Any]]) -> list[str]:
    if kind == "api-models":
        return [f"{row['provider']}/{row['model']}" for row in rows]
    return [row["id"] for row in rows]


def count_caption(at: AppTest, kind: str) -> str:
    found = [c.value for c in at.tabs[TABS[kind]].caption if f" {NOUNS[kind]} match." in c.value]
    assert len(found) == 1, [c.value for c in at.tabs[TABS[kind]].caption]
    return found[0]


def metric(at: AppTest, label: str) -> Any:
    found = [m for m in at.metric if m.label == label]
    assert len(found) == 1, [m.label for m in at.metric]
    return found[0]


def assert_fit_shown(at: AppTest, expected: FitResult) -> None:
    """Every figure the fit section renders, against estimate_fit for the same inputs."""
    assert not at.error, [e.value for e in at.error]
    assert metric(at, "Fits").value == ("Yes" if expected.fits else "No")
    spare = expected.available_gb - expected.total_gb
    assert metric(at, "Fits").delta == f"{'+' if spare >= 0 else '-'}{gb(abs(spare))} headroom"
    assert metric(at, "Memory needed").value == gb(expected.total_gb)
    bands = [table.value for table in at.main.table if "Fast end" in table.value]
    if expected.fits:
        assert metric(at, "Tokens per second").value == f"{expected.tokens_per_s['expected']:,.1f} tok/s"
        assert metric(at, "First token").value == f"{expected.first_token_ms['expected']:,.0f} ms"
        (band,) = bands
        speed, first = expected.tokens_per_s, expected.first_token_ms
        # Each end pairs like with like: the fast end is the most tokens/s and the shortest first token.
        assert list(band.loc["Tokens per second"]) == [tokens_per_s(speed[b]) for b in ("low", "expected", "high")]
        assert list(band.loc["First token"]) == [ms(first[b]) for b in ("high", "expected", "low")]
        assert list(band.columns) == ["Slow end", "Expected", "Fast end"]
    else:
        # A model that does not fit would not run: no speed figures as if it did.
        assert not [m for m in at.metric if m.label in ("Tokens per second", "First token")]
        assert not bands
        assert any("No speed figures" in i.value for i in at.info)
    banner = at.success if expected.fits else at.warning
    assert len(banner) == 1
    model_name = default_catalog().models[expected.model].name
    assert plain(f"{model_name} at {expected.quant} needs {gb(expected.total_gb)}") in banner[0].value
    assert f"{gb(abs(spare))} {'to spare' if expected.fits else 'over'}." in banner[0].value
    figure = at.get("plotly_chart")
    assert len(figure) == 1


def test_page_renders_every_table_with_the_rows_of_catalog_rows(app: AppTest, catalog: Catalog) -> None:
    assert app.title[0].value == "Catalog"
    assert [tab.label.split(": ")[-1] for tab in app.tabs] == ["Open-weight models", "API models", "Hardware"]
    for kind in TABS:
        rows = catalog_rows(kind, catalog)
        assert shown_ids(app, kind) == row_ids(kind, rows)
        assert count_caption(app, kind).startswith(f"**{len(rows):,}** of {len(rows):,} {NOUNS[kind]}")
    assert f"genai-prices {genai_prices_version()}" in count_caption(app, "api-models")
    assert not app.error
    assert not app.sidebar.title  # the entrypoint draws the sidebar; the page adds nothing there


@pytest.mark.parametrize(("kind", "search"), [("models", "qwen3"), ("api-models", "mini"), ("hardware", "NVIDIA")])
def test_search_narrows_a_table_to_the_rows_catalog_rows_finds(
    app: AppTest, catalog: Catalog, kind: str, search: str
) -> None:
    expected = catalog_rows(kind, catalog, search)
    total = len(catalog_rows(kind, catalog))
    assert 0 < len(expected) < total
    app.text_input(key=SEARCHES[kind]).set_value(search)
    rerun(app)
    assert shown_ids(app, kind) == row_ids(kind, expected)
    assert count_caption(app, kind).startswith(f"**{len(expected):,}** of {total:,}")


def test_search_without_a_match_says_so(app: AppTest) -> None:
    app.text_input(key="cat_hw_search").set_value("no such machine")
    rerun(app)
    assert tab_tables(app, "hardware") == []
    assert any("No hardware profiles match" in info.value for info in app.info)


def test_model_filters_match_the_rows(app: AppTest, catalog: Catalog) -> None:
    app.multiselect(key="cat_models_family").set_value(["Qwen3", "Llama 3"])
    app.select_slider(key="cat_models_params").set_range(1.0, 16.0)
    app.selectbox(key="cat_models_context").set_value(131_072)
    rerun(app)
    expected = [
        row["id"]
        for row in catalog_rows("models", catalog)
        if row["family"] in ("Qwen3", "Llama 3") and 1 <= row["params_b"] <= 16 and row["context_tokens"] >= 131_072
    ]
    assert expected
    assert shown_ids(app, "models") == expected
    app.multiselect(key="cat_models_license").set_value(["apache-2.0"])
    rerun(app)
    assert tab_tables(app, "models") == []
    assert any("No models match" in info.value for info in app.info)


def test_api_filters_match_the_rows(app: AppTest, catalog: Catalog) -> None:
    app.multiselect(key="cat_api_provider").set_value(["openai", "anthropic"])
    app.number_input(key="cat_api_max_input").set_value(1.0)
    app.selectbox(key="cat_api_context").set_value(131_072)
    rerun(app)
    expected = [
        f"{row['provider']}/{row['model']}"
        for row in catalog_rows("api-models", catalog)
        if row["provider"] in ("openai", "anthropic")
        and row["input_usd_per_mtok"] <= 1.0
        and row["context_window"] >= 131_072  # NaN (unknown window) compares False
    ]
    assert expected
    assert shown_ids(app, "api-models") == expected
    app.toggle(key="cat_api_compared").set_value(True)
    rerun(app)
    noted = {(note.provider, note.model) for note in catalog.api_notes}
    assert shown_ids(app, "api-models") == [e for e in expected if tuple(e.split("/", 1)) in noted]


def test_hardware_filters_match_the_rows(app: AppTest, catalog: Catalog) -> None:
    app.multiselect(key="cat_hw_kind").set_value(["apple_silicon", "consumer_gpu"])
    app.number_input(key="cat_hw_memory").set_value(24.0)
    app.radio(key="cat_hw_priced").set_value("buy")
    rerun(app)
    big_enough = [
        row
        for row in catalog_rows("hardware", catalog)
        if row["kind"] in ("apple_silicon", "consumer_gpu") and row["memory_gb"] >= 24
    ]
    expected = [row["id"] for row in big_enough if row["purchase_usd"] is not None]
    assert 0 < len(expected) < len(big_enough)  # each filter must matter for the test to mean anything
    assert len(big_enough) < len(catalog_rows("hardware", catalog))
    assert shown_ids(app, "hardware") == expected
    app.radio(key="cat_hw_priced").set_value("rent")
    rerun(app)
    rented = [row["id"] for row in big_enough if row["cloud_usd_per_hour"] is not None]
    if rented:
        assert shown_ids(app, "hardware") == rented
    else:  # no consumer GPU or Mac has a cloud rate in today's catalog: the empty state
        assert tab_tables(app, "hardware") == []
        assert any("No hardware profiles match" in info.value for info in app.info)


def test_fit_opens_on_the_scenario_hardware_with_the_best_quant_that_fits(app: AppTest, catalog: Catalog) -> None:
    scenario: Scenario = app.session_state["scenario"]
    assert scenario.hardware.profile is not None
    assert app.selectbox(key="cat_fit_hardware").value == scenario.hardware.profile
    assert app.selectbox(key="cat_fit_model").value == "llama-3.1-8b-instruct"
    context = max(w.effective_context_tokens for w in scenario.workloads)
    assert app.number_input(key="cat_fit_context").value == context
    model = catalog.models["llama-3.1-8b-instruct"]
    chosen = best_quant(model, catalog.hardware[scenario.hardware.profile], context, catalog=catalog)
    assert chosen is not None
    expected = estimate_fit(model.id, scenario.hardware.profile, chosen.quant, context, catalog=catalog)
    assert expected.fits
    assert_fit_shown(app, expected)
    assert any(f"{chosen.quant} is the highest-quality quantisation that fits" in c.value for c in app.caption)


def test_fit_for_a_70b_model_on_a_small_gpu_does_not_fit(app: AppTest, catalog: Catalog) -> None:
    app.selectbox(key="cat_fit_model").set_value("llama-3.3-70b-instruct")
    app.selectbox(key="cat_fit_hardware").set_value("rtx-3060-12gb")
    app.selectbox(key="cat_fit_quant").set_value("Q4_K_M")
    app.number_input(key="cat_fit_context").set_value(8192)
    rerun(app)
    expected = estimate_fit("llama-3.3-70b-instruct", "rtx-3060-12gb", "Q4_K_M", 8192, catalog=catalog)
    assert not expected.fits
    assert_fit_shown(app, expected)
    assert any("of the layers would fit in GPU memory" in c.value for c in app.caption)


def test_fit_follows_device_count_and_concurrency(app: AppTest, catalog: Catalog) -> None:
    app.selectbox(key="cat_fit_model").set_value("qwen3-32b")
    app.selectbox(key="cat_fit_hardware").set_value("l4")
    app.selectbox(key="cat_fit_quant").set_value("Q6_K")
    app.number_input(key="cat_fit_count").set_value(2)
    app.number_input(key="cat_fit_context").set_value(16384)
    app.number_input(key="cat_fit_concurrency").set_value(4)
    rerun(app)
    expected = estimate_fit("qwen3-32b", "l4", "Q6_K", 16384, 4, count=2, catalog=catalog)
    assert expected != estimate_fit("qwen3-32b", "l4", "Q6_K", 16384, 1, count=1, catalog=catalog)
    assert_fit_shown(app, expected)


def test_scenario_without_hardware_opens_the_fit_on_an_rtx_4090(catalog: Catalog) -> None:
    from advisor.data.examples import default_scenario

    data = default_scenario().to_dict()
    data["hardware"]["profile"] = None
    at = open_catalog(scenario_from_data(data))
    assert at.selectbox(key="cat_fit_hardware").value == "rtx-4090"
    context = at.number_input(key="cat_fit_context").value
    chosen = best_quant(catalog.models["llama-3.1-8b-instruct"], catalog.hardware["rtx-4090"], context, catalog=catalog)
    assert chosen is not None
    assert_fit_shown(at, estimate_fit("llama-3.1-8b-instruct", "rtx-4090", chosen.quant, context, catalog=catalog))


def test_context_beyond_the_model_window_shows_one_error_and_keeps_the_inputs(app: AppTest, catalog: Catalog) -> None:
    app.selectbox(key="cat_fit_model").set_value("phi-3-mini-4k-instruct")
    app.number_input(key="cat_fit_context").set_value(8192)
    rerun(app)
    from advisor.present.catalog_view import answer_fit

    with pytest.raises(FitError) as raised:
        answer_fit("phi-3-mini-4k-instruct", app.selectbox(key="cat_fit_hardware").value, context_tokens=8192)
    assert [e.value for e in app.error] == [plain(humanize(str(raised.value)))]
    assert not app.metric
    assert app.selectbox(key="cat_fit_model").value == "phi-3-mini-4k-instruct"
    assert app.number_input(key="cat_fit_context").value == 8192
    app.number_input(key="cat_fit_context").set_value(4096)
    rerun(app)
    assert not app.error
    assert metric(app, "Memory needed").value == gb(
        answer_fit(
            "phi-3-mini-4k-instruct", app.selectbox(key="cat_fit_hardware").value, context_tokens=4096
        ).fit.total_gb
    )
