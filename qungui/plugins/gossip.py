"""背后议论: disparaging a colleague or leader, or gossip about private life.

A person (named: 老王, 小李, 张局; or pointed at: 那个副局长, 新来的, 他)
plus a derogatory judgement in the same sentence, or plus private-life
gossip in the same or the next one. Casework about a 群众, official notices
and self-criticism are not gossip, and judging 中央领导 is central_policy's.
"""

from __future__ import annotations

from qungui.core.matcher import Hit, Spans
from qungui.core.plugin import Context, Plugin, RuleSpec, register
from qungui.plugins._common import (NAMED_PERSON, countered, cue_hits, first_pair, has_cue,
                                   pattern_hits, quote)


@register
class Gossip(Plugin):
    spec = RuleSpec(id="gossip", title="背后议论", gravity=6, harmless_cues=("notice", "work"),
                    names_subject=True)

    def _people(self, ctx: Context) -> list[Hit]:
        central = Spans(cue_hits(ctx, "central_policy", "target"))
        people = [h for h in cue_hits(ctx, self.name, "person")
                  if not central.covers(h.start, h.end)]
        # on the key view, so that 「小 张」 with spaces is still a person
        return people + pattern_hits(ctx, NAMED_PERSON, self.name, "person", view="key")

    def inspect(self, ctx: Context):
        derogatory = cue_hits(ctx, self.name, "derogatory")
        if derogatory and has_cue(ctx, self.name, "counter"):
            # 「不得推诿扯皮」: a judgement forbidden, passed on no one
            governed = countered(ctx, self.name)
            derogatory = [h for h in derogatory if not governed(h)]
        private = cue_hits(ctx, self.name, "private")
        if not derogatory and not private:
            return self.clear("无贬损或私生活用语")
        if has_cue(ctx, self.name, "notice"):
            return self.clear("通报中的引用")
        people = self._people(ctx)
        pair = first_pair(ctx, people, derogatory)
        if pair:
            person, judgement = pair
            return self.hit(0.85, quote(ctx, person, judgement),
                            f"在群里贬损他人（“{person.quote}”“{judgement.quote}”）")
        pair = first_pair(ctx, people, private, max_gap=1)
        if pair:
            person, gossip = pair
            # casework (a 群众 who divorced and applies for aid) is not gossip
            score = 0.45 if has_cue(ctx, self.name, "work") else 0.85
            return self.hit(score, quote(ctx, person, gossip),
                            f"在群里议论他人私生活（“{gossip.quote}”）")
        return self.clear("贬损或私生活用语未指向具体的人")
