"""A recommendation as text: a terminal table and a Markdown report that reads like an architect's advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.present.words import VERDICT_WORDS, WHERE_WORDS, ms, plain, usd

if TYPE_CHECKING:
    from advisor.engine.recommend import RankedOption, Recommendation, WorkloadRecommendation


def headline(w: WorkloadRecommendation) -> str:
    """One sentence: the verdict, where it runs, the pick and its monthly cost."""
    if not w.feasible:
        return f"{w.workload.name}: no option meets all constraints; the closest ones are listed with what they break."
    pick = w.pick
    assert pick is not None
    return (
        f"{w.workload.name}: {pick.option.kind.upper()} - {VERDICT_WORDS[pick.option.kind]} "
        f"{WHERE_WORDS[pick.option.deployment]}: "
        f"{pick.option.label}, {usd(pick.monthly_usd['expected'])}/month "
        f"({usd(pick.monthly_usd['low'])}-{usd(pick.monthly_usd['high'])})."
    )


def option_line(ranked: RankedOption) -> str:
    o = ranked.option
    plural = "" if ranked.score == 1 else "s"
    status = "excluded by " + ", ".join(ranked.excluded_by) if ranked.excluded_by else f"{ranked.score:g} point{plural}"
    return (
        f"{o.kind.upper():6} {o.deployment:11} {o.label} | {usd(ranked.monthly_usd['expected'])}/month "
        f"| first token {ms(o.est_first_token_ms)} | {status}"
    )


def recommendation_table(rec: Recommendation, all_options: bool = False) -> str:
    """Plain text for a terminal: headline, reasons, options and thresholds per workload."""
    lines = [f"{rec.scenario.name}: total {usd(rec.total_monthly_cost_usd)}/month", ""]
    for w in rec.workloads:
        lines.append(headline(w))
        lines.append("  why:")
        lines.extend(f"    [{r.rule}] {r.text} ({r.effect})" for r in w.reasons)
        lines.append("  options:")
        lines.extend(f"    {i}. {option_line(o)}" for i, o in enumerate(w.shown_options(all_options), start=1))
        if w.break_even_requests_per_day is not None:
            lines.append(
                f"  break-even: {w.break_even_requests_per_day:,.0f} requests/day against {w.break_even_against}"
            )
        if w.changes:
            lines.append("  what would change it:")
            lines.extend(f"    - {c.text}" for c in w.changes)
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def md(text: str) -> str:
    """Text for the Markdown report: shown as typed, never as markup."""
    return plain(text, streamlit=False)


def recommendation_markdown(rec: Recommendation) -> str:
    """A Markdown report: summary table, then per workload the pick, the reasons with sources, the options."""
    out = [f"# {md(rec.scenario.name)}", ""]
    out += ["| workload | verdict | runs | pick | monthly cost |", "|---|---|---|---|---|"]
    for w in rec.workloads:
        pick = w.pick
        verdict, runs = ((w.verdict or "none").upper(), w.deployment) if pick else ("none", "-")
        label = pick.option.label if pick else "no option meets all constraints"
        out.append(f"| {md(w.workload.name)} | {verdict} | {runs} | {md(label)} | {usd(w.monthly_cost_usd)} |")
    out += ["", f"**Total: {usd(rec.total_monthly_cost_usd)} a month.**", ""]
    for w in rec.workloads:
        out += [f"## {md(w.workload.name)}", "", md(headline(w)), ""]
        out += ["### Why", ""]
        out += [f"- **{r.rule}** ({md(r.effect)}): {md(r.text)} _Source: {md(r.source)}._" for r in w.reasons]
        out += ["", "### Options", ""]
        out += [
            "| # | kind | runs | option | monthly (low-high) | first token | tokens/s | status |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for i, r in enumerate(w.shown_options(), start=1):
            o = r.option
            status = "excluded: " + md("; ".join(r.why_excluded)) if r.excluded_by else "ok"
            speed = "n/a" if o.est_tokens_per_s is None else f"{o.est_tokens_per_s:,.0f}"
            out.append(
                f"| {i} | {o.kind.upper()} | {o.deployment} | {md(o.label)} | {usd(r.monthly_usd['expected'])} "
                f"({usd(r.monthly_usd['low'])}-{usd(r.monthly_usd['high'])}) | {ms(o.est_first_token_ms)} "
                f"| {speed} | {status} |"
            )
        if w.break_even_requests_per_day is not None:
            out += [
                "",
                f"Break-even: {w.break_even_requests_per_day:,.0f} requests a day against "
                f"{md(w.break_even_against or '')}.",
            ]
        if w.changes:
            out += ["", "### What would change this", ""]
            out += [f"- {md(c.text)}" for c in w.changes]
        out.append("")
    return "\n".join(out).rstrip() + "\n"
