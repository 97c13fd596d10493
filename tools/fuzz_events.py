"""A long fuzz run of the events reader and the engine.

N lines (default 100,000) of random and mutated events go through the
events-file reader (``qungui.channels.replay.parse_line``) and every event it
returns through ``Moderator.handle`` on a real engine with a SQLite database
in a temporary directory (the real rules, rulebook, lexicons and command
router). The lines are made from the bundled conversations and the rules'
lexicons, then mutated at three levels: field values (NaN, infinities, huge
numbers, year-1 and year-9999 times, naive times, lone surrogates, NUL
characters, wrong types, nested garbage, absurd lengths), whole texts
(long runs of punctuation, emoji, digits, links, mentions, slash commands)
and raw bytes (flipped, cut, invalid UTF-8).

Counted:
  crashes  an exception out of the reader or out of ``handle``, or the
           reader's own "internal error" report;
  hangs    one line that took longer than --slow seconds (default 1 s) to
           read and handle; a line still running after --hang seconds
           (default 60) stops the run with a traceback of where it was
           (faulthandler), and the line is left in the file printed at start.
Also reported, without failing the run: failures the engine isolated (a
rule that raised, a command that failed), how many lines the reader skipped
or mended, and the actions taken.

Exit status 0 when there was no crash and no slow line, 1 otherwise.

Usage:
    .venv/bin/python tools/fuzz_events.py [-n 100000] [--seed 1] [--slow 1.0]
                                          [--hang 60] [--save-slow FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import faulthandler
import json
import logging
import random
import sys
import tempfile
import time
import traceback
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SEED_FILES = (ROOT / "qungui" / "rules" / "samples" / "demo.jsonl",
              ROOT / "tests" / "data" / "events_sample.jsonl")
LEXICONS = ROOT / "qungui" / "rules" / "lexicons"
ROOMS = ("demo-zsyz", "r1", "r2")
SENDERS = ("u1", "u2", "u3", "u4", "u5", "u6", "u7", "u8", "op1", "bot", "stranger")
KINDS = ("message", "message", "message", "message", "message", "message", "room", "join",
         "leave", "bot_added", "private")
TYPES = ("text", "text", "text", "text", "image", "file", "red_envelope", "transfer", "url",
         "mini_program", "audio", "video", "emoticon", "recalled", "other")

# field values that broke or might break something
HOSTILE_NUMBERS = (float("nan"), float("inf"), float("-inf"), 0, -1, 1e308, -1e308, 10 ** 30,
                   2 ** 63, 2 ** 64 + 1, 1.7e12, 1.7e15, 253402300800, -62135596800,
                   32503680000, 32503679999.999, 1e-300, True, False)
HOSTILE_TIMES = ("0001-01-01T00:00:00", "0001-01-01T00:00:00+23:59", "0001-01-01",
                 "9999-12-31T23:59:59.999999", "9999-12-31T23:59:59-23:59", "9999-12-31",
                 "1969-12-31T23:59:59Z", "2999-12-31T23:59:59", "3000-01-01T00:00:00Z",
                 "2026-11-20", "2026-11-20T09:00:00Z", "2026-11-20T09:00:00",
                 "2026-11-20T09:00:00.123456+08:00", "2026-13-45T99:99:99", "20261120T090000",
                 "2026-11-20 09:00", "NaN", "Infinity", "now", "\ud800", "2026-11-20T09:00:00\x00")
HOSTILE_STRINGS = ("", " ", "\x00", "\ud800", "a\udfffb", "\udc80\udc81", "\ud83d\ude00",
                   "\ud83d", "\u202e\u2066", "\ufeff", "\u200b" * 50, "x" * 257, "名" * 201,
                   "汇" * 5000, "\\", "\"", "\n\r\t", "\x1b[2J", "null", "NaN", "🀄" * 300,
                   "e\u0301" * 200, "Ａ" * 100, "/", "@", "a" * 10000)
HOSTILE_CONTAINERS = ([], {}, [[[[[]]]]], {"a": {"b": {"c": {}}}}, ["x"] * 300, [None],
                      [1, "a", None], {"id": None}, [{"id": "u2"}] * 3)
# values the reader accepts (some after mending) that sit at its edges
EDGE_VALUES = {
    "ts": ("1970-01-01T00:00:00Z", "1970-01-01T08:00:00", 0, 1e-3, "2999-12-31T23:59:59-23:59",
           "2999-12-31T23:59:59", 32503679999, "2026-11-20"),
    "id": ("x" * 256, "\ud800m", "m\x00", "🀄" * 256, "0", 7, 1e300, -0.0),
    "sender_id": ("s" * 256, "u2\x00", "\udfffu3", "bot", "op1", 12345678901234567890),
    "room_id": ("r" * 256, "r1\x00", "\ud800r2"),
    "sender_name": ("名" * 200, "\x00", "\ud800张伟", "e\u0301" * 100),
    "text": ("\x00" * 50, "\ud800" * 50, "加\ud800微\x00信abc123456", "机\x00密★1年"),
    "mention_ids": (["\x00"], ["\ud800"], ["u" * 256] * 100, []),
    "file_name": ("机密\x00.docx", "f" * 1000, "\ud800.pdf"),
    "amount": (1e12, -1e12, 0, 5e-324, "88.88"),
    "member": ({"id": "m" * 256, "name": "名" * 200, "alias": "别" * 200},
               {"id": "\ud800u9", "name": "\x00", "alias": "李明-商务局-局长"}),
    "members": ([{"id": f"m{i}", "name": "名" * 200} for i in range(2000)],
                [{"id": "u1", "name": "\x00"}, {"id": "u1\ud800"}]),
    "topic": ("群" * 500, "\x00"), "purpose": ("目" * 2000, "\ud800"),
    "owner_id": ("o" * 256, "\x00u1"),
}
NOISE = ("！", "。", "，", "~", "…", "*", "★", "☆", "🔥", "😀", "👍🏻", "\u200b", "\u2005", " ", "\n",
         "-", "_", "/", ":", ".", "1", "8", "零", "〇", "九", "@", "#", "¥", "$", "+", "(", ")", "【",
         "】", "a", "Z", "ｗ", "Ⅳ", "⑧", "\u0301", "\ufe0f", "\t")
FRAGMENTS = ("加微信", "vx", "wx:", "V信", "Q群", "http://", "https://t.cn/", "www.", ".com", "电话",
             "138", "1380013", "0571-", "+86", "¥", "元", "红包", "转账", "投票", "拉票", "机密",
             "秘密★", "绝密", "内部资料", "李局长", "领导英明", "听说", "谣言", "群规", "收到",
             "每日汇报", "@所有人", "/help", "/帮助", "/举报", "/申诉")


def load_seeds() -> list[dict]:
    seeds = []
    for path in SEED_FILES:
        for raw in path.read_text(encoding="utf-8").splitlines():
            try:
                d = json.loads(raw)
            except ValueError:
                continue
            if isinstance(d, dict) and d.get("kind") in KINDS:
                seeds.append(d)
    return seeds


def load_terms() -> list[str]:
    terms = []
    for path in sorted(LEXICONS.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.strip()
            if line and not line.startswith(("#", "[")):
                terms.append(line.split("#")[0].strip())
    return [t for t in terms if t]


class Fuzzer:
    def __init__(self, rng: random.Random, commands: list[str]):
        self.rng = rng
        self.seeds = load_seeds()
        self.terms = load_terms() or list(FRAGMENTS)
        self.commands = commands or ["help"]
        self.n = 0
        self.clock = 1_795_000_000.0          # 2026-11-19, advanced by every event

    # --- valid-ish events ---------------------------------------------------

    def ts(self):
        self.clock += self.rng.choice((0, 1, 5, 60, 600, 3600))
        r = self.rng.random()
        if r < 0.5:
            return time.strftime("%Y-%m-%dT%H:%M:%S+08:00", time.gmtime(self.clock + 8 * 3600))
        if r < 0.8:
            return self.clock
        return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(self.clock + 8 * 3600))

    def text(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.1:
            return ""
        if r < 0.2:   # a slash command with arguments
            name = rng.choice(self.commands)
            args = " ".join(self.word() for _ in range(rng.randint(0, 4)))
            return f"/{name} {args}".strip()
        if r < 0.15:   # a long run of one thing: the worst cases for patterns
            unit = rng.choice(NOISE + FRAGMENTS) * rng.randint(1, 3)
            run = unit * rng.randint(100, 20_000 // max(len(unit), 1))
            return rng.choice(("", self.word())) + run + rng.choice(("", "x", "微信", "!", "\x00"))
        parts = [self.word() for _ in range(rng.randint(1, 12))]
        return rng.choice(("", " ", "，", "\u200b", "")).join(parts)

    def word(self) -> str:
        rng = self.rng
        r = rng.random()
        if r < 0.45:
            w = rng.choice(self.terms)
        elif r < 0.7:
            w = rng.choice(FRAGMENTS)
        elif r < 0.85:
            w = "".join(rng.choice(NOISE) for _ in range(rng.randint(1, 8)))
        elif r < 0.93:
            w = "".join(chr(rng.randint(0x20, 0x2FFFF)) for _ in range(rng.randint(1, 6)))
        else:
            w = str(rng.randint(0, 10 ** rng.randint(1, 15)))
        if rng.random() < 0.1:   # disguised: separators between characters
            w = rng.choice(NOISE).join(w)
        return w

    def member(self) -> dict:
        uid = self.rng.choice(SENDERS)
        return {"id": uid, "name": self.rng.choice(("张伟", "李明", "", self.word())),
                "alias": self.rng.choice(("张伟-商务局-科长", "", "小王", self.word()[:200]))}

    def fresh(self) -> dict:
        rng = self.rng
        if self.seeds and rng.random() < 0.2:
            d = dict(rng.choice(self.seeds))
            if "id" in d:
                d["id"] = f"{d['id']}-{self.n}" if rng.random() < 0.9 else d["id"]
            return d
        kind = rng.choice(KINDS)
        room = rng.choice(ROOMS)
        self.n += 1
        if kind == "message":
            mtype = rng.choice(TYPES)
            d = {"kind": kind, "id": f"f{self.n}", "ts": self.ts(), "room_id": room,
                 "sender_id": rng.choice(SENDERS), "sender_name": rng.choice(("", "张伟", "李明")),
                 "type": mtype, "text": self.text(),
                 "mention_ids": [rng.choice(SENDERS) for _ in range(rng.randint(0, 3))]}
            if mtype == "file" or rng.random() < 0.05:
                d["file_name"] = self.word() + rng.choice((".docx", ".pdf", ""))
            if mtype in ("red_envelope", "transfer") or rng.random() < 0.05:
                d["amount"] = rng.choice((0.01, 88.88, 200, 5000, "66", None))
            return d
        if kind == "room":
            return {"kind": kind, "room_id": room, "topic": rng.choice(("招商引资专项工作群", self.word())),
                    "purpose": rng.choice(("招商项目洽谈", "", self.text()[:2000])),
                    "owner_id": rng.choice(("u1", "u2", None)),
                    "members": [self.member() for _ in range(rng.randint(0, 10))]}
        if kind == "join":
            return {"kind": kind, "room_id": room, "member": self.member(),
                    "inviter_id": rng.choice(("u1", None)), "ts": self.ts()}
        if kind == "leave":
            return {"kind": kind, "room_id": room, "member_id": rng.choice(SENDERS), "ts": self.ts()}
        if kind == "bot_added":
            return {"kind": kind, "room_id": room, "inviter_id": "u1", "ts": self.ts()}
        return {"kind": kind, "id": f"p{self.n}", "sender_id": rng.choice(SENDERS),
                "text": self.text(), "ts": self.ts()}

    # --- mutations ----------------------------------------------------------

    def hostile(self):
        rng = self.rng
        pool = rng.choice((HOSTILE_NUMBERS, HOSTILE_TIMES, HOSTILE_STRINGS, HOSTILE_CONTAINERS))
        value = rng.choice(pool)
        if rng.random() < 0.02:   # nested garbage
            for _ in range(rng.randint(10, 500)):
                value = [value] if rng.random() < 0.5 else {"x": value}
        return value

    def mutate(self, d: dict) -> dict:
        rng = self.rng
        d = dict(d)
        for _ in range(rng.randint(1, 3)):
            keys = list(d) + ["kind", "type", "ts", "id", "text", "member", "members", "amount"]
            key = rng.choice(keys)
            r = rng.random()
            if r < 0.1:
                d.pop(key, None)
            elif r < 0.2 and isinstance(d.get(key), str):
                s = d[key]
                i = rng.randint(0, len(s))
                d[key] = s[:i] + rng.choice(HOSTILE_STRINGS[:10]) + s[i:]
            elif r < 0.3 and key == "members":
                d[key] = [self.member() if rng.random() < 0.7 else self.hostile()
                          for _ in range(rng.randint(0, 20))]
            elif r < 0.35 and key == "member":
                d[key] = {**self.member(), rng.choice(("id", "name", "alias")): self.hostile()}
            elif r < 0.4:
                d[key] = rng.choice(("sticker", "MESSAGE", "", None, "message", "room", "join"))
            else:
                d[key] = self.hostile()
        return d

    def dumps(self, d) -> bytes:
        try:
            text = json.dumps(d, ensure_ascii=self.rng.random() < 0.5, allow_nan=True)
        except (ValueError, RecursionError):
            return b"[" * 5000
        # a lone surrogate written raw is invalid UTF-8 (CESU-8 bytes)
        return text.encode("utf-8", "surrogatepass")

    def bytes_mutation(self, raw: bytes) -> bytes:
        rng = self.rng
        b = bytearray(raw)
        for _ in range(rng.randint(1, 8)):
            op = rng.random()
            i = rng.randint(0, len(b))
            if op < 0.3 and b:
                b[min(i, len(b) - 1)] = rng.randint(0, 255)
            elif op < 0.5:
                b[i:i] = rng.choice((b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\"", b"{",
                                     b"]", b",", b"\\u", b"\\ud800", b"NaN", b"1e999", b"\r"))
            elif op < 0.7:
                del b[i:i + rng.randint(1, 20)]
            else:
                j = rng.randint(0, len(b))
                b[i:i] = b[min(i, j):max(i, j)][:5000]
        return bytes(b).replace(b"\n", b" ")

    def edge(self, d: dict) -> dict:
        """Values at the edges of what the reader accepts."""
        d = dict(d)
        for key in self.rng.sample(sorted(EDGE_VALUES), 3):
            if key in d or key in ("ts", "text") or self.rng.random() < 0.2:
                d[key] = self.rng.choice(EDGE_VALUES[key])
        return d

    def line(self) -> bytes:
        r = self.rng.random()
        d = self.fresh()
        if self.rng.random() < 0.2:
            d = self.edge(d)
        if r < 0.55:
            return self.dumps(d)
        if r < 0.85:
            return self.dumps(self.mutate(d))
        if r < 0.97:
            return self.bytes_mutation(self.dumps(d))
        return bytes(self.rng.randint(0, 255) for _ in range(self.rng.randint(0, 300))).replace(b"\n", b"")


# --- the run -------------------------------------------------------------------


def _where(trace: list[dict], handling: float) -> str:
    """Where most of ``handling`` seconds went: the rules that took a quarter
    of it or more (their times are in the trace), or "the engine"."""
    timed = sorted(((e["ms"] / 1000, e["plugin"]) for e in trace
                    if isinstance(e.get("ms"), (int, float))), reverse=True)
    if sum(t for t, _ in timed) <= handling / 2:
        return "the engine"
    return "rule " + "+".join(p for t, p in timed if t >= handling / 4)


def describe(raw: bytes) -> str:
    text = raw[:120].decode("utf-8", "replace")
    return f"{len(raw)} bytes: {text!r}" + ("…" if len(raw) > 120 else "")


async def run(args) -> int:
    from qungui.app import build_moderator, load_parts
    from qungui.channels.replay import LineError, LineNote, parse_line
    from qungui.core.outcomes import Act
    from qungui.rules import data_path
    from qungui.storage.repository import Repository

    logging.disable(logging.CRITICAL)     # isolated failures are counted, not printed
    plugins, rulebook = load_parts(data_path("default.yaml"))
    workdir = tempfile.TemporaryDirectory(prefix="fuzz-events-")
    current = Path(workdir.name) / "current-line.jsonl"
    print(f"fuzzing {args.events} lines, seed {args.seed}; the line being handled is kept in "
          f"{current}", file=sys.stderr)
    repo = await Repository.open(f"sqlite+aiosqlite:///{workdir.name}/fuzz.sqlite3")
    moderator = build_moderator(repo, rulebook, plugins, bot_id="bot", operators=["op1"])
    await moderator.start()
    commands = sorted({n for c in moderator.commands.listing() for n in (c.name, *c.aliases)})
    fuzzer = Fuzzer(random.Random(args.seed), commands)
    # set the scene: the rooms exist with their owners and members
    for seed in fuzzer.seeds:
        if seed.get("kind") == "room":
            event, _ = parse_line(json.dumps(seed).encode(), 0)
            await moderator.handle(event)

    crashes: Counter[str] = Counter()
    crash_examples: dict[str, str] = {}
    isolated: Counter[str] = Counter()
    actions: Counter[str] = Counter()
    skipped = mended = handled = 0
    times: list[tuple[float, str, bytes]] = []
    slow: list[tuple[float, bytes]] = []
    slow_where: Counter[str] = Counter()
    spent = 0.0
    started = time.perf_counter()
    with open(current, "wb") as keep:
        for i in range(1, args.events + 1):
            raw = fuzzer.line()
            keep.seek(0)
            keep.truncate()
            keep.write(raw + b"\n")
            keep.flush()
            faulthandler.dump_traceback_later(args.hang, exit=True)
            t0 = time.perf_counter()
            stage = "reader"
            where = "the reader"
            try:
                event, reports = parse_line(raw, i)
                read = time.perf_counter() - t0
                for report in reports:
                    if isinstance(report, LineNote):
                        mended += 1
                    elif isinstance(report, LineError):
                        skipped += 1
                        if report.message.startswith("internal error"):
                            raise RuntimeError(report.message)
                    if report.lineno != i or not report.message:
                        raise RuntimeError(f"a report without its line number: {report!r}")
                if event is not None:
                    stage = "handle"
                    outcome = await moderator.handle(event)
                    handled += 1
                    where = _where(outcome.trace, time.perf_counter() - t0 - read)
                    actions[f"{outcome.kind}:{outcome.action}"] += 1
                    if outcome.action == Act.ERROR:
                        isolated[f"command failed: {outcome.error}"[:120]] += 1
                    for entry in outcome.trace:
                        if "error" in entry:
                            isolated[f"{entry['plugin']}: {entry['error']}"[:120]] += 1
            except Exception as exc:  # noqa: BLE001 - counting them is the point
                frame = traceback.extract_tb(exc.__traceback__)[-1]
                key = (f"{stage}: {type(exc).__name__} at "
                       f"{Path(frame.filename).name}:{frame.lineno} ({frame.name})")
                crashes[key] += 1
                crash_examples.setdefault(key, f"{exc}"[:200] + "\n      line " + describe(raw))
            finally:
                faulthandler.cancel_dump_traceback_later()
            took = time.perf_counter() - t0
            spent += took
            if took > args.slow:
                slow.append((took, raw))
                slow_where[where] += 1
            times.append((took, where, raw[:200]))
            if len(times) > 200:
                times.sort(key=lambda t: -t[0])
                del times[max(args.worst, 10):]
            if args.progress and i % args.progress == 0:
                print(f"  {i} lines, {sum(crashes.values())} crashes, {len(slow)} slow, "
                      f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
    await repo.close()
    await repo.close()          # closing twice is allowed
    workdir.cleanup()

    times.sort(key=lambda t: -t[0])
    total = time.perf_counter() - started
    print(f"lines: {args.events}  handled: {handled}  skipped by the reader: {skipped}  "
          f"mended: {mended}")
    print(f"crashes: {sum(crashes.values())}  hangs (> {args.slow:g} s): {len(slow)}")
    print(f"time: {total:.1f} s in all, {spent / args.events * 1000:.2f} ms per line on average")
    if slow_where:
        print("where the slow lines spent their time: " + ", ".join(
            f"{where} {n}" for where, n in slow_where.most_common()))
    print("worst times (where most of the time went, the line):")
    for took, where, raw in times[:args.worst]:
        print(f"  {took * 1000:9.1f} ms  {where:18}  {describe(raw)}")
    if crashes:
        print("crashes:")
        for key, n in crashes.most_common():
            print(f"  {n:6}  {key}\n      {crash_examples[key]}")
    if isolated:
        print("failures the engine isolated (not counted as crashes):")
        for key, n in isolated.most_common(10):
            print(f"  {n:6}  {key}")
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in actions.most_common()))
    if args.save_slow and slow:
        with open(args.save_slow, "wb") as f:
            for _, raw in slow:
                f.write(raw + b"\n")
        print(f"the slow lines are in {args.save_slow}")
    return 1 if crashes or slow else 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("-n", "--events", type=int, default=100_000, help="lines to try (100000)")
    p.add_argument("--seed", type=int, default=1, help="random seed (1)")
    p.add_argument("--slow", type=float, default=1.0,
                   help="seconds after which a line counts as a hang (1.0)")
    p.add_argument("--hang", type=float, default=60.0,
                   help="seconds after which the run stops with a traceback (60)")
    p.add_argument("--worst", type=int, default=10, help="how many of the worst times to print")
    p.add_argument("--progress", type=int, default=10_000,
                   help="print progress every this many lines (0: never)")
    p.add_argument("--save-slow", metavar="FILE", help="write the slow lines to FILE")
    args = p.parse_args(argv)
    return asyncio.run(run(args))


if __name__ == "__main__":
    sys.exit(main())
