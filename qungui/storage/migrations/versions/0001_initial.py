"""rooms, members and incidents

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "rooms",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("topic", sa.String(500), nullable=False, server_default=""),
        sa.Column("purpose", sa.Text(), nullable=False, server_default=""),
        sa.Column("owner_id", sa.String(256), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "members",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("member_id", sa.String(256), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False, server_default=""),
        sa.Column("alias", sa.String(200), nullable=False, server_default=""),
        sa.Column("present", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False, server_default="violation"),
        sa.Column("message_id", sa.String(256), nullable=True),
        sa.Column("rule", sa.String(40), nullable=True),
        sa.Column("sender_id", sa.String(256), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("score", sa.Float(), nullable=False, server_default="0"),
        sa.Column("evidence", sa.Text(), nullable=False, server_default=""),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("excerpt", sa.Text(), nullable=False, server_default=""),
        sa.Column("trace", sa.JSON(), nullable=False),
        sa.Column("action", sa.String(20), nullable=False, server_default="log"),
        sa.Column("counted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("escalated", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("warning_text", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("reviewed_by", sa.String(256), nullable=True),
        sa.Column("reviewed_at", UTCDateTime(), nullable=True),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.Column("recorded_at", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("room_id", "message_id", "rule", name="uq_incident_message_rule"),
    )
    op.create_index("ix_incidents_room_sender_ts", "incidents", ["room_id", "sender_id", "ts"])
    op.create_index("ix_incidents_rule_ts", "incidents", ["rule", "ts"])


def downgrade() -> None:
    op.drop_table("incidents")
    op.drop_table("members")
    op.drop_table("rooms")
