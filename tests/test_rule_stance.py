"""The stance of the rumor, central policy and classified rules through the
engine's own inspection path, the learned stage included: what the lexicon
stage decides is not undone by a model that never saw such messages."""

from __future__ import annotations

import pytest

from qungui.pipeline.engine import Moderator
from qungui.pipeline.evaluation import load_groups, sample_from_dict


@pytest.fixture(scope="module")
def judge(rulebook, plugins, matcher):
    moderator = Moderator(None, rulebook, plugins, matcher)
    groups = load_groups(None)
    thresholds = {name: cfg.threshold for name, cfg in rulebook.rules.items()}

    def run(text: str, group: str = "office") -> dict[str, float]:
        """The rules flagged at or above their thresholds, with their scores."""
        sample = sample_from_dict({"text": text, "group": group}, "test", 1, set(plugins), groups)
        findings, _ = moderator.inspect(sample.message, sample.room)
        return {f.rule: f.score for f in findings if f.score >= thresholds.get(f.rule, 1.1)}

    return run


@pytest.mark.parametrize("text", [
    "下个月起工资停发，财政没钱了",
    "有人在学校门口抢孩子，已经丢了两个了",
    "自来水有毒！！！别喝了",
    "公务员工资从下个月开始打五折",
])
def test_a_scare_stated_as_fact_is_not_lowered_by_the_model(judge, text):
    assert "rumor" in judge(text)


@pytest.mark.parametrize("text", [
    "听说自来水被污染了，有人知道情况吗？",
    "群里有人说要封城，是真的吗？",
    "有人说今年下半年的检查要取消，改成场所自查，这个是真的么",
])
def test_asking_whether_it_is_true_is_not_taken_for_a_rumour(judge, text):
    assert "rumor" not in judge(text)


@pytest.mark.parametrize("text", [
    "县里出台的这个规定就是拍脑袋定的",
    "本市的限行政策真是折腾人",
    "我们市的垃圾分类新规就是拍脑袋出来的，根本不管老百姓方便不方便",
    "国家的政策是好政策，就是到了咱们县执行的时候走样了，搞成了一刀切",
    "中央这个政策好，真正为老百姓办实事",
    "国务院出台了稳就业的新政策，请人社局尽快拿出实施细则",
])
def test_local_policy_approval_and_implementation_are_not_central(judge, text):
    assert "central_policy" not in judge(text, "committee")


def test_an_unmarked_internal_matter_is_reviewed_below_a_marked_one(judge):
    unmarked = judge("那个道路项目的标底是3260万，大家报价往这靠", "investment")
    marked = judge("机密★1年 那个道路项目的标底是3260万", "investment")
    assert 0.6 <= unmarked["classified"] < 0.9 <= marked["classified"]


@pytest.mark.parametrize("text, rule", [
    # figures said to be de-identified, a case-by-case record kept in the system
    ("本周12355接线312个：心理类168、学业类74、家庭关系类41。这是脱敏汇总，个案记录请在系统里查看",
     "classified"),
    # a scam warned of, with a plea not to pass the link on
    ("提醒大家：最近有“志愿者招募”链接要先交200元服装押金，是骗子，已经有学生被骗了，千万别转",
     "rumor"),
])
def test_what_a_message_guards_against_is_not_taken_for_it(judge, text, rule):
    assert rule not in judge(text)


@pytest.mark.parametrize("text", [
    "县总工会“最美后勤人”网络评选开始了，是总工会官方活动，我县两名食堂师傅入选，大家可以自愿在官方平台投票",
    "区里评“优秀平安志愿者”，巡防队推荐2人，明晚点名时无记名投票，得票前两名上报",
    "年度“优秀人事干部”评选在市局OA里匿名测评，各区县人事部门负责同志参加，投票时间周三9:00—17:00",
])
def test_a_poll_or_a_secret_ballot_the_unit_runs_is_not_canvassing(judge, text):
    assert "vote_buying" not in judge(text)


@pytest.mark.parametrize("text, rule", [
    # a favour asked of the sender through a business, turned down and sent to tender
    ("有家保洁公司想通过我“认识”几个小区的物业经理，我没答应，让他们自己去投标", "cronyism"),
    ("有居民说他儿子想进施工队干活，我没答应，让他走招聘流程", "cronyism"),
    # a supplier the unit pays for the work
    ("晒图的打印店电话133 5821 0967，图纸加急可以找他们，局里签了协议价，开票走单位", "ads"),
    # where the material is kept, nothing of it told
    ("科长，下周考察的谈话名单我核了两遍，放保密柜第二层，钥匙在刘科那", "classified"),
    ("报名截止到今天87家，名单在报名系统里，会务组有权限的在系统里看，不导出", "classified"),
    # the addressee's tie sent to the market; an approach by a business declined
    ("潘科，这个招呼我不能打。切位是航司自己的商业行为，让你老乡直接找航司销售部按市场价谈。",
     "cronyism"),
    ("万处，之前跟您说的那家企业想请我们吃饭谈校招合作，我婉拒了，让他们直接走就业中心校企合作流程。",
     "cronyism"),
    # asked whether a matter not yet out may be told, nothing of it told
    ("彭主任，上周那个违规用电的处分决定还没公布，学院那边问能不能先口头跟学生说？", "classified"),
    ("股长，县里内部那份重点盯防矿山名单，我发群里方便大家对照行不行？", "classified"),
    ("谭股长，调查队原始采价数据不对外提供。本月CPI发布后可以用公开数，另外你们价格监测系统有自己的监测点，可以先参考那个。",
     "classified"),
    # an approach by a business answered "不方便" and sent to the public line
    ("光明路那家老板刚才打电话说想请咱们吃个饭“认识一下”，我说不方便，让他有问题打中心的咨询电话。", "cronyism"),
    # a leak told by one who knows it is not also an unverified claim
    ("刚才会上定了，今年要问责的是东湖区、高新区和老城区，三个分管副区长都要被约谈，名单下周才发，大家先心里有数", "rumor"),
    ("跟大家先说下，昨天县里开了专题会，定了下个月先封的自备井：永丰面粉厂2眼、宏达印染3眼，名单还没公布，大家别往外说啊", "rumor"),
])
def test_a_favour_refused_a_unit_purchase_or_material_kept_is_not_read_by_the_model(judge, text,
                                                                                   rule):
    assert rule not in judge(text)


@pytest.mark.parametrize("text, rule", [
    ("有家保洁公司想通过你认识几个小区的物业经理，你帮忙牵个线，回头少不了你的好处", "cronyism"),
    ("晒图的打印店是我表弟开的，电话133 5821 0967，报我名字打八折", "ads"),
    ("下周考察的谈话名单我拍了发群里，原件放保密柜了[图片]", "classified"),
    # where it is kept, beside the matter itself
    ("那个举报信我看了，是老刘写的，原件存保密柜了", "classified"),
    # the same leave asked to tell someone named
    ("处分决定还没公布，能不能先跟老王说？", "classified"),
    ("处分决定还没公布，是降级，能不能先跟他家里说一声？", "classified"),
    ("这次暗访定在周三，查城东菜市场，还没对外公布，可以先跟市场管理方说一下吗？", "classified"),
    # records looked up through the intranet; a picture taken down and the matter said
    ("通过内网查到了，他名下有三套房", "classified"),
    ("图片撤了，口头说一下，标底是356万", "classified"),
    ("县里内部那份重点盯防矿山名单，我发群里了，大家对照", "classified"),
    # posting done, not asked; a figure told before the leave asked; a marked
    # document's content told before its handling is asked
    ("中标候选人名单还没公示 我发群里了大家核一下行不行？", "classified"),
    ("标底368万还没公开，我先跟宏达那边说一声行吗？", "classified"),
    ("那份标着机密的会议纪要里写明年要撤并三个乡镇，这个怎么归档？", "classified"),
    ("原始数据不对外提供，我私下发你一份，标底是356万", "classified"),
    ("刚才会上定了，今年要问责的是东湖区、高新区和老城区，三个分管副区长都要被约谈，名单下周才发，大家先心里有数", "classified"),
    ("刚听市里一个老同学说，明年区县总工会要统一并到市里，人员要分流，已经差不多定了，大家早点打算，别外传哈", "rumor"),
    ("我老同学找我帮忙，我让他正常预约，明天上午你们给他留个号", "cronyism"),
    ("权威说法来了！上游水库明天开闸泄洪，县城低洼地带全部要淹，赶紧转移", "rumor"),
])
def test_the_same_matters_asked_offered_or_handed_over_are_still_found(judge, text, rule):
    assert rule in judge(text)
