"""A room's lists as a page: its allow and deny phrases (who filed each and
why, remove, add) and a box that tests a message: what every stage of the
engine would say about a text in that room, with the room's settings.

The tester uses an inspection-only engine (no storage, like ``bot.py
eval``), built once per application on first use, in a worker thread."""

from __future__ import annotations

import asyncio
import threading
from datetime import datetime, timezone
from pathlib import Path
from urllib.parse import quote

from aiohttp import web

from qungui.storage.models import RoomRow
from qungui.storage.review import PHRASE_KINDS, ReviewError, RoomPhrases
from qungui.web.context import INSPECTOR, REPO, REVIEWS, RULE_TITLES, SESSION, render
from qungui.web.filters import storable

MAX_TEST = 2000
MAX_REASON = 500
STAGE_CN = {"decision": "判定模型", "room_deny": "本群禁用词", "reviewed": "本群放行与已撤销误报",
            "engine": "引擎"}
PHRASE_ERROR_CN = {
    "bad_kind": "只能添加放行词语或禁用词。",
    "phrase_too_short": "词语至少两个字。",
    "phrase_too_long": "词语太长（不超过 200 字）。",
    "rule_needed": "禁用词须指定规则。",
    "phrase_not_allowed": "涉密信息不能由本群放行。",
}


class Inspector:
    """The inspection-only engine, built once (``rulebook_path``: the
    deployment's rulebook; None: the shipped one)."""

    def __init__(self, rulebook_path: str | Path | None = None):
        self.rulebook_path = rulebook_path
        self._moderator = None
        self._lock = threading.Lock()

    def moderator(self):
        with self._lock:
            if self._moderator is None:
                from qungui.app import inspection_engine
                self._moderator = inspection_engine(self.rulebook_path)
            return self._moderator

    def inspect(self, room_row: RoomRow | None, room_id: str, text: str) -> dict:
        """Every stage's word on ``text`` sent in the room (run in a thread)."""
        from qungui.core.events import Message, Room
        moderator = self.moderator()
        raw = dict(room_row.settings or {}) if room_row is not None else {}
        view = moderator.settings.view(room_id, raw)
        room = Room(id=room_id, topic=room_row.topic if room_row else "",
                    purpose=room_row.purpose if room_row else "")
        msg = Message(id="desk-test", room_id=room_id, sender_id="desk-tester",
                      ts=datetime.now(timezone.utc), text=text)
        findings, trace = moderator.inspect(msg, room, view)
        thresholds = {name: cfg.threshold for name, cfg in view.rulebook.rules.items()}
        return {"trace": trace, "findings": [
            {"rule": f.rule, "score": f.score, "evidence": f.evidence, "reason": f.reason,
             "threshold": thresholds.get(f.rule, 1.0), "acts": f.score >= thresholds.get(f.rule, 1.1)}
            for f in sorted(findings, key=lambda f: -f.score)]}


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/rooms/{room}", room_page)
    r.add_post("/rooms/{room}/phrases", add_phrase)
    r.add_post("/rooms/{room}/phrases/remove", remove_phrase)
    r.add_post("/rooms/{room}/test", test_message)


def _room(request: web.Request) -> str:
    room_id = request.match_info["room"]
    rooms = request[SESSION].rooms
    if not storable(room_id) or len(room_id) > 256 or (rooms is not None and room_id not in rooms):
        raise web.HTTPNotFound()
    return room_id


async def room_page(request: web.Request, *, tested: dict | None = None, text: str = "",
                    error: str = "", done: str = "", status: int = 200) -> web.Response:
    room_id = _room(request)
    repo = request.app[REPO]
    async with repo.sessions() as s:
        row = await s.get(RoomRow, room_id)
    known = {r for r, _ in await request.app[REVIEWS].rooms(request[SESSION].rooms)}
    if row is None and room_id not in known:
        raise web.HTTPNotFound()
    phrases = await RoomPhrases(repo).list(room_id)
    specs = request.app[REVIEWS].specs or {}
    return render(request, "room.html", {
        "title": f"群规词语 · {row.topic if row and row.topic else room_id}", "room_id": room_id,
        "room": row, "phrases": phrases, "tested": tested, "text": text, "error": error,
        "done": done or request.query.get("done", ""), "STAGE_CN": STAGE_CN,
        "rules": sorted(request.app[RULE_TITLES].items()),
        "allowable": [r for r, _ in sorted(request.app[RULE_TITLES].items())
                      if r not in specs or specs[r].room_allow],
    }, status=status)


def _field(form, name: str, limit: int) -> str:
    value = form.get(name, "")
    return value.strip()[:limit] if isinstance(value, str) else ""


async def add_phrase(request: web.Request) -> web.Response:
    room_id = _room(request)
    form = await request.post()
    kind, rule = _field(form, "kind", 10), _field(form, "rule", 40) or "*"
    phrase, reason = _field(form, "phrase", 1000), _field(form, "reason", MAX_REASON)
    if not (storable(phrase) and storable(reason) and storable(rule)):
        return await room_page(request, error="词语或理由含有无法处理的字符。", status=400)
    if rule != "*" and rule not in request.app[RULE_TITLES]:
        return await room_page(request, error=f"没有规则“{rule}”。", status=400)
    specs = request.app[REVIEWS].specs or {}
    try:
        added = await RoomPhrases(request.app[REPO]).add(
            room_id, kind, rule, phrase, request[SESSION].reviewer, reason,
            allowed_rule=lambda r: r not in specs or specs[r].room_allow)
    except ReviewError as exc:
        return await room_page(request, error=PHRASE_ERROR_CN.get(exc.code, "无法添加。"), status=400)
    raise web.HTTPSeeOther(f"/rooms/{quote(room_id, safe='')}?done={'added' if added else 'exists'}")


async def remove_phrase(request: web.Request) -> web.Response:
    room_id = _room(request)
    form = await request.post()
    kind, rule, phrase = _field(form, "kind", 10), _field(form, "rule", 40), _field(form, "phrase", 1000)
    if kind not in PHRASE_KINDS or not storable(phrase) or not storable(rule):
        return await room_page(request, error="无法删除：词语不完整。", status=400)
    removed = await RoomPhrases(request.app[REPO]).remove(room_id, kind, rule, phrase,
                                                          request[SESSION].reviewer)
    raise web.HTTPSeeOther(f"/rooms/{quote(room_id, safe='')}?done={'removed' if removed else 'gone'}")


async def test_message(request: web.Request) -> web.Response:
    room_id = _room(request)
    form = await request.post()
    text = _field(form, "text", MAX_TEST)
    if not text or not storable(text):
        return await room_page(request, error="请输入要检查的消息（不能含空字符）。", text=text, status=400)
    async with request.app[REPO].sessions() as s:
        row = await s.get(RoomRow, room_id)
    tested = await asyncio.to_thread(request.app[INSPECTOR].inspect, row, room_id, text)
    return await room_page(request, tested=tested, text=text)
