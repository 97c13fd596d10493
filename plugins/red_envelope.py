"""红包转账: red envelopes and transfers, or asking for them, in a work group."""

from __future__ import annotations

from core.events import MessageType
from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue

_KIND = {MessageType.RED_ENVELOPE: "红包", MessageType.TRANSFER: "转账"}


@register
class RedEnvelope(Plugin):
    name = "red_envelope"
    title = "红包转账"
    defaults = {"text_score": 0.8}

    def inspect(self, ctx: Context):
        kind = _KIND.get(ctx.message.type)
        if kind:
            amount = ctx.message.amount
            evidence = f"{kind} {amount:g}元" if amount is not None else kind
            yield self.finding(1.0, evidence, f"在工作群发{kind}" + (f"（{amount:g}元）" if amount is not None else ""))
            return
        asks = cue_hits(ctx, self.name, "solicit")
        if not asks or has_cue(ctx, self.name, "notice"):
            return
        hit = asks[0]
        yield self.finding(ctx.param(self.name, "text_score", self.defaults["text_score"]),
                           hit.quote, f"在工作群张罗发红包或转账（“{hit.quote}”）")
