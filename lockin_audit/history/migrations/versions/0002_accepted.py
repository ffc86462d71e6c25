"""Accepted findings: the acceptance (reason, by, expires) that applied at scan time.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("accepted_reason", sa.Text, nullable=True))
        batch.add_column(sa.Column("accepted_by", sa.Text, nullable=True))
        batch.add_column(sa.Column("accepted_expires", sa.String(10), nullable=True))
