"""拉票贿选: canvassing or buying votes around elections and evaluations.

An election, vote or evaluation (换届, 民主推荐, 测评, 评优) plus a request
for one's own or one's side's votes (投我一票, 给我打优秀, 都投老刘) or a
reward (请吃饭, 每户200块, 一桶油). 「投我一票」 names the vote by itself.
Warnings against canvassing and neutral voting notices are not this.
"""

from __future__ import annotations

import re

from qungui.core.plugin import RECORDED, Context, Plugin, RuleSpec, register
from qungui.plugins._common import (countered, cue_hits, first_pair, has_cue, one_clause, said_last,
                                    pattern_hits, quote)

# On the key view (separators gone): 投我 / 选老王 / 投小孙 / 给我打个优秀 / 投我们科
# (not the 选 of 评选/推选/入选: 「评选我们平台也报了」);
# 推荐我, but not 推荐他为先进个人 (a nomination of someone else, made openly)
_CANVASS = re.compile(
    r"(?<![评推当入筛挑甄竞候])(?:投|选|勾|支持)(?:给)?(?:我|他|她|咱|俺)(?!们的意见)|推荐(?:给)?(?:我|咱|俺)"
    r"|(?:投|选|支持)(?:老|小)[\u4e00-\u9fff](?!师|板|百姓|乡)"
    r"|给(?:我|我们|咱们)[\u4e00-\u9fff]{0,4}?(?:打|投|评|写)(?:个|几个|点)?(?:优秀|高分|满分|好评|优|好)"
    r"|(?:投|选)我们(?:科|处|股|单位|局|村|部门|科室)"
)
# canvassing named as such: a ban in front of it (不要互相拉票, 请勿在群内
# 拉票, 不接受个人自荐拉票) rules it out rather than asking for it
_NAMED_ACT = re.compile(r"[拉刷串]票|拉[个一下]*票|拉选票|贿选|打[个过]?招呼|互投|互相投")
# a reward named as traded for votes (不能承诺好处换选票): the act named, as 拉票 is
_TRADED = re.compile(r"好处(?:来)?换(?:取)?(?:选)?票")
# the ask for one's own vote (投我, 选给我), at the start of a canvassing hit
_OWN_VOTE = re.compile(r"(?:投|选)(?:给)?我")
# ... not where the ban is asked back or hedged, or a price per head is named (谁说不能好处换选
# 票？; 现在不能明着好处换选票了，……每户给两百)
_HEDGED = re.compile(r"谁说|凭什么|明着|明面上|表面上|了吗|每户|每人|每家")
# a vote aimed at someone: 「投老赵的每人……」, 「一票给200」
_FOR_SOMEONE = re.compile(r"(?:投|选)(?:给|他|她|老|小|我)|一票|票给|的票")
# 「帮忙投一下」 for oneself or one's own side is canvassing; for a vote
# everyone is asked to cast it is a reminder.
_SELFISH = re.compile(r"我|俺|咱|自家|我们(科|处|股|单位|局)")

# an approach to the sender that a refusal answers (有人私信让测评……, 老王找我拉票)
_APPROACHED = re.compile(r"有人|找(?:到)?我|私信|托我|让我|跟我说|问我")


def _hedged(ctx: Context) -> bool:
    """A ban asked back or hedged, or a price per head named (searched once per message)."""
    return ctx.once("vote_buying.hedged", lambda c: _HEDGED.search(c.text) is not None)


@register
class VoteBuying(Plugin):
    # a notice that rules canvassing out (请勿拉票, 不作为评选依据) is never
    # read as canvassing, by the lexicon or by the decision stage
    spec = RuleSpec(id="vote_buying", title="拉票贿选", gravity=10,
                    harmless_cues=("warning", "refuse", "procedure"), stance_cues=("refuse",))

    def inspect(self, ctx: Context):
        # (a pattern read across a clause's end, 「评选，咱们……」, is no 选咱)
        canvass = [h for h in pattern_hits(ctx, _CANVASS, self.name, "solicit", view="key")
                   if one_clause(h)]
        governed = countered(ctx, self.name)
        if (has_cue(ctx, self.name, "warning", "refuse")
                and not any(not governed(h) for h in canvass)):
            # 「严禁拉票贿选」, 换届纪律 notices; not beside a canvass of anyone
            # that no ban governs (「评优大家凭实际表现投哈，不过这次我也参评，麻烦
            # 各位投我一票」; 给我打个优秀, 都投老刘)
            return self.clear("换届纪律提醒或警示")
        elections = cue_hits(ctx, self.name, "election")
        solicits = cue_hits(ctx, self.name, "solicit") + canvass
        asks = cue_hits(ctx, self.name, "ask")
        rewards = cue_hits(ctx, self.name, "reward")
        sought = solicits + asks + rewards
        ignored = said_last(ctx.text, cue_hits(ctx, self.name, "ignored"), sought)
        approach = _APPROACHED.search(ctx.text, 0, ignored.start) if ignored is not None else None
        if ignored is not None and approach is not None and not any(h.start < approach.start() for h in sought):
            # 「有人私信让测评'关照一下'，没理会，也不会照这个打分」: a canvass of the
            # sender, reported as an approach and ignored or turned down, nothing
            # asked before the approach or after the refusal (not 「给我们科室都打
            # 优秀啊，上次老王找我拉票我婉拒了」); the rule's reading, recorded so
            # that the decision stage does not make it one
            return self.hit(RECORDED, ignored.quote, f"“{ignored.quote}”：拉票请托已被发言人拒绝或未予理会")
        if has_cue(ctx, self.name, "procedure") and not solicits and not rewards:
            # 「明晚点名时无记名投票」「官方组织的网络评选」: the procedure, nothing asked
            return self.clear("单位组织的投票或测评程序")
        banned = [h for h in solicits
                  if (_NAMED_ACT.search(ctx.text, h.start, h.end)
                      or (_TRADED.match(ctx.text, h.start) and not _hedged(ctx)))
                  and "我" not in h.quote and governed(h)]
        if banned:
            solicits = [h for h in solicits if h not in banned]
            if not solicits:
                # the rule's own reading, recorded under every threshold: the
                # decision stage does not turn a ban on canvassing into canvassing
                return self.hit(RECORDED, banned[0].quote,
                                f"“{banned[0].quote}”前有禁止之词，是不许拉票的提醒")
        if not elections:
            # 「投我一票，请你们吃大餐」: the ask names the vote itself
            own = [h for h in solicits if _OWN_VOTE.match(ctx.text, h.start, h.end)]
            if own:
                return self.hit(0.7, own[0].quote, f"在群里拉票（“{own[0].quote}”）")
            return self.clear("无选举投票用语，也未求投自己")
        strong = first_pair(ctx, elections, solicits, max_gap=2)
        if strong:
            election, ask = strong
            return self.hit(0.9, quote(ctx, election, ask),
                            f"在“{election.quote}”中拉票（“{ask.quote}”）")
        bought = first_pair(ctx, elections, rewards, max_gap=2)
        if bought and (asks or _FOR_SOMEONE.search(ctx.norm.key)):
            election, reward = bought
            return self.hit(0.85, quote(ctx, election, reward),
                            f"在“{election.quote}”中许诺“{reward.quote}”换取投票")
        weak = first_pair(ctx, elections, asks, max_gap=1)
        if weak:
            election, ask = weak
            score = 0.7 if _SELFISH.search(ctx.norm.plain) else 0.45
            return self.hit(score, quote(ctx, election, ask),
                            f"在“{election.quote}”中请人“{ask.quote}”，疑似拉票")
        return self.clear("选举投票未与拉票或许诺同现")
