"""What changed between two versions of a saved scenario: its inputs field by field, and its monthly totals."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Change:
    """One field that differs: `before` is None when the field is new, `after` None when it is gone."""

    field: str
    before: str | None
    after: str | None

    def line(self) -> str:
        if self.before is None:
            return f"+ {self.field}: {self.after}"
        if self.after is None:
            return f"- {self.field}: {self.before}"
        return f"~ {self.field}: {self.before} -> {self.after}"

    def to_dict(self) -> dict[str, str | None]:
        return {"field": self.field, "before": self.before, "after": self.after}


@dataclass(frozen=True)
class VersionDiff:
    """Version `old` against version `new` of one saved scenario."""

    name: str
    old: int
    new: int
    inputs: list[Change] = field(default_factory=list)
    totals: list[Change] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"{self.name}: version {self.old} -> version {self.new}", "", "inputs:"]
        out += [f"  {c.line()}" for c in self.inputs] or ["  (no change)"]
        out += ["", "monthly cost:"]
        out += [f"  {c.line()}" for c in self.totals] or ["  (no change)"]
        return out

    def text(self) -> str:
        return "\n".join(self.lines()) + "\n"

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "old_version": self.old,
            "new_version": self.new,
            "inputs": [c.to_dict() for c in self.inputs],
            "totals": [c.to_dict() for c in self.totals],
        }


def diff_versions(
    name: str,
    old: int,
    new: int,
    old_scenario: Mapping[str, Any],
    new_scenario: Mapping[str, Any],
    old_result: Mapping[str, Any] | None,
    new_result: Mapping[str, Any] | None,
) -> VersionDiff:
    before = dict(_flatten(old_scenario))
    after = dict(_flatten(new_scenario))
    inputs = [
        Change(key, before.get(key), after.get(key))
        for key in _ordered(before, after)
        if before.get(key) != after.get(key)
    ]
    return VersionDiff(name, old, new, inputs, _totals(old_result, new_result))


def _ordered(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[str]:
    """Keys in the newer version's order, then those only the older one has."""
    return [*after, *(k for k in before if k not in after)]


def _flatten(value: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """`workloads[support-chat].requests_per_day` -> its value as text; workloads are keyed by their name."""
    if isinstance(value, Mapping):
        for key, item in value.items():
            if prefix == "" and key == "version":
                continue
            yield from _flatten(item, f"{prefix}.{key}" if prefix else str(key))
    elif isinstance(value, list) and value and all(isinstance(v, Mapping) and "name" in v for v in value):
        for item in value:
            yield from _flatten({k: v for k, v in item.items() if k != "name"}, f"{prefix}[{item['name']}]")
            yield f"{prefix}[{item['name']}]", "present"
    elif isinstance(value, list):
        yield prefix, ", ".join(_scalar(v) for v in value) if value else "(none)"
    else:
        yield prefix, _scalar(value)


def _scalar(value: Any) -> str:
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.10g}" if abs(value) < 1e15 else f"{value:g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _usd(value: Any) -> str | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return f"${value:,.2f}"
    return None


def _totals(old: Mapping[str, Any] | None, new: Mapping[str, Any] | None) -> list[Change]:
    """The monthly total and each workload's monthly cost and pick, where the two results differ."""
    old, new = old or {}, new or {}
    changes: list[Change] = []
    before, after = _usd(old.get("total_monthly_cost_usd")), _usd(new.get("total_monthly_cost_usd"))
    if before != after:
        delta = ""
        if before and after:
            change = new["total_monthly_cost_usd"] - old["total_monthly_cost_usd"]
            delta = f" ({'+' if change >= 0 else '-'}${abs(change):,.2f})"
        changes.append(Change("total per month", before, (after or "") + delta if after else None))
    old_workloads = {str(w.get("name")): w for w in old.get("workloads", []) if isinstance(w, Mapping)}
    new_workloads = {str(w.get("name")): w for w in new.get("workloads", []) if isinstance(w, Mapping)}
    for name in _ordered(old_workloads, new_workloads):
        was, now = old_workloads.get(name, {}), new_workloads.get(name, {})
        for key, label in (("monthly_cost_usd", "per month"), ("pick", "pick")):
            a = _usd(was.get(key)) if key == "monthly_cost_usd" else was.get(key)
            b = _usd(now.get(key)) if key == "monthly_cost_usd" else now.get(key)
            if a != b:
                changes.append(Change(f"workloads[{name}] {label}", a, b))
    return changes
