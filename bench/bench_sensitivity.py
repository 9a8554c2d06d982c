"""A 1,000,000-cell sensitivity grid in one vectorised call vs a scalar Python loop over the same cells.

The scalar loop is timed on a random sample of cells and scaled to the full grid (running it on all of them takes
minutes); the sample's results are checked against the grid's so both compute the same thing.
"""

from __future__ import annotations

import random
import time

import numpy as np

from advisor.data.catalog import load_catalog
from advisor.engine.cost import api_cost_for, self_hosted_cost
from advisor.engine.fit import make_deployment
from advisor.engine.tables import sensitivity
from advisor.schema.scenario import Assumptions, Workload

from .common import median_seconds, write_result

VOLUMES = np.geomspace(100, 10_000_000, 50)
INPUT_TOKENS = np.linspace(100, 8000, 25).round()
OUTPUT_TOKENS = np.linspace(10, 2000, 20).round()
SAMPLE = 2000


def run() -> dict[str, object]:
    catalog = load_catalog()
    # 35 API models (the curated ones, topped up from genai-prices) + 5 deployments = 40 options:
    # 50 volumes x 25 input x 20 output x 40 options = 1,000,000 cells.
    from advisor.data.prices import api_price_table

    table = api_price_table()
    api_models = [f"{n.provider}/{n.model}" for n in catalog.api_notes]
    for provider, model in zip(table.provider, table.model, strict=True):
        if len(api_models) >= 35:
            break
        if "/" not in model and f"{provider}/{model}" not in api_models:
            api_models.append(f"{provider}/{model}")
    deployments = [
        make_deployment(model, hardware, "Q4_K_M", catalog=catalog)
        for model, hardware in [
            ("gemma-3-4b-it", "l4"),
            ("llama-3.1-8b-instruct", "l4"),
            ("qwen2.5-14b-instruct", "a10g"),
            ("qwen3-32b", "a100-80gb"),
            ("llama-3.3-70b-instruct", "h200"),
        ]
    ]
    options = len(api_models) + len(deployments)
    money = Assumptions()

    def grid():  # type: ignore[no-untyped-def]
        return sensitivity(VOLUMES, INPUT_TOKENS, OUTPUT_TOKENS, api_models, deployments, money, "rented", 3.0)

    grid_s = median_seconds(grid, repeats=3)
    frame = grid()
    cells = len(frame)

    rng = random.Random(7)
    picks = [rng.randrange(cells) for _ in range(SAMPLE)]
    records = frame.iloc[picks]
    start = time.perf_counter()
    scalar = []
    for row in records.itertuples():
        workload = Workload(
            name="w",
            task="classification",
            requests_per_day=row.volume,
            input_tokens=int(row.input_tokens),
            output_tokens=int(row.output_tokens),
            peak_factor=3.0,
        )
        option = str(row.option)
        if row.kind == "api":
            provider, model = option.split("/", 1)
            scalar.append(api_cost_for(provider, model, workload, money)[0])
        else:
            deployment = deployments[[str(d.model.id) in option for d in deployments].index(True)]
            scalar.append(self_hosted_cost(deployment, workload, money, "rented").monthly_usd["expected"])
    per_cell = (time.perf_counter() - start) / SAMPLE
    agree = bool(np.allclose(scalar, records["monthly_cost_usd"].to_numpy(), rtol=1e-9))
    loop_s = per_cell * cells
    return write_result(
        "sensitivity",
        {
            "cells": cells,
            "options": options,
            "grid_s": grid_s,
            "scalar_loop_s_extrapolated": loop_s,
            "scalar_sample_cells": SAMPLE,
            "scalar_matches_grid": agree,
            "speedup": loop_s / grid_s,
            "target": "grid_s < 1 and speedup >= 100",
        },
    )
