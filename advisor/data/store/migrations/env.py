"""Alembic's environment for the scenario store: always on the connection the store hands over (never a URL read
from a file, so a password in the URL never reaches Alembic's configuration or its log)."""

from __future__ import annotations

from alembic import context

from advisor.data.store.models import Base

VERSION_TABLE = "rightsize_alembic_version"

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("the scenario store runs its migrations on an open connection (advisor.data.store)")
context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    render_as_batch=True,  # SQLite alters tables by copying them
)
with context.begin_transaction():
    context.run_migrations()
