"""First schema: scans and their findings.

Revision ID: 0001
Revises:
Create Date: 2026-11-30
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("client", sa.String(300), nullable=False),
        sa.Column("audit_hash", sa.String(64), nullable=True),
        sa.Column("tool_version", sa.String(50), nullable=False),
        sa.Column("started_at", sa.String(40), nullable=False),
        sa.Column("finished_at", sa.String(40), nullable=False),
        sa.Column("recorded_at", sa.String(40), nullable=False),
        sa.Column("score", sa.Integer, nullable=False),
        sa.Column("grade", sa.String(8), nullable=True),
        sa.Column("blockers", sa.Integer, nullable=False),
        sa.Column("complete", sa.Boolean, nullable=False),
        sa.Column("interrupted", sa.Boolean, nullable=False),
    )
    op.create_index("ix_scans_client", "scans", ["client", "finished_at"])
    op.create_table(
        "findings",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("scan_id", sa.Integer, sa.ForeignKey("scans.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("finding_id", sa.String(64), nullable=False),
        sa.Column("check_id", sa.String(200), nullable=False),
        sa.Column("control", sa.String(100), nullable=False),
        sa.Column("asset_type", sa.String(50), nullable=False),
        sa.Column("asset_id", sa.Text, nullable=False),
        sa.Column("asset_name", sa.Text, nullable=True),
        sa.Column("holder", sa.String(20), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("severity", sa.String(20), nullable=False),
        sa.Column("due", sa.String(10), nullable=True),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("detail", sa.Text, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
    )
    op.create_index("ix_findings_scan", "findings", ["scan_id"])
