"""Alembic environment. Migrations run on a connection handed in by
storage.repository (``python bot.py migrate`` or any start-up), so the same
code path serves async SQLite and PostgreSQL engines."""

from alembic import context

from qungui.storage.models import Base, modelled

connection = context.config.attributes.get("connection")
if connection is None:
    raise SystemExit("run migrations with: python bot.py migrate")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=connection.dialect.name == "sqlite", include_name=modelled)
with context.begin_transaction():
    context.run_migrations()
