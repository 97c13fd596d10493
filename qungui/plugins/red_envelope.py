"""红包转账: red envelopes and transfers, or asking for them, in a work group.

A red-envelope or transfer message is always this. In text, red envelopes
being sent, grabbed, asked for or thanked for (发个红包, 抢红包, 求红包,
谢谢李局的红包, hb发一波, the 🧧 emoji with the text) and money transferred
between members (微信转你, 每人转我50) are. Discipline notices, a 红包雨
marketing plan, and a red envelope promised for votes (vote_buying's
business) are not.
"""

from __future__ import annotations

import re

from qungui.core.events import MessageType
from qungui.core.plugin import RECORDED, Context, Param, Plugin, RuleSpec, register
from qungui.plugins._common import countered, cue_hits, has_cue, own_words, pattern_hits, said_last

_KIND = {MessageType.RED_ENVELOPE: "红包", MessageType.TRANSFER: "转账"}
# On the key view: punctuation and separators gone, numerals are digits.
_ENVELOPE = r"(?:红包|hb|利是|利市)"
_ACTS = re.compile(r"(?:发|抢|领|收|给|来|包|求|拿|谢谢?|感谢|派|撒|补)[^红hb]{0,5}?" + _ENVELOPE
                   # (转个小红包; not 转账我婉拒了，[红包])
                   + r"|转(?:个|了个|了|1个)?(?:小|大)?" + _ENVELOPE)
# the envelope first (hb安排上, 红包走起; not the union's 慰问金红包 paid to the bank), or one
# received with thanks or ending the message (谢谢老板！红包收到了; not 红包收到了吗; the key
# view folds 谢谢 to 谢): scanned apart, so that a verb-led reading that takes its
# envelope across a sentence («来着？hb») does not hide it
_LED = re.compile(r"(?<!慰问金)(?<!慰问)" + _ENVELOPE + r"(?:发|抢|领|拿|来|呢|走起|接龙|雨|谁领|谁抢|安排上)"
                  r"|" + _ENVELOPE + r"收到了?(?:谢谢?|感谢|多谢|$)")
_TRANSFER = re.compile(
    r"(?:微信|支付宝|直接)?转(?:账)?(?:给)?(?:你|我|您)(?:了|吧|\d+)"
    r"|每人(?:微信|支付宝)?转(?:我|给我)|转账给(?:你|我|您)|(?:微信|支付宝)转(?:你|我|您)"
    r"|(?:给|每人)[\u4e00-\u9fff]{0,3}转了?\d+(?:块|元)"
    # money sent without a sum (转了笔钱, 私下给二位转了点茶水, 每人转了点, 按人头转给
    #大家); on the key view 一 and 二 are digits
    r"|转了(?:笔|点|些)(?:钱|茶水|心意|辛苦费|小钱)|转了(?:一|1)(?:笔|点)(?:茶水|心意|辛苦费)"
    r"|(?:每人|私下给[\u4e00-\u9fff\d]{0,3})转了(?:一|1)?(?:点|笔)|按人头转给(?:大家|各位|你们)"
    # money the sender transfers to everyone, or has transferred or wrapped in the group
    # (来不了的我直接微信转账，每人188; 我在群里转了五百; 我个人给大家转点辛苦费; 群里包了个
    # 粽子钱): not a reimbursement 财务 pays, nor 不是我转账, 转了3000多次, 转点学习资料
    r"|(?<!不是)(?<!不用)我(?:直接)?(?:微信|支付宝)?转账(?:给)?(?:大家|各位|每人)"
    r"|群里转了\d+(?!\d|多|次|天|个|遍|条|小时|分钟|家|人)"
    r"|我(?:个人)?给(?:大家|各位|你们)转(?:了)?(?:点|笔|些)[\u4e00-\u9fff]{0,3}(?:钱|费|心意|红包)"
    r"|群里包了(?:个|1个)(?:[\u4e00-\u9fff]{0,3}(?:钱|红包)|(?=大家(?:抢|领)))"
)
# a red envelope or a transfer as members' own words mark one sent ([红包],
# [转账], [转账200元]); in a greeting only with words of giving (表示一下, 手慢无) or by
# itself with a few words ([红包] 节日快乐), not as WeChat's [红包] emoji (祝大
# 家新春快乐[红包][福]); never inside a quote (「王芳：[红包]」, 王芳：[红包] 这是谁发的)
_TAGGED = re.compile(r"\[(?:红包|转账)(?:\s{0,2}\d{1,6}(?:\.\d{1,2})?\s{0,2}元?)?\]")
_TAG_QUOTED = re.compile(r"[\u4e00-\u9fff]{1,4}[:：]\s{0,2}\[(?:红包|转账)")
_GIVING = re.compile(r"表示|心意|意思|买点|买包|请大家|喝茶|喝奶茶|手慢|拿去|领了|收下|笑纳|辛苦|别推|别点退回|下午茶")
# no need to send it, or sending it not allowed, said of the act itself (个人不用
# 转账给我, 不用个人转账给我, 群规不让发红包): a rule, not money arranged
_NO_NEED = re.compile(r"(?:不用|无需|不必|不需要)(?:再|个人)?(?=转账|转钱|转给|发红包)"
                      r"|不让(?:在群里)?(?=发|收|抢)")
# 不得 asking for one, not forbidding it (高升了不得表示表示？这不得来一波犒劳犒劳？): the
# colloquial "shouldn't you ...", after 这/还/那 or in a question, no notice (not 工作群不得来
# 个🧧接龙)
_DEMANDED = re.compile(r"(?:来(?:个|一|点|波)|表示|整(?:个|一|点)|意思|犒劳)")
_ASKED_BACK = re.compile(r"[^，,。！!；;\n]{0,20}?[？?嘛吧]")
_TAG_ALONE = 6           # other characters a tag may stand with and count by itself
_GREETING = re.compile(r"快乐|祝|新年好|拜年|吉祥|如意|安康|大吉")


# a ban that is a condition put on not giving, keeping the giver from leaving (不发不准下山,
# 不请客不许走): it demands; not one told of or dealt with (医生不给红包不准排手术，卫健委马上查;
# 对不给红包不准办事的窗口人员严肃处理)
_COERCED = re.compile(r"不(?:发|给|请|包|出)[^，,。！!？?；;\s]{0,3}$")
_COERCING = ("不准", "不许", "不让")
_KEPT_FROM_LEAVING = re.compile(r"(?:走|下班|下山|回家|离开|散会)")
_TOLD_OF = re.compile(r"反映|经查|查实|查处|整治|陋习|约谈|严肃处理|索要|暗示|举报")


def _demanded(text: str, hit) -> bool:
    """A 不得 that asks for an envelope (这不得来一波？), or a ban put on not giving
    one that keeps the giver from leaving (不发不准下山), not one that forbids it."""
    if hit.term in _COERCING:
        return (_COERCED.search(text, max(0, hit.start - 5), hit.start) is not None
                and _KEPT_FROM_LEAVING.match(text, hit.end) is not None
                and _TOLD_OF.search(text) is None)
    return (hit.term == "不得" and _DEMANDED.match(text, hit.end) is not None
            and (text[hit.start - 1:hit.start] in ("这", "还", "那") or _ASKED_BACK.match(text, hit.end) is not None))


def _tag_sent(ctx: Context) -> re.Match | None:
    """A [红包]/[转账] tag marking one sent in the member's own words (read once
    per message)."""
    return ctx.once("red_envelope.tag", _read_tag)


def _read_tag(ctx: Context) -> re.Match | None:
    own = own_words(ctx)
    tag = _TAGGED.search(own)
    if tag is None or _TAG_QUOTED.search(own):
        return None
    if not _GREETING.search(own):
        return tag
    rest = len(_TAGGED.sub("", own).strip())
    return tag if rest <= _TAG_ALONE or _GIVING.search(own) else None


# good luck handed round (发点喜气, 抢个喜气): money only where no sweets or food is what
# is handed round (喜糖放在办公室了，给大家发点喜气)
_JOY = frozenset({"发点喜气", "抢个喜气"})
_SWEETS = re.compile(r"喜糖|糖果|喜饼|蛋糕|水果|零食|月饼|粽子(?!钱)")
# A hit that reads 转我 across a break (「先别在群里转，我去问」): two sentences,
# not a transfer asked for
_SPLIT = re.compile(r"转\W+我")
# nor one that reads an act across a sentence's end (「谁都不许领。窦鹏把红包退给企业」)
_SENTENCE_END = re.compile(r"[。！？!?\n]")
# a red envelope rebuked (企业给督导组发红包，这是什么性质？; 收红包性质很严重)
_REBUKED = re.compile(r"红包[，,。！!？?\s]{0,2}(?:这是什么性质|性质(?:很|十分|非常)?严重)")
# 「我说不行」 declines where the message ends on it or sends the giver elsewhere (我说不行让她
# 走个人账户汇款; not 我说不行，太小气了，至少发个200的)
_SAID_NO_ENDS = re.compile(r"\s{0,2}(?:[。！!]?\s*$|[，,]?\s{0,2}让)")
# A decline is no decline where the sender insists after it (这次一定要领, 破个例, 就见外了,
# 但心意得到, 不给我面子, 意思一下), or where it is told of a past envelope (上次, 上回)
# after one sent now (给大家发了个红包，上次李科说不用……)
_INSISTED = re.compile(r"(?:这次|这回)(?:是我|一定|必须|得收|你收|就收|要收)|破(?:个)?例|一定要(?:领|收|拿|抢)"
                       r"|必须(?:收|领)|见外|心意得到|(?:但|不过)(?:心意|还是(?:发|收|领|要发))"
                       r"|不给我面子|意思一下|意思意思|收下吧|私聊发|私发给|私下发给")
_PAST = re.compile(r"上次|上回|那次")
# 没收, 没领, 拒了 not yet or chased (还没收, 怎么没领, 你又拒了): no decline
_NOT_YET = re.compile(r"(?:还|怎么|咋|都|也|你|又)[^，,。！!？?\s]{0,4}$")
# nor a verb inside a member's name after @, which ends at its space (「@包国华 红包谁都别
# 领」: no 包…红包; 「@王哥发个红包呗」 is no name)
_MENTION = re.compile(r"[@＠][^\s，,。:：@＠]{1,12}(?=[\s，,：:])")


# On the plain view: what one grabbed, in money (抢了0.32, 才抢到一毛钱), or
# missing it and asking for another (没抢到，老赵再发一个): grabbing a ticket or
# asking for a form again is not this
_GRABBED = re.compile(
    r"抢(?:到了?|了)\s{0,2}(?:\d{1,4}\.\d{1,2}|\d{1,4}\s{0,2}(?:块|元|毛|分)|"
    r"[一两二三四五六七八九十几]{1,3}\s{0,2}(?:块|元|毛|分))"
    r"|没抢到[^，。！？!?\n]{0,1}[，,]?\s{0,2}[\u4e00-\u9fff]{0,3}再(?:发|来)(?:一个|一波|个)"
)

# On the plain view: the red-envelope emoji where it is given or grabbed —
# sent with a verb right before it (给大家发🧧, 来个🧧热闹一下), followed by
# what the group is to do with it (🧧 手慢无, 🧧 大家领一下), so much each
# (每人发个88的), or beside a red envelope's own words (the lexicon's [emoji]
# section: 见面礼, 起个头, 私发); a greeting it decorates (新春快乐🧧, 发个通知🧧)
# is not one sent, nor is one banned (请勿在工作群发🧧). The money bag 💰 counts
# only beside a red envelope's own words (我来犒劳一下，大家点一点，见者有份💰; not
# 工资已发💰)
_ENVELOPES = "[\U0001F9E7\U0001F4B0]"
_EMOJI = re.compile(_ENVELOPES)
_EMOJI_SENT = re.compile(
    "(?:发|甩|撒|补|包|来)(?:了|个|点|一个|一波|几个)?(?:小|大)?的?\U0001F9E7"
    "|(?<!\U0001F9E7)\U0001F9E7++\\s{0,2}(?:已发|发了|走起|手慢无|见者有份|大家(?:领|抢|收)|领一下|收一下|抢起来)"
    "|每人发了?个?\\d")
_EMOJI_BANNED = re.compile("(?:勿|别|不要|不准|不得|禁止|严禁|不许|不允许|不能)"
                           "(?:在[^，,。！!？?；;\n]{0,6})?(?:收|发|抢|领)[^，,。！!？?；;\n]{0,3}"
                           + _ENVELOPES)


def _emoji_given(ctx: Context) -> re.Match | None:
    """The red-envelope emoji, where it is given or grabbed (read once per message)."""
    return ctx.once("red_envelope.emoji", _read_emoji)


def _read_emoji(ctx: Context) -> re.Match | None:
    plain = ctx.norm.plain
    m = _EMOJI.search(plain)
    if m is None or _EMOJI_BANNED.search(plain):
        return None
    return m if _EMOJI_SENT.search(plain) or has_cue(ctx, "red_envelope", "emoji") else None


@register
class RedEnvelope(Plugin):
    spec = RuleSpec(
        id="red_envelope", title="红包转账", gravity=9,
        params={
            "text_score": Param(0.8, help="score of a text that arranges red envelopes or "
                                          "transfers (a red-envelope message itself scores 1)",
                                minimum=0),
        },
        harmless_cues=("notice", "declined"))

    def inspect(self, ctx: Context):
        kind = _KIND.get(ctx.message.type)
        if kind:
            amount = ctx.message.amount
            evidence = f"{kind} {amount:g}元" if amount is not None else kind
            return self.hit(1.0, evidence, f"在工作群发{kind}" + (f"（{amount:g}元）" if amount is not None else ""))
        if (has_cue(ctx, self.name, "event") or _REBUKED.search(ctx.norm.plain)
                or any(not _demanded(ctx.text, h) for h in cue_hits(ctx, self.name, "notice"))):
            return self.clear("通报或营销活动方案")  # 通报 / 红包雨营销方案 / 发红包，这是什么性质？
        if has_cue(ctx, "vote_buying", "election"):
            # 「投我的每人发个红包」
            return self.clear("涉及选举投票，交由拉票贿选规则")
        norm = ctx.norm
        governed = countered(ctx, self.name, at_end=True)
        # the lexicon's words first, then the patterns (发个红包 before 「来了，
        # 李局发个红包」); a ban may overlap the act it bans (不收发红包)
        acts = (cue_hits(ctx, self.name, "solicit") + pattern_hits(ctx, _ACTS, self.name, "solicit", view="key")
                + pattern_hits(ctx, _LED, self.name, "solicit", view="key")
                + pattern_hits(ctx, _TRANSFER, self.name, "solicit", view="key"))
        if _SWEETS.search(ctx.text):
            # 「喜糖放在办公室了，给大家发点喜气」: joy shared as sweets, not money
            acts = [h for h in acts if h.term not in _JOY]
        banned, kept = [], []
        mentions = [m.span() for m in _MENTION.finditer(ctx.text)] if "@" in ctx.text or "＠" in ctx.text else []
        for h in acts:
            if (_SPLIT.search(ctx.text, h.start, h.end) or _SENTENCE_END.search(h.quote)
                    or any(a < h.start < b for a, b in mentions)):
                continue
            (banned if governed(h) else kept).append(h)
        # the act right after 不用/不让 is the one ruled out
        ruled_ends = ([norm.plain_span(m.start(), m.end())[1] for m in _NO_NEED.finditer(norm.plain)]
                      if kept else [])
        if ruled_ends:
            ruled = [h for h in kept if any(0 <= h.start - b <= 2 for b in ruled_ends)]
            banned += ruled
            kept = [h for h in kept if h not in ruled]
        acts = kept
        declined = said_last(ctx.text, [h for h in cue_hits(ctx, self.name, "declined")
                                        if (h.term != "我说不行" or _SAID_NO_ENDS.match(ctx.text, h.end))
                                        and not (h.term in ("没收", "没领", "拒了") and _NOT_YET.search(
                                            ctx.text, max(0, h.start - 6), h.start))],
                             acts)
        if declined is not None and (_INSISTED.search(ctx.text, declined.end) or (acts and _PAST.search(
                ctx.text, min(h.start for h in acts) + 1, declined.start))):
            declined = None
        if declined is not None and not (_GRABBED.search(norm.plain) or _emoji_given(ctx)
                                         or _tag_sent(ctx)):
            # 「硬塞给小周一个红包，小周当场退了」: the gift handed back or
            # refused, nothing sent after it
            return self.clear(f"红包或礼金已退回或谢绝（“{declined.quote}”）")
        quote = acts[0].quote if acts else None
        if quote is None:
            m = _GRABBED.search(norm.plain) or (None if banned else _emoji_given(ctx))
            if m:
                quote = norm.quote_plain(m.start(), m.end())
        if quote is None and not banned:
            tag = _tag_sent(ctx)
            quote = tag.group() if tag else None
        if not quote and banned:
            # 「群里不允许发红包」「工作群里不收发红包」: the rule's reading,
            # recorded so that the decision stage does not find the act banned
            return self.hit(RECORDED, banned[0].quote,
                            f"“{banned[0].quote}”前有禁止之词，是不许发红包的提醒")
        if not quote:
            return self.clear("无发红包或转账用语")
        return self.hit(self.param(ctx, "text_score"),
                        quote, f"在工作群张罗发红包或转账（“{quote}”）")
