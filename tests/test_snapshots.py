"""Whole rendered outputs, pinned: the CLI's recommendation table, the Markdown report, the recommendation JSON, the
fit JSON and the cost table. A change in wording or in a number shows here, in review, as a changed snapshot.

Prices are taken as of a fixed day, so the figures move only when the genai-prices data itself changes; the test
then fails and names the version, and `pytest tests/test_snapshots.py --inline-snapshot=fix` records the new output
for review.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import date

import pytest
from inline_snapshot import external, snapshot

from advisor.cli import main
from advisor.data.catalog import load_catalog, set_default_catalog
from advisor.data.prices import genai_prices_version
from tests.conftest import EXAMPLES

PRICES_ON = date(2026, 12, 1)
PRICES_VERSION = "0.2.3"
"""The genai-prices release the snapshots were taken with."""


@pytest.fixture(autouse=True)
def prices_as_of_a_fixed_day() -> Iterator[None]:
    if genai_prices_version() != PRICES_VERSION:
        pytest.fail(
            f"genai-prices {genai_prices_version()} is installed, the snapshots were taken with {PRICES_VERSION}: "
            "re-run with --inline-snapshot=fix, review the changed figures, and update PRICES_VERSION"
        )
    set_default_catalog(dataclasses.replace(load_catalog(), prices_on=PRICES_ON))
    yield
    set_default_catalog(None)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert main(list(args)) == 0
    out, err = capsys.readouterr()
    assert err == ""
    return out


def test_recommendation_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "recommend", str(EXAMPLES / "shoe-store.yaml")) == external(
        "uuid:63e2e58a-904b-480d-882b-814ed619943a.txt"
    )


def test_recommendation_markdown_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "recommend", str(EXAMPLES / "hospital-records.yaml"), "--format", "markdown") == external(
        "uuid:ec3a4e4a-db07-4ffe-9947-60bf9d905397.txt"
    )


def test_recommendation_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "recommend", str(EXAMPLES / "legal-research.yaml"), "--format", "json"))
    assert data == external("uuid:0ad104df-3a0f-468a-9818-90830265cff4.json")


def test_fit_json(capsys: pytest.CaptureFixture[str]) -> None:
    data = json.loads(run(capsys, "fit", "llama-3.1-8b-instruct", "--hardware", "rtx-4090", "--format", "json"))
    assert data == snapshot(
        {
            "model": "llama-3.1-8b-instruct",
            "quant": "Q8_0",
            "hardware": "rtx-4090",
            "context_tokens": 4096,
            "concurrency": 1,
            "memory_gb": {"weights": 8.532, "kv_cache": 0.537, "overhead": 0.5, "total": 9.569, "available": 24.0},
            "fits": True,
            "tokens_per_s": {"low": 60.63, "expected": 82.75, "high": 102.35},
            "first_token_ms": {"low": 367.5, "expected": 519.8, "high": 755.0},
            "basis": "estimated",
            "device_count": 1,
            "prompt_tokens": 4096,
            "gpu_layer_share": None,
            "engine": "llama.cpp",
            "first_token_p95_ms": 519.8,
        }
    )


def test_cost_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "cost", str(EXAMPLES / "mobile-offline.yaml"), "--top", "6") == external(
        "uuid:f0ebaf03-35bc-408a-858b-730f9a8c4408.txt"
    )
