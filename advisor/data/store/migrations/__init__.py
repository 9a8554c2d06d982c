"""Alembic migrations of the scenario store, run in code when a store is opened (`advisor.data.store.core`)."""
