"""传播谣言: an unverified claim pushed to spread."""

from __future__ import annotations

from qungui.core.plugin import Context, Plugin, RuleSpec, register
from qungui.plugins._common import cue_hits, has_cue, quote


@register
class Rumor(Plugin):
    spec = RuleSpec(id="rumor", title="传播谣言", gravity=7, harmless_cues=("debunk",))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "debunk"):
            # 辟谣 notices and 「请勿转发未经核实的消息」
            return self.clear("辟谣或提醒勿传")
        claims = cue_hits(ctx, self.name, "claim")
        pushes = cue_hits(ctx, self.name, "urgency")
        if not claims:
            return self.clear("无传言用语")
        if not pushes:
            return self.clear("传言未催促转发")
        alarms = cue_hits(ctx, self.name, "alarm")
        score = 0.9 if alarms else 0.65
        claim, push = claims[0], pushes[-1]
        what = f"，内容涉及“{alarms[0].quote}”" if alarms else ""
        return self.hit(score, quote(ctx, claim, push),
                        f"以“{claim.quote}”传播未经核实的消息并催促“{push.quote}”{what}")
