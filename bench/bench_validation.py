"""The fit and capacity estimates against published measurements (catalog/validation/measurements.yaml).

For each row: the estimate (expected, and the low..high band) next to the measured figure, the ratio, whether it is
within the metric's tolerance and inside the band. Rows marked `set: fit` fitted a factor and are shown but not
counted. `python -m bench.bench_validation` prints the table and writes docs/validation.svg (log-log, estimate vs
measured); tests/test_validation.py checks the held-out rows.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from advisor.data.catalog import Catalog, catalog_dir, load_catalog
from advisor.engine.fit import Deployment, make_deployment
from advisor.schema.catalog import HardwareProfile, OpenWeightModel
from advisor.schema.vocabulary import BAND_NAMES

VALIDATION_FILE = "validation/measurements.yaml"
TOLERANCE = {"decode_tokens_per_s": 0.35, "prefill_tokens_per_s": 0.35, "requests_per_s": 0.50}
"""Relative error a row may have and still count as a hit (the issue's targets: ±35% speeds, ±50% capacity)."""
SVG = Path(__file__).resolve().parent.parent / "docs" / "validation.svg"


@dataclass(frozen=True)
class Checked:
    """One published row next to the estimate for it."""

    id: str
    set: str
    metric: str
    engine: str
    hardware: str
    model: str
    precision: str
    measured: float
    expected: float
    low: float
    high: float
    source: str

    @property
    def ratio(self) -> float:
        return self.expected / self.measured

    @property
    def within(self) -> bool:
        return abs(self.ratio - 1) <= TOLERANCE[self.metric]

    @property
    def in_band(self) -> bool:
        return self.low <= self.measured <= self.high


def read_rows(root: Path | None = None) -> dict[str, Any]:
    path = (root or catalog_dir()) / VALIDATION_FILE
    data: dict[str, Any] = yaml.safe_load(path.read_text())
    return data


def validation_catalog(data: dict[str, Any], catalog: Catalog | None = None) -> Catalog:
    """The catalog plus the models and hardware the validation rows describe themselves (no measurements)."""
    base = catalog or load_catalog()
    models = [
        OpenWeightModel.model_validate({"id": key, **{k: v for k, v in spec.items()}})
        for key, spec in (data.get("models") or {}).items()
    ]
    hardware = {
        key: HardwareProfile.model_validate({"id": key, **spec}) for key, spec in (data.get("hardware") or {}).items()
    }
    extended = base.with_models(models)
    return dataclasses.replace(extended, hardware={**extended.hardware, **hardware})


def _deployment(row: dict[str, Any], catalog: Catalog) -> Deployment:
    return make_deployment(
        row["model"], catalog.hardware[row["hardware"]], row["precision"], 1, catalog, engine=row["engine"]
    )


def estimate(row: dict[str, Any], catalog: Catalog, band: str) -> float:
    """The estimator's figure for one row in one speed band (higher is faster for every metric here)."""
    deployment = _deployment(row, catalog)
    shape = row.get("shape") or {}
    metric = row["metric"]
    if metric == "decode_tokens_per_s":
        return 1.0 / float(deployment.decode_step_s(shape.get("context_tokens", 128), shape.get("batch", 1), band))
    if metric == "prefill_tokens_per_s":
        tokens = shape.get("prompt_tokens", 512)
        return tokens / float(deployment.prefill_s(tokens, band, with_overhead=False))
    if metric == "requests_per_s":
        # A closed loop at `batch` concurrent requests: each request prefills once and decodes output_tokens steps
        # of the whole batch, and sees the other requests' prefills (the capacity model's formula at that batch).
        tokens_in, tokens_out, batch = shape["input_tokens"], shape["output_tokens"], shape["batch"]
        step = float(deployment.decode_step_s(tokens_in + tokens_out / 2, batch, band))
        busy = float(deployment.busy_prefill_s(tokens_in, band))
        return batch / (batch * busy + tokens_out * step)
    raise ValueError(f"{row['id']}: unknown metric {metric!r}")


def check(data: dict[str, Any] | None = None, catalog: Catalog | None = None) -> list[Checked]:
    data = data or read_rows()
    cat = validation_catalog(data, catalog)
    checked = []
    for row in data["rows"]:
        figures = {band: estimate(row, cat, band) for band in BAND_NAMES}
        checked.append(
            Checked(
                id=row["id"],
                set=row["set"],
                metric=row["metric"],
                engine=row["engine"],
                hardware=row["hardware"],
                model=row["model"],
                precision=row["precision"],
                measured=float(row["measured"]),
                expected=figures["expected"],
                low=min(figures.values()),
                high=max(figures.values()),
                source=row["source"],
            )
        )
    return checked


def table(rows: list[Checked]) -> str:
    lines = [
        "| row | set | metric | engine | measured | estimate (low-high) | est/meas | within | in band |",
        "|---|---|---|---|---:|---:|---:|:---:|:---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r.id} | {r.set} | {r.metric} | {r.engine} | {r.measured:,.2f} | {r.expected:,.2f} "
            f"({r.low:,.2f}-{r.high:,.2f}) | {r.ratio:.2f} | {'yes' if r.within else 'NO'} | "
            f"{'yes' if r.in_band else 'NO'} |"
        )
    return "\n".join(lines)


def summary(rows: list[Checked]) -> dict[str, dict[str, int]]:
    """Per metric, over the held-out rows: how many, how many within tolerance, how many inside the band."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        if r.set != "holdout":
            continue
        entry = out.setdefault(r.metric, {"rows": 0, "within": 0, "in_band": 0, "off_2x": 0})
        entry["rows"] += 1
        entry["within"] += r.within
        entry["in_band"] += r.in_band
        entry["off_2x"] += not 0.5 <= r.ratio <= 2.0
    return out


def svg(rows: list[Checked]) -> str:
    """A log-log scatter of estimate against measured, one colour per metric, the y = x line and ±35% lines."""
    size, pad = 480, 50
    values = [v for r in rows for v in (r.measured, r.expected)]
    lo, hi = math.log10(min(values) / 1.5), math.log10(max(values) * 1.5)

    def pos(value: float) -> float:
        return pad + (math.log10(value) - lo) / (hi - lo) * (size - 2 * pad)

    colours = {"decode_tokens_per_s": "#1f77b4", "prefill_tokens_per_s": "#ff7f0e", "requests_per_s": "#2ca02c"}
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{size}" height="{size}" font-family="sans-serif" '
        'font-size="11">',
        f'<rect width="{size}" height="{size}" fill="white"/>',
    ]
    for factor, dash in ((1.0, ""), (1.35, ' stroke-dasharray="4 3"'), (1 / 1.35, ' stroke-dasharray="4 3"')):
        a, b = 10**lo, 10**hi
        parts.append(
            f'<line x1="{pos(a):.1f}" y1="{size - pos(a * factor):.1f}" x2="{pos(b):.1f}" '
            f'y2="{size - pos(b * factor):.1f}" stroke="#999"{dash}/>'
        )
    for r in rows:
        fill = colours[r.metric] if r.set == "holdout" else "none"
        parts.append(
            f'<circle cx="{pos(r.measured):.1f}" cy="{size - pos(r.expected):.1f}" r="4" fill="{fill}" '
            f'stroke="{colours[r.metric]}"><title>{r.id}: {r.expected:.1f} vs {r.measured:.1f}</title></circle>'
        )
    parts.append(f'<text x="{size / 2}" y="{size - 12}" text-anchor="middle">measured (log)</text>')
    parts.append(
        f'<text x="14" y="{size / 2}" text-anchor="middle" transform="rotate(-90 14 {size / 2})">estimate (log)</text>'
    )
    for i, (metric, colour) in enumerate(colours.items()):
        parts.append(f'<text x="{pad}" y="{20 + 14 * i}" fill="{colour}">{metric}</text>')
    parts.append(f'<text x="{size - pad}" y="20" text-anchor="end">filled: held out; hollow: fitted</text>')
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def main() -> dict[str, Any]:
    rows = check()
    print(table(rows))
    result = summary(rows)
    print(json.dumps(result, indent=2))
    SVG.write_text(svg(rows))
    return result


if __name__ == "__main__":
    main()
