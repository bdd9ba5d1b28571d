"""specialised plans (RV6, RV7): versions, their measures and the changes each made

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-14 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "nationalplan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("direction", _text(10), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", _text(254), nullable=False),
        sa.Column("note", _text(2000), nullable=False),
        sa.Column("needs", sa.JSON(), nullable=True),
        sa.Column("counted_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "direction", "version"),
    )
    with op.batch_alter_table("nationalplan", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nationalplan_round_id"), ["round_id"], unique=False)

    op.create_table(
        "nationalplanmeasure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("key", _text(20), nullable=False),
        sa.Column("template", _text(40), nullable=False),
        sa.Column("title", sa.JSON(), nullable=True),
        sa.Column("description", sa.JSON(), nullable=True),
        sa.Column("responsible", _text(300), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("policy_measure", _text(10), nullable=False),
        sa.Column("items", sa.JSON(), nullable=False),
        sa.Column("institutions", sa.JSON(), nullable=False),
        sa.Column("status", _text(20), nullable=False),
        sa.Column("dropped_reason", _text(2000), nullable=False),
        sa.Column("provisional", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["nationalplan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nationalplanmeasure", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nationalplanmeasure_plan_id"), ["plan_id"], unique=False
        )

    op.create_table(
        "nationalplanchange",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("measure_key", _text(20), nullable=False),
        sa.Column("kind", _text(20), nullable=False),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("reason", _text(2000), nullable=False),
        sa.Column("actor", _text(254), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["plan_id"], ["nationalplan.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("nationalplanchange", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_nationalplanchange_plan_id"), ["plan_id"], unique=False
        )


def downgrade() -> None:
    for table in ("nationalplanchange", "nationalplanmeasure"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{table}_plan_id"))
        op.drop_table(table)
    with op.batch_alter_table("nationalplan", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nationalplan_round_id"))
    op.drop_table("nationalplan")
