"""the online questionnaire: draft answers per field, answers kept over an ended session

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "draftanswer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("field", _text(40), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("actor", _text(254), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("source", _text(20), nullable=False),
        sa.Column("saved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["teammember.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draftanswer", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_draftanswer_assignment_id"), ["assignment_id"], unique=False
        )
    op.create_table(
        "pendinganswers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_sha256", _text(64), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.Column("back_to", _text(300), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("applied_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", _text(20), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["websession.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("key_sha256"),
    )
    with op.batch_alter_table("pendinganswers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_pendinganswers_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("pendinganswers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pendinganswers_session_id"))
    op.drop_table("pendinganswers")
    with op.batch_alter_table("draftanswer", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draftanswer_assignment_id"))
    op.drop_table("draftanswer")
