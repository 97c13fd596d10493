"""Statements that write many rows at once and let the database settle a
collision on a unique key (``INSERT … ON CONFLICT DO NOTHING``, on SQLite and
PostgreSQL alike): what concurrent writers and reruns rely on."""

from __future__ import annotations

from dataclasses import fields

from sqlalchemy.dialects import postgresql, sqlite

from qungui.core.ports import IncidentIn

# the columns of an incident row an ``IncidentIn`` carries (not its outgoing
# items and handled mark, which are written beside it)
INCIDENT_FIELDS = tuple(f.name for f in fields(IncidentIn) if f.name not in ("outgoing", "handled"))


def insert(dialect: str, model):
    """The dialect's ``insert`` (it has ``on_conflict_do_nothing``/``_update``)
    into the model's table: a Core statement, so that many rows go to the
    driver's ``executemany`` without the ORM's bulk path (a third less work a
    row on SQLite)."""
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(
        getattr(model, "__table__", model))


def insert_ignoring(dialect: str, model, keys: tuple[str, ...]):
    """``INSERT`` that skips a row whose ``keys`` are taken already."""
    return insert(dialect, model).on_conflict_do_nothing(index_elements=list(keys))


def incident_values(r: IncidentIn) -> dict:
    """The row's columns as a plain dict (no deep copy of the trace)."""
    return {name: getattr(r, name) for name in INCIDENT_FIELDS}
