"""Back into the recommendation: a lab run's measured split, saved on the scenario's workload."""

from __future__ import annotations

from typing import TYPE_CHECKING

from advisor.errors import AdvisorError, UnknownIdError
from advisor.schema.scenario import MeasuredSplit

if TYPE_CHECKING:
    from advisor.lab.run import LabResult
    from advisor.schema.scenario import Scenario


def measured_split(result: LabResult) -> MeasuredSplit:
    """The split a run measured: the share the small model kept, and the quality against the large model alone."""
    share = result.small_share
    if share is None:
        raise AdvisorError("hybrid lab: no prompt finished, so there is no split to keep")
    quality = result.quality()["quality_vs_large"]
    return MeasuredSplit(
        small_share=round(share, 4),
        quality_vs_large=quality,
        pattern="cascade" if result.pattern == "cascade" else "router",
        router=result.router_label[:200],
        prompts=len(result.finished),
    )


def use_split(scenario: Scenario, workload: str, result: LabResult | MeasuredSplit | None) -> Scenario:
    """The scenario with `workload`'s hybrid split set to what the lab measured (None: back to the catalog's)."""
    names = [w.name for w in scenario.workloads]
    if workload not in names:
        raise UnknownIdError("workload", workload, names)
    split = result if isinstance(result, MeasuredSplit) or result is None else measured_split(result)
    return scenario.with_workload(scenario.workload(workload).replace(measured_split=split))
