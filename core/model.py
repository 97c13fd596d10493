"""The learned stage: per-rule linear models for wording the lexicons miss.

Lexicon cues are precise but only know the words someone wrote down; a
message phrased in a way nobody foresaw passes them by. Each content rule
therefore also has a logistic-regression model over the message's character
1–3-grams (of the folded key view, so inserted separators and styled letters
do not matter) and its jieba words. It is consulted only for the rules the
lexicon stage left undecided on a message (no finding of that rule at all),
and fires only above a per-rule threshold chosen on held-out messages so
that clean work talk stays unflagged.

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

from core.plugin import Context, Finding, redact
from core.text import Normalized

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "rules" / "models" / "linear.json"
FORMAT = "qungui-linear-1"
NGRAMS = (1, 2, 3)
WORD_PREFIX = "w:"
# messages this short carry too little for a model to judge (收到, 好的, 👍)
MIN_CHARS = 6
# how much of the message the model reads: longer ones are notices, which the
# lexicon stage judges by their structure
MAX_CHARS = 400
# the score of a finding at exactly the rule's threshold: the rulebook's default bar
FIRE_SCORE = 0.6


class ModelError(ValueError):
    """A model file that cannot be used; the message names what is wrong."""


def features(norm: Normalized, words: Iterable[str]) -> set[str]:
    """Character 1–3-grams of the key view plus jieba words of the plain view."""
    key = norm.key[:MAX_CHARS]
    out = {WORD_PREFIX + w for w in words if len(w) > 1}
    for n in NGRAMS:
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

    def top_words(self, feats: set[str], k: int = 3) -> list[str]:
        """The words that pushed the score up most: what the model saw."""
        scored = [(self.weights.get(f, 0.0), f) for f in feats if f.startswith(WORD_PREFIX)]
        scored = sorted((s for s in scored if s[0] > 0), reverse=True)[:k]
        return [f[len(WORD_PREFIX):] for _, f in scored]


@dataclass(frozen=True)
class LinearModel:
    rules: Mapping[str, RuleModel]
    source: str = ""

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
        return cls(rules, source)

    def scores(self, norm: Normalized, words: Iterable[str],
               rules: Iterable[str]) -> dict[str, float]:
        feats = features(norm, words)
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


def supplement(model: LinearModel, ctx: Context, findings: list[Finding],
               rules: Iterable[str], titles: Mapping[str, str]) -> list[Finding]:
    """Findings of the learned stage for the ``rules`` the lexicon stage left
    undecided: no finding of the rule at all (a low-scored finding is a
    decision too — a notice or a rebuttal that quotes the offence)."""
    decided = {f.rule for f in findings}
    open_rules = [r for r in rules if r not in decided and r in model.rules]
    if not open_rules or len(ctx.norm.key) < MIN_CHARS:
        return []
    feats = features(ctx.norm, ctx.tokens)
    out = []
    for rule in open_rules:
        rm = model.rules[rule]
        p = rm.probability(feats)
        if p < rm.threshold:
            continue
        words = rm.top_words(feats)
        seen = "、".join(f"“{w}”" for w in words) or "整体措辞"
        reason = f"语义模型判断疑似{titles.get(rule, rule)}（依据{seen}，置信度{p:.0%}）"
        if rule == "classified":
            evidence = redact(ctx.text, "疑似内部材料")
        else:
            evidence = ctx.text[:120]
        out.append(Finding(rule, rm.score(p), evidence[:200], reason))
    return out
