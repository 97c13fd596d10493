"""Detection quality on a labelled corpus: per-rule precision, recall, F1.

A corpus is JSONL, one message a line::

    {"id": "dev-001", "text": "……", "labels": ["owner_praise"], "group": "committee"}

``labels`` lists the rule ids the message breaks (empty for a clean one).
``group`` names a kind of work group from ``groups.yaml`` (beside the corpus,
else ``rules/corpus/groups.yaml``), which gives the room's topic, purpose and
owner; a line may give its own ``topic``, ``purpose`` and ``owner`` (the
owner's 姓名-单位-职务 nickname) instead. Optional: ``type`` (red_envelope,
file, ...), ``file_name``, ``amount``, ``sender`` (the sender's nickname),
``recent`` (earlier messages of the room, oldest first) and ``mention_owner``
(an ``@`` of the owner's name in the text counts as a mention too), and
``judged``: the rules the line's labels speak for, where a source was
labelled for some rules only (a headline labelled off-topic says nothing
about gossip); only those are scored on it. Without it, every rule is.

Each message is inspected alone, in a room of its own, through the engine's
own inspection path (``Moderator.inspect``) with the rulebook's thresholds.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Iterable, Mapping

import yaml

from qungui.rules import data_path
from qungui.core.events import CHINA_TZ, Member, Message, MessageType, Room
from qungui.core.plugin import Plugin

DEFAULT_GROUPS = data_path("corpus", "groups.yaml")
GENERIC_GROUP = {"topic": "工作群", "purpose": "工作交流", "owner": "王强-办公室-主任"}
SENDER_ALIAS = "林晓-综合科-科员"
T0 = datetime(2026, 11, 20, 9, 0, tzinfo=CHINA_TZ)


def content_rules(plugins: Mapping[str, Plugin], order: Iterable[str] = ()) -> tuple[str, ...]:
    """The rules judged on a message's content alone (their specs say
    ``content``): those a labelled corpus scores. ``order`` first (the
    rulebook's order), then the rest by id."""
    first = [r for r in order if r in plugins]
    return tuple(r for r in first + sorted(set(plugins) - set(first))
                 if plugins[r].spec.content)


class CorpusError(ValueError):
    """A corpus line that cannot be used; the message names the line."""


@dataclass(frozen=True)
class Sample:
    id: str
    text: str
    labels: frozenset[str]
    group: str
    room: Room
    message: Message
    recent: tuple[Message, ...] = ()
    judged: frozenset[str] | None = None

    def scores(self, rule: str) -> bool:
        return self.judged is None or rule in self.judged


@dataclass
class RuleScore:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    judged: int = 0          # messages this rule was scored on (``judged``)

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    rules: dict[str, RuleScore]
    samples: int
    clean: int
    clean_flagged: int
    errors: list[tuple[Sample, frozenset[str]]] = field(default_factory=list)

    @property
    def judged_rules(self) -> dict[str, "RuleScore"]:
        """The rules scored on at least one message: a corpus labelled for
        some rules only (``judged``) says nothing of the others."""
        return {r: s for r, s in self.rules.items() if s.judged}

    @property
    def macro_f1(self) -> float:
        scored = self.judged_rules
        return sum(s.f1 for s in scored.values()) / len(scored) if scored else 0.0

    @property
    def clean_flagged_share(self) -> float:
        return self.clean_flagged / self.clean if self.clean else 0.0

    def as_dict(self) -> dict:
        return {
            "samples": self.samples, "clean": self.clean, "clean_flagged": self.clean_flagged,
            "clean_flagged_share": round(self.clean_flagged_share, 4),
            "macro_f1": round(self.macro_f1, 4),
            "rules": {r: {"tp": s.tp, "fp": s.fp, "fn": s.fn,
                          "precision": round(s.precision, 4), "recall": round(s.recall, 4),
                          "f1": round(s.f1, 4)} for r, s in self.judged_rules.items()},
        }


def load_groups(path: Path | None) -> dict[str, dict]:
    path = path or DEFAULT_GROUPS
    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(data, dict):
        raise CorpusError(f"{path}: expected a mapping of group kinds")
    return data


def _owner_member(alias: str) -> Member:
    name = alias.split("-", 1)[0].strip() or alias
    return Member("owner", name, alias)


def load_corpus(path: Path, known_rules: Iterable[str],
                groups: dict[str, dict] | None = None) -> list[Sample]:
    """Read a corpus file; a bad line raises ``CorpusError`` naming it."""
    path = Path(path)
    if groups is None:
        beside = path.parent / "groups.yaml"
        groups = load_groups(beside if beside.is_file() else None)
    known = set(known_rules)
    samples: list[Sample] = []
    for lineno, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not raw.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            d = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise CorpusError(f"{where}: not JSON ({exc.msg})") from None
        if not isinstance(d, dict):
            raise CorpusError(f"{where}: expected a JSON object")
        samples.append(sample_from_dict(d, where, lineno, known, groups))
    return samples


def sample_from_dict(d: dict, where: str, lineno: int, known: set[str], groups: dict) -> Sample:
    """One corpus line as a message in a room of its own (room id from ``lineno``)."""
    text = d.get("text", "")
    labels = d.get("labels", [])
    if not isinstance(text, str):
        raise CorpusError(f"{where}: text must be a string")
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise CorpusError(f"{where}: labels must be a list of rule ids")
    judged = d.get("judged")
    if judged is not None and (not isinstance(judged, list)
                               or not all(isinstance(x, str) for x in judged)):
        raise CorpusError(f"{where}: judged must be a list of rule ids")
    unknown = sorted((set(labels) | set(judged or ())) - known)
    if unknown:
        raise CorpusError(f"{where}: unknown rule id(s) {', '.join(unknown)}")
    group = str(d.get("group") or d.get("group_kind") or "")
    base = groups.get(group) or GENERIC_GROUP
    topic = str(d.get("topic") or base.get("topic", ""))
    purpose = str(d.get("purpose") or base.get("purpose", ""))
    owner = _owner_member(str(d.get("owner") or d.get("owner_alias") or base.get("owner", "")))
    sender_alias = str(d.get("sender") or SENDER_ALIAS)
    sender = Member("sender", sender_alias.split("-", 1)[0], sender_alias)
    room_id = f"corpus-{lineno}"
    room = Room(id=room_id, topic=topic, purpose=purpose, owner_id=owner.id,
                members={owner.id: owner, sender.id: sender})
    try:
        kind = MessageType(d.get("type") or "text")
    except ValueError:
        raise CorpusError(f"{where}: unknown message type {d.get('type')!r}") from None
    mentioned = bool(d.get("mention_owner")) or any(
        f"@{form}" in text for form in {owner.name, owner.alias} if form)
    amount = d.get("amount")
    message = Message(id=str(d.get("id") or lineno), room_id=room_id, sender_id=sender.id,
                      ts=T0, type=kind, text=text, sender_name=sender.name,
                      mention_ids=(owner.id,) if mentioned else (),
                      file_name=d.get("file_name") or None,
                      amount=float(amount) if isinstance(amount, (int, float)) else None)
    recent = tuple(
        Message(id=f"{message.id}-r{i}", room_id=room_id, sender_id="other",
                ts=T0 - timedelta(minutes=len(d.get("recent", [])) - i), text=str(t))
        for i, t in enumerate(d.get("recent") or []))
    return Sample(str(d.get("id") or lineno), text, frozenset(labels), group, room, message,
                  recent, frozenset(judged) if judged is not None else None)


def evaluate(moderator, samples: list[Sample], rules: Iterable[str] | None = None) -> Report:
    """Inspect every sample with the moderator's plugins and thresholds, and
    score ``rules`` (the content rules of the rulebook by default)."""
    rules = tuple(rules if rules is not None
                  else content_rules(moderator.plugins, moderator.rulebook.rules))
    scores = {r: RuleScore() for r in rules}
    report = Report(scores, samples=len(samples), clean=0, clean_flagged=0)
    thresholds = {name: cfg.threshold for name, cfg in moderator.rulebook.rules.items()}
    for sample in samples:
        moderator.recent[sample.room.id] = deque(sample.recent)
        findings, _ = moderator.inspect(sample.message, sample.room)
        moderator.recent.pop(sample.room.id, None)
        scored = {r for r in rules if sample.scores(r)}
        predicted = frozenset(f.rule for f in findings
                              if f.rule in scored and f.score >= thresholds.get(f.rule, 1.1))
        gold = sample.labels & scored
        for rule in scored:
            scores[rule].judged += 1
        for rule in rules:
            if rule in predicted and rule in gold:
                scores[rule].tp += 1
            elif rule in predicted:
                scores[rule].fp += 1
            elif rule in gold:
                scores[rule].fn += 1
        if not (sample.labels if sample.judged is None else sample.labels & sample.judged):
            report.clean += 1
            report.clean_flagged += bool(predicted)
        if predicted != gold:
            report.errors.append((sample, predicted))
    return report
