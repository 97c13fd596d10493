"""Time per message against its length: is the work per character bounded?

    .venv/bin/python bench/long_messages.py                 # every case, 10 to 1,000,000 characters
    .venv/bin/python bench/long_messages.py --timeout 30 --cases letters,digits

Each message goes through the engine's own inspection path
(``Moderator.inspect``: every enabled rule of the default rulebook and the
decision stage), in a room with an owner, sent by an ordinary member. The
cases:

* realistic  — corpus messages (dev + test) joined until the length is reached
* history    — the same, with 49 earlier messages of that length from the
               same sender in the room (what flood and off_topic read)
* letters    — ASCII letters, no ``@`` (the e-mail and host patterns)
* digits     — one run of digits (the price and number patterns)
* spaces     — 原价 and 一盒 followed by a long run of spaces
* contacts   — phone numbers, landlines, e-mail addresses and links repeated
* criticism  — repeated criticism of central policy (cue pairs, clauses)
* praise     — one long sentence of praise for the owner (per-sentence work)
* marking    — clean corpus messages without any 密 in them, and a classified
               marking at the very end (the marking scan reads the whole
               text, the rest is capped): "classified" must be found

Every (case, length) runs in a forked child with a time limit, so that a
super-linear case reports "> limit" instead of hanging the benchmark. With
bounded work per character the µs/char column does not grow with the length:
up to the 20,000-character inspection cap (``MAX_TEXT``) it stays level or
falls (a fixed cost per message spread over more characters), and past the
cap it falls, as only the classified marking scan (and a few linear passes
in C: strip, hash) read the rest.
"""

from __future__ import annotations

import argparse
import itertools
import multiprocessing
import os

# one thread per process for numpy's and the encoder's pools: a pool started
# in the parent has no threads in a forked child, which would wait for them
# for ever (and the figures are per core)
for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")
import string
import sys
import time
from collections import deque
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mix import corpus_lines  # noqa: E402

SIZES = (10, 1_000, 20_000, 100_000, 1_000_000)
CASES = ("realistic", "history", "letters", "digits", "spaces", "contacts", "criticism",
         "praise", "marking")
HISTORY = 49


def _cycle(unit: str, n: int) -> str:
    return "".join(itertools.islice(itertools.cycle(unit), n))


def _realistic(n: int) -> str:
    text = "\n".join(d["text"] for d in corpus_lines())
    return _cycle(text, n)


def _filler(n: int) -> str:
    text = "\n".join(d["text"] for d in corpus_lines() if not d["labels"] and "密" not in d["text"])
    return _cycle(text, n)


def text_of(case: str, n: int) -> str:
    if case in ("realistic", "history"):
        return _realistic(n)
    if case == "letters":
        return _cycle(string.ascii_lowercase, n)
    if case == "digits":
        return _cycle(string.digits, n)
    if case == "spaces":
        half = max(0, n // 2 - 2)
        return ("原价" + " " * half + "一盒" + " " * half)[:n]
    if case == "contacts":
        return _cycle("电话13812345678 座机0571-88886666 邮箱tea.shop@example.com "
                      "网址shop.example.com 微信tea8888a ", n)
    if case == "criticism":
        return _cycle("中央这个政策纯属瞎折腾，根本不考虑基层实际。防止一刀切，"
                      "上面的政策一天一个样，朝令夕改！", n)
    if case == "praise":
        return _cycle("王书记您高瞻远瞩、英明果断，真是太伟大了，字字珠玑，", n)
    if case == "marking":
        marking = "机密★1年"
        return _filler(max(0, n - len(marking))) + marking if n > len(marking) else marking
    raise ValueError(f"unknown case {case!r}")


class Bench:
    def __init__(self):
        from qungui.app import load_parts
        from qungui.pipeline.engine import Moderator
        from qungui.pipeline.evaluation import load_groups, sample_from_dict
        from qungui.rules import data_path

        self.plugins, self.rulebook = load_parts(data_path("default.yaml"))
        self.moderator = Moderator(None, self.rulebook, self.plugins)
        self.groups = load_groups(None)
        self.sample_from_dict = sample_from_dict
        for d in corpus_lines()[:300]:     # warm the per-character caches, as a running bot has
            self.run_once(self.sample(d["text"]))
        # the encoder loaded before any child is forked: a child forked while
        # the background thread held the encoder's lock would wait for ever
        from qungui.core import embedding
        try:
            embedding.encoder().encode(["预热"])
        except embedding.EncoderUnavailable:
            pass

    def sample(self, text: str):
        return self.sample_from_dict({"text": text, "group": "committee"}, "bench", 1,
                                     set(self.plugins), self.groups)

    def run_once(self, sample, history=()):
        self.moderator.recent[sample.room.id] = deque(history)
        try:
            return self.moderator.inspect(sample.message, sample.room)
        finally:
            self.moderator.recent.pop(sample.room.id, None)

    def measure(self, case: str, n: int) -> tuple[float, int, list[str]]:
        """(seconds per message, repetitions, rules found)."""
        from dataclasses import replace

        from qungui.core.plugin import Recent

        sample = self.sample(text_of(case, n))
        history = ()
        if case == "history":
            # entered the room once, with their views, as the engine keeps them
            history = [Recent.of(replace(sample.message, id=f"h{i}",
                                         text=text_of(case, n)[i:] + str(i),
                                         ts=sample.message.ts - timedelta(seconds=HISTORY - i)))
                       for i in range(HISTORY)]
        findings, _ = self.run_once(sample, history)       # first call: any one-off work
        reps, spent = 0, 0.0
        while reps < 3 or (spent < 0.5 and reps < 200):
            started = time.perf_counter()
            self.run_once(sample, history)
            spent += time.perf_counter() - started
            reps += 1
        return spent / reps, reps, sorted({f.rule for f in findings})


def _child(bench: Bench, case: str, n: int, pipe) -> None:
    pipe.send(bench.measure(case, n))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=60.0,
                        help="seconds one (case, length) may take before it is reported as "
                             "'> timeout' (default 60)")
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    args = parser.parse_args()
    cases = [c for c in args.cases.split(",") if c]
    sizes = [int(s) for s in args.sizes.split(",") if s]
    for case in cases:
        text_of(case, 1)   # unknown names fail here, before anything is measured

    bench = Bench()
    ctx = multiprocessing.get_context("fork")   # the children inherit the warmed engine
    print(f"{'case':<10} {'chars':>9} {'ms/msg':>11} {'µs/char':>9}  rules found")
    for case in cases:
        for n in sizes:
            parent, child = ctx.Pipe(duplex=False)
            proc = ctx.Process(target=_child, args=(bench, case, n, child), daemon=True)
            proc.start()
            child.close()
            if parent.poll(args.timeout):
                seconds, _, rules = parent.recv()
                proc.join()
                ms = f"{seconds * 1e3:,.2f}"
                per_char = f"{seconds * 1e6 / n:,.3f}"
                found = ",".join(rules) or "-"
            else:
                proc.kill()
                proc.join()
                ms, per_char, found = f"> {args.timeout * 1e3:,.0f}", "-", "(timed out)"
            print(f"{case:<10} {n:>9,} {ms:>11} {per_char:>9}  {found}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
