"""P1.1 training recorded for an institution's representatives before a team exists

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "representativetraining",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("email", _text(254), nullable=False),
        sa.Column("measure_id", _text(10), nullable=False),
        sa.Column("attended_on", sa.Date(), nullable=False),
        sa.Column("recorded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("institution_id", "email", "measure_id", "attended_on"),
    )
    with op.batch_alter_table("representativetraining", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_representativetraining_institution_id"),
            ["institution_id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("representativetraining", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_representativetraining_institution_id"))
    op.drop_table("representativetraining")
