import pytest

from tests.plugins.conftest import THRESHOLD, top


@pytest.mark.parametrize("text", [
    "听说下个月工资要停发，赶紧告诉家人！",
    "内部消息：明天就要封城，速转！",
    "網傳本地發生地震，趕緊轉發擴散",                  # traditional
    "据说机构马上要撤并，大家转·发一下",
])
def test_unverified_claims_pushed_to_spread(inspect, text):
    [f] = inspect("rumor", text)
    assert f.score >= THRESHOLD
    assert f.evidence in text


@pytest.mark.parametrize("text", [
    "辟谣：网传我县明天封城的消息不实，请勿转发",
    "请不要转发未经核实的消息",
    "听说明天会议改到下午了？",
    "请将通知转发到各村工作群",
    "据说这个项目下周签约",
])
def test_rebuttals_and_ordinary_talk_are_clean(inspect, text):
    assert top(inspect("rumor", text)) < THRESHOLD


def test_harmless_claim_with_push_is_borderline(inspect):
    assert top(inspect("rumor", "听说明天开会，大家互相转告")) < 0.9
