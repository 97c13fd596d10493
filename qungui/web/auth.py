"""Who may read the log: password hashes, sessions, CSRF tokens, and the
brake on guessing passwords.

- Passwords are stored as scrypt hashes (``scrypt$n$r$p$salt$hash``), never
  in plain text; checking one costs tens of milliseconds on purpose and runs
  off the event loop.
- A session is a random token (256 bits) in an HttpOnly, SameSite=Strict
  cookie. The database keeps only its SHA-256 hash (``web_sessions``), so
  every web process sees the same sessions and a restart keeps them; signing
  out really ends one. Sessions end after ``IDLE`` without use, ``MAX_AGE``
  in all, and as soon as their account is deleted or its password or rooms
  change (the account's stamp no longer matches the session's).
- Every form carries the session's CSRF token, derived from the session
  token by HMAC (nothing more to store); the sign-in form, before there is
  a session, uses a double-submit cookie.
- Sign-in attempts are counted before their password is checked, in the
  database (``web_sign_in_attempts``), per account name and per address; see
  ``ThrottlePolicy`` for the limits and what a lock refuses.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from qungui.storage.accounts import Account
from qungui.storage.models import utcnow
from qungui.storage.web_auth import SignInAttempts, WebSessions, digest

log = logging.getLogger(__name__)

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2 ** 15, 8, 1
MIN_PASSWORD = 8
IDLE = 2 * 3600
MAX_AGE = 12 * 3600
TOUCH_EVERY = 60          # seconds: a session's last use is written at most this often
PRUNE_EVERY = 60          # seconds: expired sessions and old attempts are removed this often
MAX_TOKEN = 128
KEEP_REFUSED = 2          # refused attempts kept per name or address, times its limit
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


Clock = Callable[[], datetime]


@dataclass(frozen=True)
class Session:
    username: str
    rooms: frozenset[str] | None          # None: every room
    csrf: str
    id_hash: str

    @property
    def reviewer(self) -> str:
        """How the reviewer is named in review and audit rows."""
        return f"web:{self.username}"

    def csrf_ok(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token.encode(), self.csrf.encode())


def csrf_of(token: str) -> str:
    """The CSRF token of a session: an HMAC of the session token, so it
    reveals nothing about the token and needs no storage."""
    mac = hmac.new(token.encode("ascii"), b"qungui csrf", hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac).decode("ascii").rstrip("=")


def _plausible(token: str | None) -> bool:
    return bool(token) and len(token) <= MAX_TOKEN and token.isascii() and token.isprintable()


class SessionStore:
    """Sessions kept in the database (``storage.web_auth.WebSessions``)."""

    def __init__(self, records: WebSessions, *, idle: float = IDLE, max_age: float = MAX_AGE,
                 clock: Clock = utcnow):
        self.records, self.clock = records, clock
        self.idle, self.max_age = timedelta(seconds=idle), timedelta(seconds=max_age)
        self._pruned: datetime | None = None

    async def create(self, account: Account) -> tuple[str, Session]:
        now = self.clock()
        await self._prune(now)
        token = secrets.token_urlsafe(32)
        await self.records.create(digest(token), account, now)
        return token, Session(account.username, account.rooms, csrf_of(token), digest(token))

    async def get(self, token: str | None) -> Session | None:
        if not _plausible(token):
            return None
        id_hash = digest(token)
        stored = await self.records.find(id_hash)
        if stored is None:
            return None
        now = self.clock()
        expired = now - stored.seen_at > self.idle or now - stored.created_at > self.max_age
        account = stored.account
        changed = (account is None or account.stamp != stored.account_stamp
                   or account.rooms != stored.rooms)
        if expired or changed:
            await self.records.end(id_hash)
            return None
        if now - stored.seen_at > timedelta(seconds=TOUCH_EVERY):
            await self.records.touch(id_hash, now, unless_since=now - timedelta(seconds=TOUCH_EVERY))
        return Session(stored.username, stored.rooms, csrf_of(token), id_hash)

    async def end(self, token: str | None) -> None:
        if _plausible(token):
            await self.records.end(digest(token))

    async def _prune(self, now: datetime) -> None:
        if self._pruned and now - self._pruned < timedelta(seconds=PRUNE_EVERY):
            return
        self._pruned = now
        # a margin past the limits, so pruning never races a request deciding on the same rows
        await self.records.prune(seen_before=now - self.idle - timedelta(seconds=PRUNE_EVERY),
                                 created_before=now - self.max_age - timedelta(seconds=PRUNE_EVERY))


@dataclass(frozen=True)
class ThrottlePolicy:
    """How many failed sign-ins lock what, within a sliding ``window``.

    - An account name is locked after ``account_failures`` failures from any
      addresses: while locked, every attempt for it is refused without its
      password being checked, the correct one included.
    - An address is locked after ``address_failures`` failures for any
      names, ten times the account limit: people behind one proxy share an
      address, and ordinary mistakes by a few of them never reach it; it
      takes deliberate guessing across at least ten names. While locked,
      every attempt from it is refused without its password being checked,
      the correct one for an unlocked account included (checking it would
      let a guesser go on spraying one password over many names).
    - Every attempt is counted before its password is checked, and attempts
      still being checked count as failures: however many arrive at once, no
      more passwords are checked than a limit allows.
    - Refused attempts count too (up to twice a limit), so a lock lasts until
      the guessing has stopped for a whole window.
    - A successful sign-in clears its account name's failures (which then
      no longer count for their addresses either); other names' failures
      from its address still count.
    """

    account_failures: int = 5
    address_failures: int = 50
    window: float = 15 * 60


@dataclass(frozen=True)
class Attempt:
    id: int
    username: str
    wait: int                    # 0: go on and check the password; else seconds to wait
    locked: str = ""             # "account" or "address" when refused
    account_count: int = 0       # attempts counted for the name and the address, this one included
    address_count: int = 0


class SignInThrottle:
    """Counts sign-in attempts in the database (shared by every web process,
    kept across restarts) under ``ThrottlePolicy``."""

    def __init__(self, attempts: SignInAttempts, policy: ThrottlePolicy | None = None, *,
                 clock: Clock = utcnow):
        self.attempts, self.clock = attempts, clock
        self.policy = policy or ThrottlePolicy()
        self._pruned: datetime | None = None

    @property
    def window(self) -> timedelta:
        return timedelta(seconds=self.policy.window)

    async def begin(self, username: str, address: str) -> Attempt:
        """Count the attempt, then say whether its password may be checked."""
        p, now = self.policy, self.clock()
        since = now - self.window
        await self._prune(now)
        n = await self.attempts.begin(username, address, now, since=since,
                                      account_limit=p.account_failures,
                                      address_limit=p.address_failures)
        counts = {"account_count": len(n.account_recent), "address_count": len(n.address_recent)}
        keys = {"account": (n.account_recent, p.account_failures),
                "address": (n.address_recent, p.address_failures)}
        over = [kind for kind, (recent, limit) in keys.items() if len(recent) > limit]
        if not over:
            return Attempt(n.id, username, 0, **counts)
        # a refused attempt counts too, but no more than twice the limit are
        # kept per name or address: a burst holds the lock without filling the table
        ranks = dict(zip(("account", "address"),
                         await self.attempts.ranks(n.id, username, address, since=since)))
        kept = any(ranks[kind] < KEEP_REFUSED * keys[kind][1] for kind in over)
        if not kept:
            await self.attempts.withdraw(n.id)
        waits = {kind: self._wait(keys[kind][0], keys[kind][1], now, None if kept else n.id)
                 for kind in over}
        kind = max(waits, key=waits.get)
        return Attempt(n.id, username, waits[kind], kind, **counts)

    def _wait(self, recent, limit: int, now: datetime, without: int | None) -> int:
        """Seconds until fewer than ``limit`` of the counted attempts are in the window."""
        times = [ts for i, ts in recent if i != without]
        return max(1, int((times[limit - 1] + self.window - now).total_seconds()) + 1)

    def failed(self, attempt: Attempt, address: str) -> None:
        """The password was wrong: the attempt stays counted (nothing to
        write). Says in the log when it locks its name or its address; the
        name is not logged, it may be a password typed in the wrong field."""
        if attempt.account_count == self.policy.account_failures:
            log.warning("web sign-in: an account name is locked after %d failures (last from %s)",
                        attempt.account_count, address)
        if attempt.address_count == self.policy.address_failures:
            log.warning("web sign-in: address %s is locked after %d failures",
                        address, attempt.address_count)

    async def succeeded(self, attempt: Attempt) -> None:
        await self.attempts.clear_account(attempt.username, attempt.id,
                                          since=self.clock() - self.window)

    async def _prune(self, now: datetime) -> None:
        if self._pruned and now - self._pruned < timedelta(seconds=PRUNE_EVERY):
            return
        self._pruned = now
        # twice the window: rows a window still counts are never touched
        await self.attempts.prune(now - 2 * self.window)
