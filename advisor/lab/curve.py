"""The quality-vs-share figure of a lab run (plotly): the band between random routing and the oracle bound, this
router's signal swept over the shares, this run's point and the published router and cascade results."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from advisor.lab.run import LabResult


def curve_figure(result: LabResult) -> Any:
    import plotly.graph_objects as go

    figure = go.Figure()
    curve = result.curve
    shares = [c.small_share * 100 for c in curve]
    if curve:
        figure.add_trace(
            go.Scatter(
                x=shares,
                y=[c.random for c in curve],
                name="Random routing",
                mode="lines",
                line={"dash": "dash", "color": "#888888"},
            )
        )
        figure.add_trace(
            go.Scatter(
                x=shares,
                y=[c.oracle for c in curve],
                name="Oracle bound",
                mode="lines",
                line={"color": "#2a9d8f"},
                fill="tonexty",
                fillcolor="rgba(42,157,143,0.12)",
            )
        )
        if any(c.measured is not None for c in curve):
            figure.add_trace(
                go.Scatter(
                    x=shares,
                    y=[c.measured for c in curve],
                    name="This router (swept)",
                    mode="lines+markers",
                    line={"color": "#e76f51"},
                    marker={"size": 5},
                )
            )
    quality = result.quality()["quality_vs_large"]
    if result.small_share is not None and quality is not None:
        figure.add_trace(
            go.Scatter(
                x=[result.small_share * 100],
                y=[quality],
                name="This run",
                mode="markers",
                marker={"size": 14, "symbol": "star", "color": "#e63946"},
            )
        )
    published = [p for p in result.published if p["small_share"] is not None]
    if published:
        figure.add_trace(
            go.Scatter(
                x=[p["small_share"] * 100 for p in published],
                y=[p["quality_vs_large"] for p in published],
                name="Published results",
                mode="markers",
                marker={"size": 9, "symbol": "diamond-open", "color": "#264653"},
                text=[f"{p['method']} ({p['evaluated_on']})" for p in published],
                hovertemplate="%{text}<br>small share %{x:.0f}%, quality %{y:.0%}<extra></extra>",
            )
        )
    figure.update_layout(
        title="Quality against the share kept on the small model (your prompts; published results for reference)",
        xaxis_title="share of requests the small model keeps (%)",
        yaxis_title="quality as a fraction of the large model's",
        yaxis_tickformat=".0%",
        legend={"orientation": "h", "y": -0.25},
        margin={"l": 60, "r": 20, "t": 60, "b": 40},
    )
    return figure
