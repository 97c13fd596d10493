"""/warns, /pardon, /log, /stats, /export, and members' /appeal and /report."""

from __future__ import annotations

from datetime import timedelta

from qungui.core.actions import Send, SendPrivate
from qungui.core.events import PrivateMessage, RoomSnapshot
from tests.conftest import work_room
from tests.test_owner_commands import ADS, CLASSIFIED, impostor, make_admin, restarted, say


async def warn_u3(moderator, clock, times=2):
    for i in range(times):
        clock.t += timedelta(minutes=10)           # past the warning cooldown
        out = await say(moderator, clock, ADS.replace("199", str(300 + i)), "u3")
        assert out.action == "warn"


async def test_warns_resolves_the_mention_not_the_nickname(moderator, clock):
    await warn_u3(moderator, clock)
    impostor(moderator)                               # u4 is now called 李明 too
    # "@李明" typed, but the client mentioned u3: the bot answers about u3
    out = await say(moderator, clock, "/warns @李明", "u1", ["u3"])
    text = out.actions[0].text
    assert text.startswith("王芳-财政局-科员：近7天计入提醒2次") and "广告推销" in text
    # and a mention of the impostor is about the impostor, who has none
    out = await say(moderator, clock, "/警告记录 @李明", "u1", ["u4"])
    assert "计入提醒0次" in out.actions[0].text


async def test_warns_permissions(moderator, repo, clock):
    impostor(moderator)
    assert (await say(moderator, clock, "/warns @王芳", "u4", ["u3"])).action == "refused"
    await make_admin(moderator, clock, "u2")
    assert (await say(moderator, clock, "/warns @王芳", "u2", ["u3"])).action == "reply"


async def test_pardon_is_a_row_and_resets_the_count(moderator, repo, clock, plugins, rulebook,
                                                    matcher):
    await warn_u3(moderator, clock, 2)
    impostor(moderator)
    assert (await say(moderator, clock, "/pardon @王芳", "u4", ["u3"])).action == "refused"
    out = await say(moderator, clock, "/撤销警告 @王芳 已当面说明情况", "u1", ["u3"])
    assert "原计2次" in out.actions[0].text and "已当面说明情况" in out.actions[0].text
    pardons = await repo.incidents(kind="pardon")
    assert len(pardons) == 1 and pardons[0].sender_id == "u3" and pardons[0].reason == "已当面说明情况"
    assert len(await repo.incidents(sender_id="u3")) == 2          # nothing deleted
    audit = (await repo.audit_log("r1", limit=1))[0]
    assert (audit.action, audit.actor_id, audit.target, audit.before["warnings"]) == \
        ("pardon", "u1", "u3", 2)
    fresh = await restarted(repo, plugins, rulebook, matcher)
    assert await fresh.repo.count_warnings("r1", "u3", clock.t - timedelta(days=7)) == 0
    again = await say(fresh, clock, ADS + "。", "u3")
    assert "近期第" not in again.actions[0].text


async def test_admin_may_pardon_others_but_not_themselves(moderator, clock):
    await make_admin(moderator, clock, "u2")
    await warn_u3(moderator, clock, 1)
    assert "原计1次" in (await say(moderator, clock, "/pardon @王芳", "u2", ["u3"])).actions[0].text
    own = await say(moderator, clock, "/pardon @张伟", "u2", ["u2"])
    assert "不能撤销自己" in own.actions[0].text


async def test_log_shows_incidents_and_changes_without_quoting(moderator, clock):
    await warn_u3(moderator, clock, 1)
    await say(moderator, clock, "/disable flood")
    await say(moderator, clock, "/disable ads", "u3")                # refused, logged
    out = await say(moderator, clock, "/log 5")
    text = out.actions[0].text
    assert "王芳-财政局-科员 广告推销（群内提醒）" in text
    assert "停用规则 flood.enabled" in text and "越权尝试 /disable（已拒绝）" in text
    assert "面膜" not in text and "wx123456" not in text
    assert (await say(moderator, clock, "/日志", "u2")).action == "refused"


async def test_stats_counts_the_period(moderator, clock):
    await warn_u3(moderator, clock, 2)
    await say(moderator, clock, "/pardon @王芳", "u1", ["u3"])
    out = await say(moderator, clock, "/stats 7d")
    text = out.actions[0].text
    assert "近7天：发现2次（提醒2次，涉及1人）" in text and "广告推销2次" in text
    assert "撤销警告1次" in text


async def test_stats_window_excludes_older_incidents(moderator, clock):
    await warn_u3(moderator, clock, 1)
    clock.t += timedelta(days=3)
    out = await say(moderator, clock, "/统计 12h")
    assert "近12小时：发现0次" in out.actions[0].text
    out = await say(moderator, clock, "/stats 7")
    assert "近7天：发现1次" in out.actions[0].text


async def test_export_goes_privately_to_the_owner_only(moderator, repo, clock):
    await warn_u3(moderator, clock, 2)
    await make_admin(moderator, clock, "u2")
    assert (await say(moderator, clock, "/export", "u2")).action == "refused"
    impostor(moderator)
    assert (await say(moderator, clock, "/导出", "u4")).action == "refused"
    out = await say(moderator, clock, "/export 30d", "u1")
    group = [a for a in out.actions if isinstance(a, Send)]
    private = [a for a in out.actions if isinstance(a, SendPrivate)]
    assert "私信" in group[0].text and "王芳" not in group[0].text
    assert [p.contact_id for p in private] == ["u1"]
    assert "近30天汇总" in private[0].text and "王芳-财政局-科员 2次" in private[0].text
    assert (await repo.audit_log("r1", limit=1))[0].action == "export"


# --- members --------------------------------------------------------------------


async def test_appeal_lands_in_the_review_queue(moderator, repo, clock):
    await warn_u3(moderator, clock, 1)
    incident = (await repo.incidents(sender_id="u3"))[0]
    out = await say(moderator, clock, "/申诉 这是单位团购通知，不是广告", "u3")
    assert f"第{incident.id}号记录的申诉" in out.actions[0].text
    owner_note = [a for a in out.actions if isinstance(a, SendPrivate)]
    assert owner_note[0].contact_id == "u1" and "不是广告" in owner_note[0].text
    appeals = await moderator.records.appeals("r1")
    assert [(a.incident_id, a.member_id, a.status) for a in appeals] == [(incident.id, "u3", "open")]
    assert appeals[0].reason == "这是单位团购通知，不是广告"
    again = await say(moderator, clock, f"/appeal {incident.id}", "u3")
    assert "已在处理中" in again.actions[0].text
    assert len(await moderator.records.appeals("r1")) == 1


async def test_appeal_only_of_ones_own_warning(moderator, clock, repo):
    await warn_u3(moderator, clock, 1)
    incident = (await repo.incidents(sender_id="u3"))[0]
    out = await say(moderator, clock, f"/appeal {incident.id}", "u2")
    assert out.action == "refused" and "未找到" in out.actions[0].text
    out = await say(moderator, clock, "/appeal", "u4")
    assert "无需申诉" in out.actions[0].text
    assert await moderator.records.appeals("r1") == []


async def test_private_report_hides_the_reporter(moderator, repo, clock):
    out = await moderator.handle(PrivateMessage("p1", "u3", clock.t, "/举报 有人在群里替亲戚的公司揽项目"))
    to_reporter, to_owner = out.actions
    assert to_reporter.contact_id == "u3" and "身份不会告知" in to_reporter.text
    assert to_owner.contact_id == "u1" and "匿名举报" in to_owner.text
    assert "王芳" not in to_owner.text and "u3" not in to_owner.text
    [row] = await repo.incidents(kind="report")
    assert row.sender_id == "" and row.sender_name == "" and row.status == "open"
    assert "揽项目" in row.excerpt and "u3" not in str(row.as_dict())
    # redelivered: filed once
    again = await moderator.handle(PrivateMessage("p1", "u3", clock.t, "/举报 有人在群里替亲戚的公司揽项目"))
    assert again.action == "duplicate"
    assert len(await repo.incidents(kind="report")) == 1


async def test_report_of_classified_text_keeps_only_the_marking(moderator, repo, clock):
    out = await moderator.handle(PrivateMessage("p2", "u2", clock.t, f"/report {CLASSIFIED}"))
    [row] = await repo.incidents(kind="report")
    assert "城东片区" not in row.excerpt + row.evidence and "sha256:" in row.excerpt
    assert all("城东片区" not in a.text for a in out.actions)


async def test_report_in_the_group_is_not_filed(moderator, repo, clock):
    out = await say(moderator, clock, "/举报 某某收红包", "u3")
    assert "私聊" in out.actions[0].text
    assert await repo.incidents(kind="report") == []


async def test_report_asks_which_room_when_in_several(moderator, repo, clock):
    await moderator.handle(RoomSnapshot(work_room("r2")))
    out = await moderator.handle(PrivateMessage("p3", "u3", clock.t, "/report 群里有人发广告"))
    assert "多个群" in out.actions[0].text and await repo.incidents(kind="report") == []
    out = await moderator.handle(PrivateMessage("p4", "u3", clock.t, "/report 2 群里有人发广告"))
    [row] = await repo.incidents(kind="report")
    assert "编号" in out.actions[0].text and row.room_id in ("r1", "r2")


async def test_reports_are_rate_limited(moderator, repo, clock):
    for i in range(6):
        out = await moderator.handle(PrivateMessage(f"q{i}", "u3", clock.t, f"/举报 第{i}件事情要反映"))
    assert out.action == "refused" and len(await repo.incidents(kind="report")) == 5


async def test_other_private_messages_get_the_private_help(moderator, clock):
    out = await moderator.handle(PrivateMessage("p5", "u3", clock.t, "在吗"))
    assert "/举报" in out.actions[0].text and out.actions[0].contact_id == "u3"
    out = await moderator.handle(PrivateMessage("p6", "u3", clock.t, "/disable ads"))
    assert "请在群内发送" in out.actions[0].text
