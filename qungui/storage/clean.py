"""Values the database can store.

PostgreSQL refuses a NUL character in text, and no driver can encode a lone
surrogate (half of a UTF-16 pair) as UTF-8. Both can reach the bot in a
member's message or name. Such a row must not be taken for a database
outage, so every text field of a row is cleaned before it is written or
spooled: each of these characters becomes U+FFFD (the replacement
character), and free text is cut to its column's length.
"""

from __future__ import annotations

import re
from dataclasses import fields, replace

from sqlalchemy import String

from qungui.core.ports import IncidentIn
from qungui.storage.models import IncidentRow, MessageRow

REPLACEMENT = "\ufffd"
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def clean_text(text: str) -> str:
    """The text with every NUL and lone surrogate replaced by U+FFFD."""
    return _UNSTORABLE.sub(REPLACEMENT, text) if _UNSTORABLE.search(text) else text


def clean_value(value):
    """Strings anywhere in a JSON-like value (dict keys too) cleaned; the
    value itself when nothing needed cleaning (told by one search over its
    strings gathered, so that a clean trace is neither copied nor encoded:
    its floats made most of the cost of searching its JSON text)."""
    if isinstance(value, (dict, list, tuple)):
        if not value or not _UNSTORABLE.search("".join(_strings(value))):
            return value
    return _clean_walk(value)


def _strings(value) -> list[str]:
    """Every string in a JSON-like value, dict keys too: what ``_clean_walk``
    would clean."""
    out: list[str] = []
    nested = [value]
    for v in nested:                 # grows as it is read
        if isinstance(v, dict):
            out.extend(k for k in v if isinstance(k, str))
            v = v.values()
        for x in v:
            if isinstance(x, str):
                out.append(x)
            elif isinstance(x, (dict, list, tuple)):
                nested.append(x)
    return out


def _clean_walk(value):
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, (list, tuple)):
        out = [_clean_walk(v) for v in value]
        if all(a is b for a, b in zip(out, value)):
            return value
        return out if isinstance(value, list) else tuple(out)
    if isinstance(value, dict):
        changed, out = False, {}
        for k, v in value.items():
            ck, cv = _clean_walk(k), _clean_walk(v)
            changed = changed or ck is not k or cv is not v
            out[ck] = cv
        return out if changed else value
    return value


def _text_limits(model) -> dict[str, int]:
    """Free-text columns with a length limit; identifiers (``*_id``, ``rule``)
    are keys and are never cut."""
    return {c.name: c.type.length for c in model.__table__.columns
            if isinstance(c.type, String) and c.type.length
            and not c.name.endswith("_id") and c.name != "rule"}


_INCIDENT_LIMITS = _text_limits(IncidentRow)
MESSAGE_LIMITS = _text_limits(MessageRow)


def fit(name: str, value, limits: dict[str, int]):
    """A field's value cleaned and, for limited free text, cut to length."""
    value = clean_text(value) if isinstance(value, str) else clean_value(value)
    limit = limits.get(name)
    if limit and isinstance(value, str) and len(value) > limit:
        value = value[:limit]
    return value


def clean_incident(row: IncidentIn) -> IncidentIn:
    """The row with every text field storable (the same row if it was)."""
    changes = {}
    for f in fields(row):
        value = getattr(row, f.name)
        cleaned = fit(f.name, value, _INCIDENT_LIMITS)
        if cleaned is not value:
            changes[f.name] = cleaned
    return replace(row, **changes) if changes else row
