"""刷屏: too many messages in a short time, the same text again and again, or one huge message.

Repeats are compared on the key view of each message's capped text. Each
earlier message of the room carries its key view (``Recent.key``, cut from
its own context's normalization when it entered the room's recent
messages), and the current one's comes with its context: a sender's history
is never normalized again for every new message, nor read past the cap.
"""

from __future__ import annotations

from datetime import timedelta

from qungui.core.plugin import Context, Param, Plugin, RuleSpec, register


@register
class Flood(Plugin):
    spec = RuleSpec(
        id="flood", title="刷屏", gravity=2,
        params={
            "max_messages": Param(6, help="this many messages from one sender within "
                                          "window_seconds is flooding", minimum=1),
            "window_seconds": Param(60, help="the window, in seconds, for max_messages",
                                    minimum=1),
            "max_repeats": Param(3, help="the same text this many times within "
                                         "repeat_window_seconds is flooding", minimum=1),
            "repeat_window_seconds": Param(600, help="the window, in seconds, for max_repeats",
                                           minimum=1),
            "max_chars": Param(2000, help="one message longer than this many characters "
                                          "is flooding", minimum=1),
        },
        content=False, learned=False, temper=False)

    def inspect(self, ctx: Context):
        msg = ctx.message
        sender, now = msg.sender_id, msg.ts      # read once, not for each earlier message
        mine = [r for r in ctx.recent if r.message.sender_id == sender and r.message.ts <= now]
        candidates = []

        window = timedelta(seconds=self.param(ctx, "window_seconds"))
        limit = self.param(ctx, "max_messages")
        burst = 1 + sum(1 for r in mine if msg.ts - r.message.ts <= window)
        if burst >= limit:
            score = min(0.95, 0.8 + 0.05 * (burst - limit))
            seconds = int(window.total_seconds())
            candidates.append((score, f"{seconds}秒内{burst}条消息",
                               f"{seconds}秒内连续发送{burst}条消息，刷屏"))

        text = ctx.as_recent.text.strip()
        if text and not ctx.acknowledgement:
            key = ctx.as_recent.key
            rwindow = timedelta(seconds=self.param(ctx, "repeat_window_seconds"))
            # an empty key (punctuation only) repeats nothing
            same = 1 + sum(1 for r in mine
                           if msg.ts - r.message.ts <= rwindow and r.key == key) if key else 0
            if key and same >= self.param(ctx, "max_repeats"):
                candidates.append((0.85, text[:40], f"同一内容重复发送{same}次"))

        max_chars = self.param(ctx, "max_chars")
        if ctx.truncated or len(msg.text) > max_chars:
            candidates.append((0.65, msg.text[:40] + "……",
                               f"单条消息过长（{len(msg.text)}字，上限{max_chars}字）"))

        if not candidates:
            return self.clear("未达刷屏条数、重复次数或长度上限")
        score, evidence, reason = max(candidates, key=lambda c: c[0])
        return self.hit(score, evidence, reason)
