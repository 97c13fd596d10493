"""Which database errors mean "the database is down" (an outage the bot
rides out: incidents go to the spool, reads degrade) rather than a bug, and
which mean "the database refuses this row" (a data error: the row is
quarantined, the database is not taken for down)."""

from __future__ import annotations

from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, OperationalError, StatementError

DOWN = (OperationalError, DBAPIError, OSError, ConnectionError)

# SQLSTATE classes of a refused value: 22 data exception (bad text, a value
# too long), 23 integrity constraint violation
_DATA_CLASSES = ("22", "23")


def is_data_error(exc: BaseException) -> bool:
    """True when the database (or the driver, before sending it) refused the
    data of a statement; False for an outage or anything else."""
    if isinstance(exc, (IntegrityError, DataError)):
        return True
    if isinstance(exc, DBAPIError):
        orig = exc.orig
        code = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return isinstance(code, str) and code[:2] in _DATA_CLASSES
    if isinstance(exc, StatementError):
        return True          # a parameter failed to convert before reaching the database
    # a driver that raises the conversion error itself (sqlite3: text it cannot encode)
    return isinstance(exc, (ValueError, TypeError))
