"""Per scan, what was looked at (coverage and the checks that ran, as JSON), so that a
diff of two recorded scans tells a target no longer scanned from a resolved item; per
finding, the state an acceptance was written for (status, holder, severity), for accepted
findings and for those that outgrew it (acceptance_exceeded), as JSON: the next scan binds
the same entry to the same state, so a finding that got worse counts again.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-06
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("findings") as batch:
        batch.add_column(sa.Column("acceptance_state", sa.Text, nullable=True))
    with op.batch_alter_table("scans") as batch:
        batch.add_column(sa.Column("coverage", sa.Text, nullable=True))
        batch.add_column(sa.Column("checks_ran", sa.Text, nullable=True))
