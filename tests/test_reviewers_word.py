"""The reviewer's word sticks: an allow phrase added in a room stands down
the same false alarm from every stage (the rules' lexicons, the decision
stage, a room's deny phrases), and a phrase equal to the very word that
triggered it works too."""

from __future__ import annotations

from dataclasses import replace

import pytest

from qungui.app import build_moderator
from qungui.core.events import RoomSnapshot
import numpy as np

from qungui.core import embedding
from qungui.pipeline.decision import DecisionModel
from qungui.pipeline.reviewed import STAGE
from qungui.storage.review import IncidentFilter, ReviewError, ReviewStore
from tests.conftest import work_room

FISHING = "晚上去钓鱼不，水库那边鱼多"              # off_topic, on the one term 钓鱼
FISHING_AGAIN = "晚上去钓鱼不，水库那边的鱼可多了"
CHAT = "周末一起去打羽毛球吧，球馆我订好了"
GROUP_BUY = "食堂本周团购价优惠，需要的同事加我微信"   # ads: 团购价 + 加我微信
CLASSIFIED = "机密★1年 关于城东片区项目用地调整的方案，先发大家看看"


def lexicon_only(rulebook):
    """The rulebook without its decision stage: these false alarms are the
    lexicons' own, whatever a model makes of them."""
    return replace(rulebook, learned=replace(rulebook.learned, enabled=False))


@pytest.fixture
async def moderator(repo, plugins, rulebook, matcher):
    m = build_moderator(repo, lexicon_only(rulebook), plugins, matcher, bot_id="botid",
                        operators=["op1"])
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    return m


def say(moderator, clock, text, sender="u2"):
    return moderator.handle(clock.msg(text, sender))


def stood_down(outcome) -> list[dict]:
    return [t for t in outcome.trace if t.get("plugin") == STAGE]


def fishing_model() -> DecisionModel:
    """A decision-stage model, as the engine takes it, that is sure 钓鱼 is
    off-topic: it speaks wherever the word is, lexicon or not."""
    return DecisionModel(
        rules=("off_topic",), bias=np.array([-6.0]), w_lex=np.zeros((1, 4)),
        w_emb=np.zeros((1, embedding.DIM), dtype=np.float32), ngram_index={"钓鱼": 0},
        w_ngram=np.array([[12.0]]), calib=np.array([[1.0, 0.0]]), threshold=np.array([0.5]),
        keep=np.array([0.01]), emb_hi=np.array([0.0]), emb_mean=np.array([0.0]),
        gate_bias=np.zeros(1), gate_lex=np.zeros((1, 3)), gate_ngram=np.zeros((1, 1)),
        gate=np.array([-np.inf]), gate_hi=np.array([np.inf]))


async def with_model(repo, rulebook, plugins, matcher, model):
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid", model=model)
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    return m


# --- the lexicons ------------------------------------------------------------

def test_the_lexicons_allow_entries_keep_their_meaning(moderator):
    from qungui.core.events import Message
    from tests.conftest import T0
    findings, _ = moderator.inspect(Message(id="g", room_id="r1", sender_id="u2", ts=T0,
                                            text="祝大家工作顺利，中秋快乐"), work_room())
    assert "节日问候" in next(f.reason for f in findings if f.rule == "off_topic")


# --- every stage -------------------------------------------------------------

async def test_a_phrase_equal_to_the_trigger_word_silences_it(moderator, clock):
    assert (await say(moderator, clock, FISHING)).action == "warn"
    out = await say(moderator, clock, "/allow 钓鱼", "u1")
    assert out.action == "reply"
    out = await say(moderator, clock, FISHING_AGAIN, "u3")
    assert out.action == "none" and not out.findings
    # the rest of the rule still works in the room
    assert (await say(moderator, clock, CHAT, "u4")).action == "warn"


async def test_one_phrase_quiets_the_lexicon_and_the_decision_stage(repo, rulebook, plugins,
                                                                  matcher, clock):
    """Flagged by the lexicon; once 钓鱼 is allowed the lexicon is silent, the
    decision stage then finds the same message off-topic on its own, and the
    final filter stands that finding down too, naming the phrase."""
    m = await with_model(repo, rulebook, plugins, matcher, fishing_model())
    first = await say(m, clock, FISHING)
    assert first.action == "warn" and [f.rule for f in first.findings] == ["off_topic"]
    await m.settings.add_allow("r1", "钓鱼", "web:li", "off_topic")
    out = await say(m, clock, FISHING_AGAIN, "u3")
    assert out.action == "none" and out.findings == []
    decided = next(t for t in out.trace if t.get("plugin") == "decision")
    assert decided["rules"] == ["off_topic"]          # the model did speak
    assert [(t["rule"], t["allow_phrase"]) for t in stood_down(out)] == [("off_topic", "钓鱼")]
    assert "钓鱼" in stood_down(out)[0]["note"]
    assert await repo.incidents(room_id="r1") and len(await repo.incidents(room_id="r1")) == 1


async def test_a_phrase_that_does_not_cover_the_term_still_stands_the_rule_down(moderator, clock):
    """The final filter reads the whole message: 食堂团购 does not contain the
    cue 团购价, yet a message containing it is no longer reported as ads."""
    assert (await say(moderator, clock, GROUP_BUY)).action == "warn"
    await moderator.settings.add_allow("r1", "食堂本周团购", "u1", "ads")
    out = await say(moderator, clock, GROUP_BUY + "！", "u3")
    assert out.action == "none"
    assert [t["allow_phrase"] for t in stood_down(out)] == ["食堂本周团购"]


async def test_a_room_deny_phrase_is_stood_down_too(moderator, clock):
    await say(moderator, clock, "/deny 广告 水库钓鱼", "u1")
    await moderator.settings.add_allow("r1", "周末去", "u1", "ads")
    out = await say(moderator, clock, "周末去水库钓鱼吗", "u3")
    assert "ads" not in {f.rule for f in out.findings}
    assert {t["rule"] for t in stood_down(out)} >= {"ads"}


async def test_a_phrase_filed_under_one_rule_leaves_the_others(moderator, clock):
    await moderator.settings.add_allow("r1", "钓鱼", "u1", "ads")
    out = await say(moderator, clock, FISHING, "u3")
    assert out.action == "warn" and [f.rule for f in out.findings] == ["off_topic"]
    assert stood_down(out) == []


async def test_an_allow_phrase_never_stands_classified_down(moderator, clock):
    await moderator.settings.add_allow("r1", "城东片区项目", "u1")
    await moderator.settings.add_allow("r1", "城东片区项目", "u1", "classified")
    out = await say(moderator, clock, CLASSIFIED, "u3")
    assert out.action == "warn" and out.findings[0].rule == "classified"
    assert stood_down(out) == []


async def test_the_command_files_a_phrase_under_a_rule_and_lists_it(moderator, clock):
    out = await say(moderator, clock, "/allow 广告 食堂本周团购", "u1")
    assert "广告推销" in out.actions[0].text
    view = await moderator.settings.get("r1")
    assert view.allow == (("ads", "食堂本周团购"),)
    listed = (await say(moderator, clock, "/allow", "u1")).actions[0].text
    assert "食堂本周团购（广告推销）" in listed
    refused = (await say(moderator, clock, "/allow 涉密 城东片区项目", "u1")).actions[0].text
    assert "不能由本群放行" in refused
    await say(moderator, clock, "/allow 删除 食堂本周团购", "u1")
    assert (await moderator.settings.get("r1")).allow == ()


# --- from the review page ----------------------------------------------------

async def test_dismissing_with_a_phrase_quiets_the_rule_in_that_room(moderator, repo, rulebook,
                                                                     plugins, clock):
    from qungui.app import rule_specs
    assert (await say(moderator, clock, FISHING)).action == "warn"
    store = ReviewStore(repo, rule_specs(plugins))
    (inc,), _ = await store.incidents(IncidentFilter(rule="off_topic"))
    await store.review(inc.id, "web:li", "dismiss", allow_phrase="钓鱼")
    assert (await repo.room_settings("r1"))["allow"] == [{"rule": "off_topic", "phrase": "钓鱼"}]
    moderator.settings.ttl = 0           # the page writes from another process
    out = await say(moderator, clock, FISHING_AGAIN, "u3")
    assert out.action == "none"
    # another room is not concerned
    await moderator.handle(RoomSnapshot(work_room("r2")))
    assert (await moderator.handle(clock.msg(FISHING_AGAIN, "u3", room="r2"))).action == "warn"


async def test_a_phrase_for_classified_is_refused_on_review(moderator, repo, plugins, clock):
    from qungui.app import rule_specs
    await say(moderator, clock, CLASSIFIED, "u3")
    store = ReviewStore(repo, rule_specs(plugins))
    (inc,), _ = await store.incidents(IncidentFilter(rule="classified"))
    try:
        await store.review(inc.id, "web:li", "dismiss", allow_phrase="城东片区")
    except ReviewError as exc:
        assert exc.code == "phrase_not_allowed"
    else:
        raise AssertionError("a phrase was filed for the classified rule")
    assert "allow" not in await repo.room_settings("r1")
    assert (await store.incident(inc.id)).incident.status == "open"


async def test_a_one_character_phrase_is_refused_on_review(moderator, repo, plugins, clock):
    """It would stand down nearly every finding of its rule in the room."""
    from qungui.app import rule_specs
    await say(moderator, clock, FISHING)
    store = ReviewStore(repo, rule_specs(plugins))
    (inc,), _ = await store.incidents(IncidentFilter(rule="off_topic"))
    try:
        await store.review(inc.id, "web:li", "dismiss", allow_phrase=" 鱼 ")
    except ReviewError as exc:
        assert exc.code == "phrase_too_short"
    else:
        raise AssertionError("a one-character phrase was filed")
    assert "allow" not in await repo.room_settings("r1")
