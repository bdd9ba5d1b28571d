"""workbooks uploaded in the portal into the online questionnaire's draft

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "draftupload",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("file_sha256", _text(64), nullable=False),
        sa.Column("filename", _text(500), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("actor", _text(254), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["file_sha256"], ["storedfile.sha256"]),
        sa.ForeignKeyConstraint(["member_id"], ["teammember.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("draftupload", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_draftupload_assignment_id"), ["assignment_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("draftupload", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_draftupload_assignment_id"))
    op.drop_table("draftupload")
