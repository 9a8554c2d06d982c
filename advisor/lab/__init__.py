"""The Hybrid lab: measure a router or a cascade on the user's own prompts instead of assuming its split.

    prompts = load_prompts("my-prompts.csv")            # or sample_prompts(): the catalog's sample set
    result = run_lab(prompts, make_runner("local"), make_runner("api", model=...), make_router("self-check"), 0.8)
    result.small_share, result.costs(), result.quality(), result.curve
    scenario = use_split(scenario, "support-chat", result)   # the recommendation's hybrid: "measured on your prompts"

Routers are registered like the runners (`rightsize.routers` entry points, `register_router`).
"""

from __future__ import annotations

from advisor.lab.prompts import (
    LabPrompt,
    PromptSetError,
    TokenProfile,
    load_prompts,
    parse_prompts,
    sample_prompts,
    token_profile,
)
from advisor.lab.routers import (
    RouteDecision,
    RouteInput,
    Router,
    RouterError,
    RuleRouter,
    SelfCheckCascade,
    make_router,
    register_router,
    router_names,
)
from advisor.lab.run import LabResult, LabSettings, PromptResult, published_points, quality_curve, run_lab
from advisor.lab.split import measured_split, use_split

__all__ = [
    "LabPrompt",
    "LabResult",
    "LabSettings",
    "PromptResult",
    "PromptSetError",
    "RouteDecision",
    "RouteInput",
    "Router",
    "RouterError",
    "RuleRouter",
    "SelfCheckCascade",
    "TokenProfile",
    "load_prompts",
    "make_router",
    "measured_split",
    "parse_prompts",
    "published_points",
    "quality_curve",
    "register_router",
    "router_names",
    "run_lab",
    "sample_prompts",
    "token_profile",
    "use_split",
]
