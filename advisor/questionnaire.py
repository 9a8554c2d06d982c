"""The questionnaire's plain-Python side: typical figures per task kind, a blank scenario, and problems per field.

The app's form builds plain scenario data from its widgets; this module turns that data into either a Scenario or
a map from each field's path (``workloads[0].requests_per_day``) to what is wrong with it, so the page can show
every error next to its own field.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from advisor.catalog import Catalog, load_catalog
from advisor.scenario import Scenario, validation_problems

DEFAULT_REQUESTS_PER_DAY = 1000  # a starting point the form asks the user to replace; no figure is typical
DEFAULT_TASK = "customer_support"
SCENARIO_LEVEL = ""  # the path of a problem that belongs to no single field

_NAME = r"[a-z_][a-z0-9_]*(?:\[\d+\])?"
_PROBLEM = re.compile(rf"^(?P<path>{_NAME}(?:\.{_NAME})*): (?P<message>.*)$", re.DOTALL)


def workload_defaults(task_id: str, name: str, catalog: Catalog | None = None) -> dict[str, Any]:
    """A new workload for `task_id` with the task kind's typical token shape and the quality it usually needs."""
    task = (catalog or load_catalog()).task(task_id)
    return {
        "name": name,
        "task": task.id,
        "requests_per_day": DEFAULT_REQUESTS_PER_DAY,
        "input_tokens": task.input_tokens,
        "output_tokens": task.output_tokens,
        "quality": task.capability,
    }


def blank_scenario(catalog: Catalog | None = None) -> Scenario:
    """The scenario a new user starts from: one workload of the most common task kind, every other key default."""
    data = {"version": 1, "name": "New scenario", "workloads": [workload_defaults(DEFAULT_TASK, "workload-1", catalog)]}
    return Scenario.model_validate(data, context={"catalog": catalog} if catalog else None)


def unused_workload_name(taken: list[str], stem: str = "workload") -> str:
    number = len(taken) + 1
    while f"{stem}-{number}" in taken:
        number += 1
    return f"{stem}-{number}"


def parse_languages(text: str) -> list[str]:
    """'en, de fr' -> ['en', 'de', 'fr']: commas or spaces between codes, duplicates dropped, order kept."""
    codes = [code for code in re.split(r"[,;\s]+", text.strip()) if code]
    return list(dict.fromkeys(codes))


def split_problem(line: str) -> tuple[str, str]:
    """'workloads[0].requests_per_day: must be > 0, got 0' -> (path, message); no path -> SCENARIO_LEVEL."""
    match = _PROBLEM.match(line)
    return (match["path"], match["message"]) if match else (SCENARIO_LEVEL, line)


def contradictions(data: dict[str, Any]) -> dict[str, str]:
    """Answers that are each allowed but cannot hold together, by the field the user should change."""
    problems: dict[str, str] = {}
    constraints = data.get("constraints") or {}
    privacy, deployment = constraints.get("privacy"), constraints.get("deployment")
    if deployment == "api_only" and privacy == "air_gapped":
        problems["constraints.deployment"] = (
            "api_only sends requests to a third-party API, which air-gapped data rules out; "
            "choose any or local_only, or a lower privacy level"
        )
    elif deployment == "api_only" and privacy == "regulated" and not constraints.get("allowed_providers"):
        problems["constraints.deployment"] = (
            "api_only with regulated data needs a provider you have a BAA / DPA with under allowed providers; "
            "name one, or choose any or local_only"
        )
    for index, workload in enumerate(data.get("workloads") or []):
        first, total = workload.get("latency_p95_first_token_ms"), workload.get("latency_p95_total_ms")
        if isinstance(first, int | float) and isinstance(total, int | float) and 0 < total < first:
            problems[f"workloads[{index}].latency_p95_total_ms"] = (
                f"must be >= the first-token target ({first:,.0f} ms): the whole answer cannot come before its "
                f"first words, got {total:,.0f}"
            )
    return problems


def form_problems(data: dict[str, Any], catalog: Catalog | None = None) -> dict[str, str]:
    """Every problem in form data by field path, first one per field; empty when the data is a valid scenario.

    Schema problems come first; then answers that contradict each other (see `contradictions`).
    """
    problems: dict[str, str] = {}
    try:
        Scenario.model_validate(data, context={"catalog": catalog} if catalog else None)
    except ValidationError as e:
        for line in validation_problems(e):
            path, message = split_problem(line)
            problems.setdefault(path, message)
    for path, message in contradictions(data).items():
        problems.setdefault(path, message)
    return problems
