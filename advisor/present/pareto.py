"""The trade-off chart: every viable option by monthly cost and quality score, sized by how fast it starts.

Options no other option of the same deployment beats on cost, p95 first token, whole-answer time and quality at
once (the Pareto front, `dominated_by` empty) are drawn solid; the others faint. The pick is ringed. Hover text is
the option's name and its figures; every label is escaped (names can come from a user's own catalog).
"""

from __future__ import annotations

import html
import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import plotly.graph_objects as go

    from advisor.engine.recommend import RankedOption, WorkloadRecommendation

KIND_COLOURS = {"slm": "#2e7d32", "llm": "#6a1b9a", "hybrid": "#ef6c00"}
KIND_NAMES = {"slm": "Small model", "llm": "Large model", "hybrid": "Hybrid"}
SMALLEST, LARGEST = 8.0, 26.0


def _size(first_token_ms: float | None, fastest: float, slowest: float) -> float:
    """Marker size: larger is faster (a log scale between the fastest and the slowest p95 first token shown)."""
    if first_token_ms is None or first_token_ms <= 0 or slowest <= fastest:
        return (SMALLEST + LARGEST) / 2
    share = (math.log(slowest) - math.log(first_token_ms)) / (math.log(slowest) - math.log(fastest))
    return SMALLEST + share * (LARGEST - SMALLEST)


def _hover(ranked: RankedOption) -> str:
    o = ranked.option
    first = f"{o.est_first_token_p95_ms:,.0f} ms" if o.est_first_token_p95_ms is not None else "—"
    total = f"{o.est_total_ms:,.0f} ms" if o.est_total_ms is not None else "—"
    beaten = f"<br>beaten on every axis by {html.escape(ranked.dominated_by)}" if ranked.dominated_by else ""
    return (
        f"<b>{html.escape(o.label)}</b><br>${ranked.cost:,.2f} a month · quality {o.quality_score or 0:g}"
        f"<br>p95 first token {first} · whole answer {total}{beaten}"
    )


def pareto_figure(result: WorkloadRecommendation) -> go.Figure:
    """Viable options of one workload: monthly cost (log) against quality score; the front solid, the pick ringed."""
    import plotly.graph_objects as go

    viable = [r for r in result.options if r.viable and math.isfinite(r.cost) and r.cost > 0]
    firsts = [r.option.est_first_token_p95_ms for r in viable if r.option.est_first_token_p95_ms]
    fastest, slowest = (min(firsts), max(firsts)) if firsts else (1.0, 1.0)
    figure = go.Figure()
    for kind in ("slm", "llm", "hybrid"):
        for front in (True, False):
            members = [r for r in viable if r.option.kind == kind and (r.dominated_by is None) == front]
            if not members:
                continue
            figure.add_trace(
                go.Scatter(
                    x=[r.cost for r in members],
                    y=[r.option.quality_score or 0 for r in members],
                    mode="markers",
                    name=f"{KIND_NAMES[kind]}{'' if front else ' (beaten)'}",
                    legendgroup=kind,
                    marker={
                        "color": KIND_COLOURS[kind],
                        "opacity": 0.9 if front else 0.25,
                        "size": [_size(r.option.est_first_token_p95_ms, fastest, slowest) for r in members],
                        "line": {"width": 0},
                    },
                    hovertext=[_hover(r) for r in members],
                    hoverinfo="text",
                )
            )
    pick = result.pick
    if pick is not None and pick.cost > 0:
        figure.add_trace(
            go.Scatter(
                x=[pick.cost],
                y=[pick.option.quality_score or 0],
                mode="markers",
                name="The pick",
                marker={"symbol": "circle-open", "size": LARGEST + 8, "color": "#000000", "line": {"width": 2.5}},
                hovertext=[_hover(pick)],
                hoverinfo="text",
            )
        )
    figure.update_layout(
        height=360,
        margin={"l": 10, "r": 10, "t": 10, "b": 10},
        xaxis={"title": "Monthly cost (USD, log scale)", "type": "log"},
        yaxis={"title": "Quality score (0-100)"},
        legend={"orientation": "h", "y": -0.25},
    )
    return figure
