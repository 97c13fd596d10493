"""the durable outbox, events handled once, incidents' delivery

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-10
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("account", sa.String(256), nullable=False),
        sa.Column("conversation", sa.String(256), nullable=False),
        sa.Column("room_id", sa.String(256), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("text", sa.Text(), nullable=False, server_default=""),
        sa.Column("mention_ids", sa.JSON(), nullable=False),
        sa.Column("member_id", sa.String(256), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("mergeable", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("incident_ids", sa.JSON(), nullable=False),
        sa.Column("tells_incident", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("parts", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("merged_into", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("not_before", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("last_attempt_at", UTCDateTime(), nullable=True),
        sa.Column("status", sa.String(20), nullable=False, server_default="pending"),
        sa.Column("claimed_by", sa.String(300), nullable=True),
        sa.Column("claimed_until", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
    )
    op.create_index("ix_outbox_account_status_due", "outbox", ["account", "status", "not_before"])
    op.create_index("ix_outbox_account_attempt", "outbox", ["account", "last_attempt_at"])
    op.create_index("ix_outbox_incident", "outbox", ["incident_id"])
    op.create_table(
        "handled",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("message_id", sa.String(256), nullable=True),
        sa.Column("account", sa.String(256), nullable=False, server_default=""),
        sa.Column("ts", UTCDateTime(), nullable=False),
        sa.UniqueConstraint("room_id", "kind", "key", name="uq_handled_room_kind_key"),
    )
    with op.batch_alter_table("incidents") as batch:
        batch.add_column(sa.Column("delivery", sa.String(20), nullable=False, server_default=""))
        batch.add_column(sa.Column("delivered_at", UTCDateTime(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("delivered_at")
        batch.drop_column("delivery")
    op.drop_table("handled")
    op.drop_table("outbox")
