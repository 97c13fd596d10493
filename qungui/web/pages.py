"""The HTML pages: sign-in, overview, incident list (keyset pages, the triage
queue, saved views, bulk review), incident detail (review, then the next in
the same list), review actions and the streaming CSV export."""

from __future__ import annotations

import asyncio
import contextlib
import io
import re
import unicodedata
from datetime import datetime
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from aiohttp import web

from qungui.review.export import write_csv
from qungui.core.events import CHINA_TZ
from qungui.storage.review import ReviewError
from qungui.web import charts
from qungui.web.auth import LOGIN_COOKIE, SESSION_COOKIE, check_password
from qungui.web.context import (ACCOUNTS, OPTIONS, REPO, REVIEWS, RULE_TITLES, SESSION, SESSIONS,
                                THROTTLE, login_token, render, row_id, set_cookie)
from qungui.web.filters import VIEWS, parse_query, storable
from qungui.web.labels import PAGE_SIZE, REVIEW_ERROR_CN

EXPORT_CHUNK = 1000
MAX_BULK = 500
MAX_NOTE = 1000
MAX_NEXT = 2000


def setup(app: web.Application) -> None:
    r = app.router
    r.add_get("/login", login_page)
    r.add_post("/login", login)
    r.add_post("/logout", logout)
    r.add_get("/", overview)
    r.add_get("/incidents", incident_list)
    r.add_get("/incidents/{id:\\d+}", incident_page)
    r.add_post("/incidents/{id:\\d+}/review", review)
    r.add_post("/incidents/bulk", bulk_review)
    r.add_post("/appeals/{id:\\d+}/resolve", resolve_appeal)
    r.add_get("/export.csv", export_csv)


def scope(request: web.Request):
    return request[SESSION].rooms


def query(request: web.Request, values=None):
    return parse_query(request.query if values is None else values, scope(request),
                       request.app[RULE_TITLES], reviewer=request[SESSION].reviewer)


def list_query(request: web.Request, back: str):
    """The filter of the list page ``back`` (a path on this site) names."""
    parts = urlsplit(back)
    values = dict(parse_qsl(parts.query)) if parts.path == "/incidents" else {}
    return query(request, values)


# --- signing in and out --------------------------------------------------

def _strip_invisible(text: str) -> str:
    """Without control, format and whitespace characters: browsers drop tabs
    and newlines inside a URL, so "/<tab>/host" would be read as "//host"."""
    return "".join(c for c in text if not (c.isspace() or unicodedata.category(c)[0] in "CZ"))


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: only a path on this site, else "/".

    The target is judged as a browser could read it: percent-decoded (again,
    while that changes it) and without control or whitespace characters. Its
    path must then start with a single "/" followed by neither "/" nor "\\",
    and hold no "//", no backslash and no scheme. What is returned is the
    target without control and whitespace characters, its encoding kept.
    """
    if not target or len(target) > MAX_NEXT:
        return "/"
    cleaned = _strip_invisible(target)
    seen = cleaned
    for _ in range(4):
        decoded = _strip_invisible(unquote(seen))
        if decoded == seen:
            break
        seen = decoded
    else:
        return "/"                      # still changing after four decodings: not a plain path
    path = re.split(r"[?#]", seen, maxsplit=1)[0]
    if not path.startswith("/") or path[1:2] in ("/", "\\") or "//" in path or "\\" in path:
        return "/"
    parts = urlsplit(cleaned)
    if parts.scheme or parts.netloc or not cleaned.startswith("/") or cleaned[1:2] in ("/", "\\"):
        return "/"
    return cleaned


async def login_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    if request[SESSION] is not None and not error:
        raise web.HTTPSeeOther(safe_next(request.query.get("next")))
    token = login_token()
    response = render(request, "login.html", {"title": "登录", "login_csrf": token, "error": error,
                                              "next": safe_next(request.query.get("next"))},
                      status=status)
    set_cookie(request, response, LOGIN_COOKIE, token, max_age=3600)
    return response


async def login(request: web.Request) -> web.Response:
    form = await request.post()
    cookie = request.cookies.get(LOGIN_COOKIE, "")
    sent = form.get("csrf", "")
    if not cookie or not isinstance(sent, str) or not _same(cookie, sent):
        return await login_page(request, "登录表单已过期，请重新输入。", status=403)
    username = str(form.get("username", "")).strip()[:100]
    password = str(form.get("password", ""))[:1000]
    if not storable(username):
        return await login_page(request, "用户名含有无法处理的字符，请重新输入。", status=400)
    address = request.remote or "unknown"
    throttle = request.app[THROTTLE]
    attempt = await throttle.begin(username, address)      # counted before the password is checked
    if attempt.wait:
        minutes = (attempt.wait + 59) // 60
        return await login_page(request, f"登录失败次数过多，请 {minutes} 分钟后再试。", status=429)
    account = await request.app[ACCOUNTS].get(username) if username else None
    ok = await check_password(password, account.password_hash if account else None)
    if not ok:
        throttle.failed(attempt, address)
        await asyncio.sleep(request.app[OPTIONS]["failure_delay"])
        return await login_page(request, "用户名或密码不正确。", status=401)
    await throttle.succeeded(attempt)
    await request.app[SESSIONS].end(request.cookies.get(SESSION_COOKIE))   # a new session, never a reused one
    token, _ = await request.app[SESSIONS].create(account)
    response = web.HTTPSeeOther(safe_next(str(form.get("next", "/"))))
    set_cookie(request, response, SESSION_COOKIE, token)
    response.del_cookie(LOGIN_COOKIE, path="/")
    raise response


def _same(a: str, b: str) -> bool:
    import hmac
    return hmac.compare_digest(a.encode(), b.encode())


async def logout(request: web.Request) -> web.Response:
    await request.app[SESSIONS].end(request.cookies.get(SESSION_COOKIE))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


# --- overview ------------------------------------------------------------

async def overview(request: web.Request) -> web.Response:
    q = query(request)
    try:
        days = max(7, min(90, int(request.query.get("days", "30"))))
    except ValueError:
        days = 30
    ov = await request.app[REVIEWS].overview(q.filter, days=days)
    outbox = await request.app[REPO].outbox.counts(room_id=q.filter.room, rooms=q.filter.rooms)
    titles = request.app[RULE_TITLES]
    per_day = charts.day_chart(ov.by_day, link=lambda d: "/incidents" + q.link(since=d, until=d))
    per_rule = charts.rule_chart([(r, titles.get(r, r), n) for r, n in ov.by_rule],
                                 link=lambda r: "/incidents" + q.link(rule=r))
    store = request.app[REVIEWS]
    views = []
    for key, name, values in VIEWS:
        vq = query(request, {**values, **({"room": q.values["room"]} if q.values.get("room") else {})})
        n, exact = await store.count(vq.filter)
        views.append((key, name, "/incidents" + vq.link(), n, exact))
    return render(request, "overview.html", {"title": "概览", "q": q, "ov": ov, "days": days,
                                             "per_day": per_day, "per_rule": per_rule,
                                             "outbox": outbox, "views": views,
                                             "topics": {r: t for r, t, _ in ov.by_room}},
                  status=400 if q.errors else 200)


# --- the list ------------------------------------------------------------

async def incident_list(request: web.Request) -> web.Response:
    q = query(request)
    store = request.app[REVIEWS]
    page = await store.page(q.filter, order=q.order, after=q.after, before=q.before, limit=PAGE_SIZE)
    total, exact = await store.count(q.filter)
    return render(request, "incidents.html", {
        "title": "事件列表", "q": q, "rows": page.rows, "p": page, "total": total, "exact": exact,
        "names": await store.names(page.rows), "gravity": store.gravity, "views": VIEWS,
        "here": "/incidents" + q.here(), "done": request.query.get("done", ""),
        "rooms": await store.rooms(scope(request)), "rules": sorted(request.app[RULE_TITLES].items()),
    }, status=400 if q.errors else 200)


async def export_csv(request: web.Request) -> web.StreamResponse:
    """Every incident the filter matches, streamed in chunks (no cap): the
    response starts at once and the loop serves other requests between chunks."""
    q = query(request)
    if q.errors:
        raise web.HTTPBadRequest(text="；".join(q.errors))
    stamp = datetime.now(CHINA_TZ).strftime("%Y%m%d-%H%M")
    response = web.StreamResponse(headers={
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": f'attachment; filename="incidents-{stamp}.csv"'})
    await response.prepare(request)
    titles = request.app[RULE_TITLES]
    # the byte order mark lets spreadsheet programs read the Chinese text as UTF-8
    head = io.StringIO()
    write_csv(head, [], excel=True)
    await response.write(head.getvalue().encode("utf-8"))
    # closed at once if the client goes away (the chunk read ahead is dropped)
    async with contextlib.aclosing(request.app[REVIEWS].export_chunks(q.filter, EXPORT_CHUNK)) as chunks:
        async for rows, names in chunks:
            buf = io.StringIO()
            write_csv(buf, rows, header=False, names=names, titles=titles)
            await response.write(buf.getvalue().encode("utf-8"))
            await asyncio.sleep(0)
    await response.write_eof()
    return response


async def bulk_review(request: web.Request) -> web.Response:
    """Several incidents of the list confirmed or dismissed with one note;
    back to the same list (its filters and page) saying how many."""
    form = await request.post()
    back = safe_next(str(form.get("back", "")) or "/incidents")
    decision = str(form.get("decision", ""))
    note = str(form.get("note", "")).strip()[:MAX_NOTE]
    ids = [int(v) for v in form.getall("id", []) if isinstance(v, str) and v.isascii()
           and v.isdigit() and len(v) <= 10 and int(v) < 2 ** 31][:MAX_BULK]
    if decision not in ("confirm", "dismiss") or not storable(note):
        return render(request, "error.html", {"title": "无法批量审核",
                                              "message": "请选择确认或撤销，备注不能含空字符。"}, status=400)
    if not ids:
        raise web.HTTPSeeOther(_with(back, done="none"))
    session = request[SESSION]
    done, refused = await request.app[REVIEWS].review_many(ids, session.reviewer, decision,
                                                           note=note, scope=session.rooms)
    raise web.HTTPSeeOther(_with(back, done=f"{decision}:{len(done)}:{len(refused)}"))


def _with(path: str, **extra) -> str:
    parts = urlsplit(path)
    values = [(k, v) for k, v in parse_qsl(parts.query) if k not in extra]
    values += [(k, v) for k, v in extra.items() if v]
    from urllib.parse import urlencode
    return parts.path + ("?" + urlencode(values) if values else "")


# --- one incident --------------------------------------------------------

async def incident_page(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    incident_id = row_id(request)
    detail = None if incident_id is None else await request.app[REVIEWS].incident(incident_id,
                                                                                  scope(request))
    if detail is None:
        return render(request, "error.html", {
            "title": "未找到", "message": f"没有编号为 {incident_id} 的事件，或您无权查看该群。"}, status=404)
    row = detail.incident
    text = detail.message.text if detail.message else row.excerpt
    spans = [row.evidence] + [s.evidence for s in detail.siblings]
    back = safe_next(request.query.get("back") or "/incidents")
    if not back.startswith("/incidents"):
        back = "/incidents"
    return render(request, "incident.html", {
        "title": f"事件 #{row.id}", "d": detail, "row": row, "text": text, "spans": spans,
        "error": error, "back": back, "done": request.query.get("done", ""),
        "gravity": request.app[REVIEWS].gravity(row), "names": detail.names,
        "next_id": await request.app[REVIEWS].neighbour(list_query(request, back).filter, row.id,
                                                         order=list_query(request, back).order),
        "request_prev": row_number(request.query.get("prev")),
    }, status=status)


def row_number(text: str | None) -> int | None:
    if text and text.isascii() and text.isdigit() and len(text) <= 10:
        return int(text)
    return None


async def review(request: web.Request) -> web.Response:
    incident_id = row_id(request)
    form = await request.post()
    decision = str(form.get("decision", ""))
    note = str(form.get("note", "")).strip()[:MAX_NOTE]
    phrase = str(form.get("allow_phrase", "")).strip() if decision == "dismiss" else ""
    session = request[SESSION]
    if incident_id is None:
        return await incident_page(request)
    if not (storable(note) and storable(phrase)):
        return await incident_page(request, "备注或放行词语含有无法处理的字符（如空字符），请删去后重试。",
                                   status=400)
    store = request.app[REVIEWS]
    try:
        await store.review(incident_id, session.reviewer, decision, note=note,
                           allow_phrase=phrase or None, scope=session.rooms)
    except ReviewError as exc:
        return await incident_page(request, _review_error(exc), status=400)
    back = safe_next(str(form.get("back", "")) or "/incidents")
    if not back.startswith("/incidents"):
        back = "/incidents"
    if decision != "reopen" and form.get("next") != "stay":
        # on to the next incident of the same list, its filters kept
        q = list_query(request, back)
        following = await store.neighbour(q.filter, incident_id, order=q.order)
        if following is not None:
            raise web.HTTPSeeOther(f"/incidents/{following}?back={quote(back, safe='')}"
                                   f"&done={decision}&prev={incident_id}")
        raise web.HTTPSeeOther(_with(back, done=f"{decision}:1:0", after=None, before=None))
    raise web.HTTPSeeOther(f"/incidents/{incident_id}?back={quote(back, safe='')}&done={decision}")


async def resolve_appeal(request: web.Request) -> web.Response:
    appeal_id = row_id(request)
    form = await request.post()
    session = request[SESSION]
    accept = form.get("decision") == "accept"
    if form.get("decision") not in ("accept", "reject"):
        raise web.HTTPBadRequest(text="decision must be accept or reject")
    if appeal_id is None:
        return render(request, "error.html", {"title": "无法处理申诉", "message": _review_error(
            ReviewError("not_found", "no such appeal"))}, status=404)
    try:
        appeal = await request.app[REVIEWS].resolve_appeal(appeal_id, session.reviewer, accept,
                                                           scope=session.rooms)
    except ReviewError as exc:
        return render(request, "error.html", {"title": "无法处理申诉", "message": _review_error(exc)},
                      status=400)
    raise web.HTTPSeeOther(f"/incidents/{appeal.incident_id}")


def _review_error(exc: ReviewError) -> str:
    return REVIEW_ERROR_CN.get(exc.code, "无法识别的审核操作。")
