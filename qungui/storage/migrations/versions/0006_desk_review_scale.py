"""the review desk at scale: indexes for its orders and filters, per-day and total counts

Revision ID: 0006_desk
Revises: 0005
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = "0006_desk"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_incidents_ts_id": ["ts", "id"],
    "ix_incidents_status_ts_id": ["status", "ts", "id"],
    "ix_incidents_rule_status_ts_id": ["rule", "status", "ts", "id"],
    "ix_incidents_room_ts_id": ["room_id", "ts", "id"],
    "ix_incidents_room_status_ts_id": ["room_id", "status", "ts", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "incidents", columns)
    op.create_table(
        "incident_days",
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("rule", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "incident_totals",
        sa.Column("room_id", sa.String(256), primary_key=True),
        sa.Column("rule", sa.String(40), primary_key=True),
        sa.Column("kind", sa.String(20), primary_key=True),
        sa.Column("status", sa.String(20), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    # the counts of the incidents already there (China keeps +8 hours all year)
    if op.get_bind().dialect.name == "sqlite":
        day = "strftime('%Y-%m-%d', ts, '+8 hours')"
    else:
        day = "to_char(ts AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD')"
    op.execute(
        "INSERT INTO incident_days (day, room_id, rule, kind, status, n) "
        f"SELECT {day}, room_id, COALESCE(rule, ''), kind, status, COUNT(*) FROM incidents "
        f"GROUP BY {day}, room_id, COALESCE(rule, ''), kind, status")
    op.execute(
        "INSERT INTO incident_totals (room_id, rule, kind, status, n) "
        "SELECT room_id, rule, kind, status, SUM(n) FROM incident_days "
        "GROUP BY room_id, rule, kind, status")


def downgrade() -> None:
    op.drop_table("incident_totals")
    op.drop_table("incident_days")
    for name in INDEXES:
        op.drop_index(name, "incidents")
