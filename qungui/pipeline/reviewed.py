"""The reviewers' word: one last filter every finding passes.

Whatever stage made a finding (a rule's lexicon cues, the learned stage, a
room's deny phrase, a stage added later), the engine hands every finding of
a message to ``Reviewed.stand_down`` after all stages and before the
findings are sealed. A finding of rule R is dropped there when

- the message contains one of the room's allow phrases filed under R or for
  every rule (``RoomView.allow``); never for a rule whose spec says
  ``room_allow=False`` (classified: a leaked file is the worst miss);
- or a reviewer dismissed, in this room, a false alarm of R on a message
  whose sentence vector has a cosine of at least ``NEAR_DUPLICATE`` with this
  message's; never for a secret rule (none is remembered either).

Each finding stood down leaves a trace entry (``"plugin": "reviewed"``)
naming the phrase or the dismissed incident.

The dismissals are read through ``core.ports.DismissalMemory`` (the review
tools write them, in another process): ``refresh`` loads a room's before its
message is inspected, again only when they changed and at most once per
``ttl`` seconds. While the store is down the last known stand (a warning
says so; a room never loaded has none, so nothing is stood down). The
message's vector is computed only when it has a finding of a rule the room
remembers a dismissal of, so clean traffic never pays for it.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Mapping

from qungui.core.embedding import encoder
from qungui.core.matcher import ALL_RULES, Hit
from qungui.core.plugin import Context, Finding, RuleSpec
from qungui.core.ports import DISMISSALS_KEPT, Dismissal, StoreDown
from qungui.pipeline.room_settings import RoomView

if TYPE_CHECKING:
    import numpy as np

log = logging.getLogger(__name__)

STAGE = "reviewed"      # the trace entries' "plugin"
# The cosine (multilingual-e5-small, core.embedding) from which a message is
# the same as a dismissed one. Measured on the labelled corpus (3,340
# messages): random pairs sit around 0.86; a message and its rewording
# (punctuation, a date, a word or two, 各位注意 in front) 0.975–0.999; but
# different messages on one theme reach 0.95–0.965: a rumour and the official
# denial quoting it 0.951–0.954, two different tea adverts 0.959, two rumours
# about pay cuts 0.957. The highest between a clean message and a violation
# was 0.96, so at 0.95 dismissing a denial as a false alarm would let the
# rumour itself through. 0.97 keeps every rewording measured and none of those.
NEAR_DUPLICATE = 0.97


@dataclass
class _Memory:
    """One room's remembered dismissals, by rule: a float16 matrix of
    vectors (one row each) and the incidents they came from."""

    stamp: tuple[int, int] | None = None
    checked: float = float("-inf")
    rules: dict[str, tuple["np.ndarray", tuple[int, ...]]] = field(default_factory=dict)

    @classmethod
    def of(cls, stamp: tuple[int, int], rows: list[Dismissal]) -> "_Memory":
        import numpy as np

        from qungui.core.embedding import unpack
        by_rule: dict[str, list[tuple[np.ndarray, int]]] = {}
        for d in rows:
            try:
                vector = unpack(d.vector)
            except ValueError:
                log.warning("dismissal %s of room %s has no usable vector; ignored", d.id, d.room_id)
                continue
            by_rule.setdefault(d.rule, []).append((vector.astype(np.float16), d.incident_id))
        rules = {rule: (np.stack([v for v, _ in kept]), tuple(i for _, i in kept))
                 for rule, kept in by_rule.items()}
        return cls(stamp, rules=rules)

    def nearest(self, rule: str, vector: "np.ndarray") -> tuple[int, float] | None:
        """The dismissed incident of ``rule`` most like ``vector``, and the cosine."""
        import numpy as np
        found = self.rules.get(rule)
        if found is None:
            return None
        matrix, incidents = found
        cosines = matrix.astype(np.float32) @ vector
        best = int(np.argmax(cosines))
        return incidents[best], float(cosines[best])


class Reviewed:
    """The final filter, given the rules' specifications and the store that
    remembers dismissals (None: an inspection-only engine, none remembered).

    ``encode``: text -> its normalized sentence vector (the shared encoder of
    ``core.embedding`` by default)."""

    def __init__(self, specs: Mapping[str, RuleSpec], store=None, *, ttl: float = 30.0,
                 monotonic: Callable[[], float] = time.monotonic,
                 encode: Callable[[str], "np.ndarray"] | None = None):
        self.specs = specs
        # a store that does not remember dismissals (a stand-in) is as none
        self.store = store if callable(getattr(store, "dismissals_stamp", None)) else None
        self.ttl = ttl
        self._monotonic = monotonic
        self._encode = encode
        self._rooms: dict[str, _Memory] = {}
        self._encoder_failed = False

    # --- the dismissals ------------------------------------------------------

    async def refresh(self, room_id: str) -> None:
        """Load the room's dismissals if they may have changed (at most once
        per ``ttl`` seconds, and only reading them again when they did)."""
        if self.store is None:
            return
        known = self._rooms.get(room_id)
        now = self._monotonic()
        if known is not None and now - known.checked < self.ttl:
            return
        try:
            stamp = await self.store.dismissals_stamp(room_id)
            if known is None or stamp != known.stamp:
                rows = await self.store.dismissals(room_id, DISMISSALS_KEPT) if stamp[0] else []
                known = _Memory.of(stamp, rows)
                if rows and self._encode is None:
                    encoder().warm()     # loads in the background: the first finding need not wait
        except (StoreDown, OSError, ConnectionError) as exc:
            log.warning("dismissed false alarms of room %s not readable (%s); %s for %ss",
                        room_id, type(exc).__name__,
                        "the last known stand" if known is not None and known.rules
                        else "no near-duplicate is stood down", self.ttl)
            known = known or _Memory()
        known.checked = now
        self._rooms[room_id] = known

    # --- the filter ----------------------------------------------------------

    def stand_down(self, ctx: Context, findings: list[Finding], view: RoomView,
                   trace: list[dict]) -> list[Finding]:
        """The findings that stand; a trace entry for each one that does not."""
        if not findings:
            return findings
        phrases = self._phrases(ctx, findings, view)
        memory = self._rooms.get(ctx.room.id)
        vector: np.ndarray | None | bool = None      # False: cannot be computed
        kept: list[Finding] = []
        for f in findings:
            spec = self.specs.get(f.rule)
            if spec is None:
                kept.append(f)
                continue
            hit = phrases.get(f.rule) or phrases.get(ALL_RULES)
            if spec.room_allow and hit is not None:
                scope = "各项规则" if hit.rule == ALL_RULES else spec.title
                trace.append({"plugin": STAGE, "rule": f.rule, "hit": False, "stood_down": True,
                              "allow_phrase": hit.term, "score": f.score,
                              "note": f"本群放行短语“{hit.term}”（{scope}）：不按{spec.title}提醒"})
                continue
            if not spec.secret and memory is not None and f.rule in memory.rules:
                if vector is None:
                    vector = self._vector(ctx, trace)
                near = memory.nearest(f.rule, vector) if vector is not False else None
                if near is not None and near[1] >= NEAR_DUPLICATE:
                    incident, cosine = near
                    trace.append({"plugin": STAGE, "rule": f.rule, "hit": False,
                                  "stood_down": True, "dismissed_incident": incident,
                                  "cosine": round(cosine, 4), "score": f.score,
                                  "note": f"与已撤销的误报#{incident}几乎相同（相似度{cosine:.3f}）："
                                          f"不按{spec.title}提醒"})
                    continue
            kept.append(f)
        return kept

    def _phrases(self, ctx: Context, findings: list[Finding], view: RoomView) -> dict[str, Hit]:
        """The first allow phrase the message contains, by the rule it is
        filed under (``*``: every rule); one pass of the room's phrase
        automaton, and only where a finding could be stood down by one."""
        if view.phrases is None or not any(
                (s := self.specs.get(f.rule)) is not None and s.room_allow for f in findings):
            return {}
        first: dict[str, Hit] = {}
        for hit in view.phrases.allowed(ctx.norm):
            first.setdefault(hit.rule, hit)
        return first

    def _vector(self, ctx: Context, trace: list[dict]):
        """The message's sentence vector, of the text its incident excerpt
        holds (its own text, else its file's name); False if the encoder
        cannot be had (a warning, once)."""
        msg = ctx.message
        text = msg.text or msg.file_name or ""
        try:
            if self._encode is not None:
                return self._encode(text)
            return encoder().encode_one(text)
        except Exception as exc:  # noqa: BLE001 - the findings stand without it
            if not self._encoder_failed:
                log.warning("no sentence vector (%s: %s); dismissed near-duplicates are not "
                            "stood down", type(exc).__name__, exc)
                self._encoder_failed = True
            trace.append({"plugin": STAGE, "error": f"{type(exc).__name__}: {exc}"[:300]})
            return False
