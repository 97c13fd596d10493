"""Small helpers shared by the rule plugins.

Most rules fire on a *combination* of cues (a target and a judgement, a
claim and a push to spread it) found in the same sentence, and stand down
when the message is a notice, warning or rebuttal that merely quotes the
offence. These helpers keep that logic in one place.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from functools import lru_cache
from typing import Callable, Iterable, Sequence

from qungui.core.events import Member
from qungui.core.matcher import Hit
from qungui.core.plugin import Context

# Sentence boundaries in the original text. A comma does not end a sentence:
# 「中央这个政策，纯属瞎折腾」 is one judgement.
_SENTENCE_END = re.compile(r"[。！？!?；;\n]+")


@lru_cache(maxsize=8)
def sentence_starts(text: str) -> tuple[int, ...]:
    """Start offsets of the sentences of ``text`` (always begins with 0).

    Cached: every rule asking about the same message's sentences shares one
    pass over it."""
    return (0,) + tuple(m.end() for m in _SENTENCE_END.finditer(text) if m.end() < len(text))


def sentence_index(starts: Sequence[int], pos: int) -> int:
    return bisect_right(starts, pos) - 1


# what a message quotes of others' messages (「王芳：[图片]」): cut at the next
# 「, so the search stays linear
_QUOTED = re.compile(r"「[^「」]{0,1000}」")


def own_words(ctx: Context) -> str:
    """The text without what it quotes of others' messages (computed once per
    message): a tag written there ([图片], [红包]) is someone else's."""
    return ctx.once("own_words", lambda c: _QUOTED.sub("", c.text))


def cue_hits(ctx: Context, rule: str, *cues: str) -> list[Hit]:
    """The rule's hits of these cues, cue by cue (a new list)."""
    groups = ctx.cues(rule)
    if not groups:
        return []
    if len(cues) == 1:
        return list(groups.get(cues[0], ()))
    return [h for cue in cues for h in groups.get(cue, ())]


def has_cue(ctx: Context, rule: str, *cues: str) -> bool:
    return ctx.has_cue(rule, *cues)


class Near:
    """Hits of one kind filed by sentence, so that finding one near another
    hit looks at a few sentences, not at every hit of the message."""

    def __init__(self, ctx: Context, hits: Iterable[Hit]):
        self._starts = sentence_starts(ctx.text)
        self._by_sentence: dict[int, list[tuple[int, Hit]]] = {}
        for order, hit in enumerate(hits):
            self._by_sentence.setdefault(self.sentence(hit), []).append((order, hit))

    def sentence(self, hit: Hit) -> int:
        return sentence_index(self._starts, hit.start)

    def partner(self, a: Hit, max_gap: int = 0) -> Hit | None:
        """The first hit (in the order given) at most ``max_gap`` sentences
        from ``a`` that is not ``a`` itself (nor another hit of its span)."""
        at = self.sentence(a)
        best: tuple[int, Hit] | None = None
        for index in range(at - max_gap, at + max_gap + 1):
            for order, b in self._by_sentence.get(index, ()):
                if b is a or (a.start == b.start and a.end == b.end):
                    continue
                if best is None or order < best[0]:
                    best = (order, b)
                break     # the rest of this sentence comes later in the order
        return best[1] if best else None


def first_pair(ctx: Context, first: Iterable[Hit], second: Iterable[Hit],
               max_gap: int = 0) -> tuple[Hit, Hit] | None:
    """The first pair (a, b), in the order of ``first`` and then of ``second``,
    whose sentences are at most ``max_gap`` sentences apart; None if none is.

    Linear in the number of hits: a message repeating two cues a thousand
    times does not pair each with each."""
    near = Near(ctx, second)
    for a in first:
        b = near.partner(a, max_gap)
        if b is not None:
            return a, b
    return None


def pattern_hits(ctx: Context, pattern: re.Pattern, rule: str, cue: str, *,
                 view: str = "plain", term: str | None = None) -> list[Hit]:
    """Hits for a regular expression over the plain or key view, quoting the
    original text (the key view sees through 「小 张」 and 一三八)."""
    norm = ctx.norm
    text, span = (norm.key, norm.key_span) if view == "key" else (norm.plain, norm.plain_span)
    hits = []
    for m in pattern.finditer(text):
        a, b = span(m.start(), m.end())
        hits.append(Hit(rule, cue, term or m.group(), a, b, ctx.norm.original[a:b]))
    return hits


def quote(ctx: Context, *hits: Hit, limit: int = 60) -> str:
    """The original text from the first to the last hit: what the sender wrote."""
    start = min(h.start for h in hits)
    end = max(h.end for h in hits)
    if end - start > limit:  # far apart: quote both ends rather than a paragraph
        first = min(hits, key=lambda h: h.start)
        last = max(hits, key=lambda h: h.end)
        return f"{first.quote}……{last.quote}"
    return ctx.norm.original[start:end]


_CLAUSE_END = re.compile(r"[，,。！？!?；;\n]")


def _never(hit: Hit) -> bool:
    return False


def governed_by(ctx: Context, words: Iterable[str], unless: re.Pattern | None = None,
                at_end: bool = False) -> Callable[[Hit], bool]:
    """A test of whether one of ``words`` occurs in the plain text from the
    start of a hit's clause up to the hit: where a 「防止」 or 「杜绝」 governs
    a whole list (防止形式主义、官僚主义). ``unless``: what, between the
    word and the hit, makes the word the thing judged instead (就是);
    ``at_end``: the word may reach into the hit, up to its last character (a
    ban that overlaps the act it bans, 不收发红包).

    The clause ends and every occurrence of the words are found once; each
    hit is then answered by bisection, so many hits in one long clause do
    not each read the clause again. Without any of the words (most
    messages) nothing is read."""
    words = set(words)
    if not words:
        return _never
    text, norm = ctx.text, ctx.norm
    ends = [m.start() for m in _CLAUSE_END.finditer(text)]
    occurrences: list[tuple[int, list[int]]] = []
    for word in words:
        if not word:
            return lambda hit: True
        found, i = [], norm.plain.find(word)
        while i != -1:
            found.append(i)
            i = norm.plain.find(word, i + 1)
        if found:
            occurrences.append((len(word), found))

    def governed(hit: Hit) -> bool:
        if not occurrences:
            return False
        at = hit.end - 1 if at_end else hit.start
        k = bisect_left(ends, at)
        start = ends[k - 1] + 1 if k else 0
        # the clause's plain text is norm.plain[a:b]: a word lies in it if
        # its first occurrence from a ends by b
        a = bisect_left(norm.plain_offsets, start)
        b = bisect_left(norm.plain_offsets, at)
        for size, found in occurrences:
            j = bisect_left(found, a)
            if j < len(found) and found[j] + size <= b:
                if unless is None:
                    return True
                # the nearest occurrence before the hit: 「整治就是一阵风」 makes
                # the word the subject judged, not a word governing the judgement
                last = found[bisect_right(found, b - size) - 1]
                if not unless.search(norm.plain, last + size, b):
                    return True
        return False

    return governed


def countered(ctx: Context, rule: str, **kw) -> Callable[[Hit], bool]:
    """``governed_by`` the rule's own ``[counter]`` words (不得, 防止, 不要 …)."""
    return governed_by(ctx, (h.term for h in cue_hits(ctx, rule, "counter")), **kw)


def one_clause(hit: Hit) -> bool:
    """The hit lies within one clause (a pattern on the key view, which has no
    punctuation, may read across a clause's end: 「评选，咱们」 as 选咱)."""
    return _CLAUSE_END.search(hit.quote) is None


def clause_of(text: str, start: int, end: int) -> tuple[int, int]:
    """The span of the clause holding ``text[start:end]`` (by bisection over
    the clause ends, found once per text)."""
    ends = clause_ends(text)
    k, j = bisect_left(ends, start), bisect_left(ends, end)
    return (ends[k - 1] + 1 if k else 0), (ends[j] if j < len(ends) else len(text))


# what turns a refusal into its opposite right before it (不用走招聘流程, 不想按程序
# 立案, 对外就说招标确定)
_UNSAID = re.compile(r"(?:不用|不必|不想|别|就说|说是|对外说)$")


def said_last(text: str, words: Sequence[Hit], acts: Iterable[Hit]) -> Hit | None:
    """The last of ``words`` (a refusal, a gift handed back), read within one
    clause and not negated or feigned right before it, where none of
    ``acts`` begins after it: what the message ends on (「有人托我……，我没
    答应」), not a word followed by the act itself (「先婉拒一下做做样子回头再
    关照他」). None if there is none."""
    words = [h for h in words if one_clause(h)
             and not _UNSAID.search(text, max(0, h.start - 3), h.start)]
    if not words:
        return None
    last = max(words, key=lambda h: h.start)
    return None if any(h.start >= last.end for h in acts) else last


@lru_cache(maxsize=8)
def clause_ends(text: str) -> tuple[int, ...]:
    """Offsets of the clause terminators (comma included) of ``text``."""
    return tuple(m.start() for m in _CLAUSE_END.finditer(text))


def close_pairs(ctx: Context, first: Iterable[Hit], second: Iterable[Hit],
                max_chars: int) -> list[tuple[Hit, Hit]]:
    """For each hit b of ``second`` (in its order), the nearest hit a of
    ``first`` that ends before b starts, in the same clause and at most
    ``max_chars`` characters before it: a subject and what is said of it
    (「自来水被污染了」, 「明天有8级地震」).

    Each b is answered by bisection, so the work is O((n + m) log n)."""
    ends = clause_ends(ctx.text)
    firsts = sorted(first, key=lambda h: h.end)
    first_ends = [h.end for h in firsts]
    pairs = []
    for b in second:
        i = bisect_right(first_ends, b.start) - 1
        if i < 0:
            continue
        a = firsts[i]
        if b.start - a.end > max_chars:
            continue
        k = bisect_left(ends, a.end)
        if k < len(ends) and ends[k] < b.start:
            continue                     # a clause ends between them
        pairs.append((a, b))
    return pairs


# --- members and titles -----------------------------------------------------

# Titles by which an owner is addressed, with their short spoken forms.
TITLES = {
    "书记": ("书记",), "副书记": ("书记",), "县长": ("县长", "县"), "副县长": ("县长", "县"),
    "市长": ("市长",), "区长": ("区长", "区"), "镇长": ("镇长",), "乡长": ("乡长",),
    "局长": ("局长", "局"), "副局长": ("局长", "局"), "主任": ("主任",), "副主任": ("主任",),
    "部长": ("部长", "部"), "副部长": ("部长", "部"), "处长": ("处长", "处"),
    "副处长": ("处长", "处"), "科长": ("科长", "科"), "副科长": ("科长", "科"),
    "厅长": ("厅长", "厅"), "主席": ("主席",), "秘书长": ("秘书长",), "院长": ("院长",),
    "校长": ("校长",), "所长": ("所长",), "站长": ("站长",), "队长": ("队长",),
    "总经理": ("总",), "董事长": ("董",), "组长": ("组长",), "主委": ("主委",),
    # a police or inspection corps' heads are 崔总队 / 邱支队 / 马大队 to their men
    "总队长": ("总队长", "总队"), "副总队长": ("总队长", "总队"),
    "支队长": ("支队长", "支队"), "副支队长": ("支队长", "支队"),
    "大队长": ("大队长", "大队"), "副大队长": ("大队长", "大队"),
    "行长": ("行长",), "馆长": ("馆长",), "理事长": ("理事长",), "会长": ("会长",),
    "政委": ("政委",),
}


def parse_alias(member: Member) -> tuple[str, str, str]:
    """(name, unit, title) from a 姓名-单位-职务 nickname; missing parts are ''."""
    alias = re.sub(r"[－—–‐_]", "-", member.alias or "")
    parts = [p.strip() for p in alias.split("-") if p.strip()]
    name = parts[0] if parts else (member.name or "").strip()
    unit = parts[1] if len(parts) >= 3 else ""
    # 副书记（专班组长）: the title, without what is added in brackets
    title = re.sub(r"[（(][^）)]*[）)]", "", parts[-1]).strip() if len(parts) >= 3 else ""
    if not name:
        name = (member.name or "").strip()
    return name, unit, title


def owner_forms(member: Member) -> tuple[set[str], set[str]]:
    """How people in the group refer to ``member``.

    Returns (personal, titular): personal forms name this person (李明,
    李局, 李局长, 明书记 is rare and left out); titular forms are the bare
    title (局长), which points at the owner only when no one else is named.
    """
    name, _, title = parse_alias(member)
    personal: set[str] = set()
    titular: set[str] = set()
    if name and re.fullmatch(r"[\u4e00-\u9fa5·]{2,6}", name):
        personal.add(name)
        surname = name[0]
        short = _title_forms(title)
        for form in short:
            personal.add(surname + form)
        titular.update(f for f in short if len(f) >= 2)
    elif name:
        personal.add(name)
    return personal, titular


def _title_forms(title: str) -> tuple[str, ...]:
    for known in sorted(TITLES, key=len, reverse=True):
        if title.endswith(known):
            return TITLES[known]
    return (title,) if title else ()


# Common surnames, for 老王 / 小李 / 张局 style references to people.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱"
    "江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢"
    "安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾"
    "尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全"
    "佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

# 老X / 小X where X is a surname, except pairs that are ordinary words (小时, 老师).
_NOT_AFTER_LAO_XIAO = "时师于和全成明车米应商路常边文安单管解康白方毛"
_LONG_TITLES = ("书记", "局长", "主任", "科长", "处长", "县长", "部长", "市长", "区长",
                "镇长", "乡长", "厅长", "院长", "所长", "站长", "队长", "主席", "秘书长", "组长")
# One-character spoken titles (李局, 王部) also end organisation names (公安局,
# 人武部), so surnames that end such names are left out for these forms.
_SHORT_TITLES = ("局", "部", "处", "科", "县")
_NOT_BEFORE_SHORT = "安管武高政利业理务全和司"
_lao_xiao = "".join(c for c in SURNAMES if c not in _NOT_AFTER_LAO_XIAO)
_short_surnames = "".join(c for c in SURNAMES if c not in _NOT_BEFORE_SHORT)
# ... nor words that open with such a pair (小范围, 小程序, 小龙虾, 老黄历)
_NOT_NAMES = "小(?:范围|程序|龙虾|金库|高层)|老(?:黄历|江湖)"
# 老王, 小李: one called by a familiar name
FAMILIAR_NAME = rf"(?!{_NOT_NAMES})[老小][{_lao_xiao}]"
NAMED_PERSON = re.compile(
    FAMILIAR_NAME
    + rf"|[{SURNAMES}](?:{'|'.join(_LONG_TITLES)})"
    rf"|[{_short_surnames}](?:{'|'.join(_SHORT_TITLES)})(?!长)"
)


def named_people(plain: str) -> list[re.Match]:
    """老王, 小李, 张局, 王书记 ... in a plain-view string."""
    return list(NAMED_PERSON.finditer(plain))
