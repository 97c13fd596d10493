"""广告推销: selling goods or services with a contact or a price."""

from __future__ import annotations

import re

from core.plugin import Context, Plugin, register
from plugins._common import cue_hits, has_cue

# On the key view, where separators are gone and 一三八 became 138.
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# On the plain view: ¥99, 99元/盒, 168一箱
_PRICE = re.compile(r"[¥￥]\s*\d+(?:\.\d+)?|\d+(?:\.\d+)?\s*(?:元|块|rmb)"
                    r"(?:\s*[/一每]\s*(?:盒|箱|瓶|斤|件|套|个|支|袋|份|次|位))?")


@register
class Ads(Plugin):
    name = "ads"
    title = "广告推销"
    defaults = {}

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "official"):
            return  # 政府采购公告, 消费券 policy
        sales = cue_hits(ctx, self.name, "sale")
        if not sales:
            return
        norm = ctx.norm
        contact = None
        phone = _PHONE.search(norm.key)
        if phone:
            contact = norm.quote_key(phone.start(), phone.end())
        elif cue_hits(ctx, self.name, "contact"):
            contact = cue_hits(ctx, self.name, "contact")[0].quote
        price, figure = None, False
        m = _PRICE.search(norm.plain)
        if m:
            price, figure = norm.quote_plain(m.start(), m.end()), True
        elif cue_hits(ctx, self.name, "price"):
            price = cue_hits(ctx, self.name, "price")[0].quote  # 价格/便宜: talk of a price

        sale = sales[0].quote
        if contact:
            score = 0.95 if price else 0.85
            reason = f"推销“{sale}”并留联系方式“{contact}”"
        elif price:
            score = 0.75 if figure else 0.5
            reason = f"推销“{sale}”并报价“{price}”"
        elif len({h.term for h in sales}) >= 3:
            score = 0.55  # 「代购正品面膜，特价包邮」: selling, but no contact or price given
            reason = f"推销商品（“{sale}”等）"
        else:
            return
        if has_cue(ctx, self.name, "business"):
            score -= 0.4    # 「面膜生产线项目」 in a 招商 group is the group's business
        evidence = " ".join(x for x in (sale, price, contact) if x)
        yield self.finding(score, evidence, reason)
