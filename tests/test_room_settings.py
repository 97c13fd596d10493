"""Effective per-room settings: overrides on the rulebook, bad values
ignored, automata shared, the cache and its expiry."""

from __future__ import annotations

import pytest
import yaml

from qungui.core.events import PrivateMessage, event_from_dict, event_to_dict
from qungui.pipeline.room_settings import RoomSettings, effective_rulebook, parse_due
from qungui.core.rulebook import DEFAULT_RULEBOOK, RulebookError, parse_rulebook


def test_overrides_apply_and_bad_values_are_ignored(rulebook):
    book = effective_rulebook(rulebook, {
        "ads.enabled": False, "ads.threshold": 0.9, "gossip.action": "warn",
        "rumor.threshold": 7, "flood.action": "shout", "cronyism.enabled": "no",
    })
    assert not book.rules["ads"].enabled and book.rules["ads"].threshold == 0.9
    assert book.rules["gossip"].action == "warn"
    assert book.rules["rumor"] == rulebook.rules["rumor"]
    assert book.rules["flood"] == rulebook.rules["flood"]
    assert book.rules["cronyism"].enabled
    assert rulebook.rules["ads"].enabled          # the base is never changed


def test_a_period_only_lowers_thresholds(rulebook):
    strict = effective_rulebook(rulebook, {"period": "election", "vote_buying.threshold": 0.3})
    assert strict.rules["vote_buying"].threshold == 0.3 and strict.rules["vote_buying"].notify_owner
    normal = effective_rulebook(rulebook, {"period": "election"})
    assert normal.rules["red_envelope"].threshold == 0.4
    assert effective_rulebook(rulebook, {"period": "carnival"}).rules == rulebook.rules


@pytest.mark.parametrize("text, due", [("18:00", "18:00"), ("9:30", "09:30"), ("18：00", "18:00"),
                                       ("24:00", None), ("18", None), ("six", None)])
def test_due_times(text, due):
    assert parse_due(text) == due


def test_rooms_with_the_same_phrases_share_an_automaton(rulebook, matcher, plugins):
    params = {n: dict(p.defaults) for n, p in plugins.items()}
    s = RoomSettings(None, rulebook, params, matcher, plugins)
    a = s.view("a", {"allow": ["优惠券发放"], "deny": [{"rule": "ads", "phrase": "刷单"}]})
    b = s.view("b", {"allow": ["优惠券发放"], "deny": [{"rule": "ads", "phrase": "刷单"}]})
    plain = s.view("c", {"deny": [{"rule": "nonsense", "phrase": "x"}], "allow": "oops"})
    assert a.matcher is b.matcher and a.matcher is not matcher and len(a.matcher) > len(matcher)
    assert plain.matcher is matcher and plain.deny == () and plain.allow == ()


async def test_cached_view_expires(repo, rulebook, matcher, plugins):
    now = [0.0]
    params = {n: dict(p.defaults) for n, p in plugins.items()}
    s = RoomSettings(repo, rulebook, params, matcher, plugins, ttl=30, monotonic=lambda: now[0])
    assert (await s.get("r1")).allow == ()
    await repo.add_allow_phrase("r1", "内部价格公示", "web:reviewer")   # another writer
    assert (await s.get("r1")).allow == ()                           # cached
    now[0] = 31
    assert (await s.get("r1")).allow == (("*", "内部价格公示"),)


def test_rulebook_validates_duties_and_periods():
    data = yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))
    for mutate, key in [
        (lambda d: d["periods"]["election"]["rules"].update(spam={}), "periods.election.rules.spam"),
        (lambda d: d["periods"]["election"]["rules"]["vote_buying"].update(threshold=2),
         "periods.election.rules.vote_buying.threshold"),
        (lambda d: d["work_report"].update(marker=""), "work_report.marker"),
        (lambda d: d.update(deny_rule="spam"), "deny_rule"),
    ]:
        bad = yaml.safe_load(yaml.safe_dump(data, allow_unicode=True))
        mutate(bad)
        with pytest.raises(RulebookError, match=key.replace(".", r"\.")):
            parse_rulebook(bad)


def test_private_message_in_the_events_file():
    event = event_from_dict({"kind": "private", "id": "p1", "sender_id": "u3",
                             "ts": "2026-11-20T10:00:00+08:00", "text": "/举报 ……"})
    assert isinstance(event, PrivateMessage) and event.text == "/举报 ……"
    assert event_from_dict(event_to_dict(event)) == event
