"""Effective per-room settings: overrides on the rulebook, bad values
ignored, automata shared, the cache and its expiry."""

from __future__ import annotations

import pytest
import yaml

from qungui.core.events import PrivateMessage, event_from_dict, event_to_dict
from qungui.core.matcher import ALL_RULES, ALLOW_PHRASE, Matcher
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


def test_a_room_automaton_holds_its_own_phrases_only(rulebook, matcher, plugins):
    """The lexicons' automaton is shared, not copied: a room's part holds its
    own phrases, a view without phrases has none."""
    params = {n: dict(p.defaults) for n, p in plugins.items()}
    s = RoomSettings(None, rulebook, params, matcher, plugins)
    view = s.view("a", {"allow": ["优惠券发放", {"rule": "ads", "phrase": "团购"}],
                        "deny": [{"rule": "ads", "phrase": "刷单"}]})
    assert view.matcher.base is matcher
    assert len(view.matcher.own) == 3 and len(view.matcher) == len(matcher) + 3
    assert view.phrases is view.matcher.own
    assert s.view("b", {"deny": [{"rule": "ads", "phrase": "刷单"}]}).phrases is None


def _one_automaton(s: RoomSettings, matcher, allow, deny):
    """What a room's matcher was when its phrases were compiled into a copy of
    the whole automaton: every-rule phrases filed under each rule, none under
    a rule a room may not silence."""
    extra = [(rule, ALLOW_PHRASE, p) for scope, p in allow
             for rule in (s.rulebook.rules if scope == ALL_RULES else (scope,))
             if rule not in s.never_allowed]
    extra += [(r, "room_deny", p) for r, p in deny]
    return Matcher(matcher._source + tuple(extra))


def test_a_layered_room_automaton_finds_what_one_automaton_would(rulebook, matcher, plugins):
    """Random rooms (allow phrases of every rule, of one rule, of classified;
    deny phrases; lexicon terms among them, longer and shorter than the
    lexicon's) on corpus messages with those phrases put in: the same hits,
    in the same order, and the same allowed phrases."""
    import json
    import random
    from pathlib import Path

    from qungui.core.text import normalize

    rng = random.Random(7)
    root = Path(__file__).resolve().parents[1] / "qungui" / "rules" / "corpus"
    texts = [json.loads(line)["text"] for name in ("dev.jsonl", "test.jsonl")
             for line in (root / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    terms = [t for _, cue, t in matcher._source if cue != "allow"]
    params = {n: dict(p.defaults) for n, p in plugins.items()}
    s = RoomSettings(None, rulebook, params, matcher, plugins)
    rules = sorted(s.params)
    assert "classified" in s.never_allowed
    compared = hits = 0
    for room in range(40):
        sample = rng.sample(texts, 30)
        def phrase():
            kind = rng.random()
            if kind < 0.4:
                return rng.choice(terms)                    # a lexicon term itself
            text = rng.choice(sample)
            a = rng.randrange(max(1, len(text) - 2))
            return text[a:a + rng.randint(2, 8)].strip() or "通知"   # a piece of a message
        allow = []
        for _ in range(rng.randint(0, 6)):
            r = rng.random()
            allow.append(phrase() if r < 0.5 else
                         {"rule": "classified" if r < 0.6 else rng.choice(rules), "phrase": phrase()})
        deny = [{"rule": rng.choice(rules), "phrase": phrase()} for _ in range(rng.randint(0, 6))]
        view = s.view(f"r{room}", {"allow": allow, "deny": deny})
        if view.matcher is matcher:
            continue
        whole = _one_automaton(s, matcher, view.allow, view.deny)
        for text in sample + [p for _, p in view.allow + view.deny]:
            norm = normalize(text)
            for scope in (None, frozenset(view.params)):
                got, want = view.matcher.scan(norm, scope), whole.scan(norm, scope)
                assert got == want, (text, view.allow, view.deny)
                hits += sum(map(len, got.values()))
            if view.phrases is not None:
                assert ([(h.rule, h.term, h.start, h.end) for h in view.phrases.allowed(norm)]
                        == [(h.rule, h.term, h.start, h.end) for h in Matcher(
                            [(sc, ALLOW_PHRASE, p) for sc, p in view.allow]).allowed(norm)])
            compared += 1
    assert compared > 500 and hits > 500


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
