"""jieba in its compact form: the same words, the same keywords, as jieba
with its own dict and ``jieba.analyse``."""

from __future__ import annotations

import json
from pathlib import Path

import jieba
import pytest

from qungui.core import nlp

CORPUS = Path(__file__).resolve().parents[1] / "qungui" / "rules" / "corpus"


@pytest.fixture(scope="module")
def texts() -> list[str]:
    lines = []
    for name in ("dev.jsonl", "test.jsonl"):
        lines += [json.loads(line)["text"] for line in
                  (CORPUS / name).read_text(encoding="utf-8").splitlines() if line.strip()]
    return lines[::3][:600] + ["", "   ", "abc DEF 123", "𠮷野家 ｗｅｃｈａｔ ☆彡"]


@pytest.fixture(scope="module")
def plain_jieba():
    """jieba as it loads itself: its prefix dictionary in a dict."""
    nlp.init()
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    assert isinstance(tokenizer.FREQ, dict) and not isinstance(jieba.dt.FREQ, dict)
    return tokenizer


def test_the_compact_dictionary_cuts_as_jieba_does(texts, plain_jieba):
    for text in texts:
        for hmm in (True, False):
            assert jieba.lcut(text, HMM=hmm) == plain_jieba.lcut(text, HMM=hmm), text
    assert len(jieba.dt.FREQ) == len(plain_jieba.FREQ)
    assert jieba.dt.total == plain_jieba.total


def test_keywords_are_jiebas_tfidf_keywords(texts, plain_jieba):
    from jieba.analyse.tfidf import TFIDF

    tfidf = TFIDF()
    tfidf.tokenizer = plain_jieba
    for text in texts:
        for top in (5, 30):
            assert nlp.keywords(text, top=top) == tfidf.extract_tags(text, topK=top), text


def test_a_table_is_made_once_and_read_back(tmp_path, monkeypatch):
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    source = tmp_path / "words.txt"
    source.write_text("x", encoding="utf-8")
    built = []

    def build():
        built.append(1)
        return {"甲": 3, "乙丙": 0, "丁": 7}, 10

    first, n1 = nlp._cached("test", str(source), build)
    again, n2 = nlp._cached("test", str(source), build)
    assert built == [1] and n1 == n2 == 10
    freq = nlp.Frequencies(again)
    assert freq["丁"] == 7 and freq.get("乙丙") == 0 and "乙丙" in freq
    assert "戊" not in freq and freq.get("戊", 1) == 1
    with pytest.raises(KeyError):
        freq["戊"]
    freq["戊"] = 5              # what jieba.add_word does
    freq["丁"] = 9
    assert freq["戊"] == 5 and freq["丁"] == 9 and len(freq) == 4
    # a copy that cannot be read is made again
    next(tmp_path.glob("qungui-test-*.npz")).write_bytes(b"not numpy")
    nlp._cached("test", str(source), build)
    assert built == [1, 1]


def test_jieba_is_imported_without_pkg_resources():
    """jieba reads its dictionary through pkg_resources where it can import
    it (0.2 s of start-up); the bot has it open the same file directly."""
    import subprocess
    import sys
    code = ("import sys; from qungui.core import nlp; "
            "print('pkg_resources' in sys.modules, len(list(nlp.jieba.cut('市委常委会研究干部调整'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    imported, words = out.stdout.split()
    assert imported == "False" and int(words) > 1


@pytest.mark.parametrize("text, where", [
    ("澜州跨境电商综试区建设推进工作群", {"澜州"}),         # a name no dictionary holds
    ("临江市青年志愿服务项目对接群", {"临江市"}),
    ("统筹杭州、宁波两地口岸通关协作", {"杭州", "宁波"}),   # names the dictionary holds
    ("招商引资专项工作群", set()),
])
def test_places_are_the_place_names_jieba_tags(text, where):
    assert nlp.places(text) == where


def test_reading_places_leaves_jieba_posseg_whole():
    """places() builds its tagger without jieba.posseg's own tag table; a
    later import of jieba.posseg still tags as jieba does."""
    nlp.places("澜州跨境电商综试区建设推进工作群")
    import jieba.posseg
    assert [p.flag for p in jieba.posseg.cut("北京市委研究干部调整")][:2] == ["nt", "vn"]
