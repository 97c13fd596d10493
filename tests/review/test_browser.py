"""The review page in headless Chromium, as a reviewer uses it: sign in,
filter, open an incident, dismiss it, see it leave the open list.

Needs Debian's ``chromium`` (``.ci/run`` installs it) and the ``playwright``
package from the test extras, which drives the system browser. Under
CI=true a missing browser fails the test; elsewhere it is skipped with the
reason shown.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_cli import ROOT, bot

CHROMIUM = os.environ.get("BOT_TEST_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
LAUNCH_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
               "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "browser-test-password"


def _require_browser():
    why = None
    if not Path(CHROMIUM).exists():
        why = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    else:
        try:
            import playwright.sync_api  # noqa: F401
        except ImportError:
            why = "the playwright package is not installed (pip install -e '.[test]')"
    if why:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the browser test must run under CI=true: {why}")
        pytest.skip(why)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve(url_db: str):
    """``bot.py web`` over ``url_db`` on a free local port, with none of the
    caller's BOT_ settings: yields its address once /healthz answers."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    proc = subprocess.Popen([sys.executable, str(ROOT / "bot.py"), "web", "--port", str(port),
                             "--db", url_db], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=1):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise AssertionError(f"bot.py web did not start: {proc.stdout.read()}")
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture
def site(tmp_path):
    """The demo's incidents served by ``bot.py web`` on a free local port."""
    _require_browser()
    url_db = f"sqlite:///{tmp_path}/bot.sqlite3"
    assert bot("demo", "--db", url_db).returncode == 0
    made = bot("web", "--set-password", "--user", "审核员", "--db", url_db,
               env={"BOT_WEB_PASSWORD": PASSWORD})
    assert made.returncode == 0, made.stderr
    with serve(url_db) as base:
        yield base


def test_sign_in_filter_open_dismiss(site, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            console_errors = []
            page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

            page.goto(site + "/")
            expect(page).to_have_url(re.compile(r"/login\?next="))
            page.fill("input[name=username]", "审核员")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            expect(page.locator("h1")).to_contain_text("概览")
            expect(page.locator("svg.chart").first).to_be_visible()
            shot = tmp_path / "overview.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 10_000
            if os.environ.get("BOT_OVERVIEW_SCREENSHOT"):       # refreshes the README picture
                shutil.copy(shot, os.environ["BOT_OVERVIEW_SCREENSHOT"])

            page.click("header nav >> text=事件列表")
            page.select_option("select[name=rule]", "ads")
            page.click("form.filters button[type=submit]")
            expect(page).to_have_url(re.compile(r"rule=ads"))
            rows = page.locator("table.list tbody tr")
            expect(rows).to_have_count(1)
            expect(rows.first).to_contain_text("广告推销")
            link = rows.first.locator("a").first
            incident = link.inner_text().lstrip("#")

            link.click()
            expect(page.locator("h1")).to_contain_text(f"事件 #{incident}")
            expect(page.locator("li.flagged mark").first).to_be_visible()
            page.fill("form:has(#dismiss) input[name=note]", "浏览器测试：误报")
            page.click("#dismiss")
            # the only ad: no next one in that list, so back to it, its filter kept
            expect(page).to_have_url(re.compile(r"rule=ads"))
            expect(page.locator("p.notice")).to_contain_text("已撤销 1 条")
            page.goto(site + f"/incidents/{incident}")
            expect(page.locator("h1 .badge")).to_have_text("误报已撤销")
            expect(page.locator("ul.history")).to_contain_text("审核员：撤销（误报）")

            page.click("header nav >> text=事件列表")              # the open list
            expect(page).to_have_url(re.compile(r"status=open"))
            expect(page.locator(f'a[href^="/incidents/{incident}?"]')).to_have_count(0)
            assert page.locator("table.list tbody tr").count() > 0
            assert not console_errors, console_errors               # e.g. CSP violations
        finally:
            browser.close()
