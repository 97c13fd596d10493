"""The live channel: WeChat through python-wechaty and a puppet service.

It translates wechaty events into ``core.events`` and hands them to the
engine, which writes what is to be said into the durable outbox; the sender
(channels/outbound.py) works the outbox off, paced. It decides nothing.

python-wechaty 0.10.7 needs some care, each worked around here with the
reason next to it:

- on Python 3.11 ``import wechaty`` fails (a dataclass default of the
  unhashable ``PuppetOptions``): ``load_wechaty`` makes it hashable first,
  and every ``Wechaty`` gets a fresh ``PuppetOptions()`` of its own;
- its loggers bypass ours and log message text and the service token:
  ``adopt_wechaty_loggers`` routes them through ours, quieter, token hidden;
- ``Room.ready(force_sync=True)`` returns early when a payload is cached,
  and the ``Room``/``Contact`` pools are shared by every bot in the process:
  rooms are refreshed by dropping the payload, pools are reset per connection;
- the plugin manager probes local port 5000 and starts a scheduler at every
  login, which fails on the second login after a reconnect: the bot uses no
  wechaty plugins, so it gets a manager that does nothing;
- ``Wechaty.start()`` swallows errors and sleeps a fixed minute: the
  connection loop here reconnects with backoff itself;
- wechaty's event bridge passes on the first login of a connection only, so
  an account that logs out and in again on the same stream would leave the
  bot mute: the channel follows the puppet's own login and logout events;
- ``PuppetService`` sets no timeout on any call, and its ``start`` (Stop,
  Start, then the event stream) and ``stop`` hang on a wedged gateway: the
  channel runs the steps of ``start`` itself, and every call it makes goes
  through ``WechatyChannel.call`` with a timeout (``LinkTiming``);
- a gateway that wedges, or a connection that dies without closing, never
  ends the event stream: beside the stream the channel dings the gateway,
  and a ding left unanswered ends the connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import signal
import time
import warnings
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from types import SimpleNamespace
from typing import Any, Awaitable, Callable, TypeVar

from qungui.channels.base import EventHandler
from qungui.core.actions import Action
from qungui.core.ports import ConnectionReport, OutboxQueue
from qungui.core.rulebook import Sending
from qungui.pipeline.directory import RoomDirectory
from qungui.core.events import (CHINA_TZ, BotAdded, Event, EventError, Member, MemberJoined,
                         MemberLeft, Message, MessageType, PrivateMessage, Room, RoomSnapshot,
                         parse_ts)
from qungui.channels.cards import describe_payload
from qungui.channels.outbound import OutboxSender
from qungui.channels.ticker import run_duties

log = logging.getLogger(__name__)

ROOM_REFRESH_SECONDS = 600    # room data (topic, owner, members, nicknames) older than this is reloaded
ROOM_RETRY_SECONDS = 30       # an unknown sender reloads the room at most this often
HEALTH_SECONDS = 300
MEMBER_LOOKUPS = 8            # concurrent member look-ups while loading a room

_WECHATY_LOG_FORMAT = "%(asctime)s - %(name)s - %(levelname)s - %(message)s"
_MENTION = re.compile(r"@([^@\s\u2005]{1,64})[\u2005 ]")
_LEADING_MENTIONS = re.compile(r"^(?:\s*@[^@\s\u2005]{1,64}[\u2005 ])+")

_wechaty: SimpleNamespace | None = None
T = TypeVar("T")


@dataclass(frozen=True)
class LinkTiming:
    """How long a call to the puppet service may take, and how the channel
    watches the connection (seconds)."""

    send: float = 15.0               # MessageSendText, RoomDel
    lookup: float = 10.0             # room, contact and member look-ups
    start: float = 20.0              # each of Stop and Start when connecting
    stop: float = 5.0                # Stop when disconnecting
    shutdown_call: float = 3.0       # once shutting down, no call takes longer than this
    ding_every: float = 30.0         # the gateway is dinged this often ...
    ding_timeout: float = 10.0       # ... and the connection ends if it does not answer
    offline_report: float = 60.0     # while offline, a warning this often
    reconnect_first: float = 1.0     # before the first reconnect; doubles up to the cap,
    reconnect_max: float = 120.0     # and starts afresh after every login


class GatewayTimeout(TimeoutError):
    """The puppet service did not answer a call in time."""


class GatewayUnresponsive(ConnectionError):
    """The puppet service stopped answering while its event stream stayed open."""


# --- loading python-wechaty -------------------------------------------------


def load_wechaty() -> SimpleNamespace:
    """Import python-wechaty with the Python 3.11 fix applied first."""
    global _wechaty
    if _wechaty is not None:
        return _wechaty
    from wechaty_puppet.schemas import puppet as puppet_schemas

    # WechatyOptions declares ``puppet_options: PuppetOptions = PuppetOptions()``;
    # Python 3.11 refuses unhashable dataclass defaults, so give it identity hashing.
    if puppet_schemas.PuppetOptions.__hash__ is None:
        puppet_schemas.PuppetOptions.__hash__ = object.__hash__
    # wechaty 0.10.7 uses pyee's old import path; the warning says nothing we can act on
    warnings.filterwarnings("ignore", message="pyee.AsyncIOEventEmitter has been moved",
                            category=DeprecationWarning)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)   # telnetlib, used for its port probe
        import wechaty
        import wechaty_puppet
        import wechaty_puppet_service
        from wechaty.utils.async_helper import SingleIdContainer
    _wechaty = SimpleNamespace(
        Wechaty=wechaty.Wechaty, WechatyOptions=wechaty.WechatyOptions,
        PuppetOptions=puppet_schemas.PuppetOptions, PuppetService=wechaty_puppet_service.PuppetService,
        MessageType=wechaty_puppet.MessageType, SingleIdContainer=SingleIdContainer)
    adopt_wechaty_loggers()
    return _wechaty


class _RedactSecrets(logging.Filter):
    def __init__(self):
        super().__init__()
        self.secrets: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            text = record.getMessage()
            for secret in self.secrets:
                text = text.replace(secret, "***")
            record.msg, record.args = text, ()
        return True


_REDACT = _RedactSecrets()
_ADOPTED: list[logging.Logger] = []


def adopt_wechaty_loggers(secrets: list[str] = (), level: int = logging.WARNING) -> None:
    """wechaty's loggers print to stderr on their own at INFO, including the
    text of every message and, with both set, the service token. Route them
    through ours at ``level`` with secrets masked."""
    _REDACT.secrets.update(s for s in secrets if s)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        if not isinstance(logger, logging.Logger) or logger.propagate or logger in _ADOPTED:
            continue
        own = [h for h in logger.handlers
               if h.formatter is not None and h.formatter._fmt == _WECHATY_LOG_FORMAT]
        if not own:
            continue
        for h in own:
            logger.removeHandler(h)
        logger.propagate = True
        logger.setLevel(level)
        logger.addFilter(_REDACT)
        _ADOPTED.append(logger)


class _NoPlugins:
    """Stands in for wechaty's plugin manager (see the module docstring)."""

    async def start(self) -> None:
        return None

    async def emit_events(self, *args: Any, **kwargs: Any) -> None:
        return None


# --- translating payloads ----------------------------------------------------


def _core_type(wechaty_type: Any) -> MessageType:
    mt = load_wechaty().MessageType
    return {
        mt.MESSAGE_TYPE_TEXT: MessageType.TEXT, mt.MESSAGE_TYPE_IMAGE: MessageType.IMAGE,
        mt.MESSAGE_TYPE_ATTACHMENT: MessageType.FILE,
        mt.MESSAGE_TYPE_RED_ENVELOPE: MessageType.RED_ENVELOPE,
        mt.MESSAGE_TYPE_TRANSFER: MessageType.TRANSFER, mt.MESSAGE_TYPE_URL: MessageType.URL,
        mt.MESSAGE_TYPE_MINI_PROGRAM: MessageType.MINI_PROGRAM, mt.MESSAGE_TYPE_AUDIO: MessageType.AUDIO,
        mt.MESSAGE_TYPE_VIDEO: MessageType.VIDEO, mt.MESSAGE_TYPE_EMOTICON: MessageType.EMOTICON,
        mt.MESSAGE_TYPE_RECALLED: MessageType.RECALLED,
    }.get(wechaty_type, MessageType.OTHER)


def to_china_time(timestamp: float | int | None, fallback: datetime) -> datetime:
    """Puppet timestamps are seconds or milliseconds since the epoch."""
    if not timestamp:
        return fallback
    if timestamp > 2_145_888_000:
        timestamp = timestamp / 1000
    try:
        return parse_ts(timestamp, "timestamp").astimezone(CHINA_TZ)
    except EventError:          # NaN, or out of range: the time it arrived will do
        return fallback


def _contact_name(contact) -> str:
    """A contact's WeChat name, or "" when the puppet could not load it."""
    return (contact.payload.name or "") if contact.is_ready() else ""


def _as_china_time(date: datetime | None, fallback: datetime) -> datetime:
    """wechaty hands room events a naive local datetime."""
    if date is None:
        return fallback
    return (date.astimezone() if date.tzinfo is None else date).astimezone(CHINA_TZ)


# --- the channel ------------------------------------------------------------------


@dataclass
class ChannelStats:
    events: int = 0
    messages: int = 0
    stale: int = 0
    duplicates: int = 0
    own: int = 0
    errors: int = 0
    connects: int = 0
    last_event: float = 0.0


class Link:
    """The channel's connection as ``/status`` and the log tell it: a
    ``core.ports.ConnectionState``, kept by the channel's login, logout and
    connection loop."""

    def __init__(self, waiting: Callable[[], int]):
        self._waiting = waiting
        self.connected = False
        self.logged_out = False
        self.since = time.monotonic()    # when it last came up or went down
        self.attempts = 0                # reconnect attempts since it went down
        self.logins = 0

    @property
    def waiting(self) -> int:
        return self._waiting()

    def offline_for(self) -> float:
        return 0.0 if self.connected else time.monotonic() - self.since

    def report(self) -> ConnectionReport:
        return ConnectionReport(self.connected, time.monotonic() - self.since, self.waiting,
                                self.attempts, self.logged_out)


def _duration(seconds: float) -> str:
    seconds = int(seconds)
    if seconds < 60:
        return f"{seconds}s"
    if seconds < 3600:
        return f"{seconds // 60}m{seconds % 60:02d}s"
    return f"{seconds // 3600}h{seconds % 3600 // 60:02d}m"


class PuppetTransport:
    """The sender's view of the puppet: text with mention ids, removals, each
    call given up after ``LinkTiming.send`` (the sender retries it)."""

    def __init__(self, channel: "WechatyChannel"):
        self.channel = channel

    async def send_text(self, conversation_id: str, text: str, mention_ids: tuple[str, ...]) -> None:
        channel = self.channel
        await channel.call(channel.puppet.message_send_text(
            conversation_id=conversation_id, message=text, mention_ids=list(mention_ids) or None),
            channel.timing.send, "MessageSendText")

    async def remove_member(self, room_id: str, member_id: str) -> None:
        channel = self.channel
        await channel.call(channel.puppet.room_delete(room_id, member_id), channel.timing.send,
                           "RoomDel")

    def mention_name(self, room_id: str, contact_id: str) -> str:
        return self.channel.directory.member_display(room_id, contact_id) or contact_id

    def available(self) -> bool:
        return self.channel.connected.is_set()


class WechatyChannel:
    """Joins one wechaty bot (any puppet) to the engine: events go to the
    ``engine`` (an ``EventHandler``); what the channel needs to know of rooms
    and members it reads from the ``directory``, and it tells the directory
    which account it logged in as."""

    def __init__(self, engine: EventHandler, directory: RoomDirectory, puppet, *,
                 sending: Sending, outbox: OutboxQueue, outbox_dir: str | Path | None = None,
                 wall: Callable[[], datetime] | None = None,
                 room_refresh_seconds: float = ROOM_REFRESH_SECONDS,
                 health_seconds: float = HEALTH_SECONDS,
                 timing: LinkTiming = LinkTiming()):
        w = load_wechaty()
        if not getattr(engine, "durable", False):
            raise ValueError("the WeChat channel sends from the outbox: the engine must write "
                             "to it (durable=True)")
        self.engine = engine
        self.directory = directory
        self.sending = sending
        self.wall = wall or (lambda: datetime.now(CHINA_TZ))
        self._all_rooms_loaded = float("-inf")
        self.room_refresh_seconds = room_refresh_seconds
        self.health_seconds = health_seconds
        self.timing = timing
        self._stopping: asyncio.Event | None = None     # serve's stop, once it runs
        # a fresh PuppetOptions: the class-level default would be shared by every bot
        options = w.WechatyOptions(puppet=puppet, puppet_options=w.PuppetOptions())
        from apscheduler.schedulers.asyncio import AsyncIOScheduler
        options.scheduler = AsyncIOScheduler()   # no job-store file; it is never started
        self.bot = w.Wechaty(options)
        self._service = isinstance(puppet, w.PuppetService)   # a gateway to watch and time
        self.bot._plugin_manager = _NoPlugins()
        # outbox_dir: where earlier versions kept unsent messages (imported once)
        self.outbound = OutboxSender(outbox, PuppetTransport(self), self.sending,
                                     account=lambda: self.self_id, legacy_dir=outbox_dir)
        self.inbox: asyncio.Queue = asyncio.Queue()
        self.stats = ChannelStats()
        self.connected = asyncio.Event()
        self.link = Link(lambda: self.outbound.pending)
        directory.connection = self.link
        self.self_id: str | None = None
        self._session = 0          # the connection the event stream belongs to
        self._session_live = False
        self._last_login_session = 0
        self._refreshed: dict[str, float] = {}
        self._lookups = asyncio.Semaphore(MEMBER_LOOKUPS)
        for name in ("message", "room-join", "room-leave", "room-topic"):
            # a plain function: pyee calls it at once, so events keep their order
            self.bot.on(name, self._enqueue(name))

    @property
    def puppet(self):
        return self.bot.puppet

    def _enqueue(self, name: str):
        def put(*args):
            self.inbox.put_nowait((name, args))
        return put

    # --- running ---------------------------------------------------------------

    async def serve(self, stop: asyncio.Event) -> None:
        """Run until ``stop`` is set, then drain the outbox for a moment."""
        tasks = [asyncio.create_task(self._connection_loop(stop), name="wechaty-connection"),
                 asyncio.create_task(self._consume(), name="wechaty-inbox"),
                 asyncio.create_task(self._health(), name="wechaty-health"),
                 # timed duties: the daily work-report reminder
                 asyncio.create_task(run_duties(self.engine, self, now=self.wall),
                                     name="wechaty-duties")]
        self.outbound.start()
        try:
            await stop.wait()
        finally:
            # 1. receive nothing more; 2. handle what was received, so its warnings
            # are in the outbox; 3. send what is due while still connected; 4. disconnect
            tasks[0].cancel()
            await asyncio.gather(tasks[0], return_exceptions=True)
            try:
                await asyncio.wait_for(self.inbox.join(), timeout=max(self.sending.drain_seconds, 1))
            except asyncio.TimeoutError:
                log.error("%d received event(s) not handled before shutdown", self.inbox.qsize())
            for t in tasks[1:]:
                t.cancel()
            await asyncio.gather(*tasks[1:], return_exceptions=True)
            log.info("shutting down: sending what is due for up to %gs",
                     self.sending.drain_seconds)
            await self.outbound.close()
            await self._disconnect()
            s = self.outbound.stats
            log.info("stopped: sent %d, retried %d, failed %d; the rest waits in the outbox",
                     s.sent, s.retried, s.failed)

    async def _connection_loop(self, stop: asyncio.Event) -> None:
        self._stopping = stop
        delay = self.timing.reconnect_first
        while not stop.is_set():
            logins = self.link.logins
            try:
                await self._connection()
                why = "the puppet service closed the event stream"
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 - the gateway may be down; try again
                why = f"{type(exc).__name__}: {str(exc)[:300]}"
                log.error("puppet service connection failed: %s", why)
            self._session_live = False
            self._went_down(why)
            await self._disconnect()
            if self.link.logins > logins:
                delay = self.timing.reconnect_first   # it logged in: start the backoff afresh
            self.link.attempts += 1
            log.info("reconnecting in %.1fs", delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except asyncio.TimeoutError:
                pass
            delay = min(delay * 2, self.timing.reconnect_max)

    async def _connection(self) -> None:
        """One connection: the event stream, with the puppet service dinged
        beside it. Returns when the stream ends; raises when connecting fails
        or the gateway stops answering."""
        tasks = [asyncio.create_task(self._connect_once(), name="wechaty-stream")]
        if self._service:
            tasks.append(asyncio.create_task(self._watch_gateway(), name="wechaty-watch"))
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        for task in reversed(tasks):    # the watch's reason first: it cut the stream short
            if not task.cancelled() and task.exception() is not None:
                raise task.exception()

    async def _connect_once(self) -> None:
        bot = self.bot
        await bot.init_puppet()
        self._forget_rooms()
        await bot.init_puppet_event_bridge(bot.puppet)
        self._session += 1
        self._session_live = True
        self._follow_login(bot.puppet, self._session)
        self.stats.connects += 1
        log.info("connecting to the puppet service (attempt %d)", self.stats.connects)
        puppet = bot.puppet
        if not self._service:
            await puppet.start()   # returns when the puppet stops
            return
        endpoint = getattr(puppet.options, "end_point", None)
        if endpoint:
            # PuppetService probes the endpoint with a blocking 3 s telnet; probe it in a
            # thread first, so a gateway that is down does not stall sending meanwhile
            from wechaty_puppet_service.utils import ping_endpoint
            if not await asyncio.to_thread(ping_endpoint, endpoint):
                raise ConnectionError(f"the puppet service at {endpoint} does not answer")
        # PuppetService.start, each call with a timeout
        puppet._init_puppet()
        await self.call(puppet.puppet_stub.stop(), self.timing.start, "Stop")
        await self.call(puppet.puppet_stub.start(), self.timing.start, "Start")
        await puppet._listen_for_event()   # returns when the event stream ends

    def _follow_login(self, puppet, session: int) -> None:
        """Every login and logout on this connection's stream reaches the
        channel (wechaty's own bridge passes on the first login only)."""
        puppet.on("login", lambda payload: self.inbox.put_nowait(
            ("login", (payload.contact_id, session))))
        puppet.on("logout", lambda payload: self.inbox.put_nowait(
            ("logout", (payload.contact_id, getattr(payload, "data", None) or ""))))

    async def _watch_gateway(self) -> None:
        """Ding the gateway every ``timing.ding_every``: a wedged gateway or a
        connection that died without closing answers nothing, though the event
        stream never ends."""
        while True:
            await asyncio.sleep(self.timing.ding_every)
            puppet = self.bot._puppet
            if puppet is None or puppet._puppet_stub is None:
                continue       # still connecting: those calls have timeouts of their own
            try:
                await self.call(puppet.ding("health"), self.timing.ding_timeout, "Ding")
            except GatewayTimeout as exc:
                raise GatewayUnresponsive(str(exc)) from None
            except Exception as exc:  # noqa: BLE001 - an answer, even an error, is a live gateway
                from grpclib.const import Status
                from grpclib.exceptions import GRPCError
                if not isinstance(exc, GRPCError) or exc.status is Status.UNAVAILABLE:
                    raise GatewayUnresponsive(f"Ding: {type(exc).__name__}: {exc}") from exc
                log.debug("ding answered with %s", exc)

    async def call(self, pending: Awaitable[T], seconds: float, what: str) -> T:
        """A call to the puppet service, given up after ``seconds``; once the
        channel is stopping, no call (under way or new) waits more than
        ``timing.shutdown_call`` longer."""
        loop = asyncio.get_running_loop()
        give_up = loop.time() + seconds
        call = asyncio.ensure_future(pending)
        stopping = self._stopping
        try:
            if stopping is not None and not stopping.is_set():
                stop = asyncio.ensure_future(stopping.wait())
                try:
                    await asyncio.wait({call, stop}, timeout=seconds,
                                       return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop.cancel()
            left = give_up - loop.time()
            if stopping is not None and stopping.is_set():
                left = min(left, self.timing.shutdown_call)
            result = await asyncio.wait_for(call, max(left, 0.0))
            task = asyncio.current_task()
            if task is not None and task.cancelling():
                # Python 3.11's wait_for returns the result of a call that
                # finished in the step its caller was cancelled, and drops the
                # cancellation: the ding watch would then go on dinging and
                # shutdown would wait for it for ever
                raise asyncio.CancelledError
            return result
        except asyncio.TimeoutError:
            raise GatewayTimeout(f"{what}: no answer from the puppet service in time "
                                 f"({seconds:g}s)") from None
        finally:
            call.cancel()

    async def _disconnect(self) -> None:
        puppet = self.bot._puppet
        if puppet is None:
            return
        try:
            await self.call(puppet.stop(), self.timing.stop, "Stop")
        except Exception as exc:  # noqa: BLE001 - the gateway may already be gone
            log.debug("puppet stop: %s", exc)
            # PuppetService.stop gives up before closing its channel when the gateway
            # is gone or wedged; its listeners must not hear the next connection too
            events = getattr(puppet, "_event_stream", None)
            if events is not None:
                events.remove_all_listeners()
            channel = getattr(puppet, "channel", None)
            if channel is not None:
                channel.close()
                puppet.channel = None
            if hasattr(puppet, "_puppet_stub"):
                puppet._puppet_stub = None

    def _went_up(self, account: str) -> None:
        link = self.link
        offline = time.monotonic() - link.since
        first = link.logins == 0
        link.connected, link.logged_out, link.attempts = True, False, 0
        link.logins += 1
        link.since = time.monotonic()
        self.connected.set()
        if first:
            log.info("logged in as %s", account)
        else:
            log.info("logged in as %s again after %s offline; %d message(s) waiting to be sent",
                     account, _duration(offline), link.waiting)

    def _went_down(self, why: str, *, logged_out: bool = False) -> None:
        link = self.link
        self.connected.clear()
        link.logged_out = logged_out
        if not link.connected:
            return
        link.connected = False
        link.since = time.monotonic()
        log.warning("not connected to WeChat (%s): sending waits; %d message(s) waiting", why,
                    link.waiting)

    async def _health(self) -> None:
        """The health line every ``health_seconds``; while offline, a warning
        every ``timing.offline_report``."""
        step = min(self.health_seconds, self.timing.offline_report)
        last_line = last_warning = time.monotonic()
        while True:
            await asyncio.sleep(step)
            now = time.monotonic()
            if now - last_line >= self.health_seconds:
                last_line = now
                log.info(self.health_line())
            link = self.link
            if (not link.connected and link.offline_for() >= self.timing.offline_report
                    and now - last_warning >= self.timing.offline_report):
                last_warning = now
                why = ("the account is logged out; log in again at the puppet service"
                       if link.logged_out else f"{link.attempts} reconnect attempt(s)")
                log.warning("still not connected to WeChat after %s (%s); %d message(s) waiting",
                            _duration(link.offline_for()), why, link.waiting)

    def health_line(self) -> str:
        s, q = self.stats, self.outbound.stats
        idle = f"{time.monotonic() - s.last_event:.0f}s ago" if s.last_event else "never"
        return (f"health: connected={self.connected.is_set()} rooms={len(self.directory)} "
                f"events={s.events} messages={s.messages} stale={s.stale} duplicates={s.duplicates} "
                f"errors={s.errors} sent={q.sent} merged={q.merged} retried={q.retried} "
                f"failed={q.failed} expired={q.expired} unknown={q.unknown} last_event={idle}")

    # --- events ---------------------------------------------------------------------

    async def _consume(self) -> None:
        while True:
            name, args = await self.inbox.get()
            try:
                self.stats.events += 1
                self.stats.last_event = time.monotonic()
                await getattr(self, "_on_" + name.replace("-", "_"))(*args)
            except Exception:  # noqa: BLE001 - one bad event must not stop the bot
                self.stats.errors += 1
                log.exception("could not handle a %s event; carrying on", name)
            finally:
                self.inbox.task_done()

    async def perform(self, actions: list[Action]) -> None:
        """The engine wrote the actions to the outbox already: look at it now."""
        self.outbound.wake()

    async def _deliver(self, event: Event, *, speak: bool = True):
        outcome = await self.engine.handle(event, speak=speak)
        if outcome.actions:
            await self.perform(outcome.actions)
        return outcome

    async def _on_login(self, contact_id: str, session: int) -> None:
        if session != self._session or not self._session_live:
            return     # that connection has ended since
        if self.link.connected and contact_id == self.self_id:
            return     # told twice
        resumed = session == self._last_login_session
        self._last_login_session = session
        self.self_id = self.bot.contact_id = contact_id
        self.directory.log_in_as(contact_id)   # its own messages never trigger rules
        if resumed:
            self._forget_rooms()   # logged in again on the same stream: read every room anew
        self._went_up(contact_id)

    async def _on_logout(self, contact_id: str, reason: str) -> None:
        self._went_down(f"the account {contact_id or '?'} logged out"
                        + (f": {reason}" if reason else ""), logged_out=True)

    async def _on_message(self, msg) -> None:
        payload = msg.payload
        if payload.from_id and payload.from_id == self.self_id:
            self.stats.own += 1
            return
        if not payload.room_id:
            await self._on_private(payload)
            return
        room = await self.room_state(payload.room_id)
        if payload.from_id not in room.members:
            room = await self.room_state(payload.room_id, force=True, at_most_every=ROOM_RETRY_SECONDS)
        event = self.message_event(payload, room)
        self.stats.messages += 1
        age = (self.wall() - event.ts).total_seconds()
        fresh = age <= self.sending.stale_after_seconds
        if not fresh:
            self.stats.stale += 1
            log.info("message %s in %s is %.0fs old (a replay): logged, not warned about",
                     event.id, event.room_id, age)
        outcome = await self._deliver(event, speak=fresh)
        if outcome.action == "duplicate":
            self.stats.duplicates += 1

    async def _on_private(self, payload) -> None:
        """A private chat with the bot: not moderated, but members may appeal
        or report (举报) there, so text goes to the engine's private commands."""
        if _core_type(payload.type) is not MessageType.TEXT or not payload.from_id:
            return
        if not self.directory.shares_a_room(payload.from_id):
            await self._load_all_rooms()    # a report names a room the bot must know
        contact = self.bot.Contact.load(payload.from_id)
        name = ""
        with contextlib.suppress(Exception):
            await self.call(contact.ready(), self.timing.lookup, "ContactPayload")
            name = contact.name
        event = PrivateMessage(id=payload.id, sender_id=payload.from_id,
                               ts=to_china_time(payload.timestamp, self.wall()),
                               text=payload.text or "", sender_name=name)
        await self._deliver(event)

    def message_event(self, payload, room: Room) -> Message:
        mtype = _core_type(payload.type)
        text, file_name, amount = describe_payload(mtype, payload.text, payload.filename)
        mention_ids = tuple(m for m in (payload.mention_ids or ()) if m)
        if mtype is MessageType.TEXT:
            if not mention_ids:
                by_name = {}
                for m in room.members.values():
                    by_name.setdefault(m.name, m.id)
                    if m.alias:
                        by_name[m.alias] = m.id
                mention_ids = tuple(dict.fromkeys(
                    by_name[n] for n in _MENTION.findall(text) if n in by_name))
            stripped = _LEADING_MENTIONS.sub("", text)
            if stripped.lstrip().startswith(("/", "／")):
                text = stripped   # "@群规助手 /status" is a command
        sender = room.members.get(payload.from_id)
        return Message(id=payload.id, room_id=payload.room_id, sender_id=payload.from_id,
                       ts=to_china_time(payload.timestamp, self.wall()), type=mtype, text=text,
                       sender_name=sender.display if sender else "", mention_ids=mention_ids[:100],
                       file_name=file_name, amount=amount)

    async def _on_room_join(self, wroom, invitees, inviter, date) -> None:
        room_id = wroom.room_id
        ts = _as_china_time(date, self.wall())
        fresh = (self.wall() - ts).total_seconds() <= self.sending.stale_after_seconds
        room = await self.room_state(room_id, force=True)
        inviter_id = getattr(inviter, "contact_id", None) or None
        for contact in invitees:
            cid = contact.contact_id
            if cid == self.self_id:
                log.info("added to room %s (%s) by %s", room_id, room.topic, inviter_id)
                await self._deliver(BotAdded(room_id, ts, inviter_id), speak=fresh)
                continue
            member = room.members.get(cid) or Member(cid, _contact_name(contact))
            # a repeated join event is harmless: the engine keys it by member and time
            await self._deliver(MemberJoined(room_id, member, ts, inviter_id), speak=fresh)

    async def _on_room_leave(self, wroom, leavers, remover, date) -> None:
        room_id = wroom.room_id
        ts = _as_china_time(date, self.wall())
        for contact in leavers:
            if contact.contact_id == self.self_id:
                log.warning("the bot left or was removed from room %s", room_id)
                self._refreshed.pop(room_id, None)
                continue
            await self._deliver(MemberLeft(room_id, contact.contact_id, ts))
        await self.room_state(room_id, force=True)

    async def _on_room_topic(self, wroom, new_topic, old_topic, changer, date) -> None:
        log.info("room %s renamed from %r to %r", wroom.room_id, old_topic, new_topic)
        await self.room_state(wroom.room_id, force=True)

    # --- room data --------------------------------------------------------------------

    def _forget_rooms(self) -> None:
        """Read every room from the puppet again, at its next event."""
        # wechaty's Room/Contact pools live on the base classes and outlive
        # a connection: give this one its own, so no stale payload survives
        for cls in (self.bot.Room, self.bot.Contact, self.bot.ContactSelf):
            cls._pool = {}
        self._refreshed.clear()
        self._all_rooms_loaded = float("-inf")

    async def room_state(self, room_id: str, *, force: bool = False,
                         at_most_every: float = 0.0) -> Room:
        """The room as the engine knows it, reloaded from the puppet when stale
        (or forced), and given to the engine as a snapshot when it changed."""
        current = self.directory.room(room_id)
        last = self._refreshed.get(room_id)
        age = time.monotonic() - last if last is not None else None
        if age is not None and (age < at_most_every or (not force and age < self.room_refresh_seconds)):
            return current
        self._refreshed[room_id] = time.monotonic()
        try:
            loaded = await self._load_room(room_id, current)
        except Exception as exc:  # noqa: BLE001 - keep what we knew; try again soon
            log.warning("could not load room %s: %s: %s", room_id, type(exc).__name__, str(exc)[:200])
            self._refreshed[room_id] -= max(self.room_refresh_seconds - ROOM_RETRY_SECONDS, 0)
            return current
        if loaded != current:
            if current.owner_id and loaded.owner_id != current.owner_id:
                log.info("room %s has a new owner: %s (was %s)", room_id, loaded.owner_id,
                         current.owner_id)
            await self._deliver(RoomSnapshot(loaded, self.wall()))
        return self.directory.room(room_id)

    async def _load_all_rooms(self) -> None:
        """Read every room the account is in (at most once a minute)."""
        now = time.monotonic()
        if now - self._all_rooms_loaded < ROOM_RETRY_SECONDS * 6:
            return
        self._all_rooms_loaded = now
        try:
            room_ids = await self.call(self.puppet.room_list(), self.timing.lookup, "RoomList")
        except Exception as exc:  # noqa: BLE001 - keep what we know
            log.warning("could not list rooms: %s: %s", type(exc).__name__, str(exc)[:200])
            return
        for room_id in room_ids:
            await self.room_state(room_id, at_most_every=ROOM_RETRY_SECONDS)

    async def _load_room(self, room_id: str, current: Room) -> Room:
        wroom = self.bot.Room.load(room_id)
        # Room.ready(force_sync=True) returns early while a payload is cached
        wroom._payload = None
        lookup = self.timing.lookup
        await self.call(wroom.ready(), lookup, "RoomPayload")
        owner = await wroom.owner()     # from the payload just read
        member_ids = list(wroom.payload.member_ids or []) or await self.call(
            self.puppet.room_members(room_id), lookup, "RoomMemberList")

        async def member(cid: str) -> Member:
            async with self._lookups:
                contact = self.bot.Contact.load(cid)
                contact._payload = None   # reload (and no "set payload more than once" warning)
                try:
                    await self.call(contact.ready(), lookup, "ContactPayload")
                except GatewayTimeout:
                    raise                 # the gateway is not answering: give up the room
                except Exception as exc:  # noqa: BLE001 - a member we cannot see is kept by id
                    log.debug("contact %s: %s", cid, exc)
                try:
                    alias = await self.call(wroom.alias(contact), lookup, "RoomMemberPayload") or ""
                except GatewayTimeout:
                    raise
                except Exception as exc:  # noqa: BLE001
                    log.debug("room alias of %s: %s", cid, exc)
                    alias = ""
                return Member(cid, _contact_name(contact), alias)

        lookups = [asyncio.create_task(member(cid)) for cid in dict.fromkeys(member_ids)]
        try:
            members = await asyncio.gather(*lookups)
        finally:
            for task in lookups:      # one failed: the others stop too
                task.cancel()
        return replace(current, topic=wroom.payload.topic or current.topic,
                       owner_id=owner.contact_id if owner else None,
                       members={m.id: m for m in members})


# --- bot.py run -----------------------------------------------------------------------


def puppet_service(settings):
    """wechaty's gRPC puppet-service client, configured from the settings."""
    w = load_wechaty()
    adopt_wechaty_loggers([settings.puppet_token])
    # PuppetService also reads the environment and complains (token included)
    # when both say the same thing: pass only what the environment does not
    options = w.PuppetOptions()
    if os.environ.get("WECHATY_PUPPET_SERVICE_TOKEN") != settings.puppet_token:
        options.token = settings.puppet_token
    if settings.puppet_endpoint and os.environ.get("WECHATY_PUPPET_SERVICE_ENDPOINT") != settings.puppet_endpoint:
        options.end_point = settings.puppet_endpoint
    return w.PuppetService(options)


async def run(engine: EventHandler, directory: RoomDirectory, sending: Sending, settings,
              outbox: OutboxQueue, outbox_dir: Path) -> int:
    """Connect through the puppet service and moderate until SIGTERM/SIGINT."""
    if not settings.puppet_token:
        log.error("set WECHATY_PUPPET_SERVICE_TOKEN (and WECHATY_PUPPET_SERVICE_ENDPOINT)")
        return 2
    puppet = puppet_service(settings)
    timing = LinkTiming(send=settings.send_timeout_seconds, lookup=settings.lookup_timeout_seconds)
    channel = WechatyChannel(engine, directory, puppet, sending=sending, outbox=outbox,
                             outbox_dir=outbox_dir, timing=timing)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    log.info("WeChat channel starting (endpoint %s)", settings.puppet_endpoint or "from token discovery")
    try:
        await channel.serve(stop)
    finally:
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.remove_signal_handler(sig)
    return 0
