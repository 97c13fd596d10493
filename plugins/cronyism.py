"""圈子文化: networking for private gain (老乡会, 拜码头, 政商圈子)."""

from __future__ import annotations

from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue, quote, same_sentence

# Circles that are improper in themselves, even without a favour named.
_INHERENT = {"拜码头", "拜拜码头", "认干亲", "认干爹", "认干妈", "拜把子", "攀高枝", "政商圈", "政商人脉"}


@register
class Cronyism(Plugin):
    name = "cronyism"
    title = "圈子文化"
    defaults = {}

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "official"):
            return  # 招商对接, 亲清政商关系, warnings against 圈子文化
        circles = cue_hits(ctx, self.name, "circle")
        if not circles:
            return
        favors = [h for h in cue_hits(ctx, self.name, "favor")
                  if not any(c.start <= h.start and h.end <= c.end for c in circles)]
        pairs = same_sentence(ctx, circles, favors, max_gap=1)
        if pairs:
            circle, favor = pairs[0]
            yield self.finding(0.85, quote(ctx, circle, favor),
                               f"借“{circle.quote}”关系谋求“{favor.quote}”，搞圈子")
            return
        helps = same_sentence(ctx, circles, cue_hits(ctx, self.name, "help"), max_gap=1)
        if helps:
            circle, help_ = helps[0]
            # 「同学会碰到老同学，他说可以帮忙咨询」: a favour, not necessarily improper
            yield self.finding(0.5, quote(ctx, circle, help_),
                               f"借“{circle.quote}”关系请托“{help_.quote}”")
            return
        inherent = [h for h in circles if h.term in _INHERENT]
        if inherent:
            hit = inherent[0]
            yield self.finding(0.65, hit.quote, f"宣扬“{hit.quote}”一类圈子文化")
