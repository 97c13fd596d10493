"""Reading the JSONL events file: one event per line, errors by line number.

A malformed line is reported and skipped, never fatal; an oversized line is
refused without being parsed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

from qungui.core.events import Event, EventError, event_from_dict

MAX_LINE_BYTES = 1_000_000


@dataclass(frozen=True)
class LineError:
    lineno: int
    message: str

    def __str__(self) -> str:
        return f"line {self.lineno}: {self.message}"


def read_events(path: str | Path) -> Iterator[tuple[int, Event | LineError]]:
    with open(path, "rb") as f:
        for lineno, raw in enumerate(f, 1):
            if len(raw) > MAX_LINE_BYTES:
                yield lineno, LineError(lineno, f"line longer than {MAX_LINE_BYTES} bytes, skipped")
                continue
            if not raw.strip():
                continue
            try:
                text = raw.decode("utf-8-sig" if lineno == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield lineno, LineError(lineno, f"not UTF-8 ({exc.reason} at byte {exc.start})")
                continue
            try:
                data = json.loads(text)
            except json.JSONDecodeError as exc:
                yield lineno, LineError(lineno, f"not valid JSON: {exc.msg} (column {exc.colno})")
                continue
            except RecursionError:
                yield lineno, LineError(lineno, "JSON nested too deeply")
                continue
            try:
                yield lineno, event_from_dict(data)
            except EventError as exc:
                yield lineno, LineError(lineno, str(exc))


def count_lines(path: str | Path) -> int:
    with open(path, "rb") as f:
        return sum(1 for _ in f)
