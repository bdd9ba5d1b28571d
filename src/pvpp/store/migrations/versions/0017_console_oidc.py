"""the console's OpenID Connect sign-ins begun (state, nonce and PKCE verifier kept on the
server)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-04 03:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def _text(length: int) -> sqlmodel.sql.sqltypes.AutoString:
    return sqlmodel.sql.sqltypes.AutoString(length=length)


def upgrade() -> None:
    op.create_table(
        "consoleoidcstart",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("sid_sha256", _text(64), nullable=False),
        sa.Column("state_sha256", _text(64), nullable=False),
        sa.Column("nonce_sha256", _text(64), nullable=False),
        sa.Column("verifier", _text(128), nullable=False),
        sa.Column("client", _text(50), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("ended_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("outcome", _text(40), nullable=False),
        sa.Column("user_agent", _text(300), nullable=False),
        sa.Column("ip", _text(45), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sid_sha256"),
    )
    with op.batch_alter_table("consoleoidcstart", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_consoleoidcstart_client"), ["client"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_consoleoidcstart_created_at"), ["created_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("consoleoidcstart", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consoleoidcstart_created_at"))
        batch_op.drop_index(batch_op.f("ix_consoleoidcstart_client"))
    op.drop_table("consoleoidcstart")
