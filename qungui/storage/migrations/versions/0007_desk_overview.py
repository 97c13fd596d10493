"""the overview at scale: per-day counts of each member's flagged messages, an index of reviewers' work

Revision ID: 0007_overview
Revises: 0006_desk
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0007_overview"
down_revision = "0006_desk"
branch_labels = None
depends_on = None


def upgrade() -> None:
    reviewed = sa.text("reviewed_by IS NOT NULL")
    op.create_index("ix_incidents_reviewer_ts_id", "incidents", ["reviewed_by", "ts", "id"],
                    sqlite_where=reviewed, postgresql_where=reviewed)
    op.create_table(
        "incident_members",
        sa.Column("rule", sa.String(40), primary_key=True),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("sender_id", sa.String(256), primary_key=True),
        sa.Column("name", sa.String(200), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
        sqlite_with_rowid=False,
    )
    # the counts of the incidents already there (China keeps +8 hours all year),
    # as storage.tally.member_keys makes them
    if op.get_bind().dialect.name == "sqlite":
        day = "strftime('%Y-%m-%d', ts, '+8 hours')"
    else:
        day = "to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
    flagged = "kind = 'violation' AND message_id IS NOT NULL"
    # each incident under its rule and status
    op.execute(
        "INSERT INTO incident_members (rule, status, day, room_id, sender_id, name, n) "
        f"SELECT COALESCE(rule, ''), status, {day}, room_id, sender_id, sender_name, COUNT(*) "
        f"FROM incidents WHERE {flagged} "
        f"GROUP BY COALESCE(rule, ''), status, {day}, room_id, sender_id, sender_name")
    # each message once per status it has an incident of, and once for any status
    for status, group in (("status", "status"), ("'*'", None)):
        keys = f"room_id, message_id{', status' if group else ''}"
        op.execute(
            "INSERT INTO incident_members (rule, status, day, room_id, sender_id, name, n) "
            "SELECT '*', st, d, room_id, sender_id, name, COUNT(*) FROM ("
            f"SELECT {status} AS st, MAX({day}) AS d, room_id, MAX(sender_id) AS sender_id, "
            f"MAX(sender_name) AS name FROM incidents WHERE {flagged} GROUP BY {keys}) AS m "
            "GROUP BY st, d, room_id, sender_id, name")


def downgrade() -> None:
    op.drop_table("incident_members")
    op.drop_index("ix_incidents_reviewer_ts_id", "incidents")
