"""dismissed false alarms remembered per room

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "dismissals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("rule", sa.String(40), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(256), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=False),
        sa.UniqueConstraint("incident_id", name="uq_dismissal_incident"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_dismissals_room_id", "dismissals", ["room_id", "id"])


def downgrade() -> None:
    op.drop_table("dismissals")
