"""Questionnaire: the scenario as questions an architect can answer, checked field by field, then the verdict.

Widgets hold a draft (advisor.present.questionnaire defines the questions and turns a draft into scenario data).
"Get the recommendation" validates the whole draft and, when it is a valid scenario, makes it the session's scenario and
opens the Recommendation page. A problem is shown under its own field and nothing the user typed is lost, not even
across pages: the draft is kept in session state (Streamlit drops widget keys while their page is not shown). Keys
on this page start with `q_`; a workload's keys carry its slot number, so removing one workload does not shift
another's answers.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from advisor.data.examples import example_scenarios
from advisor.data.scenarios import parse_scenario
from advisor.data.share import QUERY_KEY, encode_scenario
from advisor.errors import AdvisorError
from advisor.present.questionnaire import (
    DEPLOYMENT_WORDS,
    MAIN_NUMBERS,
    MONEY_NUMBERS,
    MORE_NUMBERS,
    OWNERSHIP_WORDS,
    QUALITY_WORDS,
    SCENARIO_LEVEL,
    WORKLOAD_FIELDS,
    Number,
    as_number,
    blank_scenario,
    draft_from_scenario,
    form_problems,
    problem_keys,
    scenario_data,
    skey,
    unused_workload_name,
    wkey,
    workload_defaults,
    workload_values,
)
from advisor.present.words import OPTIMIZE_WORDS, PHASE_WORDS, VARIETY_WORDS, plain
from advisor.schema.scenario import PRIVACY_MEANINGS, Constraints, HardwareChoice, Scenario, Workload
from pages import catalog, current_scenario, require_entrypoint, set_scenario

require_entrypoint()

DRAFT_KEY, PROBLEMS_KEY, GO_KEY = "q_draft", "q_problems", "q_go"
BLANK = "blank"


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
    data = scenario_data(draft, current_scenario().assumptions.currency)
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
        data = scenario_data(draft, current_scenario().assumptions.currency)
        st.session_state[PROBLEMS_KEY] = problem_keys(draft, form_problems(data, catalog()))


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
        head.markdown(f"#### Workload {index + 1}: {plain(values[wkey(slot, 'name')]) or 'unnamed'}")
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
            st.selectbox(
                "How varied are the requests?",
                list(VARIETY_WORDS),
                format_func=VARIETY_WORDS.__getitem__,
                key=wkey(slot, "query_variety"),
                help=Workload.model_fields["query_variety"].description,
            )
            inline_problem(wkey(slot, "query_variety"))
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
        st.checkbox(
            "Own hardware on our premises only (no rented cloud GPUs)",
            key=skey("on_premises_only"),
            help=Constraints.model_fields["on_premises_only"].description,
        )
        inline_problem(skey("on_premises_only"))


def priorities_section() -> None:
    with st.container(border=True):
        st.markdown("#### What matters most, and how far along is the project?")
        st.radio(
            "Decide between equal options by",
            list(OPTIMIZE_WORDS),
            format_func=OPTIMIZE_WORDS.__getitem__,
            key=skey("optimize_for"),
            horizontal=True,
            help=Scenario.model_fields["optimize_for"].description,
        )
        inline_problem(skey("optimize_for"))
        st.radio(
            "Project phase",
            list(PHASE_WORDS),
            format_func=PHASE_WORDS.__getitem__,
            key=skey("phase"),
            horizontal=True,
            help=Scenario.model_fields["phase"].description,
        )
        inline_problem(skey("phase"))


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
    st.error(f"{plain(message)}\n\nThe file was not loaded; your answers are unchanged.", icon=":material/error:")

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
    priorities_section()
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
    st.switch_page("pages/recommendation.py", query_params={QUERY_KEY: encode_scenario(current_scenario())})
