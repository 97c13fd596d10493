"""the review desk's text search: an FTS5 trigram index (SQLite), a pg_trgm GIN index (PostgreSQL)

Revision ID: 0008_text
Revises: 0007_overview
Create Date: 2026-12-02

The columns are those ``storage.review.IncidentFilter`` searches for its
``text``. SQLite: ``incidents_fts``, an FTS5 table over the incidents'
columns (external content) with the trigram tokenizer, kept in step by
triggers. PostgreSQL: one GIN index of trigrams over the same columns, which
``ILIKE '%…%'`` uses as it is. Where neither can be made (SQLite before 3.34
or without FTS5; a role that may not create the pg_trgm extension) the
search keeps reading the log by LIKE, and a warning says so.
"""
import logging
import sqlite3

from alembic import op

revision = "0008_text"
down_revision = "0007_overview"
branch_labels = None
depends_on = None

log = logging.getLogger("qungui.storage.migrations")

COLUMNS = ["evidence", "reason", "excerpt", "sender_name", "sender_id", "warning_text"]
PG_INDEX = "ix_incidents_text_trgm"


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        _sqlite(bind)
    else:
        _postgres(bind)


def trigram_fts5() -> str | None:
    """Why this SQLite cannot make the index, or None if it can."""
    if sqlite3.sqlite_version_info < (3, 34, 0):
        return f"SQLite {sqlite3.sqlite_version} has no trigram tokenizer (3.34 or later)"
    probe = sqlite3.connect(":memory:")
    try:
        probe.execute("CREATE VIRTUAL TABLE t USING fts5(a, tokenize='trigram')")
    except sqlite3.Error as exc:
        return f"SQLite {sqlite3.sqlite_version} without FTS5 ({exc})"
    finally:
        probe.close()
    return None


def _sqlite(bind) -> None:
    missing = trigram_fts5()
    if missing:
        log.warning("%s: the text search reads the incidents by LIKE", missing)
        return
    cols = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    op.execute(f"CREATE VIRTUAL TABLE incidents_fts USING fts5({cols}, content='incidents', "
               "content_rowid='id', tokenize='trigram')")
    op.execute("CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN "
               f"INSERT INTO incidents_fts (rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute("CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN "
               f"INSERT INTO incidents_fts (incidents_fts, rowid, {cols}) "
               f"VALUES ('delete', old.id, {old}); END")
    op.execute(f"CREATE TRIGGER incidents_fts_update AFTER UPDATE OF {cols} ON incidents BEGIN "
               f"INSERT INTO incidents_fts (incidents_fts, rowid, {cols}) "
               f"VALUES ('delete', old.id, {old}); "
               f"INSERT INTO incidents_fts (rowid, {cols}) VALUES (new.id, {new}); END")
    op.execute("INSERT INTO incidents_fts (incidents_fts) VALUES ('rebuild')")


def _postgres(bind) -> None:
    ops = ", ".join(f"{c} gin_trgm_ops" for c in COLUMNS)
    try:
        with bind.begin_nested():
            op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
            op.execute(f"CREATE INDEX {PG_INDEX} ON incidents USING gin ({ops})")
    except Exception as exc:  # noqa: BLE001 - a role that may not create the extension: LIKE it is
        log.warning("no pg_trgm index (%s): the text search reads the incidents by ILIKE",
                    str(exc).splitlines()[0])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for name in ("insert", "delete", "update"):
            op.execute(f"DROP TRIGGER IF EXISTS incidents_fts_{name}")
        op.execute("DROP TABLE IF EXISTS incidents_fts")
    else:
        op.execute(f"DROP INDEX IF EXISTS {PG_INDEX}")
