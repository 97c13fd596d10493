"""Contact details in a message: phone numbers, WeChat/QQ ids, number runs,
e-mail addresses and links.

An advert is a sale plus a way to reach the seller, and sellers disguise the
way: ``一三八 1234 5678``, ``⑬⑧…``, ``ⅴ❤：tea8888``, ``加Q群：987654321``.
Everything here runs on the views of ``core.text`` (numerals of every style
are digits in the key view, separators are gone) and quotes the original text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass

from qungui.core.text import Normalized

PHONE, LANDLINE, NUMBER, WECHAT, QQ, EMAIL, URL, IPV4 = (
    "phone", "landline", "number", "wechat", "qq", "email", "url", "ipv4")

# Key view: separators gone, 一三八 → 138. A mobile number is 1[3-9] + 9 digits.
_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
_DIGITS = re.compile(r"\d+")
# Plain view (punctuation kept): 0571-88886666, (010)12345678, 400-800-1234
_LANDLINE = re.compile(r"(?<![\d-])(?:\(?0\d{2,3}\)?[-\s]?\d{7,8}|[48]00[-\s]?\d{3}[-\s]?\d{4})(?![\d-])")
# A WeChat/QQ marker, anything that is not a letter or digit, then the id.
_ID_SEP = r"[^0-9a-z\u4e00-\u9fff]{0,4}"
_WECHAT = re.compile(r"(?:微信号?|v信|威信|薇信|卫星|vx|wx|weixin|(?<![a-z0-9])v)(?:号|同号)?" + _ID_SEP
                     + r"([a-z][a-z0-9_-]{5,19})(?![a-z0-9_-])")
_QQ = re.compile(r"(?:qq群?|扣扣|企鹅|q群)(?:号)?" + _ID_SEP + r"([1-9]\d{4,11})(?!\d)")
# Tried only where an address can start (see ``emails``): searching a run of
# letters without an @ from every position would cost the square of its length.
_EMAIL = re.compile(r"[a-z0-9][a-z0-9._%+-]*@[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}")
_LOCAL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789._%+-")
_LOCAL_LEAD = frozenset("._%+-")    # local-part characters an address cannot start with
_HOST = r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}"
_IPV4_RE = r"(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)"
# URL characters are ASCII (a comma ends a link: the plain view folds ，to ,)
_URL_CHARS = r"[a-z0-9\-._~:/?#@!$&*+;=%]"
_URL = re.compile(r"(?:https?://|www\.)" + _URL_CHARS + "+"
                  r"|(?<![a-z0-9@.-])" + _HOST + "(?:/" + _URL_CHARS + "*)?")
_IPV4 = re.compile(r"(?<![\d.])" + _IPV4_RE + r"(?![\d.]*\d)")
# bare host names that are really file names or abbreviations
_NOT_HOSTS = re.compile(r"\.(?:docx?|xlsx?|pptx?|pdf|txt|jpe?g|png|gif|zip|rar|wps|mp[34])$")


@dataclass(frozen=True, slots=True)
class Contact:
    kind: str
    start: int      # in the original text
    end: int
    quote: str      # what the sender wrote


def _from_key(norm: Normalized, kind: str, a: int, b: int) -> Contact:
    start, end = norm.key_span(a, b)
    return Contact(kind, start, end, norm.original[start:end])


def _from_plain(norm: Normalized, kind: str, a: int, b: int) -> Contact:
    start, end = norm.plain_span(a, b)
    return Contact(kind, start, end, norm.original[start:end])


def phones(norm: Normalized) -> list[Contact]:
    """Mobile numbers however written (spaced, dashed, 一三八, ①③⑧), and landlines."""
    found = [_from_key(norm, PHONE, m.start(), m.end()) for m in _MOBILE.finditer(norm.key)]
    # Mobiles, and landlines, come in text order without overlapping: the
    # one starting last before a landline is the only one that can hold its start.
    starts = [f.start for f in found]
    ends = [f.end for f in found]
    landline_end = -1
    for m in _LANDLINE.finditer(norm.plain):
        c = _from_plain(norm, LANDLINE, m.start(), m.end())
        i = bisect_right(starts, c.start) - 1
        if (i < 0 or c.start >= ends[i]) and c.start >= landline_end:
            found.append(c)
            landline_end = c.end
    return found


def number_runs(norm: Normalized, min_len: int = 8) -> list[Contact]:
    """Runs of at least ``min_len`` digits in the key view (separators and
    numeral styles ignored): account numbers, QQ ids, phone numbers."""
    return [_from_key(norm, NUMBER, m.start(), m.end())
            for m in _DIGITS.finditer(norm.key) if m.end() - m.start() >= min_len]


def chat_ids(norm: Normalized) -> list[Contact]:
    """WeChat ids after 微信/vx/v (``加V：abc123456``) and QQ numbers after QQ/扣扣."""
    found = []
    for kind, pattern in ((WECHAT, _WECHAT), (QQ, _QQ)):
        for m in pattern.finditer(norm.plain):
            found.append(_from_plain(norm, kind, m.start(1), m.end(1)))
    return found


def emails(norm: Normalized) -> list[Contact]:
    """What ``_EMAIL.finditer`` finds, trying the pattern once per ``@``.

    The local part is a run of local-part characters ending at the ``@``; a
    match from any later start in that run has the same domain to match, so
    the first letter or digit of the run (not before where the search has
    got to) is the only start worth trying."""
    plain = norm.plain
    found = []
    pos = 0
    at = plain.find("@")
    while at != -1:
        start = at
        while start > pos and plain[start - 1] in _LOCAL_CHARS:
            start -= 1
        while start < at and plain[start] in _LOCAL_LEAD:
            start += 1
        m = _EMAIL.match(plain, start) if start < at else None
        if m:
            found.append(_from_plain(norm, EMAIL, m.start(), m.end()))
            pos = m.end()
            at = plain.find("@", pos)
        else:
            at = plain.find("@", at + 1)
    return found


def urls(norm: Normalized) -> list[Contact]:
    """Links with or without a scheme (``https://…``, ``www.…``, ``shop.example.com``)."""
    found = []
    taken = emails(norm)              # in text order, not overlapping
    starts = [e.start for e in taken]
    for m in _URL.finditer(norm.plain):
        text = m.group().rstrip(".,;:!?)")
        bare = not text.startswith(("http", "www."))
        if bare and (_NOT_HOSTS.search(text) or re.fullmatch(r"[\d.]+", text)):
            continue  # 方案.docx is a file name, not a link
        c = _from_plain(norm, URL, m.start(), m.start() + len(text))
        i = bisect_right(starts, c.start) - 1
        if i < 0 or c.start >= taken[i].end:
            found.append(c)
    return found


def ipv4(norm: Normalized) -> list[Contact]:
    return [_from_plain(norm, IPV4, m.start(), m.end()) for m in _IPV4.finditer(norm.plain)]


def contacts(norm: Normalized) -> list[Contact]:
    """Every way to reach someone outside the group, in text order, no overlaps."""
    found = phones(norm) + chat_ids(norm) + emails(norm) + urls(norm)
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Contact] = []
    for c in found:
        # the kept ones do not overlap and start no later than c: only the
        # last of them can reach c
        if not kept or not (kept[-1].start <= c.start < kept[-1].end
                            or c.start <= kept[-1].start < c.end):
            kept.append(c)
    return kept
