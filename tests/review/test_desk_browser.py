"""The review desk in headless Chromium, as a reviewer works through it:
the triage queue, next-after-decision with the list's filters kept, bulk
review, keyboard shortcuts, the room's lists and message tester, and the
list and an incident on a 390 px wide phone.

Same browser set-up as ``test_browser`` (Debian's chromium, the playwright
package). With BOT_DESK_SCREENSHOTS=<folder> the pictures the README shows
are written there.
"""

from __future__ import annotations

import os
import re
import sqlite3
from pathlib import Path

import pytest

from tests.review.test_browser import CHROMIUM, LAUNCH_ARGS, PASSWORD, _require_browser, serve
from tests.test_cli import bot

ROOM = "demo-zsyz"
APPEALED = 12          # the demo's ad: a member appeals it


@pytest.fixture
def desk(tmp_path):
    """The demo's incidents (one of them appealed) served by ``bot.py web``."""
    _require_browser()
    path = tmp_path / "bot.sqlite3"
    url_db = f"sqlite:///{path}"
    assert bot("demo", "--db", url_db).returncode == 0
    made = bot("web", "--set-password", "--user", "审核员", "--db", url_db,
               env={"BOT_WEB_PASSWORD": PASSWORD})
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO appeals (room_id, incident_id, member_id, reason, status, ts) "
                   "VALUES (?, ?, 'demo-u2', '我发的是工会团购通知', 'open', '2026-11-20 01:00:00')",
                   (ROOM, APPEALED))
    with serve(url_db) as base:
        yield base


def _shoot(page, tmp_path, name: str) -> None:
    shot = tmp_path / name
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 5_000
    folder = os.environ.get("BOT_DESK_SCREENSHOTS")
    if folder:                      # the README's pictures: the first screenful only, to stay small
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def _sign_in(page, base: str, viewport=None) -> None:
    page.goto(base + "/")
    page.fill("input[name=username]", "审核员")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")


def _ids(page) -> list[int]:
    return [int(t.lstrip("#")) for t in page.locator("table.incidents tbody a.open").all_inner_texts()]


def test_triage_next_bulk_keys_and_room_lists(desk, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            errors = []
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            _sign_in(page, desk)
            expect(page.locator("h1")).to_contain_text("概览")

            # the overview's cards open the saved views
            card = page.locator('a.view-card[data-view="classified"]')
            expect(card.locator("b")).to_have_text("2")
            _shoot(page, tmp_path, "desk-overview.png")
            card.click()
            expect(page).to_have_url(re.compile(r"rule=classified"))
            assert sorted(_ids(page)) == [4, 13]
            expect(page.locator('nav.views a.on')).to_have_text("待审核涉密")

            # the queue: the appealed incident, then by gravity (classified first), oldest first
            page.click('nav.views a[data-view="queue"]')
            expect(page.locator("h1")).to_contain_text("审核队列")
            ids = _ids(page)
            assert ids[:5] == [APPEALED, 4, 13, 7, 8], ids
            assert ids[-2:] == [2, 15]                          # off-topic chat last
            expect(page.locator("table.incidents tbody tr").first.locator(".badge.appeal")).to_have_text("申诉中")
            expect(page.locator("table.incidents tbody tr").nth(1).locator("span.sev")).to_have_text("高")
            expect(page.locator("table.incidents tbody tr").last.locator("span.sev")).to_have_text("低")
            _shoot(page, tmp_path, "desk-queue.png")

            # after a decision, the next incident of the same filtered list
            page.goto(desk + "/incidents?status=open&rule=flood")
            assert _ids(page) == [16, 17, 18, 19, 20]
            page.locator("a.open").first.click()
            expect(page.locator("h1")).to_contain_text("事件 #16")
            page.keyboard.press("c")                            # confirm by keyboard
            expect(page.locator("h1")).to_contain_text("事件 #17")
            expect(page.locator("p.notice")).to_contain_text("事件 #16 已确认违规")
            back = page.locator("#back-to-list").get_attribute("href")
            assert "rule=flood" in back and "status=open" in back
            page.fill("form:has(#dismiss) input[name=note]", "刷屏为转发会议通知")
            page.click("#dismiss")
            expect(page.locator("h1")).to_contain_text("事件 #18")
            page.click("#back-to-list")
            expect(page).to_have_url(re.compile(r"rule=flood"))
            assert _ids(page) == [18, 19, 20]

            # bulk: tick all, one note, dismiss; the same list comes back
            page.check("#all")
            page.fill(".bulkbar input[name=note]", "同一次会议通知的转发")
            page.click("#bulk-dismiss")
            expect(page.locator("p.notice")).to_contain_text("已撤销 3 条")
            expect(page).to_have_url(re.compile(r"rule=flood"))
            expect(page.locator("p.empty")).to_be_visible()
            page.goto(desk + "/incidents/19")
            expect(page.locator("ul.history")).to_contain_text("同一次会议通知的转发")

            # keyboard on the list: j moves the cursor, c confirms the row under it
            page.goto(desk + "/incidents?status=open&rule=off_topic")
            expect(page.locator("#keys")).to_contain_text("j/k")
            assert _ids(page) == [2, 15]
            page.keyboard.press("j")
            expect(page.locator("tr.cursor")).to_have_count(1)
            page.keyboard.press("c")
            expect(page.locator("p.notice")).to_contain_text("已确认 1 条")
            assert _ids(page) == [15]

            # the room's lists: add an allow phrase with a reason, test, remove
            page.goto(desk + f"/rooms/{ROOM}")
            expect(page.locator("h1")).to_contain_text("招商引资专项工作群")
            add = page.locator("form.add-allow")
            add.locator("input[name=phrase]").fill("工会福利")
            add.locator("select[name=rule]").select_option("ads")
            add.locator("input[name=reason]").fill("工会团购通知不是广告")
            add.locator("button").click()
            row = page.locator(".phrases-allow table.phrases tbody tr")
            expect(row).to_have_count(1)
            expect(row).to_contain_text("工会福利")
            expect(row).to_contain_text("审核员")
            expect(row).to_contain_text("工会团购通知不是广告")
            ad = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
            page.fill("textarea[name=text]", ad)
            page.click("#test")
            expect(page.locator("ul.verdict-list li.acts")).to_contain_text("广告推销")
            expect(page.locator("table.verdicts")).to_contain_text("广告推销")
            page.fill("textarea[name=text]", "工会福利：" + ad)
            page.click("#test")
            expect(page.locator("ul.verdict-list li.acts")).to_have_count(0)
            expect(page.locator("table.verdicts tr.down")).to_contain_text("放行")
            _shoot(page, tmp_path, "desk-room.png")
            page.locator(".phrases-allow button.remove").click()
            expect(page.locator("p.notice")).to_contain_text("已删除")
            expect(page.locator(".phrases-allow table.phrases")).to_have_count(0)
            assert not errors, errors
        finally:
            browser.close()


def test_phone_list_as_cards_and_detail_without_sideways_scroll(desk, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            page = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            _sign_in(page, desk)
            expect(page.locator("h1")).to_contain_text("概览")
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
            page.goto(desk + "/incidents?status=open")
            rows = page.locator("table.incidents tbody tr")
            expect(rows.first).to_be_visible()
            assert rows.first.evaluate("r => getComputedStyle(r).display") == "grid"
            assert page.locator("table.incidents thead").evaluate("h => getComputedStyle(h).display") == "none"
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
            page.locator(".bulkbar").scroll_into_view_if_needed()
            _shoot(page, tmp_path, "desk-phone.png")
            rows.nth(1).locator("a.open").click()
            expect(page.locator("h1")).to_contain_text("事件 #4")
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
            page.goto(desk + f"/rooms/{ROOM}")
            assert page.evaluate("document.scrollingElement.scrollWidth") <= 390
        finally:
            browser.close()
