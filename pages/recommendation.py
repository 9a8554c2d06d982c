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
from advisor.present.text import headline, recommendation_markdown
from advisor.present.words import plain, rule_title
from pages import current_scenario, recommendation_for, require_entrypoint, usd
from pages.report_ui import report_buttons
from pages.store_ui import save_control

require_entrypoint()

VERDICT_NAMES = {"slm": "Small model (SLM)", "llm": "Large model (LLM)", "hybrid": "Hybrid (SLM + LLM)"}
VERDICT_COLOURS = {"slm": "green", "llm": "violet", "hybrid": "orange"}
DEPLOYMENT_NAMES = {"local": "on device", "self_hosted": "self-hosted", "api": "API", "mixed": "mixed"}
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
    "Whole answer (ms)": st.column_config.NumberColumn(format="%.0f", help="Time to the last word, p95."),
    "Tokens/s": st.column_config.NumberColumn(format="%.0f", help="Decode speed per sequence, expected."),
    "Replicas": st.column_config.NumberColumn(format="%.0f", help="Copies of the model needed at peak."),
    "Points": st.column_config.NumberColumn(format="%g", help="Soft-rule points: the ranking's first key."),
    "Why not": st.column_config.TextColumn(width="large", help="The hard rules the option breaks, or what beats it."),
}


def _status(rank: int, ranked: RankedOption) -> tuple[str, str]:
    if not ranked.viable:
        titles = ", ".join(rule_title(rule) for rule in ranked.excluded_by)
        return f"⛔ Excluded: {titles}", " ".join(ranked.why_excluded)
    if rank == 1:
        return "✅ The pick", ""
    if ranked.dominated_by is not None:
        return "➖ Beaten", f"{ranked.dominated_by} costs no more, is no slower and scores no lower."
    return "✔️ Meets every constraint", ""


def options_table(options: list[RankedOption]) -> pd.DataFrame:
    rows = []
    for rank, ranked in enumerate(options, start=1):
        o = ranked.option
        status, why = _status(rank, ranked)
        rows.append(
            {
                "#": rank,
                "Status": status,
                "Option": o.label,
                "Class": o.kind.upper(),
                "Runs": DEPLOYMENT_NAMES[o.deployment],
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


def verdict_card(result: WorkloadRecommendation) -> None:
    with st.container(border=True):
        st.markdown(f"**{plain(result.workload.name)}** · {result.workload.task.replace('_', ' ')}")
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
        band = "" if usd(low) == usd(high) else f"{usd(low)} to {usd(high)}"
        st.metric("Per month", usd(pick.cost), help=f"Expected; range {band}" if band else "Expected monthly cost.")
        basis = " · speed measured on this hardware" if pick.option.basis == "measured" else ""
        st.caption(plain(pick.option.label) + (f" · range {band}" if band else "") + basis)


def reasons_section(result: WorkloadRecommendation) -> None:
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
            st.markdown(f"{icon} **{plain(reason.text)}**  \n{plain(rule_title(reason.rule))} · {plain(reason.effect)}")
            st.caption(f"Source: {plain(reason.source)}")


def changes_section(result: WorkloadRecommendation) -> None:
    st.markdown("##### What would change this")
    if not result.changes:
        st.caption("No volume, latency, privacy or quality change within reach would change the pick.")
    for change in result.changes:
        st.markdown(f"- {plain(change.text)}")
    if result.break_even_requests_per_day is not None:
        st.caption(
            f"Break-even: {result.break_even_requests_per_day:,.0f} requests a day against "
            f"{result.break_even_against}. This workload runs {result.workload.requests_per_day:,.0f}."
        )


def workload_detail(index: int, result: WorkloadRecommendation) -> None:
    st.markdown(f"**{plain(headline(result))}**")
    if not result.feasible:
        st.warning(
            "No option meets all constraints. The closest options are listed first below, each with the rules it "
            "breaks; relaxing one of those constraints in the questionnaire gives a verdict.",
            icon=":material/warning:",
        )
    why, chart = st.columns([1, 1], gap="large")
    with why:
        reasons_section(result)
        changes_section(result)
    with chart:
        st.markdown("##### Monthly cost by volume")
        scenario = current_scenario()
        st.plotly_chart(volume_cost_figure(result, scenario.assumptions, top_options(result)), key=f"rec_chart_{index}")
        st.caption("The pick and the best alternatives; the dotted line is this workload's volume.")
    show_all = st.toggle(
        f"Show all {len(result.options)} options considered",
        key=f"rec_all_{index}",
        help="By default: the best few of each kind that pass, and the best excluded ones with why.",
    )
    with st.expander("Trade-offs: cost against quality (bigger = faster first words)", icon=":material/scatter_plot:"):
        st.plotly_chart(pareto_figure(result), key=f"rec_pareto_{index}")
        st.caption(
            "Solid: options no other option deployed the same way beats on cost, speed and quality at once. "
            "Faint: beaten on every axis by one of them. The ring marks the pick."
        )
    shown = result.shown_options(all_options=show_all)
    excluded = sum(not o.viable for o in result.options)
    st.markdown(f"##### Options, best first · {excluded} of {len(result.options)} excluded by a hard rule")
    st.dataframe(
        options_table(shown),
        hide_index=True,
        column_config=OPTION_COLUMNS,
        key=f"rec_options_{index}",
        height=min(38 + 35 * len(shown), 560),
    )


# ---- the page ----------------------------------------------------------------------------------------------------

scenario = current_scenario()
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
    st.metric(
        "Total per month",
        usd(recommendation.total_monthly_cost_usd),
        help="The picks' expected monthly costs added up (USD).",
    )
with actions:
    stem = "".join(c if c.isalnum() else "-" for c in scenario.name.lower()).strip("-") or "scenario"
    st.download_button(
        "Report (Markdown)",
        recommendation_markdown(recommendation),
        file_name=f"{stem}-recommendation.md",
        mime="text/markdown",
        icon=":material/description:",
        key="rec_markdown",
        width="stretch",
    )
    st.download_button(
        "Recommendation (JSON)",
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
        verdict_card(result)

st.page_link("pages/questionnaire.py", label="Change the answers", icon=":material/edit_note:")
st.page_link("pages/costs.py", label="Explore the costs", icon=":material/payments:")

results = recommendation.workloads
if len(results) == 1:
    st.subheader(results[0].workload.name)
    workload_detail(0, results[0])
else:
    for index, (tab, result) in enumerate(
        zip(st.tabs([plain(r.workload.name) for r in results]), results, strict=True)
    ):
        with tab:
            workload_detail(index, result)
