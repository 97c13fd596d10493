"""刷屏: too many messages in a short time, the same text again and again, or one huge message."""

from __future__ import annotations

from datetime import timedelta

from qungui.core.plugin import Context, Plugin, register
from qungui.core.text import normalize
from qungui.plugins._common import is_acknowledgement


@register
class Flood(Plugin):
    name = "flood"
    title = "刷屏"
    defaults = {
        "max_messages": 6,            # this many messages from one sender ...
        "window_seconds": 60,         # ... within this window is flooding
        "max_repeats": 3,             # the same text this many times ...
        "repeat_window_seconds": 600,  # ... within this window is flooding
        "max_chars": 2000,            # one message longer than this
    }

    def _p(self, ctx: Context, key: str):
        return ctx.param(self.name, key, self.defaults[key])

    def inspect(self, ctx: Context):
        msg = ctx.message
        mine = [m for m in ctx.recent if m.sender_id == msg.sender_id and m.ts <= msg.ts]
        candidates = []

        window = timedelta(seconds=self._p(ctx, "window_seconds"))
        limit = self._p(ctx, "max_messages")
        burst = 1 + sum(1 for m in mine if msg.ts - m.ts <= window)
        if burst >= limit:
            score = min(0.95, 0.8 + 0.05 * (burst - limit))
            seconds = int(window.total_seconds())
            candidates.append((score, f"{seconds}秒内{burst}条消息",
                               f"{seconds}秒内连续发送{burst}条消息，刷屏"))

        text = msg.text.strip()
        if text and not is_acknowledgement(text):
            key = normalize(text).key
            rwindow = timedelta(seconds=self._p(ctx, "repeat_window_seconds"))
            same = 1 + sum(1 for m in mine
                           if msg.ts - m.ts <= rwindow and m.text.strip()
                           and normalize(m.text.strip()).key == key)
            if key and same >= self._p(ctx, "max_repeats"):
                candidates.append((0.85, text[:40], f"同一内容重复发送{same}次"))

        max_chars = self._p(ctx, "max_chars")
        if ctx.truncated or len(msg.text) > max_chars:
            candidates.append((0.65, msg.text[:40] + "……",
                               f"单条消息过长（{len(msg.text)}字，上限{max_chars}字）"))

        if candidates:
            score, evidence, reason = max(candidates, key=lambda c: c[0])
            yield self.finding(score, evidence, reason)
