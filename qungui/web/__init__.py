"""The review web page: an aiohttp application with server-rendered pages,
a JSON API under /api/ and no external assets (it works on an intranet)."""

from qungui.web.app import create_app

__all__ = ["create_app"]
