"""audit log, appeals, reviews, daily work reports, message context, web accounts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("actor_id", sa.String(256), nullable=False),
        sa.Column("action", sa.String(60), nullable=False),
        sa.Column("target", sa.String(256), nullable=False, server_default=""),
        sa.Column("before", sa.JSON(), nullable=True),
        sa.Column("after", sa.JSON(), nullable=True),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_audit_room_ts", "audit_log", ["room_id", "ts"])
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.String(256), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("status", sa.String(20), nullable=False, server_default="open"),
        sa.Column("resolved_by", sa.String(256), nullable=True),
        sa.Column("resolved_at", UTCDateTime(), nullable=True),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_appeals_incident_id", "appeals", ["incident_id"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(256), nullable=False),
        sa.Column("decision", sa.String(20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False, server_default=""),
        sa.Column("allow_phrase", sa.String(200), nullable=True),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_reviews_incident_id", "reviews", ["incident_id"])
    op.create_table(
        "work_reports",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("member_id", sa.String(256), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("message_id", sa.String(256), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_table(
        "messages",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("message_id", sa.String(256), primary_key=True),
        sa.Column("sender_id", sa.String(256), nullable=False),
        sa.Column("sender_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("type", sa.String(20), nullable=False, server_default="text"),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_messages_room_ts", "messages", ["room_id", "ts"])
    op.create_table(
        "web_accounts",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("username", sa.String(100), primary_key=True),
        sa.Column("password_hash", sa.String(300), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
    )


def downgrade() -> None:
    for table in ("web_accounts", "messages", "work_reports", "reviews", "appeals", "audit_log"):
        op.drop_table(table)
