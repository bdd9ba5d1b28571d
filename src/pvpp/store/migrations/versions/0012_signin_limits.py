"""the portal's sign-in rate limits: counted sign-in requests and unknown links

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-02 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "signinattempt",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("kind", _text(10), nullable=False),
        sa.Column("client", _text(50), nullable=False),
        sa.Column("address", _text(64), nullable=False),
        sa.Column("limited", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("signinattempt", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_signinattempt_at"), ["at"], unique=False)
        batch_op.create_index(batch_op.f("ix_signinattempt_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_signinattempt_address"), ["address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signinattempt", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_signinattempt_address"))
        batch_op.drop_index(batch_op.f("ix_signinattempt_client"))
        batch_op.drop_index(batch_op.f("ix_signinattempt_at"))
    op.drop_table("signinattempt")
