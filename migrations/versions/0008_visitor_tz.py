"""appointments.visitor_timezone: the visitor's IANA zone, for emails, calendar files and /manage

Revision ID: 0008_visitor_tz
Revises: 0003_admin
Create Date: 2026-12-02

``POST /appointments`` takes an optional ``timezone`` (SPEC §4): the zone the widget
showed the times in. Notifications and the manage page show the appointment's time in
that zone with the business zone beside it; NULL (every booking before this revision,
and API clients that send none) means the business zone alone.

"""

import sqlalchemy as sa
from alembic import op

revision = "0008_visitor_tz"
down_revision = "0003_admin"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column("appointments", sa.Column("visitor_timezone", sa.String(length=64), nullable=True))


def downgrade():
    # SQLite 3.35+ drops a column in place (ALTER TABLE … DROP COLUMN), like PostgreSQL.
    op.drop_column("appointments", "visitor_timezone")
