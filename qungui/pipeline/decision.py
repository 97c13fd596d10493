"""The decision stage: one calibrated decision per content rule.

The lexicon rules see the words someone wrote down; a message phrased in a
way nobody foresaw passes them by, and a cue met by accident in work talk
fires. So for each content rule one logistic model weighs all the evidence
together and gives a calibrated probability:

- the lexicon stage's verdict on the rule (its score, whether it fired,
  whether one of the rule's harmless cues was seen: a rebuttal, a notice,
  a reminder);
- character n-grams of the folded key view (typos, spaced-out words and
  styled letters do not matter);
- the message's sentence embedding (``core/embedding.py``), which carries
  meaning across wordings, and its relevance to the room: the cosine to the
  room's topic and purpose, so that a message about a car is off-topic in a
  市委常委群 whatever words it uses; and, for the residual rule (off_topic),
  how much closer the message stands to its own room than to a bank of other
  rooms' topics (``relevance``), so that talk of a room's own work counts as
  work whatever that work is (a badminton match in a room that organises
  one), and the same talk stays off-topic in every other room.

The rule fires where the probability reaches its operating point, chosen
on held-out predictions for a budget of clean messages (``tools/
train_decision.py``). No stage vetoes another behind its back: a lexicon
finding the model does not confirm is kept below the bar with the
probability in its reason, and the model's own findings say what they rest
on. Strong objective evidence stays decisive: a finding scored at
``DECISIVE`` or more (a 密级 marking, a red-envelope message) and every
finding of a rule whose spec says ``temper=False`` stand as the rule made
them; so does a rule's own verdict recorded under the bar (``RECORDED``).

Cost: the n-grams and the lexicon evidence are a few dictionary look-ups;
the encoder is about 15 ms of one core. It is consulted only where it can
change a decision (the gate), on two counts: the model knows, for each
rule, how far the embedding's part of the sum (with the relevance
features, for off_topic) ranged over its training data, and where even the
top of that range leaves a rule short of its operating point, the encoder
cannot change that rule's outcome; and a first tier (the same model
without the embedding, trained alongside it) places the message below a
gate chosen out of fold so that a set share of the messages the full
model flags without a lexicon finding pass it (``--gate-pass`` of
``tools/train_decision.py``; the README gives the shipped model's; a
true violation the full model would miss anyway is no reason to ask the
encoder). A lexicon finding passes too, unless it is at the bar and the
first tier is sure enough of it (``gate_hi``: from there up, out of fold,
the full model would have lowered at most ``--settle-miss`` of such
findings): then it stands without the encoder. The same holds for a rule
with no lexicon finding: where the first tier places the message at or
above ``add_hi`` (from there up, out of fold, the full model would have
left at most 0.1% of such messages unflagged), the rule is found without
the encoder, at its operating point or above (never off_topic, a matter of
relevance to the room: its ``add_hi`` is infinite).
"""

from __future__ import annotations

import logging
import re
import threading
import zipfile
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from typing import Iterable, Mapping

import numpy as np

from qungui.rules import data_path
from qungui.core import embedding
from qungui.core.static_embedding import StaticTable
from qungui.core.plugin import RECORDED, Context, Finding, RuleSpec, redact
from qungui.core.text import Normalized

log = logging.getLogger(__name__)

DEFAULT_MODEL = data_path("models", "decision.npz")
FORMAT = "qungui-decision-1"
NGRAMS = (1, 2, 3)
# messages this short carry too little to judge (收到, 好的, 👍)
MIN_CHARS = 4
MIN_LETTERS = 3
# how much of the key view the n-grams read
MAX_CHARS = 400
# a finding at or above this score is objective evidence and stands
DECISIVE = 0.95
# the score of a finding at exactly the rule's operating point: the
# rulebook's default bar
FIRE_SCORE = 0.6
# a lexicon finding the model does not confirm is kept at this score: under
# every rulebook threshold, visible in the trace and the log
LOWERED_SCORE = 0.3
# the evidence the lexicon stage gives each rule, in the model's column order
LEX_FEATURES = ("lex_score", "lex_fired", "harmless", "topic_cos")
# relevance to this room against a bank of other rooms (``relevance``): how
# far the message's cosine to its room's topic stands above its mean cosine
# to the bank's rooms (nothing where it does not), and the share of the
# bank's rooms it is less close to
REL_FEATURES = ("room_gap", "room_rank")


class ModelError(ValueError):
    """A model file that cannot be used; the message names what is wrong."""


def ngram_features(norm: Normalized, ngrams: tuple[int, ...] = NGRAMS) -> set[str]:
    """Character n-grams of the folded key view, cut at ``MAX_CHARS``. The
    single characters are the set of the key itself (one pass in C); the
    longer n-grams are sliced in one list each, added at once."""
    key = norm.key[:MAX_CHARS]
    feats = set(key) if 1 in ngrams else set()
    for n in ngrams:
        if n > 1:
            feats.update([key[i:i + n] for i in range(len(key) - n + 1)])
    return feats


# Three or more single characters (CJK, a letter or a digit) each set apart
# by spaces or tabs (老 乡 的 工 程, 加 V 信; the plain view has already folded
# full-width and no-break spaces to a space): a message spelt out to slip
# past a filter. A run starts and ends at a character with no letter or digit
# beside it, nor one across a dot, dash, slash, @ or underscore, so that
# "2.0 森 笑 2.5" or an address keeps its spaces. The possessive quantifier
# keeps the matcher from backtracking into the blanks; the pattern is linear
# in the text's length.
_ONE = r"[\u3400-\u4dbf\u4e00-\u9fff\U00020000-\U0003134fa-z0-9]"
_WORD_EDGE = r"[^\W_]"
_JOINER = r"[.\-_@/]"
_SPACED_OUT = re.compile(
    rf"(?<!{_WORD_EDGE})(?<!{_WORD_EDGE}{_JOINER})(?:{_ONE}[ \t]++){{2,}}{_ONE}"
    rf"(?!{_WORD_EDGE})(?!{_JOINER}{_WORD_EDGE})")
_NO_BLANKS = str.maketrans("", "", " \t")


def _close_up(run: re.Match) -> str:
    return run.group().translate(_NO_BLANKS)


def subject(ctx: Context) -> str:
    """What the encoder reads: the plain view (traditional characters and
    styled letters folded), cut by the encoder itself, with a message spelt
    out one character at a time closed up again (a space beside a word of
    two or more characters stays)."""
    plain = ctx.norm.plain or ctx.text
    return _SPACED_OUT.sub(_close_up, plain) if " " in plain or "\t" in plain else plain


def room_subject(ctx: Context) -> str:
    return room_text(ctx.room)


def room_text(room) -> str:
    """What the encoder reads of a room: its topic and purpose."""
    return f"{room.topic}：{room.purpose}" if room.purpose else room.topic


def lexicon_evidence(ctx: Context, findings: Iterable[Finding],
                     specs: Mapping[str, RuleSpec]) -> dict[str, list[float]]:
    """Per rule, the lexicon stage's evidence (``LEX_FEATURES`` less the
    topic cosine, which needs the encoder)."""
    by_rule = {f.rule: f for f in findings}
    out = {}
    for rule, spec in specs.items():
        f = by_rule.get(rule)
        harmless = ctx.has_cue(rule, *spec.harmless_cues)
        out[rule] = [f.score if f else 0.0, 1.0 if f else 0.0, 1.0 if harmless else 0.0]
    return out


def worth_asking(ctx: Context) -> bool:
    """Not for 收到 / 好的李局 / 👍: too short to judge, and never a violation."""
    return len(ctx.norm.key) >= MIN_CHARS and not ctx.text_acknowledgement


# numerals written out and the periods and units they count: 一季度 1.2亿
# 二季度 3.4亿 is figures, like 12.5% 36.8% (not 周, 期, 时 or 分, which
# begin words: 周一开会 is still three letters)
_COUNTING = frozenset("〇零一二三四五六七八九十百千万亿两壹贰叁肆伍陆柒捌玖拾佰仟"
                      "年月日季度集第元角")


def has_words(ctx: Context) -> bool:
    """At least ``MIN_LETTERS`` different letters among the digits and signs
    (numerals and the units they count are not letters here): 第12集 第13集,
    2026-11-20, 一季度 1.2亿 二季度 3.4亿 or 哈哈哈哈 give the model no words to
    judge, so it adds nothing to them (training still reads them)."""
    letters: set[str] = set()
    for ch in ctx.norm.key:
        if ch.isalpha() and ch not in _COUNTING:
            letters.add(ch)
            if len(letters) >= MIN_LETTERS:
                return True
    return False


def relevance(e: np.ndarray, cos: float, bank: np.ndarray) -> list[float]:
    """``REL_FEATURES`` of a message's vector ``e`` whose cosine to its room
    is ``cos``: a cosine alone says little (a 收到 is close to every room, a
    match arranged is far from most), but a message closer to its own room
    than to rooms of other work is about that room's work, whatever the work
    is (a badminton match in a room that organises one, not in a 招商 room)."""
    sims = bank @ np.asarray(e, dtype=np.float32)
    return [max(0.0, cos - float(sims.mean())), float((sims < cos).mean())]


@dataclass
class DecisionModel:
    """Per-rule logistic models over lexicon evidence, n-grams and the embedding."""

    rules: tuple[str, ...]
    bias: np.ndarray            # (R,)
    w_lex: np.ndarray           # (R, len(LEX_FEATURES))
    w_emb: np.ndarray           # (R, DIM)
    ngram_index: dict[str, int]
    w_ngram: np.ndarray         # (V, R)
    calib: np.ndarray           # (R, 2): p = sigmoid(a * z + b)
    threshold: np.ndarray       # (R,) probability at which a rule fires
    keep: np.ndarray            # (R,) below this a lexicon finding is lowered
    emb_hi: np.ndarray          # (R,) the top of the embedding's part of z in training (its
                                #   cosine to the room and, for off_topic, the relevance features)
    emb_mean: np.ndarray        # (R,) its mean, taken where the encoder is unavailable
    # the first tier (n-grams and the lexicon's verdict, no embedding): the
    # encoder is asked about a rule only where its sum reaches ``gate``
    gate_bias: np.ndarray       # (R,)
    gate_lex: np.ndarray        # (R, 3)
    gate_ngram: np.ndarray      # (V, R), over the same n-grams
    gate: np.ndarray            # (R,)
    # a lexicon finding at the bar whose first-tier sum reaches this is
    # confirmed without the encoder
    gate_hi: np.ndarray         # (R,)
    # a rule without a lexicon finding whose first-tier sum reaches this is
    # found without the encoder (infinite in a model trained before it)
    add_hi: np.ndarray | None = None        # (R,)
    # the static word vectors (core/static_embedding.py) of the message, in
    # both tiers; None in a model trained without them
    static: StaticTable | None = None
    w_static: np.ndarray | None = None      # (R, d)
    gate_static: np.ndarray | None = None   # (R, d)
    # relevance to the room measured against other rooms (``relevance``):
    # the vectors of a bank of rooms' topics and purposes from training, and
    # each rule's weights on REL_FEATURES; None in a model trained without them
    rel_bank: np.ndarray | None = None      # (K, DIM)
    w_rel: np.ndarray | None = None         # (R, len(REL_FEATURES))
    source: str = ""
    meta: dict = field(default_factory=dict)
    encoder: embedding.SentenceEncoder | None = None
    # counters: messages decided, and those that needed the encoder
    decided: int = 0
    encoded: int = 0

    def __post_init__(self):
        self.row = {r: i for i, r in enumerate(self.rules)}
        self.w_emb = np.asarray(self.w_emb, dtype=np.float64)
        if self.rel_bank is not None:
            self.rel_bank = np.asarray(self.rel_bank, dtype=np.float32).reshape(-1, embedding.DIM)
            self.w_rel = np.asarray(self.w_rel, dtype=np.float64).reshape(
                len(self.rules), len(REL_FEATURES))
        if self.add_hi is None:
            self.add_hi = np.full(len(self.rules), np.inf)
        # both tiers' n-gram weights side by side, so that a message's rows are
        # summed once for both; the two fields are views of it
        r = len(self.rules)
        self.ngram_both = np.hstack([np.asarray(self.w_ngram, dtype=np.float64).reshape(-1, r),
                                     np.asarray(self.gate_ngram, dtype=np.float64).reshape(-1, r)])
        self.w_ngram, self.gate_ngram = self.ngram_both[:, :r], self.ngram_both[:, r:]
        # the raw sums at which each rule reaches its operating and keep points
        self.z_threshold = self.logit_of(self.threshold)
        self.z_keep = self.logit_of(self.keep)
        # the same per-rule figures as Python lists, for ``decide``'s per-rule
        # arithmetic (a handful of rules: cheaper than a numpy call per element)
        self.per_rule = SimpleNamespace(**{name: getattr(self, name).tolist() for name in (
            "w_lex", "gate_lex", "z_threshold", "z_keep", "gate", "gate_hi", "add_hi", "emb_hi",
            "emb_mean", "threshold", "keep", "calib")})

    # -- file format -------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> "DecisionModel":
        path = Path(path)
        try:
            with np.load(path, allow_pickle=False) as z:
                data = {k: z[k] for k in z.files}
        except FileNotFoundError:
            raise ModelError(f"{path}: no such model file") from None
        except (OSError, ValueError, zipfile.BadZipFile) as exc:
            raise ModelError(f"{path}: not a model file ({exc})") from None
        try:
            if str(data["format"]) != FORMAT:
                raise ModelError(f"{path}: not a {FORMAT} model file")
            rules = tuple(str(r) for r in data["rules"])
            r, dim = len(rules), embedding.DIM
            lex = tuple(str(x) for x in data["lex_features"])
            if lex != LEX_FEATURES:
                raise ModelError(f"{path}: lexicon features {lex} are not {LEX_FEATURES}")
            grams = [str(g) for g in data["ngrams"]]
            model = cls(
                rules=rules,
                bias=data["bias"].astype(np.float64).reshape(r),
                w_lex=data["w_lex"].astype(np.float64).reshape(r, len(LEX_FEATURES)),
                w_emb=data["w_emb"].astype(np.float64).reshape(r, dim),
                ngram_index={g: i for i, g in enumerate(grams)},
                w_ngram=data["w_ngram"].astype(np.float64).reshape(len(grams), r),
                calib=data["calib"].astype(np.float64).reshape(r, 2),
                threshold=data["threshold"].astype(np.float64).reshape(r),
                keep=data["keep"].astype(np.float64).reshape(r),
                emb_hi=data["emb_hi"].astype(np.float64).reshape(r),
                emb_mean=data["emb_mean"].astype(np.float64).reshape(r),
                gate_bias=data["gate_bias"].astype(np.float64).reshape(r),
                gate_lex=data["gate_lex"].astype(np.float64).reshape(r, 3),
                gate_ngram=data["gate_ngram"].astype(np.float64).reshape(len(grams), r),
                gate=data["gate"].astype(np.float64).reshape(r),
                gate_hi=data["gate_hi"].astype(np.float64).reshape(r),
                add_hi=(data["add_hi"].astype(np.float64).reshape(r) if "add_hi" in data
                        else None),
                source=str(path),
                **_static_part(data, r),
                **_relevance_part(data),
                meta={"trained_on": tuple(str(x) for x in np.atleast_1d(data["trained_on"]))},
            )
        except KeyError as exc:
            raise ModelError(f"{path}: missing array {exc}") from None
        except ValueError as exc:
            raise ModelError(f"{path}: {exc}") from None
        if not np.all((model.threshold > 0) & (model.threshold <= 1)):
            raise ModelError(f"{path}: thresholds must be in (0, 1]")
        return model

    def save(self, path: str | Path, trained_on: Iterable[str] = ()) -> None:
        grams = sorted(self.ngram_index, key=self.ngram_index.get)
        np.savez_compressed(
            path, format=np.array(FORMAT), rules=np.array(self.rules),
            lex_features=np.array(LEX_FEATURES), bias=self.bias,
            w_lex=self.w_lex.astype(np.float32), w_emb=self.w_emb.astype(np.float16),
            ngrams=np.array(grams), w_ngram=self.w_ngram.astype(np.float16),
            calib=self.calib, threshold=self.threshold, keep=self.keep, emb_hi=self.emb_hi,
            emb_mean=self.emb_mean, gate_bias=self.gate_bias, gate_lex=self.gate_lex,
            gate_ngram=self.gate_ngram.astype(np.float16), gate=self.gate,
            gate_hi=self.gate_hi, add_hi=self.add_hi,
            trained_on=np.array(list(trained_on), dtype=str),
            **({} if self.rel_bank is None else {
                "rel_bank": self.rel_bank.astype(np.float16),
                "rel_features": np.array(REL_FEATURES), "w_rel": self.w_rel}),
            **({} if self.static is None else {
                "static_words": np.array(sorted(self.static.index, key=self.static.index.get)),
                "static_vectors": self.static.vectors.astype(np.float16),
                "static_source": np.array(self.static.source),
                "w_static": self.w_static.astype(np.float32),
                "gate_static": self.gate_static.astype(np.float32)}))

    # -- inference ---------------------------------------------------------
    def static_vector(self, ctx: Context) -> np.ndarray | None:
        return None if self.static is None else self.static.vector(subject(ctx))

    def ngram_rows(self, feats: set[str]) -> list[int]:
        """The rows of the message's known n-grams (one look-up each, for both tiers)."""
        return [i for i in map(self.ngram_index.get, feats) if i is not None]

    def ngram_part(self, feats: set[str], rows: list[int] | None = None,
                   weights: np.ndarray | None = None) -> np.ndarray:
        """The n-grams' part of each rule's sum (of the first tier's, given
        ``gate_ngram`` as ``weights``; of both, given ``ngram_both``)."""
        idx = self.ngram_rows(feats) if rows is None else rows
        w = self.w_ngram if weights is None else weights
        return w.take(idx, axis=0).sum(axis=0) if idx else np.zeros(w.shape[1])

    def probabilities(self, z: list[float]) -> list[float]:
        """Each rule's calibrated probability of its raw sum, on Python floats
        but for the exponential (numpy's, over the vector): a handful of rules,
        where a numpy call per element would cost more than the arithmetic."""
        x = [-min(max(a * zi + b, -30.0), 30.0) for (a, b), zi in zip(self.per_rule.calib, z)]
        return [1.0 / (1.0 + v) for v in np.exp(np.array(x)).tolist()]

    def logit_of(self, p: np.ndarray) -> np.ndarray:
        """The raw sum z at which each rule's probability reaches ``p``."""
        a, b = self.calib[:, 0], self.calib[:, 1]
        t = np.clip(p, 1e-6, 1 - 1e-6)
        return (np.log(t / (1 - t)) - b) / a

    def top_terms(self, rule: str, feats: set[str], k: int = 3) -> list[str]:
        col = self.row[rule]
        scored = sorted(((float(self.w_ngram[self.ngram_index[f], col]), f) for f in feats
                         if len(f) > 1 and f in self.ngram_index), reverse=True)
        chosen: list[str] = []
        for w, f in scored:
            if w <= 0.05 or len(chosen) == k:
                break
            if not any(f in c or c in f for c in chosen):
                chosen.append(f)
        return chosen


@dataclass
class Judgement:
    """What the decision stage made of one message."""

    findings: list[Finding]
    probabilities: dict[str, float]
    encoded: bool
    lowered: list[str]
    added: list[str]


def score_of(p: float, threshold: float) -> float:
    """The rulebook's default bar (0.6) at the operating point, rising
    linearly with the probability to 1."""
    if threshold >= 1.0:
        return FIRE_SCORE
    return round(min(1.0, FIRE_SCORE + (1.0 - FIRE_SCORE) * (p - threshold) / (1.0 - threshold)), 4)


def decide(model: DecisionModel, ctx: Context, findings: list[Finding],
           specs: Mapping[str, RuleSpec]) -> Judgement:
    """One decision per rule of ``specs`` that the model knows."""
    rules = [r for r in specs if r in model.row]
    if not rules or not worth_asking(ctx) or not has_words(ctx):
        return Judgement(findings, {}, False, [], [])
    model.decided += 1
    lex = lexicon_evidence(ctx, findings, {r: specs[r] for r in rules})
    feats = ngram_features(ctx.norm)
    grams = model.ngram_rows(feats)
    # the n-grams' part of both tiers' sums, in one pass over the message's rows
    n = len(model.rules)
    both = model.ngram_part(feats, grams, model.ngram_both)
    words = model.static_vector(ctx)
    rows = [model.row[r] for r in rules]
    # The vectors are summed in numpy; what is done per rule (a handful of
    # rules) is done on Python floats, where a numpy call per element would
    # cost more than the arithmetic. Every sum is taken in the same order,
    # so the figures are the same to the last bit.
    z = (model.bias + both[:n]).tolist()
    first = model.gate_bias + both[n:]
    if words is not None:
        first = first + model.gate_static @ words
    first = first.tolist()
    # the lexicon's evidence, one row per rule, weighed by both tiers
    per = model.per_rule
    w_lex, g_lex = per.w_lex, per.gate_lex
    for r, i in zip(rules, rows):
        e0, e1, e2 = lex[r]
        wl, gl = w_lex[i], g_lex[i]
        z[i] += (wl[0] * e0 + wl[1] * e1) + wl[2] * e2
        first[i] += (gl[0] * e0 + gl[1] * e1) + gl[2] * e2
    if words is not None:
        z = (np.asarray(z) + model.w_static @ words).tolist()
    by_rule = {f.rule: f for f in findings}
    # the rules still open: those the model could still fire or confirm
    zt, zk = per.z_threshold, per.z_keep
    gate, gate_hi, add_hi, emb_hi = per.gate, per.gate_hi, per.add_hi, per.emb_hi
    # the first tier: n-grams and the lexicon's verdict alone; a rule it
    # places below its gate is not worth the encoder (a lexicon finding
    # always is: whether it stands is the full model's call)
    settled = {r for r, i in zip(rules, rows)
               if r in by_rule and by_rule[r].score >= FIRE_SCORE and first[i] >= gate_hi[i]}
    # and a rule without a finding that the first tier places so high that the
    # full model would all but always fire it (``add_hi``) is found without it
    sure = {r for r, i in zip(rules, rows) if r not in by_rule and first[i] >= add_hi[i]}
    need = [r for r, i in zip(rules, rows)
            if not _decisive(by_rule.get(r), specs[r]) and r not in settled and r not in sure
            and z[i] + emb_hi[i] >= (zk[i] if r in by_rule else zt[i])
            and (r in by_rule or first[i] >= gate[i])]
    encoded = False
    if need:
        enc = model.encoder or embedding.encoder()
        try:
            e, t = enc.encode([subject(ctx), room_subject(ctx)])
        except embedding.EncoderUnavailable:
            e = t = None
        if e is not None:
            encoded = True
            model.encoded += 1
            cos = float(np.dot(e, t))
            zv = np.asarray(z) + model.w_emb @ e + model.w_lex[:, 3] * cos
            if model.rel_bank is not None:
                zv = zv + model.w_rel @ np.asarray(relevance(e, cos, model.rel_bank))
            z = zv.tolist()
    if not encoded:
        # decided on the rest of the evidence, the embedding's part taken at its
        # training mean: below the top of its range, so a gated rule stays short
        # of its operating point
        z = [a + b for a, b in zip(z, per.emb_mean)]
    p = model.probabilities(z)
    threshold, keep = per.threshold, per.keep
    out: list[Finding] = []
    lowered, added = [], []
    probs = {}
    for f in findings:
        if f.rule not in model.row or f.rule not in specs:
            out.append(f)
            continue
        i = model.row[f.rule]
        pi, th = p[i], threshold[i]
        probs[f.rule] = round(pi, 4)
        if _decisive(f, specs[f.rule]) or (f.rule in settled and not encoded):
            out.append(f)
        elif pi >= th:
            out.append(Finding(f.rule, max(f.score, score_of(pi, th)), f.evidence,
                               f"{f.reason}（综合判断置信度{pi:.0%}）"))
        elif pi >= keep[i]:
            out.append(f)
        elif f.score > LOWERED_SCORE:
            lowered.append(f.rule)
            out.append(Finding(f.rule, LOWERED_SCORE, f.evidence,
                               f"{f.reason}（综合判断不像违规，置信度{pi:.1%}，未予认定）"))
        else:
            out.append(f)
    for r, i in zip(rules, rows):
        pi, th = p[i], threshold[i]
        alone = r in sure and not encoded
        if alone:
            # found by the first tier alone: at least at the operating point
            pi = max(pi, th)
        probs.setdefault(r, round(pi, 4))
        if r in by_rule or pi < th or _stance_taken(ctx, specs[r]):
            continue
        # a secret rule's reason quotes none of the words either
        seen = "" if specs[r].secret else "".join(f"“{t}”" for t in model.top_terms(r, feats))
        if alone:
            # the words alone decided it: the reason claims no more
            reason = f"综合判断疑似{specs[r].title}（依据词句{seen or '特征'}，未经语义判断）"
        else:
            basis = f"词句{seen}与整体语义" if seen else "整体语义"
            reason = f"综合判断疑似{specs[r].title}（依据{basis}，置信度{pi:.0%}）"
        evidence = redact(ctx.norm.original, "疑似内部材料") if specs[r].secret else ctx.norm.original[:120]
        out.append(Finding(r, score_of(pi, th), evidence[:200], reason))
        added.append(r)
    # rules the model added where none of the words that voice them are
    wordless = {r for r in added if not (specs[r].voice_cues and ctx.has_cue(r, *specs[r].voice_cues))}
    out, lowered, added = _left_to_others(findings, out, specs, lowered, added, wordless)
    return Judgement(out, probs, encoded, lowered, added)


def _left_to_others(findings: list[Finding], out: list[Finding], specs: Mapping[str, RuleSpec],
                    lowered: list[str], added: list[str], wordless: set[str] = frozenset()
                    ) -> tuple[list[Finding], list[str], list[str]]:
    """A residual rule's finding (off_topic) beside another rule's decisive
    finding as that rule made it (objective evidence: a red envelope, a 密级
    marking), or beside a lexicon finding at the bar, still standing after
    the model, of a rule whose finding names what the message is about (a
    rumour, gossip about a colleague): kept under the bar, naming the rule
    the message is left to (a red envelope wished 「冲刺加油」 is a red
    envelope, 「过来的牛羊肉全带病毒」 a rumour, not chit-chat). Beside a
    weighed finding of another rule it stands: that one may be the false
    alarm (a deal on a dinner out read as an advert). Likewise a rule's
    finding beside a standing finding of a rule it yields to
    (``RuleSpec.yields_to``: flattery beside gossip, 「老郑这总经理咋来的大家心里
    都有数吧」 says nothing in the owner's praise), or, where the model added
    it where none of the words that voice the rule are in the message
    (``wordless``; ``RuleSpec.voice_cues``), of a rule it then yields to
    (``RuleSpec.added_yields_to``).

    Returns the findings and the rules lowered and added, as new lists."""
    standing = {f.rule for f in out if f.score >= FIRE_SCORE}
    other = next((f.rule for f in findings if f.rule in specs and not specs[f.rule].residual
                  and (f.score >= DECISIVE
                       or (specs[f.rule].names_subject and f.score >= FIRE_SCORE
                           and f.rule in standing))),
                 None)

    def left_to(spec: RuleSpec, was_added: bool) -> str | None:
        if spec.residual and other is not None:
            return other
        yields = spec.yields_to + (spec.added_yields_to if was_added else ())
        return next((r for r in yields if r in standing and r in specs), None)

    kept, lowered, added = [], list(lowered), list(added)
    for f in out:
        spec = specs.get(f.rule)
        to = (left_to(spec, f.rule in wordless)
              if spec is not None and f.score > LOWERED_SCORE else None)
        if to is not None:
            if f.rule in added:
                added.remove(f.rule)
                continue
            if _decisive(f, spec):
                kept.append(f)
                continue
            lowered.append(f.rule)
            f = Finding(f.rule, LOWERED_SCORE, f.evidence,
                        f"{f.reason}（属{specs[to].title}，交由该规则）")
        kept.append(f)
    return kept, lowered, added


def _stance_taken(ctx: Context, spec: RuleSpec) -> bool:
    """The rule's lexicon read the message's stance (a rebuttal, a question
    whether it is true, support for the policy): the model adds no finding
    of it against that reading."""
    return ctx.has_cue(spec.id, *spec.stance_cues)


def _static_part(data: Mapping[str, np.ndarray], r: int) -> dict:
    """The static block of a model file, if it has one."""
    if "static_words" not in data:
        return {}
    table = StaticTable(data["static_words"], data["static_vectors"],
                        str(data.get("static_source", "")))
    return {"static": table,
            "w_static": data["w_static"].astype(np.float64).reshape(r, table.dim),
            "gate_static": data["gate_static"].astype(np.float64).reshape(r, table.dim)}


def _relevance_part(data: Mapping[str, np.ndarray]) -> dict:
    """The relevance block of a model file, if it has one."""
    if "rel_bank" not in data:
        return {}
    names = tuple(str(x) for x in data["rel_features"])
    if names != REL_FEATURES:
        raise ModelError(f"relevance features {names} are not {REL_FEATURES}")
    # shaped and typed by ``DecisionModel.__post_init__``, as for a model built in memory
    return {"rel_bank": data["rel_bank"], "w_rel": data["w_rel"]}


def _decisive(f: Finding | None, spec: RuleSpec) -> bool:
    """A finding that stands as its rule made it: objective evidence, a rule
    the model may not lower, or the rule's own considered verdict below the
    bar (criticism of a city's own policy recorded at 0.3 is not 妄议中央,
    and the model does not make it so)."""
    return f is not None and (f.score >= DECISIVE or not spec.temper or f.score <= RECORDED)


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: str) -> DecisionModel:
    return DecisionModel.load(path)


def load(path: str | Path = DEFAULT_MODEL) -> DecisionModel:
    """The model at ``path``, read once per process."""
    with _lock:
        return _load(str(Path(path).resolve()))
