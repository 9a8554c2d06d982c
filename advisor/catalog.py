"""Loading the catalog: open-weight models, quantisations, hardware, task kinds, API model notes, efficiency factors.

The data ships inside the package (advisor/catalog_data/ in a wheel, catalog/ in a checkout). `load_catalog()` is
cached; pass a directory to load a custom catalog (tests, a team's own hardware list).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from advisor.catalog_schema import (
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
    slug,
)
from advisor.errors import CatalogError, UnknownIdError

THIS_MACHINE = "this-machine"

FileModel = TypeVar("FileModel", bound=BaseModel)


def catalog_dir() -> Path:
    """Where the catalog data is: inside the installed package, or at the top of a source checkout."""
    packaged = Path(__file__).parent / "catalog_data"
    if packaged.is_dir():
        return packaged
    checkout = Path(__file__).parent.parent / "catalog"
    if checkout.is_dir():
        return checkout
    raise CatalogError(f"catalog data not found in {packaged} or {checkout}; reinstall the package")


def read_catalog_file(path: Path, schema: type[FileModel]) -> FileModel:
    """One catalog YAML file validated against its schema; CatalogError names the file and the field."""
    import yaml

    if not path.is_file():
        raise CatalogError(f"{path.name}: not found in {path.parent}; reinstall the package or restore the file")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as e:
        raise CatalogError(f"{path.name}: not valid YAML: {e}") from None
    try:
        return schema.model_validate(data)
    except ValidationError as e:
        first = e.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"])
        prefix = f"{where}: " if where else ""
        raise CatalogError(f"{path.name}: {prefix}{first['msg']} (fix the file and reload)") from None


@dataclass(frozen=True)
class Catalog:
    """Everything the advisor knows, indexed by id."""

    models: dict[str, OpenWeightModel]
    quantizations: dict[str, Quantization]
    hardware: dict[str, HardwareProfile]
    tasks: dict[str, TaskKind]
    api_notes: list[ApiModelNote]
    efficiency: EfficiencyFile
    root: Path
    _aliases: dict[str, str] = field(default_factory=dict, repr=False)

    def with_models(self, extra: list[OpenWeightModel]) -> Catalog:
        """A copy with more open-weight models (e.g. read from local GGUF files); same-id entries are replaced."""
        import dataclasses

        return dataclasses.replace(self, models={**self.models, **{m.id: m for m in extra}})

    def with_gguf(self, path: str | Path) -> tuple[Catalog, OpenWeightModel, str]:
        """Add the model in a local GGUF file; returns the new catalog, the entry and the file's quantisation."""
        from advisor.gguf_reader import model_from_gguf

        model, quant = model_from_gguf(path)
        return self.with_models([model]), model, quant

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

    def hardware_profile(self, text: str) -> HardwareProfile:
        """The profile for an id or alias; 'this-machine' is detected now."""
        hardware_id = self.resolve_hardware_id(text)
        if hardware_id == THIS_MACHINE:
            from advisor.this_machine import detect_this_machine

            return detect_this_machine(self)
        return self.hardware[hardware_id]


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


@functools.cache
def load_catalog(root: Path | None = None) -> Catalog:
    """Load and validate every catalog file under `root` (default: the shipped catalog). Cached per root."""
    base = root or catalog_dir()
    models: list[OpenWeightModel] = []
    for path in sorted((base / "models").glob("*.yaml")):
        family_file = read_catalog_file(path, ModelFamilyFile)
        models.extend(m.model_copy(update={"family": family_file.family}) for m in family_file.models)
    hardware: list[HardwareProfile] = []
    for path in sorted((base / "hardware").glob("*.yaml")):
        hardware.extend(read_catalog_file(path, HardwareFile).hardware)
    quants = read_catalog_file(base / "quantizations.yaml", QuantFile).quantizations
    tasks = read_catalog_file(base / "tasks.yaml", TaskFile).tasks
    notes = read_catalog_file(base / "api_models.yaml", ApiModelFile).api_models
    efficiency = read_catalog_file(base / "efficiency.yaml", EfficiencyFile)
    _unique("model", [m.id for m in models])
    _unique("hardware", [h.id for h in hardware])
    _unique("task", [t.id for t in tasks])
    hardware_by_id = {h.id: h for h in hardware}
    return Catalog(
        models={m.id: m for m in models},
        quantizations={q.id: q for q in quants},
        hardware=hardware_by_id,
        tasks={t.id: t for t in tasks},
        api_notes=notes,
        efficiency=efficiency,
        root=base,
        _aliases=_index_aliases(hardware_by_id),
    )


def catalog_rows(kind: str, catalog: Catalog | None = None, search: str | None = None) -> list[dict[str, Any]]:
    """Flat rows for `advisor catalog KIND` and the app's tables, filtered by a case-insensitive search."""
    cat = catalog or load_catalog()
    rows: list[dict[str, Any]]
    if kind == "models":
        rows = [
            {
                "id": m.id,
                "name": m.name,
                "family": m.family,
                "params_b": m.params_b,
                "active_params_b": m.active_b,
                "layers": m.architecture.layers,
                "kv_heads": m.architecture.kv_heads,
                "context_tokens": m.context_tokens,
                "license": m.license,
                "mmlu": m.score("mmlu"),
            }
            for m in sorted(cat.models.values(), key=lambda m: (m.params_b, m.id))
        ]
    elif kind == "hardware":
        rows = [
            {
                "id": h.id,
                "name": h.name,
                "kind": h.kind,
                "memory_gb": h.memory_gb,
                "bandwidth_gbs": h.memory_bandwidth_gbs,
                "fp16_tflops": h.fp16_tflops,
                "power_w": h.power_w,
                "purchase_usd": h.purchase_usd,
                "cloud_usd_per_hour": h.cloud_usd_per_hour,
            }
            for h in sorted(cat.hardware.values(), key=lambda h: (h.kind, h.memory_gb, h.id))
        ]
    elif kind == "tasks":
        rows = [
            {
                "id": t.id,
                "name": t.name,
                "input_tokens": t.input_tokens,
                "output_tokens": t.output_tokens,
                "capability": t.capability,
                "nature": t.nature,
            }
            for t in cat.tasks.values()
        ]
    elif kind == "api-models":
        from advisor.prices import api_price_table

        frame = api_price_table(catalog=cat).frame()
        rows = frame.to_dict(orient="records")
    else:
        raise UnknownIdError("catalog listing", kind, ["models", "api-models", "hardware", "tasks"])
    if search:
        needle = search.lower()
        rows = [row for row in rows if any(needle in str(value).lower() for value in row.values())]
    return rows
