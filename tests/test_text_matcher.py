"""Normalization views and the shared automaton."""

from __future__ import annotations

from qungui.core.matcher import ALLOW, ALLOW_PHRASE, Hit, Matcher
from qungui.core.text import fold, normalize


def quotes(matcher, text, rule="x"):
    return [h.quote for h in matcher.scan(normalize(text)).get(rule, [])]


def test_views_and_offsets():
    n = normalize("機密★１年，請勿外傳")
    assert n.plain == "机密★1年,请勿外传"
    assert n.key == "机密1年请勿外传"
    a, b = n.key_span(0, 2)
    assert n.original[a:b] == "機密"


def test_disguises_fold_to_the_same_key():
    assert fold("代 购") == fold("代-购") == fold("代\u200b购") == fold("代購") == "代购"
    assert fold("ＶＸ") == fold("vx") and fold("①③⑧") == "138"
    assert fold("好好好") == "好" and fold("1000") == "1000"


def test_matcher_overlaps_rules_and_quotes_original():
    m = Matcher([("a", "t", "中国"), ("b", "t", "国人"), ("a", "t", "加微信")])
    hits = m.scan(normalize("我是中國人，加 微 信"))
    assert [h.quote for h in hits["a"]] == ["中國", "加 微 信"]
    assert [h.quote for h in hits["b"]] == ["國人"]
    # only the rules asked for are dispatched
    assert set(m.scan(normalize("中国人"), frozenset({"b"}))) == {"b"}


def test_allow_list_suppresses_inside_longer_phrase_only():
    m = Matcher([("x", "t", "黄片"), ("x", "allow", "三黄片"), ("*", "allow", "税收优惠"),
                 ("x", "t", "优惠")])
    assert quotes(m, "三黄片黄片") == ["黄片"]
    assert quotes(m, "税收优惠政策") == []
    assert quotes(m, "限时优惠") == ["优惠"]


def test_an_allowed_phrase_equal_to_the_term_covers_it():
    """The lexicons' [allow] entries cover only shorter terms (工作顺利 is an
    off-topic greeting and an [allow] entry keeping 顺利 from being one); a
    phrase allowed as a whole covers a term of its own length too."""
    m = Matcher([("x", "t", "钓鱼"), ("x", ALLOW_PHRASE, "钓鱼"), ("y", "t", "工作顺利"),
                 ("y", ALLOW, "工作顺利"), ("y", "t", "顺利"), ("*", ALLOW_PHRASE, "加微信"),
                 ("z", "t", "加微信")])
    hits = m.scan(normalize("周末钓鱼，祝工作顺利，加 微 信"))
    assert "x" not in hits and "z" not in hits
    assert [h.quote for h in hits["y"]] == ["工作顺利"]
    assert [(h.rule, h.term) for h in m.allowed(normalize("去钓鱼加微信"))] == [
        ("x", "钓鱼"), ("*", "加微信")]


def test_latin_terms_match_whole_words():
    m = Matcher([("x", "t", "sex"), ("x", "t", "69")])
    assert quotes(m, "Middlesex 695") == []
    assert quotes(m, "测试sex 69") == ["sex", "69"]


def test_outermost_keeps_the_longest_match_at_each_place():
    from qungui.core.matcher import outermost

    m = Matcher([("x", "t", "我的"), ("x", "t", "我的世界")])
    hits = m.scan(normalize("不是我的也不是我的世界"))["x"]
    assert [h.quote for h in hits] == ["我的", "我的世界", "我的"]        # every overlap
    assert [h.quote for h in outermost(hits)] == ["我的", "我的世界"]


def test_lexicon_terms_survive_folding():
    """A term must not fold to something shorter and broader: 包包 would fold
    to 包 (repeats collapse) and then match every 包 in every message."""
    from pathlib import Path

    from qungui.core.matcher import load_lexicons

    root = Path(__file__).resolve().parent.parent / "qungui" / "rules" / "lexicons"
    bad = [(rule, term, fold(term)) for rule, _, term in load_lexicons(root)
           if len(term) > 1 and len(fold(term)) < 2 and not term.isascii()]
    assert bad == []


def test_styled_and_hidden_disguises():
    assert fold("𝐕𝐗") == "vx" and fold("Ⓥⓧ") == "vx"                 # styled and circled letters
    assert fold("红\u200b包") == fold("红🧧包") == fold("紅包") == "红包"  # zero-width, emoji, traditional
    assert fold("贰零贰陆") == "2026" and fold("⑵⒍") == "26"
    n = normalize("加 V ❤ 信")
    a, b = n.key_span(0, len(n.key))
    assert n.original[a:b] == "加 V ❤ 信"


# --- views and spans for long texts ---------------------------------------

def test_plain_view_is_the_plain_view_with_its_offsets():
    from qungui.core.text import PlainView, plain_view

    text = "Ⓐ\u200bé\u0301ﬁ機密★１年\ufeff㊙ ǅ İstanbul ß ﬃ ㍿ 收到👍 " * 700   # many chunks
    norm = normalize(text)
    view = PlainView.of(text)
    assert plain_view(text) == view.plain == norm.plain
    for i in (0, 1, 2, 3, 17, 4095, 4096, 4097, len(norm.plain) // 2, len(norm.plain) - 1):
        assert view.offset(i) == norm.plain_offsets[i]
        assert view.quote(i, i + 1) == norm.quote_plain(i, i + 1)
    assert view.offset(len(norm.plain)) == len(text)
    assert PlainView.of("").plain == "" and PlainView.of("").offset(0) == 0


def test_spans_answer_containment_as_a_loop_over_them_would():
    import random

    from qungui.core.matcher import Spans

    rng = random.Random(4)
    for _ in range(300):
        spans = [Hit("x", "c", "t", a, a + rng.randrange(0, 6), "") for a in
                 (rng.randrange(0, 30) for _ in range(rng.randrange(0, 8)))]
        index = Spans(spans)
        for a in range(0, 32):
            for b in range(a, a + 7):
                assert index.covers(a, b) == any(s.start <= a and b <= s.end for s in spans)
                assert index.covers_longer(a, b) == any(
                    s.start <= a and b <= s.end and s.end - s.start > b - a for s in spans)


def test_allow_list_on_many_hits():
    m = Matcher([("x", "terms", "黄片"), ("x", "allow", "三黄片"), ("*", "allow", "大黄片")])
    hits = m.scan(normalize("三黄片黄片大黄片" * 1000))["x"]
    assert len(hits) == 1000 and {h.quote for h in hits} == {"黄片"}
    assert all(h.start % 8 == 3 for h in hits)


def test_read_view_simplifies_one_for_one_and_keeps_every_offset():
    from qungui.core.text import read_view

    text = "內部名單我發群裏了，處分決定還沒公布。ABC１２３，二〇二六年 高瞻遠矚👍"
    read = read_view(text)
    assert len(read) == len(text)
    assert read == "内部名单我发群里了，处分决定还没公布。ABC１２３，二〇二六年 高瞻远瞩👍"
    # what is not a traditional character stays as written: case, width, 〇 in a
    # date, and every character of the simplified set, whatever t2s makes of it
    for text in ("PDF ｐｄｆ 二〇二六", "帐篷200顶，台帐已建立", "《哪吒2》", "乾隆五十二年", "著名的於潜"):
        assert read_view(text) == text
    # a traditional character reads as the plain view reads it
    for ch in "內單發裏處決還說遠矚滷":
        assert read_view(ch) == normalize(ch).plain != ch
    # in a traditional message, phrase by phrase: characters of the simplified set
    # that traditional writing uses otherwise (會後, 關於, 徵稿, 答覆, 壓著)
    for text, read in [("會議內容會後按程序傳達", "会议内容会后按程序传达"),
                       ("關於全市幹部調整的請示", "关于全市干部调整的请示"),
                       ("內部交流材料的徵稿通知我發羣裏了", "内部交流材料的征稿通知我发群里了"),
                       ("我答覆統一按程序報名", "我答复统一按程序报名"),
                       ("院裡壓著不讓家屬往外說", "院里压着不让家属往外说"),
                       ("著名專家，顯著進步，乾隆年間的帳篷", "著名专家，显著进步，乾隆年间的帐篷")]:
        assert read_view(text) == read and len(read) == len(text)

