"""web sessions and sign-in attempts in the database

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-27
"""
import sqlalchemy as sa
from alembic import op

from qungui.storage.models import UTCDateTime

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "web_sessions",
        sa.Column("id_hash", sa.String(64), primary_key=True),
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("username", sa.String(100), nullable=False),
        sa.Column("account_stamp", sa.String(64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("seen_at", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username"])
    op.create_table(
        "web_sign_in_attempts",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("room_id", sa.String(256), nullable=False),
        sa.Column("account_hash", sa.String(64), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("ts", UTCDateTime(), nullable=False),
    )
    op.create_index("ix_web_sign_in_attempts_account_ts", "web_sign_in_attempts",
                    ["account_hash", "ts"])
    op.create_index("ix_web_sign_in_attempts_address_ts", "web_sign_in_attempts", ["address", "ts"])
    op.create_index("ix_web_sign_in_attempts_ts", "web_sign_in_attempts", ["ts"])


def downgrade() -> None:
    op.drop_table("web_sign_in_attempts")
    op.drop_table("web_sessions")
