from qungui.core.events import MessageType
from tests.plugins.conftest import THRESHOLD, later, message, top


def burst(n, sender="u2", step=5, text=None):
    return [message(text or f"第{i}条进度情况", sender=sender, ts=later(i * step), id=f"b{i}")
            for i in range(n)]


def test_many_messages_in_a_minute(inspect):
    recent = burst(5)
    [f] = inspect("flood", "第6条进度情况", recent=recent, ts=later(30))
    assert f.score >= 0.8 and "6条" in f.reason


def test_other_senders_and_old_messages_do_not_count(inspect):
    recent = burst(3, sender="u3") + burst(2)
    assert inspect("flood", "好的", recent=recent, ts=later(30)) == []
    old = [message("进度", ts=later(-3600 + i), id=f"o{i}") for i in range(10)]
    assert inspect("flood", "进度", recent=old, ts=later(0)) == []


def test_same_text_repeated(inspect):
    recent = [message("请大家关注我的公众号！", ts=later(i * 100), id=f"r{i}") for i in range(2)]
    [f] = inspect("flood", "请大家关注我的公众号!!", recent=recent, ts=later(250))
    assert f.score >= 0.8 and "重复" in f.reason


def test_repeated_acknowledgement_is_not_flood(inspect):
    recent = [message("收到", ts=later(i * 100), id=f"r{i}") for i in range(3)]
    assert top(inspect("flood", "收到", recent=recent, ts=later(350))) < THRESHOLD


def test_huge_message(inspect):
    [f] = inspect("flood", "项目情况说明" * 400)
    assert f.score >= THRESHOLD and "过长" in f.reason and len(f.evidence) < 60


def test_truncated_message(inspect):
    [f] = inspect("flood", "很长" * 100, max_text=50)
    assert f.score >= THRESHOLD


def test_one_finding_per_message(inspect):
    recent = [message("重复内容" * 600, ts=later(i), id=f"r{i}") for i in range(6)]
    findings = inspect("flood", "重复内容" * 600, recent=recent, ts=later(10))
    assert len(findings) == 1


def test_normal_conversation_is_clean(inspect):
    recent = burst(3, step=30)
    assert inspect("flood", "材料已报送", recent=recent, ts=later(120)) == []
    assert inspect("flood", message("", type=MessageType.IMAGE)) == []


def test_repeats_of_a_long_message_are_compared_up_to_the_cap(inspect):
    recent = [message("重复内容" * 100 + f"尾巴{i}", ts=later(i), id=f"r{i}") for i in range(2)]
    # the first 200 characters are the same: a repeat, although the tails differ
    [f] = inspect("flood", "重复内容" * 100 + "又一个尾巴", recent=recent, ts=later(10), max_text=200)
    assert "重复发送3次" in f.reason
    findings = inspect("flood", "重复内容" * 30, recent=recent[:1], ts=later(10))
    assert findings == []


def test_a_message_kept_in_the_history_is_keyed_once(inspect, monkeypatch):
    """An earlier message carries its key view, computed when it became an
    entry of the room's recent messages; flood normalizes nothing itself."""
    from qungui.core import plugin
    from qungui.core.plugin import Recent

    recent = [Recent.of(message(f"第{i}条情况说明", ts=later(i), id=f"k{i}")) for i in range(4)]
    assert [r.key for r in recent] == [f"第{i}条情况说明" for i in range(4)]
    calls = []
    real = plugin.normalize
    monkeypatch.setattr(plugin, "normalize", lambda text: calls.append(text) or real(text))
    inspect("flood", "第9条情况说明", recent=recent, ts=later(10))
    inspect("flood", "第10条情况说明", recent=recent, ts=later(11))
    assert calls == ["第9条情况说明", "第10条情况说明"]    # each new message once, in its context
