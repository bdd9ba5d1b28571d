"""evidence files attached in the portal, to questionnaire items and plan measures

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-12 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "evidencefile",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("kind", _text(10), nullable=False),
        sa.Column("target", _text(40), nullable=False),
        sa.Column("file_sha256", _text(64), nullable=False),
        sa.Column("name", _text(255), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("media_type", _text(100), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("actor", _text(254), nullable=False),
        sa.Column("actor_name", _text(200), nullable=False),
        sa.Column("added_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("removed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("removed_by", _text(254), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["file_sha256"], ["storedfile.sha256"]),
        sa.ForeignKeyConstraint(["member_id"], ["teammember.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("evidencefile", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_evidencefile_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("evidencefile", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_evidencefile_assignment_id"))
    op.drop_table("evidencefile")
