"""Text normalization, done once per message.

Two views are produced in a single pass over the original text:

* ``plain`` — width and case folded (NFKC + casefold), traditional characters
  turned simplified, variants folded, zero-width characters removed.
  Punctuation and symbols stay, so patterns such as ``机密★1年`` and phone
  numbers can be matched with regular expressions.
* ``key`` — the matching view used by the lexicon automaton: ``plain`` with
  separators, punctuation, symbols and emoji removed, numerals of every
  style turned into ASCII digits, and runs of one repeated character
  collapsed to one. Lexicon entries are folded with the same function, so a
  term matches however it was disguised.

Each view carries a map back to offsets in the original text, so evidence
quotes what the sender actually wrote.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate

import opencc

_T2S = opencc.OpenCC("t2s")

# Variants that t2s leaves alone but that mean the same in a work group.
_VARIANTS = str.maketrans({
    "帐": "账", "於": "于", "裏": "里", "祕": "秘", "綫": "线",
    "喫": "吃", "妳": "你", "祢": "你", "迴": "回", "〇": "零",
})

# Chinese numerals (lower and upper case forms) to ASCII digits, key view only.
_NUMERALS = {
    "零": "0", "一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
    "七": "7", "八": "8", "九": "9", "两": "2", "壹": "1", "贰": "2", "叁": "3",
    "肆": "4", "伍": "5", "陆": "6", "柒": "7", "捌": "8", "玖": "9",
}

_DROP = ""  # sentinel: the character contributes nothing to a view


@lru_cache(maxsize=65536)
def _fold_char(ch: str) -> tuple[str, str]:
    """Return (plain, key) for one original character.

    Cached: a chat uses a few thousand distinct characters, so after warm-up
    normalization is a dictionary look-up per character.
    """
    cat = unicodedata.category(ch)
    if cat == "Cf" or ch in "\u200b\u200c\u200d\u2060\ufeff\u00ad":
        return _DROP, _DROP  # zero-width and format characters
    if cat.startswith("M"):
        return _DROP, _DROP  # combining marks used to disguise letters
    plain = unicodedata.normalize("NFKC", ch).casefold()
    if plain and any(ord(c) > 0x2E7F for c in plain):
        plain = _T2S.convert(plain)
    plain = plain.translate(_VARIANTS)
    key_parts = []
    for c in plain:
        c_cat = unicodedata.category(c)
        if c in _NUMERALS:
            key_parts.append(_NUMERALS[c])
        elif c_cat[0] == "N":
            value = unicodedata.digit(c, None)
            if value is None:
                num = unicodedata.numeric(c, None)
                value = int(num) if num is not None and num == int(num) and 0 <= num <= 9 else None
            if value is not None:
                key_parts.append(str(value))
            elif c_cat == "Nl" or c_cat == "No":
                continue
            else:
                key_parts.append(c)
        elif c_cat[0] == "L":
            key_parts.append(c)
        # punctuation, symbols, separators, controls: dropped from the key view
    return plain, "".join(key_parts)


@dataclass(frozen=True, slots=True)
class Normalized:
    original: str
    plain: str
    plain_offsets: tuple[int, ...]
    key: str
    key_offsets: tuple[int, ...]

    def key_span(self, start: int, end: int) -> tuple[int, int]:
        """Original (start, end) of key[start:end].

        The end runs up to the next key character, less trailing separators,
        so collapsed repeats (fuckkk) belong to the span they extend.
        """
        a = self.key_offsets[start]
        b = self.key_offsets[end] if end < len(self.key_offsets) else len(self.original)
        while b > a + 1 and _is_ignorable(self.original[b - 1]):
            b -= 1
        return a, b

    def plain_span(self, start: int, end: int) -> tuple[int, int]:
        return self.plain_offsets[start], self.plain_offsets[end - 1] + 1

    def quote_key(self, start: int, end: int) -> str:
        a, b = self.key_span(start, end)
        return self.original[a:b]

    def quote_plain(self, start: int, end: int) -> str:
        a, b = self.plain_span(start, end)
        return self.original[a:b]

    def plain_of(self, start: int, end: int) -> str:
        """``normalize(self.original[start:end]).plain``, cut from this view:
        each character's plain view depends on that character alone."""
        return self.plain[bisect_left(self.plain_offsets, start):
                          bisect_left(self.plain_offsets, end)]

    def key_of(self, start: int, end: int) -> str:
        """``normalize(self.original[start:end]).key``, cut from this view.

        The key view's characters from ``original[start:end]`` are those of
        the slice's own view but for one: a repeat collapses into the
        character before it, so where the slice's first key character
        repeats the last one before ``start`` (「好。好的」), the whole text's
        view dropped it and the slice's own view keeps it. Only the
        characters before the slice's first key character are read (those
        with no key view, and that one)."""
        lo = bisect_left(self.key_offsets, start)
        hi = bisect_left(self.key_offsets, end)
        key = self.key[lo:hi]
        if lo == 0 or self.key[lo - 1].isdigit():
            return key        # nothing before to collapse into; digits never collapse
        last = self.key[lo - 1]
        stop = min(end, self.key_offsets[lo] if lo < len(self.key_offsets) else end)
        first = None          # the slice's first key character
        for ch in self.original[start:stop]:
            if not _is_ignorable(ch):
                first = ch
                break
        if first is None:
            if stop == end:
                return key    # no key character in the slice at all
            first = self.original[stop]
        c = first.lower() if first < "\x80" else _fold_char(first)[1][0]
        return last + key if c == last else key


def _is_ignorable(ch: str) -> bool:
    """True for characters that leave nothing in the key view."""
    if ch < "\x80":
        return not ch.isalnum()
    return not _fold_char(ch)[1]


def is_word_char(ch: str) -> bool:
    """ASCII letter or digit after folding: where an English word continues."""
    plain = ch.lower() if ch < "\x80" else _fold_char(ch)[0]
    return bool(plain) and plain.isascii() and plain[0].isalnum()


def normalize(text: str) -> Normalized:
    plain_chars: list[str] = []
    plain_offsets: list[int] = []
    key_chars: list[str] = []
    key_offsets: list[int] = []
    last_key = ""
    for i, ch in enumerate(text):
        if ch < "\x80":  # ASCII fast path: most of any chat is CJK or ASCII
            low = ch.lower()
            plain_chars.append(low)
            plain_offsets.append(i)
            if low.isalnum():
                if low != last_key or low.isdigit():
                    key_chars.append(low)
                    key_offsets.append(i)
                    last_key = low
            continue
        plain, key = _fold_char(ch)
        for c in plain:
            plain_chars.append(c)
            plain_offsets.append(i)
        for c in key:
            # collapse repeats (好好好 → 好, ⒻⒻⒻ → f) but never digits: 1000 ≠ 10
            if c != last_key or c.isdigit():
                key_chars.append(c)
                key_offsets.append(i)
                last_key = c
    return Normalized(
        original=text,
        plain="".join(plain_chars),
        plain_offsets=tuple(plain_offsets),
        key="".join(key_chars),
        key_offsets=tuple(key_offsets),
    )


class _FoldTable(dict):
    """A ``str.translate`` table: code point -> ``fold`` of that character,
    filled on first use (and emptied if a hostile text fills it up)."""

    LIMIT = 1 << 17

    def __init__(self, fold):
        super().__init__()
        self._fold = fold

    def __missing__(self, code: int) -> str:
        if len(self) >= self.LIMIT:
            self.clear()
        folded = self[code] = self._fold(chr(code))
        return folded


# each character's plain view
_PLAIN = _FoldTable(lambda ch: ch.lower() if ch < "\x80" else _fold_char(ch)[0])
_CHUNK = 4096


def _read_char(ch: str) -> str:
    """The read view of one character: a traditional character to its
    simplified form where that is one character (內→内, 單→单, 說→说, 裏→里),
    every other character to itself. A character of the simplified set
    (GB 2312) is never touched: 帐篷, 哪吒, 乾隆 and 著名 are written so,
    whatever t2s or the key view's variants make of them."""
    if ch > "\u2e7f" and not _simplified_set(ch):
        folded = _T2S.convert(ch)
        if len(folded) == 1 and folded != ch and _simplified_set(folded):
            return folded
    return ch


def _simplified_set(ch: str) -> bool:
    try:
        ch.encode("gb2312")
    except UnicodeEncodeError:
        return False
    return True


_READ = _FoldTable(_read_char)


# a run of CJK characters, read phrase by phrase where a message is traditional
_CJK_RUN = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+")
# 著 of traditional writing where simplified writes 着 (壓著, 寫著, 瞞著): not the
# 著 of works and renown (著名, 著作, 显著, 名著, 土著), which t2s leaves as is
_ZHE = re.compile(r"(?<![显昭卓编原名巨专论遗拙合土])著(?![名作述称录])")


def read_view(text: str) -> str:
    """The text as the rules' own patterns read it: traditional characters
    turned simplified one for one, nothing else changed (case, width,
    punctuation, variants such as 帐 and length stay), so a span of it is the
    same span of the original. A character of the simplified set is read by
    itself as written (帐篷, 哪吒, 乾隆); in a message that has traditional
    characters, each run of CJK characters is read phrase by phrase, where that
    keeps the run's length, so that 會後, 關於, 徵稿 and 壓著 read as 会后, 关于,
    征稿 and 压着 (著名 stays). One pass in C once the text's characters are known, and
    one phrase-level pass over a traditional message's runs."""
    read = text.translate(_READ)
    if read == text:
        return text                 # the same object: comparing it is free
    parts, last = [], 0
    for m in _CJK_RUN.finditer(read):
        phrase = _ZHE.sub("着", _T2S.convert(text[m.start():m.end()]))
        if len(phrase) == m.end() - m.start():
            parts += (read[last:m.start()], phrase)
            last = m.end()
    return "".join(parts) + read[last:] if parts else read


def plain_view(text: str) -> str:
    """``normalize(text).plain`` without the offsets and the key view: one
    pass in C once the text's characters are known (whether a text is an
    acknowledgement; ``PlainView`` when a span of it is to be quoted)."""
    return text.translate(_PLAIN)


@dataclass(frozen=True, slots=True)
class PlainView:
    """The plain view of a whole text, with what is needed to quote a span
    of it: the plain length after each chunk of ``_CHUNK`` characters (an
    offset map per character would be a list as long as the text)."""

    original: str
    plain: str
    chunk_ends: tuple[int, ...]

    @classmethod
    def of(cls, text: str) -> "PlainView":
        pieces = [text[i:i + _CHUNK].translate(_PLAIN) for i in range(0, len(text), _CHUNK)]
        return cls(text, "".join(pieces), tuple(accumulate(map(len, pieces))))

    def offset(self, index: int) -> int:
        """The offset in ``original`` of the character that gave ``plain[index]``
        (``len(original)`` past the end): a bisection, then at most one chunk."""
        chunk = bisect_right(self.chunk_ends, index)
        if chunk == len(self.chunk_ends):
            return len(self.original)
        done = self.chunk_ends[chunk - 1] if chunk else 0
        start = chunk * _CHUNK
        for i, ch in enumerate(self.original[start:start + _CHUNK]):
            done += len(_PLAIN[ord(ch)])
            if done > index:
                return start + i
        return len(self.original)   # not reached: the chunk's plain reaches past index

    def quote(self, start: int, end: int) -> str:
        """What the sender wrote for ``plain[start:end]`` (as ``Normalized.quote_plain``)."""
        return self.original[self.offset(start):self.offset(end - 1) + 1]


def fold(term: str) -> str:
    """The key view of a lexicon term (same folding as messages)."""
    return normalize(term).key


def fold_plain(term: str) -> str:
    return normalize(term).plain


# --- acknowledgements -------------------------------------------------------

# Each token is one alternative and no text splits into tokens in two ways
# (punctuation and emoji are single [\W_] characters, 嗯嗯 is 嗯 twice, +1 is
# "+" then "1"), so a failing match backtracks a constant amount per
# character: no nested quantifier can make "？？？…吗" take exponential time.
_ACK = re.compile(
    r"^(?:收到|好的?|好滴|明白|了解|知道了|已阅|已收到|ok|okay|嗯|对|是的?|谢谢|感谢|辛苦|"
    r"没问题|遵照执行|照办|马上办|1|666|"
    # a remark taken back after a word from the owner (开玩笑的，明白; 随口一说，不作数)
    r"开玩笑的|开个玩笑|随口一说|随口说说|不作数|当我没说|"
    # a thanks answered (不客气哈，应该的); 哈 only after a word, never alone
    r"(?:不客气|应该的|不用谢|客气了|好嘞)哈{0,3}|[\W_])+$"
)


# 「我私你了」「已私聊您」: the answer has gone by private message
_ACK_PRIVATE = re.compile(r"^(?:我|已|已经|有|刚)*(?:私|私聊|私信|私发)(?:你|您)(?:了|啦)?$")
_ACK_SEPARATORS = re.compile(r"[\s,，.。!！~～、…]+")
_ACK_ADDRESSED = re.compile(r"^(收到|好的?|明白|已阅|ok|谢谢|感谢)+")


def is_acknowledgement(text: str) -> bool:
    """收到 / 好的 / 👍 / 1 and the like, possibly several, possibly with a name."""
    return is_acknowledgement_plain(plain_view(text))


def is_acknowledgement_plain(plain: str) -> bool:
    """``is_acknowledgement`` of a text whose plain view is ``plain``: for a
    message already normalized (``Normalized.plain``, ``plain_of``)."""
    plain = _ACK_SEPARATORS.sub("", plain)
    if not plain:
        return True
    if _ACK.match(plain) or _ACK_PRIVATE.match(plain):
        return True
    # 「收到，李局」「好的书记」: an acknowledgement plus a short form of address
    stripped = _ACK_ADDRESSED.sub("", plain, count=1)
    return stripped != plain and len(stripped) <= 4
