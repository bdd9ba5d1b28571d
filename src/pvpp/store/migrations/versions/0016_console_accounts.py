"""the ministry console's accounts (password, TOTP, lock-out) and their sessions

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-03 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "consoleaccount",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("email", _text(254), nullable=False),
        sa.Column("name", _text(200), nullable=False),
        sa.Column("role", _text(20), nullable=False),
        sa.Column("password_hash", _text(200), nullable=False),
        sa.Column("totp_secret", _text(200), nullable=False),
        sa.Column("totp_step", sa.Integer(), nullable=True),
        sa.Column("disabled", sa.Boolean(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("locked_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("updated_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("email"),
    )
    op.create_table(
        "consolesession",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_sha256", _text(64), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("method", _text(10), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("verified_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("end_reason", _text(20), nullable=False),
        sa.Column("user_agent", _text(300), nullable=False),
        sa.Column("ip", _text(45), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["consoleaccount.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sid_sha256"),
    )
    with op.batch_alter_table("consolesession", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consolesession_account_id"), ["account_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consolesession", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consolesession_account_id"))
    op.drop_table("consolesession")
    op.drop_table("consoleaccount")
