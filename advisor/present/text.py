"""A recommendation as text: a terminal table and a Markdown report that reads like an architect's advice."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.present.words import (
    VERDICT_WORDS,
    WHERE_SHORT,
    WHERE_WORDS,
    humanize,
    money,
    money_text,
    ms,
    plain,
    rule_title,
    total_money,
)

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.engine.recommend import RankedOption, Recommendation, WorkloadRecommendation
    from advisor.present.report import Names

VERDICT_NAMES = {"slm": "SLM", "llm": "LLM", "hybrid": "Hybrid"}


def headline(w: WorkloadRecommendation, names: Names | None = None) -> str:
    """One sentence: the verdict, where it runs, the pick and its monthly cost (its range when it has one).

    Without `names` (the terminal table): the pick by its label, the id the CLI and scenario files use. With them
    (the app, the Markdown report): by its catalog name, and the money in cents."""
    if not w.feasible:
        return f"{w.workload.name}: no option meets all constraints; the closest ones are listed with what they break."
    pick = w.pick
    assert pick is not None
    kind = pick.option.kind
    low, high = money(pick.monthly_usd["low"]), money(pick.monthly_usd["high"])
    if names is None:
        band = "" if low == high else f" ({low}-{high})"
        return (
            f"{w.workload.name}: {kind.upper()} - {VERDICT_WORDS[kind]} {WHERE_WORDS[pick.option.deployment]}: "
            f"{pick.option.label}, {money(pick.cost)}/month{band}."
        )
    band = "" if low == high else f" ({low} to {high})"
    return (
        f"{w.workload.name}: {kind.upper()}, {VERDICT_WORDS[kind]} {WHERE_WORDS[pick.option.deployment]} — "
        f"{names.option(pick.option)}, {money(pick.cost)} a month{band}."
    )


def option_line(ranked: RankedOption) -> str:
    o = ranked.option
    plural = "" if ranked.score == 1 else "s"
    status = "excluded by " + ", ".join(ranked.excluded_by) if ranked.excluded_by else f"{ranked.score:g} point{plural}"
    return (
        f"{o.kind.upper():6} {o.deployment:11} {o.label} | {money(ranked.monthly_usd['expected'])}/month "
        f"| first token {ms(o.est_first_token_ms)} | {status}"
    )


def recommendation_table(rec: Recommendation, all_options: bool = False) -> str:
    """Plain text for a terminal: headline, reasons, options and thresholds per workload."""
    lines = [f"{rec.scenario.name}: total {total_money(rec, per='/month')}", ""]
    for w in rec.workloads:
        lines.append(headline(w))
        lines.append("  why:")
        lines.extend(f"    [{r.rule}] {money_text(r.text)} ({r.effect})" for r in w.reasons)
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


def recommendation_markdown(rec: Recommendation, catalog: Catalog | None = None) -> str:
    """A Markdown report for people: summary table, then per workload the pick, the reasons with sources, the
    options, in catalog names and words; the ids of the options shown close each workload (for scenario files and
    the CLI)."""
    from advisor.present.report import Names, change_text, effect_words

    if catalog is None:
        from advisor.data.catalog import default_catalog

        catalog = default_catalog()
    names = Names(catalog)
    out = [f"# {md(rec.scenario.name)}", ""]
    out += ["| workload | verdict | runs | pick | monthly cost |", "|---|---|---|---|---|"]
    for w in rec.workloads:
        pick = w.pick
        verdict, runs = (
            (VERDICT_NAMES[w.verdict or pick.option.kind], WHERE_SHORT[pick.option.deployment])
            if pick
            else ("none", "-")
        )
        label = names.option(pick.option) if pick else "no option meets all constraints"
        cost = money(w.monthly_cost_usd) if pick else "-"
        out.append(f"| {md(w.workload.name)} | {verdict} | {runs} | {md(label)} | {cost} |")
    out += ["", f"**Total: {total_money(rec)}.**", ""]
    for w in rec.workloads:
        out += [f"## {md(w.workload.name)}", "", md(headline(w, names)), ""]
        out += ["### Why", ""]
        out += [
            f"- **{md(rule_title(r.rule))}** ({md(effect_words(r))}): {md(humanize(names.text(r.text, w)))} "
            f"_Source: {md(r.source)}._"
            for r in w.reasons
        ]
        out += ["", "### Options", ""]
        out += [
            "| # | class | runs | option | monthly (range) | first token | tokens/s | status |",
            "|---|---|---|---|---|---|---|---|",
        ]
        shown = w.shown_options()
        for i, r in enumerate(shown, start=1):
            o = r.option
            if r.excluded_by:
                status = "excluded: " + md(humanize(names.text("; ".join(r.why_excluded), w)))
            else:
                status = "the pick" if r is w.pick else "meets every constraint"
            speed = "n/a" if o.est_tokens_per_s is None else f"{o.est_tokens_per_s:,.0f}"
            low, high = money(r.monthly_usd["low"]), money(r.monthly_usd["high"])
            spread = "" if low == high else f" ({low}-{high})"
            out.append(
                f"| {i} | {o.kind.upper()} | {WHERE_SHORT[o.deployment]} | {md(names.option(o))} "
                f"| {money(r.monthly_usd['expected'])}{spread} | {ms(o.est_first_token_ms)} | {speed} | {status} |"
            )
        if w.break_even_requests_per_day is not None:
            out += [
                "",
                f"Break-even: {w.break_even_requests_per_day:,.0f} requests a day against "
                f"{md(names.text(w.break_even_against or '', w))}.",
            ]
        if w.changes:
            out += ["", "### What would change this", ""]
            out += [f"- {md(humanize(change_text(c, w, names)))}" for c in w.changes]
        out += ["", "<details><summary>Catalog ids of these options</summary>", ""]
        out += [f"{i}. `{md(r.option.label)}`" for i, r in enumerate(shown, start=1)]
        out += ["", "</details>", ""]
    return "\n".join(out).rstrip() + "\n"
