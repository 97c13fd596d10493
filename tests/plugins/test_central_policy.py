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
