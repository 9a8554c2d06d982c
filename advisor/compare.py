"""Side by side: the same prompt on a local model and an API model at once, measured, costed and scored.

Both sides run in their own thread, so a slow or failing side neither delays nor spoils the other. Each side's
`Measurement` then gets two cost figures:
- local: with a scenario, the TCO engine's cost per token for the scenario's hardware (or this machine when it
  names none) times this request's tokens, and the engine's monthly cost at the scenario's volume; without one,
  the electricity this run used on this machine;
- API: the genai-prices price of this request (the runner prices it), and that price at the workload's token
  shape times its monthly volume (prompt caching left out: a conservative figure).

One run on a shared machine is noise: `compare(..., repeat=N)` runs each prompt N times; each side then reports
its median run (by whole-answer time) with the median, lowest and highest of every timing (`RunSpread`).
"""

from __future__ import annotations

import statistics
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from advisor.data.catalog import THIS_MACHINE, default_catalog
from advisor.data.measurements import API_QUANT, HOSTED_API_ID, Measurements, pair_key, record_measurement
from advisor.data.this_machine import detect_this_machine
from advisor.engine.cost import self_hosted_cost
from advisor.engine.fit import make_deployment
from advisor.engine.options import paid_as
from advisor.engine.recommend import recommend
from advisor.engine.scoring import Score, score
from advisor.errors import AdvisorError, UnknownIdError
from advisor.runners import Measurement, Runner, RunSettings, TextCallback
from advisor.schema.prompts import SamplePrompt
from advisor.schema.scenario import Assumptions
from advisor.schema.vocabulary import REASONING_EFFORTS

if TYPE_CHECKING:
    from advisor.schema.scenario import Scenario, Workload


MAX_REPEAT = 20
"""Most runs of one prompt per comparison: enough for a median and a spread, not a load test."""

SPREAD_FIGURES = ("first_token_ms", "tokens_per_s", "ms_per_output_token", "total_ms")


@dataclass(frozen=True)
class RunSpread:
    """A side's repeated runs of one prompt: how many ran, how many succeeded, and per timing the median, lowest
    and highest over the successful runs."""

    count: int
    ok: int
    figures: dict[str, tuple[float, float, float]]

    def to_dict(self) -> dict[str, Any]:
        return {
            "count": self.count,
            "ok": self.ok,
            **{
                name: {"median": round(mid, 2), "low": round(low, 2), "high": round(high, 2)}
                for name, (mid, low, high) in self.figures.items()
            },
        }


def spread_of(runs: list[Measurement]) -> RunSpread:
    figures: dict[str, tuple[float, float, float]] = {}
    for name in SPREAD_FIGURES:
        values = [value for m in runs if m.ok and (value := getattr(m, name)) is not None]
        if values:
            figures[name] = (statistics.median(values), min(values), max(values))
    return RunSpread(len(runs), sum(1 for m in runs if m.ok), figures)


def median_run(runs: list[Measurement]) -> Measurement:
    """The run whose whole-answer time is the median of the successful runs (the first run if none succeeded)."""
    timed = sorted((m for m in runs if m.ok and m.total_ms is not None), key=lambda m: m.total_ms or 0.0)
    return timed[(len(timed) - 1) // 2] if timed else runs[0]


@dataclass
class SideBySide:
    """One prompt's result on every side that ran (with repeats: each side's median run, and the spread)."""

    prompt: str
    sides: dict[str, Measurement]
    prompt_id: str | None = None
    scores: dict[str, Score] = field(default_factory=dict)
    spreads: dict[str, RunSpread] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"prompt": self.prompt, "prompt_id": self.prompt_id}
        for side, measurement in self.sides.items():
            data[side] = measurement.to_dict()
            if side in self.scores:
                data[side]["score"] = {"verdict": self.scores[side].verdict, "detail": self.scores[side].detail}
            if side in self.spreads and self.spreads[side].count > 1:
                data[side]["runs"] = self.spreads[side].to_dict()
        return data


def run_sides(
    prompt: str,
    runners: dict[str, Runner | AdvisorError],
    settings: RunSettings,
    on_text: Callable[[str], TextCallback | None] | None = None,
) -> dict[str, Measurement]:
    """Run `prompt` on every side at once. A side given as an error (it could not be set up) reports that error."""
    results: dict[str, Measurement] = {}

    def one(side: str, runner: Runner) -> None:
        try:
            results[side] = runner.run(prompt, settings, on_text(side) if on_text else None)
        except Exception as e:  # a runner's own bug (a third-party one, say) must not take the other side down
            results[side] = Measurement(runner=getattr(runner, "name", side), model="?", error=f"runner failed: {e}")

    threads = []
    for side, runner in runners.items():
        if isinstance(runner, AdvisorError):
            results[side] = Measurement(runner=side, model="", error=str(runner))
            continue
        thread = threading.Thread(target=one, args=(side, runner), name=f"run-{side}", daemon=True)
        thread.start()
        threads.append(thread)
    for thread in threads:
        thread.join()
    return {side: results[side] for side in runners}


def pick_workload(scenario: Scenario, task: str | None = None, name: str | None = None) -> Workload:
    """The workload a comparison is costed for: the named one, else the first of the task, else the first."""
    if name is not None:
        for workload in scenario.workloads:
            if workload.name == name:
                return workload
        raise UnknownIdError("workload", name, [w.name for w in scenario.workloads])
    matching = [w for w in scenario.workloads if task is not None and w.task == task]
    return (matching or scenario.workloads)[0]


def cost_local(
    measurement: Measurement, quant: str, scenario: Scenario | None, workload: Workload | None, catalog: Any = None
) -> None:
    """Fill the local side's cost of this request and, with a scenario, its monthly cost at the volume."""
    if not measurement.ok or measurement.total_ms is None:
        return
    if scenario is None or workload is None:
        profile = detect_this_machine()
        price = Assumptions().electricity_usd_per_kwh
        kwh = profile.power_w * measurement.total_ms / 3_600_000 / 1000
        measurement.cost_usd = kwh * price
        measurement.cost_basis = (
            f"electricity for this run on this machine ({profile.power_w:g} W x {measurement.total_ms / 1000:.2f} s "
            f"at ${price:.2f}/kWh); pass a scenario for hardware, ops and a monthly figure"
        )
        return
    if scenario.hardware.profile is None and _cost_as_recommended(measurement, scenario, workload, catalog):
        return
    hardware = scenario.hardware.profile or THIS_MACHINE
    if hardware == THIS_MACHINE:
        catalog = with_this_run(catalog, measurement, quant)
    try:
        deployment = make_deployment(measurement.model, hardware, quant, scenario.hardware.count, catalog)
        # Charged as recommend() charges it (this machine: the electricity its requests use).
        paid: Any = paid_as(deployment, scenario)
        cost = self_hosted_cost(deployment, workload, scenario.assumptions, paid)
    except AdvisorError as e:
        measurement.cost_basis = f"no self-hosted cost on {hardware}: {e}"
        return
    monthly = cost.monthly_usd["expected"]
    if not monthly < float("inf"):
        measurement.cost_basis = f"{measurement.model} cannot serve {workload.name} on {hardware} (memory)"
        return
    tokens = (measurement.prompt_tokens or 0) + (measurement.completion_tokens or 0)
    measurement.cost_usd = cost.per_mtok_usd * tokens / 1e6
    measurement.monthly_cost_usd = monthly
    measurement.cost_basis = (
        f"TCO engine: {cost.deployment.hardware.id} ({str(paid).replace('_', ' ')}), "
        f"${cost.per_mtok_usd:,.2f} per 1M tokens at {workload.name}'s volume, "
        f"{_speed_words(bool(deployment.measured), hardware)}"
    )
    replicas = cost.replicas["expected"]
    if hardware == THIS_MACHINE and replicas > 1:
        measurement.cost_basis += (
            f"; this machine cannot carry {workload.requests_per_day:,.0f} requests a day on its own: it would "
            f"take {replicas:,.0f} of them"
        )


def _cost_as_recommended(measurement: Measurement, scenario: Scenario, workload: Workload, catalog: Any) -> bool:
    """When the advisor picks the hardware, cost the local model as the Recommendation does: the same option, on
    the hardware the advisor chose for it, at the workload's volume. False when the model is not one of its options."""
    decided = next(w for w in recommend(scenario, catalog).workloads if w.workload.name == workload.name)
    ranked = next(
        (
            r
            for r in decided.options
            if r.option.is_self_hosted and r.option.model == measurement.model and r.option.fits
        ),
        None,
    )
    if ranked is None:
        return False
    monthly = ranked.monthly_usd["expected"]
    tokens_per_month = (
        workload.requests_per_day
        * scenario.assumptions.days_per_month
        * (workload.input_tokens + workload.output_tokens)
    )
    tokens = (measurement.prompt_tokens or 0) + (measurement.completion_tokens or 0)
    measurement.monthly_cost_usd = monthly
    measurement.cost_usd = monthly / tokens_per_month * tokens if tokens_per_month else None
    hardware = ranked.option.hardware or THIS_MACHINE
    measurement.cost_basis = (
        f"TCO engine, as on the Recommendation page: {ranked.option.label} (the hardware the advisor picks for it), "
        f"${monthly:,.2f} a month at {workload.name}'s volume, "
        f"{_speed_words(ranked.option.basis == 'measured', hardware)}"
    )
    return True


def _speed_words(measured: bool, hardware: str) -> str:
    if measured:
        return "speed measured" + (" (this run)" if hardware == THIS_MACHINE else f" on {hardware}")
    return f"speed on {hardware} estimated (this run measured this machine, not {hardware})"


def with_this_run(catalog: Any, measurement: Measurement, quant: str) -> Any:
    """The catalog with this run's speed as the measurement for (model, quant, this machine), kept in memory only:
    the cost of a run on this machine is then figured from what it just measured."""
    if not measurement.ok or not measurement.tokens_per_s:
        return catalog
    base = catalog if catalog is not None else default_catalog()
    measured: dict[str, float] = {"tokens_per_s": measurement.tokens_per_s}
    if measurement.first_token_ms and measurement.prompt_tokens:
        measured |= {"first_token_ms": measurement.first_token_ms, "prompt_tokens": float(measurement.prompt_tokens)}
    entries = {**base.measurements.entries, pair_key(measurement.model, quant, THIS_MACHINE): measured}
    return base.with_measurements(Measurements(entries))


def current_catalog(runner: object) -> Any:
    """The catalog to cost a local runner's model with: today's (with every measurement kept so far, also those
    kept after the model was loaded), plus the model's own entry when it came from a GGUF file."""
    facts = getattr(runner, "facts", None)
    if facts is None:
        return None
    catalog = default_catalog()
    if facts.catalog_id in catalog.models:
        return catalog
    return catalog.with_models([facts.model])


def cost_api(measurement: Measurement, runner: Runner, workload: Workload | None, scenario: Scenario | None) -> None:
    """The monthly cost of the API side: its price at the workload's token shape, times the workload's volume."""
    request_cost = getattr(runner, "request_cost", None)
    if not measurement.ok or workload is None or scenario is None or request_cost is None:
        return
    per_request, _basis = request_cost(workload.input_tokens, workload.output_tokens)
    if per_request is not None:
        measurement.monthly_cost_usd = per_request * workload.requests_per_day * scenario.assumptions.days_per_month


def compare(
    prompts: list[SamplePrompt] | list[str],
    runners: dict[str, Runner | AdvisorError],
    settings: RunSettings | None = None,
    scenario: Scenario | None = None,
    workload: Workload | None = None,
    on_text: Callable[[str], TextCallback | None] | None = None,
    repeat: int = 1,
    on_run: Callable[[int, int], None] | None = None,
) -> list[SideBySide]:
    """Every prompt on every side, `repeat` times, costed for `workload` of `scenario` (when given) and scored where
    it can be. `on_text` streams the first run of each prompt; `on_run(done, total)` follows the repeats."""
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= MAX_REPEAT:
        raise AdvisorError(f"repeat: must be a whole number from 1 to {MAX_REPEAT}, got {repeat!r}")
    results = []
    total = len(prompts) * repeat
    for index, item in enumerate(prompts):
        sample = item if isinstance(item, SamplePrompt) else None
        text = sample.text if sample else str(item)
        run = settings or RunSettings()
        if sample is not None and sample.system and run.system is None:
            run = RunSettings(run.max_tokens, run.temperature, sample.system, run.timeout_s)
        runs = []
        for attempt in range(repeat):
            runs.append(run_sides(text, runners, run, on_text if attempt == 0 else None))
            if on_run is not None:
                on_run(index * repeat + attempt + 1, total)
        sides = {side: median_run([r[side] for r in runs]) for side in runners}
        spreads = {side: spread_of([r[side] for r in runs]) for side in runners}
        for side, measurement in sides.items():
            runner = runners[side]
            if isinstance(runner, AdvisorError):
                continue
            if side == "local":
                quant = getattr(getattr(runner, "facts", None), "quant", "Q4_K_M")
                cost_local(measurement, quant, scenario, workload, current_catalog(runner))
            else:
                cost_api(measurement, runner, workload, scenario)
        scores = {side: _score(m, sample, runners[side]) for side, m in sides.items() if sample is not None and m.ok}
        results.append(SideBySide(text, sides, sample.id if sample else None, scores, spreads))
    return results


def _score(measurement: Measurement, sample: SamplePrompt, runner: Runner | AdvisorError) -> Score:
    """The answer's score; a base model (not instruction-tuned) is not scored: it continues the prompt."""
    facts = getattr(runner, "facts", None)
    if facts is not None and not facts.model.instruction_tuned:
        return Score("not_scored", f"{facts.catalog_id} is a base model: it continues the prompt, it does not answer")
    return score(measurement.text, sample)


def calibrate(measurement: Measurement, quant: str, hardware: str = THIS_MACHINE) -> str:
    """Store a local run's speed for (model, quant, hardware); later estimates for the pair say 'measured'."""
    if not measurement.ok or not measurement.tokens_per_s:
        raise AdvisorError("measurements: this run has no decode speed to keep (it failed or made < 2 tokens)")
    record_measurement(
        measurement.model,
        quant,
        hardware,
        measurement.tokens_per_s,
        measurement.first_token_ms,
        measurement.prompt_tokens or None,
    )
    return (
        f"{measurement.model} {quant} on {hardware}: {measurement.tokens_per_s:,.1f} tokens/s and a "
        f"{measurement.first_token_ms or 0:,.0f} ms first token for a {measurement.prompt_tokens}-token prompt "
        "now replace the estimate"
    )


def api_option_labels(effort: str | None = None) -> list[str]:
    """The labels of the catalog's API options a live run sent with `effort` measures: without one, each model at
    its default setting (`provider/model`); with one, the settings of that reasoning effort (a variant's name in
    brackets, or the model itself where it is the default), so a run files only under the setting it ran."""
    from advisor.engine.options import api_settings

    settings = [setting for _, setting in api_settings(default_catalog())]
    if effort is None:
        return [setting.label for setting in settings if setting.variant is None]
    return [setting.label for setting in settings if setting.sent_effort == effort]


def api_efforts_with_options() -> list[str]:
    """The reasoning efforts (REASONING_EFFORTS) at which some catalog API option can be measured by a live run."""
    return [effort for effort in REASONING_EFFORTS if api_option_labels(effort)]


def known_api_label(model: str, base_url: str, provider: str | None = None, effort: str | None = None) -> str | None:
    """The catalog API option `model` at `base_url` sent with `effort` is, when the endpoint is a known provider's
    (genai-prices' API patterns) and the model one of the curated ones at that setting; else None."""
    from advisor.runners.api import provider_for_url

    owner = provider or provider_for_url(base_url)
    if owner is None:
        return None
    model_label = f"{owner}/{model}"
    found = [label for label in api_option_labels(effort) if label.split(" (")[0] == model_label]
    return found[0] if found else None


def api_option_label(
    model: str, base_url: str, provider: str | None = None, as_label: str | None = None, effort: str | None = None
) -> str:
    """The catalog API option a live API run measures: `as_label` when given (a proxy or gateway in front of a
    provider), else `known_api_label`; an AdvisorError says why when there is none. Either way it is an option of
    the reasoning effort the run sent (`effort`, None: the model's default)."""
    allowed = api_option_labels(effort)
    setting = f"reasoning effort {effort}" if effort else "its default setting (no reasoning effort sent)"
    if not allowed:
        raise AdvisorError(
            f"api-as: the catalog has no API model at {setting}, so this run's latency cannot be kept; run it at the "
            f"model's default or at an effort the catalog lists ({', '.join(api_efforts_with_options())})"
        )
    more = f" and {len(allowed) - 5} more (`advisor catalog api-models`)" if len(allowed) > 5 else ""
    choices = f"the choices at that setting are {', '.join(allowed[:5])}{more}"
    if as_label is not None:
        if as_label not in allowed:
            raise AdvisorError(f"api-as: {as_label!r} is not a curated API model at {setting}; {choices}")
        return as_label
    label = known_api_label(model, base_url, provider, effort)
    if label is None:
        raise AdvisorError(
            f"api-as: {model!r} at {base_url} is not one of the catalog's curated API models at {setting}; name "
            f"the one this endpoint serves to keep its latency ({choices})"
        )
    return label


def calibrate_api(measurement: Measurement, label: str) -> str:
    """Store an API run's first token and output speed for the API option `label` (see api_option_label); later
    estimates for that option say 'measured' and use them in place of the published figures."""
    if not measurement.ok or not measurement.tokens_per_s:
        raise AdvisorError("measurements: this API run has no output speed to keep (it failed or made < 2 tokens)")
    record_measurement(
        label,
        API_QUANT,
        HOSTED_API_ID,
        measurement.tokens_per_s,
        measurement.first_token_ms,
        measurement.prompt_tokens or None,
    )
    first = (
        f"a {measurement.first_token_ms:,.0f} ms first token for a {measurement.prompt_tokens}-token prompt and "
        if measurement.first_token_ms
        else ""
    )
    return (
        f"{label}: {first}{measurement.tokens_per_s:,.1f} tokens/s, measured from this network, now replace its "
        "published latency"
    )
