"""One workload priced across every API model: vectorised table vs genai_prices.calc_price once per model."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime

from advisor.data.prices import _build, api_price_table

from .common import median_seconds, write_result

SHAPE = {"input_tokens": 600, "output_tokens": 150, "cache_read_tokens": 150}


def run() -> dict[str, object]:
    from genai_prices import Usage, calc_price, data

    table = api_price_table()
    pairs = list(zip(table.provider, table.model, strict=True))
    models = {(p.id, m.id): (p, m) for p in data.providers for m in p.models}
    usage = Usage(**SHAPE)
    now = datetime.now(tz=UTC)

    def peer() -> None:
        # What a caller without the table does: genai_prices.calc_price by model id and provider, per model.
        for provider_id, model_id in pairs:
            # A few ids (fine-tunes) do not match their own clause; the table prices them directly.
            with contextlib.suppress(LookupError):
                calc_price(usage, model_id, provider_id=provider_id, genai_request_timestamp=now)

    def peer_direct() -> None:
        # The strictest peer: skip genai-prices' model matching and call each ModelInfo directly.
        for pair in pairs:
            provider, model = models[pair]
            model.calc_price(usage, provider, genai_request_timestamp=now)

    def ours() -> None:
        table.cost_per_request(SHAPE["input_tokens"], SHAPE["output_tokens"], 0.25)

    def ours_cold() -> None:
        _build.cache_clear()
        api_price_table().cost_per_request(SHAPE["input_tokens"], SHAPE["output_tokens"], 0.25)

    peer_s = median_seconds(peer, repeats=3)
    direct_s = median_seconds(peer_direct, repeats=3)
    ours_s = median_seconds(ours, repeats=50)
    cold_s = median_seconds(ours_cold, repeats=3)
    return write_result(
        "api_prices",
        {
            "models": len(pairs),
            "peer": "genai_prices.calc_price(usage, model_id, provider_id=...) once per model",
            "peer_s": peer_s,
            "peer_direct": "genai_prices ModelInfo.calc_price once per model (no model matching)",
            "peer_direct_s": direct_s,
            "speedup_vs_direct": direct_s / ours_s,
            "ours_s": ours_s,
            "ours_cold_s": cold_s,
            "speedup": peer_s / ours_s,
            "speedup_cold": peer_s / cold_s,
            "target": "speedup >= 50",
        },
    )
