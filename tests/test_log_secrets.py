"""The token and the database password are never written anywhere: the
filter on the root logger's handlers masks them in every record of every
logger, in its arguments, its exception and traceback and its stack."""

from __future__ import annotations

import io
import logging

import pytest

from qungui.cli import _logs
from tests.test_cli import bot

TOKEN = "puppet_secret_4c1f9e2b7a"
PASSWORD = "hunter2-db-pass"


@pytest.fixture
def stream():
    buf = io.StringIO()
    _logs.install("DEBUG", [TOKEN, PASSWORD], stream=buf)
    yield buf
    _logs.install("WARNING", stream=io.StringIO())
    _logs.SECRETS.secrets.clear()


def clean(text: str) -> None:
    assert TOKEN not in text and PASSWORD not in text, text
    assert "***" in text


@pytest.mark.quick
def test_every_logger_message_arguments_exception_and_stack(stream, tmp_path):
    logging.getLogger("some.library").warning("connecting with %s", TOKEN)
    logging.getLogger("qungui.storage").info("url %s", f"postgresql://bot:{PASSWORD}@db/bot")
    # a URL's password is masked even when it is not a known secret
    logging.getLogger("x").error("proxy at http://me:other-pass@proxy:3128/")
    try:
        try:
            raise ConnectionError(f"cannot reach postgresql://bot:{PASSWORD}@db/bot")
        except ConnectionError as inner:
            raise RuntimeError(f"token {TOKEN} refused") from inner
    except RuntimeError:
        logging.getLogger("qungui.channels.wechaty").exception("failed")
    logging.getLogger("y").warning("here %s", TOKEN, stack_info=True)
    # a handler added later (the run command's log file) is guarded too
    handler = _logs.log_to_file(tmp_path / "logs" / "bot.log", logging.DEBUG)
    logging.getLogger("z").warning("late %s", TOKEN)
    handler.flush()
    text = stream.getvalue()
    clean(text)
    assert "other-pass" not in text and "Traceback" in text and "RuntimeError" in text
    assert "ConnectionError" in text and "Stack (most recent call last)" in text
    clean((tmp_path / "logs" / "bot.log").read_text(encoding="utf-8"))


def test_the_discovery_url_exception_of_the_wechat_channel(stream, monkeypatch):
    """Without an endpoint the puppet service asks a discovery URL that holds
    the token; the error it raises carries that URL."""
    import requests
    import wechaty_puppet_service.puppet as service

    from qungui.channels import wechaty
    from qungui.config import Settings

    def unreachable(url, *args, **kwargs):     # the WeChat side's discovery server
        raise requests.exceptions.ConnectionError(
            f"HTTPSConnectionPool(host='api.chatie.io', port=443): Max retries exceeded with "
            f"url: {url.split('api.chatie.io')[-1]} (Caused by NameResolutionError)")

    monkeypatch.setattr(service.requests, "get", unreachable)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_TOKEN", raising=False)
    monkeypatch.delenv("WECHATY_PUPPET_SERVICE_ENDPOINT", raising=False)
    puppet = wechaty.puppet_service(Settings(puppet_token=TOKEN))
    with pytest.raises(requests.exceptions.ConnectionError) as caught:
        puppet._init_puppet()
    assert TOKEN in str(caught.value)            # the exception itself does carry it
    log = logging.getLogger("qungui.channels.wechaty")
    log.error("puppet service connection failed: %s",
              f"{type(caught.value).__name__}: {str(caught.value)[:300]}")
    try:
        raise caught.value
    except requests.exceptions.ConnectionError:
        log.exception("puppet service connection failed")
    text = stream.getvalue()
    clean(text)
    assert "hosties/***" in text


def test_the_cli_masks_the_database_password(tmp_path):
    res = bot("--log-level", "DEBUG", "log", "--db",
              f"postgresql://postgres:{PASSWORD}@127.0.0.1:1/none")
    assert res.returncode == 2 and "cannot reach the database" in res.stderr
    assert PASSWORD not in res.stderr + res.stdout
