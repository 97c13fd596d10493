"""背后议论: disparaging a colleague or leader, or gossip about private life."""

from __future__ import annotations

from core.matcher import Hit
from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue, named_people, quote, same_sentence


@register
class Gossip(Plugin):
    name = "gossip"
    title = "背后议论"
    defaults = {}

    def _people(self, ctx: Context) -> list[Hit]:
        people = list(cue_hits(ctx, self.name, "person"))
        norm = ctx.norm
        for m in named_people(norm.plain):   # 老王, 小李, 张局
            a, b = norm.plain_span(m.start(), m.end())
            people.append(Hit(self.name, "person", m.group(), a, b, ctx.text[a:b]))
        return people

    def inspect(self, ctx: Context):
        derogatory = cue_hits(ctx, self.name, "derogatory")
        private = cue_hits(ctx, self.name, "private")
        if not derogatory and not private:
            return
        people = self._people(ctx)
        pairs = same_sentence(ctx, people, derogatory)
        if pairs:
            person, judgement = pairs[0]
            yield self.finding(0.85, quote(ctx, person, judgement),
                               f"在群里贬损他人（“{person.quote}”“{judgement.quote}”）")
            return
        pairs = same_sentence(ctx, people, private)
        if pairs:
            person, gossip = pairs[0]
            # casework (a 群众 who divorced and applies for aid) is not gossip
            score = 0.45 if has_cue(ctx, self.name, "work") else 0.85
            yield self.finding(score, quote(ctx, person, gossip),
                               f"在群里议论他人私生活（“{gossip.quote}”）")
