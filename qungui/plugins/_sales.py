"""The advert assessment shared by the ads rule and off_topic.

Selling goods or services, with a way to buy or a price: what ``ads`` flags,
and what ``off_topic`` leaves to it rather than calling chit-chat.
"""

from __future__ import annotations

import re

from qungui.core import contacts
from qungui.core.matcher import Spans
from qungui.core.plugin import Context
from qungui.plugins._common import cue_hits, has_cue

_UNIT = r"(?:盒|箱|瓶|罐|斤|公斤|件|套|个|只|支|袋|份|次|位|张|包|条|桶|平|平米|节|课)"
# On the plain view: ¥99, 99元/盒, 一箱480, 原价2000现价800, 五折, 8折.
# Linear on hostile text: a figure is tried from the first digit of a run
# only (from a later digit it would fail the same way, so a long run of
# digits is not scanned again from each of them), and no two adjacent
# repetitions can share a run of spaces (「原价」 + spaces is not tried in
# every split of the spaces).
_PRICE = re.compile(
    r"[¥￥]\s*\d+(?:\.\d+)?"
    r"|(?<!\d)\d+(?:\.\d+)?\s*(?:元|块|rmb)(?:\s*[/一每]\s*" + _UNIT + ")?"
    r"|[一每]\s*" + _UNIT + r"\s*(?:(?:只要|仅需|仅)\s*)?\d+"
    r"|(?:原价|现价|特价|售价|只要|仅需|仅售|低至|团购价|批发价)\s*(?:[:：]\s*)?(?:\d+|[一二两三四五六七八九十]+[百千万])"
    r"|满\s*\d+\s*(?:元\s*)?(?:减\s*\d+|送|包邮)|立减\s*\d+"
    r"|(?<![\d.])(?:[1-9](?:\.\d)?|[一二三四五六七八九])\s*折"
    r"|买[一二三\d]送[一二三\d]"
)


# a shop or trade of the sender's family or friend (我小姨子开了家财税代理,
# 我朋友开的广告公司, 我姐在做, 家里开了个小饭馆): with a pitch, a price or
# a way to reach it, an advert for them even without a selling word
_KIN = (r"(?:老公|老婆|爱人|媳妇|对象|姐姐?|妹妹?|哥哥?|弟弟?|表[姐妹哥弟]|堂[姐妹哥弟]|小姨子?|"
        r"小舅子?|舅舅|舅妈|姨妈|姨父|姑姑|姑妈|姑父|叔叔|婶婶|大伯|侄子|外甥|姐夫|妹夫|嫂子|弟媳|闺蜜|"
        r"老?同学|老?战友|老乡|朋友|亲戚|发小|家人)")
_KIN_SHOP = re.compile(
    r"(?:我|俺)(?:的|们家|家)?(?:一个|有个|个)?" + _KIN
    + r"[^，,。！!？?；;\n]{0,6}?(?:(?:新|刚)?开了?(?:一)?(?:家|个|间)|开的|在做|代理的|做的|所在的"
    r"|专门做|专做|是做|在[^，,。！!？?；;\n]{1,4}做(?!事|工作|了))"
    r"|家里(?:新|刚)?开了?(?:一)?(?:家|个|间)")

# a favour asked of an official for that business (能不能从他那进, 您给打个
# 招呼), or the work itself asked for them (让他来做吧, 分包给他吧): cronyism's,
# not an advert to the group
_FAVOUR = re.compile(r"能不能|能否|您看|您给|打[个过了]?招呼|说一声|关照|照顾点|照顾一下|"
                     r"让(?:他|她)(?:们)?来?(?:做|干|接)|(?:分包|包|交)给(?:他|她)")


# a call made or taken (家长打电话问, 接到电话), not a number offered (有需要的打
# 电话, 回电话 and 打电话139… still offer one)
_CALL_MADE = re.compile(r"(?:打了|刚打|接到|接了|来了)电话|打电话(?:问|了解|核实|说|过来)")


def _contact_words(ctx: Context) -> list:
    hits = cue_hits(ctx, "ads", "contact")
    text = ctx.text
    return [h for h in hits
            if not (h.term == "电话"
                    and _CALL_MADE.search(text, max(0, h.start - 2), h.end + 2))]


# a price quoted the other way round as well (80一箱, 2块一张); each run of digits read
# once, from its start (a run of 20,000 digits was read from every digit: 12 s)
_PER_UNIT = re.compile(r"(?<![\d.])\d++(?:\.\d++)?\s*[一每/]\s*" + _UNIT)


def priced(plain: str) -> bool:
    """A price quoted in the plain text (98元, ¥25, 一箱80, 80一箱)."""
    return _PRICE.search(plain) is not None or _PER_UNIT.search(plain) is not None


def kin_offer(ctx: Context) -> re.Match | None:
    """A relative's or friend's business named in the message, where no
    favour is asked of an official for it: what an advert to the group for
    them starts with (their match, else None)."""
    plain = ctx.norm.plain
    kin = _KIN_SHOP.search(plain)
    return kin if kin is not None and not _FAVOUR.search(plain) else None


def assess(ctx: Context) -> tuple[float, str, str] | None:
    """(score, evidence, reason) when the message is an advert, else None.

    Shared so that other rules can tell an advert from chit-chat (ads,
    off_topic and cronyism ask): worked out once per message.
    """
    return ctx.once("ads.assess", _assess)


def _assess(ctx: Context) -> tuple[float, str, str] | None:
    if has_cue(ctx, "ads", "official"):
        return None  # 政府采购公告, 消费券, warnings about 推销保健品
    if has_cue(ctx, "vote_buying", "election") and has_cue(ctx, "vote_buying", "solicit", "ask"):
        return None  # 「投了截图私我，我给大家寄腊肉」: a canvass and its reward, not a sale
    norm = ctx.norm
    found = contacts.contacts(norm)
    words = _contact_words(ctx)
    if not found and has_cue(ctx, "ads", "news") and not words:
        return None  # 「新款……正式上市，预售价33.5万元起」: a launch reported, no way to buy
    sales = cue_hits(ctx, "ads", "sale")
    pitches = cue_hits(ctx, "ads", "pitch")
    contact = found[0].quote if found else None
    if contact is None and words:
        contact = words[0].quote
    m = _PRICE.search(norm.plain)
    figure = norm.quote_plain(m.start(), m.end()) if m else None
    if m and m.group().startswith("买"):
        a, b = norm.plain_span(m.start(), m.end())
        # 「买一送一」 is both the offer and its price: it counts once
        sales = [h for h in sales if h.end <= a or h.start >= b]
    price = figure or next((h.quote for h in cue_hits(ctx, "ads", "price")), None)

    what = sales[0].quote if sales else (pitches[0].quote if pitches else None)
    kin = kin_offer(ctx)
    if has_cue(ctx, "ads", "public") and not (kin or (sales and contact)):
        return None  # 以旧换新补贴, 惠民政策: a notice, no product offered with a way to buy it
    offered = []         # what is offered besides the shop itself (我朋友开的 is a sale word too)
    if kin is not None:
        ka, kb = norm.plain_span(kin.start(), kin.end())
        offered = [h for h in sales if h.end <= ka or h.start >= kb]
    if kin is not None and (offered or pitches or price or contact):
        # the business of one's own people, offered to the group: the
        # group's own trade words (企业, 专班) do not make it its business
        shop = norm.quote_plain(kin.start(), kin.end())
        offer = what or price or contact
        evidence = " ".join(dict.fromkeys(x for x in (shop, offer, figure, contact) if x))
        return 0.7, evidence, f"为亲友的生意招揽（“{shop}”，“{offer}”）"
    if sales and contact:
        score = 0.95 if price else 0.85
        reason = f"推销“{what}”并留联系方式“{contact}”"
    elif pitches and found:
        # 「价格实惠，电话同微信186…」: a pitch and a number to call
        score = 0.85 if figure else 0.8
        reason = f"推销（“{what}”）并留联系方式“{contact}”"
    elif sales and figure:
        score = 0.8
        reason = f"推销“{what}”并报价“{figure}”"
    elif pitches and contact and (figure or len({h.term for h in pitches}) >= 2):
        score = 0.75
        reason = f"推销（“{what}”）并招揽“{contact}”"
    elif sales and pitches:
        score = 0.65 if (price or len({h.term for h in sales + pitches}) >= 3) else 0.5
        reason = f"推销商品（“{what}”等）"
    elif len({h.term for h in sales}) >= 3:
        # selling words, but no contact, price or pitch; a whole pitch of
        # them (招募代理！一手货源，零投资零库存，月入过万) sells by itself
        score = 0.65 if len({h.term for h in sales}) >= 5 else 0.55
        reason = f"推销商品（“{what}”等）"
    elif len({h.term for h in pitches}) >= 3 and figure:
        # 「押题……报名立减300，名额有限」: a whole pitch with its price
        score = 0.65
        reason = f"推销（“{what}”等）并报价“{figure}”"
    elif sales and price:
        score = 0.5
        reason = f"推销“{what}”并谈价格“{price}”"
    else:
        return None
    # the group's own business: a business word of its trade (「面膜生产线项目」
    # in a 招商 group; 投资 inside 零投资 is the sale's own word), or what is
    # sold being what the room deals in (批发价 in a 批发市场 group)
    inside = Spans(sales)
    room = f"{ctx.room.topic} {ctx.room.purpose}"
    if (any(not inside.covers_longer(h.start, h.end) for h in cue_hits(ctx, "ads", "business"))
            or (kin is None and any(h.term in room for h in sales))):
        score -= 0.4
    evidence = " ".join(dict.fromkeys(x for x in (what, figure or price, contact) if x))
    return score, evidence, reason
