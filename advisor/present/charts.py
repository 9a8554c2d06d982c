"""Plotly figures over the cost engine's tables, shared by the app and notebooks (plotly is imported lazily)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from advisor.present.words import compact, per_day

if TYPE_CHECKING:
    import pandas as pd
    import plotly.graph_objects as go

    from advisor.engine.options import Option
    from advisor.engine.recommend import RankedOption, WorkloadRecommendation
    from advisor.schema.scenario import Assumptions


def decade_ticks(span: list[float], prefix: str = "") -> dict[str, Any]:
    """Ticks at powers of ten only: a log axis with 2s and 5s between decades is hard to read."""
    first, last = math.floor(math.log10(span[0])), math.ceil(math.log10(span[1]))
    values = [10.0**k for k in range(first, last + 1)]
    text = [f"{prefix}{v:,.0f}" if v >= 1 else f"{prefix}{v:g}" for v in values]
    return {"tickvals": values, "ticktext": text}


def cost_curve_figure(
    curves: pd.DataFrame, current_volume: float | None = None, crossing: tuple[float, float] | None = None
) -> go.Figure:
    """Monthly cost vs requests/day (log-log): APIs as lines, self-hosted as replica steps, break-even starred.

    `curves` is advisor.engine.cost.cost_curves (or sensitivity) output: volume, option, kind, monthly_cost_usd.
    """
    import plotly.graph_objects as go

    figure = go.Figure()
    for option, rows in curves.groupby("option", observed=True, sort=False):
        api = rows["kind"].iloc[0] == "api"
        figure.add_trace(
            go.Scatter(
                x=rows["volume"],
                y=rows["monthly_cost_usd"],
                name=f"{option} ({'API' if api else 'self-hosted'})",
                mode="lines",
                line={"dash": "solid" if api else "dash", "width": 2.5, "shape": "linear" if api else "hv"},
                hovertemplate="%{x:,.0f} requests/day<br>%{y:$,.2f} per month<extra>%{fullData.name}</extra>",
            )
        )
    costs = curves["monthly_cost_usd"]
    drawable = costs[np.isfinite(costs) & (costs > 0)]  # a log axis cannot show $0 or an unservable volume
    span = [float(drawable.min()), float(drawable.max())] if len(drawable) else [1.0, 10.0]
    if current_volume is not None:
        figure.add_trace(
            go.Scatter(
                x=[current_volume, current_volume],
                y=span,
                name=f"This workload: {per_day(current_volume)}",
                mode="lines",
                line={"color": "gray", "dash": "dot", "width": 1.5},
                hoverinfo="skip",
            )
        )
    if crossing is not None:
        volume, monthly = crossing
        figure.add_trace(
            go.Scatter(
                x=[volume],
                y=[monthly],
                name=f"Break-even: {per_day(volume)}",
                mode="markers",
                marker={"symbol": "star", "size": 16, "color": "#d62728", "line": {"width": 1, "color": "white"}},
                hovertemplate="Break-even<br>%{x:,.0f} requests/day<br>%{y:$,.2f} per month<extra></extra>",
            )
        )
    figure.update_layout(
        title={"text": "Options held fixed across volumes (not re-decided)", "font": {"size": 13}},
        height=460,
        margin={"l": 10, "r": 10, "t": 40, "b": 10},
        legend={"orientation": "h", "yanchor": "top", "y": -0.18, "xanchor": "left", "x": 0},
        hovermode="closest",
    )
    volumes = [float(curves["volume"].min()), float(curves["volume"].max())]
    figure.update_xaxes(type="log", title="Requests per day", **decade_ticks(volumes))
    figure.update_yaxes(type="log", title="Monthly cost (USD)", **decade_ticks(span, "$"))
    return figure


# ---- figures over a WorkloadRecommendation (the Costs and Recommendation pages, notebooks) ------------------------

OPTION_COLOURS = ("#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#E15759", "#76B7B2", "#9C755F", "#FF9DA7")
"""Tableau 10 without its yellow and grey: the yellow is kept for the break-even star, grey for the current volume."""
COMPONENTS = (
    ("api_usd", "API tokens", "#5B6C8F"),
    ("hardware_usd", "Hardware", "#9AA7BF"),
    ("energy_usd", "Energy", "#E0B84F"),
    ("ops_usd", "Ops", "#D3D7DE"),
)
STAR_COLOUR = "#FFC20A"
TARGET_COLOUR = "#B91C1C"
CURVE_POINTS = 161
SPAN_FACTOR = 100.0
"""The volume figure's default span: this many times below and above the workload's volume (at least up to
MIN_SPAN_HIGH a day, so a small workload still sees where volume starts to matter)."""
MIN_SPAN_HIGH = 1e6
PICK_WIDTH = 5.0
OTHER_WIDTH = 2.0
OWN_HARDWARE_DASHES = ("dash", "dot", "dashdot", "longdash", "longdashdot")
"""Own-hardware lines that cost the same (one rented GPU, whatever model it runs) overlap: each gets its own dash."""
BAR_HEIGHT = 44
MARGIN = {"l": 10, "r": 20, "t": 40, "b": 10}
FONT = {"family": "Inter, Segoe UI, Helvetica, Arial, sans-serif", "size": 13}


def uses_api(option: Option) -> bool:
    """The engine's line between API and own hardware: any traffic to a provider counts as API."""
    return option.provider is not None


def top_options(result: WorkloadRecommendation, limit: int = 5) -> list[RankedOption]:
    """The options worth drawing: the pick, the best viable option of each other (kind, API-or-own-hardware) group
    (the break-even option first, so the chart can show both sides of the line), then the next best by rank.

    When nothing is viable: the options breaking the fewest constraints, in rank order."""
    viable = [r for r in result.options if r.viable]
    if not viable:
        return result.options[:limit]
    chosen = [viable[0]]
    group_best: dict[tuple[str, bool], RankedOption] = {}
    for ranked in viable:
        group_best.setdefault((ranked.option.kind, uses_api(ranked.option)), ranked)
    against = [r for r in viable if r.option.label == result.break_even_against]
    for ranked in against + list(group_best.values()) + viable:
        if len(chosen) >= limit:
            break
        if all(ranked is not c for c in chosen):
            chosen.append(ranked)
    return chosen


def option_names(options: list[RankedOption], display: dict[str, str] | None = None) -> dict[str, str]:
    """A short display name per option label (hybrid labels run to a hundred characters); distinct, like labels.

    `display` gives names to use instead (a report names models and hardware rather than showing their ids)."""
    names = {r.option.label: (display or {}).get(r.option.label) or _short_name(r.option) for r in options}
    counts: dict[str, int] = {}
    for name in names.values():
        counts[name] = counts.get(name, 0) + 1
    return {label: name if counts[name] == 1 else label for label, name in names.items()}


def _short_name(option: Option) -> str:
    small, large = option.small, option.large
    if small is None or large is None:
        return option.label
    large_name = large.label if uses_api(large) else f"{large.model} on {large.hardware}"
    return f"{option.pattern}: {small.model} {option.small_share or 0:.0%} + {large_name}"


def option_colours(options: list[RankedOption]) -> dict[str, str]:
    """One colour per option label, by position: pass the same list to every figure and the colours agree."""
    return {r.option.label: OPTION_COLOURS[i % len(OPTION_COLOURS)] for i, r in enumerate(options)}


def _volume_text(volume: float) -> str:
    return f"{volume:,.0f}" if volume < 10_000 else compact(float(f"{volume:.3g}"))


def log_ticks(low: float, high: float, prefix: str = "") -> dict[str, Any]:
    """Ticks at powers of ten, with 2s and 5s added when the span holds fewer than three decades' marks."""
    first, last = math.floor(math.log10(low)), math.ceil(math.log10(high))
    values = [10.0**k for k in range(first, last + 1)]
    if sum(low <= v <= high for v in values) < 3:
        values = sorted(v * m for v in values for m in (1, 2, 5))
    shown = [v for v in values if low / 1.01 <= v <= high * 1.01] or values
    return {"tickvals": shown, "ticktext": [compact(v, prefix) for v in shown]}


def _log_range(values: list[float], pad: float = 1.25) -> list[float]:
    """A log axis range (in log10 units, as plotly wants it) around the positive finite values."""
    drawable = [v for v in values if math.isfinite(v) and v > 0] or [1.0, 10.0]
    return [math.log10(min(drawable) / pad), math.log10(max(drawable) * pad)]


def _tick_labels(options: list[RankedOption], display: dict[str, str] | None = None) -> dict[str, Any]:
    """Category tick labels with the option's colour as a dot, so bars read against the volume chart's legend."""
    names, colours = option_names(options, display), option_colours(options)
    labels = [r.option.label for r in options]
    return {
        "tickvals": [names[label] for label in labels],
        "ticktext": [f"<span style='color:{colours[label]}'>■</span> {names[label]}" for label in labels],
    }


def _bar_layout(figure: go.Figure, count: int, x_title: str) -> None:
    figure.update_layout(
        height=110 + BAR_HEIGHT * max(count, 1),
        margin=MARGIN,
        font=FONT,
        bargap=0.35,
        plot_bgcolor="white",
        hoverlabel={"align": "left"},
    )
    figure.update_xaxes(gridcolor="#E5E7EB", zeroline=False)
    if x_title:
        figure.update_xaxes(title=x_title)
    figure.update_yaxes(autorange="reversed", automargin=True)


def volume_cost_figure(
    result: WorkloadRecommendation,
    assumptions: Assumptions,
    options: list[RankedOption],
    low: float | None = None,
    high: float | None = None,
    display: dict[str, str] | None = None,
) -> go.Figure:
    """Monthly cost vs requests/day (log-log) for `options`, each with its low-high band, the workload's volume
    dotted and the break-even volume starred. Own-hardware curves step: each step is one more replica."""
    import plotly.graph_objects as go

    workload = result.workload
    volume = workload.requests_per_day
    break_even = result.break_even_requests_per_day
    anchors = [volume] + ([break_even] if break_even else [])
    low = low if low is not None else max(min(volume / SPAN_FACTOR, min(anchors) / 3), 1.0)
    high = high if high is not None else max(volume * SPAN_FACTOR, max(anchors) * 3, MIN_SPAN_HIGH)
    extra = [v for v in anchors if low <= v <= high]
    grid = np.unique(np.concatenate([np.geomspace(low, high, CURVE_POINTS), extra]))
    names, colours = option_names(options, display), option_colours(options)

    figure = go.Figure()
    drawn: list[float] = []
    pick = result.pick
    own_hardware = 0
    # The pick is drawn last, so its line lies on top of any that cost the same.
    for ranked in sorted(options, key=lambda r: r is pick):
        option, colour = ranked.option, colours[ranked.option.label]
        is_pick = ranked is pick
        bands = {
            cost: np.array([_drawable(option.usd_at(float(v), workload, assumptions, speed)) for v in grid])
            for cost, speed in (("low", "high"), ("expected", "expected"), ("high", "low"))
        }
        drawn += [float(v) for v in np.concatenate([bands["low"], bands["high"]]) if math.isfinite(v)]
        shape = "linear" if uses_api(option) and option.small is None else "hv"
        group = {"legendgroup": option.label, "line_shape": shape, "hoverinfo": "skip", "showlegend": False}
        if not np.array_equal(bands["low"], bands["high"], equal_nan=True):
            figure.add_trace(go.Scatter(x=grid, y=bands["high"], mode="lines", line={"width": 0}, **group))
            figure.add_trace(
                go.Scatter(
                    x=grid,
                    y=bands["low"],
                    mode="lines",
                    line={"width": 0},
                    fill="tonexty",
                    fillcolor=_transparent(colour, 0.18),
                    **group,
                )
            )
        dash = "solid"
        if not uses_api(option):
            dash = "solid" if is_pick else OWN_HARDWARE_DASHES[own_hardware % len(OWN_HARDWARE_DASHES)]
            own_hardware += 0 if is_pick else 1
        name = f"★ {names[option.label]} (the pick)" if is_pick else names[option.label]
        figure.add_trace(
            go.Scatter(
                x=grid,
                y=bands["expected"],
                name=name,
                legendgroup=option.label,
                legendrank=1 if is_pick else 1000,
                meta={"option": option.label, "band": "expected", "pick": is_pick},
                mode="lines",
                opacity=1.0 if is_pick else 0.8,
                line={
                    "color": colour,
                    "width": PICK_WIDTH if is_pick else OTHER_WIDTH,
                    "shape": shape,
                    "dash": dash,
                },
                customdata=np.column_stack([bands["low"], bands["high"]]),
                hovertemplate=f"<b>{_escape(name)}</b><br>%{{y:$,.2f}} per month "
                "(%{customdata[0]:$,.2f} to %{customdata[1]:$,.2f})<extra></extra>",
            )
        )
        if is_pick:
            at_volume = _drawable(option.usd_at(volume, workload, assumptions, "expected"))
            if math.isfinite(at_volume):
                figure.add_trace(
                    go.Scatter(
                        x=[volume],
                        y=[at_volume],
                        name="The pick at this volume",
                        meta={"marker": "pick", "option": option.label},
                        mode="markers",
                        showlegend=False,
                        marker={"color": colour, "size": 14, "line": {"width": 2, "color": "white"}},
                        hovertemplate=f"The pick: %{{y:$,.2f}} per month at {_escape(per_day(volume))}<extra></extra>",
                    )
                )
    span = [min(drawn, default=1.0), max(drawn, default=10.0)]
    figure.add_trace(
        go.Scatter(
            x=[volume, volume],
            y=span,
            name=f"This workload: {per_day(volume)}",
            meta={"marker": "volume"},
            mode="lines",
            line={"color": "#6B7280", "dash": "dot", "width": 1.5},
            hoverinfo="skip",
        )
    )
    if break_even is not None and pick is not None and low <= break_even <= high:
        at_break_even = pick.option.usd_at(break_even, workload, assumptions, "expected")
        figure.add_trace(
            go.Scatter(
                x=[break_even],
                y=[at_break_even],
                name=f"Break-even: {per_day(break_even)}",
                meta={"marker": "break_even"},
                mode="markers",
                marker={"symbol": "star", "size": 18, "color": STAR_COLOUR, "line": {"width": 1, "color": "#374151"}},
                hovertemplate="Break-even<br>%{x:,.0f} requests/day<br>%{y:$,.2f} per month<extra></extra>",
            )
        )
        # Annotations on log axes take log10 positions (traces and shapes take data values).
        figure.add_annotation(
            x=math.log10(break_even),
            y=math.log10(at_break_even),
            text=f"Break-even ≈ {_volume_text(break_even)}/day",
            showarrow=True,
            arrowhead=0,
            ax=40,
            ay=40,
            bgcolor="rgba(255,255,255,0.85)",
            bordercolor="#9CA3AF",
            font={"size": 12, "color": "#111827"},
        )
    legend_rows = math.ceil((len(options) + 2) / 2)
    figure.update_layout(
        # These options were sized (hardware, replica capacity) for the workload's volume and are held so across
        # the axis; advisor.sweep() and sweep_cost_figure re-decide at each volume instead.
        title={"text": f"Options as sized for {per_day(volume)}, held fixed across volumes", "font": {"size": 13}},
        height=430 + 22 * legend_rows,
        margin=MARGIN,
        font=FONT,
        plot_bgcolor="white",
        hovermode="x unified",
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0},
    )
    figure.update_xaxes(
        type="log",
        title="Requests per day",
        gridcolor="#E5E7EB",
        range=_log_range([low, high], 1.0),
        **log_ticks(low, high),
    )
    figure.update_yaxes(
        type="log",
        title="Monthly cost (USD)",
        gridcolor="#E5E7EB",
        range=_log_range(span),
        **log_ticks(span[0], span[1], "$"),
    )
    return figure


def _drawable(monthly: float) -> float:
    """A log axis cannot show $0 or an unservable (infinite) bill: NaN leaves a gap there."""
    return monthly if math.isfinite(monthly) and monthly > 0 else math.nan


def _transparent(colour: str, alpha: float) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({red},{green},{blue},{alpha})"


def _escape(text: str) -> str:
    """Literal text inside a plotly hovertemplate (a label may hold '%{' in theory, '%' in practice)."""
    return text.replace("%{", "%%{")


def breakdown_figure(
    result: WorkloadRecommendation,
    assumptions: Assumptions,
    options: list[RankedOption],
    requests_per_day: float | None = None,
    display: dict[str, str] | None = None,
) -> go.Figure:
    """Stacked horizontal bars per option: API tokens, hardware, energy and ops, at the workload's volume."""
    import plotly.graph_objects as go

    workload = result.workload
    volume = workload.requests_per_day if requests_per_day is None else requests_per_day
    names = option_names(options, display)
    y = [names[r.option.label] for r in options]
    parts = [r.option.breakdown_usd(volume, workload, assumptions) for r in options]
    figure = go.Figure()
    for key, title, colour in COMPONENTS:
        figure.add_trace(
            go.Bar(
                x=[p[key] for p in parts],
                y=y,
                name=title,
                meta={"component": key},
                orientation="h",
                marker={"color": colour, "line": {"width": 0}},
                hovertemplate=f"{title}: %{{x:$,.2f}} per month<extra>%{{y}}</extra>",
            )
        )
    totals = [sum(p.values()) for p in parts]
    figure.add_trace(
        go.Scatter(
            x=totals,
            y=y,
            mode="text",
            text=[f"  ${t:,.2f}" for t in totals],
            textposition="middle right",
            showlegend=False,
            hoverinfo="skip",
            cliponaxis=False,
        )
    )
    figure.update_layout(
        barmode="stack", legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"}
    )
    _bar_layout(figure, len(options), f"Monthly cost at {per_day(volume)} (USD)")
    figure.update_xaxes(tickprefix="$", tickformat=",.0f", range=[0, max(totals, default=1.0) * 1.25 or 1.0])
    figure.update_yaxes(**_tick_labels(options, display))
    return figure


def cost_band_figure(options: list[RankedOption], display: dict[str, str] | None = None) -> go.Figure:
    """Per option the expected monthly cost with low-high whiskers: what the speed estimate's spread does to it."""
    import plotly.graph_objects as go

    names, colours = option_names(options, display), option_colours(options)
    figure = go.Figure()
    for ranked in options:
        band = ranked.monthly_usd
        name = names[ranked.option.label]
        why = single_figure_reason(ranked)
        label = f"${band['expected']:,.2f}" + (" · one figure" if why else "")
        figure.add_trace(
            go.Scatter(
                x=[band["expected"]],
                y=[name],
                name=name,
                meta={"option": ranked.option.label},
                mode="markers+text",
                text=[label],
                textposition="top center",
                marker={"symbol": "diamond", "size": 13, "color": colours[ranked.option.label]},
                error_x={
                    "type": "data",
                    "symmetric": False,
                    "array": [band["high"] - band["expected"]],
                    "arrayminus": [band["expected"] - band["low"]],
                    "color": colours[ranked.option.label],
                    "thickness": 2,
                    "width": 7,
                    "visible": why is None,
                },
                customdata=[[band["low"], band["high"]]],
                hovertemplate=(
                    f"Expected %{{x:$,.2f}} per month<br>One figure: {_escape(why)}<extra>%{{y}}</extra>"
                    if why
                    else "Expected %{x:$,.2f} per month<br>Low %{customdata[0]:$,.2f} (fast end) · "
                    "high %{customdata[1]:$,.2f} (slow end)<extra>%{y}</extra>"
                ),
                showlegend=False,
            )
        )
    values = [v for r in options for v in r.monthly_usd.values()]
    positive = [v for v in values if math.isfinite(v) and v > 0]
    _bar_layout(figure, len(options), "Monthly cost, low to high (USD)")
    if positive and max(positive) / min(positive) >= 10:
        figure.update_xaxes(
            type="log", range=_log_range(positive, 1.6), **log_ticks(*_padded(positive, 1.6), prefix="$")
        )
    else:
        figure.update_xaxes(tickprefix="$", tickformat=",.0f", rangemode="tozero")
    # Room above the first row for its value label (the axis runs top-down: first option on top).
    figure.update_yaxes(**_tick_labels(options, display), autorange=False, range=[len(options) - 0.5, -0.8])
    return figure


def single_figure_reason(ranked: RankedOption) -> str | None:
    """Why an option's cost band is one figure (no whiskers to draw), or None when low and high differ."""
    band = ranked.monthly_usd
    if round(band["low"], 2) != round(band["high"], 2):
        return None
    option = ranked.option
    if uses_api(option) and option.small is None:
        return "priced per token, whatever the speed"
    if option.provider is None and option.small is None and ranked.replicas:
        plural = "" if round(ranked.replicas) == 1 else "s"
        return f"{ranked.replicas:,.0f} replica{plural} serve the volume at both speed ends"
    return "the speed spread does not change the bill"


def _padded(values: list[float], pad: float) -> tuple[float, float]:
    return min(values) / pad, max(values) * pad


def latency_figure(
    result: WorkloadRecommendation, options: list[RankedOption], display: dict[str, str] | None = None
) -> go.Figure:
    """Estimated first-token and whole-response times per option, against the workload's p95 targets (dotted)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    workload = result.workload
    names, colours = option_names(options, display), option_colours(options)
    y = [names[r.option.label] for r in options]
    panels = (
        ("First token (ms)", "est_first_token_ms", workload.latency_p95_first_token_ms),
        ("Whole response (ms)", "est_total_ms", workload.latency_p95_total_ms),
    )
    figure = make_subplots(rows=1, cols=2, shared_yaxes=True, horizontal_spacing=0.08)
    for col, (title, attribute, target) in enumerate(panels, start=1):
        values: list[float | None] = [getattr(r.option, attribute) for r in options]
        known = [v for v in values if v is not None and v > 0] + ([target] if target else [])
        left = min(known, default=10.0) / 3
        figure.add_trace(
            go.Bar(
                x=[v if v is not None else None for v in values],
                y=y,
                orientation="h",
                meta={"estimate": attribute},
                marker={"color": [colours[r.option.label] for r in options]},
                text=[f"{v:,.0f} ms" if v is not None else "" for v in values],
                textposition="auto",  # inside a long bar (so it cannot run into the next panel), else after it
                insidetextanchor="end",
                cliponaxis=False,
                hovertemplate=f"{title.split(' (')[0]}: %{{x:,.0f}} ms<extra>%{{y}}</extra>",
                showlegend=False,
            ),
            row=1,
            col=col,
        )
        missing = [name for name, v in zip(y, values, strict=True) if v is None]
        if missing:
            figure.add_trace(
                go.Scatter(
                    x=[left * 1.1] * len(missing),
                    y=missing,
                    mode="text",
                    text=["n/a"] * len(missing),
                    meta={"missing": attribute},
                    textposition="middle right",
                    textfont={"color": "#6B7280"},
                    showlegend=False,
                    hoverinfo="skip",
                ),
                row=1,
                col=col,
            )
        if target:
            figure.add_vline(x=target, line={"color": TARGET_COLOUR, "dash": "dot", "width": 2}, row=1, col=col)
            figure.add_annotation(
                x=math.log10(target),  # an annotation on a log axis takes log10 (the line above takes data)
                y=1,
                xref=f"x{col if col > 1 else ''}",
                yref="paper",
                yanchor="bottom",
                text=f"p95 target {target:,.0f} ms",
                showarrow=False,
                font={"color": TARGET_COLOUR, "size": 12},
            )
        figure.update_xaxes(
            type="log",
            title=title,
            range=_log_range([left, *known], 2.5),
            **log_ticks(left, max(known, default=100.0)),
            row=1,
            col=col,
        )
    _bar_layout(figure, len(options), "")
    figure.update_layout(margin={**MARGIN, "t": 40})
    figure.update_xaxes(gridcolor="#E5E7EB")
    figure.update_yaxes(**_tick_labels(options, display), row=1, col=1)
    return figure


# ---- figures over a sweep (advisor.engine.sweep): the options re-decided and re-sized at every point ---------------

CLASS_COLOURS = {"slm": "#4E79A7", "llm": "#F28E2B", "hybrid": "#59A14F"}
CLASS_NAMES = {"slm": "Small model (SLM)", "llm": "Large model (LLM)", "hybrid": "Hybrid"}


def sweep_cost_figure(frame: pd.DataFrame, workload: str | None = None) -> go.Figure:
    """Monthly cost by requests/day (log-log) of the best SLM, LLM and hybrid, re-decided at each volume, the pick
    marked and the volumes where one class becomes cheaper than another starred.

    `frame` is advisor.sweep() output over a volume axis (one token shape and price factor); `workload` picks one of
    its workloads (default: the first)."""
    import plotly.graph_objects as go

    from advisor.engine.sweep import break_evens

    name = workload or str(frame["workload"].iloc[0])
    rows = frame[frame["workload"] == name].sort_values("requests_per_day")
    figure = go.Figure()
    for kind in ("slm", "llm", "hybrid"):
        part = rows[rows["class"] == kind]
        figure.add_trace(
            go.Scatter(
                x=part["requests_per_day"],
                y=part["monthly_cost_usd"].where(part["monthly_cost_usd"] > 0),
                name=CLASS_NAMES[kind],
                meta={"class": kind},
                mode="lines",
                line={"color": CLASS_COLOURS[kind], "width": 2.5},
                customdata=part["label"].fillna("no option meets every rule"),
                hovertemplate="%{x:,.0f}/day: %{y:$,.2f} per month<br>%{customdata}<extra>"
                + CLASS_NAMES[kind]
                + "</extra>",
            )
        )
    picks = rows[rows["is_pick"]]
    figure.add_trace(
        go.Scatter(
            x=picks["requests_per_day"],
            y=picks["monthly_cost_usd"],
            name="The pick",
            meta={"marker": "pick"},
            mode="markers",
            marker={"color": [CLASS_COLOURS[k] for k in picks["class"]], "size": 7, "line": {"width": 1}},
            customdata=picks["label"],
            hovertemplate="Pick at %{x:,.0f}/day: %{customdata}<extra></extra>",
        )
    )
    crossings = break_evens(rows)
    wide = rows.pivot_table(index="requests_per_day", columns="class", values="monthly_cost_usd")
    for crossing in crossings.itertuples():
        at = float(
            np.interp(
                math.log10(crossing.requests_per_day),
                np.log10(wide.index.to_numpy()),
                wide[crossing.cheaper].to_numpy(),
            )
        )
        figure.add_trace(
            go.Scatter(
                x=[crossing.requests_per_day],
                y=[at],
                name=f"{crossing.cheaper.upper()} cheaper than {crossing.dearer.upper()} above "
                f"{_volume_text(crossing.requests_per_day)}/day",
                meta={"marker": "break_even", "cheaper": crossing.cheaper, "dearer": crossing.dearer},
                mode="markers",
                marker={"symbol": "star", "size": 15, "color": STAR_COLOUR, "line": {"width": 1, "color": "#374151"}},
                hovertemplate="Break-even ≈ %{x:,.0f}/day<extra></extra>",
            )
        )
    costs = [float(c) for c in rows["monthly_cost_usd"] if math.isfinite(c) and c > 0] or [1.0, 10.0]
    volumes = [float(rows["requests_per_day"].min()), float(rows["requests_per_day"].max())]
    figure.update_layout(
        title=f"{name}: best option of each kind, re-decided at each volume",
        height=480,
        margin={**MARGIN, "t": 50},
        font=FONT,
        plot_bgcolor="white",
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "xanchor": "left", "x": 0},
    )
    figure.update_xaxes(type="log", title="Requests per day", gridcolor="#E5E7EB", **log_ticks(volumes[0], volumes[1]))
    figure.update_yaxes(
        type="log", title="Monthly cost (USD)", gridcolor="#E5E7EB", **log_ticks(min(costs), max(costs), "$")
    )
    return figure


def break_even_surface_figure(
    frame: pd.DataFrame, workload: str | None = None, tokens: str = "input_tokens"
) -> go.Figure:
    """The pick over volume x tokens per request: a heatmap coloured by the kind picked (SLM, LLM, hybrid), where
    the colour changes is the break-even line. `frame` is advisor.sweep() over volume and `tokens`
    (input_tokens or output_tokens)."""
    import plotly.graph_objects as go

    name = workload or str(frame["workload"].iloc[0])
    picks = frame[(frame["workload"] == name) & frame["is_pick"]]
    codes = {"slm": 0, "llm": 1, "hybrid": 2}
    grid = picks.pivot_table(index=tokens, columns="requests_per_day", values="class", aggfunc="first")
    labels = picks.pivot_table(index=tokens, columns="requests_per_day", values="label", aggfunc="first")
    costs = picks.pivot_table(index=tokens, columns="requests_per_day", values="monthly_cost_usd", aggfunc="first")
    z = grid.apply(lambda column: column.map(codes)).to_numpy(dtype=float)
    scale = []
    for kind, code in codes.items():
        scale += [[code / 3, CLASS_COLOURS[kind]], [(code + 1) / 3, CLASS_COLOURS[kind]]]
    figure = go.Figure(
        go.Heatmap(
            x=grid.columns.to_numpy(dtype=float),
            y=grid.index.to_numpy(dtype=float),
            z=z,
            zmin=0,
            zmax=3,
            colorscale=scale,
            customdata=np.dstack([labels.to_numpy(dtype=object), costs.to_numpy(dtype=float)]),
            colorbar={"tickvals": [0.5, 1.5, 2.5], "ticktext": [CLASS_NAMES[k] for k in codes], "title": "Pick"},
            hovertemplate="%{x:,.0f}/day, %{y:,.0f} tokens<br>%{customdata[0]}<br>%{customdata[1]:$,.2f} per month"
            "<extra></extra>",
        )
    )
    volumes = [float(grid.columns.min()), float(grid.columns.max())]
    figure.update_layout(
        title=f"{name}: the pick by volume and {tokens.replace('_', ' ')} (re-decided at each point)",
        height=480,
        margin={**MARGIN, "t": 50},
        font=FONT,
    )
    figure.update_xaxes(type="log", title="Requests per day", **log_ticks(volumes[0], volumes[1]))
    figure.update_yaxes(title=tokens.replace("_", " ").capitalize() + " per request")
    return figure


def tornado_figure(frame: pd.DataFrame) -> go.Figure:
    """Which assumption moves the monthly bill most: horizontal bars from the bill at -change to +change around
    today's, largest swing on top. `frame` is advisor.tornado() output."""
    import plotly.graph_objects as go

    base = float(frame["base_monthly_cost_usd"].iloc[0]) if len(frame) else 0.0
    figure = go.Figure()
    for side, column, colour in (
        ("low", "low_monthly_cost_usd", "#4E79A7"),
        ("high", "high_monthly_cost_usd", "#E15759"),
    ):
        values = frame["low_value" if side == "low" else "high_value"]
        figure.add_trace(
            go.Bar(
                y=frame["assumption"],
                x=frame[column] - base,
                base=base,
                orientation="h",
                name=f"assumption x{values.iloc[0]:g}" if len(frame) else side,
                meta={"side": side},
                marker={"color": colour},
                customdata=frame[column],
                hovertemplate="%{customdata:$,.2f} per month<extra>%{y}</extra>",
            )
        )
    figure.add_vline(x=base, line={"color": "#374151", "width": 1.5})
    figure.update_layout(
        title=f"What moves the monthly bill (today: ${base:,.0f}), each assumption alone, re-decided",
        barmode="overlay",
        height=140 + 40 * max(len(frame), 1),
        margin={**MARGIN, "t": 50},
        font=FONT,
        plot_bgcolor="white",
        legend={"orientation": "h", "yanchor": "top", "y": -0.2, "x": 0},
    )
    figure.update_xaxes(title="Monthly cost (USD)", tickprefix="$", tickformat=",.0f", gridcolor="#E5E7EB")
    figure.update_yaxes(autorange="reversed", automargin=True)
    return figure
