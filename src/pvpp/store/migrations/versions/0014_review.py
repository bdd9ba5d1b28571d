"""human review of submissions: the round's setting, the answers held for the reviewer,
the reviewers' decisions and their comments per item

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-03 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    # Rounds created before keep accepting a valid submission at once.
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("review_required", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(sa.Column("answers", sa.JSON(), nullable=True))
    op.create_table(
        "review",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("submission_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("decision", _text(20), nullable=False),
        sa.Column("reviewer", _text(254), nullable=False),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("decided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["submission_id"], ["submission.id"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_assignment_id"), ["assignment_id"])
        batch_op.create_index(batch_op.f("ix_review_submission_id"), ["submission_id"])
    op.create_table(
        "reviewcomment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("review_id", sa.Integer(), nullable=False),
        sa.Column("item", _text(40), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["review_id"], ["review.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reviewcomment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewcomment_review_id"), ["review_id"])


def downgrade() -> None:
    with op.batch_alter_table("reviewcomment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewcomment_review_id"))
    op.drop_table("reviewcomment")
    with op.batch_alter_table("review", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_submission_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignment_id"))
    op.drop_table("review")
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("answers")
    with op.batch_alter_table("round", schema=None) as batch_op:
        batch_op.drop_column("review_required")
