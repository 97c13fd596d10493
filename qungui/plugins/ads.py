"""广告推销: selling goods or services, with a way to buy or a price.

A sale alone (「这家企业生产面膜」) is not an advert, nor is a phone number
alone (a contact person for a project). An advert combines them: what is
sold or a sales pitch, plus a contact (phone, WeChat or QQ id, link, 私聊)
or a price. A relative's or friend's business offered to the group (我小姨子
开了家财税代理，报我名字有优惠) is an advert with a pitch, a price or a way to
reach it, whatever the group's own trade words; a favour asked of an official
for it is cronyism's. Notices about procurement, consumer vouchers or scams,
investment talk about a company's products, and the goods the room itself
deals in (批发价 in a wholesale market's group) are not adverts.
"""

from __future__ import annotations

import re

from qungui.core.plugin import RECORDED, Context, Plugin, RuleSpec, register
from qungui.plugins._common import cue_hits, has_cue, one_clause
from qungui.plugins._sales import assess, kin_offer, priced

# a seller speaking for the shop: the way to order from them (加我微信, 私聊下单,
# 本公司承接, 微信同号)
_SELLER = re.compile(r"加我|找我|联系我|私聊|私信|私我|下单|我们店|我店|本店|我家店|我的店|"
                     r"本公司|我们公司|承接|同号|同微信")


@register
class Ads(Plugin):
    spec = RuleSpec(id="ads", title="广告推销", gravity=4,
                    harmless_cues=("official", "public", "business", "news"), stance_cues=("news",))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "official"):
            return self.clear("为采购公告、消费券或防骗提醒")
        paid = [h for h in cue_hits(ctx, self.name, "paid") if one_clause(h)]
        plain = ctx.norm.plain
        if paid and not (kin_offer(ctx) or _SELLER.search(plain) or priced(plain)):
            # 「局里签了协议价，开票走单位」: the unit buys for its work, no
            # seller offers it, no price is quoted; recorded, so that the
            # decision stage does not make it an advert
            return self.hit(RECORDED, paid[0].quote, f"“{paid[0].quote}”：单位为工作采购、由单位结算")
        found = assess(ctx)
        if found is None and has_cue(ctx, self.name, "news"):
            return self.clear("产品上市的新闻报道，无购买方式")
        if found is None:
            return self.clear("无推销加联系方式或报价")
        score, evidence, reason = found
        if score <= 0:
            return self.clear("本群业务范围内的推介")
        return self.hit(score, evidence, reason)
