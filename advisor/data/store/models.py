"""The store's tables: a named scenario, every version of it saved so far, and the live measurements a team shares.

Imported only when a store is opened (SQLAlchemy is heavy); the migrations in `migrations/versions/` create these
tables and must be kept in step with them (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

TABLE_PREFIX = "rightsize_"
"""Tables carry the product's prefix, so a team's shared PostgreSQL database may hold other tables too."""

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class StoredScenario(Base):
    """A named scenario: its short id (the `?s=` link), its name and which version is the current one."""

    __tablename__ = f"{TABLE_PREFIX}scenarios"
    __table_args__ = (UniqueConstraint("name"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    latest_version: Mapped[int] = mapped_column(Integer)


class StoredVersion(Base):
    """One save of a scenario: the scenario file (v1, YAML) as saved and its recommendation JSON at that time."""

    __tablename__ = f"{TABLE_PREFIX}scenario_versions"

    scenario_id: Mapped[str] = mapped_column(
        String(32), ForeignKey(f"{TABLE_PREFIX}scenarios.id", ondelete="CASCADE"), primary_key=True
    )
    version: Mapped[int] = mapped_column(Integer, primary_key=True)
    saved_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    scenario_text: Mapped[str] = mapped_column(Text)
    result_json: Mapped[str | None] = mapped_column(Text, nullable=True)
    total_monthly_cost_usd: Mapped[float | None] = mapped_column(Float, nullable=True)


MEASUREMENT_KEY_CHARS = 300
"""As long as a whole pair key may be (advisor.data.measurements.MAX_KEY_CHARS)."""


class StoredMeasurementRow(Base):
    """What a live run measured for (model, quant, hardware): one row per pair, the latest run's figures.

    `machine` is empty for a catalog hardware profile (a measurement on an L4 holds for every L4). For
    `this-machine` it is the machine's description (processor, cores, memory): each machine of a team reads its
    own `this-machine` rows and every catalog profile's."""

    __tablename__ = f"{TABLE_PREFIX}measurements"

    model: Mapped[str] = mapped_column(String(MEASUREMENT_KEY_CHARS), primary_key=True)
    quant: Mapped[str] = mapped_column(String(MEASUREMENT_KEY_CHARS), primary_key=True)
    hardware: Mapped[str] = mapped_column(String(MEASUREMENT_KEY_CHARS), primary_key=True)
    machine: Mapped[str] = mapped_column(String(MEASUREMENT_KEY_CHARS), primary_key=True)
    tokens_per_s: Mapped[float] = mapped_column(Float)
    first_token_ms: Mapped[float | None] = mapped_column(Float, nullable=True)
    prompt_tokens: Mapped[float | None] = mapped_column(Float, nullable=True)
    measured_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    measured_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    source: Mapped[str] = mapped_column(String(200))


class StoredMeasurementImport(Base):
    """A measurements.json already imported into the store (by its SHA-256), so it is imported once."""

    __tablename__ = f"{TABLE_PREFIX}measurement_imports"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    entries: Mapped[int] = mapped_column(Integer)
    added: Mapped[int] = mapped_column(Integer)


class MeasurementState(Base):
    """One row: a counter every change to the measurements adds one to. Readers cache the measurements per value;
    writers lock the row, so changes to the measurements are serialised."""

    __tablename__ = f"{TABLE_PREFIX}measurement_state"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    revision: Mapped[int] = mapped_column(Integer, server_default=text("0"))
