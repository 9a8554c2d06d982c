"""Hybrid lab: run a prompt set through the local small model, let a router or a self-check cascade escalate some to
an API model, and see the measured split, its cost, latency and quality; "Use this split" puts it into the
scenario, and the Recommendation's hybrid then says "measured on your prompts".

The logic is advisor.lab; this page only gathers the settings, runs `run_lab` in a worker thread (progress bar and
Cancel) and draws the result. Keys on this page start with `lab_`. The API key is handled as on Live compare
(advisor.runners.endpoints): the app's own key only for the operator's endpoint, a visitor's typed key for the URL
they type, kept in the session only and never stored, logged or linked. Answers are shown as text, never markup.
"""

from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import streamlit as st

from advisor.errors import AdvisorError
from advisor.lab import LabResult, LabSettings, make_router, parse_prompts, router_names, run_lab, sample_prompts
from advisor.lab.curve import curve_figure
from advisor.lab.split import measured_input_tokens, use_split
from advisor.present.words import plain, plural
from advisor.runners import Runner, RunnerError, make_runner
from advisor.runners.endpoints import (
    KEY_NAME,
    PRESETS,
    Scrubber,
    allowed_hosts,
    credentials_for,
)
from pages import catalog, current_scenario, require_entrypoint, set_scenario
from pages.endpoint_ui import OWN_ENDPOINT, apply_preset, endpoint_fields, scrubber, server_endpoint

require_entrypoint()

JOB_KEY = "lab_job"
RESULT_KEY = "lab_result"
SAMPLE = "Sample set from the catalog (written for this project)"
UPLOAD = "My prompts (CSV or JSONL upload)"
POLL_S = 0.1
ROUTER_WORDS = {
    "self-check": "Self-check cascade: the small model answers; its least sure answers go to the large model",
    "rule": "Rule router: labels, keywords and length decide before any model answers",
}


@dataclass
class Job:
    """A lab run in a worker thread: its progress, its cancel switch, and its result or error when done."""

    workload: str
    cancel: threading.Event = field(default_factory=threading.Event)
    progress: list[Any] = field(default_factory=lambda: [0, 1, "starting"])
    result: LabResult | None = None
    error: str | None = None
    thread: threading.Thread | None = None


@st.cache_resource(max_entries=1, show_spinner="Loading the local model...")
def local_runner() -> Runner:
    return make_runner("local")


def large_runner(api_model: str, base: str, typed_key: str) -> Runner:
    if not api_model.strip():
        raise RunnerError("API model: name the large model the API serves (e.g. gpt-4o-mini)")
    credentials = credentials_for(base, typed_key, server_endpoint(), allowed_hosts(os.environ))
    return make_runner("api", model=api_model.strip(), base_url=credentials.base_url, api_key=credentials.key)


def start(job: Job, prompts: list[Any], large: Runner, router: Any, share: float, max_tokens: int) -> None:
    scenario = current_scenario()
    workload = scenario.workload(job.workload)

    def work() -> None:
        try:
            job.result = run_lab(
                prompts,
                local_runner(),
                large,
                router,
                share,
                LabSettings(max_tokens=max_tokens),
                scenario,
                workload,
                on_progress=lambda done, total, message: job.progress.__setitem__(slice(0, 3), [done, total, message]),
                cancel=job.cancel,
            )
        except AdvisorError as e:
            job.error = str(e)
        except Exception as e:  # shown in one line; the page stays usable
            job.error = f"the run failed: {type(e).__name__}: {e}"

    job.thread = threading.Thread(target=work, name="hybrid-lab", daemon=True)
    job.thread.start()


def money(value: float | None, digits: int = 4) -> str:
    return "-" if value is None else f"${value:,.{digits}f}"


def share(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def prompt_table(result: LabResult, scrub: Scrubber) -> pd.DataFrame:
    rows = []
    for p in result.prompts:
        rows.append(
            {
                "Prompt": p.prompt.id,
                "Label": p.prompt.label or "",
                "Route": "-" if p.escalated is None else ("large" if p.escalated else "small"),
                "Why": p.decision.reason if p.decision else p.status,
                "Small answer": scrub(p.small.text) if p.small else "",
                "Large answer": scrub(p.large.text) if p.large else "",
                "Small": p.small_verdict or "",
                "Large": p.large_verdict or "",
                "Cost (USD)": p.hybrid_cost_usd,
                "Time (ms)": p.hybrid_ms,
                "Status": p.status if p.error is None else f"{p.status}: {scrub(p.error)}",
            }
        )
    return pd.DataFrame(rows)


def failure_line(result: LabResult, scrub: Scrubber) -> str:
    """One line: which prompts failed (left out of the totals) and the first failure's cause, as text."""
    failed = result.failed
    verb = "failed and is" if len(failed) == 1 else "failed and are"
    first = next(p.error or "" for p in result.prompts if p.status == "failed")
    return plain(f"{plural(len(failed), 'prompt')} {verb} left out of the totals: {', '.join(failed)}. {scrub(first)}")


def show(result: LabResult, scrub: Scrubber) -> None:
    costs, latency, quality = result.costs(), result.latency(), result.quality()
    per = costs["per_1000_requests_usd"]
    if result.cancelled:
        st.warning(
            f"Cancelled: {plural(len(result.finished), 'prompt')} finished; {len(result.not_run):,} did not run."
        )
    if result.failed:
        st.error(failure_line(result, scrub), icon=":material/error:")
    a, b, c, d = st.columns(4)
    a.metric("Kept on the small model", share(result.small_share), help="The routed share, over finished prompts.")
    b.metric("Escalated", share(result.escalation_share))
    c.metric("Hybrid, per 1,000 requests", money(per["hybrid"]))
    d.metric("Quality vs the large model", share(quality["quality_vs_large"]))
    st.caption(
        plain(
            f"{result.router_label}; {len(result.finished):,} of {plural(len(result.prompts), 'prompt')} finished in "
            f"{result.elapsed_s:,.1f} s (routing overhead {result.overhead_ms_per_prompt:,.2f} ms a prompt)."
        )
    )
    st.subheader("Cost and latency")
    comparison = pd.DataFrame(
        {
            "Cost per 1,000 requests": [money(per["hybrid"]), money(per["all_large"]), money(per["all_small"])],
            "Latency p50": [
                "-" if latency[k]["p50_ms"] is None else f"{latency[k]['p50_ms']:,.0f} ms"
                for k in ("hybrid", "large", "small")
            ],
            "Latency p95": [
                "-" if latency[k]["p95_ms"] is None else f"{latency[k]['p95_ms']:,.0f} ms"
                for k in ("hybrid", "large", "small")
            ],
            "Accuracy": [
                share(quality["hybrid_accuracy"]),
                share(quality["all_large_accuracy"]),
                share(quality["all_small_accuracy"]),
            ],
        },
        index=["This split", "All large", "All small"],
    )
    st.dataframe(comparison, key="lab_costs")
    st.caption(plain(f"Local side: {costs['small_basis']}. Large side: {costs['large_basis']}."))
    st.subheader("Quality against the share kept small")
    st.plotly_chart(curve_figure(result), key="lab_curve")
    if not result.curve:
        st.caption("The curve needs prompts with an expected answer that the large model got right at least once.")
    st.subheader("Every prompt")
    st.dataframe(prompt_table(result, scrub), key="lab_table", hide_index=True)


st.title("Hybrid lab")
st.markdown(
    "Measure a hybrid on **your** prompts: every prompt goes through the local small model, a router or a "
    "self-check cascade sends some to a large API model, and you see the split it reached, what it costs per "
    "1,000 requests against all-large and all-small, how fast it answers and how good the answers are."
)
scenario = current_scenario()
names = [w.name for w in scenario.workloads]
left, right = st.columns(2)
with left:
    source = st.radio("Prompts", [SAMPLE, UPLOAD], key="lab_source", horizontal=True)
    prompts: list[Any] = []
    if source == UPLOAD:
        upload = st.file_uploader(
            "CSV or JSONL: a `prompt` column; optional `expected`, `label`, `match`, `id`",
            type=["csv", "jsonl", "json", "txt"],
            key="lab_upload",
        )
        if upload is not None:
            try:
                prompts = parse_prompts(upload.getvalue(), upload.name)
            except AdvisorError as e:
                st.error(plain(str(e)), icon=":material/error:")
            else:
                st.caption(plain(f"{upload.name}: {plural(len(prompts), 'prompt')}."))
    else:
        prompts = sample_prompts()
    workload_name = st.selectbox("Workload", names, key="lab_workload")
    workload = scenario.workload(workload_name)
    default_share = catalog().task_routing(workload.task).small_share
    router_name = st.selectbox("Router", router_names(), key="lab_router", format_func=lambda n: ROUTER_WORDS.get(n, n))
    target = st.slider(
        "Target share kept on the small model",
        0.0,
        1.0,
        float(default_share),
        0.05,
        key="lab_share",
        help="The router's threshold is calibrated on your prompts to reach it. The default is the catalog's share "
        "for this task kind, the figure the Recommendation assumes today.",
    )
    options: dict[str, Any] = {}
    if router_name == "rule":
        keywords = st.text_input("Keywords that escalate (comma-separated)", key="lab_keywords")
        labels = st.text_input("Labels that escalate (comma-separated)", key="lab_labels")
        options = {
            "keywords": [k.strip() for k in keywords.split(",") if k.strip()],
            "escalate_labels": [k.strip() for k in labels.split(",") if k.strip()],
        }
with right:
    st.markdown("**Large model** (any OpenAI-compatible endpoint)")
    endpoint = st.selectbox(
        "Endpoint", [OWN_ENDPOINT, *(p.name for p in PRESETS)], key="lab_preset", on_change=apply_preset, args=("lab",)
    )
    api_model = st.text_input("Model name", key="lab_api_model", placeholder="e.g. gpt-4o-mini")
    base, typed_key = endpoint_fields("lab")
    if not server_endpoint():
        st.caption(f"This app has no key of its own ({KEY_NAME}); type one for the endpoint you choose.")
    max_tokens = st.slider("Longest answer (tokens)", 4, 256, 48, step=4, key="lab_max_tokens")
    st.caption("The small model is the bundled SmolLM2 135M Instruct, on this machine.")


def collect(job: Job) -> None:
    """Keep a finished job's result (or error) for the page, and forget the job."""
    if job.result is not None:
        st.session_state[RESULT_KEY] = (job.workload, job.result)
    if job.error is not None:
        st.session_state["lab_error"] = job.error
    st.session_state.pop(JOB_KEY, None)


job: Job | None = st.session_state.get(JOB_KEY)
running = job is not None and job.thread is not None and job.thread.is_alive()
if job is not None and not running:
    collect(job)  # it finished while no run of this page was watching it
    job = None
if running and st.session_state.get("lab_cancel"):
    assert job is not None
    job.cancel.set()
run = st.button(
    "Run the lab", type="primary", icon=":material/science:", key="lab_run", disabled=running or not prompts
)
if run and not running:
    try:
        large = large_runner(api_model, base, typed_key)
        router = make_router(router_name, **options)
    except AdvisorError as e:
        st.error(plain(scrubber(typed_key)(str(e))), icon=":material/error:")
    else:
        job = Job(workload_name)
        st.session_state[JOB_KEY] = job
        st.session_state.pop(RESULT_KEY, None)
        start(job, prompts, large, router, target, int(max_tokens))
        running = True

if running and job is not None and job.thread is not None:
    st.button("Cancel", icon=":material/stop:", key="lab_cancel")
    bar = st.progress(0.0, text="Starting...")
    while job.thread.is_alive():
        done, total, message = job.progress
        bar.progress(min(done / max(total, 1), 1.0), text=plain(f"{done} of {total}: {message}"))
        time.sleep(POLL_S)
    collect(job)
    st.rerun()

scrub = scrubber(typed_key)  # the runner scrubs the key from its messages; this also covers anything else shown
if error := st.session_state.pop("lab_error", None):
    st.error(plain(scrub(error)), icon=":material/error:")
stored = st.session_state.get(RESULT_KEY)
if stored is not None:
    measured_for, result = stored
    st.divider()
    show(result, scrub)
    mean, longest = measured_input_tokens(result)
    with_tokens = st.checkbox(
        f"Also use the prompts' size: {mean:,} tokens in on average (the longest {longest:,})",
        key="lab_use_tokens",
        help="Sets the workload's input tokens to the prompts' mean, and its context to hold the longest prompt "
        "with its answer, counted with the large model's tokenizer.",
    )
    if st.button("Use this split", icon=":material/call_split:", key="lab_use", disabled=not result.finished):
        try:
            set_scenario(use_split(current_scenario(), measured_for, result, tokens=with_tokens))
        except AdvisorError as e:
            st.error(plain(str(e)))
        else:
            st.success(
                plain(
                    f"Saved on {measured_for}: the Recommendation's {result.pattern} hybrids now keep "
                    f"{result.small_share:.0%} on the small model, measured on your prompts."
                ),
                icon=":material/check:",
            )
