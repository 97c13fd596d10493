"""Which database errors mean "the database is down" (an outage the bot
rides out: incidents go to the spool, reads degrade) rather than a bug."""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, OperationalError

DOWN = (OperationalError, DBAPIError, OSError, ConnectionError)
