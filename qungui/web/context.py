"""What the app and its route modules (pages, api) share: the typed keys of
the application and request state, and the helpers that render a page and
set a cookie. ``app`` builds the application and imports the route modules;
they import this module, never ``app``."""

from __future__ import annotations

import secrets

import jinja2
from aiohttp import web

from qungui.storage.accounts import AccountStore
from qungui.storage.repository import Repository
from qungui.storage.review import ReviewStore
from qungui.web.auth import SessionStore, SignInThrottle

REPO = web.AppKey("repo", Repository)
REVIEWS = web.AppKey("reviews", ReviewStore)
ACCOUNTS = web.AppKey("accounts", AccountStore)
SESSIONS = web.AppKey("sessions", SessionStore)
THROTTLE = web.AppKey("throttle", SignInThrottle)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
RULE_TITLES = web.AppKey("rule_titles", dict)
OPTIONS = web.AppKey("options", dict)
INSPECTOR = web.AppKey("inspector", object)         # web.rooms.Inspector: built on first use
# typed request keys arrived in aiohttp 3.13; older versions take the plain name
SESSION = web.RequestKey("session", object) if hasattr(web, "RequestKey") else "session"


def render(request: web.Request, template: str, context: dict, status: int = 200) -> web.Response:
    session = request.get(SESSION)
    ctx = {"session": session, "csrf": session.csrf if session else "", "path": request.path}
    ctx.update(context)
    html = request.app[TEMPLATES].get_template(template).render(**ctx)
    return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


def set_cookie(request: web.Request, response: web.StreamResponse, name: str, value: str,
               max_age: int | None = None) -> None:
    response.set_cookie(name, value, httponly=True, samesite="Strict", path="/", max_age=max_age,
                        secure=request.app[OPTIONS]["secure_cookies"])


def login_token() -> str:
    return secrets.token_urlsafe(24)


MAX_ROW_ID = 2 ** 31 - 1        # the largest id an integer column holds on every database


def row_id(request: web.Request) -> int | None:
    """The ``{id}`` of the route as a row id, None when no row can have it."""
    text = request.match_info["id"]
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if value <= MAX_ROW_ID else None


__all__ = ["INSPECTOR", "REPO", "REVIEWS", "ACCOUNTS", "SESSIONS", "THROTTLE", "TEMPLATES", "RULE_TITLES",
           "OPTIONS", "SESSION", "render", "set_cookie", "login_token", "row_id"]
