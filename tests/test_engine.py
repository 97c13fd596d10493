"""The engine end to end on real storage: decisions, records, actions."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qungui.core.actions import Remove, Send, SendPrivate
from qungui.app import build_moderator
from qungui.core.events import BotAdded, Member, MemberJoined, MessageType
from qungui.core.plugin import Plugin, RuleSpec
from qungui.core.rulebook import Escalation

CLASSIFIED = "机密★1年 关于城东片区项目用地调整的方案，先发大家看看"
ADS = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
CLEAN = "请各单位于周五下班前报送本月招商项目进展，材料发到商务局邮箱。"


async def test_clean_work_talk_is_silent(moderator, repo, clock):
    out = await moderator.handle(clock.msg(CLEAN))
    assert out.action == "none" and out.actions == []
    assert await repo.incidents() == []
    # every message rule ran and left a verdict in the trace, hit or not (a rule
    # that stood down says why), and so did the decision stage; join rules did not run
    message_rules = {r for r in moderator.enabled_params()
                     if moderator.plugins[r].spec.event == "message"}
    assert {t["plugin"] for t in out.trace} == message_rules | {"decision"}
    assert all(t["note"] for t in out.trace if t["plugin"] in message_rules)


async def test_violation_is_recorded_then_warned(moderator, repo, clock):
    out = await moderator.handle(clock.msg(ADS, "u3"))
    assert out.action == "warn"
    send = out.actions[0]
    assert isinstance(send, Send) and send.mention_ids == ("u3",)
    assert "群规第10条" in send.text
    rows = await repo.incidents()
    assert [r.rule for r in rows] == ["ads"]
    assert rows[0].counted and rows[0].action == "warn" and rows[0].warning_text == send.text
    assert rows[0].trace and rows[0].sender_id == "u3"


async def test_classified_is_never_repeated(moderator, repo, clock):
    out = await moderator.handle(clock.msg(CLASSIFIED))
    assert out.action == "warn"
    texts = [a.text for a in out.actions]
    # the owner is told at once (rulebook: notify_owner on classified)
    assert any(isinstance(a, SendPrivate) and a.contact_id == "u1" for a in out.actions)
    for t in texts:
        assert "城东片区" not in t
    row = (await repo.incidents())[0]
    assert row.rule == "classified"
    for stored in (row.evidence, row.excerpt, row.warning_text):
        assert "城东片区" not in stored
    assert "机密★1年" in row.evidence and "sha256:" in row.evidence


async def test_redelivered_message_warns_once(moderator, repo, clock, plugins, rulebook, matcher):
    msg = clock.msg(ADS)
    first = await moderator.handle(msg)
    again = await moderator.handle(msg)
    assert first.action == "warn" and again.action == "duplicate" and again.actions == []
    # a restarted engine has forgotten the id; the database's unique key still holds
    fresh = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid")
    await fresh.start()
    third = await fresh.handle(msg)
    assert third.action == "duplicate" and third.actions == []
    assert len(await repo.incidents()) == 1


async def test_own_messages_are_ignored(moderator, repo, clock):
    out = await moderator.handle(clock.msg(ADS, "botid"))
    assert out.action == "ignored" and out.actions == []
    assert await repo.incidents() == []


class Exploding(Plugin):
    spec = RuleSpec(id="exploding", title="测试", gravity=0)

    def inspect(self, ctx):
        raise RuntimeError("boom")


class Mute(Plugin):
    """Returns nothing: not a verdict, which the engine must refuse."""
    spec = RuleSpec(id="mute", title="测试", gravity=0)

    def inspect(self, ctx):
        return None


async def test_failing_plugin_is_isolated(repo, plugins, rulebook, matcher, clock, caplog):
    from qungui.core.rulebook import RuleConfig
    book = replace(rulebook, rules={"exploding": RuleConfig(), **rulebook.rules})
    m = build_moderator(repo, book, {**plugins, "exploding": Exploding()}, matcher, bot_id="botid")
    out = await m.handle(clock.msg(ADS))
    assert out.action == "warn" and [f.rule for f in out.findings] == ["ads"]
    errors = [t for t in out.trace if t.get("error")]
    assert errors == [{"plugin": "exploding", "error": "RuntimeError: boom"}]
    assert "plugin exploding failed" in caplog.text


async def test_a_rule_that_returns_no_verdict_is_isolated(repo, plugins, rulebook, matcher, clock):
    from qungui.core.rulebook import RuleConfig
    book = replace(rulebook, rules={"mute": RuleConfig(), **rulebook.rules})
    m = build_moderator(repo, book, {**plugins, "mute": Mute()}, matcher, bot_id="botid")
    out = await m.handle(clock.msg(ADS))
    assert out.action == "warn" and [f.rule for f in out.findings] == ["ads"]
    [error] = [t for t in out.trace if t.get("error")]
    assert error["plugin"] == "mute" and "no verdict" in error["error"]


async def test_escalation_notifies_owner_and_pardon_resets(moderator, repo, clock):
    outs = [await moderator.handle(clock.msg(ADS.replace("199", str(199 + i)), "u3", gap=600))
            for i in range(3)]
    assert [o.action for o in outs] == ["warn"] * 3
    owner_notes = [[a for a in o.actions if isinstance(a, SendPrivate) and a.contact_id == "u1"]
                   for o in outs]
    assert [len(n) for n in owner_notes] == [0, 0, 1]
    assert "3次" in owner_notes[2][0].text
    assert "近期第2次" in outs[1].actions[0].text
    await repo.pardon("r1", "u3", "u1", "已当面提醒", ts=clock.t)
    after = await moderator.handle(clock.msg(ADS + "！", "u3", gap=600))
    assert not any(isinstance(a, SendPrivate) for a in after.actions)
    assert "近期第" not in after.actions[0].text


async def test_warnings_outside_window_do_not_count(moderator, clock):
    for i in range(2):
        out = await moderator.handle(clock.msg(ADS + str(i), "u3", gap=600))
        assert out.action == "warn"
    late = await moderator.handle(clock.msg(ADS + "x", "u3", gap=8 * 24 * 3600))
    assert not any(isinstance(a, SendPrivate) for a in late.actions)


async def test_removal_when_rulebook_enables_it(repo, plugins, rulebook, matcher, clock):
    from qungui.core.events import RoomSnapshot
    from tests.conftest import work_room
    book = replace(rulebook, escalation=Escalation(window_days=7, notify_owner_after=2, remove_after=2))
    m = build_moderator(repo, book, plugins, matcher, bot_id="botid")
    await m.handle(RoomSnapshot(work_room()))
    await m.handle(clock.msg(ADS, "u3"))
    out = await m.handle(clock.msg(ADS + "！", "u3", gap=600))
    assert Remove("r1", "u3") in out.actions


async def test_review_only_room_logs_and_never_speaks(repo, plugins, rulebook, matcher, clock):
    from qungui.core.events import RoomSnapshot
    from tests.conftest import work_room
    m = build_moderator(repo, replace(rulebook, mode="review"), plugins, matcher, bot_id="botid")
    await m.handle(RoomSnapshot(work_room()))
    out = await m.handle(clock.msg(CLASSIFIED))
    assert out.action == "review" and out.actions == []
    row = (await repo.incidents())[0]
    assert row.action == "review" and not row.counted


async def test_review_only_rule(repo, plugins, rulebook, matcher, clock):
    rules = dict(rulebook.rules)
    rules["ads"] = replace(rules["ads"], action="review")
    m = build_moderator(repo, replace(rulebook, rules=rules), plugins, matcher, bot_id="botid")
    out = await m.handle(clock.msg(ADS))
    assert out.action == "review" and out.actions == []
    assert (await repo.incidents())[0].action == "review"


async def test_owner_is_never_warned(moderator, repo, clock):
    out = await moderator.handle(clock.msg(ADS, "u1"))
    assert out.action == "exempt" and out.actions == []
    assert (await repo.incidents())[0].action == "exempt"


async def test_private_action_goes_to_sender_only(moderator, clock):
    out = await moderator.handle(clock.msg("中央这个政策就是拍脑袋，根本不切实际，瞎折腾基层"))
    assert out.action == "private"
    assert all(not isinstance(a, Send) for a in out.actions)
    assert out.actions[0].contact_id == "u2"


async def test_red_envelope_by_type(moderator, clock):
    out = await moderator.handle(clock.msg("恭喜发财，大吉大利", type=MessageType.RED_ENVELOPE, amount=200))
    assert out.action == "warn" and out.findings[0].rule == "red_envelope"


async def test_bot_added_posts_greeting_and_rules(moderator, rulebook, clock):
    out = await moderator.handle(BotAdded("r1", clock.t, "u1"))
    text = out.actions[0].text
    assert rulebook.clauses[1] in text and "群规助手" in text


async def test_join_with_bad_nickname_is_reminded(moderator, repo, clock):
    out = await moderator.handle(MemberJoined("r1", Member("u9", "小王", "小王🌸"), clock.t, "u2"))
    assert out.action == "warn" and out.actions[0].mention_ids == ("u9",)
    assert "姓名-单位-职务" in out.actions[0].text
    good = await moderator.handle(MemberJoined("r1", Member("u8", "刘洋", "刘洋-统计局-科员"), clock.t, "u2"))
    assert good.action == "none"
    assert [r.rule for r in await repo.incidents()] == ["realname"]


async def test_oversized_message_is_cut_and_inspected(moderator, clock):
    huge = CLASSIFIED + "。" + "项目进展情况汇报" * 5000
    out = await moderator.handle(clock.msg(huge))
    assert out.action == "warn"
    assert any("cut to" in t.get("note", "") for t in out.trace)


async def test_commands_by_contact_id_not_nickname(moderator, clock):
    room = moderator.room("r1")
    # a member who renamed themselves to the owner's nickname
    room.members["u4"] = Member("u4", "李明", "李明-商务局-局长")
    refused = await moderator.handle(clock.msg("/status", "u4"))
    assert refused.action == "refused" and "仅限群主" in refused.actions[0].text
    ok = await moderator.handle(clock.msg("/status", "u1"))
    assert ok.action == "reply" and "涉密" in ok.actions[0].text
    op = await moderator.handle(clock.msg("/状态", "op1"))
    assert op.action == "reply"
    rules = await moderator.handle(clock.msg("/rules", "u3"))
    assert rules.action == "reply" and "涉密不上网" in rules.actions[0].text
    # not a command: moderated like any message, with one pointer to /help that
    # does not repeat what was typed
    unknown = await moderator.handle(clock.msg("/frobnicate", "u3"))
    assert unknown.action == "none"
    assert [a.text for a in unknown.actions] == ["发送 /help 查看可用指令。"]
    helptext = (await moderator.handle(clock.msg("/help", "u3"))).actions[0].text
    assert "/rules" in helptext and "/status" not in helptext


async def test_a_mistyped_command_is_no_chit_chat(moderator, clock):
    """A slash and a plain word the bot does not know, in a 市委常委群: a
    command mistyped, answered with a pointer to /help and no off-topic
    warning, however its letters read (「/movie」 reads as chit-chat, as
    「/iphone」 did before model N23, and a model once read 「/frobnicate」
    so); other words after a slash are moderated like any message."""
    from qungui.core.events import Room, RoomSnapshot
    from tests.conftest import MEMBERS
    await moderator.handle(RoomSnapshot(Room(
        id="r9", topic="市委常委工作群", purpose="常委会议题沟通、重点工作部署与督办",
        owner_id="u1", members={m.id: m for m in MEMBERS})))
    findings, _ = moderator.inspect(clock.msg("/movie", "u3", room="r9"), moderator.room("r9"))
    assert any(f.rule == "off_topic" and f.score >= moderator.rulebook.rules["off_topic"].threshold
               for f in findings)                 # what the engine's guard is for
    out = await moderator.handle(clock.msg("/movie", "u3", room="r9"))
    assert out.action == "none" and [a.text for a in out.actions] == ["发送 /help 查看可用指令。"]
    assert any("mistyped command" in t.get("note", "") for t in out.trace)
    for text in ("/frobnicate", "/stauts on"):
        again = await moderator.handle(clock.msg(text, "u3", room="r9"))
        assert again.action == "none" and not any(isinstance(a, SendPrivate) for a in again.actions)
    ad = await moderator.handle(clock.msg("/ 招代理，护肤品一手货源，加微信 wx13800000000 详聊",
                                          "u3", room="r9"))
    assert ad.action == "warn"


async def test_a_burst_earns_one_warning(moderator, repo, clock):
    outs = [await moderator.handle(clock.msg("快回复", "u4", gap=5)) for _ in range(7)]
    actions = [o.action for o in outs]
    assert actions.count("warn") == 1 and actions[-1] == "log"
    rows = await repo.incidents(rule="flood")
    assert sum(r.counted for r in rows) == 1 and len(rows) == actions.count("warn") + actions.count("log")
    # after the cooldown the same behaviour is warned again
    later = await moderator.handle(clock.msg("快回复", "u4", gap=600))
    for _ in range(6):
        later = await moderator.handle(clock.msg("快回复", "u4", gap=5))
    assert sum(r.counted for r in await repo.incidents(rule="flood")) == 2


async def test_database_down_the_bot_keeps_moderating_and_keeps_every_record(
        tmp_path, plugins, rulebook, matcher, clock, db_url, caplog):
    from sqlalchemy.ext.asyncio import create_async_engine

    from qungui.core.events import RoomSnapshot
    from qungui.storage.repository import Repository
    from tests.conftest import work_room

    spool = tmp_path / "spool.jsonl"
    # nothing listens on port 1: every statement fails as during a real outage
    down = Repository(create_async_engine("postgresql+asyncpg://postgres@127.0.0.1:1/none"), spool)
    m = build_moderator(down, rulebook, plugins, matcher, bot_id="botid")
    await m.handle(RoomSnapshot(work_room()))
    await m.handle(MemberJoined("r1", Member("u9", "小王", "小王🌸"), clock.t, "u2"))
    out = await m.handle(clock.msg(ADS, "u3"))
    assert out.action == "warn" and out.actions          # still moderating
    clean = await m.handle(clock.msg(CLEAN, "u2"))
    assert clean.action == "none"
    status = await m.handle(clock.msg("/status", "u1"))
    assert "数据库暂不可用" in status.actions[0].text       # says what is wrong
    assert "database unavailable" in caplog.text
    await down.close()
    # the database is back: every record is there
    up = await Repository.open(db_url, spool_path=spool)
    await up.flush_spool()
    rules = sorted(r.rule for r in await up.incidents())
    assert rules == ["ads", "realname"]
    await up.close()


def test_the_gravest_rule_by_its_spec_is_the_one_warned_about(rulebook):
    from qungui.core.plugin import Finding
    from qungui.pipeline import policy
    found = [Finding("off_topic", 0.9, "a", "r"), Finding("ads", 0.7, "b", "r")]
    by_spec = policy.decide(found, rulebook, {"off_topic": 1, "ads": 4}, prior_warnings=0,
                            sender_exempt=False)
    assert by_spec.primary.rule == "ads"
    # the policy names no rule: swap the gravities and the other one leads
    swapped = policy.decide(found, rulebook, {"off_topic": 5, "ads": 4}, prior_warnings=0,
                            sender_exempt=False)
    assert swapped.primary.rule == "off_topic" and swapped.action == "warn"



ADVERT = "本人代购面膜，一盒只要199元，加微信 wx12345 下单"


async def test_a_leading_slash_is_no_way_around_the_rules(moderator, repo, clock):
    for lead in ("/", "／", " /"):
        out = await moderator.handle(clock.msg(lead + ADVERT, "u3", gap=400))
        assert out.action == "warn", lead
        # what is said in the group names the rule, never quotes the text
        assert all("代购" not in a.text for a in out.actions if isinstance(a, Send))
    assert len(await repo.incidents(rule="ads")) == 3


async def test_unknown_commands_get_one_short_answer_per_member(moderator, clock):
    outs = [await moderator.handle(clock.msg(f"/frob{i} 会议细节", "u3", gap=10)) for i in range(30)]
    hints = [a for o in outs for a in o.actions if "/help" in a.text]
    # thirty in five minutes is flooding, and is warned as such
    assert any(o.action == "warn" and o.findings[0].rule == "flood" for o in outs)
    assert len(hints) == 1 and "frob" not in hints[0].text and "细节" not in hints[0].text
    other = await moderator.handle(clock.msg("/frob", "u4", gap=10))
    assert len(other.actions) == 1


async def test_a_known_command_carrying_a_secret_is_moderated(moderator, repo, clock):
    out = await moderator.handle(clock.msg("/help 机密★1年 关于人事调整的通知全文如下", "u3"))
    assert out.action == "warn" and [f.rule for f in out.findings][:1] == ["classified"]
    [row] = await repo.incidents(rule="classified")
    assert "人事调整" not in row.excerpt


async def test_every_classified_message_is_warned_and_reported(moderator, clock):
    outs = [await moderator.handle(clock.msg(f"机密★1年 第{i}号文件全文如下", "u3", gap=20))
            for i in range(3)]
    assert [o.action for o in outs] == ["warn"] * 3
    notes = [a for o in outs for a in o.actions if isinstance(a, SendPrivate) and a.contact_id == "u1"]
    assert len(notes) == 3


class Slow(Plugin):
    """Takes longer than the whole budget the test gives a message."""
    spec = RuleSpec(id="slow", title="测试", gravity=0)

    def inspect(self, ctx):
        import time
        time.sleep(0.2)
        return self.clear("慢")


async def test_a_message_past_its_time_budget_goes_to_review(repo, plugins, rulebook, matcher,
                                                           clock, caplog):
    from qungui.core.rulebook import RuleConfig
    book = replace(rulebook, rules={"slow": RuleConfig(), **rulebook.rules})
    from qungui.core.events import RoomSnapshot
    from tests.conftest import work_room
    # the slow rule is asked first
    m = build_moderator(repo, book, {"slow": Slow(), **plugins}, matcher, bot_id="botid",
                        inspect_budget=0.05)
    await m.handle(RoomSnapshot(work_room()))
    out = await m.handle(clock.msg("机密★1年 会议纪要全文；" + ADS, "u3"))
    # the rules after the slow one were not asked, but the secret rule still was,
    # and nothing goes out as a warning: a reviewer sees it
    asked = {t["plugin"] for t in out.trace}
    assert "classified" in asked and "ads" not in asked and "decision" not in asked
    assert out.action == "review" and out.actions == []
    assert [r.rule for r in await repo.incidents()] == ["classified"]
    assert "budget" in caplog.text
    # evaluation inspects without a budget: every rule is asked
    findings, trace = m.inspect(clock.msg(ADS, "u3"), m.room("r1"))
    assert "ads" in {f.rule for f in findings} and "decision" in {t["plugin"] for t in trace}


async def test_traditional_characters_are_read_and_quoted_as_written(moderator, repo, clock):
    """The rules' own patterns read traditional characters as simplified
    (內部名單我發群裏了 is the leak 内部名单我发群里了 is), and what is stored
    and said quotes what the member wrote, never the simplified reading."""
    out = await moderator.handle(clock.msg("縣裏內部那份重點盯防礦山名單，我發群裏了，大家對照", "u3"))
    assert out.action == "warn"
    [row] = await repo.incidents()
    assert row.rule == "classified" and "sha256:" in row.evidence
    assert "名單" not in row.evidence and "名单" not in row.evidence   # sealed either way
    out = await moderator.handle(clock.msg("李局長高瞻遠矚，跟著您幹心裡踏實👍👍", "u3"))
    praise = [r for r in await repo.incidents() if r.rule == "owner_praise"]
    assert praise and "遠矚" in praise[0].evidence and "远瞩" not in praise[0].evidence
    # a marking kept in sealed evidence and a quote in a reason, as written too
    findings, _ = moderator.inspect(clock.msg("發個我們局《數據開放負面清單（內部）》的截圖到群裏", "u3"),
                                    moderator.room("r1"))
    [secret] = [f for f in findings if f.rule == "classified"]
    assert secret.evidence.startswith("（內部）") and "sha256:" in secret.evidence
    assert "“（內部）”" in secret.reason and "“（内部）”" not in secret.reason
