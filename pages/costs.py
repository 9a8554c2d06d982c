"""Costs: what the best options for one workload cost per month, how that moves with volume, request size and money
assumptions, and where own hardware starts to pay.

The sliders make a what-if copy of the session's scenario (validated like any other); its recommendation drives the
page. Nothing changes the session's scenario until "Keep these figures" is pressed. Widget keys carry `costs_`.
"""

from __future__ import annotations

import contextlib
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import BaseModel

from advisor.data.scenarios import scenario_from_data
from advisor.engine.recommend import RankedOption, WorkloadRecommendation
from advisor.errors import AdvisorError
from advisor.present.charts import (
    breakdown_figure,
    cost_band_figure,
    latency_figure,
    top_options,
    uses_api,
    volume_cost_figure,
)
from advisor.present.report import Names
from advisor.present.words import WHERE_SHORT, money, plain, plural, rule_title, volume_words
from advisor.schema.scenario import Assumptions, Scenario, Workload
from pages import (
    CHART_CONFIG,
    chart_names,
    chart_placeholders,
    current_scenario,
    names,
    recommendation_for,
    require_entrypoint,
    set_scenario,
)
from pages.report_ui import report_buttons
from pages.store_ui import save_control

require_entrypoint()

WORKLOAD_KEY = "costs_workload"
LOADED_KEY = "costs_loaded_from"  # (scenario JSON, workload) the sliders were last filled from
LAST_VALID_KEY = "costs_last_valid"  # (scenario JSON, workload, what-if Scenario): drawn while the what-if is bad


def grid(low: float, high: float, mantissas: tuple[float, ...] = (1, 2, 3, 5, 7)) -> list[float]:
    """Round values on a log scale: 1, 2, 3, 5, 7, 10, 20... between low and high."""
    values = [
        m * 10.0**k for k in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1) for m in mantissas
    ]
    return [v for v in values if low <= v <= high]


@dataclass(frozen=True)
class Knob:
    """One what-if slider: the scenario field it sets and how it is shown."""

    section: str  # "workload" or "assumptions"
    name: str
    label: str
    noun: str  # in the what-if summary: "volume 20,000 a day → 50,000 a day"
    steps: tuple[float, ...] = ()  # a log-scale select_slider over these (plus the scenario's value); else a slider
    unit: str = ""

    @property
    def key(self) -> str:
        return f"costs_{self.name}"

    @property
    def help(self) -> str | None:
        model: type[BaseModel] = Workload if self.section == "workload" else Assumptions
        return model.model_fields[self.name].description

    def saved(self, scenario: Scenario, workload: Workload) -> Any:
        source: BaseModel = workload if self.section == "workload" else scenario.assumptions
        return getattr(source, self.name)

    def words(self, value: Any) -> str:
        if self.name == "requests_per_day":
            return volume_words(value)
        if self.name == "electricity_usd_per_kwh":
            return f"${value:,.2f}/kWh"
        if self.name == "ops_usd_per_month":
            return f"${value:,.0f} a month"
        return f"{value:,.0f} {self.unit}"


KNOBS = (
    Knob("workload", "requests_per_day", "Requests per day", "volume", tuple(grid(1, 1e9))),
    Knob(
        "workload", "input_tokens", "Input tokens per request", "input", tuple(int(v) for v in grid(10, 1e6)), "tokens"
    ),
    Knob(
        "workload",
        "output_tokens",
        "Output tokens per request",
        "output",
        tuple(int(v) for v in grid(1, 1e5)),
        "tokens",
    ),
    Knob("assumptions", "electricity_usd_per_kwh", "Electricity (USD/kWh)", "electricity"),
    Knob("assumptions", "amortization_months", "Amortisation (months)", "amortisation", unit="months"),
    Knob("assumptions", "ops_usd_per_month", "Staff and upkeep (USD a month)", "staff and upkeep"),
)
BASIS_WORDS = {"estimated": "Estimated", "measured": "Measured", "published": "Published"}


def workload_of(scenario: Scenario, name: str) -> Workload:
    return next(w for w in scenario.workloads if w.name == name)


def load_knobs(scenario: Scenario, workload_name: str) -> None:
    """Fill the sliders from the scenario's figures for one workload."""
    workload = workload_of(scenario, workload_name)
    for knob in KNOBS:
        st.session_state[knob.key] = knob.saved(scenario, workload)
    st.session_state[LOADED_KEY] = (scenario.model_dump_json(), workload_name)


def what_if(scenario: Scenario, workload_name: str) -> Scenario:
    """The scenario with the sliders' figures; raises AdvisorError naming the field when they do not fit together."""
    data = scenario.to_dict()
    index = [w.name for w in scenario.workloads].index(workload_name)
    for knob in KNOBS:
        target = data["workloads"][index] if knob.section == "workload" else data["assumptions"]
        target[knob.name] = st.session_state[knob.key]
    return scenario_from_data(data, origin="what-if")


def keep_what_if() -> None:
    # The button is disabled while the what-if is bad; should one slip through, the scenario stays as it was.
    with contextlib.suppress(AdvisorError):
        set_scenario(what_if(current_scenario(), st.session_state[WORKLOAD_KEY]))


def reset_knobs() -> None:
    load_knobs(current_scenario(), st.session_state[WORKLOAD_KEY])


def knob_widget(knob: Knob, scenario: Scenario, workload: Workload) -> None:
    saved = knob.saved(scenario, workload)
    if knob.steps:
        options = sorted({*knob.steps, saved, st.session_state[knob.key]})
        st.select_slider(knob.label, options, format_func=knob.words, key=knob.key, help=knob.help)
    elif knob.name == "electricity_usd_per_kwh":
        top = max(1.0, float(saved))
        st.slider(knob.label, 0.0, top, step=0.01, format="$%.2f", key=knob.key, help=knob.help)
    elif knob.name == "ops_usd_per_month":
        top = max(20_000.0, float(saved), float(st.session_state[knob.key]))
        help_text = f"{knob.help} Counts for own hardware only; APIs need none."
        st.slider(knob.label, 0.0, top, step=100.0, format="$%.0f", key=knob.key, help=help_text)
    else:
        rented = "" if scenario.hardware.ownership == "owned" else " This scenario rents its hardware: no effect."
        top = max(120.0, float(saved))
        st.slider(knob.label, 1.0, top, step=1.0, format="%.0f", key=knob.key, help=f"{knob.help}{rented}")


def metric_card(label: str, value: str, caption: str, help_text: str | None = None) -> None:
    with st.container(border=True, height="stretch"):
        st.metric(label, value, help=help_text)
        st.caption(caption)


def cost_range(ranked: RankedOption) -> str:
    low, high = money(ranked.monthly_usd["low"]), money(ranked.monthly_usd["high"])
    return "" if low == high else f" · {low} to {high}"


def other_side(result: WorkloadRecommendation) -> RankedOption | None:
    """The best viable option on the other side of the API / own-hardware line from the pick."""
    pick = result.pick
    if pick is None:
        return None
    return next((r for r in result.options if r.viable and uses_api(r.option) != uses_api(pick.option)), None)


def headline(result: WorkloadRecommendation, naming: Names) -> None:
    pick, other = result.pick, other_side(result)
    workload = result.workload
    columns = st.columns(3)
    with columns[0]:
        if pick is None:
            closest = result.options[0] if result.options else None
            broken = ", ".join(rule_title(rule) for rule in closest.excluded_by) if closest else ""
            why = f"; closest: {naming.option(closest.option)} (breaks {broken})" if closest else ""
            metric_card("Pick · per month", "—", f"No option meets every constraint{why}.")
        else:
            where = WHERE_SHORT[pick.option.deployment]
            metric_card(
                "Pick · per month",
                money(pick.cost),
                f"{naming.option(pick.option)} · {pick.option.kind.upper()} {where}{cost_range(pick)}",
                "The recommendation's first choice at these figures; low to high is the speed estimate's spread.",
            )
    with columns[1]:
        side = "own hardware" if pick is not None and uses_api(pick.option) else "an API"
        if other is None:
            metric_card(f"Best on {side} · per month", "—", "No option on that side meets every constraint.")
        else:
            metric_card(
                f"Best on {side} · per month",
                money(other.cost),
                f"{naming.option(other.option)}{cost_range(other)}",
                "The best-ranked option on the other side of the API / own-hardware line.",
            )
    with columns[2]:
        break_even = result.break_even_requests_per_day
        label = "Break-even · requests per day"
        if pick is None or other is None:
            metric_card(label, "—", "Needs a viable option both on an API and on own hardware.")
            return
        # The crossing is between these two options as they are sized today; at other volumes the advisor may
        # choose other hardware or models, which "What would change this" (Recommendation page) checks.
        own, api = (other, pick) if uses_api(pick.option) else (pick, other)
        pair = f"{naming.option(own.option)} against {naming.option(api.option)}"
        if break_even is not None:
            side_now = "above" if workload.requests_per_day >= break_even else "below"
            metric_card(
                label,
                f"{break_even:,.0f}",
                f"Above it {naming.option(own.option)} costs less than {naming.option(api.option)}. This workload "
                f"({volume_words(workload.requests_per_day)}) is {side_now} it.",
                f"Where the bills of {pair} meet, each as sized today. Other hardware or models can move it: see "
                "What would change this on the Recommendation page.",
            )
        else:
            metric_card(
                label,
                "Never",
                f"Between 1 and a billion requests a day, {naming.option(own.option)} never costs less than "
                f"{naming.option(api.option)} at this request size. Other hardware or models may at other volumes: "
                "see What would change this on the Recommendation page.",
            )


def options_table(
    result: WorkloadRecommendation, assumptions: Assumptions, options: list[RankedOption], naming: Names
) -> None:
    requests_per_month = result.workload.requests_per_day * assumptions.days_per_month
    frame = pd.DataFrame(
        {
            "Option": [naming.option(r.option) for r in options],
            "Class": [r.option.kind.upper() for r in options],
            "Runs": [WHERE_SHORT[r.option.deployment] for r in options],
            "Monthly": [r.monthly_usd["expected"] for r in options],
            "Low": [r.monthly_usd["low"] for r in options],
            "High": [r.monthly_usd["high"] for r in options],
            "Per request": [r.monthly_usd["expected"] / requests_per_month for r in options],
            "Replicas": pd.array([r.replicas for r in options], dtype="Float64"),
            "First token (ms)": [r.option.est_first_token_ms for r in options],
            "Tokens/s": [r.option.est_tokens_per_s for r in options],
            "Basis": [BASIS_WORDS.get(r.option.basis, r.option.basis) for r in options],
            "Excluded by": [", ".join(rule_title(rule) for rule in r.excluded_by) for r in options],
        }
    )
    if not frame["Excluded by"].any():
        frame = frame.drop(columns="Excluded by")
    number = st.column_config.NumberColumn
    st.dataframe(
        frame,
        hide_index=True,
        key="costs_options",
        column_config={
            "Option": st.column_config.TextColumn(width="large", pinned=True, help="Model, where it runs and on what."),
            "Monthly": number(format="dollar", help="Expected monthly cost, USD."),
            "Low": number(format="dollar", help="Monthly cost at the fast end of the speed estimate (fewer replicas)."),
            "High": number(format="dollar", help="Monthly cost at the slow end of the speed estimate."),
            "Per request": number(format="$%.5f", help="Expected monthly cost over the month's requests."),
            "Replicas": number(format="%d", help="Own-hardware replicas needed at the peak rate; empty for APIs."),
            "First token (ms)": number(format="%.0f", help="Estimated time to the first token, expected band."),
            "Tokens/s": number(format="%.0f", help="Output tokens per second for one request, expected band."),
            "Basis": st.column_config.TextColumn(
                help="Estimated: from the fit model · Measured: from a run on this hardware · "
                "Published: the provider's figures."
            ),
            "Excluded by": st.column_config.TextColumn(help="Hard rules this option breaks."),
        },
    )


# ---- the page ----------------------------------------------------------------------------------------------------

chart_placeholders()
naming = names()
st.title("Costs")
st.caption(
    "What the best options for a workload cost per month, how that moves with volume, request size and prices, "
    "and where own hardware starts to pay. Move the sliders to try figures without changing the scenario."
)

scenario = current_scenario()
save_control(scenario, "costs")  # the scenario itself, not the what-if below
workload_names = [w.name for w in scenario.workloads]
if st.session_state.get(WORKLOAD_KEY) not in workload_names:
    st.session_state[WORKLOAD_KEY] = workload_names[0]
workload_name: str = st.session_state[WORKLOAD_KEY]
scenario_json = scenario.model_dump_json()
if st.session_state.get(LOADED_KEY) != (scenario_json, workload_name) or any(
    knob.key not in st.session_state for knob in KNOBS
):
    load_knobs(scenario, workload_name)  # another workload, another scenario, or back from another page
workload = workload_of(scenario, workload_name)

with st.container(border=True):
    top = st.columns([1, 2])
    with top[0]:
        st.selectbox(
            "Workload",
            workload_names,
            key=WORKLOAD_KEY,
            help=f"Scenario **{plain(scenario.name)}** has {plural(len(workload_names), 'workload')}; "
            "each is costed alone.",
        )
    with top[1]:
        knob_widget(KNOBS[0], scenario, workload)
    for row in (KNOBS[1:3], KNOBS[3:]):
        for column, knob in zip(st.columns(len(row)), row, strict=True):
            with column:
                knob_widget(knob, scenario, workload)

    error = None
    try:
        shown = what_if(scenario, workload_name)
        st.session_state[LAST_VALID_KEY] = (scenario_json, workload_name, shown)
    except AdvisorError as e:
        error = str(e)
        last = st.session_state.get(LAST_VALID_KEY)
        shown = last[2] if last and last[:2] == (scenario_json, workload_name) else scenario

    changed = [
        f"{knob.noun} {knob.words(knob.saved(scenario, workload))} → {knob.words(st.session_state[knob.key])}"
        for knob in KNOBS
        if st.session_state[knob.key] != knob.saved(scenario, workload)
    ]
    if error:
        st.error(
            f"{plain(str(error))}\n\nThe figures below are the last ones that fit together.", icon=":material/error:"
        )
    elif changed:
        st.info(f"**What-if**, not saved in the scenario: {'; '.join(changed)}.", icon=":material/science:")
    if changed:
        buttons = st.container(horizontal=True)
        buttons.button(
            "Keep these figures",
            key="costs_keep",
            on_click=keep_what_if,
            disabled=error is not None,
            type="primary",
            icon=":material/save:",
            help="Saves the figures above in the scenario: every page then uses them.",
        )
        buttons.button("Reset to the scenario", key="costs_reset", on_click=reset_knobs, icon=":material/undo:")
    st.caption(
        "Electricity, amortisation and staff and upkeep apply to every workload of the scenario; the rest to this one."
    )

index = [w.name for w in shown.workloads].index(workload_name)
try:
    shown_recommendation = recommendation_for(shown)
    result = shown_recommendation.workloads[index]
except AdvisorError as e:
    st.error(f"{plain(str(e))}\n\nChange the answers in the questionnaire.", icon=":material/error:")
    st.stop()
assumptions = shown.assumptions
options = top_options(result)

headline(result, naming)
own_hardware = [r for r in options if r.option.provider is None or r.option.small is not None]
if assumptions.ops_usd_per_month == 0 and own_hardware:
    st.info(
        "**Staff and upkeep for self-hosting count as $0 a month** — the default, not a finding. Own-hardware "
        "options look cheaper than they will be: set a figure with the *Staff and upkeep* slider above, or in the "
        "questionnaire under *Money and running assumptions*.",
        icon=":material/engineering:",
    )
report_buttons(shown_recommendation, "costs", "The report uses the what-if figures shown here." if changed else None)

st.subheader("Monthly cost by volume")
display = chart_names(options, naming)
st.plotly_chart(
    volume_cost_figure(result, assumptions, options, display=display), key="costs_volume_chart", config=CHART_CONFIG
)
star = ", the star the break-even" if result.break_even_requests_per_day is not None else ""
st.caption(
    "Both axes are logarithmic. The thick line (★ in the legend, a dot at this workload's volume) is the pick. "
    "Solid lines are APIs (pay per token), dashed ones own hardware (each step is one more replica); the shaded "
    f"band is the low-to-high estimate, the dotted line this workload's volume{star}."
)
st.subheader("What the bill is made of")
st.plotly_chart(
    breakdown_figure(result, assumptions, options, display=display), key="costs_breakdown_chart", config=CHART_CONFIG
)
st.caption("Each bar is one option's monthly bill at this volume, split into API tokens, hardware, energy and ops.")
st.subheader("How sure the cost is")
st.plotly_chart(cost_band_figure(options, display=display), key="costs_band_chart", config=CHART_CONFIG)
st.caption(
    "The diamond is the expected monthly cost; whiskers run from the fast end of the speed estimate (fewer "
    "replicas) to the slow end. “One figure” means the speed spread does not move the bill: APIs charge per token "
    "whatever their speed, and own or rented hardware where the same number of replicas serves the volume at both "
    "ends costs the same hours. Hover a diamond for why."
)
st.subheader("Latency against the targets")
st.plotly_chart(latency_figure(result, options, display=display), key="costs_latency_chart", config=CHART_CONFIG)
st.caption(
    "Estimated time to the first token and to the whole answer (logarithmic); red dotted lines are the workload's "
    "p95 targets; n/a where there is no estimate."
)

st.subheader("The options compared")
options_table(result, assumptions, options, naming)
st.caption(
    f"The pick, the best option of each other kind and side of the API line, then the next best: {len(options)} of "
    f"{len(result.options)} options considered for **{plain(workload_name)}**."
)
