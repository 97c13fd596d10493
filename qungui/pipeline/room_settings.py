"""Per-room settings: what a group's owner changed, on top of the rulebook.

The rulebook gives every room its defaults; a room's own settings (the JSON
``rooms.settings`` column) hold only what its owner or admins changed, so a
rulebook edit still reaches every room that did not override that value.
Keys of the settings dict:

``<rule>.enabled`` (bool), ``<rule>.action`` (warn|private|review),
``<rule>.threshold`` (0..1)
    per-rule overrides (/enable, /disable, /mode, /threshold)
``quiet`` (bool)
    the whole room is review-only: log, never warn (/quiet)
``topic`` (str)
    the room's purpose, used by the off-topic rule (/topic)
``allow`` (list of phrases, or of {"rule", "phrase"})
    the room's allow phrases: a plain string is filed for every rule, a
    {"rule", "phrase"} under that rule alone (``/allow [RULE] PHRASE``; the
    web review page files the phrase given with a dismissal under the
    dismissed incident's rule). A rule's term inside one of them, or equal to
    one, is not a hit, and a finding of a rule, whatever stage made it, is
    stood down on a message that contains one filed under that rule or for
    every rule (``pipeline.reviewed``). Never for a rule whose spec says
    ``room_allow=False`` (classified)
``deny`` (list of {"rule", "phrase"})
    the room's extra terms; each hit is a finding of its rule (/deny)
``admins`` (list of contact ids)
    delegated admins (/admin add)
``period`` (str)
    a sensitive period of the rulebook that is on, e.g. ``election`` (/period)
``report_due`` ({"time": "HH:MM", "remind": bool})
    daily work-report tracking (/report-due)

``RoomSettings`` computes each room's effective view once and caches it. A
change made through it is seen at once; a change written by another process
(the web review page) is picked up within ``ttl`` seconds.
"""

from __future__ import annotations

import logging
import re
import time
from dataclasses import dataclass, replace
from typing import Any, Callable, Mapping
from weakref import WeakValueDictionary

from qungui.core.matcher import ALL_RULES, ALLOW_PHRASE, Layered, Matcher
from qungui.core.plugin import Plugin
from qungui.core.ports import StoreDown
from qungui.core.rulebook import ACTIONS, Rulebook

log = logging.getLogger(__name__)

ROOM_DENY = "room_deny"      # the matcher cue of a room's /deny phrases
# An owner's own deny phrase is a deliberate rule: above every default
# threshold, yet a room that sets a threshold above it silences its phrases.
ROOM_TERM_SCORE = 0.9
RULE_KEYS = ("enabled", "action", "threshold")
_RULE_SUFFIXES = tuple(f".{k}" for k in RULE_KEYS)
DUE_TIME = re.compile(r"^([01]?\d|2[0-3])[:：]([0-5]\d)$")


@dataclass(frozen=True)
class RoomView:
    """One room's effective settings: the rulebook with the room's overrides."""

    room_id: str
    raw: Mapping[str, Any]
    rulebook: Rulebook
    params: dict[str, dict]          # enabled rules (with a plugin) -> parameters
    matcher: Matcher
    quiet: bool = False
    topic: str | None = None
    allow: tuple[tuple[str, str], ...] = ()    # (rule, or "*" for every rule; phrase)
    deny: tuple[tuple[str, str], ...] = ()     # (rule, phrase)
    admins: frozenset[str] = frozenset()
    period: str | None = None
    report_due: str | None = None              # "HH:MM", China time
    report_remind: bool = True
    # the allow phrases alone, for finding which ones a message contains
    # (``pipeline.reviewed``); None when the room has none
    phrases: Matcher | None = None


def rule_key(rule: str, what: str) -> str:
    return f"{rule}.{what}"


def parse_due(value: str) -> str | None:
    """'18:00' / '18：00' / '9:30' -> 'HH:MM'; None if not a time of day."""
    m = DUE_TIME.match(value.strip())
    return f"{int(m.group(1)):02d}:{m.group(2)}" if m else None


def effective_rulebook(base: Rulebook, raw: Mapping[str, Any]) -> Rulebook:
    """The base rulebook with the room's rule overrides, then its period on top.

    A value that does not validate (a hand-edited row) is ignored and
    logged: a bad setting never stops moderation.
    """
    period = raw.get("period")
    if not (any(isinstance(k, str) and k.endswith(_RULE_SUFFIXES) for k in raw)
            or (isinstance(period, str) and period in base.periods)):
        return base        # no override of a rule: the base itself, not a copy per room
    rules = dict(base.rules)
    for rule, cfg in base.rules.items():
        changes = {}
        enabled = raw.get(rule_key(rule, "enabled"))
        if isinstance(enabled, bool):
            changes["enabled"] = enabled
        action = raw.get(rule_key(rule, "action"))
        if action in ACTIONS:
            changes["action"] = action
        threshold = raw.get(rule_key(rule, "threshold"))
        if isinstance(threshold, (int, float)) and not isinstance(threshold, bool) \
                and 0 <= threshold <= 1:
            changes["threshold"] = float(threshold)
        if changes:
            rules[rule] = replace(cfg, **changes)
    period = base.periods.get(raw.get("period") or "")
    if period is not None:
        # a sensitive period only ever weighs a rule more: a lower threshold,
        # the owner told of every hit; a rule the room turned off stays off
        for rule, o in period.rules.items():
            cfg = rules[rule]
            rules[rule] = replace(
                cfg,
                threshold=min(cfg.threshold, o.get("threshold", cfg.threshold)),
                notify_owner=cfg.notify_owner or o.get("notify_owner", False),
                action=o.get("action", cfg.action))
    return replace(base, rules=rules)


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(v for v in value if isinstance(v, str) and v.strip())


def _allow(value: Any, rules: Mapping) -> tuple[tuple[str, str], ...]:
    """The room's allow phrases as (rule or ``*``, phrase), in the order
    filed, without repeats; entries naming no rule of the rulebook are
    ignored."""
    if not isinstance(value, list):
        return ()
    out: dict[tuple[str, str], None] = {}
    for v in value:
        if isinstance(v, str) and v.strip():
            out[(ALL_RULES, v)] = None
        elif (isinstance(v, dict) and v.get("rule") in rules
              and isinstance(v.get("phrase"), str) and v["phrase"].strip()):
            out[(v["rule"], v["phrase"])] = None
    return tuple(out)


def allow_entry(rule: str | None, phrase: str) -> str | dict:
    """How an allow phrase is stored in the settings: a plain string for every
    rule, {"rule", "phrase"} for one."""
    return phrase if rule in (None, ALL_RULES) else {"rule": rule, "phrase": phrase}


def _deny(value: Any, rules: Mapping) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, list):
        return ()
    return tuple((d["rule"], d["phrase"]) for d in value
                 if isinstance(d, dict) and d.get("rule") in rules
                 and isinstance(d.get("phrase"), str) and d["phrase"].strip())


class RoomSettings:
    """Effective settings per room, cached; every change goes through here."""

    def __init__(self, repo, rulebook: Rulebook, params: Mapping[str, dict], matcher: Matcher,
                 plugins: Mapping[str, Plugin], *, ttl: float = 30.0, monotonic: Callable[[], float] = time.monotonic):
        self.repo = repo
        self.rulebook = rulebook
        self.params = params          # every rule that has a plugin -> merged parameters
        self.base_matcher = matcher
        # a room's allow-list never silences these (a leaked classified file is
        # the worst miss): only the deployment's own allow-list (_allow.txt) may
        self.never_allowed = frozenset(n for n, p in plugins.items() if not p.spec.room_allow)
        self.ttl = ttl
        self._monotonic = monotonic
        self._views: dict[str, tuple[float, RoomView]] = {}
        # one room automaton per distinct set of phrases, while a room uses it
        self._matchers: WeakValueDictionary[tuple, Matcher] = WeakValueDictionary()
        self._enabled: dict[tuple[str, ...], dict[str, dict]] = {}
        self.default = self.view("", {})

    # --- computing ----------------------------------------------------------

    def view(self, room_id: str, raw: Mapping[str, Any]) -> RoomView:
        book = effective_rulebook(self.rulebook, raw)
        allow = _allow(raw.get("allow"), book.rules)
        deny = _deny(raw.get("deny"), book.rules)
        due = raw.get("report_due")
        due_time = parse_due(due.get("time", "")) if isinstance(due, dict) else None
        topic = raw.get("topic")
        matcher = self._matcher(allow, deny)
        return RoomView(
            room_id=room_id, raw=dict(raw), rulebook=book,
            params=self._params(book),
            matcher=matcher, phrases=self._phrases(matcher, allow),
            quiet=raw.get("quiet") is True,
            topic=topic if isinstance(topic, str) and topic.strip() else None,
            allow=allow, deny=deny, admins=frozenset(_strings(raw.get("admins"))),
            period=raw.get("period") if raw.get("period") in self.rulebook.periods else None,
            report_due=due_time,
            report_remind=bool(due.get("remind", True)) if isinstance(due, dict) else True)

    def _matcher(self, allow: tuple[tuple[str, str], ...],
                 deny: tuple[tuple[str, str], ...]) -> Matcher:
        """The shared automaton, or the shared one layered with a small one
        over the room's own phrases alone (memory and build time in
        proportion to its phrases); rooms with the same phrases share one."""
        if not allow and not deny:
            return self.base_matcher
        key = (allow, deny)
        found = self._matchers.get(key)
        if found is None:
            extra = [(scope, ALLOW_PHRASE, p) for scope, p in allow]
            extra += [(r, ROOM_DENY, p) for r, p in deny]
            found = self._matchers[key] = self.base_matcher.extended(extra, self.never_allowed)
        return found

    def _params(self, book: Rulebook) -> dict[str, dict]:
        """The parameters of the rules the room has on; rooms with the same
        rules on share one dict."""
        enabled = tuple(n for n in self.params if book.rules[n].enabled)
        found = self._enabled.get(enabled)
        if found is None:
            found = self._enabled[enabled] = {n: self.params[n] for n in enabled}
        return found

    @staticmethod
    def _phrases(matcher: Matcher, allow: tuple[tuple[str, str], ...]) -> Matcher | None:
        """The allow phrases alone, each under the rule it is filed for
        (``*``: every rule): the room's own small automaton, which holds
        them so."""
        return matcher.own if allow and isinstance(matcher, Layered) else None

    # --- reading ------------------------------------------------------------

    async def get(self, room_id: str) -> RoomView:
        cached = self._views.get(room_id)
        if cached and self._monotonic() - cached[0] < self.ttl:
            return cached[1]
        try:
            raw = await self.repo.room_settings(room_id)
        except (StoreDown, OSError, ConnectionError) as exc:
            # the database is down: keep moderating with what we last knew
            log.warning("room settings of %s not readable (%s); using the last known "
                        "for %ss", room_id, type(exc).__name__, self.ttl)
            view = cached[1] if cached else self.view(room_id, {})
            self._views[room_id] = (self._monotonic(), view)   # retry after the ttl, not per message
            return view
        return self._store(room_id, raw)

    def peek(self, room_id: str) -> RoomView:
        """The last loaded view (no database); the rulebook's defaults if none."""
        cached = self._views.get(room_id)
        return cached[1] if cached else self.default

    def loaded(self) -> list[RoomView]:
        return [v for _, v in self._views.values()]

    async def load_all(self) -> None:
        """Read every room's settings once at start-up (duties need them)."""
        for room_id, raw in (await self.repo.all_room_settings()).items():
            self._store(room_id, raw)

    def _store(self, room_id: str, raw: Mapping[str, Any]) -> RoomView:
        cached = self._views.get(room_id)
        view = cached[1] if cached and cached[1].raw == raw else self.view(room_id, raw)
        self._views[room_id] = (self._monotonic(), view)
        return view

    # --- changing -----------------------------------------------------------

    async def change(self, room_id: str, actor_id: str, action: str, key: str,
                     value: Any) -> tuple[Any, Any]:
        """Set one key (None removes it); the audit row is written with it."""
        try:
            return await self.repo.change_settings(room_id, actor_id, action, key, value)
        finally:
            await self.reload(room_id)

    async def add_allow(self, room_id: str, phrase: str, actor_id: str,
                        rule: str | None = None) -> bool:
        """File an allow phrase under ``rule`` (None: every rule)."""
        try:
            return await self.repo.add_allow_phrase(room_id, phrase, actor_id, rule)
        finally:
            await self.reload(room_id)

    async def reload(self, room_id: str) -> RoomView:
        """Forget the cached view and read the room's settings again."""
        stale = self._views.pop(room_id, None)
        view = await self.get(room_id)
        if stale is not None and room_id not in self._views:
            self._views[room_id] = stale        # database down: keep what we knew
        return view
