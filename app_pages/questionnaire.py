"""Questionnaire: the scenario as questions an architect can answer, checked field by field, then the verdict.

Widgets hold a draft; "Get the recommendation" validates the whole draft and, when it is a valid scenario, makes it
the session's scenario and opens the Recommendation page. A problem is shown under its own field and nothing the
user typed is lost, not even across pages: the draft is kept in session state (widget keys are dropped by Streamlit
when their page is not shown). Keys on this page start with `q_`; a workload's keys carry its slot number, so
removing one workload does not shift another's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

import streamlit as st
from pydantic import BaseModel
from pydantic.fields import FieldInfo

from advisor.errors import AdvisorError
from advisor.examples import example_scenarios
from advisor.questionnaire import (
    SCENARIO_LEVEL,
    blank_scenario,
    form_problems,
    parse_languages,
    unused_workload_name,
    workload_defaults,
)
from advisor.scenario import (
    PRIVACY_MEANINGS,
    Assumptions,
    Constraints,
    HardwareChoice,
    Scenario,
    Workload,
    parse_scenario,
)
from advisor.share import QUERY_KEY, encode_scenario
from app_pages.app_state import catalog, current_scenario, set_scenario

DRAFT_KEY, PROBLEMS_KEY, GO_KEY = "q_draft", "q_problems", "q_go"
BLANK = "blank"

QUALITY_WORDS = {
    "basic": "Basic — narrow answers that are easy to check (a label, a field, a routing decision)",
    "standard": "Standard — good everyday answers (support replies, summaries, RAG answers)",
    "frontier": "Frontier — the best available (hard reasoning, expert drafting, open-ended research)",
}
DEPLOYMENT_WORDS = {
    "any": "Any — the advisor may pick an API or self-hosting",
    "local_only": "Local only — nothing leaves our machines",
    "api_only": "API only — we will not host a model ourselves",
}
OWNERSHIP_WORDS = {"rented": "Rent it (cloud, per hour)", "owned": "Own it (buy, amortised)"}


@dataclass(frozen=True)
class Number:
    """A number the form asks for: the schema field it fills and the question in an architect's words."""

    model: type[BaseModel]
    name: str
    label: str
    step: float
    format: str | None = None
    empty: str | None = None  # placeholder when the field may be left empty (None)

    @property
    def info(self) -> FieldInfo:
        return self.model.model_fields[self.name]

    @property
    def integer(self) -> bool:
        return self.info.annotation is int or int in get_args(self.info.annotation)

    @property
    def nullable(self) -> bool:
        return type(None) in get_args(self.info.annotation)


MAIN_NUMBERS = [
    Number(Workload, "requests_per_day", "How many requests a day?", 1000, "%.0f"),
    Number(Workload, "input_tokens", "Tokens in per request (prompt + context)", 50),
    Number(Workload, "output_tokens", "Tokens out per answer", 50),
    Number(
        Workload, "latency_p95_first_token_ms", "How fast must the first words appear? (ms)", 100, "%.0f", "no target"
    ),
    Number(Workload, "latency_p95_total_ms", "How long may a whole answer take? (ms)", 1000, "%.0f", "no target"),
]
MORE_NUMBERS = [
    Number(Workload, "peak_factor", "Busiest hour ÷ average hour", 0.5, "%.1f"),
    Number(Workload, "cached_input_share", "Share of input an API can cache", 0.05, "%.2f"),
    Number(Workload, "context_tokens", "Longest context one request needs (tokens)", 1024, None, "input + output"),
]
MONEY_NUMBERS = [
    Number(Assumptions, "electricity_usd_per_kwh", "Electricity (USD per kWh)", 0.01, "%.2f"),
    Number(Assumptions, "amortization_months", "Write owned hardware off over (months)", 6, "%.0f"),
    Number(Assumptions, "ops_usd_per_month", "Staff and upkeep for self-hosting (USD/month)", 100, "%.0f"),
    Number(Assumptions, "hours_per_day", "Hours a day self-hosted capacity runs", 1, "%.0f"),
    Number(Assumptions, "days_per_month", "Days of traffic a month", 1, "%.0f"),
]
WORKLOAD_FIELDS = [n.name for n in MAIN_NUMBERS + MORE_NUMBERS] + [
    "name",
    "task",
    "quality",
    "languages",
    "domain_data",
]


# ---- widget keys and the draft -----------------------------------------------------------------------------------


def wkey(slot: int, field: str) -> str:
    return f"q_w{slot}_{field}"


def skey(field: str) -> str:
    return f"q_{field}"


def as_number(value: Any, integer: bool) -> int | float | None:
    if value is None:
        return None
    return int(value) if integer else float(value)


def draft_from_scenario(scenario: Scenario) -> dict[str, Any]:
    """Widget values for every answer in `scenario`; slots 0..n-1 hold its workloads."""
    values: dict[str, Any] = {
        skey("name"): scenario.name,
        skey("privacy"): scenario.constraints.privacy,
        skey("allowed_providers"): list(scenario.constraints.allowed_providers),
        skey("deployment"): scenario.constraints.deployment,
        skey("profile"): scenario.hardware.profile,
        skey("count"): scenario.hardware.count,
        skey("ownership"): scenario.hardware.ownership,
    }
    for number in MONEY_NUMBERS:
        values[skey(number.name)] = as_number(getattr(scenario.assumptions, number.name), number.integer)
    for slot, workload in enumerate(scenario.workloads):
        values.update(workload_values(slot, workload.model_dump()))
    return {"slots": list(range(len(scenario.workloads))), "values": values, "base": scenario.model_dump_json()}


def workload_values(slot: int, workload: dict[str, Any]) -> dict[str, Any]:
    defaults = Workload.model_fields
    values = {
        wkey(slot, "name"): workload["name"],
        wkey(slot, "task"): workload["task"],
        wkey(slot, "quality"): workload.get("quality", defaults["quality"].default),
        wkey(slot, "languages"): ", ".join(workload.get("languages") or ["en"]),
        wkey(slot, "domain_data"): bool(workload.get("domain_data", False)),
    }
    for number in MAIN_NUMBERS + MORE_NUMBERS:
        value = workload.get(number.name, number.info.default)
        values[wkey(slot, number.name)] = as_number(value, number.integer)
    return values


def scenario_data(draft: dict[str, Any]) -> dict[str, Any]:
    """The draft as scenario file v1 data, in the file's own key order."""
    values = draft["values"]
    workloads = []
    for slot in draft["slots"]:
        workload: dict[str, Any] = {field: values[wkey(slot, field)] for field in WORKLOAD_FIELDS}
        workload["languages"] = parse_languages(values[wkey(slot, "languages")] or "")
        workloads.append(workload)
    return {
        "version": 1,
        "name": values[skey("name")],
        "workloads": workloads,
        "constraints": {
            "privacy": values[skey("privacy")],
            "allowed_providers": values[skey("allowed_providers")],
            "deployment": values[skey("deployment")],
        },
        "hardware": {
            "profile": values[skey("profile")],
            "count": values[skey("count")],
            "ownership": values[skey("ownership")],
        },
        "assumptions": {
            **current_scenario().assumptions.model_dump(include={"currency"}),
            **{number.name: values[skey(number.name)] for number in MONEY_NUMBERS},
        },
    }


def problem_keys(draft: dict[str, Any], problems: dict[str, str]) -> dict[str, str]:
    """Problems by the widget key they belong to; those that belong to no widget go under SCENARIO_LEVEL."""
    by_key: dict[str, str] = {}
    for path, message in problems.items():
        key = SCENARIO_LEVEL
        parts = path.replace("[", ".").replace("]", "").split(".")
        if parts[0] == "workloads" and len(parts) >= 3 and parts[1].isdigit() and int(parts[1]) < len(draft["slots"]):
            key = wkey(draft["slots"][int(parts[1])], parts[2])
        elif parts[0] in ("constraints", "hardware", "assumptions") and len(parts) >= 2:
            key = skey(parts[1])
        elif parts[0] == "name":
            key = skey("name")
        if key not in draft["values"]:
            key, message = SCENARIO_LEVEL, f"{path}: {message}"
        by_key.setdefault(key, message)
    return by_key


def load_draft(draft: dict[str, Any], overwrite: bool) -> None:
    """Put the draft into widget state: all of it, or only keys Streamlit dropped while another page was shown."""
    st.session_state[DRAFT_KEY] = draft
    for key, value in draft["values"].items():
        if overwrite or key not in st.session_state:
            st.session_state[key] = value


def capture_draft() -> dict[str, Any]:
    """The draft as the user last submitted it: every widget's value."""
    draft: dict[str, Any] = st.session_state[DRAFT_KEY]
    draft["values"] = {key: st.session_state.get(key, value) for key, value in draft["values"].items()}
    return draft


def start_over(scenario: Scenario) -> None:
    st.session_state.pop(PROBLEMS_KEY, None)
    set_scenario(scenario)
    load_draft(draft_from_scenario(scenario), overwrite=True)


# ---- callbacks (run before the script, so they may set widget values) -------------------------------------------


def on_submit() -> None:
    draft = capture_draft()
    data = scenario_data(draft)
    problems = form_problems(data, catalog())
    if problems:
        st.session_state[PROBLEMS_KEY] = problem_keys(draft, problems)
        return
    st.session_state.pop(PROBLEMS_KEY, None)
    scenario = Scenario.model_validate(data, context={"catalog": catalog()})
    set_scenario(scenario)
    draft["base"] = scenario.model_dump_json()
    st.session_state[GO_KEY] = True


def on_add_workload() -> None:
    draft = capture_draft()
    slot = max(draft["slots"], default=-1) + 1
    taken = [draft["values"][wkey(s, "name")] for s in draft["slots"]]
    name = unused_workload_name(taken, st.session_state["q_new_task"].replace("_", "-"))
    values = workload_values(slot, workload_defaults(st.session_state["q_new_task"], name, catalog()))
    draft["slots"].append(slot)
    draft["values"].update(values)
    st.session_state.update(values)
    if PROBLEMS_KEY in st.session_state:  # the marks follow the answers as they are now
        st.session_state[PROBLEMS_KEY] = problem_keys(draft, form_problems(scenario_data(draft), catalog()))


def on_remove_workload(slot: int) -> None:
    draft = capture_draft()
    draft["slots"].remove(slot)
    for field in WORKLOAD_FIELDS:
        draft["values"].pop(wkey(slot, field), None)
    problems = st.session_state.get(PROBLEMS_KEY, {})
    for key in [k for k in problems if k.startswith(wkey(slot, ""))]:
        del problems[key]


def on_typical_figures(slot: int) -> None:
    """Fill the token shape and quality bar typical of the workload's task kind (catalog/tasks.yaml)."""
    draft = capture_draft()
    typical = workload_defaults(st.session_state[wkey(slot, "task")], "unused", catalog())
    for field in ("input_tokens", "output_tokens", "quality"):
        draft["values"][wkey(slot, field)] = typical[field]
        st.session_state[wkey(slot, field)] = typical[field]


def on_start_from() -> None:
    choice = st.session_state["q_template"]
    start_over(blank_scenario(catalog()) if choice == BLANK else example_scenarios()[choice])


def on_upload() -> None:
    upload = st.session_state.get("q_upload")
    if upload is None:
        return
    try:
        scenario = parse_scenario(upload.getvalue().decode("utf-8"), origin=upload.name, catalog=catalog())
    except UnicodeDecodeError:
        st.session_state["q_upload_error"] = f"{upload.name}: not UTF-8 text; upload a .yaml or .json scenario"
    except AdvisorError as e:
        st.session_state["q_upload_error"] = str(e)
    else:
        start_over(scenario)


# ---- widgets -----------------------------------------------------------------------------------------------------


def inline_problem(key: str) -> None:
    if message := st.session_state.get(PROBLEMS_KEY, {}).get(key):
        st.error(message, icon=":material/error:")


def number(field: Number, key: str) -> None:
    low = high = None
    for rule in field.info.metadata:
        low = getattr(rule, "ge", getattr(rule, "gt", low))
        high = getattr(rule, "le", getattr(rule, "lt", high))
    if low is not None and field.integer and any(hasattr(rule, "gt") for rule in field.info.metadata):
        low += 1  # a strict bound on a whole number: 0 < x means x >= 1
    if low is not None and not field.integer and any(hasattr(rule, "gt") for rule in field.info.metadata):
        low = None  # a strict bound on a real number: let 0 through so the schema can explain what is allowed
    # A field that may be empty is built from value=None, so the user can clear it again.
    nullable: dict[str, Any] = {"value": None} if field.nullable else {}
    st.number_input(
        field.label,
        **nullable,
        min_value=as_number(low, field.integer),
        max_value=as_number(high, field.integer),
        step=as_number(field.step, field.integer),
        format=field.format,
        key=key,
        help=field.info.description,
        placeholder=field.empty,
    )
    inline_problem(key)


def task_label(task_id: str) -> str:
    task = catalog().tasks.get(task_id)
    return f"{task.name} — {task.description}" if task else task_id


def workload_section(slot: int, index: int, removable: bool) -> None:
    values = st.session_state
    with st.container(border=True):
        head, remove = st.columns([5, 1], vertical_alignment="center")
        head.markdown(f"#### Workload {index + 1}: {values[wkey(slot, 'name')] or 'unnamed'}")
        if removable:
            remove.form_submit_button(
                "Remove",
                icon=":material/delete:",
                key=wkey(slot, "remove"),
                on_click=on_remove_workload,
                args=(slot,),
                width="stretch",
            )
        name_column, task_column = st.columns([1, 2])
        with name_column:
            st.text_input("Name", key=wkey(slot, "name"), help=Workload.model_fields["name"].description)
            inline_problem(wkey(slot, "name"))
        with task_column:
            st.selectbox(
                "What does the model do?",
                list(catalog().tasks),
                format_func=task_label,
                key=wkey(slot, "task"),
                help=Workload.model_fields["task"].description,
            )
            inline_problem(wkey(slot, "task"))
        columns = st.columns(len(MAIN_NUMBERS), vertical_alignment="bottom")
        for column, field in zip(columns, MAIN_NUMBERS, strict=True):
            with column:
                number(field, wkey(slot, field.name))
        quality_column, language_column, data_column = st.columns([5, 3, 3], vertical_alignment="bottom")
        with quality_column:
            st.selectbox(
                "How strong must answers be?",
                list(QUALITY_WORDS),
                format_func=QUALITY_WORDS.__getitem__,
                key=wkey(slot, "quality"),
                help=Workload.model_fields["quality"].description,
            )
            inline_problem(wkey(slot, "quality"))
        with language_column:
            st.text_input(
                "Languages users write in",
                key=wkey(slot, "languages"),
                help=Workload.model_fields["languages"].description + " Separate codes with commas.",
                placeholder="en, de, sw",
            )
            inline_problem(wkey(slot, "languages"))
        with data_column:
            st.checkbox(
                "We have labelled examples",
                key=wkey(slot, "domain_data"),
                help=Workload.model_fields["domain_data"].description,
            )
        with st.expander("Traffic shape and context"):
            columns = st.columns(len(MORE_NUMBERS))
            for column, field in zip(columns, MORE_NUMBERS, strict=True):
                with column:
                    number(field, wkey(slot, field.name))
        st.form_submit_button(
            "Use typical figures for this task",
            icon=":material/auto_fix_high:",
            key=wkey(slot, "typical"),
            on_click=on_typical_figures,
            args=(slot,),
            help="Token shape and quality bar typical of the chosen task kind (from the catalog's task list).",
        )


def constraints_section() -> None:
    with st.container(border=True):
        st.markdown("#### What data does it see, and where may it go?")
        privacy = list(PRIVACY_MEANINGS)
        st.radio(
            "What data does it see?",
            privacy,
            format_func=lambda p: p.replace("_", "-").capitalize(),
            captions=[PRIVACY_MEANINGS[p].split(": ", 1)[-1] for p in privacy],
            key=skey("privacy"),
            help=Constraints.model_fields["privacy"].description,
        )
        inline_problem(skey("privacy"))
        left, right = st.columns(2)
        with left:
            st.radio(
                "Where may models run?",
                list(DEPLOYMENT_WORDS),
                format_func=DEPLOYMENT_WORDS.__getitem__,
                key=skey("deployment"),
                help=Constraints.model_fields["deployment"].description,
            )
            inline_problem(skey("deployment"))
        with right:
            providers = sorted({note.provider for note in catalog().api_notes})
            chosen = st.session_state.get(skey("allowed_providers")) or []
            st.multiselect(
                "API providers you may use",
                sorted({*providers, *chosen}),
                key=skey("allowed_providers"),
                placeholder="Any provider",
                help=Constraints.model_fields["allowed_providers"].description
                + " With regulated data, list only providers you have a BAA / DPA with.",
            )
            inline_problem(skey("allowed_providers"))


def hardware_section() -> None:
    with st.container(border=True):
        st.markdown("#### What hardware do you have, or would you buy or rent?")
        hardware = sorted(catalog().hardware.values(), key=lambda h: (h.kind, h.memory_gb))
        names = {h.id: f"{h.name} ({h.memory_gb:g} GB)" for h in hardware}
        names["this-machine"] = "This machine (the computer running Rightsize, detected)"
        profiles: list[str | None] = [None, *names]
        if st.session_state.get(skey("profile")) not in profiles:
            profiles.append(st.session_state[skey("profile")])
        left, middle, right = st.columns([2, 1, 1])
        with left:
            st.selectbox(
                "Hardware",
                profiles,
                format_func=lambda p: "Let the advisor pick the cheapest that fits" if p is None else names.get(p, p),
                key=skey("profile"),
                help=HardwareChoice.model_fields["profile"].description,
            )
            inline_problem(skey("profile"))
        with middle:
            number(Number(HardwareChoice, "count", "Devices per model copy", 1), skey("count"))
        with right:
            st.radio(
                "Own or rent?",
                list(OWNERSHIP_WORDS),
                format_func=OWNERSHIP_WORDS.__getitem__,
                key=skey("ownership"),
                help=HardwareChoice.model_fields["ownership"].description,
            )
        with st.expander("Money and running assumptions"):
            columns = st.columns(len(MONEY_NUMBERS))
            for column, field in zip(columns, MONEY_NUMBERS, strict=True):
                with column:
                    number(field, skey(field.name))


# ---- the page ----------------------------------------------------------------------------------------------------

st.title("Questionnaire")
st.caption(
    "Describe what the model must do. Each question has help (?) saying what it means; the figures a task kind "
    "usually has are one click away. The verdict comes from these answers alone."
)

scenario = current_scenario()
draft = st.session_state.get(DRAFT_KEY)
if draft is None or draft["base"] != scenario.model_dump_json():
    # First visit, or another page or a share link changed the scenario: the form shows the new one.
    st.session_state.pop(PROBLEMS_KEY, None)
    load_draft(draft_from_scenario(scenario), overwrite=True)
else:
    load_draft(draft, overwrite=False)
draft = st.session_state[DRAFT_KEY]

examples = example_scenarios()
start, upload, download = st.columns([2, 2, 1], vertical_alignment="bottom")
with start:
    pick, load = st.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox(
        "Start from",
        [BLANK, *examples],
        format_func=lambda k: "A blank scenario" if k == BLANK else f"Example: {examples[k].name}",
        key="q_template",
        help="Replaces the current answers with a blank scenario or one of the worked examples.",
    )
    load.button("Load", key="q_load_template", on_click=on_start_from, width="stretch")
with upload:
    st.file_uploader(
        "Or upload a scenario file",
        type=["yaml", "yml", "json"],
        key="q_upload",
        on_change=on_upload,
        help="Scenario file version 1, the one `advisor recommend FILE` reads.",
    )
with download:
    st.download_button(
        "Download scenario",
        data=scenario.to_yaml(),
        file_name=f"{''.join(c if c.isalnum() else '-' for c in scenario.name.lower()).strip('-') or 'scenario'}.yaml",
        mime="application/x-yaml",
        icon=":material/download:",
        key="q_download",
        width="stretch",
        help="The last submitted answers as a scenario YAML file.",
    )
if message := st.session_state.pop("q_upload_error", None):
    st.error(f"{message}\n\nThe file was not loaded; your answers are unchanged.", icon=":material/error:")

problems: dict[str, str] = st.session_state.get(PROBLEMS_KEY, {})
with st.form("q_form", border=False, enter_to_submit=False):
    st.text_input("Scenario name", key=skey("name"), help=Scenario.model_fields["name"].description)
    inline_problem(skey("name"))
    for index, slot in enumerate(draft["slots"]):
        workload_section(slot, index, removable=len(draft["slots"]) > 1)
    add_task, add_button = st.columns([3, 1], vertical_alignment="bottom")
    add_task.selectbox(
        "Another workload? Its task",
        list(catalog().tasks),
        format_func=task_label,
        key="q_new_task",
        help="Each workload gets its own verdict; the scenario adds up their costs.",
    )
    add_button.form_submit_button(
        "Add a workload", icon=":material/add:", key="q_add", on_click=on_add_workload, width="stretch"
    )
    constraints_section()
    hardware_section()
    if problems:
        count = len(problems)
        st.error(
            f"{count} answer{'s' if count > 1 else ''} to fix (marked above); everything you entered is kept."
            + (f"\n\n{problems[SCENARIO_LEVEL]}" if SCENARIO_LEVEL in problems else ""),
            icon=":material/error:",
        )
    st.form_submit_button(
        "Get the recommendation", type="primary", icon=":material/verified:", key="q_submit", on_click=on_submit
    )

if st.session_state.pop(GO_KEY, False):
    # The link carries the new scenario at once, so the address bar can be shared from the first view.
    st.switch_page("app_pages/recommendation.py", query_params={QUERY_KEY: encode_scenario(current_scenario())})
