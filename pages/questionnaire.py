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
from pydantic import BaseModel

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
    RENT_CLASS_WORDS,
    SCENARIO_LEVEL,
    WORKLOAD_FIELDS,
    Number,
    as_number,
    blank_scenario,
    draft_from_scenario,
    engine_words,
    form_problems,
    problem_keys,
    scenario_data,
    skey,
    unused_workload_name,
    wkey,
    workload_defaults,
    workload_values,
)
from advisor.present.words import (
    MODALITY_WORDS,
    OPTIMIZE_WORDS,
    PHASE_WORDS,
    UPDATE_WORDS,
    VARIETY_WORDS,
    hardware_label,
    humanize,
    plain,
    slug,
)
from advisor.schema.scenario import PRIVACY_MEANINGS, Assumptions, Constraints, HardwareChoice, Scenario, Workload
from pages import catalog, current_scenario, require_entrypoint, set_scenario

require_entrypoint()

DRAFT_KEY, PROBLEMS_KEY, GO_KEY = "q_draft", "q_problems", "q_go"
OWNED_NOTE_KEY = "q_owned_note"  # the end-user device whose "We have it already" box a submit ticked
BLANK = "blank"
# The hardware list's "Let the advisor pick" (profile None in the scenario). A selectbox whose value is None shows
# its placeholder ("Choose an option") instead, so the widget holds this word and the draft holds None.
AUTO = "auto"
PROFILE_KEY = skey("profile")


def describe(model: Any, field: str) -> str:
    """A schema field's help in words: ids it names (api_only, this-machine ...) read as the form shows them."""
    return humanize(model.model_fields[field].description or "")


def end_user_device(profile: str | None) -> bool:
    """A phone, a laptop or this machine: hardware the users or the team usually have already."""
    return profile is not None and (profile == "this-machine" or "phone" in profile or "laptop" in profile)


def to_widget(key: str, value: Any) -> Any:
    return AUTO if key == PROFILE_KEY and value is None else value


def from_widget(key: str, value: Any) -> Any:
    return None if key == PROFILE_KEY and value == AUTO else value


def example_key(scenario: Scenario) -> str | None:
    """The worked example (or the blank scenario) the current scenario is, for "Start from"; None when edited."""
    if scenario == blank_scenario(catalog()):
        return BLANK
    return next((key for key, example in example_scenarios().items() if example == scenario), None)


def load_draft(draft: dict[str, Any], overwrite: bool) -> None:
    """Put the draft into widget state: all of it, or only keys Streamlit dropped while another page was shown."""
    st.session_state[DRAFT_KEY] = draft
    for key, value in draft["values"].items():
        if overwrite or key not in st.session_state:
            st.session_state[key] = to_widget(key, value)


def capture_draft() -> dict[str, Any]:
    """The draft as the user last submitted it: every widget's value."""
    draft: dict[str, Any] = st.session_state[DRAFT_KEY]
    values = draft["values"]
    draft["values"] = {key: from_widget(key, st.session_state.get(key, to_widget(key, v))) for key, v in values.items()}
    return draft


def start_over(scenario: Scenario) -> None:
    st.session_state.pop(PROBLEMS_KEY, None)
    set_scenario(scenario)
    load_draft(draft_from_scenario(scenario), overwrite=True)
    st.session_state["q_template"] = example_key(scenario)


def tick_already_owned(draft: dict[str, Any]) -> None:
    """A newly chosen phone, laptop or this machine is the users' own: its purchase is paid, so the box is ticked
    (and ownership set to owned, which the box needs) unless the user had ticked it already. Said on the page."""
    values = draft["values"]
    profile = values.get(PROFILE_KEY)
    base_profile = Scenario.model_validate_json(draft["base"]).hardware.profile
    if end_user_device(profile) and profile != base_profile and not values.get(skey("already_owned")):
        values[skey("already_owned")] = True
        values[skey("ownership")] = "owned"
        st.session_state[skey("already_owned")] = True
        st.session_state[skey("ownership")] = "owned"
        st.session_state[OWNED_NOTE_KEY] = profile


# ---- callbacks (run before the script, so they may set widget values) -------------------------------------------


def on_submit() -> None:
    draft = capture_draft()
    tick_already_owned(draft)
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
    if choice is None:
        return
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
        st.error(humanize(message), icon=":material/error:")


def number(field: Number, key: str) -> None:
    # No min / max on the widget: the browser would only outline an out-of-range figure in red and keep the old
    # one. Whatever is typed reaches the schema, and a wrong figure gets its one-line message under the field.
    # A field that may be empty is built from value=None, so the user can clear it again.
    nullable: dict[str, Any] = {"value": None} if field.nullable else {}
    st.number_input(
        field.label,
        **nullable,
        step=as_number(field.step, field.integer),
        format=field.format,
        key=key,
        help=humanize(field.info.description or ""),
        placeholder=field.empty,
    )
    inline_problem(key)


def task_label(task_id: str) -> str:
    task = catalog().tasks.get(task_id)
    return f"{task.name} — {task.description}" if task else task_id


def workload_choice(slot: int, field: str, label: str, words: dict[str, str]) -> None:
    """A workload question answered by picking one of `words` (id -> words), with its problem under it."""
    st.selectbox(
        label,
        list(words),
        format_func=words.__getitem__,
        key=wkey(slot, field),
        help=describe(Workload, field),
    )
    inline_problem(wkey(slot, field))


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
            st.text_input("Name", key=wkey(slot, "name"), help=describe(Workload, "name"))
            inline_problem(wkey(slot, "name"))
        with task_column:
            st.selectbox(
                "What does the model do?",
                list(catalog().tasks),
                format_func=task_label,
                key=wkey(slot, "task"),
                help=describe(Workload, "task"),
            )
            inline_problem(wkey(slot, "task"))
        columns = st.columns(len(MAIN_NUMBERS), vertical_alignment="bottom")
        for column, field in zip(columns, MAIN_NUMBERS, strict=True):
            with column:
                number(field, wkey(slot, field.name))
        quality_column, language_column, data_column = st.columns([5, 3, 3], vertical_alignment="top")
        with quality_column:
            workload_choice(slot, "quality", "How strong must answers be?", QUALITY_WORDS)
            workload_choice(slot, "query_variety", "How varied are the requests?", VARIETY_WORDS)
        with language_column:
            st.text_input(
                "Languages users write in",
                key=wkey(slot, "languages"),
                help=describe(Workload, "languages") + " Separate codes with commas.",
                placeholder="en, de, sw",
            )
            inline_problem(wkey(slot, "languages"))
            workload_choice(slot, "modality", "What do requests carry?", MODALITY_WORDS)
        with data_column:
            st.checkbox(
                "We have labelled examples",
                key=wkey(slot, "domain_data"),
                help=describe(Workload, "domain_data"),
            )
            workload_choice(slot, "update_frequency", "How often does the task change?", UPDATE_WORDS)
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
            help=describe(Constraints, "privacy"),
        )
        inline_problem(skey("privacy"))
        left, right = st.columns(2)
        with left:
            st.radio(
                "Where may models run?",
                list(DEPLOYMENT_WORDS),
                format_func=DEPLOYMENT_WORDS.__getitem__,
                key=skey("deployment"),
                help="Any: the advisor may pick an API or own hardware. Local only: nothing leaves your machines. "
                "API only: nothing to host.",
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
                help=describe(Constraints, "allowed_providers")
                + " With regulated data, list only providers you have a BAA / DPA with.",
            )
            inline_problem(skey("allowed_providers"))
        st.checkbox(
            "Own hardware on our premises only (no rented cloud GPUs)",
            key=skey("on_premises_only"),
            help=describe(Constraints, "on_premises_only"),
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
            help=describe(Scenario, "optimize_for"),
        )
        inline_problem(skey("optimize_for"))
        st.radio(
            "Project phase",
            list(PHASE_WORDS),
            format_func=PHASE_WORDS.__getitem__,
            key=skey("phase"),
            horizontal=True,
            help=describe(Scenario, "phase"),
        )
        inline_problem(skey("phase"))


def hardware_section() -> None:
    with st.container(border=True):
        st.markdown("#### What hardware do you have, or would you buy or rent?")
        hardware = sorted(catalog().hardware.values(), key=lambda h: (h.kind, h.memory_gb))
        names = {h.id: hardware_label(h.name, h.memory_gb) for h in hardware}
        names["this-machine"] = "This machine (the computer running Rightsize, detected)"
        profiles: list[str] = [AUTO, *names]
        if st.session_state.get(PROFILE_KEY) is None:
            st.session_state[PROFILE_KEY] = AUTO
        if st.session_state.get(PROFILE_KEY) not in profiles:
            profiles.append(st.session_state[PROFILE_KEY])
        left, middle, right = st.columns([2, 1, 1])
        with left:
            st.selectbox(
                "Hardware",
                profiles,
                format_func=lambda p: "Let the advisor pick the cheapest that fits" if p == AUTO else names.get(p, p),
                key=PROFILE_KEY,
                help="The hardware self-hosted options run on, from the catalog (its Hardware tab lists them), or "
                "this machine; or let the advisor pick the cheapest that fits each model.",
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
                help="Own: the purchase price is spread over the months below. Rent: paid per hour in the cloud.",
            )
            st.checkbox(
                "We have it already (purchase paid)",
                key=skey("already_owned"),
                help="The team or its users have this hardware already and its purchase is paid: only its "
                "electricity (and staff and upkeep) count. Needs a named hardware and “Own it”. Ticked for you when "
                "you choose a phone, a laptop or this machine.",
            )
            inline_problem(skey("already_owned"))
            owned_note = st.session_state.get(OWNED_NOTE_KEY)
            if (
                owned_note
                and owned_note == st.session_state.get(PROFILE_KEY)
                and st.session_state.get(skey("already_owned"))
            ):
                st.caption(
                    f"Ticked for you: {plain(names.get(owned_note, owned_note))} is usually the users' own, so only "
                    "its electricity counts. Untick it and submit again to price buying it."
                )
        scenario_choice("Serving engine", engine_words(catalog()), "engine", HardwareChoice)
        with st.expander("Money and running assumptions"):
            columns = st.columns(len(MONEY_NUMBERS))
            for column, field in zip(columns, MONEY_NUMBERS, strict=True):
                with column:
                    number(field, skey(field.name))
            scenario_choice("Rent from", RENT_CLASS_WORDS, "rent_class", Assumptions)


def scenario_choice(label: str, words: dict[str, str], name: str, section: type[BaseModel]) -> None:
    """A pick-one question for a scenario-level field: its choices in words, the field's description as help, and
    its problem (if any) under it."""
    st.selectbox(
        label,
        list(words),
        format_func=words.__getitem__,
        key=skey(name),
        help=section.model_fields[name].description,
    )
    inline_problem(skey(name))


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
    st.session_state["q_template"] = example_key(scenario)
else:
    load_draft(draft, overwrite=False)
draft = st.session_state[DRAFT_KEY]

examples = example_scenarios()
if "q_template" not in st.session_state:
    st.session_state["q_template"] = example_key(scenario)  # "Start from" names what the form holds
start, upload, download = st.columns([2, 2, 1], vertical_alignment="bottom")
with start:
    pick, load = st.columns([3, 1], vertical_alignment="bottom")
    pick.selectbox(
        "Start from",
        [BLANK, *examples],
        format_func=lambda k: "A blank scenario" if k == BLANK else f"Example: {examples[k].name}",
        key="q_template",
        index=None,
        placeholder="Your own answers (below)",
        help="Replaces the current answers with a blank scenario or one of the worked examples. It names the "
        "example the form holds, while its answers are unchanged.",
    )
    load.button(
        "Load",
        key="q_load_template",
        on_click=on_start_from,
        width="stretch",
        disabled=st.session_state.get("q_template") is None,
    )
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
        file_name=f"{slug(scenario.name)}.yaml",
        mime="application/x-yaml",
        icon=":material/download:",
        key="q_download",
        width="stretch",
        help="The last submitted answers as a scenario YAML file.",
    )
if message := st.session_state.pop("q_upload_error", None):
    st.error(
        f"{plain(humanize(message))}\n\nThe file was not loaded; your answers are unchanged.", icon=":material/error:"
    )

problems: dict[str, str] = st.session_state.get(PROBLEMS_KEY, {})
with st.form("q_form", border=False, enter_to_submit=False):
    st.text_input("Scenario name", key=skey("name"), help=describe(Scenario, "name"))
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
