import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "那个局长就是个草包，什么都不懂",
    "老王是靠关系上位的，大家心里都有数",
    "听说张局作风有问题，外面有小三",
    "新来的副主任就是个马屁精",
    "她離婚了，老公跑了",                                   # traditional
    "小李这人就是个马·屁·精",                               # separators
])
def test_disparaging_or_private_gossip(inspect, text):
    [f] = inspect("gossip", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "老王这个材料写得很好，大家参考",
    "李局今天去市里开会了，下午回来",
    "小张请假了，材料由我报送",
    "这位群众来咨询离婚了以后低保怎么办理",
    "其他同志没水平的地方，我们培训时再讲",
    "同事们辛苦了，项目顺利签约",
    "这个方案没水平，重写一版",
])
def test_neutral_work_talk_is_clean(inspect, text):
    assert top(inspect("gossip", text)) < THRESHOLD
