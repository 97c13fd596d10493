"""Fixtures for plugin tests: the real lexicons, the real plugins, one room."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qungui.core.events import CHINA_TZ, Member, Message, MessageType, Room
from qungui.core.matcher import Matcher, load_lexicons
from qungui.core.plugin import JoinContext, Verdict, make_context
from qungui.plugins import load_plugins

ROOT = Path(__file__).resolve().parents[2]
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ)

OWNER = Member("u1", "李明", "李明-商务局-局长")
MEMBERS = {m.id: m for m in (
    OWNER,
    Member("u2", "张伟", "张伟-商务局-科员"),
    Member("u3", "王芳", "王芳-发改局-副主任"),
    Member("u4", "赵强", "赵强-投促中心-科员"),
)}


@pytest.fixture(scope="session")
def plugins():
    return load_plugins()


@pytest.fixture(scope="session")
def matcher():
    return Matcher(load_lexicons(ROOT / "qungui" / "rules" / "lexicons"))


@pytest.fixture(scope="session")
def params(plugins):
    return {name: dict(plugin.defaults) for name, plugin in plugins.items()}


@pytest.fixture
def room():
    return Room(id="r1", topic="招商引资专项工作群", purpose="招商项目洽谈与落地",
                owner_id=OWNER.id, members=dict(MEMBERS))


def message(text: str = "", *, sender: str = "u2", type: MessageType = MessageType.TEXT,
            ts: datetime = T0, id: str = "m1", mentions: tuple[str, ...] = (),
            file_name: str | None = None, amount: float | None = None) -> Message:
    return Message(id=id, room_id="r1", sender_id=sender, ts=ts, type=type, text=text,
                   sender_name=MEMBERS.get(sender, Member(sender)).name,
                   mention_ids=mentions, file_name=file_name, amount=amount)


@pytest.fixture
def inspect(plugins, matcher, params, room):
    """inspect(rule, text_or_message, room=..., recent=...) -> that rule's findings."""

    def run(rule: str, msg, *, room: Room = room, recent=(), max_text=None, **kw):
        if isinstance(msg, str):
            msg = message(msg, **kw)
        ctx = make_context(msg, room, matcher, params, recent=list(recent), max_text=max_text)
        # as the engine gives them: evidence quoting what was written (遠矚, not 远瞩)
        return [ctx.as_written(f) for f in findings_of(plugins[rule].inspect(ctx), rule)]

    return run


@pytest.fixture
def join(plugins, params, room):
    def run(member: Member, *, rule_params=None):
        p = dict(params)
        if rule_params:
            p["realname"] = {**p["realname"], **rule_params}
        ctx = JoinContext(room=room, member=member, params=p, ts=T0)
        return findings_of(plugins["realname"].on_join(ctx), "realname")

    return run


def check_verdict(verdict, rule: str) -> None:
    """A well-formed verdict: the rule's own; a hit has a score in [0, 1] and
    a one-line reason, a stand-down says why."""
    assert isinstance(verdict, Verdict), verdict
    assert verdict.rule == rule
    if verdict.hit:
        f = verdict.finding
        assert f.rule == rule and 0.0 <= f.score <= 1.0
        assert f.reason and "\n" not in f.reason
        assert verdict.note == ""
    else:
        assert verdict.note.strip(), f"{rule} stood down without a note"


def findings_of(verdict, rule: str) -> list:
    """The verdict as a list of findings (empty or one), checked first."""
    check_verdict(verdict, rule)
    return [verdict.finding] if verdict.hit else []


def top(findings) -> float:
    """The highest score among findings, 0 when there are none."""
    return max((f.score for f in findings), default=0.0)


THRESHOLD = 0.6


def later(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)
