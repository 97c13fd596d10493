"""The work per message grows no faster than the message: counted, not timed.

Every line of the package's own code executed while a message is inspected
is counted (``sys.settrace``, this thread only), once for a text of length n
and once for the same kind of text of length 4n, each after a first run that
fills the per-character caches. Work in proportion to the text makes the
second count about four times the first; work that pairs every cue with
every other, checks every deny hit against every allow hit, or normalizes a
sentence again for every cue makes it about sixteen times. The bound (six
times) leaves room for a fixed cost and for sorting. Past the inspection cap
(``MAX_TEXT``) the count does not grow at all: flood and off_topic read the
capped text and the views kept with each earlier message, never the rest.

Pattern engines working in C (the price pattern on a run of digits) are not
seen by a line count; ``test_bounded_work.py`` runs those inputs with a time
limit.
"""

from __future__ import annotations

import sys
from collections import deque
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from qungui.core.events import CHINA_TZ, MAX_TEXT, Member, Message, Room
from qungui.core.matcher import ALLOW, ALLOW_PHRASE, Matcher
from qungui.core.plugin import Recent, make_context
from qungui.core.text import normalize

PACKAGE = str(Path(__file__).resolve().parents[1] / "qungui")
GROWTH = 6          # at most this many times the work for four times the text


def lines_executed(fn) -> int:
    """Lines of the package's code that ``fn()`` executes."""
    count = 0

    def local(frame, event, arg):
        nonlocal count
        if event == "line":
            count += 1
        return local

    def calls(frame, event, arg):
        return local if frame.f_code.co_filename.startswith(PACKAGE) else None

    sys.settrace(calls)
    try:
        fn()
    finally:
        sys.settrace(None)
    return count


def counted(fn) -> int:
    fn()                    # the caches filled, as in a running bot
    return lines_executed(fn)


OWNER = Member("owner", "李明", "李明-商务局-局长")
SENDER = Member("sender", "张伟", "张伟-商务局-科员")
ROOM = Room("r1", "招商引资专项工作群", "招商项目洽谈与落地", "owner",
            {m.id: m for m in (OWNER, SENDER)})
TS = datetime(2026, 11, 20, 9, tzinfo=CHINA_TZ)


def message(text: str, i: int = 0) -> Message:
    return Message(f"m{i}", "r1", "sender", TS + timedelta(seconds=i), text=text,
                   sender_name="张伟")


@pytest.fixture(scope="module")
def every_rule(plugins, matcher):
    """Every message rule on the whole text (no cap)."""
    params = {name: dict(p.defaults) for name, p in plugins.items()}

    def run(text: str):
        ctx = make_context(message(text), ROOM, matcher, params, max_text=len(text) + 1)
        return [name for name, p in plugins.items()
                if p.spec.event == "message" and p.inspect(ctx).hit]
    return run


def _cycle(unit: str, n: int) -> str:
    return (unit * (n // len(unit) + 1))[:n]


@pytest.mark.parametrize("name, unit, found", [
    # cue pairs: every judgement with every body
    ("criticism", "中央这个政策纯属瞎折腾，根本不考虑基层实际。防止一刀切，上面的政策朝令夕改！",
     "central_policy"),
    ("local criticism", "执行中央文件，县里这个新规不行。市里的政策纯属瞎折腾，", "central_policy"),
    # one sentence (commas do not end one), a cue every few characters
    ("praise", "李局您高瞻远瞩、英明果断，真是太伟大了，字字珠玑，", "owner_praise"),
    ("directive words", "李局英明，指出的英明，强调的英明，", "owner_praise"),
    # many allow-listed phrases around many terms
    ("allowed phrases", "各位领导，", None),
    ("contacts", "电话13812345678 座机0571-88886666 邮箱tea.shop@example.com 网址shop.example.com ",
     None),
    ("internal matters", "考察对象，标底。举报人　的\n查了下", None),
    ("scares", "自来水自来水水库“死了 ", None),
    # refusals beside one's own tie, not-out words, sends beside an internal title
    ("refusals", "我老乡想让我帮忙，我回绝了，", None),
    ("not-out words", "还没对外", None),
    ("sends", "（内部）截图", None),
])
def test_every_rule_works_in_proportion_to_the_text(every_rule, name, unit, found):
    n = 3_000
    short = counted(lambda: every_rule(_cycle(unit, n)))
    long = counted(lambda: every_rule(_cycle(unit, 4 * n)))
    assert long <= GROWTH * short, (name, short, long)
    if found:
        assert found in every_rule(_cycle(unit, n))


def test_allow_hits_against_deny_hits_in_proportion():
    """Thousands of terms each inside an allowed phrase (of the lexicon, of
    the room, of every rule): the sift is not all against all."""
    base = Matcher([("x", "terms", "黄片"), ("x", ALLOW, "三黄片"), ("*", ALLOW, "黄片儿"),
                    ("y", "terms", "内部价")])
    room = base.extended([("*", ALLOW_PHRASE, "内部价格表"), ("x", "room_deny", "三黄")],
                         frozenset({"y"}))

    def sizes(m, unit):
        short = counted(lambda: m.scan(normalize(unit * 1_000)))
        long = counted(lambda: m.scan(normalize(unit * 4_000)))
        return short, long

    for m in (base, room):
        short, long = sizes(m, "三黄片，黄片儿。黄片；内部价格表")
        assert long <= GROWTH * short, (short, long)
    found = room.scan(normalize("三黄片，黄片；内部价格表"))
    # the room's 三黄 lies inside the allowed 三黄片, the lone 黄片 is reported;
    # 内部价 is of a rule the room's phrases may not silence: still reported
    assert [h.quote for h in found["x"]] == ["黄片"] and found["y"][0].quote == "内部价"


@pytest.fixture(scope="module")
def moderator(plugins, rulebook, matcher):
    from qungui.pipeline.engine import Moderator
    return Moderator(None, rulebook, plugins, matcher)


@pytest.mark.parametrize("unit", [
    "今天下午三点在三楼会议室开会，请各科室负责人准时参加。",
    "中央这个政策纯属瞎折腾，根本不考虑基层实际。",
])
def test_past_the_cap_the_engine_does_no_more(moderator, unit):
    """A message of 2 and of 8 times the cap, after 49 earlier ones as long
    from the same sender: the same work (flood and off_topic read the kept
    views of the capped texts, normalization stops at the cap)."""
    def run(length: int):
        text = _cycle(unit, length)
        history = [Recent.of(replace(message(text[i:] + str(i), i), id=f"h{i}"))
                   for i in range(49)]
        moderator.recent[ROOM.id] = deque(history, maxlen=50)
        try:
            return moderator.inspect(message(text + "。", 60), ROOM)
        finally:
            moderator.recent.pop(ROOM.id, None)

    at_two = counted(lambda: run(2 * MAX_TEXT))
    at_eight = counted(lambda: run(8 * MAX_TEXT))
    assert at_eight <= 1.2 * at_two, (at_two, at_eight)
    findings, _ = run(2 * MAX_TEXT)
    assert "flood" in {f.rule for f in findings}
