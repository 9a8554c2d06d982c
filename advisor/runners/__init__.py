"""Live runners: something that streams a model's answer to a prompt and reports what the run measured.

A runner is any object with a `name`, a `label` and a `run(prompt, settings, on_text)` method (the `Runner`
protocol). `run` calls `on_text` with each piece of text as it arrives and returns a `Measurement`; a fault on the
way (a refused connection, a 429, a dropped stream) comes back as `Measurement.error` in one line, never as an
exception, so one side of a side-by-side run failing leaves the other side's result alone. Mistakes in the runner's
own settings (an unknown model file, a bad URL) raise `RunnerError` when the runner is made.

Runners are found through the `rightsize.runners` entry-point group: the built-in `local` and `api` runners are
declared in this package's pyproject.toml exactly as a third-party package declares its own

    [project.entry-points."rightsize.runners"]
    my-server = "my_package.runner:make_runner"     # a factory: make_runner(**options) -> Runner

and `register_runner(name, factory)` adds one at run time (a notebook, a test).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from advisor.errors import AdvisorError

TextCallback = Callable[[str], None]


class RunnerError(AdvisorError, ValueError):
    """A runner cannot be made or used as configured; the message names the setting and what is allowed."""


@dataclass(frozen=True)
class RunSettings:
    """How one prompt is run: the same on both sides of a comparison."""

    max_tokens: int = 200
    temperature: float = 0.0
    system: str | None = None  # an instruction sent before the prompt (a system message where supported)
    timeout_s: float = 60.0  # the whole request, first byte to last
    logprobs: bool = False  # local: also measure the answer's mean token log-probability (extra['mean_logprob'])


@dataclass
class Measurement:
    """What one run measured. Times are wall-clock from sending the prompt; tokens are the model's own counts."""

    runner: str  # registry name: local, api, ...
    model: str
    text: str = ""
    first_token_ms: float | None = None
    tokens_per_s: float | None = None  # decode speed: tokens after the first / time after the first
    total_ms: float | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    cost_usd: float | None = None  # this request
    monthly_cost_usd: float | None = None  # projected at the scenario's volume
    cost_basis: str | None = None  # where the cost figure comes from, in words
    error: str | None = None
    retries: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def ms_per_output_token(self) -> float | None:
        """Time per output token after the first (the inverse of the decode speed)."""
        return 1000 / self.tokens_per_s if self.tokens_per_s else None

    def to_dict(self) -> dict[str, Any]:
        """The `advisor compare --format json` object for one side."""
        data: dict[str, Any] = {
            "runner": self.runner,
            "model": self.model,
            "first_token_ms": _round(self.first_token_ms, 1),
            "tokens_per_s": _round(self.tokens_per_s, 2),
            "total_ms": _round(self.total_ms, 1),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cost_usd": self.cost_usd,
            "monthly_cost_usd": _round(self.monthly_cost_usd, 2),
            "cost_basis": self.cost_basis,
            "text": self.text,
            "retries": self.retries,
        }
        if self.error is not None:
            data["error"] = self.error
        return data


class Runner(Protocol):
    """Streams tokens for a prompt and reports timings and token counts."""

    name: str  # the registry name it was made under
    label: str  # what it runs, for a column header: "gemma-3-270m Q4_K_M (this machine)", "gpt-4o-mini via API"

    def run(self, prompt: str, settings: RunSettings, on_text: TextCallback | None = None) -> Measurement: ...


RunnerFactory = Callable[..., Runner]
ENTRY_POINT_GROUP = "rightsize.runners"
_REGISTRY: dict[str, RunnerFactory] = {}


def register_runner(name: str, factory: RunnerFactory) -> None:
    """Make `make_runner(name, **options)` call `factory(**options)`."""
    _REGISTRY[name] = factory


def _entry_points() -> dict[str, Any]:
    """Runner factories declared by installed packages, by name; loaded only when that runner is made (the local
    runner pulls in llama_cpp, the API runner the openai client)."""
    from importlib.metadata import entry_points

    return {ep.name: ep for ep in entry_points(group=ENTRY_POINT_GROUP)}


def runner_names() -> list[str]:
    return sorted({*_REGISTRY, *_entry_points()})


def make_runner(name: str, **options: Any) -> Runner:
    if name not in _REGISTRY:
        declared = _entry_points().get(name)
        if declared is None:
            raise RunnerError(f"runner: must be one of {' | '.join(runner_names())}, got {name!r}")
        try:
            factory = declared.load()
        except (ImportError, AttributeError) as e:
            raise RunnerError(f"runner: {name!r} is declared by {declared.value} but cannot be loaded: {e}") from e
        register_runner(name, factory)
    return _REGISTRY[name](**options)


def decode_speed(first_token_s: float | None, total_s: float, completion_tokens: int | None) -> float | None:
    """Tokens per second after the first token: the figure fit estimates predict (prefill is first_token_ms)."""
    if first_token_s is None or not completion_tokens or completion_tokens < 2 or total_s <= first_token_s:
        return None
    return (completion_tokens - 1) / (total_s - first_token_s)


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)
