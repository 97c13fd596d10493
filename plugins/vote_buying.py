"""拉票贿选: canvassing or buying votes around elections and evaluations."""

from __future__ import annotations

import re

from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue, quote, same_sentence


@register
class VoteBuying(Plugin):
    name = "vote_buying"
    title = "拉票贿选"
    defaults = {}

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "warning"):
            return  # 「严禁拉票贿选」, 换届纪律 notices
        elections = cue_hits(ctx, self.name, "election")
        if not elections:
            return
        strong = same_sentence(ctx, elections, cue_hits(ctx, self.name, "solicit"), max_gap=2)
        if strong:
            election, ask = strong[0]
            yield self.finding(0.9, quote(ctx, election, ask),
                               f"在“{election.quote}”中拉票（“{ask.quote}”）")
            return
        weak = same_sentence(ctx, elections, cue_hits(ctx, self.name, "ask"), max_gap=1)
        if weak:
            election, ask = weak[0]
            # 「帮忙投一下」 for oneself or one's own side is canvassing; for a
            # vote everyone is asked to cast it is a reminder.
            selfish = re.search(r"我|俺|咱|自家|我们(科|处|股|单位|局)", ctx.norm.plain)
            score = 0.7 if selfish else 0.45
            yield self.finding(score, quote(ctx, election, ask),
                               f"在“{election.quote}”中请人“{ask.quote}”，疑似拉票")
