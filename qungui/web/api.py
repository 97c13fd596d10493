"""The JSON API under /api/: the same data and actions as the pages.

Sign in through the page (POST /login) and send the session cookie; POSTs
also need the session's CSRF token in ``X-CSRF-Token`` (GET /api/session
returns it). /api/openapi.json describes it all.
"""

from __future__ import annotations

import json

from aiohttp import web

from qungui.review.export import incident_dict
from qungui.core.events import CHINA_TZ
from qungui.storage.review import ReviewError
from qungui.web.context import REVIEWS, RULE_TITLES, SESSION, row_id
from qungui.web.filters import parse_query, storable
from qungui.web.openapi import OPENAPI

MAX_PER_PAGE = 500
MAX_BULK = 500


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/api/openapi.json", openapi)
    r.add_get("/api/session", session_info)
    r.add_get("/api/incidents", incidents)
    r.add_get("/api/incidents/{id:\\d+}", incident)
    r.add_post("/api/incidents/{id:\\d+}/review", review)
    r.add_post("/api/incidents/bulk", bulk_review)
    r.add_post("/api/appeals/{id:\\d+}/resolve", resolve_appeal)
    r.add_get("/api/stats", stats)


def error(status: int, code: str, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message}, status=status)


def dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def ok(data, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=dumps)


async def openapi(request: web.Request) -> web.Response:
    return ok(OPENAPI)


async def session_info(request: web.Request) -> web.Response:
    s = request[SESSION]
    return ok({"user": s.username, "rooms": sorted(s.rooms) if s.rooms is not None else "*",
               "csrf_token": s.csrf})


def _query(request: web.Request):
    q = parse_query(request.query, request[SESSION].rooms, request.app[RULE_TITLES],
                    reviewer=request[SESSION].reviewer)
    return q, (error(400, "bad_filter", "；".join(q.errors)) if q.errors else None)


async def incidents(request: web.Request) -> web.Response:
    q, bad = _query(request)
    if bad:
        return bad
    try:
        per_page = max(1, min(MAX_PER_PAGE, int(request.query.get("per_page", "50"))))
    except ValueError:
        return error(400, "bad_filter", "per_page must be a whole number")
    store = request.app[REVIEWS]
    page = await store.page(q.filter, order=q.order, after=q.after, before=q.before, limit=per_page)
    total, exact = await store.count(q.filter)
    names = await store.names(page.rows)
    return ok({"total": total, "total_exact": exact, "order": q.order, "per_page": per_page,
               "next": page.next, "prev": page.prev,
               "items": [_named(incident_dict(r), r, names, store.gravity(r)) for r in page.rows]})


def _named(d: dict, row, names, gravity: int) -> dict:
    d.pop("trace", None)
    d.update(room_name=names.room(row.room_id),
             sender_display=names.member(row.room_id, row.sender_id, row.sender_name) if row.sender_id else "",
             reviewer_name=names.reviewer(row.room_id, row.reviewed_by), gravity=gravity)
    return d


async def bulk_review(request: web.Request) -> web.Response:
    """One decision and note on several incidents: {"ids": [...], "decision":
    "confirm" | "dismiss" | "reopen", "note": "..."}."""
    body = await _json_body(request)
    if isinstance(body, web.Response):
        return body
    ids, note = body.get("ids"), body.get("note", "")
    if (not isinstance(ids, list) or not ids or len(ids) > MAX_BULK
            or not all(isinstance(i, int) and not isinstance(i, bool) and 0 < i < 2 ** 31 for i in ids)):
        return error(400, "bad_json", f"ids must be a list of 1 to {MAX_BULK} incident ids")
    if not isinstance(note, str) or not storable(note):
        return error(400, "bad_text", "note must be a string without NUL or lone surrogates")
    decision = body.get("decision")
    if decision not in ("confirm", "dismiss", "reopen"):
        return error(400, "bad_decision", "decision must be confirm, dismiss or reopen")
    session = request[SESSION]
    done, refused = await request.app[REVIEWS].review_many(ids, session.reviewer, decision,
                                                           note=note[:1000], scope=session.rooms)
    return ok({"reviewed": [incident_dict(r) for r in done],
               "refused": [{"id": i, "error": code} for i, code in refused.items()]})


def _message(m) -> dict | None:
    if m is None:
        return None
    return {"message_id": m.message_id, "sender_id": m.sender_id, "sender_name": m.sender_name,
            "type": m.type, "text": m.text, "ts": m.ts.astimezone(CHINA_TZ).isoformat()}


def _when(ts) -> str | None:
    return ts.astimezone(CHINA_TZ).isoformat() if ts else None


async def incident(request: web.Request) -> web.Response:
    incident_id = row_id(request)
    d = None if incident_id is None else await request.app[REVIEWS].incident(incident_id,
                                                                             request[SESSION].rooms)
    if d is None:
        return error(404, "not_found", "no such incident, or not in your rooms")
    return ok({
        "incident": incident_dict(d.incident),
        "room_topic": d.room_topic,
        "other_rules": [incident_dict(s) for s in d.siblings],
        "message": _message(d.message),
        "before": [_message(m) for m in d.before],
        "after": [_message(m) for m in d.after],
        "reviews": [{"reviewer": r.reviewer, "decision": r.decision, "note": r.note,
                     "allow_phrase": r.allow_phrase, "ts": _when(r.ts)} for r in d.reviews],
        "appeals": [{"id": a.id, "member_id": a.member_id, "reason": a.reason, "status": a.status,
                     "resolved_by": a.resolved_by, "resolved_at": _when(a.resolved_at),
                     "ts": _when(a.ts)} for a in d.appeals],
    })


async def _json_body(request: web.Request) -> dict | web.Response:
    try:
        body = await request.json()
    except (ValueError, UnicodeDecodeError):
        return error(400, "bad_json", "the body must be a JSON object")
    if not isinstance(body, dict):
        return error(400, "bad_json", "the body must be a JSON object")
    return body


async def review(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if isinstance(body, web.Response):
        return body
    note, phrase = body.get("note", ""), body.get("allow_phrase")
    if not isinstance(note, str) or not (phrase is None or isinstance(phrase, str)):
        return error(400, "bad_json", "note and allow_phrase must be strings")
    if not storable(note) or not storable(phrase or ""):
        return error(400, "bad_text", "note and allow_phrase must not hold NUL or lone surrogates")
    incident_id = row_id(request)
    if incident_id is None:
        return error(404, "not_found", "no such incident, or not in your rooms")
    session = request[SESSION]
    try:
        row = await request.app[REVIEWS].review(
            incident_id, session.reviewer, str(body.get("decision", "")),
            note=note[:1000], allow_phrase=phrase, scope=session.rooms)
    except ReviewError as exc:
        return error(404 if exc.code == "not_found" else 400, exc.code, str(exc))
    return ok({"incident": incident_dict(row)})


async def resolve_appeal(request: web.Request) -> web.Response:
    body = await _json_body(request)
    if isinstance(body, web.Response):
        return body
    if not isinstance(body.get("accept"), bool):
        return error(400, "bad_json", "accept must be true or false")
    appeal_id = row_id(request)
    if appeal_id is None:
        return error(404, "not_found", "no such appeal, or not in your rooms")
    session = request[SESSION]
    try:
        a = await request.app[REVIEWS].resolve_appeal(appeal_id, session.reviewer,
                                                      body["accept"], scope=session.rooms)
    except ReviewError as exc:
        return error(404 if exc.code == "not_found" else 409, exc.code, str(exc))
    return ok({"id": a.id, "incident_id": a.incident_id, "status": a.status,
               "resolved_by": a.resolved_by, "resolved_at": _when(a.resolved_at)})


async def stats(request: web.Request) -> web.Response:
    q, bad = _query(request)
    if bad:
        return bad
    try:
        days = max(1, min(366, int(request.query.get("days", "30"))))
    except ValueError:
        return error(400, "bad_filter", "days must be a whole number")
    ov = await request.app[REVIEWS].overview(q.filter, days=days)
    return ok({"total": ov.total, "open": ov.open, "open_appeals": ov.open_appeals,
               "by_status": ov.by_status,
               "by_rule": [{"rule": r, "count": n} for r, n in ov.by_rule],
               "by_day": [{"day": d, "count": n} for d, n in ov.by_day],
               "by_room": [{"room_id": r, "topic": t, "count": n} for r, t, n in ov.by_room],
               "repeat_senders": [{"room_id": r, "sender_id": s, "sender_name": name, "messages": n}
                                  for r, s, name, n in ov.repeat_senders]})
