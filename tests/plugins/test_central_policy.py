import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "中央这个政策纯属瞎折腾，根本行不通",
    "上面的政策就是拍脑袋定的，一点不切实际",
    "顶层设计完全脱离实际！",
    "国务院又出新规了。纯属乱来。",
    "黨中央這個決策就是瞎折騰",                    # traditional
    "中—央—的政策，拍·脑·袋",                    # separators inserted
    # a national body or a State Council campaign called all for show
    "国家邮政局天天让报这个数那个数，报了也没人看，形式主义重灾区就在这",
    "治本攻坚三年行动说到底就是层层留痕好甩锅，跟设备安不安全有啥关系",
    "中央那些文件写得是好听，落到实处的有几条？口号而已。",
])
def test_negative_judgement_of_centre(inspect, text):
    [f] = inspect("central_policy", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


def test_same_sentence_scores_higher(inspect):
    same = top(inspect("central_policy", "中央的政策就是瞎折腾"))
    apart = top(inspect("central_policy", "中央又出新规了。纯属瞎折腾。"))
    assert same >= 0.9 and THRESHOLD <= apart < same


@pytest.mark.parametrize("text", [
    "认真学习贯彻党中央决策部署，确保各项任务落地见效",
    "通报：某干部在群里妄议中央大政方针被处分",
    "落实中央要求，防止一刀切，坚决整治形式主义",
    "按照国务院部署，杜绝层层加码和一刀切",
    "这个方案有点不切实际，我们再改改",               # no central target
    "中央八项规定精神学习材料已发群里，请查收",
])
def test_loyal_neutral_and_notices_are_clean(inspect, text):
    assert top(inspect("central_policy", text)) < THRESHOLD


@pytest.mark.parametrize("text", [
    "中央天天光喊口号，落到下面就是一句空话",             # slogans
    "国家的经济政策一会放一会收，企业都不敢投了",         # flip-flops
    "上面的政策出了问题就甩锅给基层",                     # burden-shifting
    "所谓的顶层设计，还不是让下面买单",                   # sarcasm
])
def test_families_of_negative_judgement(inspect, text):
    assert top(inspect("central_policy", text)) >= THRESHOLD


def test_loyal_mentions_of_the_same_policies_stay_silent(inspect):
    for text in ("认真学习贯彻党中央关于一带一路建设的决策部署",
                 "国家集采药品已全部落地，请各医院做好配备"):
        assert top(inspect("central_policy", text)) < THRESHOLD


# --- stance: whose policy, and what is said of it -------------------------

@pytest.mark.parametrize("text", [
    "天天讲稳外贸，上头文件一个接一个，企业根本没人信，就是印着玩的",
    "国家这个决定简直是胡闹",
    "国务院这个文件纯属折腾基层",
    "上面的大政方针就是折腾人，懂不懂基层啊",
    "国家出台的这个政策，纯属折腾",
    "中央这次的决定我是不认同的，完全没必要",
    "党中央这次的决定，我个人是坚决不赞成的",
    "国家规定的东西，听听就行，别当真",
    "中央又拍脑袋了，呵呵，这回又要我们加班",
    "好一个顶层设计，基层累死累活",
    "党中央那套东西早就过时了",
    "中央這個決策真是異想天開",                      # traditional
    "国务院那帮专家一拍脑袋，我们下面跑断腿",
    "中央这个政策纯属折腾我们县里",                  # the county suffers, the centre acts
    # the counter word is the thing judged: 整治 is what 就是一阵风
    "中央搞这个整治就是一阵风，风头一过谁还管",
    # sarcasm: the centre's words set against what people get
    "一个月几十块钱就打发了，国家还天天说'一个都不能少'，真够讽刺的",
    "养老金城乡差几十倍，这就是国家讲的公平，说出去都丢人",
    "国家那个条例跟不上实际，定规矩的人根本没来过农村",
    "八项规定搞得也太死了，出差吃顿饭都不行",
    "搞什么农药减量，虫子又不减，坐在部委办公室定指标是真轻松",
    "生态保护红线一刀切，镇里一大半划进去了，纯粹拍脑袋定的",
    "一号文件年年写年年一个样，写了也是白写",
    "条条都要属地负责，写条例的人怕是没在乡镇蹲过一天",
    # a line the state drew, judged after what it did to the county
    "国家划红线的时候根本没来实地看，一条线画下去把我们县港口规划全压进去了，这种红线就是闭门造车",
    # a national campaign as a passing gust
    "国家那套专项整治打一阵停一阵，典型的运动式执法，风头一过照样卖",
    # what the state made everyone do, judged after it
    "国家让小卖部都只卖加碘盐这规定就是瞎搞，村里老人都说吃了没味，上面不了解实际还非要推",
])
def test_mocking_attacking_or_denying_central_decisions(inspect, text):
    [f] = inspect("central_policy", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    # a province's, city's or county's own policy, however criticised
    "市里这个新政策纯属瞎折腾，根本不考虑我们实际",
    "县里又出新规了，又是拍脑袋",
    "我们区这个新规太离谱了，一刀切",
    "市里出台的这个政策，瞎指挥",
    "我们市的垃圾分类新规就是拍脑袋出来的",
    "市委那边又出新规了，纯属折腾人",
    "镇里这个新政策，老百姓都骂，乱来",
    "县里出台的这个规定就是拍脑袋定的",              # no central word at all
    "本市的限行政策真是折腾人",
    # the centre's policy carried out badly by the county
    "中央的政策是好的，就是县里执行的时候搞一刀切，纯属折腾",
    "国家的政策是好政策，就是到了咱们县执行的时候走样了，搞成了一刀切",
    # a department's own (宣传部里, 部里 alone), not a ministry
    "部里下周要调整，理论科并到宣教科，这么搞纯属折腾",
    "宣传部里搞的这个评比纯属折腾",
])
def test_local_policy_is_not_central(inspect, text):
    assert top(inspect("central_policy", text)) < THRESHOLD


def test_criticism_of_local_policy_is_recorded_below_the_bar(inspect):
    [f] = inspect("central_policy", "县里又出新规了，又是拍脑袋")
    assert f.score < THRESHOLD and "县里" in f.reason and "不是中央" in f.reason


@pytest.mark.parametrize("text", [
    # studying, relaying, supporting
    "转发国务院办公厅关于进一步优化营商环境的通知，请各单位认真学习",
    "坚决拥护党中央的决定，全力抓好落实",
    "这次中央的政策真是及时雨，企业都很欢迎",
    "中央这个政策好，真正为老百姓办实事",
    # asking how to carry it out
    "请问中央这个新政策，我们基层具体怎么落实？有没有实施细则",
    "国务院出台了稳就业的新政策，请人社局尽快拿出实施细则",
    "请问国家这个新规定，对我们县的企业有没有影响？具体怎么执行？",
    # weak words that are about something else
    "按国家规定，这种报销不行，得补材料",
    "学习中央文件时有几处看不懂，请组织部的同志给解读一下",
    "认真学习今年中央一号文件精神，抓好春耕备耕",
    "双碳目标怎么落实到公共机构节能，请节能科拿个方案",
])
def test_studying_relaying_supporting_and_asking_are_clean(inspect, text):
    assert top(inspect("central_policy", text)) < THRESHOLD


def test_a_sneer_at_the_centre(inspect):
    [f] = inspect("central_policy", "呵呵，中央的英明决策又来了")
    assert f.score >= THRESHOLD and "呵呵" in f.evidence
    assert top(inspect("central_policy", "中央一直关心呵护基层干部")) < THRESHOLD


def test_a_negative_term_the_message_sets_itself_against_is_recorded(inspect):
    """「防止一刀切」: the rule's reading, under every threshold, so that the
    decision stage does not find the centre criticised there; 「防止整治
    变成一阵风」 stays the loyal line (a copula that asserts is 就是, 纯属)."""
    from qungui.core.plugin import RECORDED
    for text in ("贯彻中央部署，坚决防止一刀切、层层加码", "要防止整治变成一阵风"):
        [f] = inspect("central_policy", text)
        assert f.score == RECORDED and "所反对" in f.reason


def test_a_weak_word_clauses_away_from_a_local_body_is_not_read_as_its(inspect):
    """「太死了」 right after nothing it could judge, with 省里 two clauses on:
    no reading is recorded for the county or province (which would keep the
    decision stage from weighing the message), and nothing is found."""
    assert inspect("central_policy", "区划条例管得也太死了，一个乡改个镇要报到省里批，折腾大半年") == []
    # right after the local body, in its clause, it is the local body's
    [f] = inspect("central_policy", "省里这个条例管得也太死了")
    assert f.score < THRESHOLD and "省里" in f.reason
