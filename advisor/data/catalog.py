"""The catalog snapshot: everything the advisor knows, loaded once, immutable, passed explicitly through the engine.

One `Catalog` holds the open-weight models, quantisations, hardware, task kinds, API model notes, efficiency
factors, rules, routing figures, sample prompts, API prices (genai-prices, as of a day) and the measured speeds of
live runs. The data ships inside the package (advisor/catalog_data/ in a wheel, catalog/ in a checkout).

`load_catalog(root)` reads a directory (cached per directory); `default_catalog()` is the shipped catalog with the
measurements stored so far, and is what the public entry points use when no catalog is passed. A team swaps in its
own data by passing `catalog=load_catalog(its_dir)`, or `set_default_catalog(...)` for a whole session.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from advisor.data.measurements import THIS_MACHINE_ID, Measurements, read_measurements, store_version
from advisor.errors import CatalogError, NoSamplePromptsError, UnknownIdError
from advisor.schema.base import slug
from advisor.schema.catalog import (
    ApiModelFile,
    ApiModelNote,
    EfficiencyFile,
    HardwareFile,
    HardwareProfile,
    ModelFamilyFile,
    OpenWeightModel,
    QuantFile,
    Quantization,
    TaskFile,
    TaskKind,
)
from advisor.schema.prompts import PromptFile, PromptSet, SamplePrompt
from advisor.schema.reader import parse_yaml, read_model_file, read_text, validate_file_data
from advisor.schema.routing import RoutingBenchmark, RoutingFile, TaskRouting
from advisor.schema.rules import RulesFile

if TYPE_CHECKING:
    from advisor.data.prices import ApiPriceTable, PriceVariant

THIS_MACHINE = THIS_MACHINE_ID
LLAMA_CPP = "llama.cpp"
"""The engine of efficiency.yaml's `by_kind` figures: runs on every hardware kind (the others list theirs)."""
RULES_FILE = "rules.yaml"
ROUTING_FILE = "routing.yaml"
PROMPTS_FILE = "prompts.yaml"


def catalog_dir() -> Path:
    """Where the catalog data is: inside the installed package, or at the top of a source checkout."""
    package = Path(__file__).parent.parent
    packaged = package / "catalog_data"
    if packaged.is_dir():
        return packaged
    checkout = package.parent / "catalog"
    if checkout.is_dir():
        return checkout
    raise CatalogError(f"catalog data not found in {packaged} or {checkout}; reinstall the package")


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one snapshot, one cache entry
class Catalog:
    """Everything the advisor knows, indexed by id. Immutable: `with_*` methods return a new snapshot."""

    models: dict[str, OpenWeightModel]
    quantizations: dict[str, Quantization]
    hardware: dict[str, HardwareProfile]
    tasks: dict[str, TaskKind]
    api_notes: list[ApiModelNote]
    efficiency: EfficiencyFile
    rules: RulesFile
    routing: RoutingFile
    prompt_sets: dict[str, PromptSet]
    root: Path
    rules_source: str = "catalog/rules.yaml"
    """Where `rules` came from, as the recommendation names it."""
    measurements: Measurements = field(default_factory=Measurements)
    prices_on: date | None = None
    """The day API prices are taken for; None: today."""
    _aliases: dict[str, str] = field(default_factory=dict, repr=False)

    # ------------------------------------------------------------------------------------------- new snapshots
    def with_models(self, extra: list[OpenWeightModel]) -> Catalog:
        """A copy with more open-weight models (e.g. read from local GGUF files); same-id entries are replaced."""
        return dataclasses.replace(self, models={**self.models, **{m.id: m for m in extra}})

    def with_gguf(self, path: str | Path) -> tuple[Catalog, OpenWeightModel, str]:
        """Add the model in a local GGUF file; returns the new catalog, the entry and the file's quantisation."""
        from advisor.data.gguf import model_from_gguf

        model, quant = model_from_gguf(path)
        return self.with_models([model]), model, quant

    def with_rules(self, rules: RulesFile | str | Path) -> Catalog:
        """A copy that decides with another rules file (a path, or an already loaded RulesFile)."""
        if isinstance(rules, RulesFile):
            return dataclasses.replace(self, rules=rules, rules_source="custom")
        return dataclasses.replace(self, rules=load_rules(rules_path(rules)), rules_source=str(rules))

    def with_measurements(self, measurements: Measurements) -> Catalog:
        """A copy whose estimates use these measured speeds."""
        return dataclasses.replace(self, measurements=measurements)

    # ----------------------------------------------------------------------------------------------- look-ups
    def model(self, model_id: str, field_name: str | None = None) -> OpenWeightModel:
        try:
            return self.models[model_id]
        except KeyError:
            lowered = model_id.lower()
            if lowered in self.models:
                return self.models[lowered]
            raise UnknownIdError("model", model_id, sorted(self.models), field_name) from None

    def quantization(self, quant: str) -> Quantization:
        key = quant.upper()
        if key not in self.quantizations:
            raise UnknownIdError("quantisation", quant, sorted(self.quantizations))
        return self.quantizations[key]

    def task(self, task_id: str) -> TaskKind:
        if task_id not in self.tasks:
            raise UnknownIdError("task", task_id, sorted(self.tasks))
        return self.tasks[task_id]

    def resolve_hardware_id(self, text: str) -> str:
        """Canonical hardware id for an id or alias ('RTX 4090', 'nvidia-l4'); 'this-machine' is kept."""
        if text == THIS_MACHINE or text in self.hardware:
            return text
        for key in (text.lower(), slug(text)):
            if key in self._aliases:
                return self._aliases[key]
        raise UnknownIdError("hardware", text, sorted([*self.hardware, THIS_MACHINE]))

    def resolve_engine_id(self, text: str) -> str:
        """Canonical serving-engine id for an id or name ('vLLM', 'llama.cpp'), as efficiency.yaml names them."""
        names = {LLAMA_CPP: LLAMA_CPP}
        for engine_id, serving in self.efficiency.engines.items():
            names[engine_id] = engine_id
            names[serving.name.lower()] = engine_id
        for key in (text.strip(), text.strip().lower()):
            if key in names:
                return names[key]
        raise UnknownIdError("engine", text, sorted({LLAMA_CPP, *self.efficiency.engines}))

    def engine_kinds(self, engine_id: str) -> list[str]:
        """The hardware kinds an engine runs on: llama.cpp everywhere, a batching engine where efficiency.yaml gives
        its figures for the kind."""
        serving = self.efficiency.engines.get(engine_id)
        return list(self.efficiency.by_kind) if serving is None else list(serving.by_kind)

    def engine_runs_on(self, engine_id: str, kind: str) -> bool:
        return kind in self.engine_kinds(engine_id)

    def hardware_profile(self, text: str) -> HardwareProfile:
        """The profile for an id or alias; 'this-machine' is detected now (once per process)."""
        hardware_id = self.resolve_hardware_id(text)
        if hardware_id == THIS_MACHINE:
            from advisor.data.this_machine import detect_this_machine

            return detect_this_machine()
        return self.hardware[hardware_id]

    def task_routing(self, task_id: str) -> TaskRouting:
        """The default hybrid (routed share, pattern, benchmark) for a task kind."""
        if task_id not in self.routing.tasks:
            raise UnknownIdError("task", task_id, sorted(self.routing.tasks))
        return self.routing.tasks[task_id]

    def routing_benchmark(self, benchmark_id: str) -> RoutingBenchmark:
        """The counts under `benchmarks` for one benchmark or subject group, e.g. 'gsm8k' or 'mmlu_law'."""
        if benchmark_id not in self.routing.benchmarks:
            raise UnknownIdError("routing benchmark", benchmark_id, sorted(self.routing.benchmarks))
        return self.routing.benchmarks[benchmark_id]

    def prompts_for(self, task_id: str) -> list[SamplePrompt]:
        """The sample prompts of one task kind; NoSamplePromptsError (an UnknownIdError) when it has none."""
        if task_id not in self.prompt_sets:
            raise NoSamplePromptsError(task_id, sorted(self.prompt_sets))
        return list(self.prompt_sets[task_id].prompts)

    def price_table(self, variant: PriceVariant = "standard") -> ApiPriceTable:
        """Every text model genai-prices knows, priced as of this snapshot's day (cached per variant and day)."""
        from advisor.data.prices import api_price_table

        return api_price_table(variant, on=self.prices_on)


def _index_aliases(hardware: dict[str, HardwareProfile]) -> dict[str, str]:
    aliases: dict[str, str] = {}
    for profile in hardware.values():
        for name in (profile.id, profile.name, *profile.aliases):
            for key in (name.lower(), slug(name)):
                owner = aliases.setdefault(key, profile.id)
                if owner != profile.id:
                    raise CatalogError(f"hardware alias {name!r} names both {owner} and {profile.id}")
    return aliases


def _unique(kind: str, ids: list[str]) -> None:
    seen: set[str] = set()
    for item in ids:
        if item in seen:
            raise CatalogError(f"{kind} id {item!r} appears twice in the catalog")
        seen.add(item)


RULES_ENTRY_POINT_GROUP = "rightsize.rules"
"""Packages declare rules files here: `name = "package.module:function"`, the function returning the file's path."""


def default_rules_path() -> Path:
    """The shipped rules file (declared as `default` in the rightsize.rules entry-point group)."""
    return catalog_dir() / RULES_FILE


def rules_names() -> list[str]:
    """Names of the rules files installed packages declare (the rightsize.rules entry-point group)."""
    from importlib.metadata import entry_points

    return sorted(ep.name for ep in entry_points(group=RULES_ENTRY_POINT_GROUP))


def rules_path(name_or_path: str | Path) -> Path:
    """A rules file: a name declared in the rightsize.rules entry-point group, else a path."""
    from importlib.metadata import entry_points

    if isinstance(name_or_path, str) and "/" not in name_or_path and not name_or_path.endswith((".yaml", ".yml")):
        declared = {ep.name: ep for ep in entry_points(group=RULES_ENTRY_POINT_GROUP)}
        if name_or_path in declared:
            try:
                return Path(declared[name_or_path].load()())
            except (ImportError, AttributeError, TypeError) as e:
                raise CatalogError(
                    f"rules: {name_or_path!r} cannot be loaded from {declared[name_or_path].value}: {e}"
                ) from e
        known = ", ".join(declared) or "none"
        raise CatalogError(f"rules: no rules file named {name_or_path!r} (installed: {known}); or give a .yaml path")
    return Path(name_or_path)


@functools.cache
def load_rules(path: Path | None = None) -> RulesFile:
    """Load and check a rules file (default: the shipped rules.yaml). Cached per path."""
    source = Path(path) if path else default_rules_path()
    data = parse_yaml(read_text(source, "rules file", CatalogError), source.name, CatalogError)
    try:
        return validate_file_data(data, RulesFile, source.name, CatalogError)
    except CatalogError as e:
        raise CatalogError(_name_rule(str(e), data)) from None


def _name_rule(message: str, data: Any) -> str:
    """'rules.yaml: rules[3].when: ...' reads better as 'rules.yaml: rule prefer_x (rules[3].when): ...'."""
    match = re.match(r"^(?P<file>[^:]+): rules\[(?P<index>\d+)\](?P<field>[^:]*):(?P<rest>.*)$", message, re.DOTALL)
    if match and isinstance(data, dict):
        items = data.get("rules") or []
        index = int(match["index"])
        if index < len(items) and isinstance(items[index], dict) and "id" in items[index]:
            return f"{match['file']}: rule {items[index]['id']} (rules[{index}]{match['field']}):{match['rest']}"
    return message


@functools.cache
def load_catalog(root: Path | None = None) -> Catalog:
    """Load and validate every catalog file under `root` (default: the shipped catalog). Cached per root.

    The snapshot carries no measurements; `default_catalog()` adds the stored ones."""
    base = Path(root) if root else catalog_dir()
    models: list[OpenWeightModel] = []
    for path in sorted((base / "models").glob("*.yaml")):
        family_file = read_model_file(path, ModelFamilyFile, CatalogError)
        models.extend(m.model_copy(update={"family": family_file.family}) for m in family_file.models)
    hardware: list[HardwareProfile] = []
    for path in sorted((base / "hardware").glob("*.yaml")):
        hardware.extend(read_model_file(path, HardwareFile, CatalogError).hardware)
    quants = read_model_file(base / "quantizations.yaml", QuantFile, CatalogError).quantizations
    tasks = read_model_file(base / "tasks.yaml", TaskFile, CatalogError).tasks
    notes = read_model_file(base / "api_models.yaml", ApiModelFile, CatalogError).api_models
    efficiency = read_model_file(base / "efficiency.yaml", EfficiencyFile, CatalogError)
    routing = read_model_file(base / ROUTING_FILE, RoutingFile, CatalogError)
    prompt_file = read_model_file(base / PROMPTS_FILE, PromptFile, CatalogError)
    _unique("model", [m.id for m in models])
    _unique("hardware", [h.id for h in hardware])
    _unique("task", [t.id for t in tasks])
    task_ids = {t.id for t in tasks}
    for task_id in routing.tasks:
        if task_id not in task_ids:
            raise CatalogError(f"{ROUTING_FILE}: tasks.{task_id}: not a task of tasks.yaml")
    missing = sorted(task_ids - set(routing.tasks))
    if missing:
        raise CatalogError(f"{ROUTING_FILE}: tasks: no routing figures for {', '.join(missing)} (add them)")
    hardware_by_id = {h.id: h for h in hardware}
    return Catalog(
        models={m.id: m for m in models},
        quantizations={q.id: q for q in quants},
        hardware=hardware_by_id,
        tasks={t.id: t for t in tasks},
        api_notes=notes,
        efficiency=efficiency,
        rules=load_rules(base / RULES_FILE),
        rules_source="catalog/rules.yaml" if root is None else str(base / RULES_FILE),
        routing=routing,
        prompt_sets={s.task: s for s in prompt_file.prompt_sets},
        root=base,
        _aliases=_index_aliases(hardware_by_id),
    )


_custom_default: Catalog | None = None


def set_default_catalog(catalog: Catalog | None) -> None:
    """Make `catalog` what every public entry point uses when given none (None: back to the shipped one)."""
    global _custom_default
    _custom_default = catalog


def default_catalog() -> Catalog:
    """The catalog public entry points use when none is passed: the shipped one (or the one set with
    `set_default_catalog`) with the measured speeds stored so far (measurements.json, or the team store when
    ADVISOR_DB_URL is set: a measurement another user saves there is picked up at the next call)."""
    base = _custom_default or load_catalog()
    return _with_store(base, store_version())


@functools.lru_cache(maxsize=8)
def _with_store(base: Catalog, version: tuple[str, float]) -> Catalog:
    del version  # part of the cache key only: a new measurement makes a new snapshot
    return base.with_measurements(read_measurements())
