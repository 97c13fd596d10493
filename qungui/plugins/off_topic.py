"""闲聊灌水: chit-chat that has nothing to do with the group's work.

A message is chit-chat when it talks of a chit-chat domain (food, sport,
stars, stocks, games, health tips, greetings, children, shopping, travel,
everyday life) and nothing of work: no work cue, no word of this room's own
topic and purpose, none of the recent on-topic talk. Acknowledgements and
emoji never are, and a message that another rule is about (an advert, a
vote, a red envelope, gossip) is left to that rule.
"""

from __future__ import annotations

import re
from functools import lru_cache

from qungui.core import nlp
from qungui.core.events import MessageType
from qungui.core.plugin import REGISTRY, Context, Plugin, Recent, RuleSpec, register
from qungui.plugins._common import clause_of, countered, cue_hits, has_cue
from qungui.plugins._sales import assess

_DOMAINS = {
    "food": "美食聚餐", "sport": "体育", "entertainment": "影视娱乐", "stock": "股票理财",
    "game": "游戏", "health": "养生偏方", "greeting": "节日问候", "kids": "晒娃家事",
    "shopping": "购物砍价", "travel": "旅游出行", "life": "生活琐事", "car": "汽车",
    "gadget": "数码家电",
}
# Too general to tell one group's topic from another's.
_GENERIC = {"工作", "工作群", "专项", "专班", "群", "交流", "沟通", "通知", "相关", "事项",
            "有关", "推进", "开展", "做好", "全体", "人员", "同志", "大家", "服务", "活动",
            "组织", "管理", "建设", "工作专班", "发展"}
# Cue combinations that make a message another rule's business: (rule, the
# lexicon sections that must all be present).
_OTHER_RULES = (("vote_buying", ("election",)), ("red_envelope", ("solicit",)),
                ("gossip", ("person", "derogatory")), ("gossip", ("private",)),
                ("rumor", ("claim", "urgency")), ("cronyism", ("circle", "favor")),
                ("central_policy", ("target", "negative")))
_NEWS = ("sport", "entertainment")
_NEWS_KEEPS = (("election",), ("private",))
_SHOPPING_ASKS = ("砍一刀", "帮我砍", "帮忙砍", "帮我助力", "帮忙助力", "帮忙点一下", "帮我点一下")
_LEAD_INS = {"祝大家"}     # 「祝大家中秋快乐」 is one greeting, not two
# one's own field work counted (今天跑了四所学校, 跑了6个村, 一天讲了四场): the
# work itself, however lightly told; trips and shops (跑了三个景点) are not
_FIELD_WORK = re.compile(
    r"(?:跑|走访|检查|查|巡查)了[\d一二两三四五六七八九十百]{1,4}"
    r"(?:个(?:村|乡镇|社区|小区|工地|点|站|基坑|井位|码头|网点|场所|标段|项目)"
    r"|所(?:学校|医院)?|家(?:企业|单位|场所|码头|医院)|户)"
    r"|讲了[\d一二两三四五六七八九十]{1,3}场")
# a child, a trip or a purchase in the same clause makes it the sender's own
# errand (周末带娃跑了三所学校看学区房)
_ERRANDS = ("kids", "travel", "shopping", "sport")
# an office answering (旅游股知悉, 体育局收到): not the subject (not 旅游股涨停, 钓鱼局，差一个)
_OFFICE = re.compile(r"(?:股|科|局|办)(?=知悉|收到)")
RECENT_ON_TOPIC = 5   # earlier messages of the room whose words count as on-topic
# an invitation to play (今晚王者开黑不, 差个辅助): chit-chat whatever work words stand
# beside it (汛期值班熬得慌), unless banned earlier in its clause (值班不准开黑: the
# lexicon's [counter] words); not 三缺一, which is a duty roster's shortfall too (今晚
# 值班三缺一，谁来替一下)
_INVITES = frozenset({"开黑不", "开黑吗", "开黑啊", "来开黑", "一起开黑", "开一局", "来一局", "差个辅助"})


@lru_cache(maxsize=1024)
def topic_words(topic: str, purpose: str) -> frozenset[str]:
    text = f"{topic} {purpose}"
    words = nlp.keywords(text, top=30) + nlp.cut(text)
    # the city or county a room is named after is where its members live
    # too: 「澜州马拉松有人跑吗」 is not the 澜州综试区 group's business
    where = _named_places(topic, text)
    return frozenset(w for w in words if len(w) >= 2 and w not in _GENERIC and w not in where)


_ADMIN = "市县区镇乡州省"


def _named_places(topic: str, text: str) -> frozenset[str]:
    """The places a room is named after: a name with an administrative
    ending (临江市, 澜州; and 临江 without it), or one no dictionary holds
    that opens the topic (东湾综合保税区). Rivers, customs and new districts
    (长江, 海关, 经开区), which jieba tags as places too, are work."""
    names = set()
    for p in nlp.places(text):
        if p[-1] in _ADMIN and (len(p) >= 3 or p[-1] == "州"):
            names.update((p, p[:-1]) if len(p) >= 3 else (p,))
        elif topic.startswith(p) and not nlp.known(p):
            names.add(p)
    return frozenset(names)


def _keywords(entry: Recent) -> tuple[str, ...]:
    """The keywords of an earlier message's capped text: extracted on first
    use and kept with the message, not again for every message after it."""
    return tuple(w for w in nlp.keywords(entry.text, top=5) if len(w) >= 2)


def _recent_words(ctx: Context, chat_terms: set[str]) -> set[str]:
    """Keywords of the last few messages that were work talk (no chat term),
    each read up to the cap."""
    words: set[str] = set()
    for entry in ctx.recent[-RECENT_ON_TOPIC:]:
        text = entry.text
        if text and not any(t in text for t in chat_terms):
            words.update(entry.once("off_topic.keywords", _keywords))
    return words - _GENERIC


# what a member posts with words of their own or a title: a shared link's
# title (a celebrity story, a match report) and a photo's caption are chat
# as much as typed text; a file's name, a payment or a sticker are not
_READ = frozenset({MessageType.TEXT, MessageType.URL, MessageType.IMAGE, MessageType.VIDEO})


@register
class OffTopic(Plugin):
    spec = RuleSpec(id="off_topic", title="闲聊灌水", gravity=1, harmless_cues=("work",),
                    residual=True)

    @staticmethod
    def _field_work(ctx: Context, chat) -> bool:
        """One's own field work counted, no errand of one's own beside it."""
        norm = ctx.norm
        m = _FIELD_WORK.search(norm.plain)
        if m is None:
            return False
        start, end = clause_of(ctx.text, *norm.plain_span(m.start(), m.end()))
        return not any(h.cue in _ERRANDS and start <= h.start < end for h in chat)

    def inspect(self, ctx: Context):
        if ctx.message.type not in _READ:
            return self.clear("非文字消息")
        if ctx.acknowledgement:
            return self.clear("为确认回复")
        # domain by domain; 「旅游股知悉」: a chit-chat word naming the office that
        # answers is the office
        chat = [h for h in cue_hits(ctx, self.name, *_DOMAINS) if not _OFFICE.match(ctx.text, h.end)]
        if not chat:
            return self.clear("无闲聊用语")
        invites = [h for h in chat if h.term in _INVITES]
        invited = bool(invites) and not all(map(countered(ctx, self.name), invites))
        if not invited and (has_cue(ctx, self.name, "work") or self._field_work(ctx, chat)):
            return self.clear("含工作用语")
        # a match report or a star's story (two words of sport or show
        # business or more) keeps its vote word and its private life: 「当选
        # 总决赛MVP」「入围金鹰奖提名」「歌手……宣布离婚」 are news, not a
        # canvass or talk of colleagues
        news = len({h.term for h in chat if h.cue in _NEWS}) >= 2
        other = next((rule for rule, cues in _OTHER_RULES
                      if all(has_cue(ctx, rule, cue) for cue in cues)
                      and not (news and cues in _NEWS_KEEPS)), None)
        if other is not None:
            title = REGISTRY[other].title if other in REGISTRY else other
            return self.clear(f"属{title}，交由该规则")
        sale = assess(ctx)
        if sale and sale[0] >= 0.6:
            return self.clear("属广告，交由广告规则")  # an advert, not chit-chat
        terms = {h.term for h in chat}
        plain = ctx.norm.plain
        if any(w in plain for w in topic_words(ctx.room.topic, ctx.room.purpose)):
            # 「羽毛球比赛周六几点」 in the 工会活动 group is its business
            return self.clear("含本群主题用语")
        if ctx.recent and any(w in plain for w in _recent_words(ctx, terms)):
            return self.clear("接续此前的工作讨论")  # a reply to the work talk just before it
        chat.sort(key=lambda h: h.start)
        domains = {h.cue for h in chat}
        if domains == {"shopping"} and terms & set(_SHOPPING_ASKS):
            score = 0.9          # 拼多多砍一刀: asking the whole group for clicks
        elif domains == {"greeting"}:
            # one 中秋快乐 is manners; a chain of wishes (早上好……万事如意) is noise
            score = 0.5 if len(terms - _LEAD_INS) < 2 else 0.65
        elif len(terms) == 1:
            score = 0.65
        elif len(terms) == 2:
            score = 0.8
        else:
            score = 0.9
        first = chat[0]
        topics = "、".join(_DOMAINS[d] for d in sorted(domains))
        return self.hit(score, first.quote if len(ctx.text) > 60 else ctx.norm.original.strip(),
                        f"与本群工作无关的闲聊（{topics}）")
