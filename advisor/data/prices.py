"""API prices from genai-prices, flattened into arrays so one workload is priced across every model at once.

genai-prices is the only source of API prices (never typed by hand). Its per-call `calc_price` costs ~90 µs;
here every text model of every provider becomes one row of numpy arrays (input, cached input, output, per-request
fee, context tiers), and the whole catalog is priced in one vectorised expression. Tests check each row against
`genai_prices.calc_price` for the same usage.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from advisor.errors import PriceError

if TYPE_CHECKING:
    import pandas as pd

PriceVariant = Literal["standard", "batch"]
MAX_TIERS = 4
"""Context tiers kept per model; genai-prices has at most two today."""

_VARIANT_CONTEXT: dict[str, dict[str, str] | None] = {"standard": None, "batch": {"processing": "batch"}}


@dataclass(frozen=True)
class ApiPriceTable:
    """One row per (provider, model) text model, prices in USD per million tokens."""

    provider: np.ndarray  # str
    model: np.ndarray  # str
    name: np.ndarray  # str
    context_window: np.ndarray  # float, nan when unknown
    input_mtok: np.ndarray
    cache_read_mtok: np.ndarray  # input price where the provider has no cached price
    output_mtok: np.ndarray
    request_usd: np.ndarray  # fee per request (genai-prices requests_kcount / 1000)
    tier_start: np.ndarray  # (rows, MAX_TIERS), +inf where no tier
    tier_input_mtok: np.ndarray
    tier_cache_read_mtok: np.ndarray
    tier_output_mtok: np.ndarray
    variant: PriceVariant
    priced_on: date

    def __len__(self) -> int:
        return len(self.model)

    def index(self, provider: str, model: str) -> int:
        hits = np.flatnonzero((self.provider == provider) & (self.model == model))
        if hits.size == 0:
            known = sorted({f"{p}/{m}" for p, m in zip(self.provider, self.model, strict=True)})
            from advisor.errors import UnknownIdError

            raise UnknownIdError("API model", f"{provider}/{model}", known)
        return int(hits[0])

    def cost_per_request(
        self,
        input_tokens: float | np.ndarray,
        output_tokens: float | np.ndarray,
        cached_input_share: float | np.ndarray = 0.0,
        rows: np.ndarray | None = None,
    ) -> np.ndarray:
        """USD per request for every row (or the given rows), broadcasting token shapes against rows.

        Token arguments broadcast against the row axis: pass scalars, or arrays shaped (..., 1) for a grid.
        Context tiers follow genai-prices' cliff rule: once a request's input tokens reach a tier's start, that
        tier's price applies to all of its tokens.
        """
        pick = slice(None) if rows is None else rows
        tokens_in = np.asarray(input_tokens, dtype=float)
        tokens_out = np.asarray(output_tokens, dtype=float)
        cached = tokens_in * np.asarray(cached_input_share, dtype=float)
        price_in = self.input_mtok[pick]
        price_cached = self.cache_read_mtok[pick]
        price_out = self.output_mtok[pick]
        starts = self.tier_start[pick]
        for k in range(MAX_TIERS):
            reached = tokens_in >= starts[..., k]
            price_in = np.where(reached, self.tier_input_mtok[pick][..., k], price_in)
            price_cached = np.where(reached, self.tier_cache_read_mtok[pick][..., k], price_cached)
            price_out = np.where(reached, self.tier_output_mtok[pick][..., k], price_out)
        token_cost = (tokens_in - cached) * price_in + cached * price_cached + tokens_out * price_out
        result: np.ndarray = token_cost / 1e6 + self.request_usd[pick]
        return result

    def frame(self) -> pd.DataFrame:
        """The table as a DataFrame: one row per model, prices per 1M tokens."""
        import pandas as pd

        return pd.DataFrame(
            {
                "provider": self.provider,
                "model": self.model,
                "name": self.name,
                "context_window": self.context_window,
                "input_usd_per_mtok": self.input_mtok,
                "cached_input_usd_per_mtok": self.cache_read_mtok,
                "output_usd_per_mtok": self.output_mtok,
                "has_context_tiers": np.isfinite(self.tier_start[:, 0]),
                "variant": self.variant,
            }
        )


def _number(value: Any) -> tuple[float, list[tuple[float, float]]]:
    """A genai-prices price (Decimal or TieredPrices) as (base, [(tier start, tier price), ...])."""
    if value is None:
        return math.nan, []
    tiers = getattr(value, "tiers", None)
    if tiers is not None:
        return float(value.base), [(float(t.start), float(t.price)) for t in tiers]
    return float(value), []


HALF_HOURS = 48
"""Time-of-day prices (off-peak discounts) are averaged over the day's half-hours: exact for even traffic."""


def _active_price(model_info: Any, day: date, variant: PriceVariant) -> Any:
    """The model's price on `day`, or None when it has no such variant.

    For a model whose price changes with the time of day the result is the mean over the day's half-hours,
    since a monthly estimate has requests at every hour.
    """
    from genai_prices.types import ModelPrice, TimeOfDateConstraint

    context = _VARIANT_CONTEXT[variant]
    if context and not _variant_applies(model_info, context):
        return None
    noon = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)
    prices = model_info.prices
    timed = not isinstance(prices, ModelPrice) and any(
        isinstance(conditional.constraint, TimeOfDateConstraint) for conditional in prices
    )
    if not timed:
        return model_info.get_prices(noon, context)
    midnight = noon.replace(hour=0)
    from datetime import timedelta

    samples = [model_info.get_prices(midnight + timedelta(minutes=30 * k + 15), context) for k in range(HALF_HOURS)]
    keys = {key for sample in samples for key, value in sample.__dict__.items() if value is not None}
    averaged = {key: sum(float(getattr(sample, key) or 0) for sample in samples) / HALF_HOURS for key in keys}
    return ModelPrice(**{key: Decimal(repr(value)) for key, value in averaged.items()})


def _variant_applies(model_info: Any, context: dict[str, str]) -> bool:
    return any(variant.when == context for variant in (model_info.price_variants or ()))


@functools.cache
def _build(variant: PriceVariant, day: date) -> ApiPriceTable:
    from genai_prices import data

    rows: list[tuple[Any, ...]] = []
    for provider in data.providers:
        for info in provider.models:
            price = _active_price(info, day, variant)
            if price is None:
                continue
            base_in, tiers_in = _number(price.input_mtok)
            base_out, tiers_out = _number(price.output_mtok)
            if math.isnan(base_in) or math.isnan(base_out):
                continue  # not a text-generation price (embeddings, audio, images)
            base_cached, tiers_cached = _number(price.cache_read_mtok)
            request_fee = price.requests_kcount
            rows.append(
                (
                    provider.id,
                    info.id,
                    info.name or info.id,
                    float(info.context_window) if info.context_window else math.nan,
                    base_in,
                    base_cached,
                    base_out,
                    float(request_fee) / 1000 if request_fee is not None else 0.0,
                    tiers_in,
                    tiers_cached,
                    tiers_out,
                )
            )
    count = len(rows)
    tier_start = np.full((count, MAX_TIERS), np.inf)
    tier_in = np.zeros((count, MAX_TIERS))
    tier_cached = np.zeros((count, MAX_TIERS))
    tier_out = np.zeros((count, MAX_TIERS))
    base_in_arr = np.array([r[4] for r in rows])
    base_cached_arr = np.array([r[5] for r in rows])
    base_out_arr = np.array([r[6] for r in rows])
    for i, row in enumerate(rows):
        starts = sorted({start for start, _ in row[8] + row[9] + row[10]})[:MAX_TIERS]
        for k, start in enumerate(starts):
            tier_start[i, k] = start
            tier_in[i, k] = _tier_price(row[8], start, tier_in[i, k - 1] if k else base_in_arr[i])
            tier_out[i, k] = _tier_price(row[10], start, tier_out[i, k - 1] if k else base_out_arr[i])
            fallback_cached = tier_cached[i, k - 1] if k else base_cached_arr[i]
            tier_cached[i, k] = _tier_price(row[9], start, fallback_cached)
    # Without a cached-input price genai-prices bills cached tokens as ordinary input.
    no_cache = np.isnan(base_cached_arr)
    base_cached_arr = np.where(no_cache, base_in_arr, base_cached_arr)
    tier_cached = np.where(np.isnan(tier_cached) | no_cache[:, None], tier_in, tier_cached)
    return ApiPriceTable(
        provider=np.array([r[0] for r in rows], dtype=object),
        model=np.array([r[1] for r in rows], dtype=object),
        name=np.array([r[2] for r in rows], dtype=object),
        context_window=np.array([r[3] for r in rows]),
        input_mtok=base_in_arr,
        cache_read_mtok=base_cached_arr,
        output_mtok=base_out_arr,
        request_usd=np.array([r[7] for r in rows]),
        tier_start=tier_start,
        tier_input_mtok=tier_in,
        tier_cache_read_mtok=tier_cached,
        tier_output_mtok=tier_out,
        variant=variant,
        priced_on=day,
    )


def _tier_price(tiers: list[tuple[float, float]], start: float, previous: float) -> float:
    """Price at a tier start: the tier's own price if this price key has one there, else the one before."""
    for tier_start, price in tiers:
        if tier_start == start:
            return price
    return previous


def api_price_table(variant: PriceVariant = "standard", on: date | None = None) -> ApiPriceTable:
    """Every text model genai-prices knows, priced as of `on` (default today). Cached per variant and day."""
    if variant not in _VARIANT_CONTEXT:
        raise PriceError(f"price variant: must be one of {' | '.join(_VARIANT_CONTEXT)}, got {variant!r}")
    return _build(variant, on or datetime.now(tz=UTC).date())


def genai_prices_version() -> str:
    from importlib.metadata import version

    return version("genai-prices")
