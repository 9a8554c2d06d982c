"""Rich display in Jupyter: a Recommendation, one workload's recommendation, a fit estimate and a side-by-side
comparison show as HTML tables.

The engine does not know about notebooks (its layer sits below this one), so the tables are registered with
IPython's HTML formatter by type name instead of as `_repr_html_` methods: `import advisor` in a notebook does that
(register()), and nothing is imported until an object is shown.
"""

from __future__ import annotations

import html
import math
from typing import Any

from advisor.present.words import money, plural, total_money

FORMATTED = {
    ("advisor.engine.recommend", "Recommendation"): "recommendation_html",
    ("advisor.engine.recommend", "WorkloadRecommendation"): "workload_html",
    ("advisor.engine.fit", "FitResult"): "fit_html",
    ("advisor.compare", "SideBySide"): "side_by_side_html",
}
"""(module, class) -> the function here that renders it."""

STYLE = (
    "<style>.rs-table{border-collapse:collapse;font-size:13px}.rs-table th,.rs-table td{padding:3px 8px;"
    "border-bottom:1px solid #e5e7eb;text-align:left}.rs-table td.n{text-align:right}</style>"
)


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _money(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else money(value)


def _ms(value: float | None) -> str:
    return "" if value is None or not math.isfinite(value) else f"{value:,.0f} ms"


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f"<td class='n'>{c}</td>" if i in numeric else f"<td>{c}</td>" for i, c in enumerate(r))
        + "</tr>"
        for r in rows
    )
    return f"{STYLE}<table class='rs-table'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def workload_html(result: Any, limit: int = 8) -> str:
    """One workload: its verdict and pick, then the options worth reading (a few per kind), ranked."""
    pick = result.pick
    what = (
        f"{_e(pick.option.label)}, {_money(result.monthly_cost_usd)} a month"
        if pick
        else "no option meets every constraint"
    )
    lead = f"<p><b>{_e(result.workload.name)}</b>: {_e(result.verdict.upper())} ({_e(result.deployment)}), {what}</p>"
    rows = []
    for ranked in result.shown_options()[:limit]:
        o = ranked.option
        rows.append(
            [
                "&#9733;" if ranked is pick else "",
                _e(o.label),
                _e(o.kind),
                _e(o.deployment),
                _money(ranked.cost),
                _ms(o.est_first_token_ms),
                "yes" if ranked.viable else _e(", ".join(ranked.excluded_by)),
            ]
        )
    header = ["", "option", "class", "deployment", "monthly cost", "first token", "viable"]
    return lead + _table(header, rows, {4, 5})


def recommendation_html(recommendation: Any) -> str:
    """A recommendation: one line per workload (verdict, pick, monthly cost), the total, then each workload."""
    rows = [
        [
            _e(w.workload.name),
            _e(w.verdict.upper()),
            _e(w.deployment),
            _e(w.pick.option.label if w.pick else "none meets every constraint"),
            _money(w.monthly_cost_usd) if w.pick else "",
        ]
        for w in recommendation.workloads
    ]
    rows.append(["<b>total</b>", "", "", "", f"<b>{_e(total_money(recommendation, per=''))}</b>"])
    summary = _table(["workload", "verdict", "deployment", "pick", "monthly cost"], rows, {4})
    details = "".join(
        f"<details><summary>{_e(w.workload.name)}: options</summary>{workload_html(w)}</details>"
        for w in recommendation.workloads
    )
    return f"<p><b>{_e(recommendation.scenario.name)}</b></p>{summary}{details}"


def fit_html(fit: Any) -> str:
    """A fit estimate: memory parts against what is available, and the speed band."""
    speed = getattr(fit, "tokens_per_s", {}) or {}
    rows = [
        ["model", _e(f"{fit.model} {fit.quant}")],
        ["hardware", _e(f"{fit.count}x {fit.hardware}")],
        ["context / concurrency", _e(f"{plural(fit.context_tokens, 'token')} x {plural(fit.concurrency, 'sequence')}")],
        ["weights", _e(f"{fit.weights_gb:.2f} GB")],
        ["KV cache", _e(f"{fit.kv_cache_gb:.2f} GB")],
        ["overhead", _e(f"{fit.overhead_gb:.2f} GB")],
        ["total / available", _e(f"{fit.total_gb:.2f} GB of {fit.available_gb:.2f} GB")],
        ["fits", "yes" if fit.fits else "<b>no</b>"],
    ]
    if speed:
        rows.append(["decode tokens/s (low, expected, high)", _e(", ".join(f"{speed[b]:,.1f}" for b in speed))])
    return _table(["", ""], rows)


def side_by_side_html(result: Any) -> str:
    """One prompt run on every side: timings, tokens, cost and the start of each answer."""
    rows = []
    for side, m in result.sides.items():
        rows.append(
            [
                _e(side),
                _e(m.model),
                _ms(m.first_token_ms),
                "" if m.tokens_per_s is None else f"{m.tokens_per_s:,.1f}",
                _ms(m.total_ms),
                _e(m.completion_tokens),
                _money(m.monthly_cost_usd),
                _e(m.error) if m.error else _e(m.text[:160]),
            ]
        )
    header = ["side", "model", "first token", "tokens/s", "total", "tokens", "monthly", "answer"]
    return f"<p>{_e(result.prompt[:200])}</p>" + _table(header, rows, {2, 3, 4, 5, 6})


def render(obj: Any) -> str | None:
    """The HTML for any of the FORMATTED types, else None."""
    cls = type(obj)
    name = FORMATTED.get((cls.__module__, cls.__name__))
    return globals()[name](obj) if name else None


def register(shell: Any = None) -> bool:
    """Register the HTML tables with IPython's formatter (the running shell by default); False outside IPython."""
    if shell is None:
        try:
            from IPython import get_ipython
        except ImportError:
            return False
        shell = get_ipython()
    if shell is None:
        return False
    formatter = shell.display_formatter.formatters["text/html"]
    for (module, name), function in FORMATTED.items():
        formatter.for_type_by_name(module, name, globals()[function])
    return True
