"""One multi-pattern automaton over every lexicon of every rule.

Lexicon terms are folded with ``core.text.fold`` and compiled once into a
single Aho-Corasick automaton (ahocorasick-rs); one pass over a message's key
view finds every term of every rule, overlaps included. Hits are then
dispatched by rule and cue.

Allow-list entries (cue ``allow``, of a rule or of ``*`` for all rules) are
patterns in the same automaton: a deny hit lying inside a longer allowed hit
is dropped, so ``三黄片`` allowed suppresses ``黄片`` there and only there.
Only a longer one: a lexicon's ``[allow]`` section lists the phrases in which
a shorter term is harmless, and may list one of its own terms there too
(``工作顺利`` is an off-topic greeting and keeps ``顺利`` from being one).
A phrase someone allowed as a whole (cue ``allow_phrase``: a room's allow
phrases) also covers a term equal to it: allowing the very word that
triggered a false alarm silences that word.
Terms that begin or end with an ASCII letter or digit match whole words only
(``sex`` is not found in ``Middlesex``, ``69`` not in ``695``).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass
from itertools import accumulate
from typing import Iterable

import ahocorasick_rs

from qungui.core.text import Normalized, fold, is_word_char

ALLOW = "allow"
# an allowed phrase that also covers a term equal to it (a room's allow phrases)
ALLOW_PHRASE = "allow_phrase"
ALLOW_CUES = frozenset({ALLOW, ALLOW_PHRASE})
ALL_RULES = "*"


@dataclass(frozen=True, slots=True)
class Hit:
    rule: str
    cue: str
    term: str          # the lexicon entry as written
    start: int         # in the original text
    end: int
    quote: str         # original[start:end]: what the sender wrote


class Spans:
    """Spans (start, end) indexed so that "does one of them contain this
    span?" is a bisection, not a loop over all of them: a message with many
    hits of two kinds is checked in O(n log n), never all against all."""

    def __init__(self, spans: Iterable):
        """``spans``: hits, or anything else with ``start`` and ``end``."""
        ordered = sorted((s.start, s.end) for s in spans)
        self._starts = [a for a, _ in ordered]
        self._reach = list(accumulate((b for _, b in ordered), max))  # furthest end so far
        self._longest: dict[int, int] = {}        # start -> furthest end of a span starting there
        for a, b in ordered:
            self._longest[a] = b

    def __bool__(self) -> bool:
        return bool(self._starts)

    def covers(self, start: int, end: int) -> bool:
        """One of the spans contains [start, end) (the same span counts)."""
        i = bisect_right(self._starts, start)
        return i > 0 and self._reach[i - 1] >= end

    def covers_longer(self, start: int, end: int) -> bool:
        """One of the spans contains [start, end) and is longer than it."""
        i = bisect_left(self._starts, start)
        if i > 0 and self._reach[i - 1] >= end:
            return True          # starts before it and reaches its end: longer
        return self._longest.get(start, -1) > end


@dataclass(frozen=True, slots=True)
class _Entry:
    rule: str
    cue: str
    term: str
    word_start: bool   # needs a word boundary before
    word_end: bool     # needs a word boundary after


# an automaton of at most this many terms (a room's own phrases) is built as
# a contiguous NFA: the smallest form (about 3 KB for 20 phrases), built in
# a fraction of a millisecond
SMALL = 256


class Matcher:
    def __init__(self, entries: Iterable[tuple[str, str, str]]):
        by_key: dict[str, list[_Entry]] = defaultdict(list)
        for rule, cue, term in entries:
            key = fold(term)
            if not key:
                continue
            by_key[key].append(_Entry(rule, cue, term,
                                      key[0].isascii() and key[0].isalnum(),
                                      key[-1].isascii() and key[-1].isalnum()))
        self._keys = list(by_key)
        self._entries = [by_key[k] for k in self._keys]
        self._automaton = None
        if self._keys:
            small = len(self._keys) <= SMALL
            self._automaton = ahocorasick_rs.AhoCorasick(
                self._keys, store_patterns=False,
                **({"implementation": ahocorasick_rs.Implementation.ContiguousNFA}
                   if small else {}))

    @property
    def rules(self) -> frozenset[str]:
        """The rules with an entry here."""
        return frozenset(e.rule for es in self._entries for e in es)

    @property
    def _source(self) -> tuple[tuple[str, str, str], ...]:
        """The entries, as (rule, cue, term)."""
        return tuple((e.rule, e.cue, e.term) for es in self._entries for e in es)

    def extended(self, extra: Iterable[tuple[str, str, str]],
                 never_allowed: frozenset[str] = frozenset()) -> "Matcher":
        """This matcher with ``extra`` entries beside these (a room's own
        allow and deny phrases): a small automaton over ``extra`` alone,
        scanned after this one, whose findings are sifted together with this
        one's as if both were one automaton. This one is shared, not copied:
        the room's part costs memory and build time in proportion to its
        own phrases. An ``allow_phrase`` entry of ``extra`` never silences a
        rule of ``never_allowed``, whether filed for it or for every rule."""
        return Layered(self, Matcher(extra), never_allowed)

    def __len__(self) -> int:
        return sum(len(es) for es in self._entries)

    def scan(self, norm: Normalized, rules: frozenset[str] | None = None) -> dict[str, list[Hit]]:
        """All hits by rule, allow-listed ones removed, in text order."""
        deny, allow = self._hits(norm, rules)
        return sift(deny, allow)

    def allowed(self, norm: Normalized) -> list[Hit]:
        """The allow entries found in the text (cue ``allow`` or
        ``allow_phrase``), in text order: which allowed phrases a message
        contains."""
        return sorted(self._hits(norm, None)[1], key=lambda h: (h.start, -h.end))

    def _hits(self, norm: Normalized, rules: frozenset[str] | None) -> tuple[list[Hit], list[Hit]]:
        """Every entry found in the text, as (terms, allow entries)."""
        if self._automaton is None or not norm.key:
            return [], []
        original = norm.original
        deny: list[Hit] = []
        allow: list[Hit] = []
        for index, kstart, kend in self._automaton.find_matches_as_indexes(norm.key, overlapping=True):
            a, b = norm.key_span(kstart, kend)
            for entry in self._entries[index]:
                if rules is not None and entry.rule not in rules and entry.rule != ALL_RULES:
                    continue
                if entry.word_start and a > 0 and is_word_char(original[a - 1]):
                    continue
                if entry.word_end and b < len(original) and is_word_char(original[b]):
                    continue
                hit = Hit(entry.rule, entry.cue, entry.term, a, b, original[a:b])
                (allow if entry.cue in ALLOW_CUES else deny).append(hit)
        return deny, allow


class Layered(Matcher):
    """A shared matcher and a room's own small one, read as one: the same
    hits, sifted by the same allow entries, as one automaton over both sets
    of entries would find (``Matcher.extended``)."""

    def __init__(self, base: Matcher, own: Matcher, never_allowed: frozenset[str] = frozenset()):
        self.base, self.own = base, own
        self.never_allowed = frozenset(never_allowed)

    @property
    def rules(self) -> frozenset[str]:
        return self.base.rules | self.own.rules

    @property
    def _source(self) -> tuple[tuple[str, str, str], ...]:
        return self.base._source + self.own._source

    def extended(self, extra: Iterable[tuple[str, str, str]],
                 never_allowed: frozenset[str] = frozenset()) -> Matcher:
        return Layered(self.base, Matcher(self.own._source + tuple(extra)),
                       self.never_allowed | never_allowed)

    def __len__(self) -> int:
        return len(self.base) + len(self.own)

    def scan(self, norm: Normalized, rules: frozenset[str] | None = None) -> dict[str, list[Hit]]:
        deny, allow = self.base._hits(norm, rules)
        own_deny, own_allow = self.own._hits(norm, rules)
        deny += own_deny
        if not self.never_allowed:
            return sift(deny, allow + own_allow)
        # the room's allow entries filed for a rule they may not silence are
        # none here; those filed for every rule cover every other rule
        everywhere = [h for h in own_allow if h.rule == ALL_RULES]
        own_allow = [h for h in own_allow
                     if h.rule != ALL_RULES and h.rule not in self.never_allowed]
        return sift(deny, allow + own_allow, everywhere, self.never_allowed)

    def _hits(self, norm: Normalized, rules: frozenset[str] | None) -> tuple[list[Hit], list[Hit]]:
        deny, allow = self.base._hits(norm, rules)
        own_deny, own_allow = self.own._hits(norm, rules)
        return deny + own_deny, allow + own_allow


def sift(deny: list[Hit], allow: list[Hit], guarded_allow: list[Hit] = (),
         guarded: frozenset[str] = frozenset()) -> dict[str, list[Hit]]:
    """The deny hits by rule, in text order, without those an allow entry
    covers: a deny hit inside a longer allowed hit of its rule (or of every
    rule) is dropped; inside an allowed phrase (``allow_phrase``) of the same
    length too. ``guarded_allow`` are allow entries of every rule that cover
    no rule of ``guarded`` (a room's phrases never silence classified).
    Each deny hit is looked up in the allow entries by bisection:
    O((d + a) log a), never all against all."""
    if not deny:
        return {}
    if not allow and not guarded_allow:
        # nothing allowed in the text (most messages): every deny hit stands
        return _by_rule(deny)
    fenced = Spans(h for h in guarded_allow if h.cue == ALLOW_PHRASE)
    fenced_longer = Spans(h for h in guarded_allow if h.cue != ALLOW_PHRASE)
    longer: dict[str, list[Hit]] = defaultdict(list)
    same: dict[str, list[Hit]] = defaultdict(list)
    for al in allow:
        (same if al.cue == ALLOW_PHRASE else longer)[al.rule].append(al)
    allowed = {rule: Spans(hits) for rule, hits in longer.items()}
    phrases = {rule: Spans(hits) for rule, hits in same.items()}
    everywhere = allowed.get(ALL_RULES)
    everywhere_phrase = phrases.get(ALL_RULES)
    kept: list[Hit] = []
    for hit in deny:
        own = allowed.get(hit.rule)
        own_phrase = phrases.get(hit.rule)
        if ((own is not None and own.covers_longer(hit.start, hit.end))
                or (everywhere is not None and everywhere.covers_longer(hit.start, hit.end))
                or (own_phrase is not None and own_phrase.covers(hit.start, hit.end))
                or (everywhere_phrase is not None
                    and everywhere_phrase.covers(hit.start, hit.end))
                or (hit.rule not in guarded
                    and ((fenced and fenced.covers(hit.start, hit.end))
                         or (fenced_longer and fenced_longer.covers_longer(hit.start, hit.end))))):
            continue
        kept.append(hit)
    return _by_rule(kept)


def _by_rule(hits: list[Hit]) -> dict[str, list[Hit]]:
    """Hits by rule (rules in order of their first hit), each rule's in text order."""
    result: dict[str, list[Hit]] = {}
    for hit in hits:
        result.setdefault(hit.rule, []).append(hit)
    for rule_hits in result.values():
        if len(rule_hits) > 1:
            rule_hits.sort(key=_text_order)
    return result


def _text_order(hit: Hit) -> tuple[int, int]:
    return hit.start, -hit.end


def read_lexicon(path) -> list[tuple[str, str, str]]:
    """Read ``rules/lexicons/<rule>.txt``: ``[cue]`` headers, one term a line.

    ``#`` starts a comment; terms before any header belong to cue ``terms``.
    The rule id is the file name without ``.txt``; ``_allow.txt`` holds
    allow-list entries for every rule.
    """
    from pathlib import Path

    path = Path(path)
    rule = ALL_RULES if path.stem == "_allow" else path.stem
    cue = ALLOW if rule == ALL_RULES else "terms"
    entries = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("[") and line.endswith("]"):
            cue = line[1:-1].strip()
            if not cue:
                raise ValueError(f"{path}:{lineno}: empty section name")
            continue
        entries.append((rule, cue, line))
    return entries


def load_lexicons(directory) -> list[tuple[str, str, str]]:
    from pathlib import Path

    entries = []
    for path in sorted(Path(directory).glob("*.txt")):
        entries.extend(read_lexicon(path))
    return entries


def outermost(hits: list[Hit]) -> list[Hit]:
    """Hits not lying inside a longer hit: the longest match at each place
    (``我的`` inside ``我的世界`` is dropped, a lone ``我的`` is kept)."""
    longer = Spans(hits)
    return [h for h in hits if not longer.covers_longer(h.start, h.end)]
