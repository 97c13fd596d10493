"""The decision stage (pipeline/decision.py): one calibrated decision per
content rule, loaded once, deterministic, switchable, never fired by a
surface feature alone, and worth its place on text nobody here wrote."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from qungui.core import embedding
from qungui.core.events import Member, Message, MessageType, Room
from qungui.core.plugin import Finding, make_context
from qungui.pipeline import decision
from qungui.pipeline.engine import Moderator
from qungui.pipeline.evaluation import T0, content_rules, evaluate, load_corpus
from qungui.plugins import load_plugins

CONTENT_RULES = content_rules(load_plugins())
ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "qungui" / "rules" / "corpus"
PUBLIC = CORPUS / "public"
# never trained on: the team's held-out sets and each public source's held-out part
HELD_OUT = ("holdout.jsonl", "test.jsonl")


def off(rulebook):
    return replace(rulebook, learned=replace(rulebook.learned, enabled=False))


@pytest.fixture(scope="module")
def moderator(rulebook, plugins, matcher):
    return Moderator(None, rulebook, plugins, matcher)


@pytest.fixture(scope="module")
def held_out(plugins):
    return [s for name in HELD_OUT for s in load_corpus(CORPUS / name, plugins)]


def _room(topic="市委常委工作群", purpose="常委会议题沟通、重点工作部署与督办"):
    owner = Member("owner", "王建国", "王建国-市委-书记")
    return Room(id="r", topic=topic, purpose=purpose, owner_id="owner", members={"owner": owner})


def _message(text: str, i: int = 0, **kw) -> Message:
    return Message(id=f"m{i}", room_id="r", sender_id="u", ts=T0, text=text, **kw)


def _rules(moderator, text, room=None, **kw):
    findings, _ = moderator.inspect(_message(text, **kw), room or _room())
    book = moderator.rulebook
    return {f.rule for f in findings if f.score >= book.rules[f.rule].threshold}


# -- the model file -----------------------------------------------------------

def test_the_model_is_read_once_per_process(rulebook, plugins, matcher):
    first = Moderator(None, rulebook, plugins, matcher)
    second = Moderator(None, rulebook, plugins, matcher)
    assert first.model is not None and first.model is second.model
    assert decision.load() is first.model
    assert Moderator(None, off(rulebook), plugins, matcher).model is None


def test_the_shipped_model_covers_the_content_rules_and_never_saw_held_out_text():
    model = decision.load()
    assert set(model.rules) == set(CONTENT_RULES)
    trained_on = set(model.meta["trained_on"])
    assert not trained_on & {"test.jsonl", "holdout.jsonl"}
    assert not any("heldout" in name or name.startswith("blind") for name in trained_on)
    # a corpus added beside the others without retraining would be silently ignored
    expected = {p.name for p in [CORPUS / "dev.jsonl", *CORPUS.glob("extra*.jsonl"),
                                 *CORPUS.glob("outside*.jsonl"), *CORPUS.glob("candidate*.jsonl"),
                                 *PUBLIC.glob("*_train.jsonl")]}
    assert trained_on == expected
    assert np.all((model.threshold >= 0.5) & (model.threshold <= 1))
    assert np.all(model.keep <= model.threshold)


@pytest.mark.parametrize("content, error", [
    (None, "no such model file"),
    (b"not a zip", "not a model file"),
])
def test_a_bad_model_file_is_named(tmp_path, content, error):
    path = tmp_path / "m.npz"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(decision.ModelError, match=error):
        decision.DecisionModel.load(path)


def test_a_model_file_of_another_format_is_refused(tmp_path):
    path = tmp_path / "m.npz"
    np.savez(path, format=np.array("something-else"))
    with pytest.raises(decision.ModelError, match="not a qungui-decision-1 model file"):
        decision.DecisionModel.load(path)


def test_a_saved_model_reads_back_the_same(tmp_path):
    model = decision.load()
    path = tmp_path / "copy.npz"
    model.save(path, trained_on=model.meta["trained_on"])
    again = decision.DecisionModel.load(path)
    assert again.rules == model.rules and again.ngram_index == model.ngram_index
    assert np.allclose(again.threshold, model.threshold)
    assert np.array_equal(again.add_hi, model.add_hi) and np.array_equal(again.gate_hi, model.gate_hi)
    assert again.meta["trained_on"] == model.meta["trained_on"]


def test_a_model_file_from_before_add_hi_never_finds_without_the_encoder(tmp_path):
    model = decision.load()
    path = tmp_path / "older.npz"
    model.save(path, trained_on=model.meta["trained_on"])
    with np.load(path) as z:
        data = {k: z[k] for k in z.files if k != "add_hi"}
    np.savez(path, **data)
    older = decision.DecisionModel.load(path)
    assert np.isinf(older.add_hi).all() and older.add_hi.shape == (len(older.rules),)


def test_decisions_are_deterministic(moderator):
    text = "跟着您干心里就是踏实，这个思路太有水平了"
    first = moderator.inspect(_message(text), _room())[0]
    assert all(moderator.inspect(_message(text), _room())[0] == first for _ in range(3))


# -- what it must never do ------------------------------------------------------

DIGITS = [
    "2026-11-20 09:30",
    "第12集 第13集 第14集",
    "https://www.gov.cn/zhengce/2026-11/20/content_123456.htm",
    "12.5%  36.8%  105,320  7,802",
    "0731-88886666 13800138000",
    "一季度 1.2亿 二季度 3.4亿 三季度 5.6亿",
]


@pytest.mark.parametrize("text", DIGITS)
def test_digits_alone_never_fire(moderator, text):
    # dates, links, episode numbers and statistics are no price and no rumour
    assert _rules(moderator, text) == set()
    model = moderator.model
    ctx = make_context(_message(text), _room(), moderator.matcher, moderator.params)
    z = model.bias + model.ngram_part(decision.ngram_features(ctx.norm)) + model.emb_mean
    if model.static is not None:
        z = z + model.w_static @ model.static_vector(ctx)
    assert np.all(np.array(model.probabilities(z.tolist())) < model.threshold), \
        "n-grams of digits reach a rule"


@pytest.mark.parametrize("text", [
    "网传“明天全市停水三天”系谣言，经核实，供水正常，请大家不要转发",
    "关于“某小学门口有人抢孩子”的说法，公安局已核查，系不实信息",
    "群里有人说下月起工资停发，这个消息属实吗？请办公室核实一下",
    "辟谣：近期流传的“水库即将决堤”视频为外地旧视频，我县水库运行正常",
])
def test_a_refutation_or_a_request_to_verify_is_not_a_rumour(moderator, text):
    assert "rumor" not in _rules(moderator, text)


@pytest.mark.parametrize("text", [
    "不要把群众身份证 手机号这种表格发群里！！统一走系统 涉及个人信息的表格必须加密传 刚才发的赶紧撤回",
    "提醒各科室：考生信息表属于工作秘密，不得截图外发，只在内网系统里查看",
    "《城市绿化条例（修订草案）》征求意见稿已在市人大网站公开挂网，请把链接转给各小区物业",
    "拟提拔干部任前公示已在县委组织部网站发布，公示期五个工作日，请大家监督",
    "@小钱 刚才那几张图先撤了。各站下周把走访情况汇总上报，周五前",
])
def test_a_secrecy_reminder_or_a_published_matter_is_not_a_leak(moderator, text):
    assert "classified" not in _rules(moderator, text)


@pytest.mark.parametrize("text", [
    "认真学习贯彻党中央关于全面深化改革的决策部署，结合我县实际抓好落实",
    "坚决拥护中央八项规定精神，这是对干部最好的爱护",
    "国务院出台的稳就业政策很及时，我们街道要尽快把补贴发到位",
    "转发：中央经济工作会议精神解读，请各位认真学习",
    # a rebuke of another's remark, in defence of the policy
    "@小黄 促进两岸融合发展是中央对台工作的大政方针，我们基层的任务就是把政策落到每一个家庭。"
    "工作群说话请注意分寸",
])
def test_supporting_a_central_policy_is_not_improper_comment(moderator, text):
    assert "central_policy" not in _rules(moderator, text)


def test_a_strong_lexicon_finding_stands_whatever_the_model_says(moderator):
    # a 密级 marking is objective evidence: decisive, never lowered
    text = "机密★1年 关于干部调整的请示，大家先看看"
    findings, trace = moderator.inspect(_message(text), _room())
    secret = [f for f in findings if f.rule == "classified"]
    assert secret and secret[0].score >= 0.9
    red = _message("恭喜发财，大吉大利", type=MessageType.RED_ENVELOPE, amount=88.0)
    findings, _ = moderator.inspect(red, _room())
    assert "red_envelope" in {f.rule for f in findings if f.score >= 0.6}


# -- the mechanism, on a small model of known weights ---------------------------

def _tiny(bias: float, keep: float = 0.3, threshold: float = 0.8):
    return decision.DecisionModel(
        rules=("gossip",), bias=np.array([bias]), w_lex=np.zeros((1, 4)),
        w_emb=np.zeros((1, embedding.DIM), dtype=np.float32), ngram_index={},
        w_ngram=np.zeros((0, 1)), calib=np.array([[1.0, 0.0]]),
        threshold=np.array([threshold]), keep=np.array([keep]),
        emb_hi=np.array([0.0]), emb_mean=np.array([0.0]), gate_bias=np.zeros(1),
        gate_lex=np.zeros((1, 3)), gate_ngram=np.zeros((0, 1)), gate=np.array([-np.inf]),
        gate_hi=np.array([np.inf]))


def _ctx(moderator, text):
    return make_context(_message(text), _room(), moderator.matcher, moderator.params)


@pytest.mark.parametrize("plain, read", [
    ("王 书 记 英 明 神 武 👍", "王书记英明神武 👍"),
    ("红 包 来 啦 ， 大 家 抢", "红包来啦 , 大家抢"),
    ("让亲戚都 投 给 老 王", "让亲戚都 投给老王"),
    ("你好 世 界 和 平", "你好 世界和平"),
    ("今天 开会 讨论 预算", "今天 开会 讨论 预算"),   # spaces between words stay
    ("请 各位 注意", "请 各位 注意"),
    ("加 V 信 了 解", "加v信了解"),
    ("王\u3000书\u3000记", "王书记"),                # full-width and no-break spaces fold to
    ("王\u00a0书\u00a0记", "王书记"),                # a space in the plain view
    ("王 书 记 𠮷 祥", "王书记𠮷祥"),                # a character outside the basic block
    ("买了2.0 森 笑 2.5 森烧机油的", "买了2.0 森 笑 2.5 森烧机油的"),  # a number's digit is no run
    ("ip 1.2.3.4 5 6", "ip 1.2.3.4 5 6"),
    ("这是 a b 两种", "这是 a b 两种"),             # two characters are no run
])
def test_the_encoder_reads_a_word_spelt_out_one_character_at_a_time_closed_up(moderator, plain, read):
    assert decision.subject(_ctx(moderator, plain)) == read


def test_spelling_a_message_out_changes_no_decision(moderator):
    # the n-grams and the lexicon's automaton read the key view, which has no
    # spaces, and the encoder reads the same words closed up: on these the
    # decision is the same spelt out or not (the first is a held-out message
    # of test.jsonl less its comma: read with its spaces, the ads model put
    # it at 0.3)
    for spaced in ["加 V 信 了 解 高 端 白 酒 批 发 价", "中 央 政 策 就 是 瞎 扯",
                   "老 乡 的 工 程 关 照 一 下", "王 书 记 英 明 神 武", "周 末 去 钓 鱼 吗"]:
        closed = spaced.replace(" ", "")
        got = [(f.rule, f.score) for f in moderator.inspect(_message(spaced), _room())[0]]
        assert got == [(f.rule, f.score) for f in moderator.inspect(_message(closed), _room())[0]]
        assert got, spaced


def test_a_lexicon_finding_the_model_rules_out_is_lowered_and_says_so(moderator):
    ctx = _ctx(moderator, "这个人做事真是拖拖拉拉的")
    spec = {"gossip": moderator.plugins["gossip"].spec}
    mine = Finding("gossip", 0.7, "拖拖拉拉", "对同事品头论足")
    got = decision.decide(_tiny(-6.0), ctx, [mine], spec)
    (f,) = got.findings
    assert f.score == decision.LOWERED_SCORE and got.lowered == ["gossip"]
    assert f.reason.startswith(mine.reason) and "未予认定" in f.reason and "%" in f.reason
    # the same finding, where the model is unsure but not against it, stands
    got = decision.decide(_tiny(-0.5), ctx, [mine], spec)
    assert got.findings == [mine] and not got.lowered


def test_the_model_adds_a_finding_that_says_what_it_rests_on(moderator):
    ctx = _ctx(moderator, "这个人做事真是拖拖拉拉的")
    spec = {"gossip": moderator.plugins["gossip"].spec}
    got = decision.decide(_tiny(4.0), ctx, [], spec)
    (f,) = got.findings
    assert f.rule == "gossip" and f.score >= decision.FIRE_SCORE and got.added == ["gossip"]
    assert "综合判断" in f.reason and f.evidence == ctx.text


def test_a_secret_rules_finding_quotes_none_of_the_words(moderator):
    text = "拟提拔人选名单：张三李四王五，下周常委会研究"
    ctx = _ctx(moderator, text)
    spec = {"classified": moderator.plugins["classified"].spec}
    model = replace(_tiny(4.0), rules=("classified",), ngram_index={"拟提拔": 0, "名单": 1},
                    w_ngram=np.array([[1.0], [1.0]]), gate_ngram=np.zeros((2, 1)))
    (f,) = decision.decide(model, ctx, [], spec).findings
    assert f.rule == "classified" and "sha256" in f.evidence
    assert not any(word in f.evidence + f.reason for word in ("拟提拔", "名单", "张三", "常委会"))


def test_an_acknowledgement_is_never_asked(moderator):
    ctx = _ctx(moderator, "收到，王书记")
    spec = {"gossip": moderator.plugins["gossip"].spec}
    assert decision.decide(_tiny(9.0), ctx, [], spec).findings == []


class _Counting:
    def __init__(self):
        self.calls = 0

    def warm(self):
        pass

    def encode(self, texts):
        self.calls += 1
        return np.zeros((len(texts), embedding.DIM), dtype=np.float32)


def test_a_rule_the_first_tier_is_sure_of_is_found_without_the_encoder(moderator):
    ctx = _ctx(moderator, "这个人做事真是拖拖拉拉的")
    spec = {"gossip": moderator.plugins["gossip"].spec}
    # the full model alone would not fire (its bias is under the operating
    # point), but the embedding could lift it: the encoder is asked
    enc = _Counting()
    model = replace(_tiny(0.5), gate_bias=np.array([3.0]), emb_hi=np.array([5.0]), encoder=enc)
    got = decision.decide(model, ctx, [], spec)
    assert enc.calls == 1 and got.encoded and got.findings == []
    # the first tier at or over the model's add_hi: found without the encoder,
    # at the operating point at least
    sure = replace(model, add_hi=np.array([3.0]))
    got = decision.decide(sure, ctx, [], spec)
    assert enc.calls == 1 and not got.encoded
    (f,) = got.findings
    assert f.rule == "gossip" and f.score >= decision.FIRE_SCORE and got.added == ["gossip"]
    # and says it rests on the words alone
    assert "未经语义判断" in f.reason and "整体语义" not in f.reason and "置信度" not in f.reason
    # just under it, the encoder decides as before
    got = decision.decide(replace(model, add_hi=np.array([3.01])), ctx, [], spec)
    assert enc.calls == 2 and got.findings == []
    # a lexicon finding is not added to: whether it stands is the full model's call
    mine = Finding("gossip", 0.5, "拖拖拉拉", "对同事品头论足")
    got = decision.decide(sure, ctx, [mine], spec)
    assert enc.calls == 3 and got.encoded


def test_the_shipped_first_tier_finds_no_off_topic_alone(moderator):
    """Off-topic is relevance to the room, which the first tier cannot see: it
    read 「/frobnicate」 as chit-chat by its letters. The other rules it may
    find alone where it is sure."""
    model = decision.load()
    assert np.isinf(model.add_hi[model.row["off_topic"]])
    assert np.isfinite(model.add_hi).sum() >= len(model.rules) - 2
    for text in ("/frobnicate", "test message"):
        findings, trace = moderator.inspect(_message(text), _room())
        step = next(t for t in trace if t["plugin"] == "decision")
        # whatever the full model makes of it, the first tier found nothing alone
        assert "off_topic" not in step["rules"] or step["encoded"]
    # (a mistyped command is no chit-chat to the engine: tests/test_engine.py)


class _Down:
    def warm(self):
        pass

    def encode(self, texts):
        raise embedding.EncoderUnavailable("no engine here")


def test_without_the_encoder_the_rest_of_the_evidence_decides(rulebook, plugins, matcher):
    model = replace(decision.load(), encoder=_Down())
    moderator = Moderator(None, rulebook, plugins, matcher, model=model)
    findings, trace = moderator.inspect(_message("本周末去钓鱼吗？新买的鱼竿到了"), _room())
    entry = next(t for t in trace if t["plugin"] == "decision")
    assert entry["encoded"] is False and "error" not in entry
    # a marking still found by the lexicon: the worst miss does not wait for the encoder
    findings, _ = moderator.inspect(_message("秘密★1年 会议纪要"), _room())
    assert "classified" in {f.rule for f in findings}


_THREADS = """
import os
from qungui.core.embedding import SentenceEncoder
import onnxruntime        # loading the library starts one thread that never runs a product
before = len(os.listdir("/proc/self/task"))
enc = SentenceEncoder()
enc.settle()                       # the engines loaded
enc.encode(["今天下午三点开会", "周末去看车展吗",
            "关于做好今冬明春森林防火工作的通知：各乡镇要落实网格化管护责任，进山路口设卡登记，严禁野外用火"])
assert enc.engine_calls["onnx"] == 4      # with the warm-up text
print(len(os.listdir("/proc/self/task")) - before)
"""


@pytest.mark.parametrize("setting, extra", [(None, 0), ("2", 1)])
def test_the_encoder_runs_on_one_thread_unless_told_otherwise(setting, extra):
    """OpenMP or BLAS threads that spin on a core held by another process (a
    second audit worker, the database) make every call several times slower:
    one thread unless OMP_NUM_THREADS asks for more, on either engine."""
    import os
    import subprocess
    import sys
    env = {k: v for k, v in os.environ.items() if k != "OMP_NUM_THREADS"}
    if setting:
        env["OMP_NUM_THREADS"] = setting
    out = subprocess.run([sys.executable, "-c", _THREADS], env=env, cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    assert int(out.stdout.split()[-1]) == extra


def test_the_gate_spares_the_encoder_and_almost_never_changes_a_decision(
        rulebook, plugins, matcher, held_out):
    """Where the encoder is skipped, the first tier placed the message below
    every rule's gate, or so high that the full model would all but surely
    fire the rule (or the embedding could not have changed the outcome):
    asking the encoder every time changes few decisions, and never a
    lexicon finding's."""
    gated = Moderator(None, rulebook, plugins, matcher)
    base = decision.load()
    model = replace(base, emb_hi=np.full(len(base.rules), np.inf),
                    gate=np.full(len(base.rules), -np.inf),
                    add_hi=np.full(len(base.rules), np.inf))
    always = Moderator(None, rulebook, plugins, matcher, model=model)
    skipped = differ = 0
    for s in held_out:
        a, ta = gated.inspect(s.message, s.room)
        b, _ = always.inspect(s.message, s.room)
        fired_a = {f.rule for f in a if f.score >= 0.6}
        fired_b = {f.rule for f in b if f.score >= 0.6}
        differ += fired_a != fired_b
        # a lexicon finding always passes the gate: the same decision on it
        lex = {f.rule for f in gated.lexicon_stage(s.message, s.room)[1]}
        assert fired_a & lex == fired_b & lex, s.text
        skipped += not next((t for t in ta if t["plugin"] == "decision"), {}).get("encoded", True)
    assert differ <= 0.02 * len(held_out)
    assert skipped >= 0.3 * len(held_out), "the gate seldom spared the encoder"


def test_clean_talk_the_model_never_saw_seldom_reaches_the_encoder(rulebook, plugins, matcher,
                                                                    held_out):
    """The gate is set on what the full model flags, not on every true
    violation as well: of the held-out clean messages, few are worth the
    encoder (5 of 196 with the model that ships, 2 with the one before it;
    16 with a gate that also counted the violations the full model misses)."""
    moderator = Moderator(None, rulebook, plugins, matcher)
    clean = [s for s in held_out if not s.labels]
    encoded = 0
    for s in clean:
        _, trace = moderator.inspect(s.message, s.room)
        encoded += next((t for t in trace if t["plugin"] == "decision"), {}).get("encoded", False)
    assert encoded <= 0.04 * len(clean), f"{encoded} of {len(clean)} clean messages encoded"


# -- worth its place ------------------------------------------------------------

def test_the_decision_stage_pays_on_the_teams_held_out_messages(rulebook, plugins, matcher,
                                                                 held_out):
    with_model = evaluate(Moderator(None, rulebook, plugins, matcher), held_out)
    alone = evaluate(Moderator(None, off(rulebook), plugins, matcher), held_out)
    assert with_model.macro_f1 >= alone.macro_f1
    assert with_model.clean_flagged_share <= 0.02


def _public(plugins, name):
    return load_corpus(PUBLIC / f"{name}_heldout.jsonl", plugins)


def _recall(moderator, samples, rule):
    report = evaluate(moderator, samples, [rule])
    return report.rules[rule].recall


@pytest.mark.parametrize("source", ["thucnews", "carreview", "lccc"])
def test_public_off_topic_text_is_caught(moderator, plugins, source):
    # entertainment and sports headlines, car-forum replies, everyday chat:
    # off-topic in a 市委常委群 whatever words they use
    assert _recall(moderator, _public(plugins, source), "off_topic") >= 0.7


def test_public_rumours_stated_as_fact_are_caught(moderator, plugins):
    assert _recall(moderator, _public(plugins, "cedrumor"), "rumor") >= 0.5


def test_public_ordinary_chat_is_not_flagged_by_other_rules(moderator, plugins):
    samples = _public(plugins, "lccc") + _public(plugins, "cold")
    others = [r for r in CONTENT_RULES if r not in ("off_topic", "gossip")]
    report = evaluate(moderator, samples, others)
    flagged = sum(s.fp for s in report.rules.values())
    assert flagged / len(samples) <= 0.01


def test_public_policy_comments_are_told_apart_by_stance(moderator, plugins):
    report = evaluate(moderator, _public(plugins, "nlpccstance"), ["central_policy"])
    score = report.rules["central_policy"]
    assert score.precision >= 0.8 and score.recall >= 0.5
    assert report.clean_flagged_share <= 0.03


# -- the static word vectors ----------------------------------------------------

def _table():
    from qungui.core.static_embedding import StaticTable
    # two directions: "cars" and "work"; 宝马 and 提车 point the first way
    words = ["宝马", "提车", "会议", "材料", "车"]
    vectors = np.array([[1.0, 0.0], [0.8, 0.1], [0.0, 1.0], [0.1, 0.9], [0.5, 0.0]],
                       dtype=np.float32)
    return StaticTable(words, vectors, "test")


def test_a_static_vector_sums_its_words_and_reads_an_unknown_word_by_its_characters():
    table = _table()
    assert np.allclose(table.vector("宝马"), [1.0, 0.0])
    v = table.vector("明天会议材料")
    assert v[1] > 0.99 and np.isclose(np.linalg.norm(v), 1.0)
    # 车队 is not in the table: its character 车 is
    assert np.allclose(table.vector("车队"), [1.0, 0.0])
    assert not table.vector("嗯嗯嗯").any()


def test_static_words_count_in_both_tiers_and_let_the_first_decide(moderator):
    """A rule whose first tier the static words put below its gate is
    decided without the encoder; the same words above it fire the rule."""
    spec = {"gossip": moderator.plugins["gossip"].spec}
    table = _table()
    counted = []

    class Counting:
        def warm(self):
            pass

        def encode(self, texts):
            counted.append(texts)
            return np.zeros((len(texts), embedding.DIM), dtype=np.float32)

    model = replace(_tiny(-3.0), static=table, w_static=np.array([[6.0, -6.0]]),
                    gate_static=np.array([[6.0, -6.0]]), gate=np.array([0.0]),
                    encoder=Counting())
    work = decision.decide(model, _ctx(moderator, "明天的会议材料请准备好"), [], spec)
    assert work.findings == [] and not work.encoded and not counted
    cars = decision.decide(model, _ctx(moderator, "周末去提车，宝马新款"), [], spec)
    assert cars.encoded and [f.rule for f in cars.findings] == ["gossip"]


def test_a_model_with_static_words_survives_its_file(tmp_path, moderator):
    table = _table()
    model = replace(_tiny(-3.0), static=table, w_static=np.array([[6.0, -6.0]]),
                    gate_static=np.array([[1.0, 2.0]]))
    path = tmp_path / "m.npz"
    model.save(path)
    again = decision.DecisionModel.load(path)
    assert again.static.index == table.index and again.static.source == "test"
    assert np.allclose(again.w_static, model.w_static) and np.allclose(again.gate_static, [[1.0, 2.0]])
    assert np.allclose(again.static.vector("宝马提车"), table.vector("宝马提车"), atol=1e-3)


@pytest.mark.parametrize("rule, text", [
    ("rumor", "群里有人说要封城，是真的吗？"),
    ("rumor", "网传明天全市停水系谣言，经核实供水正常"),
    ("central_policy", "中央这个政策好，真正为老百姓办实事"),
    ("vote_buying", "优秀科室按考核指标排名产生，不搞投票，请各科不要拉票"),
    ("ads", "新一代纯电轿跑正式上市，官方指导价25.99万元起，首月订单突破5万台"),
    ("classified", "评审专家名单是保密的，你从哪里看到的？请立即撤回"),
])
def test_the_model_adds_no_finding_against_the_rules_reading_of_the_stance(moderator, rule, text):
    ctx = _ctx(moderator, text)
    spec = {rule: moderator.plugins[rule].spec}
    model = replace(_tiny(6.0), rules=(rule,))
    assert decision.decide(model, ctx, [], spec).findings == []
    # the same model adds it where the rule read no stance
    ctx = _ctx(moderator, {"rumor": "据说下周全市要封城，赶紧囤货",
                           "central_policy": "中央这个政策纯属瞎折腾",
                           "vote_buying": "优秀科室评选开始了，大家帮我们科投一票",
                           "ads": "我家新到的纯电小车，3999元一台，要的私聊",
                           "classified": "评审专家名单我先发群里，大家看看"}[rule])
    assert [f.rule for f in decision.decide(model, ctx, [], spec).findings] == [rule]


@pytest.mark.parametrize("text", [
    "评选投票请各人按标准独立投，不要互相拉票，县纪委这次专门盯着",
    "优秀单位评选按通知办：组织推荐、专家评审，请勿在群内拉票",
])
def test_a_ban_on_canvassing_in_words_of_its_own_holds_against_the_model(moderator, text):
    """vote_buying records its reading of a ban (RECORDED, under every
    threshold); a model sure of canvassing neither raises it nor adds one."""
    ctx = _ctx(moderator, text)
    plugin = moderator.plugins["vote_buying"]
    [recorded] = [plugin.inspect(ctx).finding]
    assert recorded.score == decision.RECORDED
    model = replace(_tiny(6.0), rules=("vote_buying",))
    judged = decision.decide(model, ctx, [recorded], {"vote_buying": plugin.spec})
    assert judged.findings == [recorded] and not judged.added
    # the same model, without the rule's reading, would have flagged it
    assert [f.rule for f in decision.decide(model, ctx, [], {"vote_buying": plugin.spec}).findings] \
        == ["vote_buying"]


def test_a_counter_word_that_governs_nothing_takes_no_stance(moderator):
    """central_policy's stance is its reading, not a word: 「防止一刀切」 is
    recorded and holds against a model sure of criticism; 「国家动不动就搞专项
    整治，政策全是空对空」 names 整治 without setting itself against anything,
    and the model may find the criticism there."""
    spec = {"central_policy": moderator.plugins["central_policy"].spec}
    model = replace(_tiny(6.0), rules=("central_policy",))
    loyal = _ctx(moderator, "贯彻中央部署，坚决防止一刀切、层层加码")
    recorded = moderator.plugins["central_policy"].inspect(loyal).finding
    assert recorded.score == decision.RECORDED
    assert decision.decide(model, loyal, [recorded], spec).findings == [recorded]
    jeer = _ctx(moderator, "国家动不动就搞专项整治，光管基层，政策全是空对空")
    assert [f.rule for f in decision.decide(model, jeer, [], spec).findings] == ["central_policy"]


def test_a_red_envelope_is_not_also_chit_chat(moderator):
    """off_topic is residual: a red envelope wished 「冲刺加油」 is the red
    envelope rule's business, and the model's off_topic is kept under the bar
    naming it; the same wish as plain text stays the model's to judge."""
    from qungui.core.events import MessageType
    spec = {r: moderator.plugins[r].spec for r in ("off_topic", "red_envelope")}
    assert spec["off_topic"].residual and not spec["red_envelope"].residual
    model = replace(_tiny(6.0), rules=("off_topic",))
    ctx = make_context(_message("冲刺加油 66大顺", type=MessageType.RED_ENVELOPE, amount=66.0),
                       _room(), moderator.matcher, moderator.params)
    red = moderator.plugins["red_envelope"].inspect(ctx).finding
    assert red.score >= decision.FIRE_SCORE
    judged = decision.decide(model, ctx, [red], spec)
    assert judged.findings == [red] and not judged.added
    # a lexicon off_topic finding beside it is lowered and says whose it is
    chat = decision.Finding("off_topic", 0.65, "蛋糕", "与本群工作无关的闲聊（美食聚餐）")
    judged = decision.decide(replace(_tiny(-6.0, keep=0.0, threshold=0.99), rules=("off_topic",)),
                             ctx, [red, chat], spec)
    [low] = [f for f in judged.findings if f.rule == "off_topic"]
    assert low.score == decision.LOWERED_SCORE and "交由该规则" in low.reason
    # without the red envelope the model adds its off_topic finding
    plain = _ctx(moderator, "冲刺加油 66大顺")
    assert [f.rule for f in decision.decide(model, plain, [], spec).findings] == ["off_topic"]


def test_chit_chat_is_left_to_a_standing_rumour_or_gossip_finding(moderator):
    """A rumour or gossip found by its rule's words and standing after the
    model names what the message is about: off_topic beside it is kept under
    the bar, naming it. Beside an advert (a deal on a dinner out may be read
    as one) it stands."""
    spec = {r: moderator.plugins[r].spec for r in ("off_topic", "rumor", "ads")}
    assert spec["rumor"].names_subject and not spec["ads"].names_subject
    model = replace(_tiny(-0.5, keep=0.0), rules=("off_topic",))
    ctx = _ctx(moderator, "对面爆发口蹄疫了，过来的牛羊肉全带病毒，吃了要出事的")
    chat = Finding("off_topic", 0.65, "牛羊肉", "与本群工作无关的闲聊")
    scare = Finding("rumor", 0.7, "全带病毒", "把耸人听闻的未经证实说法当作事实发布")
    judged = decision.decide(model, ctx, [scare, chat], spec)
    [low] = [f for f in judged.findings if f.rule == "off_topic"]
    assert low.score == decision.LOWERED_SCORE and "传播谣言" in low.reason
    assert scare in judged.findings
    # a rumour finding under the bar leaves off_topic alone
    weak = Finding("rumor", 0.5, "全带病毒", "传言")
    assert chat in decision.decide(model, ctx, [weak, chat], spec).findings
    # beside an advert off_topic stands
    deal = Finding("ads", 0.8, "五折", "推销")
    assert chat in decision.decide(model, ctx, [deal, chat], spec).findings


def test_flattery_yields_to_gossip_about_the_same_message(moderator):
    """owner_praise yields to gossip: a message that disparages (「老郑这总经理
    咋来的大家心里都有数吧」) says nothing in the owner's praise, whatever the
    model reads into the owner's name; the flattery stands alone."""
    spec = {r: moderator.plugins[r].spec for r in ("owner_praise", "gossip")}
    assert spec["owner_praise"].yields_to == ("gossip",)
    model = replace(_tiny(4.0), rules=("owner_praise",))
    ctx = _ctx(moderator, "老郑这总经理咋来的大家都清楚，不然就他那水平")
    gossip = Finding("gossip", 0.85, "就他那水平", "对同事品头论足")
    judged = decision.decide(model, ctx, [gossip], spec)
    assert [f.rule for f in judged.findings] == ["gossip"] and not judged.added
    praise = Finding("owner_praise", 0.7, "英明", "吹捧群主")
    unsure = replace(_tiny(-0.5, keep=0.0), rules=("owner_praise",))   # leaves it as it is
    judged = decision.decide(unsure, ctx, [gossip, praise], spec)
    [low] = [f for f in judged.findings if f.rule == "owner_praise"]
    assert low.score == decision.LOWERED_SCORE and "背后议论" in low.reason
    # without the gossip the model's finding is added
    assert [f.rule for f in decision.decide(model, ctx, [], spec).findings] == ["owner_praise"]


# -- relevance to the room, against other rooms --------------------------------

def _axis(*weights) -> np.ndarray:
    v = np.zeros(embedding.DIM, dtype=np.float32)
    v[:len(weights)] = weights
    return v / np.linalg.norm(v)


def test_relevance_is_closeness_to_the_room_against_the_bank():
    # three rooms of other work, and a message about sport
    bank = np.stack([_axis(1, 0, 0, 1), _axis(0, 1, 0, 1), _axis(0, 0, 1, 1)])
    sport = _axis(0, 0, 0, 0.3, 1)
    sport_room, other_room = _axis(0, 0, 0, 0.5, 1), _axis(1, 0, 0, 0.5)
    near = decision.relevance(sport, float(sport @ sport_room), bank)
    far = decision.relevance(sport, float(sport @ other_room), bank)
    assert near[0] > 0 and near[1] == 1.0 and far[1] < 1.0
    # a message further from its room than from the rest is not thereby off
    # the room's work (figures of another kind of work, a plain reply): the
    # gap counts only where the room stands out
    assert far[0] == 0.0


def _relevant(moderator, room_vec, message_vec):
    """The tiny model with relevance weights only, its encoder giving
    ``message_vec`` for the message and ``room_vec`` for the room."""
    class Fixed:
        def warm(self):
            pass

        def encode(self, texts):
            return np.stack([message_vec, room_vec])

    bank = np.stack([_axis(1, 0, 0, 1), _axis(0, 1, 0, 1), _axis(0, 0, 1, 1)])
    # off-topic where the message is no closer to its room than to the bank's
    model = replace(_tiny(2.0, threshold=0.5), rules=("off_topic",), rel_bank=bank,
                    w_rel=np.array([[-40.0, -4.0]]), emb_hi=np.array([10.0]), encoder=Fixed())
    spec = {"off_topic": moderator.plugins["off_topic"].spec}
    return decision.decide(model, _ctx(moderator, "周六下午羽毛球比赛，球馆订好了"), [], spec)


def test_a_message_about_its_rooms_work_is_relevant_whatever_the_work(moderator):
    sport = _axis(0, 0, 0, 0.3, 1)
    there = _relevant(moderator, _axis(0, 0, 0, 0.5, 1), sport)
    elsewhere = _relevant(moderator, _axis(1, 0, 0, 0.5), sport)
    assert there.encoded and elsewhere.encoded
    assert there.findings == [] and [f.rule for f in elsewhere.findings] == ["off_topic"]


def test_a_model_with_a_relevance_bank_survives_its_file(tmp_path):
    bank = np.stack([_axis(1, 0), _axis(0, 1)])
    model = replace(_tiny(-3.0), rel_bank=bank, w_rel=np.array([[-2.0, -1.0]]))
    path = tmp_path / "m.npz"
    model.save(path)
    again = decision.DecisionModel.load(path)
    assert np.allclose(again.rel_bank, bank, atol=1e-3) and np.allclose(again.w_rel, [[-2.0, -1.0]])
    # a file without the block (trained before it) weighs no relevance
    with np.load(path) as z:
        data = {k: z[k] for k in z.files if k not in ("rel_bank", "rel_features", "w_rel")}
    np.savez(path, **data)
    assert decision.DecisionModel.load(path).rel_bank is None


def test_the_shipped_model_weighs_relevance_for_the_residual_rule_alone():
    model = decision.load()
    assert model.rel_bank is not None and model.rel_bank.shape[1] == embedding.DIM
    assert np.allclose(np.linalg.norm(model.rel_bank, axis=1), 1.0, atol=1e-2)
    residual = {r for r, p in load_plugins().items() if r in model.row and p.spec.residual}
    assert residual == {"off_topic"}
    for rule, i in model.row.items():
        weighed = np.abs(model.w_rel[i]).max() > 0
        assert weighed == (rule in residual), rule
    # standing out from the bank makes a message the room's work
    assert model.w_rel[model.row["off_topic"], 0] < 0


def _training_tool():
    import importlib.util
    spec = importlib.util.spec_from_file_location("train_decision", ROOT / "tools" / "train_decision.py")
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    return tool


def test_an_operating_point_keeps_to_its_clean_budget_and_its_slack_buys_fewer_false_alarms():
    """A rule's operating point (tools/train_decision.py): never past its clean
    budget, and a wider F1 slack takes a higher point with fewer false alarms;
    a rule's own slack is read from the command line by rule id."""
    tool = _training_tool()
    # 100 violations scored 0.55-0.99, 1,000 clean messages: a few score high
    y = np.r_[np.ones(100), np.zeros(1000)].astype(int)
    p = np.r_[np.linspace(0.55, 0.99, 100), np.full(990, 0.1), np.linspace(0.56, 0.66, 10)]
    tight = tool.operating_point(p, y, budget=1.0, slack=0.0, min_threshold=0.5)
    wide = tool.operating_point(p, y, budget=1.0, slack=0.05, min_threshold=0.5)
    assert wide[0] > tight[0] and wide[4] < tight[4]            # higher point, fewer false alarms
    assert wide[1] >= tight[1] - 0.05
    # a budget of 0.3% of the clean messages: at most 3 flagged, whatever the slack
    kept = tool.operating_point(p, y, budget=0.003, slack=0.0, min_threshold=0.5)
    assert kept[4] <= 3 and kept[0] > tight[0]
    assert tool.operating_point(p, y, budget=0.003, slack=0.05, min_threshold=0.5)[4] <= 3
    # no point inside the budget: the rule never fires on the model alone
    assert tool.operating_point(p, y, budget=-1.0, slack=0.0, min_threshold=0.5)[0] == 1.0
    with pytest.raises(SystemExit, match="no such rule"):
        tool.per_rule(["rumour=0.006"], "--rule-slack", "SLACK", ["rumor", "ads"])
    args = tool.parser().parse_args(["--rule-slack", "rumor=0.006", "--rule-slack", "ads=0"])
    assert tool.per_rule(args.rule_slack, "--rule-slack", "SLACK", ["rumor", "ads"]) == {
        "rumor": 0.006, "ads": 0.0}


def test_the_training_cache_is_read_only_by_the_encoder_that_made_it(tmp_path, monkeypatch):
    """Vectors cached by the training tool carry the key of the encoder that
    made them (the engine and the int8 graph's ``WEIGHT_LEVELS``): a cache made by
    another encoder is encoded afresh, not mixed in."""
    tool = _training_tool()
    monkeypatch.delenv(embedding.ENGINE_ENV, raising=False)
    cache = tmp_path / "embeddings.npz"
    text = "明天上午九点开调度会"
    stale = np.zeros((1, embedding.DIM), dtype=np.float32)
    np.savez(cache, texts=np.array([text]), vectors=stale, encoder=np.array("engine=c;int8=True;levels=1"))
    fresh = tool.embed_all({text}, cache)[text]
    assert np.isclose(np.linalg.norm(fresh), 1.0, atol=1e-3)      # encoded, not the zeros
    with np.load(cache) as z:
        assert str(z["encoder"]) == tool.encoder_key() and np.allclose(z["vectors"][0], fresh)
    # its own key: read back, not encoded again
    np.savez(cache, texts=np.array([text]), vectors=stale, encoder=np.array(tool.encoder_key()))
    assert not tool.embed_all({text}, cache)[text].any()
