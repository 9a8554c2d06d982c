"""Routers: what decides which prompts the small model keeps and which go to the large one.

A router is any object with a `name`, a `label`, a `pattern` and a `route(items, target_small_share)` method (the
`Router` protocol). `route` sees the whole prompt set at once, so it can calibrate its threshold on the user's own
prompts to hit a target share, as RouteLLM does (quantile calibration), and returns one `RouteDecision` per item.

- pattern `router`: the decision is made before any model answers (the small model never sees escalated prompts);
- pattern `cascade`: the small model answers first and the decision reads its answer (escalated prompts pay for
  both models).

Routers are found through the `rightsize.routers` entry-point group, declared in pyproject.toml exactly as a
third-party package declares its own

    [project.entry-points."rightsize.routers"]
    my-router = "my_package.routing:make_router"     # a factory: make_router(**options) -> Router

and `register_router(name, factory)` adds one at run time (a notebook, a test).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from advisor.errors import AdvisorError

if TYPE_CHECKING:
    from advisor.lab.prompts import LabPrompt
    from advisor.runners import Measurement

Pattern = Literal["router", "cascade"]
ENTRY_POINT_GROUP = "rightsize.routers"


class RouterError(AdvisorError, ValueError):
    """A router cannot be made as configured; one line naming the setting and what is allowed."""


@dataclass(frozen=True)
class RouteInput:
    """What a router may look at for one prompt: the prompt, its token count and (cascades) the small answer."""

    prompt: LabPrompt
    prompt_tokens: int
    small: Measurement | None = None


@dataclass(frozen=True)
class RouteDecision:
    escalate: bool
    reason: str
    confidence: float | None = None  # higher: surer the small answer will do (orders prompts for the curve)


class Router(Protocol):
    name: str
    pattern: Pattern
    threshold: float | None  # what the last `route` call calibrated (or was given), for the record

    @property
    def label(self) -> str: ...  # what it does, in words

    def route(self, items: Sequence[RouteInput], target_small_share: float | None) -> list[RouteDecision]: ...


def _escalations(n: int, target_small_share: float) -> int:
    return round(n * (1 - target_small_share))


def check_share(share: float | None) -> None:
    if share is not None and not (isinstance(share, int | float) and math.isfinite(share) and 0 <= share <= 1):
        raise RouterError(f"share: the small model's target share must be between 0 and 1, got {share!r}")


@dataclass
class RuleRouter:
    """Routes on cheap features, with no model call: a task label, keywords, and the prompt's length.

    A prompt is escalated when its label is in `escalate_labels`, when it contains one of `keywords` (whole words,
    any case), or when it is longer than `max_prompt_tokens`. Without `max_prompt_tokens` and with a target share,
    the length cut is calibrated on the prompts: the longest of the rest are escalated until the target share
    is reached."""

    keywords: Sequence[str] = ()
    escalate_labels: Sequence[str] = ()
    max_prompt_tokens: int | None = None
    name: str = "rule"
    pattern: Pattern = "router"
    threshold: float | None = None
    _pattern: re.Pattern[str] | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        words = [w.strip() for w in self.keywords if w and w.strip()]
        self.keywords = tuple(words)
        self.escalate_labels = tuple(x.strip().lower() for x in self.escalate_labels if x and x.strip())
        if words:
            self._pattern = re.compile(r"\b(" + "|".join(re.escape(w) for w in words) + r")\b", re.IGNORECASE)
        if self.max_prompt_tokens is not None and (
            isinstance(self.max_prompt_tokens, bool) or not isinstance(self.max_prompt_tokens, int)
        ):
            raise RouterError(f"max prompt tokens: must be a whole number, got {self.max_prompt_tokens!r}")

    @property
    def label(self) -> str:
        parts = []
        if self.escalate_labels:
            parts.append("labels " + ", ".join(self.escalate_labels))
        if self.keywords:
            parts.append("keywords " + ", ".join(self.keywords))
        parts.append("length" if self.max_prompt_tokens is None else f"over {self.max_prompt_tokens:,} tokens")
        return "rule router (" + "; ".join(parts) + ")"

    def route(self, items: Sequence[RouteInput], target_small_share: float | None) -> list[RouteDecision]:
        check_share(target_small_share)
        decisions: list[RouteDecision | None] = []
        for item in items:
            label = (item.prompt.label or "").lower()
            if label and label in self.escalate_labels:
                decisions.append(RouteDecision(True, f"label {item.prompt.label}", -float(item.prompt_tokens)))
                continue
            found = self._pattern.search(item.prompt.text) if self._pattern is not None else None
            if found is not None:
                decisions.append(RouteDecision(True, f"keyword {found.group(0)!r}", -float(item.prompt_tokens)))
                continue
            if self.max_prompt_tokens is not None and item.prompt_tokens > self.max_prompt_tokens:
                decisions.append(
                    RouteDecision(True, f"{item.prompt_tokens:,} tokens > {self.max_prompt_tokens:,}", None)
                )
                continue
            decisions.append(None)
        cut = self.max_prompt_tokens
        if cut is None and target_small_share is not None:
            wanted = _escalations(len(items), target_small_share) - sum(1 for d in decisions if d is not None)
            rest = sorted((i for i, d in enumerate(decisions) if d is None), key=lambda i: (-items[i].prompt_tokens, i))
            chosen = set(rest[: max(wanted, 0)])
            if chosen:
                cut = min(items[i].prompt_tokens for i in chosen)
            for i in chosen:
                decisions[i] = RouteDecision(True, f"among the longest ({items[i].prompt_tokens:,} tokens)")
        self.threshold = None if cut is None else float(cut)
        return (
            [
                d
                if d is not None
                else RouteDecision(False, "short, no keyword or label", -float(items[i].prompt_tokens))
                for i, d in enumerate(decisions)
            ]
            if items
            else []
        )


@dataclass
class SelfCheckCascade:
    """The small model answers; its mean token log-probability (llama.cpp) says how sure it was. Answers below the
    threshold are escalated. Without a `threshold`, it is calibrated on the prompts: the quantile of their
    confidences at the target escalation share (the least sure answers go to the large model)."""

    threshold: float | None = None
    name: str = "self-check"
    pattern: Pattern = "cascade"
    needs_logprobs: bool = True

    def __post_init__(self) -> None:
        if self.threshold is not None and not (isinstance(self.threshold, int | float) and self.threshold <= 0):
            raise RouterError(f"threshold: a mean log-probability, 0 or below, got {self.threshold!r}")
        self._given = self.threshold

    @property
    def label(self) -> str:
        return "self-check cascade (mean token log-probability of the small answer)"

    def route(self, items: Sequence[RouteInput], target_small_share: float | None) -> list[RouteDecision]:
        check_share(target_small_share)
        confidences = [_confidence(item) for item in items]
        threshold = self._given
        escalated: set[int]
        known = [(c, i) for i, c in enumerate(confidences) if c is not None]
        if threshold is None:
            if target_small_share is None:
                raise RouterError("self-check: give a threshold or a target share to calibrate one on the prompts")
            wanted = _escalations(len(items), target_small_share)
            missing = [i for i, c in enumerate(confidences) if c is None]
            ordered = [i for _, i in sorted(known)]  # least sure first
            escalated = set(missing[:wanted]) | set(ordered[: max(wanted - len(missing), 0)])
            kept = [confidences[i] for i in ordered if i not in escalated]
            lost = [confidences[i] for i in ordered if i in escalated]
            if kept and lost:
                threshold = (max(c for c in lost if c is not None) + min(c for c in kept if c is not None)) / 2
            elif kept:
                threshold = min(c for c in kept if c is not None)
            elif lost:
                threshold = max(c for c in lost if c is not None)
        else:
            escalated = {i for i, c in enumerate(confidences) if c is None or c < threshold}
        self.threshold = threshold
        decisions = []
        for i, c in enumerate(confidences):
            if c is None:
                decisions.append(RouteDecision(True, "no small answer to judge", None))
            elif i in escalated:
                decisions.append(RouteDecision(True, f"mean log-probability {c:.3f} below {threshold:.3f}", c))
            else:
                decisions.append(RouteDecision(False, f"mean log-probability {c:.3f}", c))
        return decisions


def _confidence(item: RouteInput) -> float | None:
    small = item.small
    if small is None or not small.ok or not small.text.strip():
        return None
    value = small.extra.get("mean_logprob")
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


# --- registry ------------------------------------------------------------------------------------------------------

RouterFactory = Callable[..., Router]
_REGISTRY: dict[str, RouterFactory] = {}


def make_rule_router(
    keywords: Sequence[str] = (), escalate_labels: Sequence[str] = (), max_prompt_tokens: int | None = None
) -> RuleRouter:
    return RuleRouter(keywords=keywords, escalate_labels=escalate_labels, max_prompt_tokens=max_prompt_tokens)


def make_self_check_router(threshold: float | None = None) -> SelfCheckCascade:
    return SelfCheckCascade(threshold=threshold)


_BUILT_IN: dict[str, RouterFactory] = {"rule": make_rule_router, "self-check": make_self_check_router}
"""Also declared as entry points in pyproject.toml; kept here too so a checkout whose installed metadata predates
them still finds them."""


def register_router(name: str, factory: RouterFactory) -> None:
    """Make `make_router(name, **options)` call `factory(**options)`."""
    _REGISTRY[name] = factory


def _entry_points() -> dict[str, Any]:
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def router_names() -> list[str]:
    return sorted({*_BUILT_IN, *_REGISTRY, *_entry_points()})


def make_router(name: str, **options: Any) -> Router:
    if name not in _REGISTRY:
        declared = _entry_points().get(name)
        if declared is not None:
            try:
                factory = declared.load()
            except (ImportError, AttributeError) as e:
                raise RouterError(f"router: {name!r} is declared by {declared.value} but cannot be loaded: {e}") from e
        elif name in _BUILT_IN:
            factory = _BUILT_IN[name]
        else:
            raise RouterError(f"router: must be one of {' | '.join(router_names())}, got {name!r}")
        register_router(name, factory)
    try:
        return _REGISTRY[name](**options)
    except TypeError as e:
        raise RouterError(f"router {name!r}: {e}") from e
