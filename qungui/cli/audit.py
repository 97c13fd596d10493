"""``bot.py audit``: an events file in, one result per message event out."""

from __future__ import annotations

import json
import logging
import sys
import tempfile
from pathlib import Path

from qungui.cli import arguments, command
from qungui.review.labels import ACTION_CN
from qungui.cli.common import CliError, add_rulebook_and_db, open_moderator, settings_from, table

log = logging.getLogger(__name__)
# how the formats of --input are named to the user
FORMAT_NAMES = {"jsonl": "a JSONL events file", "wechatmsg": "WeChatMsg", "chatlog-csv": "chatlog CSV",
                "chatlog-json": "chatlog JSON", "pywxdump": "PyWxDump"}


class Progress:
    """A one-line progress bar on stderr, only when stderr is a terminal."""

    def __init__(self, total: int, enabled: bool):
        self.total, self.enabled = max(total, 1), enabled

    def step(self, lineno: int) -> None:
        if self.enabled and (lineno % 200 == 0 or lineno == self.total):
            filled = int(30 * lineno / self.total)
            sys.stderr.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {lineno}/{self.total}")
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            sys.stderr.write("\n")


def configure(sp):
    from qungui.channels.exports import FORMATS
    sp.add_argument("file", help="events file (JSONL) or a chat export: WeChatMsg/留痕 CSV, "
                                 "chatlog CSV or JSON, PyWxDump CSV (detected by the header)")
    sp.add_argument("--input", choices=FORMATS, default="auto",
                    help="the file's format (default: detected)")
    sp.add_argument("--owner", metavar="CONTACT_ID",
                    help="the group owner's contact id, for exports (they carry no owner)")
    sp.add_argument("--room", metavar="ROOM_ID",
                    help="the group's id (…@chatroom) for a WeChatMsg CSV, which names the chat "
                         "by a number only (default: wechatmsg-<TalkerId>)")
    sp.add_argument("--contacts", metavar="FILE",
                    help="a contact list naming the senders: PyWxDump's users.json (read without "
                         "this when it lies next to the export), chatlog's contacts (JSON or CSV)")
    sp.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    sp.add_argument("--store", action="store_true",
                    help="keep the incidents in the configured database (default: a scratch one)")
    add_rulebook_and_db(sp)


@command("audit", "check an events file or chat export, one JSON line per message",
         "Run every event of a JSONL events file, or every message of a WeChat chat export "
         "(WeChatMsg/留痕 CSV, chatlog CSV/JSON, PyWxDump CSV; UTF-8 or GBK), through the "
         "engine and print one result per message, in input order. Malformed lines are "
         "reported on stderr by line number and skipped, mended ones are reported and read; "
         "the exit status is 0 when any event was read, 2 when none could be.")
@arguments(configure)
async def run(args) -> int:
    from qungui.channels.exports import ExportError, ExportNote, detect_format, read_export
    from qungui.channels.replay import LineReport, count_lines
    from qungui.core.events import Message

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{args.file}: no such file")
    try:
        detected = detect_format(path)
    except ExportError as exc:
        if args.input == "auto":
            raise CliError(f"{args.file}: {exc}") from None
        detected = None                  # the reader named by --input reports each line
    except OSError as exc:
        raise CliError(f"{args.file}: {exc.strerror or exc}") from None
    fmt = detected if args.input == "auto" else args.input
    if detected is not None and detected != fmt:
        raise CliError(f"{args.file}: not a {FORMAT_NAMES[fmt]} export: it reads as "
                       f"{FORMAT_NAMES[detected]} (leave out --input to detect the format)")
    settings = settings_from(args)
    scratch = None
    if not args.store:
        scratch = tempfile.TemporaryDirectory(prefix="bot-audit-")
        # a scratch data folder: its database and spool, never the bot's
        settings.data_dir, settings.spool_path = Path(scratch.name), None
        settings.database_url = f"sqlite+aiosqlite:///{scratch.name}/audit.sqlite3"
    moderator = await open_moderator(settings)
    tty = sys.stderr.isatty()
    progress = Progress(count_lines(path) if tty else 0, tty)
    skipped = mended = failed = processed = 0
    rows = []
    try:
        events = read_export(path, fmt, owner_id=args.owner, room_id=args.room,
                             contacts=args.contacts)
        for lineno, event in _events(events, path):
            progress.step(lineno)
            if isinstance(event, ExportNote):
                print(f"{path}: {event}", file=sys.stderr)
                continue
            if isinstance(event, LineReport):
                print(f"{path}: {event}", file=sys.stderr)
                if event.skipped:
                    skipped += 1
                else:
                    mended += 1
                continue
            try:
                outcome = await moderator.handle(event)
            except Exception as exc:  # noqa: BLE001 - one event must not stop the audit
                log.exception("line %d could not be handled", lineno)
                print(f"{path}: line {lineno}: could not be handled "
                      f"({type(exc).__name__}: {str(exc)[:120]}); skipped", file=sys.stderr)
                failed += 1
                continue
            processed += 1
            if not isinstance(event, Message):
                continue
            action = "command" if outcome.kind == "command" else outcome.action
            if args.format == "jsonl":
                sys.stdout.write(json.dumps({
                    "id": event.id, "room_id": event.room_id, "sender_id": event.sender_id,
                    "findings": [f.as_dict() for f in outcome.findings], "action": action,
                }, ensure_ascii=False) + "\n")
            else:
                top = max(outcome.findings, key=lambda f: f.score, default=None)
                rows.append([event.id, event.sender_name or event.sender_id,
                             top.rule if top else "", f"{top.score:.2f}" if top else "",
                             ACTION_CN.get(action, action), (top.evidence if top else "")[:30]])
    finally:
        progress.close()
        await moderator.repo.close()
        if scratch:
            scratch.cleanup()
    if args.format == "table" and processed:
        table(sys.stdout, ["消息", "发送人", "规则", "分数", "处置", "证据"], rows)
    summary = summarize(processed, skipped, mended, failed)
    if not processed:
        raise CliError(f"{path}: no event could be read ({summary})")
    if skipped or mended or failed:
        print(summary, file=sys.stderr)
    return 0


def summarize(processed: int, skipped: int, mended: int, failed: int) -> str:
    """One line: what was read, skipped and mended."""
    parts = [f"{processed} event(s) processed"] if processed else []
    if skipped:
        parts.append(f"{skipped} malformed line(s) skipped")
    if mended:
        parts.append(f"{mended} mended")
    if failed:
        parts.append(f"{failed} failed in the engine and skipped (see the log)")
    if not (processed or skipped or failed):
        parts = ["the file holds no events"]
    return ", ".join(parts)


def _events(events, path):
    """The reader's events, with a whole-file problem turned into a clear error."""
    from qungui.channels.exports import ExportError

    try:
        yield from events
    except ExportError as exc:
        raise CliError(f"{path}: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: cannot decode the file ({exc.reason})") from None
