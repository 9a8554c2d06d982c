"""A 50 x 50 sweep (volume x input tokens) of one workload, every point re-decided by the engine, and the check
that a sweep point equals recommend() at that volume. Run alone: python -m bench.bench_sweep"""

from __future__ import annotations

import math
import time

import numpy as np

import advisor
from advisor.engine.sweep import sweep

from .common import write_result

VOLUMES = np.geomspace(1e3, 1e7, 50)
INPUT_TOKENS = np.linspace(100, 8000, 50).round()


def _grid_s(scenario: advisor.Scenario) -> tuple[float, int]:
    started = time.perf_counter()
    frame = sweep(scenario, volume=VOLUMES, input_tokens=INPUT_TOKENS, workloads=["support-chat"])
    return time.perf_counter() - started, len(frame) // 3


def run() -> dict[str, object]:
    scenario = advisor.load_scenario("examples/shoe-store.yaml")
    sweep(scenario, volume=[1e4], workloads=["support-chat"])  # warm the catalog and price caches
    named_s, points = _grid_s(scenario)
    picks_s, _ = _grid_s(scenario.replace(profile=None))
    volume_only_started = time.perf_counter()
    line = sweep(scenario.replace(profile=None), volume=VOLUMES)
    volume_only_s = time.perf_counter() - volume_only_started
    edited = scenario.replace(workloads=[w.replace(requests_per_day=1e6) for w in scenario.workloads])
    direct = advisor.recommend(edited).total_monthly_cost_usd
    swept = sweep(scenario, volume=[1e6])
    agree = math.isclose(float(swept.loc[swept["is_pick"], "monthly_cost_usd"].sum()), direct, rel_tol=1e-12)
    return write_result(
        "sweep",
        {
            "points": points,
            "grid_named_hardware_s": named_s,
            "grid_advisor_picks_hardware_s": picks_s,
            "volume_line_50_points_2_workloads_s": volume_only_s,
            "volume_line_rows": len(line),
            "sweep_equals_recommend": agree,
            "target": "50 x 50 grid < 10 s",
        },
    )


if __name__ == "__main__":
    print(run())
