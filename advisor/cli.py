"""The `advisor` command line: catalog listings, fit estimates, costs. Every command takes --format table|json.

Errors a user can cause print one line on stderr and exit with code 2; no traceback reaches the terminal
(set ADVISOR_DEBUG=1 to see one). Heavy libraries are imported inside the commands so `advisor --help` is quick.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

from advisor.errors import AdvisorError
from advisor.present.words import money, per_day, plural
from advisor.schema.vocabulary import REASONING_EFFORTS

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog

EXIT_USAGE = 2


def _format_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _bounded_int(low: int, high: int) -> Any:
    """An argparse type: a whole number from `low` to `high` (absurd figures are a typo, not a question)."""

    def parse(text: str) -> int:
        value = _positive_int(text) if low >= 1 else int(text)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low:,} to {high:,}, got {value:,}")
        return value

    return parse


def _timeout_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, got {text[:40]!r}") from None
    if not 1 <= value <= 600:
        raise argparse.ArgumentTypeError(f"must be from 1 to 600 seconds, got {text[:40]}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="advisor",
        description="Small model, large model, or both - and what it costs per month.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    catalog = commands.add_parser(
        "catalog", help="list open-weight models, API models, hardware, task kinds or serving engines"
    )
    catalog.add_argument("kind", choices=("models", "api-models", "hardware", "tasks", "engines"))
    catalog.add_argument("--search", metavar="TEXT", help="keep rows containing TEXT (case-insensitive)")
    catalog.add_argument("--all", action="store_true", help="api-models: every priced model, not only curated ones")
    catalog.add_argument("--gguf", action="append", metavar="PATH", help="models: add the model in a local GGUF file")
    _format_arg(catalog)

    fit = commands.add_parser(
        "fit", help="memory, fit and speed of a model on hardware; without MODEL, the models that fit"
    )
    fit.add_argument("model", nargs="?", help="open-weight model id (`advisor catalog models`) or a local .gguf file")
    fit.add_argument("--hardware", required=True, metavar="ID", help="hardware id or alias, or this-machine")
    fit.add_argument("--quant", default=None, metavar="Q", help="quantisation, e.g. Q4_K_M (default: best that fits)")
    fit.add_argument(
        "--context", type=_bounded_int(1, 10_000_000), default=4096, metavar="N", help="context tokens (default 4096)"
    )
    fit.add_argument(
        "--concurrency", type=_bounded_int(1, 4096), default=1, metavar="N", help="sequences at once (default 1)"
    )
    fit.add_argument(
        "--count", type=_bounded_int(1, 1024), default=1, metavar="N", help="devices the model is split across"
    )
    fit.add_argument(
        "--prompt", type=_positive_int, default=None, metavar="N", help="prompt tokens for first-token time"
    )
    fit.add_argument(
        "--engine",
        default=None,
        metavar="ENGINE",
        help="serving engine, e.g. llama.cpp or vllm (`advisor catalog engines`; default: the hardware kind's)",
    )
    _format_arg(fit)

    cost = commands.add_parser("cost", help="monthly cost of each option for a scenario's workloads")
    cost.add_argument("scenario", help="scenario file (.yaml or .json)")
    cost.add_argument("--model", metavar="ID", help="only this model (API model id or open-weight id)")
    cost.add_argument("--batch", action="store_true", help="use API batch prices where the provider has them")
    cost.add_argument(
        "--top", type=_bounded_int(1, 10_000), default=12, metavar="N", help="rows per workload in the table"
    )
    _format_arg(cost)

    recommend = commands.add_parser(
        "recommend", help="SLM, LLM or hybrid per workload: the pick, its cost, the reasons, what would change it"
    )
    recommend.add_argument("scenarios", nargs="+", metavar="FILE", help="scenario file(s) (.yaml or .json)")
    recommend.add_argument(
        "--rules",
        metavar="FILE|NAME",
        help="your own rules file, or the name of one an installed package declares (default: the shipped rules)",
    )
    recommend.add_argument("--all", action="store_true", help="list every option considered, not the top ones")
    recommend.add_argument(
        "--format", choices=("table", "json", "markdown"), default="table", help="output format (default: table)"
    )

    compare = commands.add_parser(
        "compare", help="run prompts on a local model and an API model side by side: speed, tokens, cost, answers"
    )
    what = compare.add_mutually_exclusive_group(required=True)
    what.add_argument("--prompt", metavar="TEXT", help="one prompt to run on both sides")
    what.add_argument("--task", metavar="ID", help="the sample prompts of a task kind (classification, ...)")
    compare.add_argument(
        "--local", default="default", metavar="GGUF_OR_REPO", help="'default' (SmolLM2 135M Instruct, bundled: it "
        "answers), 'gemma-3-270m' (bundled base model: speed only), a .gguf path, or a Hugging Face repo[:file]"
    )  # fmt: skip
    compare.add_argument("--api-base", default=None, metavar="URL", help="OpenAI-compatible base URL (default OpenAI)")
    compare.add_argument("--api-model", default=None, metavar="NAME", help="model name the API serves")
    compare.add_argument(
        "--api-key-env", default="OPENAI_API_KEY", metavar="VAR", help="environment variable holding the API key"
    )
    compare.add_argument(
        "--api-effort",
        choices=REASONING_EFFORTS,
        default=None,
        help="reasoning_effort sent to the API model (default: none sent, the model's own default)",
    )
    compare.add_argument("--only", choices=("local", "api"), help="run one side only")
    compare.add_argument("--scenario", metavar="FILE", help="cost the runs for this scenario's workload and volume")
    compare.add_argument("--workload", metavar="NAME", help="which workload of the scenario (default: by task)")
    compare.add_argument(
        "--max-tokens", type=_bounded_int(1, 32_768), default=200, metavar="N", help="answer length cap"
    )
    compare.add_argument(
        "--timeout",
        type=_timeout_seconds,
        default=60.0,
        metavar="SECONDS",
        help="longest one side may take, retries included (1 to 600; default 60)",
    )
    compare.add_argument("--threads", type=_positive_int, default=None, metavar="N", help="local: CPU threads")
    compare.add_argument("--context", type=_positive_int, default=2048, metavar="N", help="local: context tokens")
    compare.add_argument("--gpu-layers", type=int, default=0, metavar="N", help="local: layers offloaded (-1: all)")
    compare.add_argument(
        "--repeat",
        type=_bounded_int(1, 20),
        default=1,
        metavar="N",
        help="run each prompt N times (1 to 20) and report each side's median run with the spread",
    )
    compare.add_argument(
        "--calibrate",
        action="store_true",
        help="keep the runs' speeds: later estimates for the local model on this machine, and for the API model, "
        "say 'measured'",
    )
    compare.add_argument(
        "--api-as",
        default=None,
        metavar="PROVIDER/MODEL",
        help="with --calibrate: the catalog API model the endpoint serves (a proxy or gateway in front of a "
        "provider); default: found from --api-base and --api-model. A reasoning model's other settings are options "
        "of their own, 'PROVIDER/MODEL (SETTING)' with the --api-effort that selects it, as the reasoning_settings "
        "column of `advisor catalog api-models` lists them",
    )
    _format_arg(compare)

    report = commands.add_parser(
        "report", help="a cost report to send: HTML (one self-contained file), PDF, XLSX or CSV"
    )
    report.add_argument("scenario", nargs="?", metavar="FILE", help="scenario file (.yaml or .json)")
    report.add_argument("--id", metavar="NAME_OR_ID", help="a saved scenario instead of a file (advisor store list)")
    report.add_argument("--version", type=_positive_int, metavar="N", help="with --id: that version (default: latest)")
    report.add_argument("-o", "--output", required=True, metavar="PATH", help="report file: .html, .pdf, .xlsx or .csv")
    report.add_argument(
        "--format",
        choices=("html", "pdf", "xlsx", "csv"),
        default=None,
        help="format (default: from PATH's suffix); must match PATH's suffix when it has one of the above",
    )
    report.add_argument("--prepared-for", default="", metavar="TEXT", help="who the report is for (on the cover)")
    report.add_argument("--prepared-by", default="", metavar="TEXT", help="who prepared it (on the cover)")
    report.add_argument("--rules", metavar="FILE|NAME", help="decide with these rules (default: the shipped rules)")

    hybrid = commands.add_parser(
        "hybrid", help="Hybrid lab: measure a router or cascade on your prompts (routed share, cost, latency, quality)"
    )
    hybrid.add_argument("prompts", metavar="PROMPTS", help="CSV or JSONL (prompt, expected, label), or 'sample'")
    hybrid.add_argument("--scenario", metavar="FILE", help="cost the run for this scenario's workload")
    hybrid.add_argument("--workload", metavar="NAME", help="which workload of the scenario (default: the first)")
    hybrid.add_argument("--router", default="self-check", metavar="NAME", help="self-check (default), rule, ...")
    hybrid.add_argument("--share", type=float, metavar="F", help="target share kept small (default: the task's)")
    hybrid.add_argument("--keywords", default="", metavar="A,B", help="rule router: keywords that escalate")
    hybrid.add_argument("--escalate-labels", default="", metavar="A,B", help="rule router: labels that escalate")
    hybrid.add_argument("--local", default="default", metavar="GGUF_OR_REPO", help="the small model (as for compare)")
    hybrid.add_argument("--api-base", default=None, metavar="URL", help="OpenAI-compatible base URL (default OpenAI)")
    hybrid.add_argument("--api-model", default=None, metavar="NAME", help="the large model's name at the API")
    hybrid.add_argument("--api-provider", default=None, metavar="ID", help="genai-prices provider that prices it")
    hybrid.add_argument("--api-key-env", default="OPENAI_API_KEY", metavar="VAR", help="variable holding the key")
    hybrid.add_argument("--max-tokens", type=_bounded_int(1, 4_096), default=64, metavar="N", help="answer cap")
    hybrid.add_argument("--timeout", type=_timeout_seconds, default=60.0, metavar="SECONDS", help="per answer")
    hybrid.add_argument("--threads", type=_positive_int, default=None, metavar="N", help="local: CPU threads")
    hybrid.add_argument("--escalated-only", action="store_true", help="send only escalated prompts to the large model")
    hybrid.add_argument("--save", metavar="FILE", help="write the scenario with this measured split to FILE")
    hybrid.add_argument(
        "--use-tokens",
        action="store_true",
        help="with --save: also set the workload's input tokens to the prompts' mean (and its context to the longest)",
    )
    _format_arg(hybrid)

    validate = commands.add_parser("validate", help="check a scenario file and print it with defaults filled in")
    validate.add_argument("scenario", help="scenario file (.yaml or .json)")
    _format_arg(validate)
    _store_parser(commands)
    return parser


def _render_table(rows: list[dict[str, Any]], columns: list[str] | None = None) -> str:
    if not rows:
        return "(no rows)"
    cols = columns or list(rows[0])
    cells = [[_cell(row.get(col)) for col in cols] for row in rows]
    widths = [max(len(col), *(len(r[k]) for r in cells)) for k, col in enumerate(cols)]
    numeric = [all(_is_number(row.get(col)) or row.get(col) is None for row in rows) for col in cols]

    def line(values: list[str]) -> str:
        return "  ".join(
            v.rjust(w) if is_num else v.ljust(w) for v, w, is_num in zip(values, widths, numeric, strict=True)
        ).rstrip()

    out = [line(cols), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if value != value:  # NaN
            return "-"
        if value == float("inf"):
            return "inf"
        if abs(value) >= 100:
            return f"{value:,.0f}"
        if abs(value) >= 1:
            return f"{value:,.2f}"
        return f"{value:.4g}"
    return str(value)


def _json_default(value: Any) -> Any:
    import math

    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return str(value)


def _clean(value: Any) -> Any:
    """NaN / inf become null so the JSON is valid everywhere."""
    import math

    if isinstance(value, dict):
        return {k: _clean(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _emit(data: Any, fmt: str, table: str) -> None:
    if fmt == "json":
        print(json.dumps(_clean(data), indent=2, default=_json_default))
    else:
        print(table)


def cmd_catalog(args: argparse.Namespace) -> None:
    from advisor.data.catalog import default_catalog
    from advisor.present.catalog_view import catalog_rows

    catalog = default_catalog()
    for path in args.gguf or []:
        catalog, _, _ = catalog.with_gguf(path)
    if args.kind == "api-models":
        rows = _api_model_rows(catalog, show_all=args.all, search=args.search)
    else:
        rows = catalog_rows(args.kind, catalog, search=args.search)
    _emit(rows, args.format, _render_table(rows))


def _api_model_rows(catalog: Catalog, show_all: bool, search: str | None) -> list[dict[str, Any]]:
    from advisor.engine.options import api_capability
    from advisor.present.catalog_view import catalog_rows, reasoning_settings_text

    rows = catalog_rows("api-models", catalog, search=None)
    notes = {(n.provider, n.model): n for n in catalog.api_notes}
    out = []
    for row in rows:
        note = notes.get((row["provider"], row["model"]))
        if note is None and not show_all:
            continue
        out.append(
            {
                "provider": row["provider"],
                "model": row["model"],
                "size_class": note.size_class if note else None,
                "capability": api_capability(note, catalog) if note else None,
                "context_tokens": note.context_tokens if note else row["context_window"],
                "input_usd_per_mtok": row["input_usd_per_mtok"],
                "cached_input_usd_per_mtok": row["cached_input_usd_per_mtok"],
                "output_usd_per_mtok": row["output_usd_per_mtok"],
                "context_tiers": bool(row["has_context_tiers"]),
                # The setting a run without --api-effort measures, then each other setting (its own option, the
                # label --api-as takes) with the --api-effort that selects it.
                "reasoning_settings": reasoning_settings_text(note) if note else None,
            }
        )
    if search:
        needle = search.lower()
        out = [r for r in out if any(needle in str(v).lower() for v in r.values())]
    return out


def cmd_fit(args: argparse.Namespace) -> None:
    from advisor.data.catalog import default_catalog
    from advisor.engine.fit import best_quant, engine_name, estimate_fit, fit_deployment, models_that_fit

    catalog = default_catalog()
    engine = catalog.resolve_engine_id(args.engine) if args.engine else None
    if args.model and args.model.lower().endswith(".gguf"):
        catalog, model_entry, file_quant = catalog.with_gguf(args.model)
        args.model = model_entry.id
        args.quant = args.quant or file_quant
    if args.model is None:
        results = models_that_fit(args.hardware, args.context, args.concurrency, args.count, catalog, engine)
        rows = [
            {
                "model": r.model,
                "quant": r.quant,
                "memory_gb": round(r.total_gb, 2),
                "available_gb": round(r.available_gb, 2),
                "tokens_per_s": round(r.tokens_per_s["expected"], 1),
                "tokens_per_s_low": round(r.tokens_per_s["low"], 1),
                "tokens_per_s_high": round(r.tokens_per_s["high"], 1),
                "first_token_ms": round(r.first_token_ms["expected"], 1),
                "basis": r.basis,
            }
            for r in results
        ]
        header = (
            f"Open-weight models that fit {catalog.hardware_profile(args.hardware).name} at "
            f"{plural(args.context, 'token')} of context x {plural(args.concurrency, 'sequence')}, best first:\n"
        )
        _emit([r.to_dict() for r in results], args.format, header + _render_table(rows))
        return
    if args.quant:
        result = estimate_fit(
            args.model,
            args.hardware,
            args.quant,
            args.context,
            args.concurrency,
            args.prompt,
            args.count,
            catalog,
            engine,
        )
    else:
        model = catalog.model(args.model)
        profile = catalog.hardware_profile(args.hardware)
        deployment = best_quant(
            model, profile, args.context, args.concurrency, args.count, catalog=catalog, engine=engine
        )
        if deployment is None:  # to show by how much it misses: the smallest precision the engine runs
            runs = [q.id for q in catalog.quantizations.values() if (engine or "llama.cpp") in q.engines]
            quant = min(runs, key=lambda q: catalog.quantization(q).bits_per_weight) if engine else "Q3_K_M"
        else:
            quant = deployment.quant
        result = estimate_fit(
            args.model, args.hardware, quant, args.context, args.concurrency, args.prompt, args.count, catalog, engine
        )
        if deployment is not None:
            result = fit_deployment(deployment, args.context, args.concurrency, args.prompt)
    _emit(result.to_dict(), args.format, _fit_table(result, engine_name(result.engine, catalog)))


def _fit_table(result: Any, engine: str) -> str:
    verdict = "FITS" if result.fits else "DOES NOT FIT"
    lines = [
        f"{result.model} {result.quant}, {engine} on {result.count}x {result.hardware}: {verdict}",
        f"  context {plural(result.context_tokens, 'token')} x {plural(result.concurrency, 'sequence')}, "
        f"prompt {result.prompt_tokens:,}",
        "",
        "  memory (GB)",
        f"    weights     {result.weights_gb:9.2f}",
        f"    KV cache    {result.kv_cache_gb:9.2f}",
        f"    overhead    {result.overhead_gb:9.2f}",
        f"    total       {result.total_gb:9.2f}",
        f"    available   {result.available_gb:9.2f}",
    ]
    if not result.fits:
        short = result.total_gb - result.available_gb
        lines.append(f"    short by    {short:9.2f}")
        if result.gpu_layer_share is not None:
            lines.append(
                f"    partial offload: {result.gpu_layer_share:.0%} of the weights fit in VRAM; the rest would run "
                "from system RAM at CPU speed"
            )
    tps, ftm = result.tokens_per_s, result.first_token_ms
    lines += [
        "",
        f"  decode tokens/s   low {tps['low']:8.1f}   expected {tps['expected']:8.1f}   high {tps['high']:8.1f}",
        f"  first token ms    low {ftm['low']:8.1f}   expected {ftm['expected']:8.1f}   high {ftm['high']:8.1f}",
        f"  basis: {result.basis}"
        + (
            "; speeds as if the whole model fitted (the part that does not fit would be far slower)"
            if not result.fits
            else ""
        ),
    ]
    return "\n".join(lines)


COST_COLUMNS = [
    "option",
    "kind",
    "size_class",
    "monthly_cost_usd",
    "cost_low_usd",
    "cost_high_usd",
    "per_request_usd",
    "per_mtok_usd",
    "replicas",
    "utilisation",
    "max_load",
    "est_first_token_ms",
    "meets_latency",
]


def cmd_cost(args: argparse.Namespace) -> None:
    from advisor.data.scenarios import load_scenario
    from advisor.engine.tables import workload_cost_table

    scenario = load_scenario(args.scenario)
    variant: Literal["standard", "batch"] = "batch" if args.batch else "standard"
    results: list[dict[str, Any]] = []
    tables: list[str] = []
    for index, workload in enumerate(scenario.workloads):
        frame = workload_cost_table(scenario, workload, model=args.model, variant=variant)
        records = frame.to_dict(orient="records")
        results.append({"workload": workload.name, "options": records})
        chosen = " (self-hosted on the cheapest fitting hardware)" if not scenario.hardware.profile else ""
        title = (
            f"[{index}] {workload.name}: {workload.task}, {per_day(workload.requests_per_day)}, "
            f"tokens {workload.input_tokens:,} in / {workload.output_tokens:,} out{chosen}"
        )
        shown = frame.head(args.top)[COST_COLUMNS].to_dict(orient="records")
        tables.append(title + "\n" + _render_table(shown))
    header = f"{scenario.name} - monthly cost per option, {variant} API prices from genai-prices\n\n"
    _emit({"scenario": scenario.name, "workloads": results}, args.format, header + "\n\n".join(tables))


def cmd_recommend(args: argparse.Namespace) -> None:
    """One file prints the recommendation JSON contract itself; several print a JSON list of them."""
    from advisor.data.scenarios import load_scenario
    from advisor.engine.recommend import recommend
    from advisor.present.text import recommendation_markdown, recommendation_table

    results = [recommend(load_scenario(path), rules=args.rules) for path in args.scenarios]
    if args.format == "json":
        data = [r.to_dict(args.all) for r in results]
        print(json.dumps(data[0] if len(data) == 1 else data, indent=2, allow_nan=False))
    elif args.format == "markdown":
        print("\n".join(recommendation_markdown(r) for r in results), end="")
    else:
        print("\n".join(recommendation_table(r, args.all) for r in results), end="")


def cmd_compare(args: argparse.Namespace) -> int:
    """Both sides at once per prompt; a side that cannot start or fails reports why and the other still runs."""
    from advisor.compare import api_option_label, calibrate, compare, pick_workload
    from advisor.runners import Runner, RunnerError, RunSettings, make_runner

    if args.api_as is not None and not args.calibrate:
        raise AdvisorError("api-as: names the model a kept run is filed under; use it with --calibrate")
    if args.api_as is not None:  # checked before any run: a wrong name is a typo, found in a second, not a minute
        api_option_label(args.api_model or "", args.api_base or "", as_label=args.api_as, effort=args.api_effort)
    scenario = workload = None
    if args.scenario:
        from advisor.data.scenarios import load_scenario

        scenario = load_scenario(args.scenario)
        workload = pick_workload(scenario, args.task, args.workload)
    if args.task:
        from advisor.data.catalog import default_catalog

        prompts: Any = default_catalog().prompts_for(args.task)
    else:
        if not args.prompt.strip():
            raise AdvisorError("prompt: must hold some text to answer, got an empty prompt")
        prompts = [args.prompt]
    runners: dict[str, Runner | AdvisorError] = {}
    if args.only != "api":
        try:
            runners["local"] = make_runner(
                "local", model=args.local, n_ctx=args.context, threads=args.threads, gpu_layers=args.gpu_layers
            )
        except RunnerError as e:
            runners["local"] = e
    if args.only != "local":
        if not args.api_model:
            runners["api"] = RunnerError(
                f"api: no model given; pass --api-model NAME (and --api-base URL for a server other than OpenAI) "
                f"and set {args.api_key_env}"
            )
        else:
            try:
                runners["api"] = make_runner(
                    "api",
                    model=args.api_model,
                    base_url=args.api_base,
                    api_key_env=args.api_key_env,
                    reasoning_effort=args.api_effort,
                )
            except RunnerError as e:
                runners["api"] = e
    settings = RunSettings(max_tokens=args.max_tokens, timeout_s=args.timeout)
    results = compare(prompts, runners, settings, scenario, workload, repeat=args.repeat)
    if args.calibrate and not isinstance(runners.get("local"), AdvisorError | None):
        local = runners["local"]
        quant = getattr(getattr(local, "facts", None), "quant", "Q4_K_M")
        kept = [calibrate(r.sides["local"], quant) for r in results if r.sides["local"].ok][-1:]
        for line in kept:
            print(f"advisor: {line}", file=sys.stderr)
    if args.calibrate and not isinstance(runners.get("api"), AdvisorError | None):
        _calibrate_api(args, runners["api"], results)
    if args.format == "json":
        data = [r.to_dict() for r in results]
        print(json.dumps(data[0] if args.prompt else data, indent=2, allow_nan=False))
    else:
        print(_compare_table(results), end="")
    return 0 if any(m.ok for r in results for m in r.sides.values()) else 1


def _calibrate_api(args: argparse.Namespace, runner: Any, results: list[Any]) -> None:
    """Keep the last good API run for the catalog API model it measures; say why when there is none."""
    from advisor.compare import api_option_label, calibrate_api

    runs = [r.sides["api"] for r in results if r.sides["api"].ok]
    try:
        label = api_option_label(runner.model, runner.display_url, runner.provider, args.api_as, args.api_effort)
        if not runs:
            raise AdvisorError("measurements: no API run finished, so there is no API latency to keep")
        print(f"advisor: {calibrate_api(runs[-1], label)}", file=sys.stderr)
    except AdvisorError as e:
        print(f"advisor: API latency not kept: {e}", file=sys.stderr)


COMPARE_ROWS = [
    ("first token (ms)", "first_token_ms", "{:,.0f}"),
    ("decode (tokens/s)", "tokens_per_s", "{:,.1f}"),
    ("total (ms)", "total_ms", "{:,.0f}"),
    ("prompt tokens", "prompt_tokens", "{:,}"),
    ("completion tokens", "completion_tokens", "{:,}"),
    ("cost of this request", "cost_usd", "${:.8f}"),
    ("monthly at the scenario's volume", "monthly_cost_usd", "${:,.2f}"),
]


SPREAD_ROWS = [
    ("first token (ms): median / low / high", "first_token_ms", "{:,.0f}"),
    ("decode (tokens/s): median / low / high", "tokens_per_s", "{:,.1f}"),
    ("total (ms): median / low / high", "total_ms", "{:,.0f}"),
]


def _compare_table(results: list[Any]) -> str:
    out = []
    for result in results:
        sides = result.sides
        out.append(f"prompt{f' {result.prompt_id}' if result.prompt_id else ''}: {result.prompt[:100]}")
        rows = []
        for label, attribute, form in COMPARE_ROWS:
            row = {"": label}
            for side, m in sides.items():
                value = getattr(m, attribute)
                row[side] = "" if value is None else form.format(value)
            rows.append(row)
        for side in ("model", "error"):
            if side == "error" and all(m.ok for m in sides.values()):
                continue
            rows.append({"": side, **{name: getattr(m, side) or "" for name, m in sides.items()}})
        if result.scores:
            rows.append({"": "score", **{s: result.scores[s].verdict if s in result.scores else "" for s in sides}})
        spreads = {side: spread for side, spread in result.spreads.items() if spread.count > 1}
        if spreads:
            rows.append({"": "runs (ok / made)", **{s: f"{v.ok} / {v.count}" for s, v in spreads.items()}})
            for label, attribute, form in SPREAD_ROWS:
                row = {"": label}
                for side, spread in spreads.items():
                    figure = spread.figures.get(attribute)
                    row[side] = "" if figure is None else " / ".join(form.format(v) for v in figure)
                rows.append(row)
        out.append(_render_table(rows))
        for side, m in sides.items():
            if m.ok:
                text = " ".join(m.text.split())
                out.append(f"  {side}: {text[:300]}{'...' if len(text) > 300 else ''}")
            if m.cost_basis:
                out.append(f"  {side} cost: {m.cost_basis}")
        out.append("")
    return "\n".join(out)


def cmd_validate(args: argparse.Namespace) -> None:
    from advisor.data.scenarios import load_scenario

    scenario = load_scenario(args.scenario)
    _emit(scenario.to_dict(), args.format, f"{args.scenario}: valid scenario v1\n\n{scenario.to_yaml()}")


def cmd_report(args: argparse.Namespace) -> None:
    """Decide the scenario and write the report; prints where it went."""
    from advisor.present.report import ReportError, ReportInfo, report_format
    from advisor.present.report_files import write_report

    if bool(args.scenario) == bool(args.id):
        raise ReportError(
            f"report: give {'either' if args.scenario else 'one of'} a scenario file or --id of a saved scenario"
            f"{', not both' if args.scenario else ''} "
            "(advisor report SCENARIO -o report.html, or advisor report --id NAME -o report.html)"
        )
    if args.version is not None and not args.id:
        raise ReportError("version: only with --id (a saved scenario's version)")
    fmt = report_format(args.output, args.format)  # a wrong suffix fails before the work
    info = ReportInfo(prepared_for=args.prepared_for, prepared_by=args.prepared_by)
    from advisor.engine.recommend import recommend

    if args.id:
        from advisor.data.scenarios import saved_scenario
        from advisor.data.store import open_store

        scenario = saved_scenario(open_store().open(args.id, args.version))
    else:
        from advisor.data.scenarios import load_scenario

        scenario = load_scenario(args.scenario)
    recommendation = recommend(scenario, rules=args.rules)
    path = write_report(recommendation, args.output, fmt, info)
    print(f"advisor: wrote {fmt.upper()} report to {path} ({path.stat().st_size:,} bytes)", file=sys.stderr)


def _store_parser(commands: Any) -> None:
    store = commands.add_parser(
        "store",
        help="saved scenarios with their results and versions (SQLite in the data folder, or ADVISOR_DB_URL)",
    )
    actions = store.add_subparsers(dest="store_command", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="saved scenarios, most recently saved first")
    listing.add_argument("--search", metavar="TEXT", help="keep those whose name or scenario contains TEXT")
    _format_arg(listing)
    save = actions.add_parser("save", help="save a scenario file and its recommendation; saving again adds a version")
    save.add_argument("scenario", help="scenario file (.yaml or .json)")
    save.add_argument("--name", metavar="NAME", help="save under this name (default: the scenario's name)")
    _format_arg(save)
    show = actions.add_parser("show", aliases=["open"], help="a saved scenario: summary, link and scenario file")
    show.add_argument("ref", metavar="NAME_OR_ID", help="the saved scenario's name or short id")
    show.add_argument("--version", type=_positive_int, metavar="N", help="this version (default: the current one)")
    show.add_argument(
        "--format", choices=("table", "yaml", "json"), default="table", help="yaml: the scenario file only"
    )
    history = actions.add_parser("history", help="every version of a saved scenario, newest first")
    history.add_argument("ref", metavar="NAME_OR_ID")
    _format_arg(history)
    diff = actions.add_parser("diff", help="what changed from version N to the current version (or --against M)")
    diff.add_argument("ref", metavar="NAME_OR_ID")
    diff.add_argument("version", type=_positive_int, metavar="N")
    diff.add_argument("--against", type=_positive_int, metavar="M", help="compare with version M instead")
    _format_arg(diff)
    rename = actions.add_parser("rename", help="rename a saved scenario (its link and history stay)")
    rename.add_argument("ref", metavar="NAME_OR_ID")
    rename.add_argument("new_name", metavar="NEW_NAME")
    delete = actions.add_parser("delete", help="delete a saved scenario and all its versions")
    delete.add_argument("ref", metavar="NAME_OR_ID")
    measured = actions.add_parser(
        "measurements", help="the live measurements estimates use (ADVISOR_DB_URL: the team's; else measurements.json)"
    )
    _format_arg(measured)
    export = actions.add_parser(
        "export-measurements", help="the measurements this machine uses, as a measurements.json"
    )
    export.add_argument("-o", "--output", metavar="FILE", help="write to FILE (default: standard output)")


def _when(moment: Any) -> str:
    return str(moment.strftime("%Y-%m-%d %H:%M UTC"))


def cmd_store(args: argparse.Namespace) -> None:
    """The scenario store; every error (unknown name, locked or damaged store) is one line."""
    from advisor.data.store import open_store, public_base_url
    from advisor.data.store import short_link as link_under

    if args.store_command in ("measurements", "export-measurements"):
        _store_measurements(args)
        return
    base = public_base_url()  # a bad ADVISOR_PUBLIC_URL stops before anything is written

    def short_link(saved_id: str) -> str:
        return link_under(saved_id, base)

    store = open_store()
    action = "show" if args.store_command == "open" else args.store_command
    try:
        if action == "list":
            found = store.list(search=args.search)
            data = [{**s.to_dict(), "link": short_link(s.id)} for s in found]
            rows = [
                {"id": s.id, "name": s.name, "versions": s.versions, "updated": _when(s.updated_at),
                 "monthly_usd": s.total_monthly_cost_usd}
                for s in found
            ]  # fmt: skip
            empty = "(no saved scenarios match)" if args.search else "(no saved scenarios yet: advisor store save FILE)"
            _emit(data, args.format, _render_table(rows) if rows else empty)
        elif action == "save":
            from advisor.data.scenarios import load_scenario
            from advisor.engine.recommend import recommend

            scenario = load_scenario(args.scenario)
            saved = store.save(scenario, name=args.name, result=recommend(scenario).to_dict())
            link = short_link(saved.id)
            _emit(
                {"id": saved.id, "name": saved.name, "version": saved.version, "link": link},
                args.format,
                f"saved {saved.name!r} as version {saved.version} (id {saved.id})\nlink: {link}",
            )
        elif action == "show":
            opened = store.open(args.ref, args.version)
            if args.format == "yaml":
                print(opened.scenario_text, end="")
            elif args.format == "json":
                _emit({**opened.to_dict(), "link": short_link(opened.id)}, "json", "")
            else:
                print(_saved_summary(opened, short_link(opened.id)))
        elif action == "history":
            versions = store.history(args.ref)
            rows = [
                {"version": v.version, "saved": _when(v.saved_at), "monthly_usd": v.total_monthly_cost_usd,
                 "current": "yes" if v.current else ""}
                for v in versions
            ]  # fmt: skip
            _emit([v.to_dict() for v in versions], args.format, _render_table(rows))
        elif action == "diff":
            difference = store.compare(args.ref, args.version, args.against)
            _emit(difference.to_dict(), args.format, difference.text().rstrip("\n"))
        elif action == "rename":
            before = store.get(args.ref)
            after = store.rename(args.ref, args.new_name)
            print(f"renamed {before.name!r} to {after.name!r} (id {after.id}; its link and history stay)")
        elif action == "delete":
            gone = store.delete(args.ref)
            print(f"deleted {gone.name!r} and its {plural(gone.versions, 'version')}")
    finally:
        store.close()


def _store_measurements(args: argparse.Namespace) -> None:
    """`advisor store measurements | export-measurements`: in the team store when ADVISOR_DB_URL is set."""
    from pathlib import Path

    from advisor.data.measurements import export_measurements, list_measurements, measurements_location

    if args.store_command == "export-measurements":
        text = export_measurements()
        if not args.output:
            print(text, end="")
            return
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as e:
            raise AdvisorError(f"--output: cannot write {args.output} ({e.strerror or e})") from None
        count = text.count('"tokens_per_s"')
        wrote = f"advisor: wrote {plural(count, 'measurement')} from {measurements_location()} to {args.output}"
        print(wrote, file=sys.stderr)
        return
    found = list_measurements()
    rows = [
        {"model": m["model"], "quant": m["quant"], "hardware": m["hardware"],
         "tokens_per_s": m["tokens_per_s"], "first_token_ms": m["first_token_ms"],
         "prompt_tokens": None if m["prompt_tokens"] is None else int(m["prompt_tokens"]),
         "machine": m["machine"] or "",
         "measured": m["measured_at"][:16].replace("T", " ") if m["measured_at"] else "",
         "by": m["measured_by"] or "", "source": m["source"]}
        for m in found
    ]  # fmt: skip
    where = f"measurements in {measurements_location()}"
    _emit(found, args.format, f"{where}\n{_render_table(rows)}" if rows else f"(no {where} yet)")


def _saved_summary(opened: Any, link: str) -> str:
    current = "current" if opened.current else f"an older one; the current is {opened.latest_version}"
    lines = [
        f"{opened.name}  (id {opened.id})",
        f"  version {opened.version} ({current}), saved {_when(opened.saved_at)}",
        f"  link: {link}",
    ]
    result = opened.result or {}
    workloads = result.get("workloads", [])
    if workloads and not any(w.get("pick") for w in workloads):
        lines.append("  total per month: none (no option meets all constraints)")
    elif isinstance(result.get("total_monthly_cost_usd"), int | float):
        lines.append(f"  total per month: {money(result['total_monthly_cost_usd'])}")
    for workload in result.get("workloads", []):
        pick = workload.get("pick") or "no option meets all constraints"
        cost = workload.get("monthly_cost_usd")
        shown = f" - {money(cost)}/month" if isinstance(cost, int | float) and workload.get("pick") else ""
        lines.append(f"  {workload.get('name')}: {workload.get('verdict', '?').upper()}, {pick}{shown}")
    return "\n".join([*lines, "", opened.scenario_text.rstrip("\n")])


def cmd_hybrid(args: argparse.Namespace) -> int:
    """`advisor hybrid`: the Hybrid lab on the command line (advisor/lab/command.py)."""
    from advisor.lab.command import run_hybrid_command

    return run_hybrid_command(args)


HANDLERS = {
    "catalog": cmd_catalog,
    "fit": cmd_fit,
    "cost": cmd_cost,
    "recommend": cmd_recommend,
    "validate": cmd_validate,
    "compare": cmd_compare,
    "hybrid": cmd_hybrid,
    "report": cmd_report,
    "store": cmd_store,
}


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = HANDLERS[args.command](args)
    except AdvisorError as e:
        print(f"advisor: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        return 0
    except Exception as e:  # last resort: one line, never a traceback, unless debugging
        if os.environ.get("ADVISOR_DEBUG"):
            raise
        print(f"advisor: internal error: {type(e).__name__}: {e} (set ADVISOR_DEBUG=1 for details)", file=sys.stderr)
        return 1
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
