"""妄议中央: a negative judgement of central bodies, leaders or policies."""

from __future__ import annotations

from qungui.core.plugin import Context, Plugin, RuleSpec, register
from qungui.plugins._common import cue_hits, first_pair, governed_by, has_cue, quote


@register
class CentralPolicy(Plugin):
    spec = RuleSpec(id="central_policy", title="妄议中央", gravity=11,
                    harmless_cues=("notice", "counter"))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "notice"):
            # 通报/典型案例/辟谣 quote the offence, they do not commit it
            return self.clear("通报或辟谣中的引用")
        # 「防止一刀切」: a counter word earlier in the clause turns the negative
        # term into the loyal line
        governed = governed_by(ctx, (h.term for h in cue_hits(ctx, self.name, "counter")))
        negatives = [h for h in cue_hits(ctx, self.name, "negative") if not governed(h)]
        targets = cue_hits(ctx, self.name, "target")
        if not negatives or not targets:
            return self.clear("无中央对象或无负面评价")
        pair = first_pair(ctx, targets, negatives)
        score = 0.9
        if pair is None:
            pair = first_pair(ctx, targets, negatives, max_gap=1)
            score = 0.7   # 「中央又出新规了。纯属瞎折腾。」
        if pair is None:
            return self.clear("对象与负面评价不在相邻句中")
        target, negative = pair
        return self.hit(score, quote(ctx, target, negative),
                        f"对“{target.quote}”作出“{negative.quote}”等负面评价")
