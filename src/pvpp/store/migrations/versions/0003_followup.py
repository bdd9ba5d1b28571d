"""follow-up: status reports, reported measure states, round milestones

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 00:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

text = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    op.create_table(
        "statusreport",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=True),
        sa.Column("plan_version", sa.Integer(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("file_sha256", text(length=64), nullable=False),
        sa.Column("filename", text(length=500), nullable=False),
        sa.Column("source", text(length=500), nullable=False),
        sa.Column("received_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("status", text(length=20), nullable=False),
        sa.Column("problems", sa.JSON(), nullable=True),
        sa.Column("supersedes_id", sa.Integer(), nullable=True),
        sa.Column("new_plan_version", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.ForeignKeyConstraint(["file_sha256"], ["storedfile.sha256"]),
        sa.ForeignKeyConstraint(["supersedes_id"], ["statusreport.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("file_sha256"),
    )
    op.create_index("ix_statusreport_assignment_id", "statusreport", ["assignment_id"])
    op.create_table(
        "measurestatus",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("report_id", sa.Integer(), nullable=False),
        sa.Column("assignment_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", text(length=40), nullable=False),
        sa.Column("status", text(length=20), nullable=False),
        sa.Column("new_due", sa.Date(), nullable=True),
        sa.Column("comment", text(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["report_id"], ["statusreport.id"]),
        sa.ForeignKeyConstraint(["assignment_id"], ["assignment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_measurestatus_report_id", "measurestatus", ["report_id"])
    op.create_index("ix_measurestatus_assignment_id", "measurestatus", ["assignment_id"])
    op.create_table(
        "roundmilestone",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("measure_id", text(length=10), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("state", text(length=20), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("note", text(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["round_id"], ["round.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("round_id", "measure_id"),
    )
    op.create_index("ix_roundmilestone_round_id", "roundmilestone", ["round_id"])


def downgrade() -> None:
    op.drop_table("roundmilestone")
    op.drop_table("measurestatus")
    op.drop_table("statusreport")
