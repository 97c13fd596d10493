"""Reading the JSONL events file: one event per line, reports by line number.

Nothing in a line aborts the reader. A line that cannot be used (not UTF-8,
not JSON, nested too deeply, longer than ``MAX_LINE_BYTES``, an unknown kind,
a missing or malformed field, a time out of range) is reported as a
``LineError`` and skipped; the next line is read. What can be mended (NUL
characters and lone surrogates in strings) is mended and reported as a
``LineNote`` just before the event. An oversized line is refused without
being held in memory or parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, Iterator

from qungui.core.events import Event, EventError, event_from_dict

MAX_LINE_BYTES = 1_000_000
_CHUNK = 1 << 16


@dataclass(frozen=True)
class LineReport:
    """Something the reader says about one line of the file."""

    lineno: int
    message: str
    skipped: ClassVar[bool] = True

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.message}"


@dataclass(frozen=True)
class LineError(LineReport):
    """The line could not be used and was skipped; ``message`` says why."""


@dataclass(frozen=True)
class LineNote(LineReport):
    """The line's event was mended before use (and follows this note)."""

    skipped: ClassVar[bool] = False

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.message} (mended, the event is read)"


def parse_line(raw: bytes, lineno: int) -> tuple[Event | None, list[LineReport]]:
    """One line of the file: the event (None if the line is skipped or blank)
    and what is to be said about the line. Never raises."""
    if not raw.strip():
        return None, []
    try:
        return _parse(raw, lineno)
    except Exception as exc:  # noqa: BLE001 - the reader's promise: a bad line never stops it
        # a bug in the reader, not in the file; the fuzz tests look for this wording
        return None, [LineError(lineno, f"internal error reading the line "
                                        f"({type(exc).__name__}); skipped")]


def _parse(raw: bytes, lineno: int) -> tuple[Event | None, list[LineReport]]:
    if len(raw) > MAX_LINE_BYTES:
        return None, [LineError(lineno, f"line longer than {MAX_LINE_BYTES} bytes, skipped")]
    try:
        text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
    except UnicodeDecodeError as exc:
        return None, [LineError(lineno, f"not UTF-8 ({exc.reason} at byte {exc.start})")]
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return None, [LineError(lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")]
    except RecursionError:
        return None, [LineError(lineno, "JSON nested too deeply")]
    except ValueError as exc:   # e.g. an integer of more than 4300 digits
        return None, [LineError(lineno, f"not usable JSON: {str(exc)[:80]}")]
    notes: list[str] = []
    try:
        event = event_from_dict(data, notes=notes)
    except EventError as exc:
        return None, [LineError(lineno, str(exc))]
    except RecursionError:
        return None, [LineError(lineno, "JSON nested too deeply")]
    return event, [LineNote(lineno, note) for note in notes]


def _lines(f: BinaryIO) -> Iterator[bytes]:
    """The file's lines; one longer than MAX_LINE_BYTES comes as its first
    MAX_LINE_BYTES + 1 bytes, the rest read past without being kept."""
    while True:
        line = f.readline(MAX_LINE_BYTES + 1)
        if not line:
            return
        if len(line) > MAX_LINE_BYTES and not line.endswith(b"\n"):
            while (rest := f.readline(_CHUNK)) and not rest.endswith(b"\n"):
                pass
        yield line


def read_events(path: str | Path) -> Iterator[tuple[int, Event | LineReport]]:
    """(line number, event or report) for every line, in file order: a line's
    notes come before its event, a skipped line gives one ``LineError``."""
    with open(path, "rb") as f:
        for lineno, raw in enumerate(_lines(f), 1):
            event, reports = parse_line(raw, lineno)
            for report in reports:
                yield lineno, report
            if event is not None:
                yield lineno, event


def count_lines(path: str | Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in _lines(f))
