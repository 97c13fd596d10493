"""The Moderator: one event in, a recorded decision and actions out.

Flow for a message: ignore the bot's own; route slash commands (to the
command router the composition root plugs in, ``CommandDispatcher``); normalize
once and scan all lexicons once; let each enabled plugin inspect (a plugin
that raises is isolated and logged); decide by the rulebook and the sender's
history; commit the incident rows; only then return the actions. A message id
seen before produces nothing the second time.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import OrderedDict, deque
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Iterable, Protocol, get_args

from qungui.rules import data_path

from qungui.core import embedding, nlp
from qungui.core.actions import Action, Remove, Send, SendPrivate
from qungui.core.command import command_shaped, is_command
from qungui.core.events import (MAX_ID, MAX_NAME, BotAdded, Event, EventError, Member,
                                MemberJoined, MemberLeft, Message, MessageType, PrivateMessage,
                                Room, RoomSnapshot, clean_event)
from qungui.core.matcher import Matcher, load_lexicons
from qungui.core.outcomes import Act
from qungui.core.plugin import (Context, Finding, JoinContext, Plugin, Recent, Verdict,
                                make_context, recent_entry)
from qungui.core.ports import (INCIDENT_NUMBER, Handled, IncidentIn, MessageLog, StoredMessage,
                               Store, fill_incident)
from qungui.core.rulebook import Rulebook
from qungui.pipeline import decision
from qungui.pipeline import outgoing, policy, texts
from qungui.pipeline.directory import RoomDirectory
from qungui.pipeline.duties import Duties, china_day
from qungui.pipeline.outcome import Outcome
from qungui.pipeline.reviewed import Reviewed
from qungui.pipeline.room_settings import ROOM_DENY, ROOM_TERM_SCORE, RoomSettings, RoomView
from qungui.pipeline.services import Services

log = logging.getLogger(__name__)

RECENT_PER_ROOM = 50          # messages kept per room for flood and context checks
SEEN_IDS = 20_000             # message ids remembered to drop redeliveries early
EXCERPT_CHARS = 500
# One message's inspection may take this long. Past it, the rules not yet
# asked are skipped (secret rules still run: a leaked file is the worst
# miss), the decision stage is skipped, and whatever was found goes to review
# rather than out as a warning; the log says so. Other rooms wait no longer.
INSPECT_BUDGET_SECONDS = 1.0
OVER_BUDGET = "over_budget"      # the trace key that marks such a message
DEFAULT_RETENTION_DAYS = 30   # days of recent messages kept as context for reviewers
GREET_AGAIN = timedelta(days=30)   # a room greeted this recently is not greeted again


_EVENT_TYPES = get_args(Event)
# Outcome.kind of an event the engine ignores before looking at it
_KINDS = {Message: "message", RoomSnapshot: "room", MemberJoined: "join", MemberLeft: "leave",
          BotAdded: "bot_added", PrivateMessage: "private"}


def _join_id(member_id: str, ts: datetime) -> str:
    """The incident key of a join: the member and the time, within MAX_ID
    characters (a long contact id is replaced by its hash)."""
    key = f"join:{member_id}:{ts.isoformat()}"
    if len(key) <= MAX_ID:
        return key
    digest = hashlib.sha256(member_id.encode("utf-8")).hexdigest()[:32]
    return f"join:#{digest}:{ts.isoformat()}"


class CommandDispatcher(Protocol):
    """The slash-command router (``qungui.commands``), plugged in from above."""

    def knows(self, text: str) -> bool:
        """Whether the text names a command the router has."""

    async def dispatch(self, room: Room, msg: Message) -> Outcome: ...

    def unknown_hint(self, room: Room, msg: Message) -> Action | None:
        """A short pointer to /help for a text that looks like a command but
        is none; at most one per member in a while, never quoting the text."""

    async def dispatch_private(self, msg: PrivateMessage) -> Outcome: ...


class _NoMessageLog:
    """An inspection-only engine keeps no context."""

    def add(self, message: StoredMessage) -> None:
        pass


class Moderator:
    def __init__(self, store: Store | None, rulebook: Rulebook, plugins: dict[str, Plugin],
                 matcher: Matcher | None = None, *, bot_id: str = "bot",
                 operators: Iterable[str] = (), lexicon_dir=None,
                 message_retention_days: int = DEFAULT_RETENTION_DAYS,
                 model: decision.DecisionModel | None = None,
                 inspect_budget: float = INSPECT_BUDGET_SECONDS, durable: bool = False):
        # store None: an inspection-only engine (eval, benchmarks) that never
        # handles events, only calls inspect()
        self.repo = store
        # durable: every action is also written to the outbox (core.ports.Outbox)
        # with what caused it, and events are handled once across restarts and
        # accounts; the live channel's sender carries the actions out from there
        self.durable = durable and store is not None
        # recent messages for the context a reviewer sees; written in the background
        self.message_log: MessageLog = (store.message_log(message_retention_days)
                                        if store is not None else _NoMessageLog())
        self.rulebook = rulebook
        self.plugins = {name: p for name, p in plugins.items() if name in rulebook.rules}
        if matcher is None:
            from pathlib import Path
            lexicon_dir = lexicon_dir or data_path("lexicons")
            matcher = Matcher(load_lexicons(lexicon_dir))
        self.matcher = matcher
        # the decision stage's model, read once per process; off in the rulebook:
        # not even loaded
        if model is None and rulebook.learned.enabled:
            model = decision.load()
        self.model = model
        if model is not None:
            # loaded in the background: start-up does not wait for the encoder
            (model.encoder or embedding.encoder()).warm()
        self.inspect_budget = inspect_budget
        nlp.init()      # jieba's dictionary, once, before the first message's budget runs
        self.directory = RoomDirectory(bot_id)
        self.operators = frozenset(operators)
        # each room's recent messages (flood, off_topic), oldest first: entries
        # carrying the views computed when they entered; a bare Message put
        # here from outside (evaluation, a test) becomes one when first read
        self.recent: dict[str, deque[Recent | Message]] = {}
        self._seen: OrderedDict[tuple[str, str], None] = OrderedDict()
        self.params = self._params()
        # per-room overrides of the rulebook (owners' commands), cached
        self.settings = RoomSettings(store, rulebook, self.params, self.matcher, self.plugins)
        self.records = store.records if store is not None else None
        self.duties = Duties(self.settings, self.records, self.directory)
        self.gravity = {name: p.spec.gravity for name, p in self.plugins.items()}
        # the reviewers' word: the last filter every finding passes (inspect):
        # the room's allow phrases and its dismissed false alarms
        self.reviewed = Reviewed({name: p.spec for name, p in self.plugins.items()}, store)
        # the slash-command router; None: commands are not answered (inspection only)
        self.commands: CommandDispatcher | None = None

    @property
    def bot_id(self) -> str:
        return self.directory.bot_id

    @property
    def rooms(self) -> dict[str, Room]:
        return self.directory.rooms

    def services(self) -> Services:
        """What the command router may use (not the engine itself)."""
        return Services(rulebook=self.rulebook, plugins=self.plugins, settings=self.settings,
                        incidents=self.repo, records=self.records, rooms=self.directory,
                        duties=self.duties, operators=self.operators, inspect=self.inspect,
                        screen=self.screen, outbox=self.repo if self.durable else None)

    def _params(self) -> dict[str, dict]:
        out = {}
        for name, plugin in self.plugins.items():
            merged = dict(plugin.defaults)
            merged.update(self.rulebook.rules[name].params)
            out[name] = merged
        return out

    async def start(self) -> None:
        """Load the rooms known from earlier runs."""
        for room in await self.repo.load_rooms():
            self.directory.put(room)
        await self.settings.load_all()

    def enabled_params(self) -> dict[str, dict]:
        return {name: p for name, p in self.params.items() if self.rulebook.rules[name].enabled}

    def room(self, room_id: str) -> Room:
        return self.directory.room(room_id)

    def is_privileged(self, room: Room, contact_id: str) -> bool:
        """Owner, delegated admin or operator, by contact id (never by nickname)."""
        return (contact_id == room.owner_id or contact_id in self.operators
                or contact_id in self.settings.peek(room.id).admins)

    async def tick(self, now: datetime) -> list[Action]:
        """Timed duties due at ``now`` (the daily work-report reminder)."""
        actions = await self.duties.tick(now)
        if not self.durable:
            return actions
        kept = []
        for a in actions:
            room = getattr(a, "room_id", None) or ""
            if await self._queue([a], "reminder", Handled(room, "reminder", china_day(now))):
                kept.append(a)
        return kept

    async def _queue(self, actions: list[Action], kind: str, handled: Handled | None) -> bool:
        """A reply's actions into the outbox with the handled mark (durable
        only); False if the event was handled already."""
        if not self.durable:
            return True
        return await self.repo.deliver(outgoing.replies_out(actions, kind), account=self.bot_id,
                                       handled=handled)

    async def _answer(self, key: Handled, dispatch) -> Outcome:
        """Run a command once: claimed first (a replay, or another account's copy,
        finds the claim and is not answered again), then its answer queued."""
        if self.durable and not await self.repo.claim_handled(key, self.bot_id):
            return Outcome("command", Act.DUPLICATE)
        outcome = await dispatch()
        if outcome.actions:
            await self._queue(outcome.actions, "answer", None)
        return outcome

    # --- events ------------------------------------------------------------

    async def handle(self, event: Event, *, speak: bool = True) -> Outcome:
        """``speak=False``: record as usual but decide review-only and answer no
        command. Channels use it for events that arrive late (a replay after a
        reconnect), when a warning would come out of the blue.

        Whatever a channel hands in first goes through ``clean_event``: NUL
        characters and lone surrogates (which no store can hold) are removed,
        a naive time is taken as China time, and an event the events file
        would refuse (a time out of range, a missing or over-long id, a name
        over 200 characters) is ignored with the reason in ``Outcome.error``."""
        if not isinstance(event, _EVENT_TYPES):
            log.warning("ignored an event of unknown type %s", type(event).__name__)
            return Outcome("unknown", Act.IGNORED,
                           error=f"unknown event type {type(event).__name__}")
        try:
            event, mended = clean_event(event)
        except EventError as exc:
            log.warning("ignored a %s event: %s", type(event).__name__, exc)
            return Outcome(_KINDS[type(event)], Act.IGNORED, error=str(exc))
        if mended:
            log.info("mended a %s event: %s", type(event).__name__, "; ".join(mended))
        if isinstance(event, Message):
            return await self._on_message(event, speak)
        if isinstance(event, RoomSnapshot):
            return await self._on_snapshot(event)
        if isinstance(event, MemberJoined):
            return await self._on_join(event, speak)
        if isinstance(event, MemberLeft):
            return await self._on_leave(event)
        if isinstance(event, BotAdded):
            return await self._on_bot_added(event, speak)
        return await self._on_private(event)

    async def _on_snapshot(self, event: RoomSnapshot) -> Outcome:
        self.directory.put(event.room)
        await self.repo.save_room(event.room)
        return Outcome("room")

    async def _on_leave(self, event: MemberLeft) -> Outcome:
        room = self.room(event.room_id)
        member = room.members.pop(event.member_id, None) or Member(event.member_id)
        await self.repo.save_member(room.id, member, present=False)
        return Outcome("leave")

    async def _on_bot_added(self, event: BotAdded, speak: bool = True) -> Outcome:
        """The greeting and the 群规, once: not for a late (replayed) event, not
        again for the same event, nor for a room greeted within ``GREET_AGAIN``
        (by any account)."""
        if not speak:
            return Outcome("bot_added", Act.IGNORED)
        if self.durable and await self.repo.was_handled(event.room_id, "bot_added",
                                                        since=event.ts - GREET_AGAIN):
            return Outcome("bot_added", Act.DUPLICATE)
        text = f"{self.rulebook.greeting}\n\n{self.rulebook.rules_post()}"
        actions: list[Action] = [Send(event.room_id, text)]
        key = Handled(event.room_id, "bot_added", event.ts.isoformat())
        if not await self._queue(actions, "greeting", key):
            return Outcome("bot_added", Act.DUPLICATE)
        return Outcome("bot_added", Act.REPLY, actions=actions)

    async def _on_join(self, event: MemberJoined, speak: bool = True) -> Outcome:
        room = self.room(event.room_id)
        room.members[event.member.id] = event.member
        await self.repo.save_member(room.id, event.member)
        if event.member.id == self.bot_id:
            return Outcome("join")
        view = await self.settings.get(room.id)
        ctx = JoinContext(room=room, member=event.member, params=view.params, ts=event.ts)
        findings, trace = self._run(lambda p: p.on_join(ctx), view.params, "join")
        message_id = _join_id(event.member.id, event.ts)
        return await self._conclude("join", room, event.member.id, event.member.display[:MAX_NAME],
                                    message_id, event.ts, findings, trace,
                                    excerpt=f"入群昵称：{event.member.display}", view=view,
                                    review=not speak, handled=Handled(room.id, "join", message_id))

    async def _on_private(self, msg: PrivateMessage) -> Outcome:
        if msg.sender_id == self.bot_id or self.commands is None:
            return Outcome("private", Act.IGNORED)
        key = ("", msg.id)
        if key in self._seen:
            return Outcome("private", Act.DUPLICATE)
        self._remember(key)
        outcome = await self._answer(outgoing.message_key(msg),
                                     lambda: self.commands.dispatch_private(msg))
        if outcome.action == Act.DUPLICATE:
            outcome.kind = "private"
        return outcome

    async def _on_message(self, msg: Message, speak: bool = True) -> Outcome:
        if msg.sender_id == self.bot_id:
            return Outcome("message", Act.IGNORED)
        key = (msg.room_id, msg.id)
        if key in self._seen:
            return Outcome("message", Act.DUPLICATE)
        self._remember(key)
        room = self.room(msg.room_id)
        if msg.sender_id not in room.members and msg.sender_name:
            room.members[msg.sender_id] = Member(msg.sender_id, msg.sender_name)
        view = await self.settings.get(room.id)
        await self.reviewed.refresh(room.id)
        looks_like_command = (msg.type is MessageType.TEXT and is_command(msg.text)
                              and self.commands is not None)
        findings = trace = ctx = None
        if looks_like_command and self.commands.knows(msg.text):
            # a command's words are no way around the secrecy rule: one that
            # carries secret content is moderated as the message it is
            findings, trace, ctx = self._inspect(msg, room, view, budget=self.inspect_budget)
            if not any(self._is_secret(f) and self._over_threshold(f, view.rulebook)
                       for f in findings):
                if not speak:
                    return Outcome("command", Act.IGNORED)
                return await self._answer(outgoing.message_key(msg, "command"),
                                          lambda: self.commands.dispatch(room, msg))
        if msg.type is MessageType.TEXT:
            await self.duties.note_message(msg, view)
        if findings is None:
            # not a known command (a leading / is no way around the rules either)
            findings, trace, ctx = self._inspect(msg, room, view, budget=self.inspect_budget)
            if looks_like_command and command_shaped(msg.text):
                # a command mistyped (/frobnicate): answered with a pointer to
                # /help, never warned about as chit-chat (the residual rule)
                kept = [f for f in findings if f.rule not in self.plugins
                        or not self.plugins[f.rule].spec.residual]
                if len(kept) < len(findings):
                    trace.append({"plugin": "engine",
                                  "note": "a mistyped command: no off-topic warning"})
                findings = kept
        self._keep(room.id, ctx)
        sender = room.members.get(msg.sender_id)
        name = ((sender.display if sender else "") or msg.sender_name or msg.sender_id)[:MAX_NAME]
        over = any(OVER_BUDGET in t for t in trace)
        outcome = await self._conclude("message", room, msg.sender_id, name, msg.id, msg.ts,
                                       findings, trace, excerpt=msg.text or msg.file_name or "",
                                       view=view, review=not speak or over,
                                       # the handled mark is kept by a durable engine only
                                       # (a hash of the message: not for every audited one)
                                       handled=outgoing.message_key(msg) if self.durable else None)
        if outcome.action != Act.DUPLICATE:
            self._log_message(msg, name, findings)
        if looks_like_command and outcome.action == Act.NONE and speak:
            hint = self.commands.unknown_hint(room, msg)
            if hint is not None and await self._queue([hint], "answer",
                                                      outgoing.message_key(msg, "command")):
                outcome.actions.append(hint)
        return outcome

    def _log_message(self, msg: Message, name: str, findings: list[Finding]) -> None:
        """Queue the message as context for reviewers (no database wait here).

        Any finding of a secret rule, even one below the threshold, means only
        its redacted evidence (marking and hash) is kept, never the text.
        """
        secret = self._secret_evidence(findings)
        text = secret if secret is not None else (msg.text or msg.file_name or "")
        self.message_log.add(StoredMessage(room_id=msg.room_id, message_id=msg.id,
                                           sender_id=msg.sender_id, sender_name=name,
                                           type=msg.type.value, text=text, ts=msg.ts))

    def inspect(self, msg: Message, room: Room, view: RoomView | None = None, *,
                budget: float | None = None) -> tuple[list[Finding], list[dict]]:
        """Findings and the per-plugin trace for one message; no storage.

        ``view`` is the room's effective settings (the rulebook's defaults
        if not given): which rules run, the room's allow and deny phrases
        (in its automaton) and the purpose the off-topic rule reads.
        ``budget``: seconds the inspection may take (the live path passes
        ``inspect_budget``; evaluation inspects without one)."""
        findings, trace, _ = self._inspect(msg, room, view, budget=budget)
        return findings, trace

    def inspect_and_keep(self, msg: Message, room: Room, view: RoomView | None = None, *,
                         budget: float | None = None) -> tuple[list[Finding], list[dict]]:
        """``inspect``, then the message enters the room's recent messages as
        the engine's own path keeps it (with the views its inspection
        computed): what a later message's flood and off_topic look back on."""
        findings, trace, ctx = self._inspect(msg, room, view, budget=budget)
        self._keep(room.id, ctx)
        return findings, trace

    def _keep(self, room_id: str, ctx: Context) -> None:
        recent = self.recent.setdefault(room_id, deque(maxlen=RECENT_PER_ROOM))
        recent.append(ctx.as_recent)

    def _recent(self, room_id: str) -> list[Recent]:
        """The room's recent messages as entries. A bare Message found there
        is made an entry in place, once: it is not normalized again for the
        messages after it."""
        recent = self.recent.get(room_id)
        if not recent:
            return []
        if set(map(type, recent)) != {Recent}:
            for i in range(len(recent)):
                item = recent[i]
                if not isinstance(item, Recent):
                    recent[i] = recent_entry(item)
        return list(recent)

    def _inspect(self, msg: Message, room: Room, view: RoomView | None = None, *,
                 budget: float | None = None) -> tuple[list[Finding], list[dict], Context]:
        view = view or self.settings.default
        params = view.params
        ctx, findings, trace = self.lexicon_stage(msg, room, view, budget=budget)
        over = any(OVER_BUDGET in t for t in trace)
        if over:
            log.warning("message %s in room %s: inspection passed its %.0f ms budget; the "
                        "remaining rules were skipped and any finding goes to review",
                        msg.id, room.id, budget * 1000)
        elif self.model is not None and view.rulebook.learned.enabled:
            findings = self._decide(ctx, findings, params, view.rulebook, trace)
        if view.deny:
            findings = self._room_terms(ctx, findings, trace)
        # after every stage: the room's allow phrases and dismissed false alarms
        findings = self.reviewed.stand_down(ctx, findings, view, trace)
        if ctx.truncated:
            trace.append({"plugin": "engine", "note": f"message cut to {len(ctx.text)} characters for inspection"})
        return self._seal(findings), trace, ctx

    def lexicon_stage(self, msg: Message, room: Room, view: RoomView | None = None, *,
                      budget: float | None = None) -> tuple[Context, list[Finding], list[dict]]:
        """The message's context (normalized once, scanned once) and every
        enabled rule's verdict on it, before the decision stage."""
        view = view or self.settings.default
        if view.topic is not None and view.topic != room.purpose:
            room = replace(room, purpose=view.topic)
        ctx = make_context(msg, room, view.matcher, view.params, recent=self._recent(room.id))
        started = time.perf_counter()
        findings, trace = self._run(lambda p: p.inspect(ctx), view.params, "message",
                                    deadline=started + budget if budget is not None else None)
        findings = [ctx.as_written(f) for f in findings]   # quotes as written
        return ctx, findings, trace

    def _seal(self, findings: list[Finding]) -> list[Finding]:
        """Secrecy by construction: once any rule finds the message secret
        (at any score), no finding may carry its words. Every other rule's
        evidence becomes the secret finding's redacted evidence (marking and
        hash), and its reason names only the rule."""
        secret = self._secret_evidence(findings)
        if secret is None:
            return findings
        return [f if self._is_secret(f) else
                Finding(f.rule, f.score, secret, texts.sealed_reason(self.plugins[f.rule].title))
                for f in findings]

    def _decide(self, ctx: Context, findings: list[Finding], params: dict,
                book: Rulebook, trace: list[dict]) -> list[Finding]:
        """The decision stage (``pipeline/decision.py``): one calibrated
        decision per content rule over the lexicon evidence, n-grams and the
        sentence embedding."""
        started = time.perf_counter()
        specs = {r: self.plugins[r].spec for r in params
                 if book.learned.applies(r) and self.plugins[r].spec.learned}
        try:
            got = decision.decide(self.model, ctx, findings, specs)
        except Exception as exc:  # noqa: BLE001 - the lexicon findings stand on their own
            log.exception("decision stage failed; the lexicon findings stand")
            trace.append({"plugin": "decision", "error": f"{type(exc).__name__}: {exc}"[:300]})
            return findings
        trace.append({"plugin": "decision", "hit": bool(got.added),
                      "rules": got.added, "lowered": got.lowered, "encoded": got.encoded,
                      "p": got.probabilities,
                      "ms": round((time.perf_counter() - started) * 1000, 3)})
        return got.findings

    @staticmethod
    def _room_terms(ctx: Context, findings: list[Finding], trace: list[dict]) -> list[Finding]:
        """A phrase the room's owner denied is a finding of the rule it was
        filed under; where that rule's plugin also fired, the higher score
        stands (one finding per rule and message)."""
        by_rule = {f.rule: f for f in findings}
        for rule, hits in ctx.hits.items():
            denied = [h for h in hits if h.cue == ROOM_DENY]
            if not denied:
                continue
            hit = denied[0]
            own = Finding(rule, ROOM_TERM_SCORE, hit.quote, texts.room_term_reason(hit.term))
            trace.append({"plugin": ROOM_DENY, "rule": rule, "hit": True, "term": hit.term})
            if rule not in by_rule or by_rule[rule].score < own.score:
                by_rule[rule] = own
        return list(by_rule.values())

    def _run(self, call, params, event: str,
             deadline: float | None = None) -> tuple[list[Finding], list[dict]]:
        """Ask every enabled rule of this kind of event for its verdict; the
        verdicts, hit or not, are the trace. Past ``deadline`` (a
        ``perf_counter`` time) only secret rules are still asked."""
        findings: list[Finding] = []
        trace: list[dict] = []
        over = False
        for name in params:
            plugin = self.plugins[name]
            if plugin.spec.event != event:
                continue
            started = time.perf_counter()
            if deadline is not None and started > deadline and not over:
                over = True
                trace.append({"plugin": "engine", OVER_BUDGET: True,
                              "note": "超出单条消息检查时限，其余规则未检查，交人工审核"})
            if over and not plugin.spec.secret:
                continue
            try:
                verdict = call(plugin)
                if not isinstance(verdict, Verdict) or verdict.rule != name:
                    raise TypeError(f"plugin returned no verdict of its own: {verdict!r}"[:200])
                f = verdict.finding
                if f is not None and (not isinstance(f, Finding) or f.rule != name
                                      or not 0 <= f.score <= 1):
                    raise TypeError(f"plugin returned an invalid finding: {f!r}"[:200])
            except Exception as exc:  # noqa: BLE001 - one bad plugin must not stop the others
                log.exception("plugin %s failed; the other rules carry on", name)
                trace.append({"plugin": name, "error": f"{type(exc).__name__}: {exc}"[:300]})
                continue
            entry = {"plugin": name, "hit": verdict.hit, "score": f.score if f else 0.0,
                     "ms": round((time.perf_counter() - started) * 1000, 3)}
            if f is not None:
                findings.append(f)
            else:
                entry["note"] = verdict.note
            trace.append(entry)
        return findings, trace

    async def _conclude(self, kind: str, room: Room, sender_id: str, sender_name: str,
                        message_id: str, ts, findings: list[Finding], trace: list[dict],
                        excerpt: str, view: RoomView, review: bool = False,
                        handled: Handled | None = None) -> Outcome:
        book = view.rulebook
        candidates = [f for f in findings if self._over_threshold(f, book)]
        if not candidates:
            return Outcome(kind, Act.NONE, findings, trace)
        exempt = book.exempt_admins and self.is_privileged(room, sender_id)
        since = ts - timedelta(days=book.escalation.window_days)
        cooldown = timedelta(seconds=book.escalation.cooldown_seconds)
        # the count and the last warnings come from the incident log, so every
        # process moderating the room (another account, a worker) sees the same
        history = await self.repo.warnings(room.id, sender_id, since, ts - cooldown)
        prior = history.count
        # a burst earns one warning, but never for a secret rule: each leaked
        # file is warned about and reported to the owner
        cooling = frozenset(
            f.rule for f in candidates
            if not self._is_secret(f)
            and (last := history.last.get(f.rule)) is not None and ts - last < cooldown)
        decision = policy.decide(findings, book, self.gravity, prior_warnings=prior,
                                 sender_exempt=exempt, room_review=view.quiet or review,
                                 cooling=cooling)
        actions = self._actions(decision, room, sender_id, sender_name, book)
        # as kept on the incident: without the owner's note's last line (the number)
        warning_text = "\n".join(fill_incident(a.text, None) for a in actions
                                 if isinstance(a, (Send, SendPrivate)))
        # any secret finding, even one under its threshold, keeps the words out
        secret = self._secret_evidence(findings)
        if secret is not None:
            excerpt = secret
        rows = [
            IncidentIn(room_id=room.id, message_id=message_id, rule=f.rule, sender_id=sender_id,
                       sender_name=sender_name, ts=ts, score=f.score, evidence=f.evidence,
                       reason=f.reason, excerpt=excerpt[:EXCERPT_CHARS], trace=trace,
                       action=decision.action if i == 0 else Act.LOG,
                       counted=decision.counted and i == 0,
                       escalated=decision.notify_owner and i == 0,
                       warning_text=warning_text if i == 0 else "")
            for i, f in enumerate(decision.findings)
        ]
        if self.durable:
            # what is to be said goes into the outbox in the incident's transaction
            secret = decision.primary is not None and self._is_secret(decision.primary)
            rows[0].outgoing = [dict(o.record(), account=self.bot_id) for o in outgoing.warnings_out(
                actions, sender_id, hold=book.sending.merge_window_seconds, secret=secret)]
            rows[0].handled = handled.key_list() if handled else None
        if not await self.repo.record(rows):
            return Outcome(kind, Act.DUPLICATE, findings, trace)
        if any(isinstance(a, SendPrivate) and INCIDENT_NUMBER in a.text for a in actions):
            actions = await self._numbered(actions, rows[0])
        return Outcome(kind, decision.action, findings, trace, actions)

    async def _numbered(self, actions: list[Action], first: IncidentIn) -> list[Action]:
        """The actions with the number of the incident just written in the
        owner's note (the outbox's copy got it in the incident's transaction);
        without one (the incident waits in the spool) the note goes without."""
        number = None
        try:
            number = await self.repo.incident_id(first.room_id, first.message_id, first.rule)
        except Exception as exc:  # noqa: BLE001 - the note still goes, without its number
            log.warning("the owner's note goes without the incident's number (%s)",
                        type(exc).__name__)
        return [replace(a, text=fill_incident(a.text, number)) if isinstance(a, SendPrivate) else a
                for a in actions]

    @staticmethod
    def _over_threshold(f: Finding, book: Rulebook) -> bool:
        cfg = book.rules.get(f.rule)
        return cfg is not None and cfg.enabled and f.score >= cfg.threshold

    def _actions(self, decision: policy.Decision, room: Room, sender_id: str,
                 sender_name: str, book: Rulebook) -> list[Action]:
        f = decision.primary
        if f is None or not decision.counted:
            return []
        clause = book.clause_text(f.rule)
        spec = self.plugins[f.rule].spec
        actions: list[Action] = []
        if decision.action == Act.WARN:
            actions.append(Send(room.id, texts.group_warning(spec, f, clause, decision.warnings),
                                (sender_id,)))
        else:
            actions.append(SendPrivate(sender_id, texts.private_warning(room, spec, f, clause),
                                       room.id))
        if decision.notify_owner and room.owner_id and room.owner_id != sender_id:
            actions.append(SendPrivate(room.owner_id, texts.owner_note(
                room, sender_name, spec, f, decision.warnings,
                book.escalation.window_days), room.id))
        if decision.remove:
            actions.append(Remove(room.id, sender_id))
            actions.append(Send(room.id, texts.removal_notice(sender_name, decision.warnings)))
        return actions

    def _is_secret(self, f: Finding) -> bool:
        return f.rule in self.plugins and self.plugins[f.rule].spec.secret

    def _secret_evidence(self, findings) -> str | None:
        """The redacted evidence of the first finding of a secret rule, if any."""
        return next((f.evidence for f in findings if self._is_secret(f)), None)

    def screen(self, text: str, room: Room, view: RoomView | None = None) -> str:
        """``text`` as it may be stored: the redacted form if a secret rule
        finds anything in it (at any score), else the text itself. For what a
        member writes outside a message: a refused command, an appeal."""
        probe = Message(id="screen", room_id=room.id, sender_id="", ts=datetime.now(timezone.utc),
                        text=text)
        findings, _ = self.inspect(probe, room, view)
        return self._secret_evidence(findings) or text

    def _remember(self, key: tuple[str, str]) -> None:
        self._seen[key] = None
        if len(self._seen) > SEEN_IDS:
            self._seen.popitem(last=False)
