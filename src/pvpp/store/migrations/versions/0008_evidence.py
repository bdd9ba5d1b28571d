"""what a team gives as evidence for a measure's status (reported in the portal)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-10 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("measurestatus", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "evidence",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("measurestatus", schema=None) as batch_op:
        batch_op.drop_column("evidence")
