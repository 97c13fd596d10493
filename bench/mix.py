"""A realistic message mix for the benchmarks: mostly ordinary work talk.

Work groups are mostly clean, so the mix is every clean message of the
labelled corpus plus one violation for every nine clean ones (about 10%),
repeated to the size asked for.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = (ROOT / "qungui" / "rules" / "corpus" / "dev.jsonl", ROOT / "qungui" / "rules" / "corpus" / "test.jsonl")


def corpus_lines() -> list[dict]:
    return [json.loads(line) for path in CORPORA
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mix(size: int, seed: int = 7) -> list[dict]:
    lines = corpus_lines()
    clean = [d for d in lines if not d["labels"]]
    bad = [d for d in lines if d["labels"]]
    rng = random.Random(seed)
    rng.shuffle(bad)
    base = clean + bad[: max(1, len(clean) // 9)]
    rng.shuffle(base)
    return list(itertools.islice(itertools.cycle(base), size))
