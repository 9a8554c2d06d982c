"""Live compare: one prompt on a local small model and an API model at once, both streaming, measured and costed.

The runs happen in a background thread (advisor.compare); this page only polls the text queues and redraws the two
columns. Loaded models are cached per setting (st.cache_resource): a loaded model serves one run at a time behind
its own lock. Keys on this page start with `live_`.

Keys (advisor.runners.endpoints): the app's own key (OPENAI_API_KEY in the environment or Streamlit secrets) goes
only to the base URL the operator configured (OPENAI_BASE_URL, default OpenAI). A visitor who types another base URL
types a key for it too; that key stays in the visitor's session and is never stored, logged or put in a link. Text a
server sends back is shown as plain text, with the app's secrets blanked out.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from urllib.parse import urlparse

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from advisor.compare import (
    MAX_REPEAT,
    SideBySide,
    api_efforts_with_options,
    api_option_labels,
    calibrate,
    calibrate_api,
    compare,
    known_api_label,
    pick_workload,
)
from advisor.errors import AdvisorError
from advisor.present.words import plain
from advisor.runners import Measurement, Runner, RunnerError, RunSettings, make_runner
from advisor.runners.endpoints import (
    KEY_NAME,
    PRESETS,
    Scrubber,
    allowed_hosts,
    credentials_for,
    preset,
    priced_models,
)
from advisor.runners.local import DEFAULT_BUNDLED, DEFAULT_N_CTX, SPEED_MODEL
from advisor.schema.prompts import SamplePrompt
from advisor.schema.vocabulary import REASONING_EFFORTS
from pages import catalog, current_scenario, require_entrypoint
from pages.endpoint_ui import OWN_ENDPOINT, apply_preset, endpoint_fields, scrubber, server_endpoint

require_entrypoint()

RESULT_KEY = "live_result"
OWN_PROMPT = "__own__"
SIDES = {"local": "Local small model", "api": "API model"}
POLL_S = 0.05
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0"}


@st.cache_resource(max_entries=2, show_spinner="Loading the local model...")
def local_runner(model: str, n_ctx: int, threads: int) -> Runner:
    return make_runner("local", model=model, n_ctx=n_ctx, threads=threads)


OWN_MODEL = "__own_model__"
LOCAL_CHOICES = {
    DEFAULT_BUNDLED: "SmolLM2 135M Instruct (bundled): answers",
    SPEED_MODEL: "Gemma 3 270M (bundled): speed only",
}
BUNDLED_NOTES = {
    DEFAULT_BUNDLED: "Instruction-tuned: it answers in chat form, weakly, as a 135M model does. A larger "
    "instruction-tuned GGUF answers better and runs slower.",
    SPEED_MODEL: "A base model: it continues the prompt instead of answering it, so its text is not a fair answer. "
    "Use it to see speed and cost on this machine; its answers are not scored.",
}


def api_setup_help() -> str:
    server = server_endpoint()
    own = (
        f"This app has a key for **{server.base_url}**: leave the base URL empty to use it."
        if server
        else f"This app has no key of its own (the operator sets **{KEY_NAME}**, and OPENAI_BASE_URL for a server "
        "other than OpenAI, in the environment or `.streamlit/secrets.toml`)."
    )
    return (
        f"To run the API side, name the model the API serves. {own} For another endpoint, give its base URL and "
        "your key for it — Azure, OpenRouter, vLLM, Ollama or llama.cpp's `python -m llama_cpp.server` (e.g. "
        "`http://127.0.0.1:8000/v1`; any value works as the key of a local server with no auth). Your key stays "
        "in this browser session: it is never stored, logged or put in a link."
    )


def build_runners(
    model: str, n_ctx: int, threads: int, api_model: str, base: str, typed_key: str, effort: str | None = None
) -> dict[str, Runner | AdvisorError]:
    runners: dict[str, Runner | AdvisorError] = {}
    try:
        if not model.strip():
            raise RunnerError("local model: give a .gguf path or a Hugging Face repo, or choose a bundled model")
        runners["local"] = local_runner(model.strip(), n_ctx, threads)
    except AdvisorError as e:
        runners["local"] = e
    if not api_model.strip():
        runners["api"] = RunnerError(api_setup_help())
        return runners
    try:
        # Not cached: an API client is cheap to make, and a visitor's key must not outlive the visitor's run.
        credentials = credentials_for(base, typed_key, server_endpoint(), allowed_hosts(os.environ))
        runners["api"] = make_runner(
            "api",
            model=api_model.strip(),
            base_url=credentials.base_url,
            api_key=credentials.key,
            reasoning_effort=effort,
        )
    except RunnerError as e:
        runners["api"] = RunnerError(f"{e}\n\n{api_setup_help()}")
    return runners


def keep_api_latency(api_run: Measurement) -> None:
    """Offer to keep the API run's first token and speed for the catalog API model it measured: found from the
    endpoint, or chosen (a proxy or gateway in front of a provider)."""
    effort = api_run.extra.get("reasoning_effort")
    labels = api_option_labels(effort)
    if not labels:
        st.caption(
            f"No catalog API model has a setting at reasoning effort {plain(str(effort))}, so this run cannot be "
            "kept as one's latency. Run it at the model's default or at an effort the catalog lists "
            f"({', '.join(api_efforts_with_options())})."
        )
        return
    found = known_api_label(api_run.model, str(api_run.extra.get("base_url", "")), effort=effort)
    label_column, button_column = st.columns([3, 2], vertical_alignment="bottom")
    label = label_column.selectbox(
        "Catalog API model this endpoint serves",
        labels,
        index=labels.index(found) if found else None,
        key="live_api_as",
        placeholder="Choose one to keep this run's latency",
        help="Recommendations then use this run's first token and speed, from your network and account, in place "
        "of the published figures.",
    )
    if button_column.button(
        "Use the API run's latency", icon=":material/speed:", key="live_calibrate_api", disabled=label is None
    ):
        try:
            message = calibrate_api(api_run, str(label))
        except AdvisorError as e:
            st.error(str(e))
        else:
            st.success(f"{plain(message)}. Recommendations for {plain(str(label))} now say 'measured'.")


def stream_both(
    prompt: str,
    sample: SamplePrompt | None,
    task: str,
    runners: dict[str, Runner | AdvisorError],
    settings: RunSettings,
    scrub: Scrubber,
    repeat: int = 1,
) -> SideBySide:
    """Run both sides in a worker thread and redraw each column as its text arrives (the first run's text; further
    runs move the progress bar)."""
    scenario = current_scenario()
    workload = pick_workload(scenario, task)
    texts = {side: "" for side in runners}
    pieces: dict[str, queue.Queue[str]] = {side: queue.Queue() for side in runners}
    columns = st.columns(len(runners))
    slots = {}
    for column, side in zip(columns, runners, strict=True):
        with column:
            st.markdown(f"**{SIDES[side]}** · {plain(getattr(runners[side], 'label', 'not set up'))}")
            slots[side] = st.empty()
    done: list[SideBySide] = []
    progress = st.progress(0.0, text=f"Run 1 of {repeat}") if repeat > 1 else None
    runs_done = [0]

    def work() -> None:
        done.extend(
            compare(
                [sample] if sample else [prompt],
                runners,
                settings,
                scenario,
                workload,
                lambda side: pieces[side].put,
                repeat=repeat,
                on_run=lambda finished, total: runs_done.__setitem__(0, finished),
            )
        )

    worker = threading.Thread(target=work, name="live-compare", daemon=True)
    worker.start()
    while worker.is_alive() or any(not q.empty() for q in pieces.values()):
        for side, q in pieces.items():
            changed = False
            while not q.empty():
                texts[side] += q.get_nowait()
                changed = True
            if changed:
                slots[side].markdown(plain(scrub(texts[side])) + " ▌")
        if progress is not None and runs_done[0] < repeat:
            progress.progress(runs_done[0] / repeat, text=f"Run {runs_done[0] + 1} of {repeat}")
        time.sleep(POLL_S)
    return done[0]


METRIC_ROWS = {
    "First token": ("first_token_ms", "{:,.0f} ms"),
    "Decode speed": ("tokens_per_s", "{:,.1f} tokens/s"),
    "Time per output token": ("ms_per_output_token", "{:,.1f} ms"),
    "Whole answer": ("total_ms", "{:,.0f} ms"),
    "Prompt tokens": ("prompt_tokens", "{:,}"),
    "Completion tokens": ("completion_tokens", "{:,}"),
    "This request": ("cost_usd", "${:,.6f}"),
    "Monthly at the scenario's volume": ("monthly_cost_usd", "${:,.2f}"),
}


def metrics_frame(result: SideBySide) -> pd.DataFrame:
    """The measurements as text, one column per side; a figure the side could not give shows as a dash. With
    repeated runs, each timing reads "median (lowest–highest)" over the runs that succeeded."""
    data = {}
    for side, m in result.sides.items():
        spread = result.spreads.get(side)
        column = []
        for attribute, form in METRIC_ROWS.values():
            value = getattr(m, attribute)
            figure = spread.figures.get(attribute) if spread is not None and spread.count > 1 else None
            if figure is not None:
                middle, low, high = figure
                column.append(f"{form.format(middle)} ({form.format(low)}–{form.format(high)})")
            else:
                column.append("—" if value is None else form.format(value))
        if spread is not None and spread.count > 1:
            column.append(f"{spread.ok} of {spread.count} succeeded")
        data[SIDES[side]] = column
    rows = list(METRIC_ROWS)
    if any(spread.count > 1 for spread in result.spreads.values()):
        rows.append("Runs")
    return pd.DataFrame(data, index=rows)


def speed_figure(result: SideBySide) -> go.Figure:
    from plotly.subplots import make_subplots

    sides = [s for s, m in result.sides.items() if m.ok]
    figure = make_subplots(rows=1, cols=2, subplot_titles=("First token (ms)", "Decode (tokens/s)"))
    colours = {"local": "#2e7d32", "api": "#6a1b9a"}
    for column, attribute in ((1, "first_token_ms"), (2, "tokens_per_s")):
        figure.add_trace(
            go.Bar(
                x=[SIDES[s] for s in sides],
                y=[getattr(result.sides[s], attribute) or 0 for s in sides],
                marker_color=[colours[s] for s in sides],
                showlegend=False,
                hovertemplate="%{x}: %{y:,.1f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_layout(height=260, margin={"l": 10, "r": 10, "t": 30, "b": 10})
    return figure


def show_result(result: SideBySide, scrub: Scrubber) -> None:
    """The finished run; every text that came from a model or a server is shown as plain text, secrets blanked."""
    columns = st.columns(len(result.sides))
    for column, (side, m) in zip(columns, result.sides.items(), strict=True):
        with column:
            st.markdown(f"**{SIDES[side]}** · {plain(scrub(m.model)) or 'not set up'}")
            if m.ok:
                st.markdown(plain(scrub(m.text)) if m.text else "_(no text)_")
                if side in result.scores:
                    score = result.scores[side]
                    icon = {"match": ":material/check_circle:", "mismatch": ":material/cancel:"}.get(score.verdict, "")
                    st.caption(f"{icon} {score.verdict.replace('_', ' ')}: {plain(scrub(score.detail))}")
                if m.cost_basis:
                    st.caption(f"Cost: {plain(scrub(m.cost_basis))}")
            elif side == "api" and "To run the API side" in (m.error or ""):
                st.info(m.error or "", icon=":material/key:")  # not a failure: the API side is not set up yet
            else:
                if m.text:
                    st.markdown(plain(scrub(m.text)))
                st.error(plain(scrub(m.error or "failed")), icon=":material/error:")
    if any(m.ok for m in result.sides.values()):
        st.dataframe(metrics_frame(result), key="live_metrics", width="stretch")
        st.plotly_chart(speed_figure(result), key="live_chart")


# ---- the page ----------------------------------------------------------------------------------------------------

st.title("Live compare")
st.caption(
    "The same prompt on a small model running here and on an API model, at the same time: real latency, speed, "
    "tokens and cost. Keep the local run's speed to make the estimates for it measured."
)

sets = catalog().prompt_sets
scenario = current_scenario()
with st.container(border=True):
    task_column, prompt_column = st.columns([1, 2])
    with task_column:
        tasks = sorted(sets)
        default_task = next((w.task for w in scenario.workloads if w.task in sets), tasks[0])
        task = st.selectbox(
            "Task",
            tasks,
            index=tasks.index(default_task),
            format_func=lambda t: catalog().tasks[t].name if t in catalog().tasks else t,
            key="live_task",
        )
    with prompt_column:
        samples = {p.id: p for p in sets[task].prompts}
        choice = st.selectbox(
            "Prompt",
            [*samples, OWN_PROMPT],
            format_func=lambda k: "Type my own" if k == OWN_PROMPT else f"{k}: {samples[k].text[:90]}",
            key="live_prompt_choice",
        )
    sample = samples.get(choice)
    text = st.text_area(
        "Prompt text",
        value=sample.text if sample else "",
        key=f"live_text_{choice}",
        height=110,
        help="Sample prompts have an expected answer where the task has one; both answers are scored against it.",
    )
    local_column, api_column = st.columns(2)
    with local_column:
        st.markdown("**Local small model** (llama.cpp, in this process)")
        local_choice = st.selectbox(
            "Model",
            [*LOCAL_CHOICES, OWN_MODEL],
            format_func=lambda k: LOCAL_CHOICES.get(k, "Another GGUF file or Hugging Face repo"),
            key="live_local_choice",
            help="Both bundled models ship inside Python packages: nothing is downloaded.",
        )
        if local_choice == OWN_MODEL:
            model = st.text_input(
                "GGUF file or Hugging Face repo",
                key="live_local_model",
                placeholder="/models/qwen2.5-1.5b-instruct-q4_k_m.gguf or owner/repo:file.gguf",
                help="A downloaded .gguf file, or a Hugging Face repo (downloaded once, then cached).",
            )
        else:
            model = local_choice
            st.caption(BUNDLED_NOTES[local_choice])
        threads_column, context_column = st.columns(2)
        threads = threads_column.number_input(
            "Threads", min_value=1, max_value=256, value=os.cpu_count() or 1, key="live_threads"
        )
        n_ctx = context_column.number_input(
            "Context (tokens)", min_value=256, max_value=131072, value=DEFAULT_N_CTX, step=256, key="live_n_ctx"
        )
    with api_column:
        st.markdown("**API model** (any OpenAI-compatible endpoint)")
        endpoint = st.selectbox(
            "Endpoint",
            [OWN_ENDPOINT, *(p.name for p in PRESETS)],
            key="live_preset",
            on_change=apply_preset,
            args=("live",),
            help="A common endpoint fills the base URL; a key of yours goes with it.",
        )
        model_column, effort_column = st.columns([3, 2])
        api_model = model_column.text_input("Model name", key="live_api_model", placeholder="e.g. gpt-4o-mini")
        effort = effort_column.selectbox(
            "Reasoning effort",
            [None, *REASONING_EFFORTS],
            format_func=lambda e: "Model's default" if e is None else e,
            key="live_api_effort",
            help="Sent as reasoning_effort (OpenAI's reasoning models, Gemini). A run kept as an API model's "
            "latency is filed under this setting: minimal effort is its own option, and 'none' turns "
            "Gemini's thinking off.",
        )
        if endpoint != OWN_ENDPOINT:
            chosen = preset(endpoint)
            models = priced_models(chosen, catalog().api_notes)
            hint = f"Priced models here: {', '.join(models)}." if models else ""
            st.caption(" ".join(part for part in (hint, chosen.note.capitalize() + "." if chosen.note else "") if part))
        base_column, key_column = st.columns([3, 2])
        base, typed_key = endpoint_fields("live", base_column, key_column, " (e.g. http://127.0.0.1:8000/v1)")
    tokens_column, runs_column = st.columns([3, 1])
    max_tokens = tokens_column.slider("Longest answer (tokens)", 16, 512, 128, step=16, key="live_max_tokens")
    repeat = runs_column.number_input(
        "Runs",
        min_value=1,
        max_value=MAX_REPEAT,
        value=1,
        key="live_repeat",
        help="One run on a shared machine is noise: with more, each figure is the median with its range.",
    )
    run = st.button("Run both", type="primary", icon=":material/play_arrow:", key="live_run", disabled=not text.strip())

if run:
    # Made only when asked: loading a model takes seconds and memory the other pages should not pay for.
    runners = build_runners(model, int(n_ctx), int(threads), api_model, base, typed_key, effort)
    prompt_sample = sample if sample and text == sample.text else None
    settings = RunSettings(max_tokens=max_tokens)
    st.session_state[RESULT_KEY] = stream_both(text, prompt_sample, task, runners, settings, scrubber(), int(repeat))
    st.rerun()  # draw the finished result in its final layout

result: SideBySide | None = st.session_state.get(RESULT_KEY)
if result is not None:
    st.subheader("Result")
    show_result(result, scrubber())
    local = result.sides.get("local")
    if local is not None and local.ok and local.tokens_per_s:
        quant = local.extra.get("quant", "Q4_K_M")
        api_side = result.sides.get("api")
        if api_side is not None and api_side.ok and urlparse(base.strip()).hostname in LOCAL_HOSTS:
            st.warning(
                "The API server runs on this machine too: both sides shared its processor, so the local speed "
                "above is lower than it is alone. Clear the API model name and run again before keeping it.",
                icon=":material/warning:",
            )
        if st.button("Use these measurements", icon=":material/speed:", key="live_calibrate"):
            try:
                message = calibrate(local, quant)
            except AdvisorError as e:
                st.error(str(e))
            else:
                hardware = scenario.hardware.profile
                where = (
                    "The scenario runs on this machine: its costs now use them."
                    if hardware == "this-machine"
                    else f"The scenario's hardware is {hardware or 'picked by the advisor'}; choose 'This machine' "
                    "in the questionnaire to cost it here."
                )
                st.success(f"{plain(message)}. {plain(where)}", icon=":material/check:")
    api_run = result.sides.get("api")
    if api_run is not None and api_run.ok and api_run.tokens_per_s:
        keep_api_latency(api_run)
    if any(m.monthly_cost_usd for m in result.sides.values()):
        st.caption(
            f"Monthly figures are for the workload **{pick_workload(scenario, task).name}** of **{scenario.name}**: "
            "local at its hardware's cost per token (TCO engine), API at this model's price for the workload's "
            "token shape, both at its volume."
        )
