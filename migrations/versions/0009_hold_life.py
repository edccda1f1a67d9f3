"""holds.first_taken_at: a client's hold life is bounded from its first taking (issue 16 point 8)

Revision ID: 0009_hold_life
Revises: 0008_visitor_tz
Create Date: 2026-12-02

"""

import sqlalchemy as sa
from alembic import op

revision = "0009_hold_life"
down_revision = "0008_visitor_tz"  # chained after the visitor time zone (both from issue 16)
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("holds") as batch_op:
        batch_op.add_column(sa.Column("first_taken_at", sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table("holds") as batch_op:
        batch_op.drop_column("first_taken_at")
