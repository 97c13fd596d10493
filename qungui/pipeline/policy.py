"""From findings to a decision: which rule speaks, how, and whether to escalate.

The policy proposes consequences; the engine records them and the channel
carries them out. It never punishes the owner or an admin (they are logged as
``exempt``), and a room or rule in review-only mode is logged, never warned.
"""

from __future__ import annotations

from dataclasses import dataclass

from typing import Mapping

from qungui.core.outcomes import COUNTED, Act
from qungui.core.plugin import Finding
from qungui.core.rulebook import Rulebook


@dataclass(frozen=True)
class Decision:
    action: Act
    findings: tuple[Finding, ...] = ()  # at or above threshold, gravest first
    warnings: int = 0                  # counted warnings in the window, this one included
    notify_owner: bool = False
    remove: bool = False

    @property
    def primary(self) -> Finding | None:
        return self.findings[0] if self.findings else None

    @property
    def counted(self) -> bool:
        return self.action in COUNTED


NONE = Decision(Act.NONE)


def decide(findings: list[Finding], rulebook: Rulebook, gravity: Mapping[str, int], *,
           prior_warnings: int,
           sender_exempt: bool, room_review: bool = False,
           cooling: frozenset[str] = frozenset()) -> Decision:
    """When a message breaks several rules, the gravest (``gravity``, from the
    rules' specifications) is warned about, the higher score first among
    equals. ``cooling``: rules this sender was warned about moments ago. A burst
    (seven messages of flooding, a run of praise) earns one warning, and the
    rest of it is logged."""
    kept = []
    for f in findings:
        cfg = rulebook.rules.get(f.rule)
        if cfg is not None and cfg.enabled and f.score >= cfg.threshold:
            kept.append(f)
    if not kept:
        return NONE
    kept.sort(key=lambda f: (-gravity[f.rule], -f.score))
    primary = kept[0]
    cfg = rulebook.rules[primary.rule]
    if room_review or rulebook.mode == "review" or cfg.action == Act.REVIEW:
        return Decision(Act.REVIEW, tuple(kept))
    if sender_exempt:
        return Decision(Act.EXEMPT, tuple(kept))
    if primary.rule in cooling:
        return Decision(Act.LOG, tuple(kept))
    warnings = prior_warnings + 1
    esc = rulebook.escalation
    notify = warnings >= esc.notify_owner_after or any(
        rulebook.rules[f.rule].notify_owner for f in kept)
    remove = esc.remove_after > 0 and warnings >= esc.remove_after
    return Decision(Act(cfg.action), tuple(kept), warnings, notify, remove)
