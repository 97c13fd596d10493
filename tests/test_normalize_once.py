"""One normalization per message: what is cut from a view instead of
normalizing again, and how many times the engine normalizes.

``Normalized.plain_of`` and ``key_of`` give the views of a slice of the
text from the whole text's views; ``is_acknowledgement_plain`` answers from
a plain view already made. They must answer exactly as normalizing the
slice would, or a rule's findings would change.
"""

from __future__ import annotations

import random

import pytest

from qungui.core.events import Message
from qungui.core.plugin import make_context
from qungui.core.text import (is_acknowledgement, is_acknowledgement_plain, normalize,
                              plain_view)
from tests.conftest import T0, work_room

# Characters whose views interact: repeats that collapse in the key view
# (好好, 李李, ff), digits (never collapsed), characters with no key view
# (punctuation, spaces, zero-width, combining marks), characters with a
# view of several characters (ﬀ, ﬃ, ㍱, ⑩, Ⅻ), traditional characters,
# full-width letters and Chinese numerals.
ALPHABET = (list("好好的。，  李局李abcAB1122ﬀﬃ㍱⑩①零一二,.!？😀收到ok嗯嗯臺灣")
            + ["\u200b", "\u0301", "\ufeff", "Ⅻ", "ＡＢ", "ｆ", "F", "\n"])


def random_texts(count: int, seed: int = 7):
    rng = random.Random(seed)
    for _ in range(count):
        yield "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 16))), rng


def test_views_of_a_slice_are_those_of_the_slice_normalized():
    for text, rng in random_texts(4000):
        whole = normalize(text)
        for _ in range(6):
            a = rng.randint(0, len(text))
            b = rng.randint(a, len(text))
            own = normalize(text[a:b])
            assert whole.plain_of(a, b) == own.plain, (text, a, b)
            assert whole.key_of(a, b) == own.key, (text, a, b)


@pytest.mark.parametrize("text, start, end, key", [
    ("好。好的", 2, 4, "好的"),          # 好 collapsed into the one before the cut
    ("李局：李局长好", 3, 7, "李局长好"),
    ("ff。ﬃ", 3, 4, "fi"),               # the slice's one character has a view of three
    ("李，，，李", 1, 5, "李"),           # only separators before the repeat
    ("11。1", 3, 4, "1"),                # digits are never collapsed
    ("好。。", 1, 3, ""),
])
def test_a_repeat_cut_from_the_one_before_it(text, start, end, key):
    assert normalize(text).key_of(start, end) == key == normalize(text[start:end]).key


def test_acknowledgement_from_a_plain_view():
    for text in ("收到", "好的👍", "收到，李局", "嗯嗯嗯", "+1", "okay", "已收到！！", "？？？",
                 "我们周末去吃饭吧", "明天上午九点开会", "？？？吗", "ok吧", "好的书记", "ＯＫ"):
        assert is_acknowledgement_plain(normalize(text).plain) is is_acknowledgement(text)
        assert is_acknowledgement_plain(plain_view(text)) is is_acknowledgement(text)
    for text, _ in random_texts(2000, seed=3):
        assert is_acknowledgement_plain(normalize(text).plain) is is_acknowledgement(text)


@pytest.mark.parametrize("text, file_name", [
    ("收到", None), ("收到", "会议纪要.docx"), ("", "收到.docx"), ("好的李局", "x"),
    ("明天上午九点开会", None), ("明天上午九点开会", "【机密】方案.pdf"), ("ＯＫ", "ＯＫ"),
])
def test_the_context_answers_from_its_own_views(matcher, text, file_name):
    msg = Message("m1", "r1", "u2", T0, text=text, file_name=file_name)
    ctx = make_context(msg, work_room(), matcher, {})
    assert ctx.acknowledgement is is_acknowledgement(text)
    assert ctx.text_acknowledgement is is_acknowledgement(ctx.text)
    assert ctx.file_name_plain == (normalize(file_name).plain if file_name else "")
