"""What the owners' commands may use: a narrow set of services, not the engine.

The engine builds one ``Services`` and hands it to the command router that
the composition root plugs in (``qungui.app``); every handler receives it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

from qungui.core.events import Message, Room
from qungui.core.plugin import Finding, Plugin
from qungui.core.ports import ConnectionState, GroupRecords, IncidentLog, IncidentReviews, Outbox
from qungui.core.rulebook import Rulebook
from qungui.pipeline.directory import RoomDirectory
from qungui.pipeline.duties import Duties
from qungui.pipeline.room_settings import RoomSettings, RoomView


@dataclass
class Services:
    rulebook: Rulebook
    plugins: Mapping[str, Plugin]          # the rules, by id (titles, their own commands)
    settings: RoomSettings                 # each room's effective settings; every change
    incidents: IncidentLog                 # warnings counted, incidents listed, audit log
    records: GroupRecords                  # pardons, appeals, reports, work reports
    rooms: RoomDirectory
    duties: Duties
    operators: frozenset[str]
    # inspect a text as the room would (a member's report): findings and trace
    inspect: Callable[[Message, Room, RoomView], tuple[list[Finding], list[dict]]]
    # a member's words as they may be stored: redacted if a secret rule finds anything
    screen: Callable[[str, Room], str]
    commands: Any = None                   # the router itself, set when it takes these
    outbox: Outbox | None = None           # what waits to be sent (None: nothing is queued)
    # the reviewers' word, as the web review records it (None: no review store)
    reviews: IncidentReviews | None = None

    @property
    def bot_id(self) -> str:
        return self.rooms.bot_id

    @property
    def connection(self) -> ConnectionState | None:
        """The live channel's connection, when there is one."""
        return self.rooms.connection

    @property
    def titles(self) -> dict[str, str]:
        """Rule id -> its Chinese title."""
        return {name: p.title for name, p in self.plugins.items()}

    def title(self, rule: str | None) -> str:
        plugin = self.plugins.get(rule or "")
        return plugin.title if plugin else (rule or "")
