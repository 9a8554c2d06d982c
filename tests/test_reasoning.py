"""Reasoning models: hidden thinking billed as output tokens, and other reasoning settings as options of their own."""

from __future__ import annotations

import numpy as np
import pytest

from advisor.data.catalog import default_catalog
from advisor.data.examples import example_scenarios
from advisor.engine.cost import api_cost_for
from advisor.engine.options import Option, api_options
from advisor.engine.tables import sensitivity
from advisor.present.report import Names
from advisor.schema.scenario import Assumptions, Workload

WORKLOAD = Workload(name="memo", task="complex_reasoning", requests_per_day=1000, input_tokens=2000, output_tokens=500)


def _by_label() -> dict[str, Option]:
    return {o.label: o for o in api_options(WORKLOAD, default_catalog())}


def test_every_reasoning_model_says_how_its_thinking_is_billed() -> None:
    catalog = default_catalog()
    reasoning = [n for n in catalog.api_notes if n.latency_class == "reasoning"]
    assert len(reasoning) >= 10
    for note in reasoning:
        assert note.reasoning is not None, f"{note.provider}/{note.model}: thinking billed but not counted"
        assert note.reasoning.output_multiplier > 1 and note.reasoning.billing_source.startswith("http")
        assert "Artificial Analysis" in note.reasoning.source
    # Models answering without a thinking phase bill only what they show.
    assert all(n.reasoning is None for n in catalog.api_notes if n.latency_class in ("fast", "accelerated"))


def test_the_bill_counts_the_hidden_tokens_at_the_output_price() -> None:
    catalog = default_catalog()
    table = catalog.price_table()
    row = table.index("openai", "gpt-5")
    note = next(n for n in catalog.api_notes if (n.provider, n.model) == ("openai", "gpt-5"))
    assert note.reasoning is not None
    multiplier = note.reasoning.output_multiplier
    by_hand = (2000 * table.input_mtok[row] + 500 * multiplier * table.output_mtok[row]) / 1e6 + table.request_usd[row]
    option = _by_label()["openai/gpt-5"]
    assert option.per_request_usd == pytest.approx(by_hand)
    assert option.output_multiplier == multiplier and option.reasoning_effort == "medium"
    monthly, per_request = api_cost_for("openai", "gpt-5", WORKLOAD, Assumptions())
    assert per_request == pytest.approx(by_hand) and monthly == pytest.approx(by_hand * 1000 * 30)
    # A model without hidden thinking bills its visible output only.
    plain = (
        2000 * table.input_mtok[table.index("openai", "gpt-4.1")]
        + 500 * table.output_mtok[table.index("openai", "gpt-4.1")]
    ) / 1e6
    assert _by_label()["openai/gpt-4.1"].per_request_usd == pytest.approx(plain)


def test_a_minimal_effort_variant_is_its_own_option() -> None:
    options = _by_label()
    default, minimal = options["openai/gpt-5"], options["openai/gpt-5 (minimal effort)"]
    assert minimal.reasoning_effort == "minimal" and minimal.output_multiplier == 1.0
    assert minimal.per_request_usd < default.per_request_usd
    # Its own published latency (Artificial Analysis, GPT-5 minimal on OpenAI: 0.89 s, plus reading the prompt beyond
    # the base size) replaces the reasoning class's.
    assert minimal.min_first_token_ms is not None and minimal.est_first_token_ms is not None
    assert default.est_first_token_ms is not None
    assert 890 <= minimal.min_first_token_ms < 890 * 1.5
    assert minimal.est_first_token_ms < default.est_first_token_ms
    # The catalog's scores were published with reasoning on: the variant answers a tier lower.
    assert (default.capability, minimal.capability) == ("frontier", "standard")
    assert "reasoning on" in minimal.quality_basis
    assert "google/gemini-2.5-flash (thinking off)" in options


def test_the_report_names_the_setting() -> None:
    names = Names(default_catalog())
    options = _by_label()
    assert names.option(options["openai/gpt-5"]) == "GPT-5 (OpenAI API)"
    assert names.option(options["openai/gpt-5 (minimal effort)"]) == "GPT-5, minimal effort (OpenAI API)"


def test_sensitivity_prices_a_setting_as_the_options_do() -> None:
    refs = ["openai/gpt-5", "openai/gpt-5 (minimal effort)", "openai/gpt-4.1"]
    frame = sensitivity([1000], [2000], [500], api_models=refs, deployments=[])
    options = _by_label()
    for ref in refs:
        grid = frame[frame["option"] == ref]["monthly_cost_usd"].to_numpy()
        expected = options[ref].per_request_usd * 1000 * 30
        assert grid.size == 1 and np.allclose(grid, expected), ref
    # A scenario's own options, variants included, go through the same pricing.
    scenario = example_scenarios()["shoe-store"]
    whole = sensitivity([1000], [600], [150], scenario=scenario)
    assert "openai/gpt-5 (minimal effort)" in set(whole["option"])
