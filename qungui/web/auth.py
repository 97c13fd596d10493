"""Who may read the log: password hashes, sessions, CSRF tokens, and the
brake on guessing passwords.

- Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``), never
  in plain text; checking one costs tens of milliseconds on purpose and runs
  off the event loop.
- A session is a random token in an HttpOnly, SameSite=Strict cookie; the
  server keeps the session (so signing out really ends it). Sessions end
  after ``IDLE`` without use or ``MAX_AGE`` in all.
- Every form carries the session's CSRF token; the sign-in form, before
  there is a session, uses a double-submit cookie.
- After ``MAX_FAILURES`` failed sign-ins within ``WINDOW`` from one address
  or for one user name, sign-in is refused until the window has passed.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from collections import deque
from dataclasses import dataclass, field

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSWORD = 8
IDLE = 2 * 3600
MAX_AGE = 12 * 3600
MAX_SESSIONS = 1000
MAX_FAILURES = 5
WINDOW = 15 * 60
SESSION_COOKIE = "qg_session"
LOGIN_COOKIE = "qg_login"


class PasswordError(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def hash_password(password: str, *, n: int = SCRYPT_N, r: int = SCRYPT_R, p: int = SCRYPT_P) -> str:
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"password too short: at least {MIN_PASSWORD} characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                            maxmem=256 * 1024 * 1024, dklen=32)
    return f"scrypt${n}${r}${p}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        want = base64.b64decode(digest)
        got = hashlib.scrypt(password.encode("utf-8"), salt=base64.b64decode(salt), n=int(n),
                             r=int(r), p=int(p), maxmem=256 * 1024 * 1024, dklen=len(want))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)


# checked when the user name is unknown, so both cases take the same time
_DUMMY_HASH = None


async def check_password(password: str, stored: str | None) -> bool:
    global _DUMMY_HASH
    if stored is None:
        _DUMMY_HASH = _DUMMY_HASH or hash_password("x" * MIN_PASSWORD)
        stored = _DUMMY_HASH
        await asyncio.to_thread(verify_password, password, stored)
        return False
    return await asyncio.to_thread(verify_password, password, stored)


@dataclass
class Session:
    username: str
    rooms: frozenset[str] | None          # None: every room
    csrf: str = field(default_factory=lambda: secrets.token_urlsafe(32))
    created: float = field(default_factory=time.monotonic)
    seen: float = field(default_factory=time.monotonic)

    @property
    def reviewer(self) -> str:
        """How the reviewer is named in review and audit rows."""
        return f"web:{self.username}"

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf.encode())


class SessionStore:
    def __init__(self, idle: float = IDLE, max_age: float = MAX_AGE):
        self.idle, self.max_age = idle, max_age
        self._sessions: dict[str, Session] = {}

    def create(self, username: str, rooms: frozenset[str] | None) -> tuple[str, Session]:
        self._expire()
        if len(self._sessions) >= MAX_SESSIONS:       # the oldest goes first
            oldest = min(self._sessions, key=lambda t: self._sessions[t].created)
            del self._sessions[oldest]
        token = secrets.token_urlsafe(32)
        session = self._sessions[token] = Session(username, rooms)
        return token, session

    def get(self, token: str | None) -> Session | None:
        if not token:
            return None
        session = self._sessions.get(token)
        if session is None:
            return None
        now = time.monotonic()
        if now - session.seen > self.idle or now - session.created > self.max_age:
            del self._sessions[token]
            return None
        session.seen = now
        return session

    def end(self, token: str | None) -> None:
        if token:
            self._sessions.pop(token, None)

    def end_user(self, username: str) -> None:
        for token in [t for t, s in self._sessions.items() if s.username == username]:
            del self._sessions[token]

    def _expire(self) -> None:
        now = time.monotonic()
        for token in [t for t, s in self._sessions.items()
                      if now - s.seen > self.idle or now - s.created > self.max_age]:
            del self._sessions[token]


class SignInThrottle:
    """Failed sign-ins per address and per user name in a sliding window."""

    def __init__(self, max_failures: int = MAX_FAILURES, window: float = WINDOW):
        self.max_failures, self.window = max_failures, window
        self._failures: dict[str, deque[float]] = {}

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures.get(key)
        if q is None:
            return deque()
        while q and now - q[0] > self.window:
            q.popleft()
        if not q:
            del self._failures[key]
        return q

    def wait_seconds(self, *keys: str) -> int:
        """0 when a sign-in may be tried, else how long until it may."""
        now = time.monotonic()
        waits = [self.window - (now - q[0]) for k in keys
                 if len(q := self._recent(k, now)) >= self.max_failures]
        return int(max(waits)) + 1 if waits else 0

    def failed(self, *keys: str) -> None:
        now = time.monotonic()
        if len(self._failures) > 10_000:          # a flood of made-up names must not eat memory
            self._failures.clear()
        for k in keys:
            self._failures.setdefault(k, deque(maxlen=self.max_failures * 2)).append(now)

    def succeeded(self, *keys: str) -> None:
        for k in keys:
            self._failures.pop(k, None)
