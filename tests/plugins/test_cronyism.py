import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    # an official asked to a businessman's table, a matter of his raised there,
    "杨局，我们董事长想约您和几位领导周末去山庄坐一坐，一起聊聊明年奖补的事",
    "周六老乡会，王老板也来，以后项目上互相关照",
    "都是同学会的自己人，这个工程你打个招呼就行",
    "战友会上说好了，他提拔的事大家帮忙",
    "新来的得先去拜码头",
    "咱們這個圈子，有好處大家分",                       # traditional
])
def test_networking_for_gain(inspect, text):
    [f] = inspect("cronyism", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text or "……" in f.evidence


@pytest.mark.parametrize("text", [
    # a hometown gathering declined,
    "老乡会我不参加。三期项目按政府采购程序走。",
    "明天下午招商项目对接会，请相关企业老板准时参加",
    "构建亲清政商关系，优化营商环境",
    "周末同学会，好久不见了",
    "坚决反对圈子文化和码头文化",
    "请帮忙把项目材料报送一下",
    "同学会上碰到市场监管局的老同学，他说可以帮忙咨询一下注册流程",
    "我表弟来问低保怎么办，我让他去社区窗口交材料了，大家不用特殊照顾",   # a favour declined
])
def test_official_work_and_plain_reunions_are_clean(inspect, text):
    assert top(inspect("cronyism", text)) < THRESHOLD
