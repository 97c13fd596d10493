"""实名入群: a newcomer's group nickname must read 姓名-单位-职务."""

from __future__ import annotations

import re

from qungui.core.plugin import JoinContext, Plugin, register

# Dash look-alikes people type on phones; they mean the same separator.
_DASHES = re.compile(r"[－—–‐‑−_]")


@register
class RealName(Plugin):
    name = "realname"
    title = "实名入群"
    defaults = {
        "pattern": r"^[\u4e00-\u9fa5·]{2,8}-[^-\s]{2,20}-[^-\s]{1,20}$",
        "example": "张伟-商务局-科员",
    }

    def on_join(self, ctx: JoinContext):
        nickname = (ctx.member.alias or ctx.member.name or "").strip()
        pattern = ctx.param(self.name, "pattern", self.defaults["pattern"])
        example = ctx.param(self.name, "example", self.defaults["example"])
        if nickname and re.match(pattern, _DASHES.sub("-", nickname)):
            return
        shown = nickname or "（空）"
        yield self.finding(1.0, shown,
                           f"群昵称“{shown}”不符合实名要求，请改为“姓名-单位-职务”，如：{example}")
