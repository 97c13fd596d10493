"""Incidents as CSV and JSON for export (``bot.py log`` and the web page).

Chat text is hostile input: a CSV cell that a spreadsheet would read as a
formula (starting with = + - @ or a control character) is prefixed with an
apostrophe, so opening an export never runs anything.
"""

from __future__ import annotations

import csv
import io
from typing import Iterable

from qungui.core.events import CHINA_TZ

CSV_COLUMNS = [
    ("id", "编号"), ("ts", "时间"), ("room_id", "群"), ("sender_id", "发送人ID"),
    ("sender_name", "发送人"), ("rule", "规则"), ("score", "分数"), ("action", "处置"),
    ("status", "审核状态"), ("evidence", "证据"), ("reason", "原因"), ("excerpt", "消息摘录"),
    ("warning_text", "已发提醒"), ("reviewed_by", "审核人"), ("reviewed_at", "审核时间"),
]
_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def incident_dict(row) -> dict:
    """An incident row as plain JSON-ready data (times in China time, ISO 8601)."""
    d = row.as_dict()
    d["ts"] = row.ts.astimezone(CHINA_TZ).isoformat() if row.ts else None
    d.update(warning_text=row.warning_text, trace=row.trace, reviewed_by=row.reviewed_by,
             reviewed_at=row.reviewed_at.astimezone(CHINA_TZ).isoformat() if row.reviewed_at else None)
    return d


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def write_csv(out, rows: Iterable, header: bool = True) -> None:
    w = csv.writer(out)
    if header:
        w.writerow([title for _, title in CSV_COLUMNS])
    for row in rows:
        d = incident_dict(row)
        d["score"] = f"{row.score:.2f}"
        w.writerow([safe_cell(d.get(key)) for key, _ in CSV_COLUMNS])


def csv_text(rows: Iterable) -> str:
    buf = io.StringIO()
    write_csv(buf, rows)
    return buf.getvalue()
