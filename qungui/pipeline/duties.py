"""Group duties from the 群规 that are not violations: daily work reports
(每日汇报) and the reminder at the due time.

Days are China days. The clock is whatever the caller passes: a message's
own time, or ``now`` given to ``tick`` by the channel's timer (tests and the
console inject their own), so the cycle is testable across midnight.
"""

from __future__ import annotations

import logging
from datetime import datetime, time
from qungui.core.actions import Action, Send
from qungui.core.events import CHINA_TZ, Member, Message, Room
from qungui.core.ports import GroupRecords
from qungui.pipeline import texts
from qungui.pipeline.directory import RoomDirectory
from qungui.pipeline.room_settings import RoomSettings, RoomView

log = logging.getLogger(__name__)

REMINDER = "report_reminder"     # audit action of a posted reminder (one per room and day)


def china_day(ts: datetime) -> str:
    return ts.astimezone(CHINA_TZ).date().isoformat()


def due_at(ts: datetime, hhmm: str) -> datetime:
    """The due time on the China day of ``ts``."""
    hour, minute = (int(x) for x in hhmm.split(":"))
    return datetime.combine(ts.astimezone(CHINA_TZ).date(), time(hour, minute), CHINA_TZ)


def expected_reporters(room: Room, bot_id: str) -> list[Member]:
    """Who owes a daily report: every present member but the owner (who
    receives them) and the bot."""
    return [m for m in room.members.values() if m.id not in (room.owner_id, bot_id)]


class Duties:
    def __init__(self, settings: RoomSettings, records: GroupRecords | None,
                 rooms: RoomDirectory):
        self.settings, self.records, self.rooms = settings, records, rooms
        self._reminded: dict[str, str] = {}      # room id -> China day already handled

    async def note_message(self, msg: Message, view: RoomView) -> bool:
        """Count ``msg`` as the sender's work report when tracking is on and it
        starts with the rulebook's marker. True if it counted."""
        if not view.report_due or not msg.text:
            return False
        if not msg.text.lstrip().startswith(view.rulebook.work_report.marker):
            return False
        return await self.records.work_report(msg.room_id, msg.sender_id,
                                                        china_day(msg.ts), msg.id, msg.ts)

    async def unreported(self, room: Room, day: str) -> list[Member]:
        done = await self.records.reported(room.id, day)
        return [m for m in expected_reporters(room, self.rooms.bot_id) if m.id not in done]

    async def tick(self, now: datetime) -> list[Action]:
        """Reminders that fall due at ``now``: one per room and day, after the
        due time, naming who has not reported. Quiet rooms get none."""
        actions: list[Action] = []
        day = china_day(now)
        for view in self.settings.loaded():
            if not view.report_due or not view.report_remind or view.quiet:
                continue
            if now < due_at(now, view.report_due) or self._reminded.get(view.room_id) == day:
                continue
            self._reminded[view.room_id] = day
            try:
                action = await self._remind(view, day, now)
            except Exception:  # noqa: BLE001 - one room's failure must not stop the others
                log.exception("work-report reminder for room %s failed", view.room_id)
                self._reminded.pop(view.room_id, None)      # try again at the next tick
                continue
            if action is not None:
                actions.append(action)
        return actions

    async def _remind(self, view: RoomView, day: str, now: datetime) -> Action | None:
        records = self.records
        # after a restart the audit log knows whether today's reminder went out
        if await records.last_audit(view.room_id, REMINDER, day) is not None:
            return None
        room = self.rooms.room(view.room_id)
        missing = await self.unreported(room, day)
        # insert-if-absent: of several processes due at once, one reminds
        if not await records.audit_once(view.room_id, self.rooms.bot_id, REMINDER, day,
                                        after={"missing": len(missing)}):
            return None
        if not missing:
            return None
        return Send(room.id, texts.report_reminder(view.report_due,
                                                     view.rulebook.work_report.marker,
                                                     len(missing)),
                    tuple(m.id for m in missing))
