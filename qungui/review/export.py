"""Incidents as CSV and JSON for export (``bot.py log`` and the web page),
and reviewed incidents as labelled examples for training.

Chat text is hostile input: a CSV cell that a spreadsheet would read as a
formula (starting with = + - @ or a control character) is prefixed with an
apostrophe, so opening an export never runs anything.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Iterable, Mapping

from qungui.core.events import CHINA_TZ
from qungui.core.plugin import RuleSpec, is_redacted

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
    d["delivered_at"] = row.delivered_at.astimezone(CHINA_TZ).isoformat() if row.delivered_at else None
    d.update(warning_text=row.warning_text, trace=row.trace, reviewed_by=row.reviewed_by,
             reviewed_at=row.reviewed_at.astimezone(CHINA_TZ).isoformat() if row.reviewed_at else None)
    return d


def safe_cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA) else text


def write_csv(out, rows: Iterable, header: bool = True, *, excel: bool = False) -> None:
    """The incidents as CSV. ``excel``: for a spreadsheet opened by double
    click: a UTF-8 byte order mark first (with the header), times as China
    time ``YYYY-MM-DD HH:MM:SS``, actions and review states in Chinese."""
    w = csv.writer(out)
    if header:
        if excel:
            out.write(BOM)
        w.writerow([title for _, title in CSV_COLUMNS])
    for row in rows:
        d = excel_dict(row) if excel else incident_dict(row)
        d["score"] = f"{row.score:.2f}"
        w.writerow([safe_cell(d.get(key)) for key, _ in CSV_COLUMNS])


def csv_text(rows: Iterable, *, excel: bool = False) -> str:
    buf = io.StringIO()
    write_csv(buf, rows, excel=excel)
    return buf.getvalue()


BOM = "\ufeff"
EXCEL_TIME = "%Y-%m-%d %H:%M:%S"


def excel_dict(row) -> dict:
    """``incident_dict`` as a person reads it: China time without the zone, and
    the action and review state by their Chinese names (``review.labels``)."""
    from qungui.review.labels import ACTION_CN, STATUS_CN

    d = incident_dict(row)
    for key in ("ts", "reviewed_at", "delivered_at"):
        value = getattr(row, key, None)
        d[key] = value.astimezone(CHINA_TZ).strftime(EXCEL_TIME) if value else ""
    d["action"] = ACTION_CN.get(row.action, row.action)
    d["status"] = STATUS_CN.get(row.status, row.status)
    return d


# --- labelled examples ---------------------------------------------------------

@dataclass
class LabelledExport:
    """What ``labelled_examples`` made of the reviewed incidents."""

    lines: list[dict]
    confirmed: int = 0            # incidents exported as a label
    dismissed: int = 0            # incidents exported as "judged, not this rule"
    secret: int = 0               # skipped: a secret rule flagged the message (no text exported)
    not_content: int = 0          # skipped: a rule not judged on a message's text alone


def labelled_examples(messages: Iterable, specs: Mapping[str, RuleSpec]) -> LabelledExport:
    """Reviewed incidents (``ReviewStore.judged_messages``) as lines of the
    labelled corpus format ``pipeline.evaluation`` reads, one per message::

        {"id": "review-12", "text": "……", "labels": ["ads"], "judged": ["ads", "gossip"],
         "topic": "招商引资专项工作群", "purpose": "……", "source": "review", "incidents": [12, 14]}

    A confirmed incident makes its rule a label; a dismissed one leaves it
    out. ``judged`` names every rule a reviewer decided on the message: the
    labels speak for those rules only (a dismissal says "not this rule",
    nothing about the others). The text is the stored message (else the
    incident's excerpt, cut at 500 characters).

    A message any secret rule flagged (at any status, or whose stored copy is
    only a marking and a hash) is skipped with all its incidents, and so are
    incidents of a rule not judged on the text alone (flood, the nickname
    rule); the counts say how many.
    """
    out = LabelledExport([])
    for m in messages:
        reviewed = m.incidents
        secret = any((spec := specs.get(r)) is None or spec.secret for r in m.rules if r)
        text = m.message.text if m.message is not None else reviewed[0].excerpt
        if secret or is_redacted(text) or any(is_redacted(r.excerpt) for r in reviewed):
            out.secret += len(reviewed)
            continue
        content = [r for r in reviewed if specs[r.rule].content and specs[r.rule].event == "message"]
        out.not_content += len(reviewed) - len(content)
        if not content:
            continue
        confirmed = sorted({r.rule for r in content if r.status == "confirmed"})
        line = {"id": f"review-{content[0].id}", "text": text, "labels": confirmed,
                "judged": sorted({r.rule for r in content}),
                "topic": m.topic, "purpose": m.purpose}
        if m.message is not None and m.message.type != "text":
            line["type"] = m.message.type
        line.update(source="review", incidents=[r.id for r in content])
        out.lines.append(line)
        out.confirmed += sum(r.status == "confirmed" for r in content)
        out.dismissed += sum(r.status == "dismissed" for r in content)
    return out
