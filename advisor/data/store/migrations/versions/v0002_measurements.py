"""Live measurements shared through the store, the measurements.json files imported into it, and a change counter.

Revision ID: 0002_measurements
Revises: 0001_scenarios
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_measurements"
down_revision = "0001_scenarios"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rightsize_measurements",
        sa.Column("model", sa.String(300), nullable=False),
        sa.Column("quant", sa.String(300), nullable=False),
        sa.Column("hardware", sa.String(300), nullable=False),
        sa.Column("machine", sa.String(300), nullable=False),
        sa.Column("tokens_per_s", sa.Float(), nullable=False),
        sa.Column("first_token_ms", sa.Float(), nullable=True),
        sa.Column("prompt_tokens", sa.Float(), nullable=True),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("measured_by", sa.String(200), nullable=True),
        sa.Column("source", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("model", "quant", "hardware", "machine", name="pk_rightsize_measurements"),
    )
    op.create_table(
        "rightsize_measurement_imports",
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("entries", sa.Integer(), nullable=False),
        sa.Column("added", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("digest", name="pk_rightsize_measurement_imports"),
    )
    state = op.create_table(
        "rightsize_measurement_state",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("revision", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rightsize_measurement_state"),
    )
    op.bulk_insert(state, [{"id": 1, "revision": 0}])


def downgrade() -> None:
    op.drop_table("rightsize_measurement_state")
    op.drop_table("rightsize_measurement_imports")
    op.drop_table("rightsize_measurements")
