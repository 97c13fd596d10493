import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "中央这个政策纯属瞎折腾，根本行不通",
    "上面的政策就是拍脑袋定的，一点不切实际",
    "顶层设计完全脱离实际！",
    "国务院又出新规了。纯属乱来。",
    "黨中央這個決策就是瞎折騰",                    # traditional
    "中—央—的政策，拍·脑·袋",                    # separators inserted
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
