"""实名入群: a newcomer's group nickname must read 姓名-单位-职务.

The rule also brings the group command ``checknames`` (检查昵称), which
checks every present member's nickname the same way.
"""

from __future__ import annotations

import re

from qungui.core.command import ADMIN, Reply, RuleCommand, command
from qungui.core.plugin import JoinContext, Param, Plugin, RuleSpec, regex_param, register

# Dash look-alikes people type on phones; they mean the same separator.
_DASHES = re.compile(r"[－—–‐‑−_]")
# At most this many wrong nicknames are @mentioned by checknames.
MAX_LISTED = 30

# The rule's own words in the group.
REALNAME_OFF = "本群未开启实名检查（实名入群规则已停用）。"


def names_all_good(n: int) -> str:
    return f"已检查{n}位成员的群昵称，均符合实名要求。"


def names_wrong(n: int, example: str) -> str:
    return (f"以下{n}位成员的群昵称不符合“姓名-单位-职务”的实名要求，请修改"
            + (f"（如：{example}）" if example else "") + "：")


@register
class RealName(Plugin):
    spec = RuleSpec(
        id="realname", title="实名入群", gravity=3,
        params={
            "pattern": Param(r"^[\u4e00-\u9fa5·]{2,8}-[^-\s]{2,20}-[^-\s]{1,20}$",
                             help="regular expression a nickname must match (dash look-alikes "
                                  "count as '-')", check=regex_param),
            "example": Param("张伟-商务局-科员", help="a correct nickname, shown in the reminder"),
        },
        event="join", content=False, learned=False, temper=False)

    def on_join(self, ctx: JoinContext):
        nickname = (ctx.member.alias or ctx.member.name or "").strip()
        pattern = self.param(ctx, "pattern")
        example = self.param(ctx, "example")
        if nickname and re.match(pattern, _DASHES.sub("-", nickname)):
            return self.clear("群昵称符合实名格式")
        shown = nickname or "（空）"
        return self.hit(1.0, shown,
                        f"群昵称“{shown}”不符合实名要求，请改为“姓名-单位-职务”，如：{example}")

    @command("checknames", level=ADMIN, help="检查群昵称是否符合实名格式",
             aliases=("检查昵称", "实名检查"))
    async def checknames(self, cmd: RuleCommand) -> Reply:
        """Every present member's nickname against the room's pattern; the
        ones that do not match are @mentioned."""
        if cmd.params is None:
            return Reply(REALNAME_OFF)
        room = cmd.room
        params = {"realname": cmd.params}
        wrong = []
        for member in room.members.values():
            if member.id == cmd.bot_id:
                continue
            ctx = JoinContext(room=room, member=member, params=params, ts=cmd.message.ts)
            if self.on_join(ctx).hit:
                wrong.append(member)
        if not wrong:
            return Reply(names_all_good(len(room.members)))
        example = cmd.params.get("example", "")
        return Reply(names_wrong(len(wrong), example),
                     mentions=tuple(m.id for m in wrong[:MAX_LISTED]
                                    if m.id != cmd.message.sender_id))
