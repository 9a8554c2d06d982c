"""The store's tables: a named scenario, and every version of it saved so far.

Imported only when a store is opened (SQLAlchemy is heavy); the migrations in `migrations/versions/` create these
tables and must be kept in step with them (a test compares the two).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, Float, ForeignKey, Integer, MetaData, String, Text, UniqueConstraint
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
