"""What happened to one event: the audit line and the actions to carry out."""

from __future__ import annotations

from dataclasses import dataclass, field

from qungui.core.actions import Action
from qungui.core.outcomes import Act
from qungui.core.plugin import Finding


@dataclass
class Outcome:
    kind: str                                  # message | command | join | room | private | ...
    action: Act = Act.NONE
    findings: list[Finding] = field(default_factory=list)
    trace: list[dict] = field(default_factory=list)
    actions: list[Action] = field(default_factory=list)
    error: str | None = None
