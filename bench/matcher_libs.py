"""ahocorasick-rs against pyahocorasick on the bot's real lexicons.

    .venv/bin/pip install pyahocorasick   # only for this comparison
    .venv/bin/python bench/matcher_libs.py

Both automatons get the same folded lexicon keys and scan the same key views
(normalization excluded). Reported: build time, scans per second, and how many
matches each returns: the bot needs every overlapping match (a rule's cue may
sit inside another rule's longer term), which pyahocorasick gives only with
``iter`` (not ``iter_long``, which drops the shorter overlapping ones).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import ahocorasick_rs  # noqa: E402

from bench.mix import ROOT, mix  # noqa: E402
from qungui.core.matcher import load_lexicons  # noqa: E402
from qungui.core.text import fold, normalize  # noqa: E402


def timed(fn, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t)
    return best


def main() -> int:
    try:
        import ahocorasick
    except ImportError:
        print("pyahocorasick is not installed: .venv/bin/pip install pyahocorasick", file=sys.stderr)
        return 2
    keys = sorted({k for _, _, term in load_lexicons(ROOT / "qungui" / "rules" / "lexicons") if (k := fold(term))})
    texts = [normalize(d["text"]).key for d in mix(20_000)]
    chars = sum(map(len, texts))
    print(f"{len(keys)} lexicon keys, {len(texts)} messages, {chars / len(texts):.1f} key chars each")

    rs = {}
    rs_build = timed(lambda: rs.setdefault("a", ahocorasick_rs.AhoCorasick(keys)))
    rs_auto = ahocorasick_rs.AhoCorasick(keys)

    def py_make():
        a = ahocorasick.Automaton()
        for i, k in enumerate(keys):
            a.add_word(k, i)
        a.make_automaton()
        return a

    py_build = timed(py_make)
    py_auto = py_make()

    def rs_scan():
        return sum(len(rs_auto.find_matches_as_indexes(t, overlapping=True)) for t in texts)

    def py_scan():
        return sum(sum(1 for _ in py_auto.iter(t)) for t in texts)

    def py_scan_long():
        return sum(sum(1 for _ in py_auto.iter_long(t)) for t in texts)

    rows = [("ahocorasick-rs (overlapping)", rs_build, timed(rs_scan), rs_scan()),
            ("pyahocorasick iter", py_build, timed(py_scan), py_scan()),
            ("pyahocorasick iter_long", py_build, timed(py_scan_long), py_scan_long())]
    print(f"{'library':32} {'build ms':>9} {'msg/s':>11} {'matches':>8}")
    for name, build, scan, n in rows:
        print(f"{name:32} {build * 1000:9.1f} {len(texts) / scan:11,.0f} {n:8}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
