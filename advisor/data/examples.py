"""Built-in scenarios, so an installed app or notebook has a worked example without the repo's examples/ folder."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from advisor.data.scenarios import load_scenario, scenario_from_data
from advisor.schema.scenario import Scenario

SHOE_STORE: dict[str, Any] = {
    # The online shoe store from "Large Language Models vs Small Language Models": routine support questions at
    # volume, and product descriptions that need a creative voice. Same as examples/shoe-store.yaml.
    "version": 1,
    "name": "Shoe store AI",
    "workloads": [
        {
            "name": "support-chat",
            "task": "customer_support",
            "requests_per_day": 20000,
            "input_tokens": 600,
            "output_tokens": 150,
            "cached_input_share": 0.5,
            "latency_p95_first_token_ms": 1000,
        },
        {
            "name": "product-descriptions",
            "task": "creative_writing",
            "requests_per_day": 200,
            "input_tokens": 400,
            "output_tokens": 500,
            "quality": "standard",
        },
    ],
    "constraints": {"privacy": "internal"},
    "hardware": {"profile": "l4", "ownership": "rented"},
}


def default_scenario() -> Scenario:
    """The scenario the app opens with."""
    return scenario_from_data(SHOE_STORE, origin="default scenario")


def examples_dir() -> Path | None:
    """The worked example scenarios: inside the installed package, or examples/ at the top of a checkout."""
    for candidate in (Path(__file__).parent.parent / "examples_data", Path(__file__).parent.parent.parent / "examples"):
        if candidate.is_dir():
            return candidate
    return None


@cache
def example_scenarios() -> dict[str, Scenario]:
    """Every shipped example by its file stem (shoe-store, hospital-records...), in file-name order."""

    folder = examples_dir()
    if folder is None:
        return {"shoe-store": default_scenario()}
    return {path.stem: load_scenario(path) for path in sorted(folder.glob("*.yaml"))}
