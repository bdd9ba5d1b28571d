"""the institution portal: one-time sign-in links and server-side sessions

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "signintoken",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_sha256", _text(64), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("email", _text(254), nullable=False),
        sa.Column("issued_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("expires_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("used_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("issued_by", _text(100), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["teammember.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_sha256"),
    )
    with op.batch_alter_table("signintoken", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_signintoken_institution_id"), ["institution_id"], unique=False
        )
    op.create_table(
        "websession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_sha256", _text(64), nullable=False),
        sa.Column("institution_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=True),
        sa.Column("email", _text(254), nullable=False),
        sa.Column("role", _text(10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("end_reason", _text(20), nullable=False),
        sa.Column("user_agent", _text(300), nullable=False),
        sa.Column("ip", _text(45), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institution.id"]),
        sa.ForeignKeyConstraint(["member_id"], ["teammember.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sid_sha256"),
    )
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_websession_institution_id"), ["institution_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("websession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_websession_institution_id"))
    op.drop_table("websession")
    with op.batch_alter_table("signintoken", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signintoken_institution_id"))
    op.drop_table("signintoken")
