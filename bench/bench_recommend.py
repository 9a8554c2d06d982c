"""recommend(): one workload over the whole catalog (named hardware, and hardware left to the advisor), and a
20-workload scenario. There is no peer tool that explains a verdict, so these are absolute times."""

from __future__ import annotations

import copy
from typing import Any

from .common import median_seconds, write_result

TASKS = (
    ("customer_support", 20_000, 600, 150),
    ("classification", 1_000_000, 300, 5),
    ("summarization", 2_000, 3_000, 300),
    ("creative_writing", 200, 400, 500),
    ("rag_qa", 1_500, 2_500, 250),
    ("extraction", 50_000, 800, 120),
    ("agentic", 150_000, 3_000, 250),
    ("complex_reasoning", 400, 12_000, 1_500),
    ("translation", 5_000, 500, 550),
    ("code_generation", 3_000, 1_500, 600),
)


def scenario(workloads: int, hardware: dict[str, Any] | None) -> Any:
    from advisor.data.scenarios import scenario_from_data

    rows = []
    for i in range(workloads):
        task, volume, tokens_in, tokens_out = TASKS[i % len(TASKS)]
        # Vary the volume so no two workloads are the same question.
        rows.append(
            {
                "name": f"w{i}",
                "task": task,
                "requests_per_day": volume * (1 + i // len(TASKS)),
                "input_tokens": tokens_in,
                "output_tokens": tokens_out,
            }
        )
    data: dict[str, Any] = {"version": 1, "name": f"{workloads} workloads", "workloads": rows}
    if hardware is not None:
        data["hardware"] = copy.deepcopy(hardware)
    return scenario_from_data(data)


def run() -> dict[str, object]:
    from advisor.data.catalog import load_catalog
    from advisor.engine.recommend import recommend

    catalog = load_catalog()
    named = scenario(1, {"profile": "l4", "ownership": "rented"})
    chosen = scenario(1, None)
    twenty = scenario(20, {"profile": "l4", "ownership": "rented"})
    options = len(recommend(named).workloads[0].options)
    return write_result(
        "recommend",
        {
            "options_per_workload": options,
            "open_weight_models": len(catalog.models),
            "api_models": len(catalog.api_notes),
            "one_workload_named_hardware_s": median_seconds(lambda: recommend(named), repeats=9),
            "one_workload_advisor_picks_hardware_s": median_seconds(lambda: recommend(chosen), repeats=9),
            "twenty_workloads_s": median_seconds(lambda: recommend(twenty), repeats=3),
            "target": "one workload: median < 100 ms; 20 workloads: < 1 s",
        },
    )


if __name__ == "__main__":
    import json

    print(json.dumps(run(), indent=2))
