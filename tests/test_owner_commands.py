"""Owners' and admins' commands on real storage: who may, what changes, what is
recorded, and that it all survives a restart of the engine."""

from __future__ import annotations

import pytest

from qungui.core.actions import Send, SendPrivate
from qungui.app import build_moderator
from qungui.core.events import Member, RoomSnapshot
from tests.conftest import work_room

ADS = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
CHAT = "周末一起去打羽毛球吧，球馆我订好了"
WEAK_CANVASS = "民主测评的时候帮忙投一下"
CLASSIFIED = "机密★1年 关于城东片区项目用地调整的方案，先发大家看看"


def say(moderator, clock, text, sender="u1", mentions=()):
    return moderator.handle(clock.msg(text, sender, mention_ids=tuple(mentions)))


@pytest.fixture
async def lexicon_moderator(repo, plugins, rulebook, matcher):
    """The lexicons alone: what a threshold or a period does to a finding of
    known score, whatever the decision stage makes of the words."""
    from dataclasses import replace
    book = replace(rulebook, learned=replace(rulebook.learned, enabled=False))
    m = build_moderator(repo, book, plugins, matcher, bot_id="botid", operators=["op1"])
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    return m


async def restarted(repo, plugins, rulebook, matcher) -> Moderator:
    fresh = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", operators=["op1"])
    await fresh.start()
    return fresh


async def make_admin(moderator, clock, member="u2"):
    out = await say(moderator, clock, f"/admin add @{member}", "u1", [member])
    assert out.action == "reply", out


def impostor(moderator):
    """u4 renames themselves to the owner's nickname: still u4."""
    moderator.room("r1").members["u4"] = Member("u4", "李明", "李明-商务局-局长")


# command, mentions, who may (admin|owner), the audit action, a check of the room's view
SETTINGS_CASES = [
    ("/disable ads", (), "admin", "disable", lambda v: not v.rulebook.rules["ads"].enabled),
    ("/停用 广告推销", (), "admin", "disable", lambda v: not v.rulebook.rules["ads"].enabled),
    ("/enable flood", (), "admin", "enable", lambda v: v.raw.get("flood.enabled") is True),
    ("/mode ads private", (), "admin", "mode", lambda v: v.rulebook.rules["ads"].action == "private"),
    ("/模式 闲聊 仅记录", (), "admin", "mode", lambda v: v.rulebook.rules["off_topic"].action == "review"),
    ("/threshold off_topic 0.8", (), "admin", "threshold",
     lambda v: v.rulebook.rules["off_topic"].threshold == 0.8),
    ("/quiet on", (), "admin", "quiet", lambda v: v.quiet),
    ("/静默 开", (), "admin", "quiet", lambda v: v.quiet),
    ("/topic 工会羽毛球比赛组织", (), "admin", "topic", lambda v: v.topic == "工会羽毛球比赛组织"),
    ("/allow 优惠券发放通知", (), "admin", "allow", lambda v: v.allow == (("*", "优惠券发放通知"),)),
    ("/deny 内部价", (), "admin", "deny", lambda v: v.deny == (("off_topic", "内部价"),)),
    ("/禁用词 广告 刷单", (), "admin", "deny", lambda v: v.deny == (("ads", "刷单"),)),
    ("/period election on", (), "admin", "period", lambda v: v.period == "election"),
    ("/敏感期 换届选举 开", (), "admin", "period", lambda v: v.period == "election"),
    ("/report-due 18:00", (), "admin", "report_due", lambda v: v.report_due == "18:00"),
    ("/汇报时间 17:30 不提醒", (), "admin", "report_due",
     lambda v: v.report_due == "17:30" and not v.report_remind),
    ("/admin add @赵强", ("u4",), "owner", "admin_add", lambda v: "u4" in v.admins),
    ("/管理员 添加 @王芳", ("u3",), "owner", "admin_add", lambda v: "u3" in v.admins),
]


@pytest.mark.parametrize("text, mentions, level, action, check", SETTINGS_CASES,
                         ids=[c[0] for c in SETTINGS_CASES])
async def test_settings_command(moderator, repo, clock, plugins, rulebook, matcher,
                                text, mentions, level, action, check):
    # a member wearing the owner's nickname is refused, and the attempt is logged
    impostor(moderator)
    refused = await say(moderator, clock, text, "u4", mentions)
    assert refused.action == "refused"
    assert [a.text for a in refused.actions] == [
        "抱歉，该指令仅限群主或管理员使用。" if level == "admin" else "抱歉，该指令仅限群主使用。"]
    assert not check(await moderator.settings.get("r1"))
    attempt = (await repo.audit_log("r1", limit=1))[0]
    canonical = moderator.commands.find(text.split()[0][1:]).name
    assert (attempt.action, attempt.actor_id, attempt.target) == ("refused", "u4", f"/{canonical}")

    # a delegated admin may where the level allows
    await make_admin(moderator, clock, "u2")
    by_admin = await say(moderator, clock, text, "u2", mentions)
    assert by_admin.action == ("reply" if level == "admin" else "refused")
    if level == "admin":
        assert check(await moderator.settings.get("r1"))
    else:
        assert not check(await moderator.settings.get("r1"))

        # the owner may, and the change is an audit row: who, what, before, after
        by_owner = await say(moderator, clock, text, "u1", mentions)
        assert by_owner.action == "reply" and isinstance(by_owner.actions[0], Send)
        assert check(await moderator.settings.get("r1"))
    row = (await repo.audit_log("r1", limit=1))[0]
    assert row.action == action and row.actor_id == ("u2" if level == "admin" else "u1")
    assert row.after is not None or action == "topic"

    # settings live in storage: a restarted engine on the same database has them
    fresh = await restarted(repo, plugins, rulebook, matcher)
    assert check(await fresh.settings.get("r1"))


async def test_operator_may_do_everything_in_any_room(moderator, clock):
    out = await say(moderator, clock, "/admin add @张伟", "op1", ["u2"])
    assert out.action == "reply"
    out = await say(moderator, clock, "/export", "op1")
    assert any(isinstance(a, SendPrivate) and a.contact_id == "op1" for a in out.actions)


async def test_unchanged_setting_writes_no_audit_row(moderator, repo, clock):
    await say(moderator, clock, "/disable ads")
    again = await say(moderator, clock, "/disable ads")
    assert "无需更改" in again.actions[0].text
    assert [r.action for r in await repo.audit_log("r1")] == ["disable"]


async def test_bad_arguments_are_explained(moderator, repo, clock):
    for text, expected in [("/disable spam", "没有规则"), ("/threshold ads 1.5", "0 到 1"),
                           ("/mode ads shout", "用法"), ("/quiet maybe", "用法"),
                           ("/report-due 25:00", "用法"), ("/allow 优", "至少两个字"),
                           ("/warns", "@ 要操作的成员"), ("/log abc", "用法"), ("/stats 0d", "用法")]:
        out = await say(moderator, clock, text)
        assert out.action == "reply" and expected in out.actions[0].text, (text, out.actions)
    assert await repo.audit_log("r1") == []


async def test_refusal_is_said_once_but_every_attempt_logged(moderator, repo, clock):
    outs = [await say(moderator, clock, "/disable ads", "u3") for _ in range(3)]
    assert [len(o.actions) for o in outs] == [1, 0, 0]
    assert all(o.action == "refused" for o in outs)
    assert [r.action for r in await repo.audit_log("r1")] == ["refused"] * 3


async def test_help_lists_by_level(moderator, clock):
    member = (await say(moderator, clock, "/help", "u3")).actions[0].text
    assert "/appeal" in member and "/申诉" in member and "/举报" in member
    assert "/disable" not in member and "/admin" not in member
    await make_admin(moderator, clock, "u2")
    admin = (await say(moderator, clock, "/帮助", "u2")).actions[0].text
    assert "/disable" in admin and "/警告记录" in admin and "/admin" not in admin
    owner = (await say(moderator, clock, "/help", "u1")).actions[0].text
    assert "/admin" in owner and "/export" in owner


async def test_every_command_has_a_chinese_alias(moderator):
    for cmd in moderator.commands.listing():
        assert any("\u4e00" <= ch <= "\u9fff" for alias in cmd.aliases for ch in alias), cmd.name


# --- the settings take effect -------------------------------------------------------


async def test_disable_mode_and_threshold_take_effect(lexicon_moderator, clock):
    moderator = lexicon_moderator
    await say(moderator, clock, "/disable ads")
    assert (await say(moderator, clock, ADS, "u3")).action == "none"
    await say(moderator, clock, "/enable ads")
    await say(moderator, clock, "/mode ads private")
    out = await say(moderator, clock, ADS + "！", "u3")
    assert out.action == "private" and isinstance(out.actions[0], SendPrivate)
    assert (await say(moderator, clock, CHAT, "u3")).action == "warn"
    await say(moderator, clock, "/threshold off_topic 0.9")
    assert (await say(moderator, clock, CHAT + "。", "u3", )).action == "none"


async def test_quiet_room_logs_and_never_speaks(moderator, repo, clock):
    await say(moderator, clock, "/quiet on")
    out = await say(moderator, clock, ADS, "u3")
    assert out.action == "review" and out.actions == []
    assert (await repo.incidents())[0].action == "review"
    await say(moderator, clock, "/quiet off")
    assert (await say(moderator, clock, ADS + "！", "u3")).action == "warn"


async def test_topic_is_used_by_off_topic(moderator, clock):
    """A match's draw is chit-chat in an investment-promotion room and the
    room's business once its owner says the room organises it. (「周末一起去打
    羽毛球吧」 the decision model calls chit-chat even in that room: the room's
    topic words do not outweigh it; 「周六下午羽毛球比赛，球馆订好了」 the model
    trained on X85–X134 reads as arranging an event, work in any room.)"""
    match = "今晚羽毛球赛第二轮抽签结果出来了，大家看看对手"
    assert (await say(moderator, clock, match, "u3")).action == "warn"
    await say(moderator, clock, "/topic 工会羽毛球比赛组织与报名")
    assert (await say(moderator, clock, match + "！", "u2", )).action == "none"


async def test_room_deny_phrases_are_findings(moderator, repo, clock):
    await say(moderator, clock, "/deny 内部价")
    await say(moderator, clock, "/deny 广告 刷单返现")
    out = await say(moderator, clock, "这个项目有内部价，大家抓紧", "u3")
    assert out.action == "warn" and [f.rule for f in out.findings] == ["off_topic"]
    assert "内部价" in out.findings[0].reason and "群规第1条" in out.actions[0].text
    out = await say(moderator, clock, "招人刷单返现，日结", "u2")
    assert [f.rule for f in out.findings] == ["ads"] and out.action == "warn"
    assert any(t.get("plugin") == "room_deny" for t in out.trace)
    # only in this room
    other = work_room("r2")
    await moderator.handle(RoomSnapshot(other))
    assert (await moderator.handle(clock.msg("这个项目有内部价", "u3", room="r2"))).action == "none"
    # removed again
    await say(moderator, clock, "/deny 删除 内部价")
    assert (await say(moderator, clock, "还有内部价吗", "u3")).action == "none"


async def test_room_deny_and_plugin_on_one_rule_make_one_row(moderator, repo, clock):
    await say(moderator, clock, "/deny 广告 面膜")
    out = await say(moderator, clock, ADS, "u3")
    assert out.action == "warn" and [f.rule for f in out.findings] == ["ads"]
    assert [r.rule for r in await repo.incidents()] == ["ads"]


async def test_allow_list_suppresses_hits_inside_allowed_phrases(moderator, clock):
    text = "代购面膜的广告请大家注意甄别，加微信的都不要理"
    await say(moderator, clock, "/deny 广告 代购")
    assert (await say(moderator, clock, "有代购需求找我", "u3")).action == "warn"
    await say(moderator, clock, "/allow 代购面膜的广告")
    out = await say(moderator, clock, text, "u2")
    assert not any(f.rule == "ads" and "代购" in f.evidence for f in out.findings)
    # the phrase alone is allowed, not the term everywhere
    assert (await say(moderator, clock, "代购找我，价格优惠", "u4")).action == "warn"


async def test_allow_list_never_silences_classified(moderator, repo, clock):
    await moderator.settings.add_allow("r1", "机密★1年 关于城东片区", "reviewer")
    out = await say(moderator, clock, CLASSIFIED, "u3")
    assert out.action == "warn" and out.findings[0].rule == "classified"


async def test_allow_from_another_process_is_seen(moderator, repo, clock, db_url):
    """The web review page writes with its own connection; the bot sees it
    once its cached view expires."""
    from qungui.storage.repository import Repository
    await say(moderator, clock, "/deny 内部价")
    other = await Repository.open(db_url)
    try:
        await other.add_allow_phrase("r1", "内部价格公示", "web:reviewer")
    finally:
        await other.close()
    moderator.settings.ttl = 0
    out = await say(moderator, clock, "请看内部价格公示", "u3")
    assert out.action == "none"
    assert (await moderator.settings.get("r1")).allow == (("*", "内部价格公示"),)


async def test_election_period_weighs_canvassing_more(lexicon_moderator, repo, clock):
    moderator = lexicon_moderator
    quiet = await say(moderator, clock, WEAK_CANVASS, "u3")
    assert quiet.action == "none" and quiet.findings[0].score < 0.6
    await say(moderator, clock, "/period election on")
    out = await say(moderator, clock, WEAK_CANVASS + "。", "u3")
    assert out.action == "warn" and out.findings[0].rule == "vote_buying"
    assert any(isinstance(a, SendPrivate) and a.contact_id == "u1" for a in out.actions)
    status = (await say(moderator, clock, "/status")).actions[0].text
    assert "换届选举敏感期" in status and "拉票贿选（vote_buying）：群内提醒，阈值0.4" in status
    await say(moderator, clock, "/period election off")
    after = await say(moderator, clock, WEAK_CANVASS + "！", "u4")
    assert after.action == "none" and [f.rule for f in after.findings] == ["vote_buying"]


async def test_disabled_rule_stays_off_in_a_period(moderator, clock):
    await say(moderator, clock, "/disable vote_buying")
    await say(moderator, clock, "/period election on")
    assert (await say(moderator, clock, WEAK_CANVASS, "u3")).action == "none"


async def test_delegated_admins_are_exempt_and_removable(moderator, repo, clock):
    await make_admin(moderator, clock, "u2")
    assert (await say(moderator, clock, ADS, "u2")).action == "exempt"
    out = await say(moderator, clock, "/admin remove @张伟", "u1", ["u2"])
    assert "已取消管理员" in out.actions[0].text
    assert (await say(moderator, clock, "/disable ads", "u2")).action == "refused"
    listing = (await say(moderator, clock, "/admin")).actions[0].text
    assert "暂无管理员" in listing
    rows = [r.action for r in await repo.audit_log("r1")]
    assert rows[:3] == ["refused", "admin_remove", "admin_add"]


async def test_status_shows_the_room_and_its_recent_changes(moderator, clock):
    await say(moderator, clock, "/disable ads")
    await say(moderator, clock, "/topic 招商项目洽谈")
    text = (await say(moderator, clock, "/status")).actions[0].text
    assert "广告推销（ads）：已停用" in text and "本群主题：招商项目洽谈" in text
    assert "最近变更" in text and "停用规则 ads.enabled：默认 → 否" in text
