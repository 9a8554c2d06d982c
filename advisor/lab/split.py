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


def measured_input_tokens(result: LabResult) -> tuple[int, int]:
    """(mean, longest) prompt tokens of the run's prompts, counted with the large model's tokenizer (the side whose
    per-token price dominates the bill); the workload's input size becomes the mean, its context at least the
    longest prompt plus the answer."""
    profile = result.profiles[-1]
    return max(round(profile.mean), 1), profile.max


def use_split(
    scenario: Scenario, workload: str, result: LabResult | MeasuredSplit | None, tokens: bool = False
) -> Scenario:
    """The scenario with `workload`'s hybrid split set to what the lab measured (None: back to the catalog's).

    With `tokens` (a LabResult only), the workload's input size is also what the prompts measured: their mean
    becomes `input_tokens`, and `context_tokens` grows to hold the longest prompt with the answer when it must."""
    names = [w.name for w in scenario.workloads]
    if workload not in names:
        raise UnknownIdError("workload", workload, names)
    split = result if isinstance(result, MeasuredSplit) or result is None else measured_split(result)
    target = scenario.workload(workload)
    changes: dict[str, object] = {"measured_split": split}
    if tokens:
        if result is None or isinstance(result, MeasuredSplit):
            raise AdvisorError("hybrid lab: the prompts' token sizes come from a run; a saved split does not hold them")
        mean, longest = measured_input_tokens(result)
        changes["input_tokens"] = mean
        needed = max(longest, mean) + target.output_tokens  # the longest prompt with its answer
        if target.context_tokens is not None or longest > mean:
            changes["context_tokens"] = max(target.context_tokens or 0, needed)
    return scenario.with_workload(target.replace(**changes))
