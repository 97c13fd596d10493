"""Hostile messages: the work per message stays bounded, nothing freezes.

Long runs once made the pattern engine or a rule's pairing super-linear: a
run of letters took seconds in the e-mail pattern, a run of digits minutes
in the price pattern, repeated criticism of central policy paired every cue
with every other, a long sentence of praise was normalized again for every
cue, the allow-list was checked all against all. These inputs would take
minutes to hours on that code. Each runs in a child process with a generous
time limit, so a regression fails the test instead of hanging the suite;
they are not timing tests.

Most run every rule on the whole text (``make_context`` with no cap), which
is stricter than the engine, which inspects the first ``MAX_TEXT``
characters; the engine's own path is exercised with a 1 MB message and a
history of them. A classified marking is found wherever it is.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
TIMEOUT = 60     # seconds; the inputs below take well under 5 s on one core

# Every message rule of the package on the whole text (no cap), in a room
# with an owner: prints the rules that found something.
ALL_RULES = """
import json, sys
from datetime import datetime
from qungui.core.events import CHINA_TZ, Member, Message, Room
from qungui.core.matcher import Matcher, load_lexicons
from qungui.core.plugin import make_context
from qungui.plugins import load_plugins
from qungui.rules import data_path

text = {expr}
owner = Member("owner", "李明", "李明-商务局-局长")
sender = Member("sender", "张伟", "张伟-商务局-科员")
room = Room("r1", "招商引资专项工作群", "招商项目洽谈与落地", "owner",
            {{m.id: m for m in (owner, sender)}})
msg = Message("m1", "r1", "sender", datetime(2026, 11, 20, 9, tzinfo=CHINA_TZ), text=text,
              sender_name="张伟")
plugins = load_plugins()
params = {{name: dict(p.defaults) for name, p in plugins.items()}}
matcher = Matcher(load_lexicons(data_path("lexicons")))
ctx = make_context(msg, room, matcher, params, max_text=len(text) + 1)
assert not ctx.truncated
found = [name for name, p in plugins.items()
         if p.spec.event == "message" and p.inspect(ctx).hit]
print(json.dumps(sorted(found)))
"""

# The engine's own path (all rules of the default rulebook, the decision
# stage, the cap): ``count`` messages in a row from one sender, after
# ``history`` earlier ones of theirs, each kept in the room's recent messages
# as the engine keeps them. Prints the rules that found something.
ENGINE = """
import json
from collections import deque
from dataclasses import replace
from datetime import timedelta
from qungui.app import load_parts
from qungui.pipeline.engine import Moderator
from qungui.pipeline.evaluation import load_groups, sample_from_dict
from qungui.rules import data_path

text = {expr}
plugins, rulebook = load_parts(data_path("default.yaml"))
moderator = Moderator(None, rulebook, plugins)
sample = sample_from_dict({{"text": text, "group": "committee"}}, "test", 1, set(plugins),
                          load_groups(None))
history = [replace(sample.message, id=f"h{{i}}", text=text[i:] + str(i),
                   ts=sample.message.ts - timedelta(seconds=60 - i)) for i in range({history})]
moderator.recent[sample.room.id] = deque(history, maxlen=50)
found = set()
for n in range({count}):
    msg = replace(sample.message, id=f"m{{n}}", text=text + str(n) if n else text)
    findings, trace = moderator.inspect_and_keep(msg, sample.room)
    found.update(f.rule for f in findings)
print(json.dumps(sorted(found)))
"""


def run_child(template: str, expr: str, **fields) -> list[str]:
    code = textwrap.dedent(template).format(expr=expr, **fields)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_letters_in_contacts():
    """A run of letters without @: the e-mail pattern used to try every start."""
    code = textwrap.dedent("""
        from qungui.core import contacts
        from qungui.core.text import normalize
        text = ("abcdefghijklmnop" * 12_500)[:200_000]   # no vx, wx or qq in it
        found = contacts.contacts(normalize(text)) + contacts.number_runs(normalize(text))
        print(len(found))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "0"


@pytest.mark.parametrize("name, expr, expected", [
    ("letters", '(__import__("string").ascii_lowercase * 8000)[:200_000]', []),
    ("digits", '"1234567890" * 20_000', []),
    ("letters and dots", '"a." * 100_000 + "1"', []),
    ("spaces after a price word", '"原价" + " " * 100_000 + "一盒" + " " * 100_000', []),
    ("contacts", '"电话13812345678 座机0571-88886666 邮箱tea.shop@example.com 网址shop.example.com "'
                 ' * 20_000', []),
    ("allowed phrases", '"各位领导" * 50_000', []),
    ("criticism", '"中央这个政策纯属瞎折腾，根本不考虑基层实际。防止一刀切，上面的政策朝令夕改！" * 2500',
     ["central_policy"]),
    # thousands of judgements aimed at local bodies, then one at the centre
    ("local criticism", '"执行中央文件，县里这个新规不行。市里的政策纯属瞎折腾，" * 2500'
                        ' + "国务院这个文件纯属折腾基层"', ["central_policy"]),
    # internal matters without a sign that they are let out, then one with it
    ("internal matters", '"考察对象，标底。举报人　的\\n查了下" * 20_000 + "任免还没公示"',
     ["classified"]),
    # scares: many subjects and what is said of them, open quotes, counts of the dead
    ("scares", '"自来水自来水水库“死了 " * 20_000 + "被污染了" + "“" * 50_000 + "死了" + " " * 50_000',
     ["rumor"]),
    # one sentence (commas do not end one) of 20,000 characters
    ("praise", '"李局您高瞻远瞩、英明果断，真是太伟大了，字字珠玑，" * 800', ["owner_praise"]),
    # every cue after directive words, none of them an instruction (no 要 before it)
    ("directive words", '"强调高瞻远瞩" * 20_000', []),
    # a described marking's verb, then spaces, again and again: the spaces
    # before a level once split three ways at every start
    ("spaces after a marking verb", '("标注" + " " * 2000 + "x") * 50', []),
    # quotes opened and never closed, around an attachment's tag and a red
    # envelope's emoji: each quote is cut at the next one
    ("open quotes", '"「[图片]身份证号都在上面🧧" * 10_000 + "「" + "x" * 100_000', ["classified"]),
    # a price word and then a run of digits: the price pattern read from every digit
    # (12 s for 20,000; ads records its reading of 单位结算, a unit's own purchase); a run
    # of red-envelope emoji (5 s for 20,000)
    ("digits after a price word", '"单位结算" + "2" * 100_000', ["ads"]),
    ("red-envelope emoji", '"🧧" * 100_000', []),
])
def test_every_rule_on_a_long_hostile_text(name, expr, expected):
    found = run_child(ALL_RULES, expr)
    # flood fires on any message over its length limit; the others must not
    # fire on noise, and must still find what is there
    assert [r for r in found if r != "flood"] == expected, name


def test_repeated_criticism_through_the_engine():
    found = run_child(ENGINE, '("中央这个政策纯属瞎折腾，根本不考虑基层实际。防止一刀切，"'
                              ' * 1000)[:20_000]', history=0, count=1)
    assert "central_policy" in found


def test_praise_sentence_through_the_engine():
    # one sentence as long as the cap (commas do not end one), many cues after 指出 and 强调
    found = run_child(ENGINE, '("王书记英明，指出的英明，强调的英明，" * 2000)[:20_000]',
                      history=0, count=1)
    assert "owner_praise" in found


def test_megabyte_messages_after_a_history_of_them():
    """Three 1 MB messages from a sender whose last 49 were as long: each is
    inspected up to the cap, and the history is not normalized again."""
    found = run_child(ENGINE, '("今天下午三点在三楼会议室开会，请各科室负责人准时参加。" * 40_000)'
                              '[:1_000_000]', history=49, count=3)
    assert "flood" in found        # over the length limit, and repeated


def test_a_classified_marking_after_the_cap_is_found():
    """The marking scan reads the whole text, whatever the cap on the rest."""
    filler = '"今天下午三点在三楼会议室开会，请各科室负责人准时参加。" * 2000'
    found = run_child(ENGINE, f'({filler})[:50_000] + "机密★1年 关于市管干部调整的初步方案"',
                      history=0, count=1)
    assert "classified" in found
    found = run_child(ENGINE, f'({filler} * 20)[:999_990] + "秘密 保密期限：6个月"',
                      history=0, count=1)
    assert "classified" in found


def test_a_card_without_closing_tags():
    """A card's fields are found without reading the card once per opening tag."""
    code = textwrap.dedent("""
        from qungui.channels.cards import describe_payload
        from qungui.core.events import MessageType
        print(repr(describe_payload(MessageType.URL, "<title>" * 200_000 + "<des>" * 200_000, "")))
    """)
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "('', None, None)"
