"""吹捧群主: flattery aimed at the room owner.

The target is resolved per sentence: the owner named (李明, 李局, an @mention)
is a clear target; 您 / 群主 / 领导 / the owner's bare title is a likely one;
another named person (张书记) in the sentence means the praise is for them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qungui.core.plugin import Context, Plugin, RuleSpec, register
from qungui.core.text import fold
from qungui.plugins._common import (
    TITLES, cue_hits, has_cue, named_people, owner_forms, parse_alias, sentence_index,
    sentence_starts,
)

NAMED, LIKELY, NONE = 3, 2, 0

# score by (cue, target level)
_SCORES = {("flattery", NAMED): 0.95, ("flattery", LIKELY): 0.8,
           ("weak", NAMED): 0.55, ("weak", LIKELY): 0.5,
           ("weak2", NAMED): 0.65, ("weak2", LIKELY): 0.55,
           ("intensified", NAMED): 0.7, ("intensified", LIKELY): 0.65}
# 「太伟大了」「真是绝了」「周全得很」: praise made emphatic. Courtesy
# (辛苦了) stays courtesy however emphatic.
_INTENSIFIER_BEFORE = re.compile(r"(?:太|真是|真|简直|非常|特别|超|超级|好|这么|实在|就是|最|无比|十分)\s*$")
_INTENSIFIER_AFTER = re.compile(r"^\s*(?:了|啦|得很|得不得了|极了|没得说)")
_COURTESY = ("辛苦",)
# 有思路了, 有眼光啦: 「有X」 with a bare 了 says X came about
_CHANGE = re.compile(r"\s*(?:了|啦)(?!得)")
# A title behind another body's name is someone else: 省委书记 in a 市委 group.
_ORG_TITLE = re.compile(r"([省市县区州镇乡村]委|[省市县区]政府|中央|国务院|部里|省里|市里|县里)"
                        r"(?:主要领导|副?书记|副?主任|领导)")
# Praise words used as an instruction: 「要高瞻远瞩谋划产业布局」 after one
# of these words earlier in the sentence (see ``_Sentences.directive``).
_DIRECTIVE_WORDS = ("强调", "指出", "要求", "提出", "号召", "指示")
_NO_PRAISE = "无指向群主的吹捧用语"


@lru_cache(maxsize=1024)
def _keys(forms: frozenset[str]) -> frozenset[str]:
    """The key views of an owner's personal forms: folded once per owner,
    not for every message."""
    return frozenset(fold(f) for f in forms if f)


class _Sentences:
    """What the rule asks about each sentence, worked out once per sentence:
    a long sentence with many cues is not read again for every cue."""

    def __init__(self, text: str, starts):
        self.text, self.starts = text, starts
        self._first_directive: dict[int, int] = {}

    def bounds(self, index: int) -> tuple[int, int]:
        end = self.starts[index + 1] if index + 1 < len(self.starts) else len(self.text)
        return self.starts[index], end

    def directive(self, index: int, pos: int) -> bool:
        """The sentence up to ``pos`` ends in 要 (and spaces) after a
        directive word (强调……要): the praise that follows is an instruction."""
        start, end = self.bounds(index)
        j = pos
        while j > start and self.text[j - 1].isspace():
            j -= 1
        if j == start or self.text[j - 1] != "要":
            return False
        if index not in self._first_directive:
            # where the sentence's first directive word ends (past its end if none)
            ends = [i + len(w) for w in _DIRECTIVE_WORDS
                    if (i := self.text.find(w, start, end)) != -1]
            self._first_directive[index] = min(ends, default=end + 1)
        return self._first_directive[index] <= j - 1


@register
class OwnerPraise(Plugin):
    spec = RuleSpec(id="owner_praise", title="吹捧群主", gravity=5, harmless_cues=(),
                    yields_to=("gossip",))

    def inspect(self, ctx: Context):
        owner = ctx.room.owner
        if owner is None:
            return self.clear("本群无群主")
        if ctx.message.sender_id == owner.id:
            # the owner praising themself is not this rule
            return self.clear("群主本人发言")
        if has_cue(ctx, self.name, "notice"):
            return self.clear("警示或通报中的引用")  # a 警示/通报 quotes the flattery it condemns
        if not has_cue(ctx, self.name, "flattery", "weak", "positive"):
            return self.clear(_NO_PRAISE)   # the common case: nothing below to work out
        personal, titular = owner_forms(owner)
        if not parse_alias(owner)[2]:
            titular = set(TITLES) | {t[0] for t in TITLES.values()}  # title unknown: any title
        mentioned = owner.id in ctx.message.mention_ids

        starts = sentence_starts(ctx.text)
        sentences = _Sentences(ctx.text, starts)
        addressed = {sentence_index(starts, a.start) for a in cue_hits(ctx, self.name, "address")}
        best = None
        unit = parse_alias(owner)[1]
        weak_terms: dict[int, set[str]] = {}
        for hit in cue_hits(ctx, self.name, "weak"):
            weak_terms.setdefault(sentence_index(starts, hit.start), set()).add(hit.term)
        levels: dict[int, int] = {}        # sentence -> whom its praise is for
        for cue in ("flattery", "weak", "positive"):
            for hit in cue_hits(ctx, self.name, cue):
                index = sentence_index(starts, hit.start)
                if sentences.directive(index, hit.start):
                    continue
                if index not in levels:
                    levels[index] = self._target(ctx, sentences, index, personal,
                                                 titular, addressed, mentioned, unit)
                level = levels[index]
                strength = cue
                if cue != "flattery" and self._intensified(ctx, hit):
                    strength = "intensified"
                elif cue == "weak" and len(weak_terms.get(index, ())) >= 2:
                    strength = "weak2"
                score = _SCORES.get((strength, level))
                if score and (best is None or score > best[0]):
                    best = (score, hit, level)
        if best is None:
            return self.clear(_NO_PRAISE)
        score, hit, level = best
        who = "群主" if level == NAMED else "领导（群主）"
        return self.hit(score, self._evidence(ctx, starts, hit),
                        f"在群里吹捧{who}（“{hit.quote}”）")

    @staticmethod
    def _intensified(ctx: Context, hit) -> bool:
        if hit.term.startswith(_COURTESY):
            return False
        before = ctx.text[max(0, hit.start - 4):hit.start]
        after = ctx.text[hit.end:hit.end + 4]
        if _INTENSIFIER_BEFORE.search(before):
            return True
        if hit.term.startswith("有") and _CHANGE.match(after):
            return False    # 「问题有思路了」: a change of state, not praise raised
        return bool(_INTENSIFIER_AFTER.search(after))

    def _target(self, ctx, sentences, index, personal, titular, addressed, mentioned, unit=""):
        start, end = sentences.bounds(index)
        # the sentence's own views, cut from the message's (not normalized again)
        key, plain = ctx.norm.key_of(start, end), ctx.norm.plain_of(start, end)
        if mentioned or any(k and k in key for k in _keys(frozenset(personal))):
            return NAMED
        others = [m.group() for m in named_people(plain)
                  if not any(m.group() in f or f in m.group() for f in personal)]
        if others:
            return NONE  # 「张书记讲话太精彩」: praise for someone else
        if any(m.group(1) not in unit for m in _ORG_TITLE.finditer(plain)):
            return NONE  # 「省委书记在调研时强调……」 in a 市委 group: another leader
        if index in addressed:
            return LIKELY
        if any(re.search(re.escape(t) + r"(?!们)", plain) for t in titular if len(t) >= 2):
            return LIKELY
        return NONE

    @staticmethod
    def _evidence(ctx, starts, hit):
        index = sentence_index(starts, hit.start)
        end = starts[index + 1] if index + 1 < len(starts) else len(ctx.text)
        sentence = ctx.text[starts[index]:end].strip()
        return sentence if len(sentence) <= 60 else hit.quote
