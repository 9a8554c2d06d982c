"""API prices: the vectorised table must agree with genai-prices itself, row by row."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from genai_prices import Usage, data

from advisor.data.prices import HALF_HOURS, api_price_table
from advisor.errors import UnknownIdError

MODELS = {(p.id, m.id): (p, m) for p in data.providers for m in p.models}
SHAPES = [
    (600, 150, 0.0),  # a support chat turn
    (1000, 1000, 0.3),  # cached system prompt
    (300_000, 2_000, 0.5),  # crosses the 200K context tiers
]


def _reference(provider_id: str, model_id: str, tokens_in: int, tokens_out: int, share: float, ctx, day) -> float:
    """genai-prices' own price; averaged over the day for models whose price depends on the hour."""
    provider, model = MODELS[(provider_id, model_id)]
    usage = Usage(input_tokens=tokens_in, cache_read_tokens=tokens_in * share, output_tokens=tokens_out)
    midnight = datetime(day.year, day.month, day.day, tzinfo=UTC)
    timed = isinstance(model.prices, list) and any(
        type(c.constraint).__name__ == "TimeOfDateConstraint" for c in model.prices
    )
    stamps = (
        [midnight + timedelta(minutes=30 * k + 15) for k in range(HALF_HOURS)] if timed else [midnight.replace(hour=12)]
    )
    prices = [
        float(model.calc_price(usage, provider, genai_request_timestamp=t, price_context=ctx).total_price)
        for t in stamps
    ]
    return sum(prices) / len(prices)


@pytest.mark.parametrize(("variant", "ctx"), [("standard", None), ("batch", {"processing": "batch"})])
@pytest.mark.parametrize(("tokens_in", "tokens_out", "share"), SHAPES)
def test_every_row_matches_genai_prices(variant, ctx, tokens_in, tokens_out, share) -> None:
    table = api_price_table(variant)
    ours = table.cost_per_request(tokens_in, tokens_out, share)
    for i in range(len(table)):
        expected = _reference(table.provider[i], table.model[i], tokens_in, tokens_out, share, ctx, table.priced_on)
        assert ours[i] == pytest.approx(expected, rel=1e-9, abs=1e-12), f"{table.provider[i]}/{table.model[i]}"


def test_table_covers_genai_prices_text_models() -> None:
    table = api_price_table()
    providers = {p for p in table.provider}
    assert len(table) > 1500
    assert {"openai", "anthropic", "google", "mistral", "groq"} <= providers
    # Batch variants exist for the providers that publish them.
    assert len(api_price_table("batch")) > 50


def test_context_tier_applies_to_all_tokens_once_crossed() -> None:
    """genai-prices' cliff rule: past the tier start, every input token pays the tier price."""
    table = api_price_table()
    tiered = np.flatnonzero(np.isfinite(table.tier_start[:, 0]))
    assert tiered.size > 0
    row = int(tiered[0])
    start = int(table.tier_start[row, 0])
    below = table.cost_per_request(start - 1, 0, rows=np.array([row]))[0]
    above = table.cost_per_request(start, 0, rows=np.array([row]))[0]
    assert below == pytest.approx((start - 1) * table.input_mtok[row] / 1e6 + table.request_usd[row])
    assert above == pytest.approx(start * table.tier_input_mtok[row, 0] / 1e6 + table.request_usd[row])


def test_cached_input_uses_the_cached_price() -> None:
    table = api_price_table()
    row = table.index("openai", "gpt-4o-mini")
    full = table.cost_per_request(1_000_000, 0, 0.0, rows=np.array([row]))[0]
    cached = table.cost_per_request(1_000_000, 0, 1.0, rows=np.array([row]))[0]
    assert full == pytest.approx(table.input_mtok[row])
    assert cached == pytest.approx(table.cache_read_mtok[row])
    assert cached < full


def test_unknown_api_model_suggests_close_ids() -> None:
    with pytest.raises(UnknownIdError, match="did you mean 'openai/gpt-4o-mini'"):
        api_price_table().index("openai", "gpt-4o-mimi")


def test_curated_notes_join_genai_prices(catalog) -> None:
    table = api_price_table()
    for note in catalog.api_notes:
        table.index(note.provider, note.model)  # raises if the join breaks after a genai-prices update
    assert sum(note.size_class == "slm" for note in catalog.api_notes) >= 4
