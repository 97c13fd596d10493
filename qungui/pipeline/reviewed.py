"""The reviewers' word: one last filter every finding passes.

Whatever stage made a finding (a rule's lexicon cues, the learned stage, a
room's deny phrase, a stage added later), the engine hands every finding of
a message to ``Reviewed.stand_down`` after all stages and before the
findings are sealed. A finding of rule R is dropped there when the message
contains one of the room's allow phrases filed under R or for every rule
(``RoomView.allow``). A rule whose spec says ``room_allow=False`` (classified:
a leaked file is the worst miss) is never stood down by an allow phrase.

Each finding stood down leaves a trace entry (``"plugin": "reviewed"``)
saying which phrase stood it down.
"""

from __future__ import annotations

from typing import Mapping

from qungui.core.matcher import ALL_RULES, Hit
from qungui.core.plugin import Context, Finding, RuleSpec
from qungui.pipeline.room_settings import RoomView

STAGE = "reviewed"      # the trace entries' "plugin"


class Reviewed:
    """The final filter, given the rules' specifications."""

    def __init__(self, specs: Mapping[str, RuleSpec]):
        self.specs = specs

    def stand_down(self, ctx: Context, findings: list[Finding], view: RoomView,
                   trace: list[dict]) -> list[Finding]:
        """The findings that stand; a trace entry for each one that does not."""
        if not findings:
            return findings
        phrases = self._phrases(ctx, findings, view)
        kept: list[Finding] = []
        for f in findings:
            spec = self.specs.get(f.rule)
            hit = phrases.get(f.rule) or phrases.get(ALL_RULES)
            if spec is not None and spec.room_allow and hit is not None:
                scope = "各项规则" if hit.rule == ALL_RULES else spec.title
                trace.append({"plugin": STAGE, "rule": f.rule, "hit": False, "stood_down": True,
                              "allow_phrase": hit.term, "score": f.score,
                              "note": f"本群放行短语“{hit.term}”（{scope}）：不按{spec.title}提醒"})
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
