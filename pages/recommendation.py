"""Recommendation: the verdict per workload at a glance, then why, the ranked options and what would change it.

Everything shown comes from `advisor.engine.recommend` for the session's scenario; the page only lays it out. Keys on
this page start with `rec_`.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from advisor.engine.recommend import RankedOption, WorkloadRecommendation
from advisor.errors import AdvisorError
from advisor.present.charts import top_options, volume_cost_figure
from advisor.present.pareto import pareto_figure
from advisor.present.report import Names, change_text, effect_words, file_stem
from advisor.present.text import headline, recommendation_markdown
from advisor.present.words import WHERE_SHORT, humanize, money, plain, plural, rule_title, volume_words
from pages import (
    CHART_CONFIG,
    catalog,
    chart_names,
    chart_placeholders,
    current_scenario,
    names,
    recommendation_for,
    require_entrypoint,
)
from pages.report_ui import report_buttons
from pages.store_ui import save_control

require_entrypoint()

VERDICT_NAMES = {"slm": "Small model (SLM)", "llm": "Large model (LLM)", "hybrid": "Hybrid (SLM + LLM)"}
DEPLOYMENT_NAMES = {"local": "on device", "self_hosted": "self-hosted", "api": "API", "mixed": "mixed"}
VERDICT_COLOURS = {"slm": "green", "llm": "violet", "hybrid": "orange"}


def catalog_task_name(task_id: str) -> str:
    task = catalog().tasks.get(task_id)
    return task.name if task else task_id.replace("_", " ")


EFFECT_ICONS = {"excluded": ":material/block:", "favours": ":material/thumb_up:", "note": ":material/info:"}

OPTION_COLUMNS = {
    "#": st.column_config.NumberColumn(width="small"),
    "Status": st.column_config.TextColumn(
        width="medium",
        help="✅ the pick · ✔️ meets every constraint · ➖ beaten on cost, speed and quality at once by another "
        "option · ⛔ excluded by a hard rule (which, and why, in the last column).",
    ),
    "Option": st.column_config.TextColumn(width="large"),
    "Monthly": st.column_config.NumberColumn(format="dollar", help="Expected monthly cost, USD."),
    "Low": st.column_config.NumberColumn(format="dollar", help="At the fast end of the speed estimate."),
    "High": st.column_config.NumberColumn(format="dollar", help="At the slow end of the speed estimate."),
    "Quality": st.column_config.NumberColumn(
        format="%.1f", help="Quality score 0-100: the capability tier moved by the model's task benchmarks."
    ),
    "First token p95 (ms)": st.column_config.NumberColumn(
        format="%.0f", help="Time to the first words for 95% of requests (the slow end of the estimate)."
    ),
    "Whole answer (ms)": st.column_config.NumberColumn(
        format="%.0f",
        help="Time to the last word, p95. Own hardware: with the replica running the batch it is sized for (the "
        "largest within the latency targets, or the one serving the most requests/s without targets), so a "
        "lightly loaded replica answers sooner.",
    ),
    "Tokens/s": st.column_config.NumberColumn(
        format="%.0f",
        help="Decode speed per sequence, expected. Own hardware: at the batch the replica is sized for, so below "
        "one stream's speed on the Catalog page's fit check.",
    ),
    "Replicas": st.column_config.NumberColumn(format="%.0f", help="Copies of the model needed at peak."),
    "Points": st.column_config.NumberColumn(format="%g", help="Soft-rule points: the ranking's first key."),
    "Why not": st.column_config.TextColumn(width="large", help="The hard rules the option breaks, or what beats it."),
}


def _status(rank: int, ranked: RankedOption, result: WorkloadRecommendation, naming: Names) -> tuple[str, str]:
    if not ranked.viable:
        titles = ", ".join(rule_title(rule) for rule in ranked.excluded_by)
        return f"⛔ Excluded: {titles}", naming.text(" ".join(ranked.why_excluded), result)
    if rank == 1:
        return "✅ The pick", ""
    if ranked.dominated_by is not None:
        better = naming.text(ranked.dominated_by, result)
        return "➖ Beaten", f"{better} costs no more, is no slower and scores no lower."
    return "✔️ Meets every constraint", ""


def options_table(options: list[RankedOption], result: WorkloadRecommendation, naming: Names) -> pd.DataFrame:
    rows = []
    for rank, ranked in enumerate(options, start=1):
        o = ranked.option
        status, why = _status(rank, ranked, result, naming)
        rows.append(
            {
                "#": rank,
                "Status": status,
                "Option": naming.option(o),
                "Class": o.kind.upper(),
                "Runs": WHERE_SHORT[o.deployment],
                "Monthly": ranked.monthly_usd["expected"],
                "Low": ranked.monthly_usd["low"],
                "High": ranked.monthly_usd["high"],
                "Quality": o.quality_score,
                "First token p95 (ms)": o.est_first_token_p95_ms,
                "Whole answer (ms)": o.est_total_ms,
                "Tokens/s": o.est_tokens_per_s,
                "Replicas": ranked.replicas,
                "Basis": o.basis,
                "Points": ranked.score,
                "Why not": why,
            }
        )
    return pd.DataFrame(rows)


def verdict_card(result: WorkloadRecommendation, naming: Names) -> None:
    with st.container(border=True):
        task = catalog_task_name(result.workload.task)
        st.markdown(f"**{plain(result.workload.name)}** · {plain(task)}")
        pick = result.pick
        if pick is None:
            st.badge("No option meets all constraints", icon=":material/warning:", color="red")
            st.caption("The closest options and the rules they break are below.")
            return
        st.badge(
            f"{VERDICT_NAMES[result.verdict or '']} · {DEPLOYMENT_NAMES[result.deployment or '']}",
            color=VERDICT_COLOURS[result.verdict or ""],
        )
        low, high = pick.monthly_usd["low"], pick.monthly_usd["high"]
        band = "" if money(low) == money(high) else f"{money(low)} to {money(high)}"
        st.metric("Per month", money(pick.cost), help=f"Expected; range {band}" if band else "Expected monthly cost.")
        basis = ""
        if pick.option.basis == "measured":
            measured_where = "from this network" if pick.option.deployment == "api" else "on this hardware"
            basis = f" · speed measured {measured_where}"
        st.caption(plain(naming.option(pick.option)) + (f" · range {band}" if band else "") + basis)


def reasons_section(result: WorkloadRecommendation, naming: Names) -> None:
    """The soft rules that scored (why this pick) first, then the hard rules that ruled options out."""
    favours = [r for r in result.reasons if not r.effect.startswith("excluded")]
    excluded = [r for r in result.reasons if r.effect.startswith("excluded")]
    for title, reasons in (("Why", favours), ("Ruled out", excluded)):
        if not reasons:
            continue
        st.markdown(f"##### {title}")
        for reason in reasons:
            icon = EFFECT_ICONS["excluded" if reason in excluded else "favours"]
            if reason.effect == "note":  # a soft rule with no points: it explains, it does not decide
                icon = EFFECT_ICONS["note"]
            text = humanize(naming.text(reason.text, result))
            st.markdown(f"{icon} **{plain(text)}**  \n{plain(rule_title(reason.rule))} · {plain(effect_words(reason))}")
            st.caption(f"Source: {plain(reason.source)}")


def changes_section(result: WorkloadRecommendation, naming: Names) -> None:
    st.markdown("##### What would change this")
    if not result.changes:
        st.caption("No volume, latency, privacy or quality change within reach would change the pick.")
    for change in result.changes:
        st.markdown(f"- {plain(humanize(change_text(change, result, naming)))}")
    if result.break_even_requests_per_day is not None:
        against = naming.text(result.break_even_against or "", result)
        st.caption(
            plain(
                f"Break-even: {volume_words(result.break_even_requests_per_day)} against {against}. "
                f"This workload runs {volume_words(result.workload.requests_per_day)}."
            )
        )


def workload_detail(index: int, result: WorkloadRecommendation, naming: Names) -> None:
    st.markdown(f"**{plain(headline(result, naming))}**")
    if not result.feasible:
        st.warning(
            "No option meets all constraints. The closest options are listed first below, each with the rules it "
            "breaks; relaxing one of those constraints in the questionnaire gives a verdict.",
            icon=":material/warning:",
        )
    why, changes = st.columns([3, 2], gap="large")
    with why:
        reasons_section(result, naming)
    with changes:
        changes_section(result, naming)
    st.markdown("##### Monthly cost by volume")
    scenario = current_scenario()
    drawn = top_options(result)
    st.plotly_chart(
        volume_cost_figure(result, scenario.assumptions, drawn, display=chart_names(drawn, naming)),
        key=f"rec_chart_{index}",
        config=CHART_CONFIG,
    )
    st.caption(
        "The pick (thick line, ★ in the legend, a dot at this workload's volume) and the best alternatives; solid "
        "lines are APIs, dashed ones own hardware; the dotted line is this workload's volume. Both axes are "
        "logarithmic."
    )
    show_all = st.toggle(
        f"Show all {len(result.options)} options considered",
        key=f"rec_all_{index}",
        help="By default: the best few of each kind that pass, and the best excluded ones with why.",
    )
    trade_offs = st.expander(
        "Trade-offs: cost against quality (bigger = faster first words)",
        icon=":material/scatter_plot:",
        key=f"rec_trade_offs_{index}",
        on_change="rerun",  # drawn when opened, not on every submit
    )
    with trade_offs:
        if trade_offs.open:
            st.plotly_chart(pareto_figure(result), key=f"rec_pareto_{index}", config=CHART_CONFIG)
            st.caption(
                "Solid: options no other option deployed the same way beats on cost, speed and quality at once. "
                "Faint: beaten on every axis by one of them. The ring marks the pick."
            )
    shown = result.shown_options(all_options=show_all)
    excluded = sum(not o.viable for o in result.options)
    st.markdown(f"##### Options, best first · {excluded} of {len(result.options)} excluded by a hard rule")
    st.dataframe(
        options_table(shown, result, naming),
        hide_index=True,
        column_config=OPTION_COLUMNS,
        key=f"rec_options_{index}",
        height=min(38 + 35 * len(shown), 560),
    )
    with st.expander("Catalog ids of these options (for scenario files, the CLI and the JSON)"):
        st.dataframe(
            pd.DataFrame({"Option": [naming.option(r.option) for r in shown], "Id": [r.option.label for r in shown]}),
            hide_index=True,
            key=f"rec_ids_{index}",
        )


# ---- the page ----------------------------------------------------------------------------------------------------

chart_placeholders()
scenario = current_scenario()
naming = names()
st.title("Recommendation")
st.caption(
    f"For **{plain(scenario.name)}**: the verdict per workload, why, the costed options, and what would change it."
)

try:
    recommendation = recommendation_for(scenario)
except AdvisorError as e:
    st.error(f"{plain(str(e))}\n\nChange the answers in the questionnaire.", icon=":material/error:")
    st.page_link("pages/questionnaire.py", label="Back to the questionnaire", icon=":material/edit_note:")
    st.stop()

summary, actions = st.columns([3, 1], vertical_alignment="center")
with summary:
    unmet = sum(1 for w in recommendation.workloads if w.pick is None)
    if unmet == len(recommendation.workloads):
        st.metric("Total per month", "—", help="No option meets all constraints, so there is nothing to cost.")
    else:
        left_out = f" It leaves out {plural(unmet, 'workload')} that no option fits." if unmet else ""
        st.metric(
            "Total per month",
            money(recommendation.total_monthly_cost_usd),
            help=f"The picks' expected monthly costs added up (USD).{left_out}",
        )
with actions:
    stem = file_stem(scenario)
    st.download_button(
        "Markdown report",
        recommendation_markdown(recommendation),
        file_name=f"{stem}-recommendation.md",
        mime="text/markdown",
        icon=":material/description:",
        key="rec_markdown",
        width="stretch",
    )
    st.download_button(
        "JSON",
        recommendation.to_json(),
        file_name=f"{stem}-recommendation.json",
        mime="application/json",
        icon=":material/data_object:",
        key="rec_json",
        width="stretch",
    )
    report_buttons(recommendation, "rec")
    save_control(scenario, "rec")

cards = st.columns(min(len(recommendation.workloads), 3))
for index, result in enumerate(recommendation.workloads):
    with cards[index % len(cards)]:
        verdict_card(result, naming)

links = st.columns(2)
links[0].page_link("pages/questionnaire.py", label="Change the answers", icon=":material/edit_note:")
links[1].page_link("pages/costs.py", label="Explore the costs", icon=":material/payments:")

results = recommendation.workloads
if len(results) == 1:
    st.subheader(results[0].workload.name)
    workload_detail(0, results[0], naming)
else:
    # Only the open tab is drawn: a scenario with several workloads costs one workload's charts per submit.
    tabs = st.tabs([plain(r.workload.name) for r in results], key="rec_workload", on_change="rerun")
    for index, (tab, result) in enumerate(zip(tabs, results, strict=True)):
        with tab:
            if tab.open:
                workload_detail(index, result, naming)
