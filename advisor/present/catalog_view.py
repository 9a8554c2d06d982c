"""What the app's Catalog page shows, without the page: table filters, source links, fit answers and the memory bar.

Filters work on `catalog_rows` output, so the page, the CLI listing and the tests count the same rows.
An empty choice in a multi-choice filter means "no restriction", as users expect from a filter bar.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from advisor.data.catalog import LLAMA_CPP, THIS_MACHINE, Catalog, default_catalog
from advisor.data.measurements import api_measured
from advisor.engine.api_latency import latency_basis
from advisor.engine.fit import (
    BATCH_CANDIDATES,
    QUANT_PREFERENCE,
    FitResult,
    best_quant,
    fit_deployment,
    make_deployment,
)
from advisor.engine.options import api_capability
from advisor.errors import FitError, UnknownIdError
from advisor.present.words import gb, plain
from advisor.schema.catalog import RENT_CLASSES, ApiModelNote, HardwareProfile, Rent, RentClass

if TYPE_CHECKING:
    import plotly.graph_objects as go

Row = dict[str, Any]
Priced = Literal["any", "buy", "rent"]

AUTO_QUANT = "auto"
"""Quantisation choice meaning: the best one that fits (advisor.engine.fit.best_quant)."""
FIT_QUANTS = (AUTO_QUANT, *QUANT_PREFERENCE, "F16")
PARAM_STEPS_B = (0.1, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0)
"""Stops for the parameter-range slider: doubling steps, since the catalog spans 0.1B to 120B."""
CONTEXT_STEPS = (0, 4_096, 8_192, 16_384, 32_768, 65_536, 131_072, 200_000, 1_000_000)
DEFAULT_FIT_MODEL = "llama-3.1-8b-instruct"
DEFAULT_FIT_HARDWARE = "rtx-4090"
HARDWARE_KIND_LABELS = {
    "consumer_gpu": "Consumer GPU",
    "datacenter_gpu": "Datacenter GPU",
    "apple_silicon": "Apple silicon",
    "cpu": "CPU",
    "edge": "Edge device",
}


RENT_CLASS_LABELS: dict[str, str] = {
    "hyperscaler": "Hyperscaler (AWS, Azure, Google Cloud)",
    "neocloud": "Neocloud (Lambda, CoreWeave, RunPod Secure ...)",
    "marketplace": "Marketplace (RunPod Community, Vast.ai ...)",
}
"""How each rent class (assumptions.rent_class) is named to people."""


def rent_band_text(profile: HardwareProfile, provider_class: RentClass) -> str | None:
    """A class's rents per device-hour as "low-high" USD ("1.09-2.25"), one figure when they agree; None: no rent."""
    band = profile.rent_band(provider_class)
    if band is None:
        return None
    low, high = f"{band.low:.2f}", f"{band.high:.2f}"
    return low if low == high else f"{low}-{high}"


def rents_as_of(profile: HardwareProfile) -> str | None:
    """When a card's rents were read: the oldest and newest dates ("2025-03-06 to 2026-11-16"), and how many are
    undated; None when it has no rents."""
    return rent_dates(profile.rents) if profile.rents else None


def rent_dates(rents: Iterable[Rent]) -> str:
    """The span of dates some rents were read on ("2025-03-06 to 2026-11-16"), and how many are undated."""
    rents = list(rents)
    dated = sorted(r.as_of for r in rents if not r.as_of.startswith("undated"))
    undated = len(rents) - len(dated)
    parts = []
    if dated:
        parts.append(dated[0] if dated[0] == dated[-1] else f"{dated[0]} to {dated[-1]}")
    if undated:
        parts.append(f"{undated} undated")
    return "; ".join(parts)


def rent_rows(catalog: Catalog | None = None, search: str | None = None) -> list[Row]:
    """One row per published rent (card, class, provider, offer, USD/h, date, source): what the bands are made of."""
    cat = catalog or default_catalog()
    rows: list[Row] = [
        {
            "hardware": h.id,
            "provider_class": r.provider_class,
            "provider": r.provider,
            "offer": r.offer,
            "usd_per_hour": r.usd_per_hour,
            "as_of": r.as_of,
            "source": r.source,
            "origin": r.origin,
        }
        for h in sorted(cat.hardware.values(), key=lambda h: (h.kind, h.memory_gb, h.id))
        for r in sorted(h.rents, key=lambda r: (RENT_CLASSES.index(r.provider_class), r.usd_per_hour))
    ]
    if search:
        needle = search.lower()
        rows = [row for row in rows if any(needle in str(value).lower() for value in row.values())]
    return rows


def rents_markdown(rows: list[Row]) -> list[str]:
    """`rent_rows` as Markdown, one block per card: its name, then one line per rent with the page it was read in.
    Catalog text is escaped (words.plain); only the links are markup."""
    blocks = []
    for card in dict.fromkeys(row["hardware"] for row in rows):
        lines = [
            f"- {row['provider_class']}: {plain(row['provider'])}, {plain(row['offer'])}: "
            f"**{row['usd_per_hour']:.2f} USD/h**, {plain(row['as_of'])} ([read in]({row['source']}))"
            for row in rows
            if row["hardware"] == card
        ]
        blocks.append(f"**{plain(card)}**\n\n" + "\n".join(lines))
    return blocks


def engine_markdown(row: Row) -> str:
    """One `engine_rows` row as a Markdown list item: what it batches, its limit, where it runs and by default."""
    return (
        f"- **{plain(row['name'])}** ({plain(row['id'])}): {plain(row['batching'])}, up to "
        f"{row['max_sequences']:,} sequences; runs on {plain(row['runs_on'].replace('_', ' '))}; default on "
        f"{plain(row['default_on'].replace('_', ' ')) or 'none'}; precisions {plain(row['precisions'])}"
    )


def distinct(rows: Iterable[Row], column: str) -> list[str]:
    """Sorted distinct non-empty values of `column`: the options of a multiselect filter."""
    return sorted({str(row[column]) for row in rows if row.get(column) not in (None, "")}, key=str.lower)


def _known(value: Any) -> bool:
    # API rows carry NaN where genai-prices has no context window; NaN compares false against everything.
    return value is not None and value == value


def filter_models(
    rows: Iterable[Row],
    families: Collection[str] = (),
    params_b: tuple[float, float] | None = None,
    min_context: int = 0,
    licenses: Collection[str] = (),
) -> list[Row]:
    """Open-weight model rows within the chosen families, total-parameter range (inclusive), context and licences."""
    low, high = params_b if params_b is not None else (0.0, float("inf"))
    return [
        row
        for row in rows
        if (not families or row["family"] in families)
        and low <= row["params_b"] <= high
        and row["context_tokens"] >= min_context
        and (not licenses or row["license"] in licenses)
    ]


def filter_api_models(
    rows: Iterable[Row],
    providers: Collection[str] = (),
    max_input_usd_per_mtok: float | None = None,
    min_context: int = 0,
    compared_only: bool = False,
) -> list[Row]:
    """API rows from the chosen providers, at most the input price, at least the context window.

    A row whose context window genai-prices does not know passes only when no minimum is asked for. `compared_only`
    keeps the models the catalog has notes on (capability tier, latency class), the ones the advisor ranks.
    """
    return [
        row
        for row in rows
        if (not providers or row["provider"] in providers)
        and (max_input_usd_per_mtok is None or row["input_usd_per_mtok"] <= max_input_usd_per_mtok)
        and (min_context <= 0 or (_known(row["context_window"]) and row["context_window"] >= min_context))
        and (not compared_only or row.get("capability_tier") is not None)
    ]


def filter_hardware(
    rows: Iterable[Row], kinds: Collection[str] = (), min_memory_gb: float = 0.0, priced: Priced = "any"
) -> list[Row]:
    """Hardware rows of the chosen kinds with at least `min_memory_gb`, optionally only those with a buy/rent price."""
    price_column = {"any": None, "buy": "purchase_usd", "rent": "cloud_usd_per_hour"}[priced]
    return [
        row
        for row in rows
        if (not kinds or row["kind"] in kinds)
        and row["memory_gb"] >= min_memory_gb
        and (price_column is None or _known(row[price_column]))
    ]


def with_details(kind: str, rows: Iterable[Row], catalog: Catalog) -> list[Row]:
    """Rows plus what the table shows beyond `catalog_rows`: a source link per entry, the advisor's API notes.

    Models link to their Hugging Face repo (else the source of their parameter count), hardware to the source of
    its memory figure and gains a readable kind; API rows gain the catalog's capability tier and size class where
    it has a note.
    """
    if kind == "models":
        return [{**row, "source": _model_link(catalog, row["id"])} for row in rows]
    if kind == "hardware":
        return [
            {
                **row,
                "kind_label": HARDWARE_KIND_LABELS.get(row["kind"], row["kind"]),
                "source": catalog.hardware_profile(row["id"]).sources.get("memory"),
            }
            for row in rows
        ]
    if kind == "api-models":
        notes = {(note.provider, note.model): note for note in catalog.api_notes}
        detailed = []
        for row in rows:
            note = notes.get((row["provider"], row["model"]))
            detailed.append(
                {
                    **row,
                    "capability_tier": api_capability(note, catalog) if note else None,
                    "size_class": note.size_class.upper() if note else None,
                    "latency_basis": (
                        latency_basis(note, api_measured(catalog.measurements, f"{note.provider}/{note.model}"))
                        if note
                        else None
                    ),
                    "reasoning_settings": reasoning_settings_text(note) if note else None,
                }
            )
        return detailed
    return list(rows)


def _model_link(catalog: Catalog, model_id: str) -> str | None:
    model = catalog.models[model_id]
    if model.hf_repo:
        return f"https://huggingface.co/{model.hf_repo}"
    source = model.sources.get("params")
    return source if source and source.startswith("http") else None


def default_fit_model(catalog: Catalog) -> str:
    """The model the fit section opens with: a common 8B model, else the smallest in the catalog."""
    if DEFAULT_FIT_MODEL in catalog.models:
        return DEFAULT_FIT_MODEL
    return min(catalog.models.values(), key=lambda m: (m.params_b, m.id)).id


def default_fit_hardware(catalog: Catalog, scenario_profile: str | None) -> str:
    """The scenario's hardware when it names a catalog profile, else a 24 GB consumer GPU, else the first profile.

    'this-machine' is not offered: in a browser it would describe the server, not the user's machine.
    """
    for candidate in (scenario_profile, DEFAULT_FIT_HARDWARE):
        if candidate and candidate in catalog.hardware:
            return candidate
    return sorted(catalog.hardware)[0]


@dataclass(frozen=True)
class FitAnswer:
    """A fit result and how its quantisation was chosen."""

    fit: FitResult
    auto_quant: bool  # chosen by best_quant rather than by the user
    nothing_fits: bool  # auto and not even the smallest quantisation fits: `fit` shows the smallest


def answer_fit(
    model_id: str,
    hardware_id: str,
    quant: str = AUTO_QUANT,
    context_tokens: int = 4096,
    concurrency: int = 1,
    count: int = 1,
    catalog: Catalog | None = None,
) -> FitAnswer:
    """Fit of a model on `count` devices; `quant` AUTO_QUANT picks the highest-quality one that fits.

    Raises FitError for a context longer than the model's native window: the fit figures would describe a
    deployment that cannot serve the request at all.
    """
    cat = catalog or default_catalog()
    model = cat.model(model_id)
    hardware = cat.hardware_profile(hardware_id)
    if context_tokens < 1:
        raise FitError(f"context: must be >= 1, got {context_tokens}")
    if concurrency < 1:
        raise FitError(f"concurrency: must be >= 1, got {concurrency}")
    if context_tokens > model.context_tokens:
        raise FitError(
            f"context: {model.id} reads at most {model.context_tokens:,} tokens, asked for {context_tokens:,}; "
            "lower the context or pick a model with a longer window"
        )
    nothing_fits = False
    if quant == AUTO_QUANT:
        deployment = best_quant(model, hardware, context_tokens, concurrency, count, catalog=cat)
        if deployment is None:
            nothing_fits = True
            deployment = make_deployment(model, hardware, QUANT_PREFERENCE[-1], count, cat)
    else:
        deployment = make_deployment(model, hardware, quant, count, cat)
    return FitAnswer(fit_deployment(deployment, context_tokens, concurrency), quant == AUTO_QUANT, nothing_fits)


def context_label(tokens: int) -> str:
    """A minimum-context choice as model cards write it: 'Any', '128K+' (131,072), '200K+', '1M+'."""
    if tokens == 0:
        return "Any"
    if tokens >= 1_000_000:
        return f"{tokens // 1_000_000}M+"
    # Windows are powers of two (131,072 is "128K") or round thousands (200,000 is "200K").
    return f"{tokens // 1024}K+" if tokens % 1024 == 0 else f"{tokens // 1000}K+"


def params_label(billions: float) -> str:
    """A parameter count the way model names write it: 0.25 -> '250M', 8 -> '8B'."""
    return f"{billions * 1000:g}M" if billions < 1 else f"{billions:g}B"


def headroom_text(fit: FitResult) -> str:
    """Signed spare memory, e.g. '+6.2 GB' (fits) or '-18.3 GB' (over)."""
    spare = fit.available_gb - fit.total_gb
    return ("+" if spare >= 0 else "-") + gb(abs(spare))


def fit_headline(fit: FitResult, catalog: Catalog | None = None) -> str:
    """One sentence: fits or not, how much is needed and available, by how much it is over or under.

    With a catalog, the model and hardware are named as people know them; without, by their catalog ids."""
    model, hardware = fit.model, fit.hardware
    if catalog is not None:
        model = catalog.models[fit.model].name if fit.model in catalog.models else fit.model
        hardware = catalog.hardware[fit.hardware].name if fit.hardware in catalog.hardware else fit.hardware
    devices = hardware if fit.count == 1 and catalog is not None else f"{fit.count} × {hardware}"
    spare = fit.available_gb - fit.total_gb
    if fit.fits:
        return (
            f"Fits: {model} at {fit.quant} needs {gb(fit.total_gb)} of the {gb(fit.available_gb)} "
            f"usable on {devices}, {gb(spare)} to spare."
        )
    return (
        f"Does not fit: {model} at {fit.quant} needs {gb(fit.total_gb)}, {devices} has {gb(fit.available_gb)} "
        f"usable, {gb(-spare)} over."
    )


def memory_figure(fit: FitResult) -> go.Figure:
    """One horizontal bar, weights + KV cache + runtime overhead stacked, against a line at usable memory."""
    import plotly.graph_objects as go

    figure = go.Figure()
    parts = (
        ("Weights", fit.weights_gb, "#4c78a8"),
        ("KV cache", fit.kv_cache_gb, "#f58518"),
        ("Runtime overhead", fit.overhead_gb, "#bab0ac"),
    )
    for name, value, color in parts:
        figure.add_trace(
            go.Bar(
                x=[value],
                y=["Needed"],
                name=f"{name} {gb(value)}",
                orientation="h",
                marker={"color": color},
                hovertemplate=f"{name}: {gb(value)}<extra></extra>",
            )
        )
    limit_color = "#2ca02c" if fit.fits else "#d62728"
    figure.add_vline(
        x=fit.available_gb,
        line={"color": limit_color, "dash": "dash", "width": 2},
        annotation={"text": f"usable {gb(fit.available_gb)}", "font": {"color": limit_color}},
        annotation_position="top",
    )
    figure.update_layout(
        barmode="stack",
        height=200,
        # Room on both sides for the first and last tick labels ("0 GB", "40 GB"), above for the usable-memory note.
        margin={"l": 24, "r": 36, "t": 36, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.35, "xanchor": "left", "x": 0, "traceorder": "normal"},
        xaxis={
            "title": None,
            "ticksuffix": " GB",
            "range": [0, max(fit.total_gb, fit.available_gb) * 1.12],
            "nticks": 6,
            "automargin": True,
        },
        yaxis={"visible": False},
        showlegend=True,
    )
    return figure


def reasoning_settings_text(note: ApiModelNote) -> str | None:
    """A reasoning model's settings as the catalog table shows them: the default, then each other setting (an option
    of its own, labelled "provider/model (setting)") with the `reasoning_effort` a live run sends to measure it."""
    reasoning = note.reasoning
    if reasoning is None:
        return None
    others = [f"{v.label} (reasoning_effort {v.sent_effort})" for v in reasoning.variants]
    return "; ".join([f"{reasoning.default_effort} (default)", *others])


def catalog_rows(kind: str, catalog: Catalog | None = None, search: str | None = None) -> list[dict[str, Any]]:
    """Flat rows for `advisor catalog KIND` and the app's tables, filtered by a case-insensitive search."""
    cat = catalog or default_catalog()
    rows: list[dict[str, Any]]
    if kind == "models":
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "family": m.family,
                "params_b": m.params_b,
                "active_params_b": m.active_b,
                "layers": m.architecture.layers,
                "kv_heads": m.architecture.kv_heads,
                "context_tokens": m.context_tokens,
                "license": m.license,
                "mmlu": m.score("mmlu"),
            }
            for m in sorted(cat.models.values(), key=lambda m: (m.params_b, m.id))
        ]
    elif kind == "hardware":
        # Every profile, then the machine the advisor runs on (`this-machine`, detected and measured here), which
        # every command accepts as a hardware id too.
        listed = sorted(cat.hardware.values(), key=lambda h: (h.kind, h.memory_gb, h.id))
        profiles = [*listed, cat.hardware_profile(THIS_MACHINE)]
        rows = [
            {
                "id": h.id,
                "name": h.name,
                "kind": h.kind,
                "memory_gb": h.memory_gb,
                "bandwidth_gbs": h.memory_bandwidth_gbs,
                "fp16_tflops": h.fp16_tflops,
                "power_w": h.power_w,
                "purchase_usd": h.purchase_usd,
                "cloud_usd_per_hour": h.cloud_usd_per_hour,
                **{f"rent_{cls}": rent_band_text(h, cls) for cls in RENT_CLASSES},
                "rents_as_of": rents_as_of(h),
            }
            for h in profiles
        ]
    elif kind == "tasks":
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
                "capability": t.capability,
                "nature": t.nature,
            }
            for t in cat.tasks.values()
        ]
    elif kind == "api-models":
        frame = cat.price_table().frame()
        rows = frame.to_dict(orient="records")
    elif kind == "engines":
        rows = engine_rows(cat)
    else:
        raise UnknownIdError("catalog listing", kind, ["models", "api-models", "hardware", "tasks", "engines"])
    if search:
        needle = search.lower()
        rows = [row for row in rows if any(needle in str(value).lower() for value in row.values())]
    return rows


def engine_rows(catalog: Catalog) -> list[dict[str, Any]]:
    """The serving engines a self-hosted option may run under (efficiency.yaml): where each runs, what it batches,
    the precisions it serves, and where its figures come from. A scenario picks one with `hardware.engine`."""
    precisions = {q.id: q.engines for q in catalog.quantizations.values()}
    defaults: dict[str, str] = {str(kind): engine for kind, engine in catalog.efficiency.default_engine.items()}
    rows = [
        {
            "id": LLAMA_CPP,
            "name": LLAMA_CPP,
            "batching": "slots (KV cache reserved per slot)",
            "max_sequences": BATCH_CANDIDATES[-1],
            "runs_on": ", ".join(catalog.engine_kinds(LLAMA_CPP)),
            "default_on": ", ".join(
                k for k in catalog.engine_kinds(LLAMA_CPP) if defaults.get(k, LLAMA_CPP) == LLAMA_CPP
            ),
            "precisions": ", ".join(q for q, engines in precisions.items() if LLAMA_CPP in engines),
            "source": catalog.efficiency.request_overhead_source,
        }
    ]
    for engine_id, serving in catalog.efficiency.engines.items():
        rows.append(
            {
                "id": engine_id,
                "name": serving.name,
                "batching": serving.batching + (", paged KV cache" if serving.kv_paged else ""),
                "max_sequences": serving.max_batch,
                "runs_on": ", ".join(catalog.engine_kinds(engine_id)),
                "default_on": ", ".join(k for k, e in defaults.items() if e == engine_id),
                "precisions": ", ".join(q for q, engines in precisions.items() if engine_id in engines),
                "source": serving.source,
            }
        )
    return rows
