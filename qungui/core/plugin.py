"""The rule contract: what one rule is, what it reads, and what it answers.

A rule is one module in ``qungui/plugins/`` holding one class decorated with
``@register``. The class carries a ``RuleSpec``: the rule's id and title, its
gravity, its typed parameters, and how the rest of the bot treats it (whether
a room may allow-list it, whether its evidence is secret, whether the decision
stage reads it, which lexicon cues mark a message as its harmless side), and
the group commands it brings (``qungui.core.command.command``). The engine,
the policy, the decision stage and the review tools read these specifications
and never name a rule.

``inspect`` (or ``on_join``) reads a ``Context`` (the message, normalized
once, the lexicon hits, the room, its parameters, the room's recent messages
as ``Recent`` entries carrying their own views), does no I/O, and returns a
``Verdict``: a finding, or the reason it stood down. Those verdicts are the
trace a reviewer reads.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cached_property
from operator import attrgetter
from types import MappingProxyType
from typing import Any, Callable, ClassVar, Iterable, Mapping

from qungui.core.command import Command
from qungui.core.events import MAX_TEXT, Member, Message, Room
from qungui.core.matcher import Hit
from qungui.core.text import Normalized, is_acknowledgement_plain, normalize, read_view


# a finding at or under this score is the rule's own verdict that the message
# is the harmless side of it (criticism of a city's own policy, a ban on
# canvassing), recorded for the reviewer under every threshold: the decision
# stage lets it stand and adds no finding of that rule against it
RECORDED = 0.3


@dataclass(frozen=True)
class Finding:
    rule: str
    score: float       # 0..1
    evidence: str      # the triggering span (redacted for classified)
    reason: str        # one line in Chinese a group owner understands

    def as_dict(self) -> dict:
        return {"rule": self.rule, "score": round(self.score, 3),
                "evidence": self.evidence, "reason": self.reason}


@dataclass(frozen=True)
class Verdict:
    """A rule's answer on one event, hit or not (as tg-spam's checks answer)."""

    rule: str
    finding: Finding | None = None
    note: str = ""         # why it stood down (in Chinese, for the reviewer's trace)

    @property
    def hit(self) -> bool:
        return self.finding is not None


class ParamError(ValueError):
    """A parameter value a rule cannot use; the message says what is wrong."""


@dataclass(frozen=True)
class Param:
    """One parameter a rulebook may set for a rule: its default, which decides
    its type, and an optional ``check`` that raises ``ParamError``."""

    default: Any
    help: str = ""
    check: Callable[[Any], None] | None = None
    minimum: float | None = None

    def validate(self, value: Any) -> Any:
        kind = type(self.default)
        if kind is bool:
            ok = isinstance(value, bool)
        elif kind in (int, float):
            ok = isinstance(value, (int, float)) and not isinstance(value, bool) \
                and (kind is float or value == int(value))
        else:
            ok = isinstance(value, kind)
        if not ok:
            raise ParamError(f"must be {_KIND_NAMES.get(kind, kind.__name__)}, got {value!r}")
        if self.minimum is not None and value < self.minimum:
            raise ParamError(f"must be ≥ {self.minimum}, got {value!r}")
        if self.check is not None:
            self.check(value)
        return value


_KIND_NAMES = {bool: "true or false", int: "a whole number", float: "a number", str: "a string"}


def regex_param(value: str) -> None:
    """``Param.check`` for a regular expression."""
    try:
        re.compile(value)
    except re.error as exc:
        raise ParamError(f"not a valid regular expression: {exc}") from None


@dataclass(frozen=True)
class RuleSpec:
    id: str                   # stable rule id, also the lexicon file's name
    title: str                # short Chinese name shown to owners, e.g. 涉密信息
    gravity: int              # when a message breaks several rules, the gravest is warned about
    params: Mapping[str, Param] = field(default_factory=dict)
    # what the rule judges: "message" (its content, or the sender's run of
    # messages) or "join" (a newcomer's nickname)
    event: str = "message"
    # judged on the text alone (no history): scored by ``bot.py eval``
    content: bool = True
    # a room's allow-list may silence it (never for a leaked classified file)
    room_allow: bool = True
    # its evidence is secret: stored and shown only as a marking and a hash,
    # and every stored copy of the message carries that redacted form
    secret: bool = False
    # the decision stage weighs this rule's evidence and may add a finding of
    # it; ``temper``: it may also lower a lexicon finding it all but rules out
    # (never for classified: a leaked file is the worst miss)
    learned: bool = True
    temper: bool = True
    # lexicon sections that mark a message as the harmless side of the rule
    # (a notice quoting the offence, a rebuttal, work talk): evidence the
    # decision stage weighs against the rule
    harmless_cues: tuple[str, ...] = ()
    # those of them that settle the message's stance (a rebuttal, a question
    # whether it is true, support for a policy): the rule's own reading, which
    # the decision stage may not overturn by adding a finding of its own
    stance_cues: tuple[str, ...] = ()
    # a rule for what no other rule covers (off_topic: a red envelope is not
    # work either, but it is that rule's business): beside another rule's
    # finding decisive as that rule made it, the decision stage leaves the
    # message to that rule
    residual: bool = False
    # a finding of this rule names what the message is about (a rumour,
    # gossip about a colleague): found by the rule's words and standing after
    # the model, a residual rule beside it leaves the message to it
    names_subject: bool = False
    # rules whose standing finding rules this one out: beside one, this
    # rule's finding is kept under the bar naming it (owner_praise beside
    # gossip: a message that disparages is no flattery)
    yields_to: tuple[str, ...] = ()
    # ... the same, only for a finding the decision stage added where none of
    # the rule's ``voice_cues`` words are in the message (rumor beside
    # classified: a matter let out by one who knows it, 「刚才会上定了……名单下周
    # 才发」, is a leak; hearsay the rule's words find, 「刚听一个老同学说……别外
    # 传」, still stands beside one)
    added_yields_to: tuple[str, ...] = ()
    # the lexicon sections whose words voice this rule's finding (rumor: the
    # hearsay, 听一个老同学说): where one is in the message, a finding the model
    # added does not yield (``added_yields_to``)
    voice_cues: tuple[str, ...] = ()

    def __post_init__(self):
        if not set(self.stance_cues) <= set(self.harmless_cues):
            raise ValueError(f"rule {self.id}: stance cues must be harmless cues")
        if self.event not in ("message", "join"):
            raise ValueError(f"rule {self.id}: event must be message or join")

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: p.default for k, p in self.params.items()}


@dataclass(frozen=True, eq=False)
class Recent:
    """An earlier message of the room as the rules look back on it: the
    message, and the views of its own text cut at the cap (no file name),
    computed once, when it entered the room's recent messages (from its own
    context's normalization: ``Recent.of``), never again for a later message.

    What a rule derives from it beyond these views (off_topic's keywords) is
    computed on first use and kept here too (``once``)."""

    message: Message
    max_text: int           # the cap the views were cut at
    text: str               # message.text[:max_text]
    key: str                # normalize(text).key
    _derived: dict = field(default_factory=dict, repr=False)

    @classmethod
    def of(cls, message: Message, max_text: int = MAX_TEXT,
           norm: Normalized | None = None) -> "Recent":
        """The entry of ``message``. ``norm``: a normalization of a text that
        starts with the message's capped text (its context's ``norm``: the
        capped text, then any file name), whose key view is cut, not redone."""
        text = message.text[:max_text]
        if norm is not None and norm.original.startswith(text):
            key = norm.key_of(0, len(text))
        else:
            key = normalize(text).key
        return cls(message, max_text, text, key)

    def once(self, name: str, compute: Callable[["Recent"], Any]) -> Any:
        """``compute(self)``, computed on the first call under ``name`` and
        kept with the entry (a rule's own view of an earlier message)."""
        try:
            return self._derived[name]
        except KeyError:
            value = self._derived[name] = compute(self)
            return value


# the cues of a rule without a hit in the message (shared, read only)
_NO_CUES: Mapping[str, list[Hit]] = MappingProxyType({})


@dataclass
class Context:
    """What plugins see of one message. Expensive views are computed once."""

    message: Message
    room: Room
    norm: Normalized
    hits: dict[str, list[Hit]]
    params: dict[str, dict[str, Any]]            # rule -> rulebook params
    # earlier messages of the room, oldest first, with their views
    recent: list[Recent] = field(default_factory=list)
    truncated: bool = False
    # the cap: a rule reads at most this many characters of a message, of
    # this one (``text``) as of the earlier ones (``capped``); only the
    # classified rule's marking scan reads past it
    max_text: int = MAX_TEXT
    _cues: dict[str, dict[str, list[Hit]]] = field(default_factory=dict, init=False, repr=False)
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False)

    @cached_property
    def text(self) -> str:
        """What is inspected: the text (cut at MAX_TEXT) plus any file name,
        as the rules' patterns read it (``read_view``: traditional characters
        simplified one for one, so 內部名單 is read as 内部名单). Offsets into
        it are offsets into ``norm.original``, which is what evidence quotes."""
        return read_view(self.norm.original)

    def as_written(self, finding: "Finding") -> "Finding":
        """The finding quoting what the sender wrote: a rule's pattern quotes
        the read view (高瞻远瞩 of 高瞻遠矚), whose spans are the original's.
        Each piece of the evidence («……» joins two; a redacted one keeps its
        marking) and each “quote” in the reason is taken back from the
        original at its place."""
        if self.text is self.norm.original:     # no traditional character read otherwise
            return finding
        evidence, sealed = finding.evidence, ""
        cut = evidence.find(_SEALED)
        if cut >= 0:
            evidence, sealed = evidence[:cut], evidence[cut:]
        evidence = "……".join(map(self._written, evidence.split("……"))) + sealed
        reason = _QUOTED.sub(lambda m: f"“{self._written(m.group(1))}”", finding.reason)
        return replace(finding, evidence=evidence, reason=reason)

    def _written(self, piece: str) -> str:
        """``piece`` of the read view as the original has it at its place."""
        original = self.norm.original
        if not piece or piece in original:
            return piece
        at = self.text.find(piece)
        return original[at:at + len(piece)] if at >= 0 else piece

    def capped(self, message: Message) -> str:
        """A message's own text (this one's or an earlier one's) cut at the cap."""
        return message.text[:self.max_text]

    @cached_property
    def as_recent(self) -> Recent:
        """This message as it enters the room's recent messages: its views
        cut from this context's normalization."""
        return Recent.of(self.message, self.max_text, self.norm)

    @cached_property
    def acknowledgement(self) -> bool:
        """The message's own text (capped, without a file name) is 收到 / 好的 / 👍."""
        if not self.message.file_name and self.norm.original == self.capped(self.message):
            return self.text_acknowledgement
        return is_acknowledgement_plain(self._own_plain())

    @cached_property
    def text_acknowledgement(self) -> bool:
        """What is inspected (``text``: the capped text and any file name) is
        收到 / 好的 / 👍."""
        return is_acknowledgement_plain(self.norm.plain)

    def _own_plain(self) -> str:
        own = self.capped(self.message)
        if self.norm.original.startswith(own):
            return self.norm.plain_of(0, len(own))
        return normalize(own).plain       # a context built around another text

    @property
    def file_name_plain(self) -> str:
        """The plain view of the attachment's name ("" if none), cut from the
        context's normalization (which ends with it)."""
        name = self.message.file_name or ""
        if not name:
            return ""
        if self.norm.original.endswith(name):
            end = len(self.norm.original)
            return self.norm.plain_of(end - len(name), end)
        return normalize(name).plain

    @property
    def now(self) -> datetime:
        return self.message.ts

    @property
    def sender(self) -> Member | None:
        return self.room.members.get(self.message.sender_id)

    def rule_hits(self, rule: str) -> list[Hit]:
        return self.hits.get(rule, [])

    def cues(self, rule: str) -> Mapping[str, list[Hit]]:
        """The rule's hits grouped by lexicon section (cue); grouped once per
        rule and message, however many times the rules ask (read only)."""
        grouped = self._cues.get(rule)
        if grouped is None:
            hits = self.hits.get(rule)
            if not hits:
                return _NO_CUES        # most rules find nothing in most messages
            grouped = self._cues[rule] = {}
            for hit in hits:
                grouped.setdefault(hit.cue, []).append(hit)
        return grouped

    def once(self, name: str, compute: Callable[["Context"], Any]) -> Any:
        """``compute(self)``, computed on the first call under ``name`` and
        kept for the message (a reading several rules ask for, such as
        whether it is an advert)."""
        try:
            return self._derived[name]
        except KeyError:
            value = self._derived[name] = compute(self)
            return value

    def has_cue(self, rule: str, *cues: str) -> bool:
        """Whether the rule has a hit of one of these cues (lexicon sections)."""
        groups = self.cues(rule)             # a cue is grouped only if it has a hit
        return bool(groups) and not groups.keys().isdisjoint(cues)

    def param(self, rule: str, key: str, default: Any = None) -> Any:
        return self.params.get(rule, {}).get(key, default)

    @cached_property
    def tokens(self) -> list[str]:
        """jieba words of the plain view (jieba is loaded once, at start-up)."""
        from qungui.core import nlp
        return nlp.cut(self.norm.plain)


@dataclass
class JoinContext:
    """What plugins see when a member joins a room."""

    room: Room
    member: Member
    params: dict[str, dict[str, Any]]
    ts: datetime

    def param(self, rule: str, key: str, default: Any = None) -> Any:
        return self.params.get(rule, {}).get(key, default)


class Plugin:
    """Base of every rule. A subclass sets ``spec`` and overrides ``inspect``
    (message rules) or ``on_join`` (join rules); methods marked with
    ``@command`` become its group commands."""

    spec: ClassVar[RuleSpec]
    commands: ClassVar[tuple[tuple[Command, str], ...]] = ()   # (command, method name)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.commands = tuple((m.__rule_command__, name) for name, m in vars(cls).items()
                             if hasattr(m, "__rule_command__"))

    @property
    def name(self) -> str:
        return self.spec.id

    @property
    def title(self) -> str:
        return self.spec.title

    @property
    def defaults(self) -> dict[str, Any]:
        return self.spec.defaults

    def inspect(self, ctx: Context) -> Verdict:
        return self.clear("不检查消息")

    def on_join(self, ctx: JoinContext) -> Verdict:
        return self.clear("不检查入群")

    def hit(self, score: float, evidence: str, reason: str) -> Verdict:
        return Verdict(self.name, Finding(self.name, max(0.0, min(1.0, score)), evidence[:200],
                                          reason))

    def clear(self, note: str) -> Verdict:
        return Verdict(self.name, None, note)

    def param(self, ctx: Context | JoinContext, key: str) -> Any:
        """The parameter's value in the message's room (the spec's default if unset)."""
        return ctx.param(self.name, key, self.spec.params[key].default)


REGISTRY: dict[str, Plugin] = {}


def register(cls: type[Plugin]) -> type[Plugin]:
    spec = cls.__dict__.get("spec")
    if not isinstance(spec, RuleSpec):
        raise TypeError(f"{cls.__name__} has no RuleSpec of its own")
    if spec.id in REGISTRY and type(REGISTRY[spec.id]) is not cls:
        raise ValueError(f"two plugins claim the rule id {spec.id!r}")
    REGISTRY[spec.id] = cls()
    return cls


def specs_of(plugins: Mapping[str, Plugin]) -> dict[str, RuleSpec]:
    """The specifications of a set of rules, by id."""
    return {name: p.spec for name, p in plugins.items()}


_SEALED = "（内容已隐去 sha256:"
# a quote in a finding's reason: 在群里吹捧群主（“高瞻远瞩”）
_QUOTED = re.compile(r"“([^“”]{1,200})”")


def redact(text: str, marking: str) -> str:
    """Evidence for classified content: the marking and a short hash, never the text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{marking}{_SEALED}{digest}）"


_REDACTED = re.compile(re.escape(_SEALED) + r"[0-9a-f]{16}）$")


def is_redacted(text: str) -> bool:
    """Whether ``text`` is the redacted form ``redact`` makes (a stored copy
    of a message some secret rule found something in)."""
    return bool(_REDACTED.search(text))


def make_context(message: Message, room: Room, matcher, params: dict[str, dict[str, Any]],
                 recent: Iterable[Recent | Message] | None = None,
                 max_text: int | None = None) -> Context:
    """Normalize once, scan once, and wrap it all for the plugins.

    ``recent``: the room's earlier messages, oldest first, as ``Recent``
    entries (the engine's, whose views were computed when they entered the
    room); a bare ``Message``, or an entry cut at another cap, is made an
    entry here (normalized for this context alone)."""
    limit = max_text or MAX_TEXT
    text = message.text
    truncated = len(text) > limit
    if truncated:
        text = text[:limit]
    subject = text
    if message.file_name:
        # attachment names are inspected like text (a file named 机密★….docx)
        subject = f"{text}\n{message.file_name}" if text else message.file_name
    norm = normalize(subject)
    entries = list(recent or ())
    if entries and _caps(entries) != {limit}:
        entries = [recent_entry(m, limit) for m in entries]
    return Context(message=message, room=room, norm=norm,
                   hits=_whole_clauses(matcher.scan(norm, frozenset(params))),
                   params=params, recent=entries, truncated=truncated, max_text=limit)


# where one clause ends and the next begins
_CLAUSE_STOPS = frozenset("，。；：！？,;:!?\n")


def _whole_clauses(hits: dict[str, list[Hit]]) -> dict[str, list[Hit]]:
    """The hits, less those of a harmless cue that run across a clause's end.

    The key view drops punctuation so that a disguised term (红.包, 加 微
    信) still matches; nobody disguises a work word, and one read across a
    comma is two clauses' ends: 布展 in 「手机发布：展开厚度4.2毫米」 is no
    exhibition being set up."""
    for rule, found in hits.items():
        harmless = _harmless_cues(rule)
        if harmless and any(h.cue in harmless and not _CLAUSE_STOPS.isdisjoint(h.quote)
                            for h in found):
            hits[rule] = [h for h in found
                          if h.cue not in harmless or _CLAUSE_STOPS.isdisjoint(h.quote)]
    return hits


def _harmless_cues(rule: str) -> tuple[str, ...]:
    plugin = REGISTRY.get(rule)
    return plugin.spec.harmless_cues if plugin is not None else ()


def _caps(entries: list) -> set[int] | None:
    """The caps the entries were cut at; None if one is a bare message.
    One pass in C: a room's 50 earlier messages are looked back on for
    every message."""
    try:
        return set(map(_CAP_OF, entries))
    except AttributeError:
        return None


_CAP_OF = attrgetter("max_text")


def recent_entry(item: Recent | Message, max_text: int = MAX_TEXT) -> Recent:
    """``item`` as an entry cut at ``max_text``: itself if it is one."""
    if isinstance(item, Recent) and item.max_text == max_text:
        return item
    return Recent.of(item.message if isinstance(item, Recent) else item, max_text)
