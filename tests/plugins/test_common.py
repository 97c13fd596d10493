"""The shared helpers that pair cues: the same answers as the plain loops
they replace, without looking at every pair."""

from __future__ import annotations

import random

from qungui.core.matcher import Hit
from qungui.core.plugin import make_context
from qungui.core.text import normalize
from qungui.plugins._common import (_CLAUSE_END, close_pairs, first_pair, governed_by,
                                    sentence_index, sentence_starts)
from tests.plugins.conftest import message

TEXT = "中央的政策，防止一刀切。上面又出新规了！纯属瞎折腾；大家怎么看？\n好的，收到。防止形式主义、官僚主义"


def all_pairs(text, first, second, max_gap):
    """What rules used to compute: every pair, in order."""
    starts = sentence_starts(text)
    return [(a, b) for a in first for b in second
            if not (a is b or (a.start == b.start and a.end == b.end))
            and abs(sentence_index(starts, b.start) - sentence_index(starts, a.start)) <= max_gap]


def clause_before(text, hit):
    start = 0
    for m in _CLAUSE_END.finditer(text, 0, hit.start):
        start = m.end()
    return normalize(text[start:hit.start]).plain


def random_hits(rng, text, n):
    hits = []
    for _ in range(n):
        a = rng.randrange(0, len(text))
        hits.append(Hit("r", "c", "t", a, min(len(text), a + rng.randrange(1, 4)), ""))
    return hits


def test_first_pair_is_the_first_of_all_pairs(matcher, params, room):
    ctx = make_context(message(TEXT), room, matcher, params)
    rng = random.Random(11)
    for _ in range(2000):
        first = random_hits(rng, TEXT, rng.randrange(0, 6))
        second = random_hits(rng, TEXT, rng.randrange(0, 6)) + first[:rng.randrange(0, 2)]
        for gap in (0, 1, 2):
            pairs = all_pairs(TEXT, first, second, gap)
            assert first_pair(ctx, first, second, gap) == (pairs[0] if pairs else None)


def test_governed_by_reads_the_clause_before_the_hit(matcher, params, room):
    ctx = make_context(message(TEXT), room, matcher, params)
    words = ["防止", "杜绝", "一刀切", "形式", "官僚主义", "收"]
    governed = governed_by(ctx, words)
    for start in range(len(TEXT)):
        hit = Hit("r", "c", "t", start, start + 1, TEXT[start])
        assert governed(hit) == any(w in clause_before(TEXT, hit) for w in words), start
    assert not governed_by(ctx, [])(Hit("r", "c", "t", 20, 21, ""))


def nearest_before(text, first, b, max_chars):
    """What close_pairs answers for b, by looking at every hit of first."""
    before = [a for a in first if a.end <= b.start and b.start - a.end <= max_chars
              and not _CLAUSE_END.search(text, a.end, b.start)]
    if not before:
        return None
    nearest = max(a.end for a in before)
    # the nearest by end; among hits ending there, the one sorted last
    return [a for a in sorted(first, key=lambda h: h.end) if a.end == nearest][-1]


def test_close_pairs_is_the_nearest_hit_before_in_the_clause(matcher, params, room):
    ctx = make_context(message(TEXT), room, matcher, params)
    rng = random.Random(7)
    for _ in range(2000):
        first = random_hits(rng, TEXT, rng.randrange(0, 6))
        second = random_hits(rng, TEXT, rng.randrange(0, 6))
        for gap in (0, 3, 12):
            want = [(a, b) for b in second
                    if (a := nearest_before(TEXT, first, b, gap)) is not None]
            assert close_pairs(ctx, first, second, gap) == want
