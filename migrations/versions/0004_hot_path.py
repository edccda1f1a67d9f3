"""Heartbeat hot path: drop the per-poll ``pollers`` table (pollers are estimated from
the heartbeat rate); record each hold's client IP for the per-IP hold cap (SPEC §8).

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_pollers_seen_at", table_name="pollers")
    op.drop_table("pollers")
    with op.batch_alter_table("holds") as batch:
        batch.add_column(sa.Column("ip", sa.String(length=45), nullable=True))
        batch.create_index("ix_holds_ip", ["ip"])


def downgrade():
    with op.batch_alter_table("holds") as batch:
        batch.drop_index("ix_holds_ip")
        batch.drop_column("ip")
    op.create_table(
        "pollers",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name="pk_pollers"),
    )
    op.create_index("ix_pollers_seen_at", "pollers", ["seen_at"])
