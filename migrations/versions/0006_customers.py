"""customers: bearer-token sessions; case-insensitive lookup of a customer's appointments

Revision ID: 0003_customers
Revises: 0005
Create Date: 2026-11-22

``customer_sessions`` keeps the SHA-256 of each customer's bearer token (SPEC §4
Customers, §8: never the token). The expression index on ``lower(customer_email)``
serves ``/me/appointments`` and ``/me/events``, which match emails case-insensitively.
The one-time codes themselves live in the notification tables (``otp_codes``).

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_customers"
down_revision = "0005"  # main's head (0005, notify) when this branch was last merged
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "customer_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_customer_sessions")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_customer_sessions_token_hash")),
    )
    op.create_index(op.f("ix_customer_sessions_email"), "customer_sessions", ["email"], unique=False)
    op.create_index(op.f("ix_customer_sessions_expires_at"), "customer_sessions", ["expires_at"], unique=False)
    op.create_index(
        "ix_appointments_customer_email_lower", "appointments", [sa.text("lower(customer_email)")], unique=False
    )


def downgrade():
    op.drop_index("ix_appointments_customer_email_lower", table_name="appointments")
    op.drop_index(op.f("ix_customer_sessions_expires_at"), table_name="customer_sessions")
    op.drop_index(op.f("ix_customer_sessions_email"), table_name="customer_sessions")
    op.drop_table("customer_sessions")
