"""The scenario store: named scenarios with their results and version history, and short links to them.

    from advisor.data.store import default_store
    store = default_store()                       # SQLite in the data directory, or ADVISOR_DB_URL
    saved = store.save(scenario, result=advisor.recommend(scenario).to_dict())
    store.open(saved.id).scenario_text            # by short id or by name; version=N for an older one
    saved_scenario(store.open(saved.id))          # as a Scenario (advisor.data.scenarios), checked against the catalog
    store.compare(saved.name, 1)                  # version 1 against the current one
    store.measurements()                          # the live measurements a team shares (ADVISOR_DB_URL)

SQLAlchemy and Alembic load when a store is opened, not when this package is imported.
"""

from __future__ import annotations

from advisor.data.store.core import (
    DB_URL_ENV,
    SavedScenario,
    SavedVersion,
    ScenarioNotFoundError,
    ScenarioStore,
    StoreBusyError,
    StoreError,
    VersionInfo,
    check_name,
    default_store,
    open_store,
    redact_url,
    store_url,
)
from advisor.data.store.diff import Change, VersionDiff
from advisor.data.store.links import (
    PUBLIC_URL_ENV,
    SHORT_QUERY_KEY,
    VERSION_QUERY_KEY,
    LinkError,
    check_id,
    check_public_url,
    public_base_url,
    short_link,
)
from advisor.data.store.measured import MeasurementImport, SharedMeasurement

__all__ = [
    "DB_URL_ENV",
    "PUBLIC_URL_ENV",
    "SHORT_QUERY_KEY",
    "VERSION_QUERY_KEY",
    "Change",
    "LinkError",
    "MeasurementImport",
    "SavedScenario",
    "SavedVersion",
    "ScenarioNotFoundError",
    "ScenarioStore",
    "SharedMeasurement",
    "StoreBusyError",
    "StoreError",
    "VersionDiff",
    "VersionInfo",
    "check_id",
    "check_name",
    "check_public_url",
    "default_store",
    "open_store",
    "public_base_url",
    "redact_url",
    "short_link",
    "store_url",
]
