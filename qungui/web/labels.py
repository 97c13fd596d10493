"""How the web page names things, and small helpers the templates use."""

from __future__ import annotations

import re
from datetime import datetime
from itertools import groupby

from qungui.core.events import CHINA_TZ
from qungui.review.labels import ACTION_CN, STATUS_CN

DECISION_CN = {"confirm": "确认违规", "dismiss": "撤销（误报）", "reopen": "重新打开"}
APPEAL_CN = {"open": "待处理", "accepted": "已采纳", "rejected": "已驳回"}
REVIEW_ERROR_CN = {
    "not_found": "未找到该事件或申诉，或您无权处理该群。",
    "phrase_needs_dismiss": "只有撤销误报时才能添加放行词语。",
    "phrase_too_short": "放行词语至少两个字。",
    "phrase_too_long": "放行词语太长（不超过 200 字）。",
    "phrase_not_allowed": "涉密信息不能由本群放行，误报请只撤销。",
    "already_resolved": "该申诉已处理过。",
    "bad_decision": "无法识别的审核操作。",
}
PAGE_SIZE = 25


def china_time(ts: datetime | None, fmt: str = "%Y-%m-%d %H:%M") -> str:
    return ts.astimezone(CHINA_TZ).strftime(fmt) if ts else ""


def highlight(text: str, spans: list[str]) -> list[tuple[str, bool]]:
    """``text`` cut into (piece, is_trigger) around every occurrence of the
    triggering spans; the template escapes each piece."""
    marks = [False] * len(text)
    # evidence may join several cues with spaces ("代购 99元一盒 加微信"): mark each
    parts = {p for span in spans for p in re.split(r"[\s…]+", span or "") if len(p) >= 2}
    for span in parts:
        start = text.find(span)
        while start != -1:
            for i in range(start, start + len(span)):
                marks[i] = True
            start = text.find(span, start + len(span))
    # one piece per run of equal marks (adding a character at a time to a
    # piece would copy a long run once per character)
    pieces: list[tuple[str, bool]] = []
    start = 0
    for hit, run in groupby(marks):
        size = sum(1 for _ in run)
        pieces.append((text[start:start + size], hit))
        start += size
    return pieces


_AMOUNT = re.compile(r"(\d+(?:\.\d{1,2})?)\s*(元|块)")


def amount(text: str) -> str:
    """The amount a red envelope's or transfer's text names ("200元"), if any."""
    m = _AMOUNT.search(text or "")
    return f"{m.group(1)} 元" if m else ""


def template_globals(rule_titles: dict[str, str]) -> dict:
    return {"ACTION_CN": ACTION_CN, "STATUS_CN": STATUS_CN, "DECISION_CN": DECISION_CN,
            "APPEAL_CN": APPEAL_CN, "RULE_TITLES": rule_titles, "china_time": china_time,
            "highlight": highlight}
