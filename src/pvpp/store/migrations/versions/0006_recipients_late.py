"""delivery state per recipient (what the server said about each address in each
attempt) and late workbooks (kept, not applied: the state the assignment was in)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
import sqlmodel.sql.sqltypes
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "deliveryrecipient",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("outbox_id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("role", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=320), nullable=False),
        sa.Column("outcome", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("smtp_code", sa.Integer(), nullable=True),
        sa.Column("reply", sqlmodel.sql.sqltypes.AutoString(length=2000), nullable=False),
        sa.ForeignKeyConstraint(["attempt_id"], ["deliveryattempt.id"]),
        sa.ForeignKeyConstraint(["outbox_id"], ["outboxmessage.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("deliveryrecipient", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_deliveryrecipient_attempt_id"), ["attempt_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_deliveryrecipient_outbox_id"), ["outbox_id"], unique=False
        )
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("late_state", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("submission", schema=None) as batch_op:
        batch_op.drop_column("late_state")
    with op.batch_alter_table("deliveryrecipient", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_deliveryrecipient_outbox_id"))
        batch_op.drop_index(batch_op.f("ix_deliveryrecipient_attempt_id"))
    op.drop_table("deliveryrecipient")
