"""pollers: when each widget last polled (heartbeat-pollers gauge)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-21

"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "pollers",
        sa.Column("client_id", sa.String(length=64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("client_id", name=op.f("pk_pollers")),
    )
    op.create_index(op.f("ix_pollers_seen_at"), "pollers", ["seen_at"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_pollers_seen_at"), table_name="pollers")
    op.drop_table("pollers")
