"""Build the static word-vector table (~/.cache/qungui/static.npz).

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python tools/build_static.py

The vocabulary is the ``--top`` most frequent words of jieba's dictionary,
every word seen at least twice in the training corpora (the same files as
``tools/train_decision.py`` reads; never test, holdout, blind or public
held-out files) and every character of those. Each word goes through the
sentence encoder alone (cached in ``--cache``); the vectors are centred,
reduced to ``--dim`` by PCA and weighted by SIF (``a / (a + p)``, ``p`` the
word's share of jieba's dictionary counts). Encoding 40,000 words takes
about ten minutes of one core; with the cache, seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import jieba
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qungui.core import embedding, nlp, static_embedding  # noqa: E402
from tools.train_decision import default_corpora  # noqa: E402


def vocabulary(top: int, corpora: list[Path]) -> tuple[list[str], dict[str, int]]:
    nlp.init()
    dictionary: dict[str, int] = {}
    with open(Path(jieba.__file__).parent / "dict.txt", encoding="utf-8") as f:
        for line in f:
            word, freq, *_ = line.split()
            dictionary[word] = int(freq)
    frequent = sorted(dictionary, key=dictionary.get, reverse=True)[:top]
    seen: Counter[str] = Counter()
    for path in corpora:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                text = json.loads(line)["text"][:static_embedding.MAX_CHARS]
                seen.update(w for w in jieba.lcut(text, HMM=False) if w.strip())
    words = set(frequent) | {w for w, c in seen.items() if c >= 2}
    words |= {ch for w in list(words) for ch in w}
    words = sorted(w for w in words if w.strip() and len(w) <= 12)
    return words, dictionary


def encode_words(words: list[str], cache: Path | None) -> np.ndarray:
    known: dict[str, np.ndarray] = {}
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            known = {str(w): v for w, v in zip(z["words"], z["vectors"])}
    todo = [w for w in words if w not in known]
    enc = embedding.encoder()
    t0 = time.time()
    for i in range(0, len(todo), 256):
        chunk = todo[i:i + 256]
        for w, v in zip(chunk, enc.encode(chunk)):
            known[w] = v
        if i and i % 5120 == 0:
            print(f"  {i} of {len(todo)} words encoded ({time.time() - t0:.0f} s)", flush=True)
    if cache is not None and todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(known)
        np.savez(cache, words=np.array(keys), vectors=np.stack([known[k] for k in keys]))
    print(f"{len(todo)} words encoded, {len(words) - len(todo)} from the cache")
    return np.stack([known[w] for w in words]).astype(np.float64)


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=static_embedding.BUILT_TABLE)
    p.add_argument("--top", type=int, default=30000, help="words of jieba's dictionary, by frequency")
    p.add_argument("--dim", type=int, default=64, help="dimensions kept by PCA")
    p.add_argument("--sif", type=float, default=1e-4, help="SIF weighting's a")
    p.add_argument("--cache", type=Path,
                   default=Path.home() / ".cache" / "qungui" / "word_embeddings.npz")
    return p


def main() -> int:
    args = parser().parse_args()
    words, dictionary = vocabulary(args.top, default_corpora())
    print(f"{len(words)} words")
    X = encode_words(words, args.cache)
    X -= X.mean(axis=0)
    _, _, vt = np.linalg.svd(X, full_matrices=False)
    Y = X @ vt[:args.dim].T
    total = float(sum(dictionary.values()))
    rare = min(dictionary.values()) / total
    p = np.array([dictionary.get(w, 0) / total or rare for w in words])
    Y *= (args.sif / (args.sif + p))[:, None]
    table = static_embedding.StaticTable(words, Y.astype(np.float32))
    source = (f"{embedding.NAME}, {len(words)} words (jieba top {args.top} and the training "
              f"corpora), PCA {args.dim}, SIF a={args.sif}")
    table.save(args.out, source=source)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB): {source}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
