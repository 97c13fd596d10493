"""Times typed by a reviewer: '7d', '12h', '30m' ago, or an ISO date/time.

A bare date given as the end of a range means the end of that day (China
time), so ``--until 2026-11-20`` includes the 20th.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

from qungui.core.events import EventError, parse_ts

_AGO = re.compile(r"(\d{1,6})([dhm])")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


class WhenError(ValueError):
    pass


def parse_when(value: str, *, end: bool = False, now: datetime | None = None) -> datetime:
    value = value.strip()
    m = _AGO.fullmatch(value)
    if m:
        return (now or datetime.now(timezone.utc)) - timedelta(**{_UNITS[m[2]]: int(m[1])})
    try:
        ts = parse_ts(value, "time")
    except EventError:
        raise WhenError(f"not a time or duration: {value[:40]!r} (try 7d, 12h or 2026-11-20)") from None
    if end and _DATE.fullmatch(value):
        ts += timedelta(days=1)
    return ts
