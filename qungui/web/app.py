"""The aiohttp application: wiring and security middleware. The keys and
helpers the route modules share are in ``qungui.web.context``.

Every page and API route needs a signed-in reviewer except the sign-in page,
the static files and the OpenAPI document. Every POST must carry the
session's CSRF token (a form field ``csrf`` or the ``X-CSRF-Token`` header)
and, when the browser names an Origin, come from this site.

Every response the application sends carries the security headers (set as
it is prepared, so errors, aiohttp's own 404 and 405, refusals and static
files too); an unexpected error is logged and answered with a plain 500 page
that says nothing about its cause.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from urllib.parse import quote

import jinja2
from aiohttp import web
from yarl import URL

from qungui.core.plugin import RuleSpec
from qungui.storage.accounts import AccountStore
from qungui.storage.models import utcnow
from qungui.storage.repository import Repository
from qungui.storage.review import ReviewStore
from qungui.storage.web_auth import SignInAttempts, WebSessions
from qungui.web import api, labels, pages, rooms
from qungui.web.auth import (LOGIN_COOKIE, SESSION_COOKIE, Clock, SessionStore, SignInThrottle,
                             ThrottlePolicy)
from qungui.web.context import (ACCOUNTS, INSPECTOR, OPTIONS, REPO, REVIEWS, RULE_TITLES, SESSION, SESSIONS,
                                TEMPLATES, THROTTLE, render, set_cookie)

log = logging.getLogger(__name__)

HERE = Path(__file__).resolve().parent
PUBLIC = ("/login", "/static/", "/api/openapi.json", "/healthz")
SESSIONLESS = ("/static/", "/api/openapi.json", "/healthz")     # never look a session up

CSP = ("default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")


def create_app(repo: Repository, *, rule_titles: Mapping[str, str],
               rule_specs: Mapping[str, RuleSpec], secure_cookies: bool = False,
               failure_delay: float = 1.0, throttle: ThrottlePolicy | None = None,
               clock: Clock = utcnow, rulebook_path: str | Path | None = None) -> web.Application:
    """The review site over ``repo``. ``rule_titles`` names each rule id in
    Chinese (``qungui.app.rule_titles()``); ``rule_specs`` are the rules'
    specifications the reviews go by (``qungui.app.rule_specs()``).
    ``secure_cookies`` when served over HTTPS
    (behind a proxy); ``failure_delay`` seconds are added to each failed sign-in;
    ``throttle`` the sign-in limits; ``clock`` the time sessions and the throttle go by;
    ``rulebook_path`` the rulebook the room page's message tester inspects with
    (None: the shipped one)."""
    app = web.Application(middlewares=[error_pages, require_session],
                          client_max_size=64 * 1024)
    app.on_response_prepare.append(security_headers)
    app[REPO] = repo
    app[REVIEWS] = ReviewStore(repo, rule_specs)
    app[ACCOUNTS] = AccountStore(repo)
    app[SESSIONS] = SessionStore(WebSessions(repo), clock=clock)
    app[THROTTLE] = SignInThrottle(SignInAttempts(repo), throttle, clock=clock)
    app[RULE_TITLES] = dict(rule_titles)
    app[INSPECTOR] = rooms.Inspector(rulebook_path)
    app[OPTIONS] = {"secure_cookies": secure_cookies, "failure_delay": failure_delay}
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(HERE / "templates"),
                             autoescape=True, undefined=jinja2.StrictUndefined,
                             trim_blocks=True, lstrip_blocks=True)
    env.globals.update(labels.template_globals(app[RULE_TITLES]))
    env.globals["static"] = static_url
    env.filters["amount"] = labels.amount
    app[TEMPLATES] = env
    pages.setup(app)
    api.setup(app)
    rooms.setup(app)
    app.router.add_static("/static/", HERE / "static", append_version=True)
    app.router.add_get("/healthz", healthz)
    return app


@functools.lru_cache(maxsize=32)
def static_url(name: str) -> str:
    """A bundled asset's URL with its content hash, so a new version is never stale."""
    import hashlib
    digest = hashlib.sha256((HERE / "static" / name).read_bytes()).hexdigest()[:10]
    return f"/static/{name}?v={digest}"


async def healthz(request: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _listed(path: str, prefixes) -> bool:
    return any(path == p or (p.endswith("/") and path.startswith(p)) for p in prefixes)


def is_public(path: str) -> bool:
    return _listed(path, PUBLIC)


def is_api(request: web.Request) -> bool:
    return request.path.startswith("/api/")


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """Run as every response is prepared: pages, JSON, files, redirects,
    refusals, aiohttp's own errors and the 500 of an unexpected exception."""
    _secure(response)


ROUTER_ERRORS = {404: ("not_found", "页面不存在", "没有这个页面。"),
                 405: ("method_not_allowed", "不支持的请求方式", "该页面不接受这种请求方式。")}


@web.middleware
async def error_pages(request: web.Request, handler):
    """aiohttp's bare 404 and 405 become pages in Chinese (JSON under /api/);
    any other exception is logged and becomes a 500 that reveals nothing."""
    try:
        return await handler(request)
    except (web.HTTPNotFound, web.HTTPMethodNotAllowed) as exc:
        code, title, message = ROUTER_ERRORS[exc.status]
        response = _error(request, exc.status, code, title, message)
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except web.HTTPException:
        raise
    except Exception:
        log.exception("error serving %s %s", request.method, request.path)
        return _error(request, 500, "internal_error", "服务器内部错误",
                      "处理请求时出错，已记入日志。请稍后再试，或联系管理员。")


def _error(request: web.Request, status: int, code: str, title: str, message: str) -> web.Response:
    if is_api(request):
        return web.json_response({"error": code, "message": message}, status=status,
                                 dumps=_dumps)
    try:
        return render(request, "error.html", {"title": title, "message": message}, status=status)
    except Exception:  # noqa: BLE001 - the error page itself must not fail
        log.exception("cannot render the error page")
        return web.Response(text=f"{status} {title}", status=status, charset="utf-8")


def _dumps(data) -> str:
    return json.dumps(data, ensure_ascii=False)


def _secure(response) -> None:
    h = response.headers
    h.setdefault("Content-Security-Policy", CSP)
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")   # "no-referrer" makes browsers send Origin: null
    h.setdefault("Cache-Control", "no-store")


@web.middleware
async def require_session(request: web.Request, handler):
    session = None
    if not _listed(request.path, SESSIONLESS):
        session = await request.app[SESSIONS].get(request.cookies.get(SESSION_COOKIE))
    request[SESSION] = session
    if request.method not in ("GET", "HEAD", "OPTIONS") and not same_origin(request):
        return forbidden(request, "请求来源与本站不符，已拒绝。")
    if is_public(request.path):
        return await handler(request)
    if session is None:
        if is_api(request):
            return web.json_response({"error": "unauthorized", "message": "请先登录"}, status=401)
        target = request.path_qs if request.method == "GET" else "/"
        raise web.HTTPSeeOther(f"/login?next={quote(target, safe='')}")
    if request.method == "POST":
        token = request.headers.get("X-CSRF-Token")
        if token is None and not is_api(request):
            token = (await request.post()).get("csrf")
        if not session.csrf_ok(token if isinstance(token, str) else None):
            return forbidden(request, "表单已过期或缺少安全校验码，请刷新页面后重试。")
    return await handler(request)


def same_origin(request: web.Request) -> bool:
    """A browser names the page a POST came from (Origin, else Referer); it must
    be this site. Clients that send neither (scripts, curl) are judged by the
    session and CSRF token alone."""
    origin = request.headers.get("Origin") or request.headers.get("Referer")
    if not origin:
        return True
    if origin == "null":
        return False
    u = URL(origin)
    return u.host == request.url.host and u.port == request.url.port


def forbidden(request: web.Request, message: str) -> web.Response:
    if is_api(request):
        return web.json_response({"error": "forbidden", "message": message}, status=403)
    return render(request, "error.html", {"title": "操作被拒绝", "message": message}, status=403)


__all__ = ["create_app", "render", "set_cookie", "LOGIN_COOKIE", "SESSION_COOKIE"]
