"""圈子文化: networking for private gain (老乡会, 拜码头, 政商圈子).

A tie (hometown, school, army, kin, a patron) plus a favour in the same or
the next sentence; a few ties are improper in themselves (拜码头, 站队,
认干爹). Investment promotion that invites 在外老乡企业家 and discipline
notices against 圈子文化 are not this.
"""

from __future__ import annotations

import re

from qungui.core.matcher import Spans
from qungui.core.plugin import RECORDED, Context, Plugin, RuleSpec, register
from qungui.plugins._common import cue_hits, first_pair, has_cue, pattern_hits, quote, said_last
from qungui.plugins._sales import assess, kin_offer

# Circles that are improper in themselves, even without a favour named.
_INHERENT = {"拜码头", "拜拜码头", "认干亲", "认干爹", "认干妈", "认个干爹", "拜把子", "攀高枝",
             "政商圈", "政商圈子", "政商人脉", "站队", "站好队", "找靠山", "抱团", "小圈子",
             "的人说了算", "跟着混", "老乡聚会"}
# 「跟着王局混」: following a patron; 「这个工程给我表弟做」: work handed to a tie.
_FOLLOW = re.compile(r"跟着[^，。！？!?\s]{1,4}混(?!凝土)")
# 「周末搞个老乡聚会」「老乡聚一聚」「同乡聚餐」: officials' hometown gathering, a
# circle in itself; read on the plain view, where 聚聚 stays two characters
# (the key view folds it to 聚, and 老乡聚在村部门口 is people gathered)
_GATHERING = re.compile(r"(?:老乡|同乡)(?:聚会|聚餐|聚一聚|聚一下|聚聚)")
_HAND_OVER = re.compile(r"(?:给|让|交给)(?:我|他|她)[^，。！？!?\s]{0,4}(?:做|来做|干|来干|供|承包|办)")
_OWN = ("我", "咱", "俺")
# a refusal in so many words, which holds even beside the sender's own tie where the tie
# is the one who asked (我初中同学……想让我打个招呼……我回绝了; not 被窗口回绝了); so
# does the open procedure named as the sender's answer to it, where the message ends
# on it (我老乡……找到我，我让他在系统里正常预约，跟其他企业一样排队)
_FIRM = frozenset({"我没答应", "没答应他", "我拒了", "我拒绝了", "被我拒了", "我明确拒绝", "明确拒绝了",
                   "当场拒绝", "回绝了", "我回绝", "直接拒绝"})
_ASKED_OF_ME = re.compile(r"想(?:让|请|托|找)|托我|找(?:到)?我|让我(?:帮|跟|给|去)|问我")
# the open procedure named as the sender's answer (我已经告诉他一切按清单和程序办, 我让他看
# 公开招聘公告, 我回他按公开招标程序报名): only so a refusal, not where it describes
# the favour's cover (人事那边帮忙打个招呼，走公开招聘)
_PROCEDURE = frozenset({"一切按程序", "一切按清单", "谁来都一样", "等公开招标", "交易网的公告",
                        "按程序自己申请", "公开招聘", "按公开招标", "公开招标程序", "招标公告",
                        "正常预约", "一样排队", "跟其他企业一样", "正常流程", "走正常程序", "按正常程序",
                        "自己投简历", "程序报名", "招聘公告", "按申报指南"})
_MY_ANSWER = re.compile(r"我(?:已经|直接|就|都)?(?:告诉|让|叫|回|跟|和|劝|说|答复)")
# ... and, beside the sender's own tie, only where the message ends with it (not 我让他
# 正常预约，明天上午你们给他留个号)
_ENDS_HERE = re.compile(r"[^，,。！!？?；;\n]{0,16}[。！!～~\s]*$")
# ... or, after an approach to the sender (有老乡找我……), 让他/叫他/告诉他 alone
_TOLD_HIM = re.compile(r"(?:让|叫|告诉|劝)(?:他|她|对方)")
# a reward promised to the one asked or to everyone (回头少不了你的好处, 事成不会亏待
# 大家, 亏待不了你); not 好处费 named in a notice
_REWARD = re.compile(r"少不了(?:你|您|大家|各位)的?好处|(?:不会|绝不|亏待不了)(?:亏待)?(?:你|您|大家|各位)"
                     r"|好处少不了")
# access brokered (牵个线, 引荐, 打个招呼, 通融): not the help of 帮忙 alone (大家帮忙加个班
# ……不会亏待大家)
_BROKER = re.compile(r"牵(?:个)?线|搭(?:个)?桥|引荐|打(?:个)?招呼|通融|疏通|递(?:个)?话|认识一下|走动走动")
# the unit or its assessment promising it to everyone (单位不会亏待大家, 年终考核不会亏待大家;
# not 局里不会亏待你, to the one asked)
_PROMISER_OFFICIAL = re.compile(r"(?:单位|组织|局里|考核|集体)$")
_TO_YOU = re.compile(r"你(?!们)|您")
# an approach made to the sender by someone else (有家公司想通过我, 有亲戚来找我, 托人找我,
# 有砂场老板说): what a refusal answers
_APPROACHED = re.compile(r"有(?:个|家|位|人|户|些|居民|业主|群众|企业|老板|亲戚|朋友|同学|当事人)"
                         r"|有[\u4e00-\u9fff]{1,3}(?:老板|企业|公司|厂家|商家)"
                         # (有侨团负责人; not 所有科室负责人)
                         r"|(?<![所还没])有[\u4e00-\u9fff]{1,3}负责人"
                         r"|托(?:我|人|关系)|找(?:到)?我|通过我|来找|问我"
                         r"|(?:企业|公司|老板|厂家|商家|开发商)(?:想|要|托|来|说要)"
                         r"|(?:企业|公司|老板|厂家|商家|开发商)[^，,。！!？?；;\n]{0,4}(?:打电话|打来电话|来电|找上门|私信)")
# the favour told as done or the refusal as feigned (已经打过招呼, 名额给他留好了, 做做样子,
# 让他直接报我名字): no refusal, whatever the words
_PUT_IN = r"打过招呼|打好招呼|留好了"       # a word put in, a place kept
_DONE = re.compile(_PUT_IN + r"|给(?:他|她|你)(?:留|安排)|(?:已经|我)安排好|已经(?:跟|和|帮|给)"
                   r"|做做样子|装装样子|报我(?:的)?名字|提我(?:的)?名字")
# ... of those, the ones that hold on every path: a word put in, a place kept, conditions
# cut to fit (岗位条件按他儿子的情况设的); not denied (从来没打过招呼)
_GRANTED = re.compile(r"(?<![没未不])(?<!没有)(?:" + _PUT_IN + r"|通过气|安排好了)"
                      r"|按(?:他|她)[^，,。！!？?；;\n]{0,8}设的")
# a reply that opens by turning down what the member named asked (「@李大山 这个不行，……我们
# 不能打招呼」): the approach is theirs, in the message answered
# (not a hedge, 不行的话, 不行吗？)
_REPLY_REFUSES = re.compile(r"[@＠][^\s，,。:：@＠]{1,12}\s{0,2}[，,:：]?\s{0,2}(?:这个|这事|这件事|此事)?"
                            r"(?:不行|不可以|办不了|帮不了|不能办|不好办)(?=\s{0,2}[，,。！!])")
# the addressee's own tie (你表弟, 你老乡, 你的战友, 你跟企业负责人是同学): the
# sender answers a favour asked of them on someone's behalf, or tells them to recuse
_YOURS = re.compile(r"你(?:的|家|那个|那位)?$|你(?:跟|和|与)[^，,。！!？?；;\n]{1,10}是$")


def _to_you(text: str, hit) -> bool:
    """The reward is promised to the one asked (你, 您), not to 你们 or everyone."""
    return _TO_YOU.search(text, hit.start, min(len(text), hit.end + 1)) is not None


def _handed_over(ctx: Context) -> list:
    """Work handed to a tie (这个工程给他做), as favours (read once per message)."""
    return ctx.once("cronyism.hand_over",
                    lambda c: pattern_hits(c, _HAND_OVER, "cronyism", "favor", term="给…做"))


@register
class Cronyism(Plugin):
    spec = RuleSpec(id="cronyism", title="圈子文化", gravity=8, harmless_cues=("official",))

    def inspect(self, ctx: Context):
        if has_cue(ctx, self.name, "official"):
            # 招商对接, 亲清政商关系, warnings against 圈子文化
            return self.clear("含招商或廉政提醒用语")
        refused = self._refused(ctx)
        if refused is not None:
            # 「有家公司想通过我认识物业经理，我没答应，让他们自己去投标」: a
            # favour asked of the sender and turned down, nothing asked after
            # it; the rule's reading, recorded so that the decision stage does
            # not make it one asked
            return self.hit(RECORDED, refused.quote, f"“{refused.quote}”：请托已被发言人拒绝或引导走正常程序")
        circles = (cue_hits(ctx, self.name, "circle")
                   + pattern_hits(ctx, _FOLLOW, self.name, "circle", term="跟着混")
                   + pattern_hits(ctx, _GATHERING, self.name, "circle", term="老乡聚会"))
        if not circles:
            promised = self._promised(ctx)
            if promised:
                # 「有家保洁公司想通过你认识几个小区的物业经理，你帮忙牵个线，回头少
                # 不了你的好处」: access brokered for a reward, no tie needed
                reward, help_ = promised
                return self.hit(0.8, quote(ctx, help_, reward),
                                f"请托“{help_.quote}”并许以“{reward.quote}”，搞政商勾连")
            return self.clear("无圈子关系用语")
        favors = cue_hits(ctx, self.name, "favor") + _handed_over(ctx)
        in_circle = Spans(circles)
        favors = [h for h in favors if not in_circle.covers(h.start, h.end)]
        pair = first_pair(ctx, circles, favors, max_gap=1)
        if pair and kin_offer(ctx):
            found = assess(ctx)
            if found is not None and found[0] > 0:
                # 「我小舅子在做物流，价格好商量，微信推给你」: the tie's
                # business offered to the group, an advert, no favour asked
                # of anyone: recorded, so that the model does not make it one
                return self.hit(RECORDED, quote(ctx, *pair),
                                "亲友生意向群内推销，未向公职人员请托，交由广告推销规则")
        if pair:
            circle, favor = pair
            return self.hit(0.85, quote(ctx, circle, favor),
                            f"借“{circle.quote}”关系谋求“{favor.quote}”，搞圈子")
        inherent = [h for h in circles if h.term in _INHERENT]
        helps = first_pair(ctx, circles, cue_hits(ctx, self.name, "help"), max_gap=1)
        if helps:
            circle, help_ = helps
            # 「同学会碰到老同学，他说可以帮忙咨询」: a favour, not necessarily improper
            score = 0.8 if inherent else 0.5
            return self.hit(score, quote(ctx, circle, help_),
                            f"借“{circle.quote}”关系请托“{help_.quote}”")
        if inherent:
            hit = inherent[0]
            return self.hit(0.65, hit.quote, f"宣扬“{hit.quote}”一类圈子文化")
        return self.clear("圈子关系未与谋利或请托同现")

    def _promised(self, ctx: Context):
        """(reward, help): a reward promised to the one asked (少不了你的好处,
        不会亏待大家) beside a favour or help asked (牵个线, 打招呼, 通融); not in
        an election (vote_buying's), nor where it is refused or banned."""
        rewards = [h for h in pattern_hits(ctx, _REWARD, self.name, "favor", term="许以好处")
                   if not (_PROMISER_OFFICIAL.search(ctx.text, max(0, h.start - 6), h.start)
                           and not _to_you(ctx.text, h))]
        if not rewards or has_cue(ctx, "vote_buying", "election") or has_cue(ctx, self.name, "refuse"):
            return None
        helps = pattern_hits(ctx, _BROKER, self.name, "help")
        if not helps and any(_to_you(ctx.text, r) for r in rewards):
            # promised to the one asked (你帮忙把宏达列进短名单，不会亏待你的): any help
            helps = [h for h in cue_hits(ctx, self.name, "favor", "help")
                     if not any(h.start < r.end and r.start < h.end for r in rewards)]
        return (rewards[0], helps[0]) if helps else None

    def _refused(self, ctx: Context):
        """The sender's refusal of an approach made to them, which the
        message ends on: no tie, favour or help named after it (「先婉拒一下
        做做样子，回头私下给他办」 asks)."""
        text = ctx.text
        asked = _ASKED_OF_ME.search(text)       # the first approach to the sender, once
        refusals = [h for h in cue_hits(ctx, self.name, "refuse")
                    if h.term not in _PROCEDURE
                    or _MY_ANSWER.search(text, max(0, h.start - 24), h.start)
                    or (_TOLD_HIM.search(text, max(0, h.start - 8), h.start)
                        and asked is not None and asked.end() <= h.start)]
        if not refusals:
            return None
        if _GRANTED.search(text):
            # 「……我已经跟人事科打过招呼了，我让他看招聘公告报名就行」: the favour is
            # told as done, the procedure its cover
            return None
        circles = cue_hits(ctx, self.name, "circle")
        last = max(h.start for h in refusals)
        own = [h for h in circles if h.quote.startswith(_OWN) or (h.start > 0 and text[h.start - 1] in _OWN)]
        firm = any((h.term in _FIRM and not (text[h.start - 1:h.start] == "被" and not h.term.startswith("我"))
                    or (h.term in _PROCEDURE and _MY_ANSWER.search(text, max(0, h.start - 24), h.start)
                        and _ENDS_HERE.match(text, h.end)))
                   and _ASKED_OF_ME.search(text, min(h.start for h in own) if own else 0, h.start)
                   for h in refusals if h.start == last)
        if own and not firm:
            # the sender's own tie (我老乡, 我表弟): no refusal of another's, unless the
            # sender turned it down in so many words (我初中同学想让我打个招呼，我回绝了),
            # the tie then the one who asked
            return None
        yours = [h for h in circles if _YOURS.search(text, max(0, h.start - 14), h.start)]
        # the refusal answers what came before it; an addressee's tie named
        # on the way to it (「这个招呼我不能打……让你老乡直接找航司销售部按
        # 市场价谈」) is the one it answers, not a favour asked after it
        favours = cue_hits(ctx, self.name, "favor", "help")
        reply = _REPLY_REFUSES.match(text)
        if reply and any(reply.end() <= h.start < last for h in (*circles, *favours)):
            # 「@刘局 这个不行，他师兄在评审组，让他师兄递个话……我们这边不能打招呼」: a
            # tie or a favour named between the reply's no and its last refusal
            reply = None
        if not (own or _APPROACHED.search(text, 0, last) or reply):
            if not any(h.start < last for h in yours):
                return None
            # answered for the addressee's tie: not where the favour is told as
            # done or the refusal as feigned (你表弟那个项目我已经打过招呼了，让他去平台
            # 注册走个流程就行; 名额我给他留好了，评审的时候你回避一下)
            if _DONE.search(text):
                return None
        kept = {(h.start, h.end) for h in (*yours, *own)}
        later = ([h for h in circles if (h.start, h.end) not in kept]
                 + favours
                 + pattern_hits(ctx, _BROKER, self.name, "help")
                 + _handed_over(ctx))
        return said_last(text, refusals, later)
