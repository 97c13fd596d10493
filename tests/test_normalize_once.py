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


# --- how many times a message is normalized ----------------------------------

class Normalizations:
    """Counts the texts handed to the normalizer: ``normalize`` (what
    ``make_context`` calls, wherever else it is imported), ``plain_view``
    and ``PlainView.of``."""

    def __init__(self):
        self.texts: list[str] = []
        self.plain: list[str] = []

    def __len__(self) -> int:
        return len(self.texts) + len(self.plain)


@pytest.fixture
def normalizations(monkeypatch, plugins):
    import sys

    from qungui.core import text as text_mod

    counted = Normalizations()
    real_normalize, real_plain = text_mod.normalize, text_mod.plain_view

    def normalize_counted(text):
        counted.texts.append(text)
        return real_normalize(text)

    def plain_counted(text):
        counted.plain.append(text)
        return real_plain(text)

    for name, module in list(sys.modules.items()):
        if not name.startswith("qungui") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if value is real_normalize:
                monkeypatch.setattr(module, attr, normalize_counted)
            elif value is real_plain:
                monkeypatch.setattr(module, attr, plain_counted)
    real_of = text_mod.PlainView.of.__func__
    monkeypatch.setattr(text_mod.PlainView, "of", classmethod(
        lambda cls, text: (counted.plain.append(text), real_of(cls, text))[1]))
    return counted


@pytest.fixture
def engine(plugins, rulebook, matcher):
    from qungui.pipeline.engine import Moderator
    return Moderator(None, rulebook, plugins, matcher)


def history(room_id: str = "r1"):
    """Earlier messages of a room: work talk, an acknowledgement, a repeat,
    an attachment, several senders (flood and off_topic read them all)."""
    from datetime import timedelta
    items = [("u2", "请各单位周五前报送本月招商项目进展", None), ("u3", "收到", None),
             ("u2", "请各单位周五前报送本月招商项目进展", None), ("u4", "材料见附件", "进展表.xlsx"),
             ("u2", "好的，李局", None), ("u3", "周末一起去打羽毛球吧", None)]
    return [Message(f"h{i}", room_id, sender, T0 + timedelta(seconds=10 * i), text=text,
                    file_name=name)
            for i, (sender, text, name) in enumerate(items)]


PLAIN = "明天上午九点在三楼会议室开会，请各科室负责人准时参加"


def later_message(n: int, text: str = PLAIN, sender: str = "u2") -> Message:
    from datetime import timedelta
    return Message(f"m{n}", "r1", sender, T0 + timedelta(minutes=5, seconds=n), text=text)


def test_a_plain_message_is_normalized_once(engine, normalizations):
    room = work_room()
    for msg in history():
        engine.inspect_and_keep(msg, room)
    del normalizations.texts[:], normalizations.plain[:]
    findings, trace = engine.inspect(later_message(1), room)
    assert findings == [] and any(t["plugin"] == "decision" for t in trace)
    assert normalizations.texts == [PLAIN]    # once, by make_context
    assert normalizations.plain == []         # no plain view made again (acknowledgement)


@pytest.mark.parametrize("text", ["收到", "好的，李局", "周末一起去打羽毛球吧", "李局高瞻远瞩，真是英明",
                                  "请各单位周五前报送本月招商项目进展"])
def test_every_rule_reads_the_one_normalization(engine, normalizations, text):
    """An acknowledgement (flood, off_topic, the learned stage ask), chit-chat
    (off_topic looks back), praise of the owner (per sentence) and a repeat
    (flood compares keys with the sender's earlier messages)."""
    room = work_room()
    for msg in history():
        engine.inspect_and_keep(msg, room)
    engine.inspect(later_message(1, text), room)   # what is kept per owner, not per message
    del normalizations.texts[:], normalizations.plain[:]
    engine.inspect(later_message(2, text), room)
    assert normalizations.texts == [text] and normalizations.plain == []


def test_the_owner_s_forms_are_folded_once_per_owner(engine, normalizations):
    from qungui.core.events import Member, Room

    owner = Member("o9", "郑和平", "郑和平-海事局-局长")
    room = Room("r9", "海事工作群", "航运安全", owner.id, {owner.id: owner})
    praise = ["郑局高瞻远瞩，真是英明", "郑局您辛苦了，讲得太好了", "郑和平局长英明"]
    for n, text in enumerate(praise):
        engine.inspect(Message(f"p{n}", "r9", "u2", T0, text=text), room)
    forms = [t for t in normalizations.texts if t not in praise]
    assert sorted(forms) == sorted(set(forms)) and set(forms) >= {"郑和平", "郑局"}


def test_recent_messages_are_normalized_when_they_enter_not_again(engine, normalizations):
    from qungui.core.plugin import Recent

    room = work_room()
    texts = [m.text for m in history()] + [f"第{n}项工作进展：已完成{n}0%" for n in range(40)]
    for n, text in enumerate(texts):
        engine.inspect_and_keep(later_message(n, text, sender=("u2", "u3")[n % 2]), room)
    # one normalization per message, however many earlier ones each looked back on
    assert normalizations.texts == texts and normalizations.plain == []
    kept = list(engine.recent["r1"])
    assert all(isinstance(r, Recent) for r in kept)
    assert [r.key for r in kept] == [normalize(t).key for t in texts[-len(kept):]]


def test_messages_put_in_the_room_from_outside_are_normalized_once(engine, normalizations):
    """Evaluation and tests put bare messages in a room's recent messages:
    each becomes an entry when first read, and is not normalized again."""
    from collections import deque

    earlier = history()
    engine.recent["r1"] = deque(earlier, maxlen=50)
    room = work_room()
    for n in range(5):
        engine.inspect(later_message(n), room)
    assert sorted(normalizations.texts) == sorted([m.text for m in earlier if m.text]
                                                  + [""] * sum(not m.text for m in earlier)
                                                  + [PLAIN] * 5)


async def test_the_live_path_normalizes_each_message_once(moderator, normalizations, clock):
    texts = ["请各单位周五前报送本月招商项目进展", "收到", "请各单位周五前报送本月招商项目进展",
             "周末一起去打羽毛球吧", "请各单位周五前报送本月招商项目进展", PLAIN]
    for text in texts:
        await moderator.handle(clock.msg(text, gap=5))
    assert normalizations.texts == texts and normalizations.plain == []
    assert len(moderator.recent["r1"]) == len(texts)
