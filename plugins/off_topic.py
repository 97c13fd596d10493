"""闲聊灌水: chit-chat that has nothing to do with the group's work."""

from __future__ import annotations

from functools import lru_cache

from core import nlp
from core.events import MessageType
from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue, is_acknowledgement

_DOMAINS = {
    "food": "美食聚餐", "sport": "体育", "entertainment": "影视娱乐", "stock": "股票理财",
    "game": "游戏", "health": "养生偏方", "greeting": "节日问候", "kids": "晒娃家事",
    "shopping": "购物砍价", "travel": "旅游出行",
}
# Too general to tell one group's topic from another's.
_GENERIC = {"工作", "工作群", "专项", "专班", "群", "交流", "沟通", "通知", "相关", "事项",
            "有关", "推进", "开展", "做好", "全体", "人员", "同志", "大家"}


@lru_cache(maxsize=1024)
def topic_words(topic: str, purpose: str) -> frozenset[str]:
    words = nlp.keywords(f"{topic} {purpose}", top=30) + nlp.cut(f"{topic} {purpose}")
    return frozenset(w for w in words if len(w) >= 2 and w not in _GENERIC)


@register
class OffTopic(Plugin):
    name = "off_topic"
    title = "闲聊灌水"
    defaults = {}

    def inspect(self, ctx: Context):
        if ctx.message.type is not MessageType.TEXT or is_acknowledgement(ctx.message.text):
            return
        chat = [h for cue in _DOMAINS for h in cue_hits(ctx, self.name, cue)]
        if not chat or has_cue(ctx, self.name, "work"):
            return
        words = topic_words(ctx.room.topic, ctx.room.purpose)
        if any(w in ctx.norm.plain for w in words):
            return  # 「羽毛球比赛周六几点」 in the 工会活动 group is its business
        chat.sort(key=lambda h: h.start)
        terms = {h.term for h in chat}
        domains = {h.cue for h in chat}
        if domains == {"shopping"} and any(t in ("砍一刀", "帮我砍", "帮忙砍", "帮我助力", "帮忙助力") for t in terms):
            score = 0.9          # 拼多多砍一刀: asking the whole group for clicks
        elif domains == {"greeting"}:
            score = 0.5 if len(terms) < 3 else 0.65   # one 中秋快乐 is manners, a chain is noise
        elif len(terms) == 1:
            score = 0.65
        elif len(terms) == 2:
            score = 0.8
        else:
            score = 0.9
        first = chat[0]
        topics = "、".join(_DOMAINS[d] for d in sorted(domains))
        yield self.finding(score, first.quote if len(ctx.text) > 60 else ctx.text.strip(),
                           f"与本群工作无关的闲聊（{topics}）")
