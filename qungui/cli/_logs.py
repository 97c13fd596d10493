"""The CLI's logging: one handler on standard error (and, for ``run``, a
file in the data folder), each with a filter that masks the secrets — the
puppet token and the database password — in every record of every logger,
its arguments, its exception and traceback and its stack included."""

from __future__ import annotations

import logging
import logging.handlers
import re
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
MASK = "***"
# user:password@ in any URL (a database URL, a proxy) whatever the password
_URL_PASSWORD = re.compile(r"(\b[a-zA-Z][\w+.-]*://[^:/@\s]*:)[^@\s/]+@")


class SecretFilter(logging.Filter):
    """Masks every known secret, and any URL's password, in a record."""

    def __init__(self, secrets=()):
        super().__init__()
        self.secrets: set[str] = {s for s in secrets if s}

    def add(self, *secrets: str) -> None:
        self.secrets.update(s for s in secrets if s)

    def mask(self, text: str) -> str:
        for secret in sorted(self.secrets, key=len, reverse=True):
            text = text.replace(secret, MASK)
        return _URL_PASSWORD.sub(rf"\1{MASK}@", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a bad format string still gets masked
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.mask(message), ()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.mask(record.exc_text)
        if record.stack_info:
            record.stack_info = self.mask(record.stack_info)
        return True


SECRETS = SecretFilter()
_OURS: list[logging.Handler] = []


def install(level: str, secrets=(), stream=None) -> None:
    """The root logger at ``level`` with one standard-error handler; the
    secret filter on every handler the root has."""
    root = logging.getLogger()
    for handler in _OURS:
        root.removeHandler(handler)
        handler.close() if isinstance(handler, logging.FileHandler) else None
    _OURS.clear()
    SECRETS.add(*secrets)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(logging.Formatter(FORMAT))
    root.addHandler(handler)
    _OURS.append(handler)
    root.setLevel(getattr(logging, level.upper(), logging.WARNING))
    guard_handlers()


def log_to_file(path: Path, level: int = logging.INFO) -> logging.Handler:
    """A rotating log file (5 × 5 MB) on the root, masked like the rest."""
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.handlers.RotatingFileHandler(path, maxBytes=5 * 2**20, backupCount=5,
                                                   encoding="utf-8")
    handler.setFormatter(logging.Formatter(FORMAT))
    handler.setLevel(level)
    logging.getLogger().addHandler(handler)
    _OURS.append(handler)
    guard_handlers()
    return handler


def guard_handlers() -> None:
    """Put the secret filter on every handler of the root logger."""
    for handler in logging.getLogger().handlers:
        if SECRETS not in handler.filters:
            handler.addFilter(SECRETS)
