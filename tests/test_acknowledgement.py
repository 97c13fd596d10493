"""Acknowledgements (收到 / 好的 / 👍) and hostile runs of punctuation.

The acknowledgement pattern runs on every message (flood, the decision
stage). A nested quantifier once made "？"×24 + "吗" take about two minutes
and froze every room; the strings below would take far longer than a day
with it. They run in a child process so a regression fails instead of
hanging the suite.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from qungui.core.text import is_acknowledgement

HOSTILE = ['"？" * 40 + "吗"', '"👍" * 40 + "好吗"', '"嗯" * 40 + "吗"', '"+1" * 40 + "吗"',
           '"？" * 200_000 + "吗"']


@pytest.mark.parametrize("text, ack", [
    ("收到", True), ("好的👍", True), ("收到，李局", True), ("嗯嗯嗯", True), ("+1", True),
    ("okay", True), ("已收到！！", True), ("？？？", True),
    ("我们周末去吃饭吧", False), ("明天上午九点开会", False), ("？？？吗", False), ("ok吧", True),
    # the answer has gone by private message
    ("我私你了", True), ("我有 私你了", True), ("已私聊您", True), ("我私下问问", False),
    ("私聊吧", False),
    # a thanks answered
    ("不客气哈，应该的", True), ("应该的应该的", True), ("不用谢😊", True), ("好嘞", True),
    ("不客气，明天九点来拿材料", False), ("哈哈哈哈", False),
    # a remark taken back after a word from the owner
    ("开玩笑的开玩笑的，明白", True), ("好好，随口一说，不作数", True),
    ("开玩笑的，周末去钓鱼吧", False),
])
def test_acknowledgements(text, ack):
    assert is_acknowledgement(text) is ack


@pytest.mark.parametrize("expr", HOSTILE)
def test_hostile_runs_are_answered_at_once(expr):
    code = f"from qungui.core.text import is_acknowledgement as a; print(a({expr}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
