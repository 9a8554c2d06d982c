"""Catalog page: browse the open-weight models, API prices and hardware the advisor compares, and check a fit."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from advisor.data.prices import genai_prices_version
from advisor.engine.fit import FitResult
from advisor.errors import AdvisorError
from advisor.present.catalog_view import (
    AUTO_QUANT,
    CONTEXT_STEPS,
    FIT_QUANTS,
    HARDWARE_KIND_LABELS,
    PARAM_STEPS_B,
    answer_fit,
    catalog_rows,
    context_label,
    default_fit_hardware,
    default_fit_model,
    distinct,
    engine_markdown,
    filter_api_models,
    filter_hardware,
    filter_models,
    fit_headline,
    headroom_text,
    memory_figure,
    params_label,
    rent_rows,
    rents_markdown,
    with_details,
)
from advisor.present.words import gb, hardware_label, humanize, ms, plain, tokens_per_s
from advisor.schema.catalog import HardwareProfile, OpenWeightModel
from pages import CHART_CONFIG, catalog, chart_placeholders, current_scenario, require_entrypoint

require_entrypoint()

MODEL_HELP = {name: field.description for name, field in OpenWeightModel.model_fields.items()}
HARDWARE_HELP = {name: field.description for name, field in HardwareProfile.model_fields.items()}


@st.cache_data(max_entries=64, show_spinner=False)
def table_rows(kind: str, search: str) -> list[dict[str, Any]]:
    """catalog_rows with the page's extra columns; cached per kind and search text (the API list is 2,000 rows)."""
    cat = catalog()
    return with_details(kind, catalog_rows(kind, cat, search or None), cat)


def show_table(
    rows: list[dict[str, Any]], total: int, noun: str, column_config: dict[str, Any], key: str, note: str = ""
) -> None:
    """The table with a count caption, or a plain sentence when nothing matches."""
    if not rows:
        st.info(
            f"No {noun} match the search and filters. Clear the search or widen a filter.", icon=":material/search_off:"
        )
        return
    st.caption(f"**{len(rows):,}** of {total:,} {noun} match.{note}")
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        column_order=list(column_config),
        column_config=column_config,
        height=min(36 + 35 * len(rows), 420),
        key=key,
        placeholder="—",
    )


def search_box(key: str, placeholder: str) -> str:
    value: str = st.text_input(
        "Search", key=key, placeholder=placeholder, icon=":material/search:", help="Matches any column, any case."
    )
    return value.strip()


def models_tab() -> None:
    everything = table_rows("models", "")
    top = st.columns([2.2, 1.8, 1.5, 2, 1.2], vertical_alignment="bottom")
    with top[0]:
        search = search_box("cat_models_search", "llama, qwen3, apache-2.0 …")
    with top[1]:
        families = st.multiselect("Family", distinct(everything, "family"), key="cat_models_family", placeholder="All")
    with top[2]:
        licenses = st.multiselect(
            "Licence",
            distinct(everything, "license"),
            key="cat_models_license",
            placeholder="All",
            help=MODEL_HELP["license"],
        )
    with top[3]:
        params = st.select_slider(
            "Total parameters",
            options=PARAM_STEPS_B,
            value=(PARAM_STEPS_B[0], PARAM_STEPS_B[-1]),
            format_func=params_label,
            key="cat_models_params",
            help=MODEL_HELP["params_b"],
        )
    with top[4]:
        min_context = st.selectbox(
            "Minimum context",
            CONTEXT_STEPS[:-2],
            format_func=context_label,
            key="cat_models_context",
            help=MODEL_HELP["context_tokens"],
        )
    rows = filter_models(table_rows("models", search), families, params, min_context, licenses)
    show_table(
        rows,
        len(everything),
        "models",
        {
            "name": st.column_config.TextColumn("Model", width="large", pinned=True),
            "family": st.column_config.TextColumn("Family"),
            "params_b": st.column_config.NumberColumn("Params (B)", format="plain", help=MODEL_HELP["params_b"]),
            "active_params_b": st.column_config.NumberColumn(
                "Active (B)", format="plain", help=MODEL_HELP["active_params_b"]
            ),
            "context_tokens": st.column_config.NumberColumn(
                "Context (tokens)", format="localized", help=MODEL_HELP["context_tokens"]
            ),
            "mmlu": st.column_config.ProgressColumn(
                "MMLU (%)",
                format="%.1f",
                min_value=0,
                max_value=100,
                help="MMLU score as the model card publishes it; empty where it publishes none.",
            ),
            "license": st.column_config.TextColumn("Licence", help=MODEL_HELP["license"]),
            "layers": st.column_config.NumberColumn("Layers", help="Transformer blocks (decide KV-cache size)."),
            "kv_heads": st.column_config.NumberColumn("KV heads", help="Key/value heads per layer."),
            "source": st.column_config.LinkColumn(
                "Source", display_text="model card", help="Where the figures come from."
            ),
            "id": st.column_config.TextColumn("Catalog id", help="Use it in scenario files and the CLI."),
        },
        "cat_models_table",
    )


def api_tab() -> None:
    everything = table_rows("api-models", "")
    top = st.columns([2, 2, 1.3, 1.2, 1.7], vertical_alignment="bottom")
    with top[0]:
        search = search_box("cat_api_search", "gpt-4o, haiku, llama …")
    with top[1]:
        providers = st.multiselect(
            "Provider", distinct(everything, "provider"), key="cat_api_provider", placeholder="All"
        )
    with top[2]:
        max_input = st.number_input(
            "Max input ($/M tok)",
            min_value=0.0,
            value=None,
            step=0.5,
            format="%.2f",
            placeholder="No limit",
            key="cat_api_max_input",
            help="Keep models whose input price per million tokens is at most this.",
        )
    with top[3]:
        min_context = st.selectbox(
            "Minimum context",
            CONTEXT_STEPS,
            format_func=context_label,
            key="cat_api_context",
            help="Context window in tokens; models whose window genai-prices does not list drop out once a "
            "minimum is set.",
        )
    with top[4]:
        compared_only = st.toggle(
            "Curated only",
            key="cat_api_compared",
            help="Models with catalog notes (capability tier, latency): the ones recommendations rank.",
        )
    rows = filter_api_models(table_rows("api-models", search), providers, max_input, min_context, compared_only)
    price_help = "USD per million tokens, from genai-prices {}."
    show_table(
        rows,
        len(everything),
        "API models",
        {
            "name": st.column_config.TextColumn("Model", width="medium", pinned=True),
            "provider": st.column_config.TextColumn("Provider"),
            "input_usd_per_mtok": st.column_config.NumberColumn(
                "Input ($/M tok)", format="$%.3f", help=price_help.format(genai_prices_version())
            ),
            "cached_input_usd_per_mtok": st.column_config.NumberColumn(
                "Cached input ($/M tok)",
                format="$%.3f",
                help="Price of input served from the provider's prompt cache; the input price where it has none.",
            ),
            "output_usd_per_mtok": st.column_config.NumberColumn(
                "Output ($/M tok)", format="$%.3f", help=price_help.format(genai_prices_version())
            ),
            "context_window": st.column_config.NumberColumn(
                "Context (tokens)", format="localized", help="Context window as genai-prices lists it."
            ),
            "has_context_tiers": st.column_config.CheckboxColumn(
                "Tiered", help="The price changes once a prompt passes a length (the table shows the base price)."
            ),
            "capability_tier": st.column_config.TextColumn(
                "Tier", help="Capability tier from the catalog's notes: basic, standard or frontier."
            ),
            "size_class": st.column_config.TextColumn("Class", help="SLM: a small model (≤ ~15B) served by an API."),
            "latency_basis": st.column_config.TextColumn(
                "Latency from",
                help="Where the first-token and speed estimates come from: the model's own published measurement "
                "(page and date), or its latency class in catalog/efficiency.yaml.",
            ),
            "reasoning_settings": st.column_config.TextColumn(
                "Reasoning settings",
                help="A reasoning model's default setting, then its other settings: each is an option of its own "
                "(labelled 'provider/model (setting)'), with the reasoning_effort a live run sends to measure it.",
            ),
            "model": st.column_config.TextColumn("Model id", help="genai-prices model id."),
        },
        "cat_api_table",
        f" Prices in USD per million tokens from genai-prices {genai_prices_version()}, standard rates as of today.",
    )


def hardware_tab() -> None:
    everything = table_rows("hardware", "")
    top = st.columns([2.2, 2.4, 1.2, 1.8], vertical_alignment="bottom")
    with top[0]:
        search = search_box("cat_hw_search", "4090, h100, apple …")
    with top[1]:
        kinds = st.multiselect(
            "Kind",
            distinct(everything, "kind"),
            format_func=lambda kind: HARDWARE_KIND_LABELS.get(kind, kind),
            key="cat_hw_kind",
            placeholder="All",
        )
    with top[2]:
        min_memory = st.number_input(
            "Min memory (GB)",
            min_value=0.0,
            value=0.0,
            step=8.0,
            format="%g",
            key="cat_hw_memory",
            help=HARDWARE_HELP["memory_gb"],
        )
    with top[3]:
        priced = st.radio(
            "Priced",
            ["any", "buy", "rent"],
            format_func={"any": "Any", "buy": "To buy", "rent": "To rent"}.__getitem__,
            horizontal=True,
            key="cat_hw_priced",
            help="Only hardware with a purchase price, or with an hourly cloud rate.",
        )
    rows = filter_hardware(table_rows("hardware", search), kinds, min_memory, priced)
    show_table(
        rows,
        len(everything),
        "hardware profiles",
        {
            "name": st.column_config.TextColumn("Hardware", width="medium", pinned=True),
            "kind_label": st.column_config.TextColumn("Kind"),
            "memory_gb": st.column_config.NumberColumn("Memory (GB)", format="%g", help=HARDWARE_HELP["memory_gb"]),
            "bandwidth_gbs": st.column_config.NumberColumn(
                "Bandwidth (GB/s)", format="%g", help=HARDWARE_HELP["memory_bandwidth_gbs"]
            ),
            "fp16_tflops": st.column_config.NumberColumn(
                "FP16 (TFLOPS)", format="%g", help=HARDWARE_HELP["fp16_tflops"]
            ),
            "power_w": st.column_config.NumberColumn("Power (W)", format="%g", help=HARDWARE_HELP["power_w"]),
            "purchase_usd": st.column_config.NumberColumn(
                "Purchase ($)", format="dollar", help=HARDWARE_HELP["purchase_usd"]
            ),
            "cloud_usd_per_hour": st.column_config.NumberColumn(
                "Rent ($/h)", format="$%.2f", help=HARDWARE_HELP["cloud_usd_per_hour"]
            ),
            "rent_hyperscaler": st.column_config.TextColumn(
                "Hyperscaler ($/h)", help="Published on-demand rents per device from AWS, Azure and Google Cloud."
            ),
            "rent_neocloud": st.column_config.TextColumn(
                "Neocloud ($/h)", help="Rents from GPU clouds: Lambda, CoreWeave, Crusoe, Nebius, RunPod Secure ..."
            ),
            "rent_marketplace": st.column_config.TextColumn(
                "Marketplace ($/h)", help="Rents from marketplaces: RunPod Community Cloud, Vast.ai, TensorDock."
            ),
            "rents_as_of": st.column_config.TextColumn("Rents as of", help="When the published rents were read."),
            "source": st.column_config.LinkColumn(
                "Source", display_text="spec sheet", help="Source of the memory figure."
            ),
            "id": st.column_config.TextColumn("Catalog id", help="Use it in scenario files and the CLI."),
        },
        "cat_hw_table",
    )
    rents = rent_rows(catalog(), search or None)
    if rents:
        with st.expander(f"Published rents behind the bands ({len(rents)})", icon=":material/receipt_long:"):
            st.caption(
                "Each card's on-demand rents per device-hour, by provider class. Choosing a class under the "
                "questionnaire's assumptions prices a rented card at its class's median; a card without a rent from "
                "that class keeps its named offer."
            )
            for block in rents_markdown(rents):
                st.markdown(block)
    with st.expander("Serving engines", icon=":material/settings_input_component:"):
        st.caption(
            "Every self-hosted figure assumes one of these engines: the hardware kind's default, or the one the "
            "questionnaire's “Serving engine” names (scenario key hardware.engine)."
        )
        for row in catalog_rows("engines", catalog()):
            st.markdown(engine_markdown(row))


def band_table(fit: FitResult) -> pd.DataFrame:
    """Speed bands with their ends named: the fast end is the most tokens per second and the shortest first token."""
    speed, first = fit.tokens_per_s, fit.first_token_ms
    return pd.DataFrame(
        {
            "Slow end": [tokens_per_s(speed["low"]), ms(first["high"])],
            "Expected": [tokens_per_s(speed["expected"]), ms(first["expected"])],
            "Fast end": [tokens_per_s(speed["high"]), ms(first["low"])],
        },
        index=pd.Index(["Tokens per second", "First token"], name="Estimate"),
    )


def show_fit(fit: FitResult, auto_quant: bool, nothing_fits: bool, quality_note: str) -> None:
    headline = fit_headline(fit, catalog())
    if fit.fits:
        st.success(plain(headline), icon=":material/check_circle:")
    else:
        st.warning(plain(headline), icon=":material/block:")
    notes = []
    if auto_quant and nothing_fits:
        notes.append(f"No quantisation fits; the figures are for {fit.quant}, the smallest.")
    elif auto_quant:
        notes.append(f"{fit.quant} is the highest-quality quantisation that fits.")
    notes.append(f"{fit.quant}: {quality_note}")
    if fit.gpu_layer_share is not None:
        notes.append(
            f"About {fit.gpu_layer_share:.0%} of the layers would fit in GPU memory; offloading the rest to the CPU "
            "would run, far slower than any GPU estimate."
        )
    st.caption(" ".join(notes))

    metrics = st.columns(4 if fit.fits else 2)
    metrics[0].metric(
        "Fits",
        "Yes" if fit.fits else "No",
        delta=f"{headroom_text(fit)} headroom",
        border=True,
        help="Usable memory minus what the deployment needs.",
    )
    metrics[1].metric(
        "Memory needed",
        gb(fit.total_gb),
        border=True,
        help=f"Weights {gb(fit.weights_gb)} + KV cache {gb(fit.kv_cache_gb)} + runtime overhead "
        f"{gb(fit.overhead_gb)}; usable {gb(fit.available_gb)}.",
    )
    if fit.fits:
        metrics[2].metric(
            "Tokens per second",
            tokens_per_s(fit.tokens_per_s["expected"]),
            border=True,
            help="One sequence decoding at the full context; expected value of the band.",
        )
        metrics[3].metric(
            "First token",
            ms(fit.first_token_ms["expected"]),
            border=True,
            help="Time to read the whole context as the prompt and emit the first token; expected value of the band.",
        )
    else:
        st.info(
            "No speed figures: at these settings the model does not fit in memory, so it would not run. A smaller "
            "quantisation, more devices, a shorter context or fewer concurrent sequences may make it fit.",
            icon=":material/speed:",
        )
    st.plotly_chart(memory_figure(fit), config={**CHART_CONFIG, "displayModeBar": False}, key="cat_fit_chart")
    if not fit.fits:
        return
    st.markdown("**Speed, slow end to fast end**")
    st.table(band_table(fit))
    if fit.basis == "measured":
        st.badge("Measured", icon=":material/speed:", color="green")
        st.caption("Speeds come from a live run of this model, quantisation and hardware.")
    else:
        st.badge("Estimated", icon=":material/calculate:", color="gray")
        st.caption(
            "From memory bandwidth and FLOPS at the efficiencies llama.cpp-class runtimes reach "
            "(catalog/efficiency.yaml). The slow end is the fewest tokens per second and the longest first token; "
            "the fast end the most and the shortest."
        )


def fit_section() -> None:
    cat = catalog()
    scenario = current_scenario()
    models = sorted(cat.models.values(), key=lambda m: (m.params_b, m.id))
    hardware = sorted(cat.hardware.values(), key=lambda h: (h.kind, h.memory_gb, h.id))
    model_ids = [m.id for m in models]
    hardware_ids = [h.id for h in hardware]
    default_model = default_fit_model(cat)
    needed_context = max(w.effective_context_tokens for w in scenario.workloads)
    st.session_state.setdefault("cat_fit_context", min(needed_context, cat.models[default_model].context_tokens))

    st.subheader("Does it fit?", anchor="does-it-fit")
    st.caption(
        "Memory, speed and first-token time of one open-weight model on your hardware. The context starts at the "
        "longest one your scenario's workloads need."
    )
    with st.container(border=True):
        first = st.columns([2.4, 2.4, 1])
        model_id = first[0].selectbox(
            "Open-weight model",
            model_ids,
            index=model_ids.index(default_model),
            format_func=lambda mid: f"{cat.models[mid].name} · {params_label(cat.models[mid].params_b)}",
            key="cat_fit_model",
        )
        hardware_id = first[1].selectbox(
            "Hardware",
            hardware_ids,
            index=hardware_ids.index(default_fit_hardware(cat, scenario.hardware.profile)),
            format_func=lambda hid: hardware_label(cat.hardware[hid].name, cat.hardware[hid].memory_gb),
            key="cat_fit_hardware",
            help="Preselected from your scenario's hardware when it names one.",
        )
        count = first[2].number_input(
            "Devices",
            min_value=1,
            max_value=64,
            value=1,
            step=1,
            key="cat_fit_count",
            help="Devices one replica is split across (memory and bandwidth add up).",
        )
        second = st.columns([2.4, 1.2, 1.2])
        quant = second[0].selectbox(
            "Quantisation",
            FIT_QUANTS,
            format_func=lambda q: (
                "Best that fits" if q == AUTO_QUANT else f"{q} · {cat.quantization(q).bits_per_weight:g} bits"
            ),
            key="cat_fit_quant",
            help="Weight format (llama.cpp names). 'Best that fits' tries Q8_0 down to Q3_K_M.",
        )
        context_tokens = second[1].number_input(
            "Context (tokens)",
            min_value=1,
            max_value=10_000_000,
            step=1024,
            key="cat_fit_context",
            help="Longest context one request holds: prompt plus answer.",
        )
        concurrency = second[2].number_input(
            "Concurrent sequences",
            min_value=1,
            max_value=256,
            value=1,
            step=1,
            key="cat_fit_concurrency",
            help="Requests decoded at once; each holds its own KV cache.",
        )
    try:
        answer = answer_fit(model_id, hardware_id, quant, int(context_tokens), int(concurrency), int(count), cat)
    except AdvisorError as e:
        st.error(plain(humanize(str(e))), icon=":material/error:")
        return
    show_fit(answer.fit, answer.auto_quant, answer.nothing_fits, cat.quantization(answer.fit.quant).quality_note)


chart_placeholders()
st.title("Catalog")
st.caption(
    "The open-weight models, API models and hardware the advisor compares, with the source of every figure — "
    "and whether a model fits your hardware."
)
models, apis, machines = st.tabs(
    [":material/deployed_code: Open-weight models", ":material/cloud: API models", ":material/memory: Hardware"]
)
with models:
    models_tab()
with apis:
    api_tab()
with machines:
    hardware_tab()
st.divider()
fit_section()
