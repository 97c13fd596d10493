"""The learned stage: per-rule linear models for wording the lexicons miss.

Lexicon cues are precise but only know the words someone wrote down; a
message phrased in a way nobody foresaw passes them by. Each content rule
therefore also has a logistic-regression model over the message's character
1–3-grams (of the folded key view, so inserted separators, styled letters,
traditional characters and spaced-out words do not matter). It is
consulted only for the rules the lexicon stage left undecided on a message
(no finding of that rule, no cue marking the message harmless), and fires
only above a per-rule threshold chosen on out-of-fold predictions and held
to a budget of clean messages, so that work talk stays unflagged.

Inference is plain Python over a dict of weights (no numpy, no
scikit-learn): the weights are trained offline by ``tools/train_model.py``
and stored in ``rules/models/linear.json``. The file is read once per
process (``load``), whatever the number of engines.
"""

from __future__ import annotations

import json
import math
import threading
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Iterable, Mapping

from qungui.rules import data_path
from qungui.core.matcher import Hit
from qungui.core.plugin import Context, Finding, RuleSpec, redact
from qungui.core.text import Normalized, is_acknowledgement

DEFAULT_MODEL = data_path("models", "linear.json")
FORMAT = "qungui-linear-1"
NGRAMS = (1, 2, 3)
# messages this short carry too little for a model to judge (收到, 好的, 👍)
MIN_CHARS = 6
# how much of the message the model reads: longer ones are notices, which the
# lexicon stage judges by their structure
MAX_CHARS = 400
# the score of a finding at exactly the rule's threshold: the rulebook's default bar
FIRE_SCORE = 0.6
# A lexicon finding the model is all but sure is wrong (probability below
# TEMPER_BELOW) is lowered to TEMPER_SCORE, under every rulebook threshold: a
# cue pair met by accident in a notice or in work talk. Only findings up to
# TEMPER_MAX_SCORE: a strong combination of cues stands whatever the model
# says. Never for a rule whose spec says ``temper=False`` (classified: a
# leaked file is the worst miss).
TEMPER_BELOW = 0.01
TEMPER_MAX_SCORE = 0.9
TEMPER_SCORE = 0.3
# Where the lexicon stage saw one of a rule's harmless cues (its spec's
# ``harmless_cues``: a notice or warning that quotes the offence, a rebuttal,
# work talk), the model is not asked about that rule.


class ModelError(ValueError):
    """A model file that cannot be used; the message names what is wrong."""


def features(norm: Normalized, ngrams: tuple[int, ...] = NGRAMS) -> set[str]:
    """Character n-grams (1–3 unless the model file says otherwise) of the key view.

    jieba words were tried as well: they added little on held-out messages
    and cost a segmentation of every message (about 35 µs), a third of the
    whole inspection budget."""
    key = norm.key[:MAX_CHARS]
    out: set[str] = set()
    for n in ngrams:
        out.update(key[i:i + n] for i in range(len(key) - n + 1))
    return out


@dataclass(frozen=True)
class RuleModel:
    rule: str
    bias: float
    threshold: float                 # probability at which the model fires
    weights: Mapping[str, float]

    def probability(self, feats: set[str]) -> float:
        z = self.bias + sum(map(self.weights.get, feats, repeat(0.0)))
        return 1.0 / (1.0 + math.exp(-z)) if z > -30 else 0.0

    def score(self, p: float) -> float:
        """A finding's score: the rulebook's default bar (0.6) at this rule's
        threshold, rising linearly with the probability to 1. The models'
        thresholds differ (a rare rule's probabilities run low); the score
        puts them on the one scale the rulebook thresholds use."""
        if self.threshold >= 1.0:
            return FIRE_SCORE
        return round(min(1.0, FIRE_SCORE + (1.0 - FIRE_SCORE) * (p - self.threshold)
                         / (1.0 - self.threshold)), 4)

    def top_terms(self, feats: set[str], k: int = 3) -> list[str]:
        """The character groups that pushed the score up most: what the model
        saw (a group inside one already named is not named again)."""
        scored = sorted(((self.weights.get(f, 0.0), f) for f in feats if len(f) > 1),
                        reverse=True)
        chosen: list[str] = []
        for w, f in scored:
            if w <= 0 or len(chosen) == k:
                break
            if not any(f in c or c in f for c in chosen):
                chosen.append(f)
        return chosen


@dataclass(frozen=True)
class LinearModel:
    rules: Mapping[str, RuleModel]
    source: str = ""
    ngrams: tuple[int, ...] = NGRAMS

    @classmethod
    def from_dict(cls, data: dict, source: str = "") -> "LinearModel":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ModelError(f"{source}: not a {FORMAT} model file")
        rules = {}
        for rule, d in (data.get("rules") or {}).items():
            try:
                weights = {str(k): float(v) for k, v in d["weights"].items()}
                threshold = float(d["threshold"])
                bias = float(d["bias"])
            except (KeyError, TypeError, ValueError, AttributeError) as exc:
                raise ModelError(f"{source}: rule {rule!r}: {exc}") from None
            if not 0.0 < threshold <= 1.0:
                raise ModelError(f"{source}: rule {rule!r}: threshold must be in (0, 1]")
            rules[rule] = RuleModel(rule, bias, threshold, weights)
        try:
            ngrams = tuple(sorted({int(n) for n in data.get("ngrams", NGRAMS)}))
        except (TypeError, ValueError):
            raise ModelError(f"{source}: ngrams must be a list of sizes") from None
        if not ngrams or not all(1 <= n <= 6 for n in ngrams):
            raise ModelError(f"{source}: ngrams must be sizes between 1 and 6")
        return cls(rules, source, ngrams)

    def scores(self, norm: Normalized, rules: Iterable[str]) -> dict[str, float]:
        feats = features(norm, self.ngrams)
        return {r: self.rules[r].probability(feats) for r in rules if r in self.rules}


_lock = threading.Lock()


@lru_cache(maxsize=4)
def _load(path: str) -> LinearModel:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelError(f"{path}: no such model file") from None
    except json.JSONDecodeError as exc:
        raise ModelError(f"{path}: not JSON ({exc.msg})") from None
    return LinearModel.from_dict(data, source=path)


def load(path: str | Path = DEFAULT_MODEL) -> LinearModel:
    """The model at ``path``, read once per process."""
    with _lock:
        return _load(str(Path(path).resolve()))


def worth_asking(norm: Normalized, text: str, acknowledgement: bool | None = None) -> bool:
    """Not for 收到 / 好的李局 / 👍: too short to judge, and never a violation.
    ``acknowledgement``: whether ``text`` is one, if already known (the
    context's ``text_acknowledgement``)."""
    if len(norm.key) < MIN_CHARS:
        return False
    return not (is_acknowledgement(text) if acknowledgement is None else acknowledgement)


def closed_rules(findings: Iterable[Finding], hits: Mapping[str, list[Hit]],
                 specs: Mapping[str, RuleSpec]) -> set[str]:
    """Rules the lexicon stage decided: a finding of any score, or one of the
    rule's harmless cues."""
    closed = {f.rule for f in findings}
    for rule, spec in specs.items():
        if spec.harmless_cues and any(h.cue in spec.harmless_cues for h in hits.get(rule, ())):
            closed.add(rule)
    return closed


class _Features:
    """The message's features, computed at most once and only if asked for."""

    def __init__(self, norm: Normalized, ngrams: tuple[int, ...]):
        self.norm, self.ngrams, self._feats = norm, ngrams, None

    def get(self) -> set[str]:
        if self._feats is None:
            self._feats = features(self.norm, self.ngrams)
        return self._feats


def temper(model: LinearModel, ctx: Context, findings: list[Finding],
           specs: Mapping[str, RuleSpec], feats: _Features | None = None) -> list[Finding]:
    """The lexicon findings, with those the model finds all but impossible
    lowered below the rulebook's bar (see ``TEMPER_BELOW``); the reason says so."""
    weak = [f for f in findings if f.rule in model.rules and specs[f.rule].temper
            and TEMPER_SCORE < f.score <= TEMPER_MAX_SCORE]
    if not weak or not worth_asking(ctx.norm, ctx.text, ctx.text_acknowledgement):
        return findings
    feats = (feats or _Features(ctx.norm, model.ngrams)).get()
    out = []
    for f in findings:
        if f in weak:
            p = model.rules[f.rule].probability(feats)
            if p < TEMPER_BELOW:
                f = Finding(f.rule, TEMPER_SCORE, f.evidence,
                            f"{f.reason}（语义模型认为不像违规，置信度{p:.1%}，未予认定）")
        out.append(f)
    return out


def supplement(model: LinearModel, ctx: Context, findings: list[Finding],
               specs: Mapping[str, RuleSpec], feats: _Features | None = None) -> list[Finding]:
    """Findings of the learned stage for the rules of ``specs`` the lexicon
    stage left undecided: no finding of the rule at all (a low-scored finding
    is a decision too), and none of the rule's harmless cues present."""
    if not worth_asking(ctx.norm, ctx.text, ctx.text_acknowledgement):
        return []
    closed = closed_rules(findings, ctx.hits, specs)
    open_rules = [r for r in specs if r not in closed and r in model.rules]
    if not open_rules:
        return []
    feats = (feats or _Features(ctx.norm, model.ngrams)).get()
    out = []
    for rule in open_rules:
        rm = model.rules[rule]
        p = rm.probability(feats)
        if p < rm.threshold:
            continue
        seen = "".join(f"“{t}”" for t in rm.top_terms(feats)) or "整体措辞"
        reason = f"语义模型判断疑似{specs[rule].title}（依据{seen}，置信度{p:.0%}）"
        if specs[rule].secret:
            evidence = redact(ctx.text, "疑似内部材料")
        else:
            evidence = ctx.text[:120]
        out.append(Finding(rule, rm.score(p), evidence[:200], reason))
    return out


def review(model: LinearModel, ctx: Context, findings: list[Finding],
           specs: Mapping[str, RuleSpec]) -> tuple[list[Finding], list[Finding]]:
    """The learned stage on one message: the lexicon findings of the rules in
    ``specs``, tempered (``temper``), and the model's own findings for the
    rules they left undecided (``supplement``). The features are computed once."""
    feats = _Features(ctx.norm, model.ngrams)
    mine = [f for f in findings if f.rule in specs]
    lowered = dict(zip(map(id, mine), temper(model, ctx, mine, specs, feats)))
    return ([lowered.get(id(f), f) for f in findings],
            supplement(model, ctx, findings, specs, feats))
