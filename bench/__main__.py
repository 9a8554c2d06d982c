"""Run every benchmark, write bench/results/*.json, print a markdown table and refresh the README's copy."""

from __future__ import annotations

import re
import sys
from pathlib import Path

from . import (
    bench_app,
    bench_hybrid_lab,
    bench_prices,
    bench_recommend,
    bench_report,
    bench_runner,
    bench_sensitivity,
    bench_startup,
    bench_store,
    bench_sweep,
    bench_this_machine,
)
from .common import RESULTS

README = Path(__file__).resolve().parent.parent / "README.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _report_rows(report: dict) -> list[tuple[str, ...]]:
    pdf = f"{report['pdf_s']:.1f} s, {report['pdf_mb']:.2f} MB" if report["pdf_s"] else str(report["pdf_unavailable"])
    return [
        (
            "Cost report, HTML",
            f"{report['workloads']} workloads, 18 charts, plotly.js inline",
            f"{report['html_s']:.2f} s, {report['html_mb']:.1f} MB",
            "",
            "",
            "< 2 s, < 10 MB",
        ),
        ("Cost report, PDF (Chromium)", f"{report['workloads']} workloads", pdf, "", "", "< 15 s"),
    ]


def _table(prices: dict, grid: dict, startup: dict, machine: dict, rec: dict, app: dict, runner: dict) -> str:
    rows = [
        (
            "One workload x every API model",
            f"{prices['models']:,} models",
            f"{prices['ours_s'] * 1e3:.2f} ms (cold, incl. building the table: {prices['ours_cold_s'] * 1e3:.0f} ms)",
            f"genai_prices.calc_price per model: {prices['peer_s'] * 1e3:.0f} ms "
            f"(ModelInfo.calc_price: {prices['peer_direct_s'] * 1e3:.0f} ms)",
            f"{prices['speedup']:,.0f}x warm ({prices['speedup_vs_direct']:,.0f}x vs ModelInfo), "
            f"{prices['speedup_cold']:.1f}x cold",
            ">= 50x",
        ),
        (
            "Sensitivity grid",
            f"{grid['cells']:,} cells",
            f"{grid['grid_s']:.2f} s",
            f"scalar loop: {grid['scalar_loop_s_extrapolated']:.0f} s (from {grid['scalar_sample_cells']:,} cells)",
            f"{grid['speedup']:,.0f}x",
            "< 1 s, >= 100x",
        ),
        (
            "`import advisor`",
            "",
            f"{startup['import_advisor_s']:.3f} s",
            f"bare python: {startup['python_bare_s']:.3f} s",
            "",
            "< 0.5 s",
        ),
        ("`advisor --help`", "", f"{startup['advisor_help_s']:.3f} s", "", "", "< 1 s"),
        (
            "`recommend()`, one workload",
            f"{rec['options_per_workload']} options ({rec['open_weight_models']} open + {rec['api_models']} API "
            "models, hybrids)",
            f"{rec['one_workload_named_hardware_s'] * 1e3:.0f} ms on named hardware, "
            f"{rec['one_workload_advisor_picks_hardware_s'] * 1e3:.0f} ms when the advisor picks it",
            "",
            "",
            "median < 100 ms",
        ),
        ("`recommend()`, 20 workloads", "", f"{rec['twenty_workloads_s']:.2f} s", "", "", "< 1 s"),
        (
            "App: questionnaire submit to rendered recommendation",
            "shoe store, 2 workloads, new volume each time",
            f"{app['submit_to_render_s'] * 1e3:.0f} ms median, {app['submit_to_render_max_s'] * 1e3:.0f} ms worst "
            "(AppTest, server side)",
            f"`recommend()` alone: {app['recommend_alone_s'] * 1e3:.0f} ms",
            f"{app['submit_to_render_s'] / app['recommend_alone_s']:.1f}x",
            "< 1 s",
        ),
        (
            "App: submit to recommendation with its chart drawn, in Chromium",
            "shoe store, new volume each time; the open tab's chart (others draw when opened)",
            f"{app['browser_submit_to_charts_s']:.2f} s median, {app['browser_submit_to_charts_max_s']:.2f} s worst "
            "(the first loads plotly.js)",
            "",
            "",
            "< 1 s",
        ),
        (
            "App: each page's first paint in Chromium",
            f"{len(app['first_paint_s'])} pages, fresh browser context, warm server",
            f"slowest page {app['first_paint_max_page_s']:.2f} s",
            "",
            "",
            "< 2 s",
        ),
        (
            "App: first page interactive in Chromium",
            "server up, fresh browser context",
            f"{app['first_interactive_s']:.2f} s first visit, {app['first_interactive_later_s']:.2f} s later",
            f"bare Streamlit app: {app['bare_first_interactive_s']:.2f} s, "
            f"{app['bare_first_interactive_later_s']:.2f} s",
            f"{app['first_interactive_s'] / app['bare_first_interactive_s']:.1f}x",
            "< 4 s",
        ),
        (
            "App: server idle RSS",
            "after every page was shown",
            f"{app['idle_rss_mb']:.0f} MB",
            f"bare Streamlit app: {app['bare_idle_rss_mb']:.0f} MB",
            f"{app['idle_rss_mb'] / app['bare_idle_rss_mb']:.1f}x",
            "< 400 MB",
        ),
        (
            "Local runner decode",
            f"{runner['model']}, {runner['decode_tokens']} tokens, {runner['threads']} threads",
            f"{runner['runner_decode_tokens_per_s']:.1f} tok/s",
            f"bare llama_cpp generate loop, same model and prompt: {runner['bare_decode_tokens_per_s']:.1f} tok/s",
            f"{runner['decode_ratio']:.3f}x",
            ">= 0.95x",
        ),
        (
            "Local runner first token",
            f"{runner['prompt_tokens']}-token chat prompt, fresh context",
            f"{runner['runner_first_token_ms']:.1f} ms",
            f"bare loop: {runner['bare_first_token_ms']:.1f} ms",
            f"{runner['added_first_token_ms']:+.1f} ms added",
            "< 300 ms; < 15 ms added",
        ),
        (
            "Default model load",
            f"{runner['model']}, new process, imports included",
            f"{runner['load_s']:.2f} s",
            "",
            "",
            "< 3 s",
        ),
        (
            "Speed model decode (this machine)",
            "Gemma 3 270M Q4_K_M",
            f"estimate {machine['estimated_decode_tokens_per_s']['expected']:.1f} tok/s",
            f"llama.cpp measured {machine['measured_decode_tokens_per_s']:.1f} tok/s",
            f"{machine['decode_ratio_estimate_to_measured']:.2f}x",
            "within +-35%",
        ),
        (
            "Speed model memory (this machine)",
            "n_ctx 2048",
            f"estimate {machine['estimated_memory_gb']:.3f} GB",
            f"RSS growth {machine['measured_rss_growth_gb']:.3f} GB",
            f"{machine['memory_ratio_estimate_to_measured']:.2f}x",
            "within +-25%",
        ),
    ]
    if (RESULTS / "report.json").exists():
        import json

        rows += _report_rows(json.loads((RESULTS / "report.json").read_text()))
    if (RESULTS / "store.json").exists():
        import json

        store = json.loads((RESULTS / "store.json").read_text())
        rows.append(
            (
                "Scenario store (SQLite): save, open",
                "a 2-workload scenario with its recommendation JSON",
                f"save {store['save_s'] * 1e3:.1f} ms, open {store['open_s'] * 1e3:.1f} ms (median)",
                "",
                "",
                "< 50 ms each",
            )
        )
    if (RESULTS / "sweep.json").exists():
        import json

        sweep = json.loads((RESULTS / "sweep.json").read_text())
        rows.append(
            (
                "Sweep: volume x input tokens, deciding again at every point",
                f"{sweep['points']:,} points, 1 workload, hardware named / picked by the advisor",
                f"{sweep['grid_named_hardware_s']:.1f} s / {sweep['grid_advisor_picks_hardware_s']:.1f} s",
                "",
                "",
                "< 10 s",
            )
        )
    if (RESULTS / "hybrid_lab.json").exists():
        import json

        lab = json.loads((RESULTS / "hybrid_lab.json").read_text())
        rows.append(
            (
                "Hybrid lab: routing overhead, 30-prompt run",
                f"{lab['prompts']} sample prompts, self-check cascade, {lab['max_tokens']}-token answers",
                f"{lab['overhead_ms_per_prompt']:.2f} ms a prompt ({lab['warm_overhead_ms_per_prompt']:.2f} ms warm); "
                f"run {lab['run_s']:.0f} s ({lab['run_with_reference_s']:.0f} s with the large model on every prompt)",
                f"llama.cpp server on this machine as the large side; kept small {lab['small_share']:.0%}",
                "",
                "< 5 ms; < 2 min",
            )
        )
    lines = ["| benchmark | size | ours | peer / measured | ratio | target |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main() -> int:
    print("running benchmarks (about two minutes)...", file=sys.stderr)
    prices = bench_prices.run()
    grid = bench_sensitivity.run()
    startup = bench_startup.run()
    machine = bench_this_machine.run()
    rec = bench_recommend.run()
    app = bench_app.run()
    runner = bench_runner.run()
    bench_report.run()
    bench_store.run()
    bench_sweep.run()
    bench_hybrid_lab.run()
    table = _table(prices, grid, startup, machine, rec, app, runner)
    (RESULTS / "README.md").write_text("# Benchmark results\n\n" + table + "\n")
    print(table)
    if README.exists():
        text = README.read_text()
        if START in text and END in text:
            text = re.sub(f"{START}.*?{END}", f"{START}\n{table}\n{END}", text, flags=re.S)
            README.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
