"""Named scenarios and their versions.

Revision ID: 0001_scenarios
Revises:
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_scenarios"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rightsize_scenarios",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("latest_version", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_rightsize_scenarios"),
        sa.UniqueConstraint("name", name="uq_rightsize_scenarios_name"),
    )
    op.create_table(
        "rightsize_scenario_versions",
        sa.Column("scenario_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("saved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scenario_text", sa.Text(), nullable=False),
        sa.Column("result_json", sa.Text(), nullable=True),
        sa.Column("total_monthly_cost_usd", sa.Float(), nullable=True),
        sa.ForeignKeyConstraint(
            ["scenario_id"],
            ["rightsize_scenarios.id"],
            name="fk_rightsize_scenario_versions_scenario_id_rightsize_scenarios",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("scenario_id", "version", name="pk_rightsize_scenario_versions"),
    )


def downgrade() -> None:
    op.drop_table("rightsize_scenario_versions")
    op.drop_table("rightsize_scenarios")
