"""妄议中央: a negative judgement of central bodies, leaders or policies.

A judgement is read as aimed at the body spoken of nearest before it (or,
if none, just after it): a central one (中央, 国务院, 上面的大政方针) or a
province's, city's or county's own (市里, 县里, 我们区, 本市). Criticising
the local body's own policy is not this rule's offence, nor is criticising
how a local body carries out a central one (中央的政策是好的，就是县里执行时
一刀切). A body that is acted on (执行中央政策, 压给县里) is not the one
judged when another is named. Studying, relaying, supporting and asking how
to carry out a policy is clean; the weaker words (不行, 有问题, 一刀切) count
only right after the central body in one clause, and not in a question
about how to carry it out.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass

from qungui.core.matcher import Hit, Spans
from qungui.core.plugin import RECORDED, Context, Plugin, RuleSpec, register
from qungui.plugins._common import (clause_ends, countered, cue_hits, has_cue, pattern_hits,
                                    quote, sentence_index, sentence_starts)

# a sneer (呵呵): a pattern, since a lexicon term of one repeated character
# folds to that one character
_SNEER = re.compile(r"呵{2,}")
# what stands just before a body that is acted on, not acting
_OBJECT_BEFORE = ("执行", "落实", "贯彻", "学习", "转发", "传达", "按照", "依照", "根据", "依据",
                  "遵照", "对照", "响应", "拥护", "领会", "吃透", "按", "让", "给", "叫", "把",
                  "对", "向", "在", "到", "逼", "替", "跟", "为")
# how many bodies before a judgement are looked at, nearest first
LOOK_BACK = 3
# a local body this close before a general word (这个政策, 新规) makes it its own
LOCAL_GAP = 8
# a weak judgement counts this close after its body, in one clause
WEAK_GAP = 8
# criticism of a local body's own policy: recorded, under every threshold
LOCAL_SCORE = RECORDED


@dataclass(frozen=True, slots=True)
class _Body:
    hit: Hit
    local: bool        # a province's, city's or county's own body
    acted_on: bool     # 执行中央政策: the object of a verb, not the actor

    @property
    def start(self) -> int:
        return self.hit.start

    @property
    def end(self) -> int:
        return self.hit.end


# between a counter word and a negative term, a copula makes the counter word
# the thing judged: 「中央搞这个整治就是一阵风」 (not 「防止整治变成一阵风」)
_ASSERTED = re.compile(r"就是|纯属|简直是|完全是")


@register
class CentralPolicy(Plugin):
    spec = RuleSpec(id="central_policy", title="妄议中央", gravity=11,
                    harmless_cues=("notice", "counter", "implement", "support"),
                    stance_cues=("implement", "support"))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "notice"):
            # 通报/典型案例/辟谣 quote the offence, they do not commit it
            return self.clear("通报或辟谣中的引用")
        # 「防止一刀切」: a counter word earlier in the clause turns the negative
        # term into the loyal line
        governed = countered(ctx, self.name, unless=_ASSERTED)
        found_negatives = (cue_hits(ctx, self.name, "negative")
                           + pattern_hits(ctx, _SNEER, self.name, "negative"))
        negatives = sorted((h for h in found_negatives if not governed(h)),
                           key=lambda h: (h.start, -h.end))
        if found_negatives and not negatives:
            # 「防止一刀切」: every negative term is what the message sets itself
            # against; the rule's reading, recorded so that the decision stage
            # does not find the centre criticised there
            first = min(found_negatives, key=lambda h: h.start)
            return self.hit(RECORDED, first.quote, f"“{first.quote}”是所反对的做法，不是对政策的评价")
        targets = cue_hits(ctx, self.name, "target")
        if not negatives or not (targets or has_cue(ctx, self.name, "local")):
            return self.clear("无中央对象或无负面评价")
        found, local = self._judged(ctx, targets, negatives)
        if found is None and local is not None:
            # a decision, under every threshold: the learned stage is not
            # asked to find the centre in a complaint about the county
            body, negative = local
            return self.hit(LOCAL_SCORE, quote(ctx, body, negative),
                            f"“{negative.quote}”针对的是“{body.quote}”（地方自己的政策或执行），"
                            "不是中央")
        if found is None:
            if not targets:
                return self.clear("无中央对象或无负面评价")
            return self.clear("对象与负面评价不在相邻句中")
        target, negative, score = found
        return self.hit(score, quote(ctx, target, negative),
                        f"对“{target.quote}”作出“{negative.quote}”等负面评价")

    def _judged(self, ctx: Context, targets: list[Hit], negatives: list[Hit]):
        """((target, negative, score) of the first judgement aimed at the
        centre, or None; (body, negative) of the first aimed at a local body,
        or None)."""
        text = ctx.text
        central = Spans(cue_hits(ctx, self.name, "central"))
        locals_ = cue_hits(ctx, self.name, "local")
        weak = {(h.start, h.end) for h in cue_hits(ctx, self.name, "weak")}
        implementing = has_cue(ctx, self.name, "implement")

        def acted_on(hit: Hit) -> bool:
            before = text[max(0, hit.start - 4):hit.start].rstrip(" 　")
            return before.endswith(_OBJECT_BEFORE)

        bodies = sorted([_Body(h, False, acted_on(h)) for h in targets]
                        + [_Body(h, True, acted_on(h)) for h in locals_],
                        key=lambda b: (b.end, b.start))
        by_end = [b.end for b in bodies]
        by_start = sorted(bodies, key=lambda b: b.start)
        starts = [b.start for b in by_start]
        locals_by_end = sorted(locals_, key=lambda h: h.end)
        local_ends = [h.end for h in locals_by_end]
        sentences = sentence_starts(text)
        ends = clause_ends(text)

        def sentence(pos: int) -> int:
            return sentence_index(sentences, pos)

        def same_clause(a: int, b: int) -> bool:
            k = bisect_left(ends, a)
            return not (k < len(ends) and ends[k] < b)

        def owner(body: _Body) -> Hit | None:
            """The local body whose policy it is: itself, or the 市里 or 县里
            just before a general word (这个政策, 新规) in one clause."""
            if body.local:
                return body.hit
            if central.covers(body.start, body.end):
                return None
            k = bisect_right(local_ends, body.start) - 1
            if (k >= 0 and body.start - local_ends[k] <= LOCAL_GAP
                    and same_clause(local_ends[k], body.start)):
                return locals_by_end[k]
            return None

        attributed_locally = None
        for negative in negatives:
            at = sentence(negative.start)
            # the bodies before it, nearest first, in its sentence or the one before
            before = []
            i = bisect_right(by_end, negative.start) - 1
            while i >= 0 and len(before) < LOOK_BACK:
                body = bodies[i]
                if sentence(body.start) < at - 1:
                    break
                if not (body.start == negative.start and body.end == negative.end):
                    before.append(body)
                i -= 1
            acting = [b for b in before if not b.acted_on]
            subject = acting[0] if acting else (before[0] if before else None)
            if subject is None:
                # 「所谓的顶层设计」: the judgement comes first
                j = bisect_left(starts, negative.end)
                if j < len(by_start) and sentence(by_start[j].start) == at:
                    subject = by_start[j]
            if subject is None:
                continue
            if subject.end <= negative.start:
                gap, a, b = negative.start - subject.end, subject.end, negative.start
            else:
                gap, a, b = max(0, subject.start - negative.end), negative.end, subject.start
            close = gap <= WEAK_GAP and same_clause(a, b)
            # 「学习中央文件时有几处看不懂」: a weak word about what is studied;
            # 「条例管得太死了，要报到省里批」: nor about a body clauses away
            if (negative.start, negative.end) in weak and (
                    implementing or not close or subject.acted_on):
                continue
            local = owner(subject)
            if local is not None:
                attributed_locally = attributed_locally or (local, negative)
                continue
            score = 0.9 if sentence(subject.start) == at else 0.7   # 「中央又出新规了。纯属瞎折腾。」
            return (subject.hit, negative, score), attributed_locally
        return None, attributed_locally
