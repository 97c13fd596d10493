"""the parts of an archive that audits on several hosts claim

Revision ID: 0009_parts
Revises: 0008_text
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0009_parts"
down_revision = "0008_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_parts",
        sa.Column("archive", sa.String(256), primary_key=True),
        sa.Column("part", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("room_id", sa.String(256), nullable=False, server_default="*"),
        sa.Column("parts", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(20), nullable=False, server_default="open"),
        sa.Column("claimed_by", sa.String(300), nullable=True),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("done_at", UTCDateTime(), nullable=True),
        sa.Column("claims", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("processed", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_table("audit_parts")
