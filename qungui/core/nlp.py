"""jieba, loaded once per process, in a compact form that loads in
milliseconds.

jieba's own start reads its whole prefix dictionary (about 500,000 words and
word prefixes with their frequencies) into a dict: about a second of one
core and 65 MB (the IDF table as well: 13 MB). Here the same table is kept
as two sorted arrays, the words' 64-bit hashes (BLAKE2b) and their
frequencies, read with numpy from a binary copy made from jieba's dictionary
once per machine (in the temporary directory, as jieba keeps its own cache);
a word is looked up by bisection, and the words a process has looked up are
remembered in a bounded dict. jieba's tokenizer is then handed this table in
place of its dict: it segments exactly as before (``tests/test_nlp.py``
compares them).

Keywords are jieba's TF-IDF keywords (``jieba.analyse.extract_tags``)
worked out here, the same words in the same order, without importing
``jieba.analyse`` (which loads the part-of-speech tagger's tables and
parses its IDF table from text at import, close to a second); the IDF
table is kept the same compact way.
"""

from __future__ import annotations

import hashlib
import io
from array import array
from bisect import bisect_left
import logging
import os
import tempfile
import threading

import numpy as np


def _import_jieba():
    """jieba, imported without pkg_resources. jieba reads its dictionary
    through pkg_resources where it can import it, which costs about 0.2 s of
    start-up (and a deprecation warning with newer setuptools); without it,
    it opens the same file in its package folder."""
    import sys
    if "jieba" in sys.modules or "pkg_resources" in sys.modules:
        import jieba
        return jieba
    sys.modules["pkg_resources"] = None         # makes the import fail
    try:
        import jieba
    finally:
        del sys.modules["pkg_resources"]
    return jieba


jieba = _import_jieba()
jieba.setLogLevel(logging.WARNING)
log = logging.getLogger(__name__)
_lock = threading.Lock()
_ready = False
_idf: "Table | None" = None
_median_idf = 0.0

IDF_TEXT = os.path.join(os.path.dirname(jieba.__file__), "analyse", "idf.txt")
FORMAT = 1            # of the binary copies; a new format is a new file name
# words looked up remembered at most (then forgotten all at once)
REMEMBERED = 500_000
# jieba.analyse.tfidf.KeywordExtractor.STOP_WORDS
STOP_WORDS = frozenset((
    "the", "of", "is", "and", "to", "in", "that", "we", "for", "an", "are",
    "by", "be", "as", "on", "with", "can", "if", "from", "which", "you", "it",
    "this", "then", "at", "have", "all", "not", "one", "has", "or", "that"))


def word_hash(word: str) -> int:
    return int.from_bytes(hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest(),
                          "little")


class Table:
    """word -> number, as sorted 64-bit hashes of the words and their values."""

    def __init__(self, hashes: np.ndarray, values: np.ndarray):
        self.hashes, self.values = hashes, values
        # the same as arrays of the standard library: bisect reads them
        # without numpy's overhead per call
        self._hashes = array("Q", np.ascontiguousarray(hashes, dtype=np.uint64).tobytes())
        self._values = (array("d", np.ascontiguousarray(values, dtype=np.float64).tobytes())
                        if values.dtype.kind == "f" else
                        array("q", np.ascontiguousarray(values, dtype=np.int64).tobytes()))

    @classmethod
    def of(cls, mapping: dict) -> "Table":
        hashes = np.fromiter(map(word_hash, mapping), dtype=np.uint64, count=len(mapping))
        values = np.fromiter(mapping.values(), count=len(mapping),
                             dtype=np.float64 if any(isinstance(v, float) for v in
                                                     mapping.values()) else np.int64)
        order = np.argsort(hashes, kind="stable")
        hashes, values = hashes[order], values[order]
        if len(hashes) > 1 and bool((hashes[1:] == hashes[:-1]).any()):
            raise ValueError("two words with one hash")     # 2^-64 per pair: never seen
        return cls(hashes, values)

    def __len__(self) -> int:
        return len(self.hashes)

    def get(self, word: str, default=None):
        h = word_hash(word)
        hashes = self._hashes
        i = bisect_left(hashes, h)
        if i < len(hashes) and hashes[i] == h:
            return self._values[i]
        return default


class Frequencies:
    """jieba's prefix dictionary (word -> frequency, 0 for a prefix that is
    no word) as its tokenizer reads it: ``in``, ``[]`` and ``get``."""

    __slots__ = ("_table", "_seen", "_added")

    def __init__(self, table: Table):
        self._table = table
        self._seen: dict[str, int | None] = {}
        self._added: dict[str, int] = {}     # jieba.add_word and the like

    def get(self, word: str, default=None):
        seen = self._seen
        try:
            value = seen[word]
        except KeyError:
            value = self._added.get(word)
            if value is None:
                value = self._table.get(word)
            if len(seen) >= REMEMBERED:
                seen.clear()
            seen[word] = value
        return default if value is None else value

    def __contains__(self, word: str) -> bool:
        return self.get(word) is not None

    def __getitem__(self, word: str) -> int:
        value = self.get(word)
        if value is None:
            raise KeyError(word)
        return value

    def __setitem__(self, word: str, value: int) -> None:
        self._added[word] = value
        self._seen.pop(word, None)

    def __len__(self) -> int:
        return len(self._table) + sum(1 for w in self._added if self._table.get(w) is None)


def _cached(name: str, source: str, build) -> tuple[Table, float]:
    """The table made by ``build()`` -> (mapping, number), from its binary
    copy in the temporary directory if there is one for this ``source``."""
    st = os.stat(source)
    path = os.path.join(tempfile.gettempdir(),
                        f"qungui-{name}-{FORMAT}-{st.st_size}-{int(st.st_mtime)}.npz")
    try:
        with np.load(path, allow_pickle=False) as z:
            return Table(z["hashes"], z["values"]), float(z["number"])
    except (OSError, ValueError, KeyError):
        pass
    mapping, number = build()
    table = Table.of(mapping)
    try:
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=f".qungui-{name}-",
                                   suffix=".npz")
        with os.fdopen(fd, "wb") as f:
            np.savez(f, hashes=table.hashes, values=table.values, number=np.float64(number))
        os.replace(tmp, path)
    except OSError as exc:      # a read-only temp dir: built again next time
        log.info("%s not written (%s)", path, exc)
    return table, number


def read_idf_text(path: str = IDF_TEXT) -> tuple[dict[str, float], float]:
    """jieba's IDF table as jieba reads it: word -> IDF, and the median IDF."""
    with open(path, "rb") as f:
        content = f.read().decode("utf-8")
    idf: dict[str, float] = {}
    for line in content.splitlines():
        word, freq = line.strip().split(" ")
        idf[word] = float(freq)
    return idf, sorted(idf.values())[len(idf) // 2]


def init() -> None:
    global _ready, _idf, _median_idf
    with _lock:
        if _ready:
            return
        dt = jieba.dt
        with dt.lock:
            if not dt.initialized:
                source = dt.dictionary or os.path.join(os.path.dirname(jieba.__file__),
                                                       jieba.DEFAULT_DICT_NAME)
                table, total = _cached("words", source,
                                       lambda: dt.gen_pfdict(dt.get_dict_file()))
                dt.FREQ, dt.total = Frequencies(table), int(total)
                dt.initialized = True
        _idf, _median_idf = _cached("idf", IDF_TEXT, read_idf_text)
        _ready = True


def cut(text: str) -> list[str]:
    init()
    return [w for w in jieba.lcut(text) if w.strip()]


_pos = None


class _PlaceTags:
    """The part of jieba's word -> tag table the place reading needs: ``ns``
    for a place in the dictionary, else the default (a binary copy, not the
    whole dictionary read again at the first message)."""

    def __init__(self, table: Table):
        self._table = table

    def get(self, word: str, default=None):
        return "ns" if self._table.get(word) is not None else default

    def update(self, other) -> None:        # jieba's user-dictionary tags: none here
        pass


def _read_places(path: str) -> tuple[dict[str, int], float]:
    with open(path, "rb") as f:
        content = f.read().decode("utf-8")
    found = {}
    for line in content.splitlines():
        parts = line.split(" ")
        if len(parts) == 3 and parts[2] == "ns":
            found[parts[0]] = 1
    return found, float(len(found))


def _import_posseg():
    """jieba.posseg's classes, whose module import builds a tagger over the
    whole dictionary (about 0.3 s): here it is handed an empty one, then the
    module is forgotten (a later import builds its own), and ``places`` gives
    its own tagger the binary copy of the part it reads."""
    import sys
    if "jieba.posseg" in sys.modules:
        return sys.modules["jieba.posseg"]
    jieba.dt.get_dict_file = lambda: io.BytesIO(b"")
    try:
        from jieba import posseg
    finally:
        del jieba.dt.get_dict_file
        # the module keeps its own tagger with the empty table: not left for
        # another import (jieba.posseg, jieba.analyse.textrank) to find
        sys.modules.pop("jieba.posseg", None)
        if getattr(jieba, "posseg", None) is not None:
            del jieba.posseg
    return posseg


def places(text: str) -> frozenset[str]:
    """The place names in ``text`` (jieba's part-of-speech tag ``ns``; a
    name the dictionary lacks, 澜州 or 东湾, is tagged by its HMM)."""
    global _pos
    init()
    if _pos is None:
        with _lock:
            if _pos is None:
                source = jieba.dt.dictionary or os.path.join(os.path.dirname(jieba.__file__),
                                                             jieba.DEFAULT_DICT_NAME)
                posseg = _import_posseg()
                tagger = posseg.POSTokenizer.__new__(posseg.POSTokenizer)
                tagger.tokenizer = jieba.dt
                table, _ = _cached("places", source, lambda: _read_places(source))
                tagger.word_tag_tab = _PlaceTags(table)
                _pos = tagger
    return frozenset(p.word for p in _pos.cut(text) if p.flag == "ns" and len(p.word) >= 2)


def frequency(word: str) -> int:
    """The word's count in jieba's dictionary (0 for a word it does not know)."""
    init()
    return jieba.dt.FREQ.get(word) or 0


def known(word: str) -> bool:
    """The word is in jieba's dictionary."""
    return frequency(word) > 0


def keywords(text: str, top: int = 20) -> list[str]:
    """The ``top`` words of ``text`` by TF-IDF, as jieba.analyse.extract_tags."""
    init()
    freq: dict[str, float] = {}
    for w in jieba.dt.cut(text):
        if len(w.strip()) < 2 or w.lower() in STOP_WORDS:
            continue
        freq[w] = freq.get(w, 0.0) + 1.0
    total = sum(freq.values())
    for k in freq:
        freq[k] *= _idf.get(k, _median_idf) / total
    tags = sorted(freq, key=freq.__getitem__, reverse=True)
    return tags[:top] if top else tags
