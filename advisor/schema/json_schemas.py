"""JSON Schemas of the catalog files, for editors (the `# yaml-language-server: $schema=` line at the top of each
catalog file). Regenerate with `python -m advisor.schema.json_schemas catalog/schema`; a test checks they are current.
"""

from __future__ import annotations

import json

from pydantic import BaseModel

from advisor.schema.catalog import (
    ApiModelFile,
    EfficiencyFile,
    HardwareFile,
    ModelFamilyFile,
    QuantFile,
    TaskFile,
)
from advisor.schema.prompts import PromptFile
from advisor.schema.routing import RoutingFile
from advisor.schema.rules import RulesFile

SCHEMA_FILES: dict[str, type[BaseModel]] = {
    "models.schema.json": ModelFamilyFile,
    "hardware.schema.json": HardwareFile,
    "quantizations.schema.json": QuantFile,
    "tasks.schema.json": TaskFile,
    "api_models.schema.json": ApiModelFile,
    "efficiency.schema.json": EfficiencyFile,
    "rules.schema.json": RulesFile,
    "routing.schema.json": RoutingFile,
    "prompts.schema.json": PromptFile,
}


def json_schemas() -> dict[str, str]:
    """File name -> JSON schema text for every catalog file kind."""
    return {name: json.dumps(model.model_json_schema(), indent=2) + "\n" for name, model in SCHEMA_FILES.items()}


if __name__ == "__main__":
    import sys
    from pathlib import Path

    target = Path(sys.argv[1] if len(sys.argv) > 1 else "catalog/schema")
    target.mkdir(parents=True, exist_ok=True)
    for file_name, text in json_schemas().items():
        (target / file_name).write_text(text)
