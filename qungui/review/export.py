"""Incidents as CSV and JSON for export (``bot.py log`` and the web page),
and reviewed incidents as labelled examples for training.

The CSV is for Excel users: Chinese column titles and values, times as
``YYYY-MM-DD HH:MM:SS`` China time, group names and the last review note.
Chat text is hostile input: a CSV cell that a spreadsheet would read as a
formula (starting with = + - or a control character, or "@" and a function
name) is prefixed with an apostrophe, so opening an export never runs
anything; an @mention of a person is left as it is.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from typing import Iterable, Mapping

from qungui.core.events import CHINA_TZ
from qungui.core.plugin import RuleSpec, is_redacted
from qungui.review.labels import ACTION_CN, STATUS_CN

CSV_COLUMNS = [
    ("id", "编号"), ("ts", "时间"), ("room_name", "群名称"), ("room_id", "群ID"),
    ("sender_name", "发送人"), ("sender_id", "发送人ID"), ("rule", "规则"), ("score", "分数"),
    ("action", "处置"), ("status", "审核状态"), ("evidence", "证据"), ("reason", "原因"),
    ("excerpt", "消息摘录"), ("warning_text", "已发提醒"), ("reviewed_by", "审核人"),
    ("reviewed_at", "审核时间"), ("review_note", "审核备注"),
]
CSV_TIME = "%Y-%m-%d %H:%M:%S"       # China time, as a spreadsheet reads a date and time
_ALWAYS = ("=", "\t", "\r")
_SIGNS = ("+", "-")
# after "@" a spreadsheet reads a function name (@SUM(...)); an @mention of a
# person's Chinese name is no formula
_AT_FORMULA = re.compile(r"@[A-Za-z_(]")


def incident_dict(row) -> dict:
    """An incident row as plain JSON-ready data (times in China time, ISO 8601)."""
    d = row.as_dict()
    d["ts"] = row.ts.astimezone(CHINA_TZ).isoformat() if row.ts else None
    d["delivered_at"] = row.delivered_at.astimezone(CHINA_TZ).isoformat() if row.delivered_at else None
    # a list page reads incidents without their per-rule results (deferred): left out then
    trace = vars(row).get("trace") if hasattr(row, "__dict__") else getattr(row, "trace", None)
    d.update(warning_text=row.warning_text, trace=trace, reviewed_by=row.reviewed_by,
             reviewed_at=row.reviewed_at.astimezone(CHINA_TZ).isoformat() if row.reviewed_at else None)
    return d


_RISKY = frozenset("=+-@\t\r")


def safe_cell(value) -> str:
    """The cell's text, an apostrophe first only where a spreadsheet would
    take it for a formula: "=", a tab or carriage return, "+" or "-", and
    "@" followed by a function name (not "@张三")."""
    text = "" if value is None else value if isinstance(value, str) else str(value)
    if not text or text[0] not in _RISKY:
        return text
    if text[0] != "@" or _AT_FORMULA.match(text):
        return "'" + text
    return text


def _when(ts) -> str:
    """A time as the CSV shows it; text is taken as already so (the export's
    rows carry their times formatted by the database)."""
    if not ts:
        return ""
    return ts if isinstance(ts, str) else ts.astimezone(CHINA_TZ).strftime(CSV_TIME)


def csv_row(row, names=None, titles: Mapping[str, str] | None = None) -> list[str]:
    """One incident (an ``IncidentRow`` or a row with its columns) as CSV
    cells in Chinese: ``names`` (``storage.review.Names``) gives group,
    member and reviewer names and the last review note; ``titles`` the
    rules' names."""
    return next(csv_rows([row], names, titles))


def csv_rows(rows: Iterable, names=None, titles: Mapping[str, str] | None = None):
    """``csv_row`` of each row, with what repeats from row to row (rule
    titles, reviewers' names) looked up once."""
    titles = titles or {}
    reviewers: dict = {}
    notes = names.notes if names else {}
    risky = _RISKY
    for row in rows:
        room = row.room_id
        rule = row.rule
        rule_cn = "成员举报" if row.kind == "report" else titles.get(rule or "", rule or "")
        sender_id = row.sender_id
        if names and sender_id:
            sender = names.member(room, sender_id, row.sender_name)
        else:
            sender = row.sender_name or sender_id
        by = row.reviewed_by
        if not names:
            reviewer = by or ""
        elif (room, by) in reviewers:
            reviewer = reviewers[(room, by)]
        else:
            reviewer = reviewers[(room, by)] = names.reviewer(room, by)
        values = [
            row.id, _when(row.ts), names.room(room) if names else "", room, sender,
            sender_id, rule_cn, f"{row.score:.2f}", ACTION_CN.get(row.action, row.action),
            STATUS_CN.get(row.status, row.status), row.evidence, row.reason, row.excerpt,
            row.warning_text, reviewer, _when(row.reviewed_at),
            notes.get(row.id, "") if names else "",
        ]
        # the id, the times, the score and the labels are ours, never formulas
        for i in (2, 3, 4, 5, 10, 11, 12, 13, 14, 16):
            v = values[i]
            if v and (not isinstance(v, str) or v[0] in risky):
                values[i] = safe_cell(v)
            elif v is None:
                values[i] = ""
        yield values


def write_csv(out, rows: Iterable, header: bool = True, *, names=None,
              titles: Mapping[str, str] | None = None, excel: bool = False) -> None:
    """The incidents as CSV. ``excel``: a file to be opened by double click,
    so a UTF-8 byte order mark first (with the header)."""
    w = csv.writer(out)
    if header:
        if excel:
            out.write(BOM)
        w.writerow([title for _, title in CSV_COLUMNS])
    w.writerows(csv_rows(rows, names, titles))


def csv_text(rows: Iterable, header: bool = True, *, names=None,
             titles: Mapping[str, str] | None = None, excel: bool = False) -> str:
    buf = io.StringIO()
    write_csv(buf, rows, header, names=names, titles=titles, excel=excel)
    return buf.getvalue()


BOM = "\ufeff"


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
