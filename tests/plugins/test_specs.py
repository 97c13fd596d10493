"""The rule contract as every rule keeps it: a RuleSpec of its own, typed
parameters, a note wherever it stands down, and realname's group command."""

from __future__ import annotations

import asyncio

import pytest

from qungui.core.command import ADMIN, Reply, RuleCommand
from qungui.core.events import Member, Message, Room
from qungui.core.plugin import JoinContext, Param, ParamError, RuleSpec, make_context
from qungui.plugins.realname import (
    REALNAME_OFF, RealName, names_all_good, names_wrong,
)
from tests.plugins.conftest import T0, check_verdict

# From the gravest down: the order in which a message breaking several rules is warned about.
ORDER = ("classified", "central_policy", "vote_buying", "red_envelope", "cronyism", "rumor",
         "gossip", "owner_praise", "ads", "realname", "flood", "off_topic")


def test_every_rule_has_a_spec_of_its_own(plugins):
    assert set(ORDER) <= set(plugins)
    for name, plugin in plugins.items():
        assert isinstance(type(plugin).__dict__.get("spec"), RuleSpec), name
        assert plugin.spec.id == plugin.name == name
        assert plugin.spec.title and plugin.title == plugin.spec.title
    specs = [p.spec for p in plugins.values()]
    assert len({s.id for s in specs}) == len(specs)
    assert len({s.title for s in specs}) == len(specs)
    assert len({s.gravity for s in specs}) == len(specs)


def test_gravity_keeps_the_priority_order(plugins):
    by_gravity = sorted(plugins, key=lambda n: plugins[n].spec.gravity, reverse=True)
    # a new rule slots in anywhere; the known rules keep their order
    assert tuple(n for n in by_gravity if n in ORDER) == ORDER


def test_params_have_help_and_valid_defaults(plugins):
    for name, plugin in plugins.items():
        for key, param in plugin.spec.params.items():
            assert isinstance(param, Param), (name, key)
            assert param.help.strip(), (name, key)
            assert param.validate(param.default) == param.default, (name, key)
        assert plugin.defaults == {k: p.default for k, p in plugin.spec.params.items()}


def test_join_rule_and_message_rules(plugins):
    assert plugins["realname"].spec.event == "join"
    assert all(p.spec.event == "message" for n, p in plugins.items() if n != "realname")
    classified = plugins["classified"].spec
    assert classified.secret and not classified.room_allow


@pytest.mark.parametrize("text", ["收到", "明天上午九点开会，请准时参加。", ""])
def test_every_stand_down_has_a_note(plugins, matcher, params, room, text):
    msg = Message("m1", room.id, "u2", T0, text=text)
    ctx = make_context(msg, room, matcher, params)
    for name, plugin in plugins.items():
        verdict = plugin.inspect(ctx)
        check_verdict(verdict, name)
        assert not verdict.hit, (name, verdict)
        assert verdict.note.strip()


def test_join_verdicts_have_notes(plugins, params, room):
    for alias, hit in (("张伟-商务局-科员", False), ("小王", True)):
        ctx = JoinContext(room=room, member=Member("u9", "", alias), params=params, ts=T0)
        for name, plugin in plugins.items():
            verdict = plugin.on_join(ctx)
            check_verdict(verdict, name)
            assert verdict.hit == (hit and name == "realname"), (name, alias)


@pytest.mark.parametrize("rule, key, value", [
    ("classified", "header_chars", "x"),
    ("classified", "header_chars", 1.5),
    ("classified", "header_chars", True),
    ("realname", "pattern", "("),
    ("realname", "pattern", 3),
    ("realname", "example", ["张伟-商务局-科员"]),
    ("red_envelope", "text_score", "高"),
    ("flood", "max_messages", 0),
])
def test_a_wrong_param_is_rejected(plugins, rule, key, value):
    with pytest.raises(ParamError):
        plugins[rule].spec.params[key].validate(value)


@pytest.mark.parametrize("rule, key, value", [
    ("classified", "header_chars", 20),
    ("red_envelope", "text_score", 1),
    ("realname", "pattern", r"^[\u4e00-\u9fa5]{2,4}-\d{4}$"),
])
def test_a_right_param_is_accepted(plugins, rule, key, value):
    assert plugins[rule].spec.params[key].validate(value) == value


def test_realname_brings_checknames():
    [(cmd, method)] = [(c, m) for c, m in RealName.commands if c.name == "checknames"]
    assert method == "checknames" and callable(getattr(RealName, method))
    assert cmd.level == ADMIN
    assert cmd.help == "检查群昵称是否符合实名格式"
    assert set(cmd.aliases) == {"检查昵称", "实名检查"}
    assert asyncio.iscoroutinefunction(RealName.checknames)


BOT = Member("bot", "群规助手", "")
ADMIN_MEMBER = Member("u1", "李明", "李明-商务局-局长")


def checknames(plugins, members, params, sender="u1"):
    room = Room("r1", "招商引资专项工作群", "招商项目洽谈与落地", "u1",
                {m.id: m for m in members})
    msg = Message("m1", "r1", sender, T0, text="/checknames")
    cmd = RuleCommand(room=room, message=msg, args=[], params=params, bot_id=BOT.id)
    return asyncio.run(plugins["realname"].checknames(cmd))


def test_checknames_mentions_the_wrong_nickname(plugins, params):
    bad = Member("u7", "Tony", "小王")
    good = Member("u8", "张伟", "张伟-商务局-科员")
    reply = checknames(plugins, [ADMIN_MEMBER, BOT, good, bad], params["realname"])
    assert isinstance(reply, Reply)
    assert reply.text == names_wrong(1, "张伟-商务局-科员")
    assert reply.mentions == ("u7",)


def test_checknames_does_not_mention_the_sender(plugins, params):
    bad = Member("u7", "Tony", "小王")
    reply = checknames(plugins, [ADMIN_MEMBER, BOT, bad], params["realname"], sender="u7")
    assert reply.text == names_wrong(1, "张伟-商务局-科员") and reply.mentions == ()


def test_checknames_all_good_counts_every_member(plugins, params):
    good = Member("u8", "张伟", "张伟-商务局-科员")
    reply = checknames(plugins, [ADMIN_MEMBER, BOT, good], params["realname"])
    assert reply == Reply(names_all_good(3))


def test_checknames_uses_the_rooms_params(plugins):
    custom = {"pattern": r"^[\u4e00-\u9fa5]{2,4}-\d{4}$", "example": "张伟-2025"}
    members = [Member("u7", "", "张伟-2025"), Member("u8", "", "张伟-商务局-科员")]
    reply = checknames(plugins, [BOT, *members], custom)
    assert reply.text == names_wrong(1, "张伟-2025") and reply.mentions == ("u8",)


def test_checknames_when_the_rule_is_off(plugins):
    assert checknames(plugins, [ADMIN_MEMBER, Member("u7", "", "小王")], None) == Reply(REALNAME_OFF)
