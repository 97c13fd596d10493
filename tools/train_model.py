"""Train the learned stage (rules/models/linear.json) from the labelled corpus.

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python tools/train_model.py            # dev.jsonl + extra*.jsonl

One logistic regression per content rule over the features of
``core.model.features`` (character n-grams of the key view, 1–3 by default).
The decision threshold of each rule is chosen on out-of-fold predictions,
weighing a false alarm on a message the lexicon stage leaves undecided (the
only messages the model is ever asked about) as ``--fp-cost`` missed
violations, so that it stays silent on clean work talk. The result is
written as a plain JSON dict of weights; the bot needs neither numpy nor
scikit-learn to use it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qungui.pipeline import learned as learned_model  # noqa: E402
from qungui.pipeline.engine import Moderator  # noqa: E402
from qungui.pipeline.evaluation import content_rules, load_corpus, load_groups  # noqa: E402
from qungui.core.plugin import specs_of
from qungui.plugins import load_plugins  # noqa: E402
from qungui.core.rulebook import DEFAULT_RULEBOOK, load_rulebook  # noqa: E402
from qungui.core.text import normalize  # noqa: E402

# the rules a labelled corpus scores (their specs say ``content``)
CONTENT_RULES = content_rules(load_plugins())

CORPUS = ROOT / "qungui" / "rules" / "corpus"
THRESHOLDS = [round(0.3 + 0.02 * i, 2) for i in range(35)]     # 0.30 … 0.98


def subject(sample) -> str:
    """What the engine inspects: the text plus any attachment name."""
    msg = sample.message
    if msg.file_name:
        return f"{msg.text}\n{msg.file_name}" if msg.text else msg.file_name
    return msg.text


def lexicon_decided(samples) -> list[set[str]]:
    """The rules the lexicon stage decides, per sample: the model is never
    asked about them (``core.model.closed_rules``)."""
    from collections import deque
    plugins = load_plugins()
    book = load_rulebook(DEFAULT_RULEBOOK, specs_of(plugins))
    from dataclasses import replace
    book = replace(book, learned=replace(book.learned, enabled=False))
    moderator = Moderator(None, book, plugins)
    out = []
    for s in samples:
        moderator.recent[s.room.id] = deque(s.recent)
        findings, _ = moderator.inspect(s.message, s.room)
        moderator.recent.pop(s.room.id, None)
        norm = normalize(subject(s))
        if not learned_model.worth_asking(norm, norm.original):
            out.append(set(CONTENT_RULES))
            continue
        hits = moderator.matcher.scan(norm, frozenset(moderator.enabled_params()))
        out.append(learned_model.closed_rules(findings, hits, specs_of(plugins)))
    return out


def raise_for_clean_budget(oof, ys, thresholds, clean, budget: float) -> None:
    """Raise thresholds until the model alone, asked about every message (as
    it would be on wording the lexicons have never seen), flags at most
    ``budget`` of the clean ones. Each step raises the rule that gives up
    the fewest true findings per clean message spared."""
    def flagged(th):
        union = np.zeros(len(clean), dtype=bool)
        for r, t in th.items():
            union |= oof[r] >= t
        return union & clean

    while flagged(thresholds).sum() > budget * clean.sum():
        before = flagged(thresholds).sum()
        best = None
        for rule, t in thresholds.items():
            higher = [x for x in THRESHOLDS if x > t]
            if not higher:
                continue
            trial = dict(thresholds, **{rule: higher[0]})
            spared = before - flagged(trial).sum()
            lost = int(((oof[rule] >= t) & (oof[rule] < higher[0]) & (ys[rule] == 1)).sum())
            cost = lost / spared if spared else float("inf") if lost else 1e6
            if best is None or cost < best[0]:
                best = (cost, rule, higher[0])
        if best is None:
            break
        thresholds[best[1]] = best[2]


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus", nargs="*", help="training corpora (default: dev.jsonl and every "
                                              "extra*.jsonl beside it)")
    ap.add_argument("--out", default=str(learned_model.DEFAULT_MODEL))
    ap.add_argument("--C", type=float, default=4.0, help="inverse L2 regularisation strength")
    ap.add_argument("--ngrams", default="1,2,3", help="character n-gram sizes, e.g. 1,2,3,4")
    ap.add_argument("--class-weight", choices=("none", "balanced"), default="none",
                    help="weigh each rule's few positives up to its many negatives")
    ap.add_argument("--min-df", type=int, default=2, help="features seen in fewer messages are dropped")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--fp-cost", type=float, default=8.0,
                    help="a false alarm counts this many missed violations when choosing thresholds")
    ap.add_argument("--clean-budget", type=float, default=0.0075,
                    help="largest share of clean messages the model alone may flag, out of fold")
    return ap


def train(samples, args, quiet: bool = False) -> dict:
    """The model file's content (a dict), trained on ``samples``."""
    say = (lambda *a, **k: None) if quiet else print
    ngrams = tuple(int(n) for n in str(args.ngrams).split(","))
    weight = None if args.class_weight == "none" else "balanced"
    feats = [learned_model.features(normalize(subject(s)), ngrams) for s in samples]
    df = Counter(f for fs in feats for f in fs)
    vocab = {f: i for i, f in enumerate(sorted(f for f, c in df.items() if c >= args.min_df))}
    rows, cols = [], []
    for r, fs in enumerate(feats):
        for f in fs:
            if f in vocab:
                rows.append(r)
                cols.append(vocab[f])
    X = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(samples), len(vocab)))
    names = sorted(vocab, key=vocab.get)
    decided = None if quiet else lexicon_decided(samples)
    clean = np.array([not s.labels for s in samples])

    oof, ys, thresholds = {}, {}, {}
    for rule in CONTENT_RULES:
        y = ys[rule] = np.array([rule in s.labels for s in samples], dtype=int)
        oof[rule] = np.zeros(len(samples))
        folds = StratifiedKFold(n_splits=args.folds, shuffle=True, random_state=0)
        for tr, te in folds.split(X, y):
            clf = LogisticRegression(C=args.C, max_iter=2000, class_weight=weight)
            clf.fit(X[tr], y[tr])
            oof[rule][te] = clf.predict_proba(X[te])[:, 1]
        # The threshold is chosen on the model's own out-of-fold predictions
        # over every message, not only the ones the lexicons leave undecided:
        # the lexicons were written against this very corpus, so what they
        # leave open here is far less than on new wording.
        best = (float("-inf"), 1.0)
        for t in THRESHOLDS:
            fire = oof[rule] >= t
            gain = int((fire & (y == 1)).sum()) - args.fp_cost * int((fire & (y == 0)).sum())
            if gain > best[0]:
                best = (gain, t)
        thresholds[rule] = best[1]
    raise_for_clean_budget(oof, ys, thresholds, clean, args.clean_budget)

    say(f"{'rule':<15}{'pos':>5}{'open pos':>9}{'thr':>6}{'oof tp':>7}{'oof fp':>7}"
        f"{'clean fp':>9}")
    out_rules = {}
    for rule in CONTENT_RULES:
        y, threshold = ys[rule], thresholds[rule]
        fire = oof[rule] >= threshold
        tp, fp, cfp = (int((fire & (y == 1)).sum()), int((fire & (y == 0)).sum()),
                       int((fire & clean).sum()))
        if tp == 0:
            threshold = 1.0  # the model never pays for this rule: keep it silent
        clf = LogisticRegression(C=args.C, max_iter=2000, class_weight=weight)
        clf.fit(X, y)
        weights = {names[i]: round(float(w), 4) for i, w in enumerate(clf.coef_[0])
                   if abs(w) >= 0.002}
        out_rules[rule] = {"bias": round(float(clf.intercept_[0]), 4), "threshold": threshold,
                           "weights": weights}
        if decided is not None:
            open_pos = sum(1 for d, yy in zip(decided, y) if yy and rule not in d)
            say(f"{rule:<15}{int(y.sum()):>5}{open_pos:>9}{threshold:>6}{tp:>7}{fp:>7}{cfp:>9}")
    union = np.zeros(len(samples), dtype=bool)
    for rule in CONTENT_RULES:
        union |= oof[rule] >= thresholds[rule]
    say(f"clean messages the model alone would flag (out of fold): "
        f"{int((union & clean).sum())}/{int(clean.sum())}")
    sizes = "-".join(str(n) for n in (min(ngrams), max(ngrams))) if ngrams == tuple(
        range(min(ngrams), max(ngrams) + 1)) else ",".join(map(str, ngrams))
    return {"format": learned_model.FORMAT, "features": f"char {sizes}-grams of the key view",
            "ngrams": list(ngrams), "C": args.C, "min_df": args.min_df,
            "class_weight": args.class_weight, "rules": out_rules}


def default_corpora() -> list[Path]:
    return [CORPUS / "dev.jsonl", *sorted(CORPUS.glob("extra*.jsonl"))]


def main() -> int:
    args = parser().parse_args()
    files = [Path(p) for p in args.corpus] or default_corpora()
    groups = load_groups(CORPUS / "groups.yaml")
    samples = [s for f in files for s in load_corpus(f, set(load_plugins()), groups)]
    print(f"training on {len(samples)} messages from {', '.join(str(f) for f in files)}")
    data = train(samples, args)
    data["trained_on"] = [str(f.relative_to(ROOT)) if f.is_absolute() and ROOT in f.parents
                          else str(f) for f in files]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":"),
                                         sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {args.out} ({Path(args.out).stat().st_size // 1024} KiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
