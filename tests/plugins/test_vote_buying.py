import pytest

from tests.plugins.conftest import THRESHOLD, message, top


@pytest.mark.parametrize("text", [
    "明天民主推荐，大家投我一票，回头请大家吃饭",
    "评优投票开始了，兄弟们支持一下我",
    "换届选举的事，我已经跟几位打过招呼了，打招呼的都有好处",
    "年度考核测评，記得給我打優秀，少不了你的",             # traditional
    "民主测评帮我投一下，拜托拜托",
    # 举报件 is casework, not a warning; units scoring each other
    "年度执法标兵全支队投票，我今年办了多少举报件大家知道，这周谁投我周末我做东",
    "这次先进单位被审计单位之间也互评，咱们几家关系好的统一投对方，稳稳的",
    # a word put in for someone, the votes herded
    "下周竞聘民主测评，各位领导谈话推荐时帮我美言几句",
    "代表选举下周开，让学生代表把票集中往我们定的那几个人身上放",
    # scores asked up, a side leaned to, in a rating or a council's election
    "县里在评和谐企业，开发区报上来那几家是我帮扶的，大家打分时尽量给高点",
    "这次星级评定麻烦您在专家那边帮我们说说话，评上五星请大家出去考察",
    "协会会员代表大会选理事，我们推了个候选人，到时候大家往我们这边靠一靠",
    # a satisfaction survey answered as told
    "社区在参评示范性老年友好型社区，有个网上满意度调查，大家动员家里老人都选“非常满意”",
    "复核有一项居民满意度电话抽访，我跟楼栋长都交代好了，接到电话统一说满意",
    "站里年度考核优秀就一个名额，哥几个这回帮我一把，下回轮到你们我一定还",
    # a secret ballot is no licence to canvass
    "虽然是无记名投票，大家还是投我一票，会后请吃饭",
    # a disqualification told as news, not a ban
    "评优快开始了，上次老李被取消资格，这次大家一定帮我们科拉拉票",
    "下周测评，大家帮我们科说好话，投个优秀",                 # lobbying asked for, not banned
    "这次评先进，投不投自愿，但投我们科小王的我请吃饭",        # voting left free, a reward offered
    # a call for honest voting or a ban beside one's own ask
    "评优投票大家凭实际表现投哈，不过这次我也参评，麻烦各位投我一票，回头请大家吃饭",
    "评优投票别刷票，一人一票投给我就行，投完发红包",
    "评优的事别私下说了大家一起帮张科长拉票",
    "评先进大家凭实际表现投哈，这次我也报了，麻烦给我打个优秀",
    "别刷票了，评优直接都投小王就行",
    # the same words beside a canvass of one's own
    "评优不用拉票，直接投我就行",
    "测评给我打个满分，不打的直接作废哈",
    "评优按各人意见投，不过这次我也参评，麻烦投我一票",
    "明天选举，按各人意见投就行，投我的每人发200",
    "我不想麻烦大家，但这次评先进请投我一票",
    # a ban on organised canvassing beside a canvass; 不想 said of something else
    "民主测评大家别组织拉票，私下帮老刘拉几票就行，回头请大家吃饭",
    "换届选举大家别组织拉票，各村自己人投自己人就行，每户给一桶油",
    "年终测评，不想垫底的科室都去拉拉票",
    # votes traded or kept together
    "评优的时候咱们第十批的先互相投上，自己人票别散了",
    "局里年度优秀公务员民主推荐，咱们登记处统一口径都推林处，别把票分散了",
    "评优能不能帮我们科投一票 回头请客",
    "评优别搞得那么紧张 大家帮老王拉个票就行",
    # a refusal's word that refuses nothing (没收到), or followed by the canvass itself
    "我没收到候选人名单，大家帮老王拉拉票，他人不错",
    "上面说的事我没回应，你们帮老王拉点票，选上了不会亏待大家",
    # a rating nudged up, a name ticked, a word put in
    "局里这次民主测评，办公室小张为人实在，大家打分的时候往上抬一抬，他今年再评不上又得等一年。",
    # a refusal's word that refuses nothing here (没回复, 没收齐), or another's canvass refused
    # beside the sender's own
    "民主测评大家给我们科打优秀，昨天发的通知有几个科室还没回复",
    "年度考核测评请大家给我们科打个优秀，测评表我没收齐，还差三个科室",
    "民主测评给我们科室都打优秀啊，上次老王找我拉票我婉拒了",
    "评优这次大家都投老王，他之前找我的时候我拒绝了，后来想想他确实干得好",
])
def test_canvassing(inspect, text):
    [f] = inspect("vote_buying", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "关于做好村两委换届选举工作的通知，请各镇按时上报候选人名单",
    "严禁拉票贿选，违者严肃查处",
    "民主测评明天上午九点在三楼会议室进行，请准时参加",
    "请大家登录系统完成满意度测评投票",
    "换届纪律十严禁，请大家认真学习",
    "这个项目请大家多多支持",                      # no election
    "优秀党员由各支部民主推荐产生，不搞拉票，请大家理解",   # canvassing ruled out
    "年度评优按考核排名确定，民主测评请大家如实评议",
    # the notice rules canvassing out in words of its own
    "“最美窗口”评选以专家打分为准，网上点赞不作为评选依据，请勿组织刷票",
    "先进个人按积分排名产生，不搞投票，各股室不要拉票",
    "先进个人由局党组研究确定，不搞网络投票，请不要转发拉票链接",
    "优秀志愿者按服务时长综合评定，不设网络投票，请勿私下拉票",
    # lobbying the voters banned, the vote held in the open
    "科级干部民主推荐周四现场无记名投票，纪检组全程监督，请大家不要私下打招呼拉票",
    "低保评议由村民代表无记名投票，结果公示7天，请不要事前给评议代表打招呼",
    # a ban on canvassing in words of its own, read before the canvassing named
    "评选投票请各人按标准独立投，不要互相拉票，县纪委这次专门盯着",
    "优秀单位评选按通知办：组织推荐、绩效科初审、专家评审，请勿在群内拉票",
    "“十佳市政卫士”先科室推荐再民主测评，不接受个人自荐拉票",
    # 请客 inside a request for an objective assessment
    "先进单位评选以整改完成率为主要依据，请客观评议，发现串票的取消资格",
    # a call to vote honestly
    "十佳巡访员评选通知已发，乡镇推荐、县里评审，每人每天一票，请据实投票",
    "先进个人推荐程序：各成员单位民主推荐，差额推荐，请大家按实际表现投票",
    # 说话 and 找人 in an election season, no one's vote asked for (the key
    # view folds 说说话 and 找找人 to them)
    "明天民主测评，会上大家说话简明一点，按时结束",
    "换届选举期间，有事找人商量前先报告党组",
    # the notice's own promise not to canvass
    "“最美网格员”推选已开始，请各镇按实际推荐，不组织刷票，不互相拉票，纪检会抽查",
    "民主测评周一进行，无记名，请大家按实际表现评价，不打招呼、不互投",
    # an open nomination of someone else for an award
    "窗口的小刘连续半年零差错，建议年度评优推荐她为先进个人",
    # a poll the city itself runs, pointed to for information
    "市里官方组织的优秀营商环境案例网络评选，咱们“一网通办”入围了，大家可以上市政府官网了解参与",
    "这次评选，咱们科室要按程序推荐，材料周五前报",         # 选 and 咱 across a comma
    # canvassing banned with 别搞 / 不允许, or its consequence stated
    "“最美窗口人”是群众扫码评价加民主测评，按中心通知来，大家凭实际表现投，别搞拉票",
    "先进个人由区爱卫会按程序推荐评审，投票时大家独立判断，不允许私下拉票，一经发现取消资格",
    "青年文明号负责人推荐按院里方案来，大家独立填推荐票，拉票的一经发现取消资格",
    "'人民满意信访干部'评选由市信访局组织，按程序推荐，大家别私下拉票",
    "金牌调解员评选以评审为主，网络投票只占10%，请大家按规则参与，别刷票拉票",
    "民主测评凭良心打，谁拉票谁扣分，话我先说在前头。",
    "局里“窗口服务之星”评选，群众评价数据和民主测评各占50%，测评时请客观打分，别互相拉票",
    "“最美船员”评选网络投票是部里统一组织的宣传活动，大家帮忙转发链接扩大知晓率，投不投自愿",
    # 评选，我科…: no ask of one's own read across a clause beside the notice
    "关于全省渔业系统优秀青年评选，我科推荐了两名同志，评选程序以省厅通知为准，网络投票仅作参考，请大家自愿参与，不组织刷票。",
    # 评选我们平台: the 选 of 评选, no canvass of 我们
    "市里数字政府优秀应用评选我们平台也报了，结果是专家评审，不搞拉票，大家不用转发",
    "下周局里搞年度优秀职工民主测评，每人一张票，请按实际表现打分，别互相打招呼。",
    # no mutual votes, no need to canvass, a ballot voided for it
    "阮股，投票按各人意见投，我们不搞互投哈。另外谢谢登记窗口上周给3家机构加急办了变更。",
    "推荐是按宣讲场次和企业满意度打分的，不用拉票哈，评分细则OA上都公开了",
    "测评按实际表现打，搞互相照顾打满分的，我这里直接作废。测评规则下周科里统一讲一遍。",
    # canvassing not wanted by the one it would serve
    "我不想拉票，让大家自己投",
    "评选以专家评审为主，网上投票不计分，请各团体别组织拉票",
    "优秀学员评选办法：考勤30%、结业考试40%、班委和授课老师评价30%，不搞学员互投",
    "优秀项目评选是评审组打分加投票，大家按自己真实看法投，别搞互相拉票",
    "民主测评前有人找我帮他打个高分，我当面拒了",
    "这次评先进，大家都不想拉票，凭实绩说话",
    "本次评优实行各单位之间互投，每个单位投三票",
    "专家评审时按标准打分，表现好的项目可以打个高分",
    "我们科申报先进集体的材料，大家帮忙看一下",
    # a canvass ignored, refused or reported by the one asked
    "我前天也收到有人私信让测评'关照一下'，没回，也不会照这个打分。",
    "昨天有人找我说选举时'支持一下'给两百块，我没收，已报镇纪委。",
    "下周三年度考核民主测评，大家按真实情况打分，有人私下找你们打招呼的直接跟我说。",
    # a weighting raised, a date remembered, a deadline named
    "今年年度考核里防汛工作的分值往上抬了，各科室要重视",
    "评优的表格我记着是下周一交，大家别忘了",
    "文明家庭推荐时间截止本周五，拜托各村抓紧报，我们这边要汇总",
    "我们局推荐的防汛标兵材料，拜托大家帮忙看看有没有错别字",
])
def test_neutral_notices_and_warnings_are_clean(inspect, text):
    assert top(inspect("vote_buying", text)) < THRESHOLD


def test_a_ban_on_canvassing_is_recorded_as_the_rules_own_reading(inspect):
    """Below every threshold, and kept: the decision stage then adds no
    canvassing finding against it (``tests/test_decision.py``)."""
    from qungui.core.plugin import RECORDED
    [f] = inspect("vote_buying", "评优投票请按标准独立投，不要互相拉票")
    assert f.score == RECORDED and f.evidence == "拉票" and "不许拉票" in f.reason
    # a reward traded for votes, named under a ban, is the act banned
    [f] = inspect("vote_buying", "@郑宏伟 郑总，换届期间不能承诺好处换选票，这话在群里说不合适，请撤回")
    assert f.score == RECORDED
    assert top(inspect("vote_buying", "换届了，投我一票，好处换选票，每人两百")) >= THRESHOLD
    assert top(inspect("vote_buying", "现在不能明着好处换选票了，这次选村主任老王每户给两百，大家心里有数")) >= THRESHOLD
    # a ban elsewhere in the message does not cover canvassing of one's own
    [f] = inspect("vote_buying", "不要忘了，评优投票帮我拉票，回头请大家吃饭")
    assert f.score >= THRESHOLD


def test_a_reminder_to_canvass_is_no_ban(inspect):
    [f] = inspect("vote_buying", "评优投票明天截止，别忘了拉票，回头请大家吃饭")
    assert f.score >= THRESHOLD



def test_a_canvass_for_oneself_turned_down_is_read_as_refused(matcher, params, room):
    """「你可别给我拉票了」 turns down a canvass made for the sender: the
    refusal is read (evidence the decision stage weighs); the same words
    before an ask of one's own still leave the ask."""
    from qungui.core.plugin import make_context
    ctx = make_context(message("石磊你可别给我拉票了 按规矩来，大家别因为这个投我。"), room, matcher, params)
    assert ctx.has_cue("vote_buying", "refuse")
    ctx = make_context(message("评优投票开始了，大家投我一票"), room, matcher, params)
    assert not ctx.has_cue("vote_buying", "refuse")
