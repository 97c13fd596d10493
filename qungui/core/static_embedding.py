"""A static word-vector table distilled from the sentence encoder.

The model2vec method: every word of a vocabulary (the frequent words of
jieba's dictionary, the words of the training corpora, and single
characters) was passed through the sentence encoder alone once, at build
time (``tools/build_static.py``); the vectors were reduced by PCA and
weighted by how rare the word is (SIF: ``a / (a + p(word))``). A message's
static vector is then the normalized sum of its words' rows: a table look-up
per word, microseconds for a message, where the encoder takes milliseconds.

It carries what the encoder knows about single words — that 宝马 and 提车
are about cars, 减肥 about private life — to words the training corpora
never had, so that the decision stage's first tier can judge the meaning
of most messages without the encoder.

The table travels inside the decision model's file (``pipeline/decision.py``),
which was trained on it; ``tools/build_static.py`` writes it alone as a
.npz (``qungui-static-1``: ``words``, V strings; ``vectors``, V × d float16,
already weighted; ``source``, what it was distilled from) for training. A
word the table lacks is read as its Chinese characters; a token without a
letter (digits, dates, prices, punctuation) counts for nothing, so that no
rule can fire on numbers alone.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

import numpy as np

from qungui.core import nlp
from qungui.core.nlp import jieba

FORMAT = "qungui-static-1"
# where tools/build_static.py writes it and tools/train_decision.py reads it
BUILT_TABLE = Path.home() / ".cache" / "qungui" / "static.npz"
# what the table reads of a message, as the encoder does
MAX_CHARS = 256


def _cjk(ch: str) -> bool:
    return "\u3400" <= ch <= "\u9fff" or "\uf900" <= ch <= "\ufaff"


class StaticTableError(ValueError):
    """The table file is missing or not a table."""


class StaticTable:
    def __init__(self, words, vectors: np.ndarray, source: str = ""):
        self.index = {str(w): i for i, w in enumerate(words)}
        self.vectors = np.asarray(vectors, dtype=np.float32)
        self.dim = self.vectors.shape[1]
        self.longest = max((len(w) for w in self.index), default=1)
        self.source = source

    @classmethod
    def load(cls, path: str | Path = BUILT_TABLE) -> "StaticTable":
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                if str(z["format"]) != FORMAT:
                    raise StaticTableError(f"{path}: not a {FORMAT} table")
                words, vectors = z["words"], z["vectors"]
                source = str(z["source"]) if "source" in z.files else ""
        except FileNotFoundError:
            raise StaticTableError(f"{path}: no such table file") from None
        except (OSError, KeyError, ValueError, zipfile.BadZipFile) as exc:
            raise StaticTableError(f"{path}: not a table file ({exc})") from None
        if vectors.ndim != 2 or len(words) != len(vectors):
            raise StaticTableError(f"{path}: {len(words)} words for {vectors.shape} vectors")
        return cls(words, vectors, source)

    def save(self, path: str | Path, source: str = "") -> None:
        words = sorted(self.index, key=self.index.get)
        np.savez_compressed(path, format=np.array(FORMAT), words=np.array(words),
                            vectors=self.vectors.astype(np.float16),
                            source=np.array(source or self.source))

    def rows(self, text: str) -> list[int]:
        """The table rows of the words of ``text`` (a word it lacks, by its characters)."""
        nlp.init()
        out = []
        get = self.index.get
        for word in jieba.lcut(text[:MAX_CHARS], HMM=False):
            if not any(ch.isalpha() for ch in word):
                continue        # digits, dates, prices, punctuation: no meaning of their own
            i = get(word)
            if i is not None:
                out.append(i)
            elif len(word) > 1:
                # an unknown word by its Chinese characters (not by the letters of a Latin one)
                out.extend(j for j in map(get, filter(_cjk, word)) if j is not None)
        return out

    def vector(self, text: str) -> np.ndarray:
        """The message's static vector, unit length (zeros if no word is known)."""
        rows = self.rows(text)
        if not rows:
            return np.zeros(self.dim, dtype=np.float32)
        v = self.vectors[rows].sum(axis=0)
        n = float(np.linalg.norm(v))
        return v / n if n > 0 else v

