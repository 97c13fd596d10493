"""The plugin contract, the context a plugin reads, and the registry.

A plugin is one module in ``plugins/`` holding one class decorated with
``@register``. It reads a ``Context`` (the message, normalized once, the
lexicon hits for its rule, the room, its rulebook parameters) and returns
``Finding`` objects; it never sends anything and never touches storage.
"""

from __future__ import annotations

import hashlib
import importlib
import pkgutil
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, Iterable

from qungui.core.events import Member, Message, Room
from qungui.core.matcher import Hit
from qungui.core.text import Normalized

RULE_IDS = (
    "owner_praise", "off_topic", "classified", "central_policy", "red_envelope",
    "vote_buying", "gossip", "cronyism", "rumor", "ads", "flood", "realname",
)


@dataclass(frozen=True)
class Finding:
    rule: str
    score: float       # 0..1
    evidence: str      # the triggering span (redacted for classified)
    reason: str        # one line in Chinese a group owner understands

    def as_dict(self) -> dict:
        return {"rule": self.rule, "score": round(self.score, 3),
                "evidence": self.evidence, "reason": self.reason}


@dataclass
class Context:
    """What plugins see of one message. Expensive views are computed once."""

    message: Message
    room: Room
    norm: Normalized
    hits: dict[str, list[Hit]]
    params: dict[str, dict[str, Any]]            # rule -> rulebook params
    recent: list[Message] = field(default_factory=list)  # earlier messages, oldest first
    truncated: bool = False

    @property
    def text(self) -> str:
        """What is inspected: the text (cut at MAX_TEXT) plus any file name."""
        return self.norm.original

    @property
    def now(self) -> datetime:
        return self.message.ts

    @property
    def sender(self) -> Member | None:
        return self.room.members.get(self.message.sender_id)

    def rule_hits(self, rule: str) -> list[Hit]:
        return self.hits.get(rule, [])

    def cues(self, rule: str) -> dict[str, list[Hit]]:
        """The rule's hits grouped by lexicon section (cue)."""
        grouped: dict[str, list[Hit]] = {}
        for hit in self.hits.get(rule, []):
            grouped.setdefault(hit.cue, []).append(hit)
        return grouped

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
    name: ClassVar[str]
    title: ClassVar[str]            # short Chinese name shown to owners, e.g. 涉密信息
    # Parameters the rulebook may set for this plugin, with defaults.
    defaults: ClassVar[dict[str, Any]] = {}

    def inspect(self, ctx: Context) -> Iterable[Finding]:
        return ()

    def on_join(self, ctx: JoinContext) -> Iterable[Finding]:
        return ()

    def finding(self, score: float, evidence: str, reason: str) -> Finding:
        return Finding(self.name, max(0.0, min(1.0, score)), evidence[:200], reason)


REGISTRY: dict[str, Plugin] = {}


def register(cls: type[Plugin]) -> type[Plugin]:
    if cls.name in REGISTRY and type(REGISTRY[cls.name]) is not cls:
        raise ValueError(f"two plugins claim the rule id {cls.name!r}")
    REGISTRY[cls.name] = cls()
    return cls


def load_plugins() -> dict[str, Plugin]:
    """Import every module of the plugins package; each registers itself."""
    from qungui import plugins
    for info in pkgutil.iter_modules(plugins.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{plugins.__name__}.{info.name}")
    return REGISTRY


def redact(text: str, marking: str) -> str:
    """Evidence for classified content: the marking and a short hash, never the text."""
    digest = hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]
    return f"{marking}（内容已隐去 sha256:{digest}）"


def make_context(message: Message, room: Room, matcher, params: dict[str, dict[str, Any]],
                 recent: list[Message] | None = None, max_text: int | None = None) -> Context:
    """Normalize once, scan once, and wrap it all for the plugins."""
    from qungui.core.events import MAX_TEXT
    from qungui.core.text import normalize

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
    return Context(message=message, room=room, norm=norm,
                   hits=matcher.scan(norm, frozenset(params)),
                   params=params, recent=list(recent or ()), truncated=truncated)
