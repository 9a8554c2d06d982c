"""Reading scenarios from files, text and plain data, with their task and hardware ids checked against a catalog."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from advisor.errors import ScenarioError
from advisor.schema.reader import explain_validation_error, parse_yaml, read_text
from advisor.schema.scenario import Scenario

if TYPE_CHECKING:
    from advisor.data.catalog import Catalog
    from advisor.data.store import SavedVersion


def scenario_from_data(data: Any, origin: str = "scenario", catalog: Catalog | None = None) -> Scenario:
    """Validate plain data (from YAML, JSON, a form or a share link) into a Scenario; ids must be in `catalog`
    (default: the shipped one)."""
    from advisor.data.catalog import default_catalog

    if data is None:
        raise ScenarioError(f"{origin}: empty; a scenario needs at least version, name and workloads")
    if not isinstance(data, dict):
        raise ScenarioError(
            f"{origin}: must be a mapping of keys (version, name, workloads...), got {type(data).__name__}"
        )
    try:
        return Scenario.model_validate(data, context={"catalog": catalog or default_catalog()})
    except ValidationError as e:
        raise ScenarioError(f"{origin}: {explain_validation_error(e, Scenario)}") from None
    except RecursionError:
        raise ScenarioError(f"{origin}: nesting too deep") from None


def parse_scenario(text: str, origin: str = "scenario", catalog: Catalog | None = None) -> Scenario:
    """Parse scenario YAML or JSON text."""
    return scenario_from_data(parse_yaml(text, origin), origin, catalog)


def load_scenario(path: str | Path, catalog: Catalog | None = None) -> Scenario:
    """Read a scenario file (.yaml, .yml or .json)."""
    target = Path(path)
    return parse_scenario(read_text(target), str(target), catalog)


def saved_scenario(saved: SavedVersion, catalog: Catalog | None = None) -> Scenario:
    """A version from the scenario store as a Scenario, validated against `catalog` (default: the shipped one),
    under the name it is saved as now."""
    scenario = parse_scenario(saved.scenario_text, f"saved scenario {saved.name!r} version {saved.version}", catalog)
    return scenario if scenario.name == saved.name else scenario.model_copy(update={"name": saved.name})
