"""api_tokens: hashed bearer tokens for staff and admins (SPEC §4 "Staff and admin")

Revision ID: 0003_admin
Revises: 0003_customers
Create Date: 2026-11-22

"""

import sqlalchemy as sa
from alembic import op

revision = "0003_admin"
down_revision = "0003_customers"  # chained after the merged migrations (was '0003')
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("role", sa.String(length=16), nullable=False),
        sa.Column("employee_id", sa.Integer(), nullable=True),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("role IN ('admin','staff')", name=op.f("ck_api_tokens_role_known")),
        sa.CheckConstraint("role = 'admin' OR employee_id IS NOT NULL", name=op.f("ck_api_tokens_staff_has_employee")),
        sa.ForeignKeyConstraint(
            ["employee_id"], ["employees.id"], name=op.f("fk_api_tokens_employee_id_employees"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    op.create_index(op.f("ix_api_tokens_employee_id"), "api_tokens", ["employee_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_api_tokens_employee_id"), table_name="api_tokens")
    op.drop_table("api_tokens")
