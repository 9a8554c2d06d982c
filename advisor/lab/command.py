"""`advisor hybrid PROMPTS --scenario S --workload W`: the Hybrid lab on the command line."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from advisor.errors import AdvisorError

if TYPE_CHECKING:
    import argparse

    from advisor.lab.run import LabResult


def _names(text: str) -> list[str]:
    return [part.strip() for part in (text or "").split(",") if part.strip()]


def run_hybrid_command(args: argparse.Namespace) -> int:
    from advisor.lab.prompts import load_prompts, sample_prompts
    from advisor.lab.routers import check_share, make_router
    from advisor.lab.run import LabSettings, run_lab
    from advisor.lab.split import use_split
    from advisor.runners import make_runner

    check_share(args.share)
    prompts = sample_prompts() if args.prompts == "sample" else load_prompts(args.prompts)
    scenario = workload = None
    if args.scenario:
        from advisor.data.scenarios import load_scenario

        scenario = load_scenario(args.scenario)
        workload = scenario.workload(args.workload) if args.workload else scenario.workloads[0]
    elif args.workload or args.save:
        raise AdvisorError("--workload and --save need --scenario FILE")
    if args.use_tokens and not args.save:
        raise AdvisorError("--use-tokens goes with --save FILE (it changes the saved scenario's workload)")
    share = args.share
    if share is None:
        from advisor.data.catalog import default_catalog

        share = default_catalog().task_routing(workload.task).small_share if workload is not None else 0.8
    options: dict[str, Any] = {}
    if args.router == "rule":
        options = {"keywords": _names(args.keywords), "escalate_labels": _names(args.escalate_labels)}
    elif args.keywords or args.escalate_labels:
        raise AdvisorError("--keywords and --escalate-labels are for --router rule")
    router = make_router(args.router, **options)
    if not args.api_model:
        raise AdvisorError(
            "api: no large model given; pass --api-model NAME (and --api-base URL for a server other than OpenAI) "
            f"and set {args.api_key_env}"
        )
    large = make_runner(
        "api", model=args.api_model, base_url=args.api_base, api_key_env=args.api_key_env, provider=args.api_provider
    )
    small = make_runner("local", model=args.local, threads=args.threads)
    settings = LabSettings(max_tokens=args.max_tokens, timeout_s=args.timeout, check_all=not args.escalated_only)

    def progress(done: int, total: int, message: str) -> None:
        if sys.stderr.isatty():
            print(f"\radvisor: {done}/{total} {message}   ", end="", file=sys.stderr, flush=True)

    result = run_lab(prompts, small, large, router, share, settings, scenario, workload, on_progress=progress)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    if args.save and scenario is not None and workload is not None:
        from pathlib import Path

        updated = use_split(scenario, workload.name, result, tokens=args.use_tokens)
        try:
            updated.save(args.save)
        except OSError as e:
            raise AdvisorError(f"--save: cannot write {args.save} ({e.strerror or e})") from None
        print(f"advisor: wrote {Path(args.save)} with {workload.name}'s measured split", file=sys.stderr)
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, allow_nan=False))
    else:
        print(result_table(result), end="")
    for failed in result.failed:
        line = next(p.error for p in result.prompts if p.prompt.id == failed)
        print(f"advisor: prompt {failed} failed: {line}", file=sys.stderr)
    return 0 if result.finished else 1


def _count(n: int, word: str) -> str:
    """'1 prompt', '3 prompts' (advisor.present.words.plural sits above this layer)."""
    return f"{n:,} {word if n == 1 else word + 's'}"


def _money(value: float | None) -> str:
    return "-" if value is None else f"${value:,.4f}"


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def _ms(band: dict[str, Any]) -> str:
    if band["p50_ms"] is None:
        return "-"
    return f"{band['p50_ms']:,.0f} / {band['p95_ms']:,.0f} ms"


def result_table(result: LabResult) -> str:
    """The run in words and a few aligned lines (the table format of `advisor hybrid`)."""
    costs, latency, quality = result.costs(), result.latency(), result.quality()
    per = costs["per_1000_requests_usd"]
    lines = [
        f"Hybrid lab: {result.router_label} ({result.pattern}), {_count(len(result.prompts), 'prompt')}, "
        f"{len(result.finished):,} finished",
        f"  small: {result.small_model}",
        f"  large: {result.large_model}",
        f"  routed share (small): {_percent(result.small_share)}   escalated: {_percent(result.escalation_share)}"
        + ("" if result.target_small_share is None else f"   target: {result.target_small_share:.0%}"),
        f"  cost per 1,000 requests: hybrid {_money(per['hybrid'])} | all large {_money(per['all_large'])} | "
        f"all small {_money(per['all_small'])}",
        f"    local side: {costs['small_basis']}",
        f"    large side: {costs['large_basis']}",
        f"  latency p50 / p95: hybrid {_ms(latency['hybrid'])} | small {_ms(latency['small'])} | "
        f"large {_ms(latency['large'])}",
    ]
    if quality["scored_prompts"]:
        lines.append(
            f"  quality ({_count(quality['scored_prompts'], 'prompt')} with an expected answer): hybrid "
            f"{_percent(quality['hybrid_accuracy'])} | all small {_percent(quality['all_small_accuracy'])} | "
            f"all large {_percent(quality['all_large_accuracy'])} | vs large {_percent(quality['quality_vs_large'])}"
        )
    for profile in result.profiles:
        lines.append(
            f"  prompt tokens ({profile.tokenizer}): mean {profile.mean:,.1f}, p50 {profile.p50:,.0f}, "
            f"p95 {profile.p95:,.0f}"
        )
    lines.append(
        f"  time: {result.elapsed_s:,.1f} s ({result.model_s:,.1f} s in the models; routing overhead "
        f"{result.overhead_ms_per_prompt:,.2f} ms per prompt)"
    )
    if result.failed:
        lines.append(f"  failed: {', '.join(result.failed)}")
    if result.not_run:
        lines.append(f"  not run (cancelled): {', '.join(result.not_run)}")
    lines.append("")
    lines.append(f"  {'prompt':<28} {'route':<9} {'small':<9} {'large':<9} {'cost':>12}  reason")
    for p in result.prompts:
        route = "-" if p.escalated is None else ("large" if p.escalated else "small")
        cost = p.hybrid_cost_usd
        lines.append(
            f"  {p.prompt.id[:28]:<28} {route:<9} {p.small_verdict or '-':<9} {p.large_verdict or '-':<9} "
            f"{'-' if cost is None else f'${cost:.7f}':>12}  {(p.decision.reason if p.decision else p.status)[:60]}"
        )
    return "\n".join(lines) + "\n"
