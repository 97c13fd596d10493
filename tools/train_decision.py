"""Train the decision stage (qungui/rules/models/decision.npz).

    .venv/bin/pip install -e '.[train]'
    .venv/bin/python tools/train_decision.py

One logistic regression per content rule over the evidence the engine
gives it at run time (``pipeline/decision.py``): the lexicon stage's verdict
on the rule, character 1–3-grams of the key view, the sentence embedding
with its cosine to the room's topic, for the residual rule (off_topic) its
relevance against a bank of other training rooms (``decision.relevance``;
``--relevance none`` leaves it out) and, with ``--static``, the static word
vector (``tools/build_static.py``). Trained on the team's corpus (dev and extra*), the
outside writers' sets (outside* and candidate*) and the training part of each public
source (``rules/corpus/public/*_train.jsonl``; ``SOURCES.md`` says where
each came from). A line
with ``judged`` counts only for the rules it names. test, holdout and the
public held-out files are never read here. The outside*.jsonl files were
written by outside writers as blind sets, each measured once before it was
trained on; the candidate*.jsonl files by outside writers as sets whose
errors were read to mend the lexicons, measured as they arrived (those in
``reserve/`` wait outside the default globs); blind_*.jsonl are such sets kept
blind, never read here.

Calibration and operating points come from 5-fold out-of-fold predictions:
a one-variable logistic fit maps each rule's raw sum to a probability, and
the operating point is the highest probability whose F1 is within
``--f1-slack`` (``--rule-slack``: a rule's own) of the best among those at
which the rule flags at most ``--clean-budget`` of the messages judged not
to break it (``RULE_BUDGETS``, ``--rule-budget``: a rule's own), never below
``--min-threshold``: where the F1 is flat, the point with the fewest false
alarms. Below a second, lower point (``keep``) a lexicon finding is
lowered: the point where, out of fold, lowering removes the most false
findings for the true ones it costs (``--lower-cost``). Lines of a public
source weigh ``--public-weight`` against the team's own, or a rule's own
weight (``RULE_PUBLIC_WEIGHTS``, ``--rule-public-weight``). The first tier
(the same without the embedding) gets three points of its own, out of fold:
the gate below which the encoder is not asked (``--gate-pass``), the point
from which it confirms a lexicon finding alone (``--settle-miss``), and the
one from which it finds a rule alone (``--add-miss``).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qungui.core import embedding, static_embedding  # noqa: E402
from qungui.core.plugin import specs_of  # noqa: E402
from qungui.core.rulebook import DEFAULT_RULEBOOK, load_rulebook  # noqa: E402
from qungui.pipeline import decision  # noqa: E402
from qungui.pipeline.engine import Moderator  # noqa: E402
from qungui.pipeline.evaluation import content_rules, load_corpus  # noqa: E402
from qungui.plugins import load_plugins  # noqa: E402

CORPUS = ROOT / "qungui" / "rules" / "corpus"
# the n-gram block's and the embedding block's scale: the one regularization
# strength then weighs them about evenly
EMB_SCALE = 4.0
LEX_SCALE = 2.0
STATIC_SCALE = 4.0
# the relevance features' scales (``decision.REL_FEATURES``: a gap of cosines
# of a few hundredths, a share of rooms)
REL_SCALE = np.array([20.0, 2.0])
# A rule whose false alarm weighs heavier than the rest gets a tighter budget:
# to be told in front of one's leader that one has improperly commented on
# the centre's policy, for a remark that supports it, is the gravest false
# accusation the bot can make
RULE_BUDGETS = {"central_policy": 0.001}
# Public lines that speak a rule's own case weigh more for it: the Weibo rumours,
# stated as fact as a member would pass them on, and the stance comments, supporting
# or attacking a central policy as a member would, weigh as the team's lines or more
RULE_PUBLIC_WEIGHTS = {"rumor": 1.5, "central_policy": 1.0}


def default_corpora() -> list[Path]:
    own = ([CORPUS / "dev.jsonl"] + sorted(CORPUS.glob("extra*.jsonl"))
           + sorted(CORPUS.glob("outside*.jsonl")) + sorted(CORPUS.glob("candidate*.jsonl")))
    return own + sorted((CORPUS / "public").glob("*_train.jsonl"))


def relevance_bank(rows, vec, E, cos, args):
    """The bank of rooms relevance is measured against (``--bank-size``
    training rooms, drawn with a fixed seed, their vectors rounded as the
    model file stores them) and every row's ``decision.REL_FEATURES``; (None,
    an empty block) with ``--relevance none``."""
    if args.relevance == "none":
        return None, np.zeros((len(rows), 0))
    rooms = sorted({r["room"][:embedding.MAX_CHARS] for r in rows})
    rng = np.random.default_rng(11)
    chosen = sorted(rng.choice(len(rooms), size=min(args.bank_size, len(rooms)), replace=False))
    bank = np.stack([vec[rooms[i]] for i in chosen]).astype(np.float16).astype(np.float32)
    REL = np.array([decision.relevance(e, c, bank) for e, c in zip(E.astype(np.float32), cos)])
    print(f"relevance bank: {len(bank)} of {len(rooms)} rooms")
    return bank, REL


def gather(paths, plugins, book):
    """Each sample's lexicon evidence, n-grams and the texts the encoder reads."""
    from collections import deque
    from dataclasses import replace
    from qungui.core.rulebook import Learned
    moderator = Moderator(None, replace(book, learned=Learned(enabled=False)), plugins)
    rules = content_rules(moderator.plugins, book.rules)
    specs = {r: moderator.plugins[r].spec for r in rules}
    rows = []
    for path in paths:
        for s in load_corpus(path, moderator.plugins):
            moderator.recent[s.room.id] = deque(s.recent)
            ctx, findings, _ = moderator.lexicon_stage(s.message, s.room)
            moderator.recent.pop(s.room.id, None)
            rows.append({
                "id": s.id, "labels": s.labels, "judged": s.judged,
                "asked": decision.worth_asking(ctx),
                "lex": decision.lexicon_evidence(ctx, findings, specs),
                "grams": decision.ngram_features(ctx.norm),
                "subject": decision.subject(ctx), "room": decision.room_subject(ctx),
                "source": path.name,
            })
    return rules, specs, rows


def encoder_key() -> str:
    """What the cached vectors were made by: the engine asked for and the
    int8 graph's weight levels (``e5_onnx.WEIGHT_LEVELS``); a
    cache made by another is not read."""
    from qungui.core import e5_onnx
    return (f"engine={os.environ.get(embedding.ENGINE_ENV, 'default')};"
            f"int8={e5_onnx.INT8};levels={e5_onnx.WEIGHT_LEVELS}")


def embed_all(texts: set[str], cache: Path | None) -> dict[str, np.ndarray]:
    """Every text's embedding; those in ``cache`` (a .npz of texts and
    vectors, written back, with the ``encoder_key`` that made them) are not
    encoded again."""
    vec: dict[str, np.ndarray] = {}
    key = encoder_key()
    if cache is not None and cache.is_file():
        with np.load(cache, allow_pickle=False) as z:
            if "encoder" in z and str(z["encoder"]) == key:
                vec = {str(t): v for t, v in zip(z["texts"], z["vectors"]) if str(t) in texts}
            else:
                print(f"{cache}: made by another encoder, not read")
    todo = sorted(texts - set(vec))
    enc = embedding.encoder()
    for i in range(0, len(todo), 64):
        chunk = todo[i:i + 64]
        for t, v in zip(chunk, enc.encode(chunk)):
            vec[t] = v
    if cache is not None and todo:
        cache.parent.mkdir(parents=True, exist_ok=True)
        keys = sorted(vec)
        np.savez(cache, texts=np.array(keys), vectors=np.stack([vec[k] for k in keys]),
                 encoder=np.array(key))
    print(f"{len(todo)} texts encoded, {len(texts) - len(todo)} from the cache")
    return vec


def out_of_fold(X, y, w, folds, C: float) -> np.ndarray:
    """Each message's raw sum from the model trained on the other four folds."""
    from sklearn.linear_model import LogisticRegression   # the training extras
    out = np.zeros(len(y))
    for f in range(5):
        tr, te = folds != f, folds == f
        m = LogisticRegression(C=C, max_iter=3000).fit(X[tr], y[tr], sample_weight=w[tr])
        out[te] = m.decision_function(X[te])
    return out


def sure_point(scores: np.ndarray, wrong: np.ndarray, share: float) -> float:
    """The lowest first-tier sum from which up at most ``share`` of the
    messages are ``wrong`` (the full model, out of fold, would decide them
    otherwise); infinite where there is none."""
    if not len(scores):
        return np.inf
    order = np.argsort(-scores)
    misses = np.cumsum(wrong[order])
    ok = np.flatnonzero(misses <= share * np.arange(1, len(order) + 1))
    return float(scores[order][ok[-1]]) if len(ok) else np.inf


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("corpora", nargs="*", type=Path, help="training files (default: see above)")
    p.add_argument("--out", type=Path, default=decision.DEFAULT_MODEL)
    p.add_argument("--C", type=float, default=1.0, help="inverse regularization strength")
    p.add_argument("--clean-budget", type=float, default=0.0015,
                   help="share of judged clean messages one rule may flag (out of fold)")
    p.add_argument("--rule-budget", action="append", default=[], metavar="RULE=SHARE",
                   help="a rule's own clean budget (default: "
                        + ", ".join(f"{r}={v}" for r, v in RULE_BUDGETS.items()) + ")")
    p.add_argument("--min-threshold", type=float, default=0.5)
    p.add_argument("--cache", type=Path, default=Path.home() / ".cache" / "qungui" / "embeddings.npz",
                   help="embeddings of texts seen before (not shipped; delete to recompute)")
    p.add_argument("--public-weight", type=float, default=0.6,
                   help="weight of a public source's line against one of the team's corpus")
    p.add_argument("--rule-public-weight", action="append", default=[], metavar="RULE=WEIGHT",
                   help="a rule's own weight of public lines (default: "
                        + ", ".join(f"{r}={v}" for r, v in RULE_PUBLIC_WEIGHTS.items())
                        + "; other rules --public-weight)")
    p.add_argument("--lower-cost", type=float, default=3.0,
                   help="how many false lexicon findings lowering one true one must remove")
    p.add_argument("--gate-pass", type=float, default=0.999,
                   help="share of the messages the full model flags that the first tier lets through")
    p.add_argument("--gate-ref", choices=("flagged", "flagged+true"), default="flagged",
                   help="the messages the gate is set on: those the full model flags, or "
                        "those and every true positive the lexicon missed")
    p.add_argument("--settle-miss", type=float, default=0.005,
                   help="share of the lexicon findings settled by the first tier that the full "
                        "model would have lowered")
    p.add_argument("--add-miss", type=float, default=0.001,
                   help="share of the messages the first tier finds a rule in alone (no "
                        "lexicon finding, no encoder) that the full model would have left "
                        "unflagged")
    p.add_argument("--f1-slack", type=float, default=0.003,
                   help="an operating point is the highest whose out-of-fold F1 is within "
                        "this of the best within the clean budget")
    p.add_argument("--rule-slack", action="append", default=[], metavar="RULE=SLACK",
                   help="a rule's own --f1-slack (default: --f1-slack for every rule)")
    p.add_argument("--static-in", choices=("gate", "both"), default="both",
                   help="where the static word vectors count (with --static): the first tier "
                        "alone, which decides whether the encoder is asked (the full model "
                        "unchanged), or both tiers")
    p.add_argument("--static", default="none",
                   help="a static word-vector table to train on (tools/build_static.py writes "
                        f"{static_embedding.BUILT_TABLE}); the shipped model has none (see README)")
    p.add_argument("--relevance", choices=("residual", "none"), default="residual",
                   help="weigh the message's relevance to its room against a bank of other "
                        "rooms (decision.relevance) for the residual rule (off_topic), or not")
    p.add_argument("--bank-size", type=int, default=256,
                   help="rooms in the relevance bank (drawn from the training rooms)")
    p.add_argument("--min-gram-count", type=int, default=2,
                   help="n-grams seen in fewer training messages are dropped")
    return p


def operating_point(p: np.ndarray, y: np.ndarray, budget: float, slack: float,
                    min_threshold: float) -> tuple[float, float, float, float, int]:
    """(threshold, F1, precision, recall, clean flagged) of a rule's operating
    point on out-of-fold probabilities ``p`` of labels ``y``: among the
    thresholds (steps of 0.01 from ``min_threshold``) at which the rule flags at
    most ``budget`` of the clean messages, the highest whose F1 is within
    ``slack`` of the best. Where the F1 is flat, the highest such point: a
    false alarm costs a member more than a miss costs the group."""
    neg = y == 0
    points = []
    for th in np.arange(min_threshold, 0.995, 0.01):
        hit = p >= th
        if neg.sum() and (hit & neg).sum() / neg.sum() > budget:
            continue
        tp = (hit & (y == 1)).sum()
        prec = tp / hit.sum() if hit.sum() else 0.0
        rec = tp / y.sum() if y.sum() else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        points.append((float(th), f1, prec, rec, int((hit & neg).sum())))
    top = max((pt[1] for pt in points), default=0.0)
    return max((pt for pt in points if pt[1] >= top - slack),
               key=lambda pt: pt[0], default=(1.0, 0.0, 0.0, 0.0, 0))


def per_rule(items: list[str], option: str, value: str, known) -> dict[str, float]:
    """``RULE=NUMBER`` options as a mapping, every rule a known one."""
    out = {}
    for item in items:
        rule, _, number = item.partition("=")
        try:
            out[rule.strip()] = float(number)
        except ValueError:
            raise SystemExit(f"{option} {item!r}: expected RULE={value}") from None
    unknown = sorted(set(out) - set(known))
    if unknown:
        raise SystemExit(f"{option}: no such rule: {', '.join(unknown)}")
    return out


def main() -> int:
    # the training extras (pip install -e '.[train]'), imported where used: the
    # cache's helpers (embed_all, encoder_key) import without them
    from scipy.sparse import csr_matrix, hstack
    from sklearn.linear_model import LogisticRegression
    args = parser().parse_args()
    t0 = time.time()
    plugins = load_plugins()
    budgets = {**RULE_BUDGETS, **per_rule(args.rule_budget, "--rule-budget", "SHARE", plugins)}
    slacks = per_rule(args.rule_slack, "--rule-slack", "SLACK", plugins)
    public_weights = {**RULE_PUBLIC_WEIGHTS,
                      **per_rule(args.rule_public_weight, "--rule-public-weight", "WEIGHT", plugins)}
    book = load_rulebook(DEFAULT_RULEBOOK, specs_of(plugins))
    paths = args.corpora or default_corpora()
    rules, specs, rows = gather(paths, plugins, book)
    rows = [r for r in rows if r["asked"]]
    own = {p.name for p in paths if p.parent.name != "public"}
    print(f"{len(rows)} messages from {len(paths)} files ({time.time() - t0:.0f} s)")

    vec = embed_all({r["subject"][:embedding.MAX_CHARS] for r in rows}
                    | {r["room"][:embedding.MAX_CHARS] for r in rows}, args.cache)
    E = np.stack([vec[r["subject"][:embedding.MAX_CHARS]] for r in rows]).astype(np.float64)
    T = np.stack([vec[r["room"][:embedding.MAX_CHARS]] for r in rows]).astype(np.float64)
    cos = (E * T).sum(axis=1)
    print(f"embedded {len(vec)} texts ({time.time() - t0:.0f} s)")
    bank, REL = relevance_bank(rows, vec, E, cos, args)
    table = None if args.static == "none" else static_embedding.StaticTable.load(args.static)
    dS = table.dim if table is not None else 0
    S = (np.stack([table.vector(r["subject"]) for r in rows]).astype(np.float64)
         if table is not None else np.zeros((len(rows), 0)))

    counts: dict[str, int] = {}
    for r in rows:
        for g in r["grams"]:
            counts[g] = counts.get(g, 0) + 1
    grams = sorted(g for g, c in counts.items() if c >= args.min_gram_count)
    index = {g: i for i, g in enumerate(grams)}
    ri, ci = [], []
    for n, r in enumerate(rows):
        for g in r["grams"]:
            j = index.get(g)
            if j is not None:
                ri.append(n)
                ci.append(j)
    G = csr_matrix((np.ones(len(ri)), (ri, ci)), shape=(len(rows), len(grams)))
    print(f"{len(grams)} n-grams")

    R, D = len(rules), embedding.DIM
    bias = np.zeros(R)
    w_lex = np.zeros((R, len(decision.LEX_FEATURES)))
    w_emb = np.zeros((R, D))
    w_static = np.zeros((R, dS))
    gate_static = np.zeros((R, dS))
    w_ngram = np.zeros((len(grams), R))
    w_rel = np.zeros((R, len(decision.REL_FEATURES)))
    calib = np.tile([1.0, 0.0], (R, 1))
    threshold = np.ones(R)
    emb_hi = np.zeros(R)
    emb_mean = np.zeros(R)
    # folds by a hash of the id, so that a message's fold does not depend on file order
    fold_of = np.array([int(hashlib.sha1(r["id"].encode()).hexdigest(), 16) % 5 for r in rows])
    keep = np.zeros(R)
    gate = np.zeros(R)
    gate_hi = np.full(R, np.inf)
    add_hi = np.full(R, np.inf)
    gate_bias = np.zeros(R)
    gate_lex = np.zeros((R, 3))
    gate_ngram = np.zeros((len(grams), R))
    public = np.array([r["source"] not in own for r in rows])
    for k, rule in enumerate(rules):
        judged = np.array([r["judged"] is None or rule in r["judged"] for r in rows])
        idx = np.flatnonzero(judged)
        y = np.array([rule in rows[i]["labels"] for i in idx], dtype=int)
        w = np.where(public[idx], public_weights.get(rule, args.public_weight), 1.0)
        fired = np.array([rows[i]["lex"][rule][1] > 0 for i in idx])
        L = np.array([rows[i]["lex"][rule] + [cos[i]] for i in idx]) * LEX_SCALE
        Sk = csr_matrix(S[idx] * STATIC_SCALE)
        Sfull = Sk if args.static_in == "both" else csr_matrix((len(idx), dS))
        dR = REL.shape[1] if bank is not None and specs[rule].residual else 0
        Rk = csr_matrix(REL[idx] * REL_SCALE if dR else np.zeros((len(idx), 0)))
        X = hstack([G[idx], csr_matrix(E[idx] * EMB_SCALE), csr_matrix(L), Sfull, Rk]).tocsr()
        oof = out_of_fold(X, y, w, fold_of[idx], args.C)
        # the first tier: the same without the embedding and the topic cosine
        X1 = hstack([G[idx], csr_matrix(L[:, :3]), Sk]).tocsr()
        oof1 = out_of_fold(X1, y, w, fold_of[idx], args.C)
        cal = LogisticRegression(C=100.0).fit(oof.reshape(-1, 1), y, sample_weight=w)
        a, b = float(cal.coef_[0, 0]), float(cal.intercept_[0])
        p = 1 / (1 + np.exp(-(a * oof + b)))
        best = operating_point(p, y, budgets.get(rule, args.clean_budget),
                               slacks.get(rule, args.f1_slack), args.min_threshold)
        # the lexicon's own findings: kept unless the model is surer than this
        # that they are wrong, so that it lowers at most --keep-loss of the true ones
        # a true finding lost costs --lower-cost false ones removed
        gains = []
        for kp in np.linspace(0.01, best[0], 60):
            lowered = fired & (p < kp)
            gains.append((int((lowered & (y == 0)).sum()) - args.lower_cost
                          * int((lowered & (y == 1)).sum()), -kp))
        keep[k] = -max(gains)[1]
        # the gate: the first tier's sum that --gate-pass of the messages the
        # full model flags (out of fold) reach; a true positive the full model
        # misses is not counted (the encoder would not flag it either), unless
        # the model flags too few for a quantile (then the lexicon's misses
        # are the population)
        ref = oof1[(p >= best[0]) & ~fired]
        if args.gate_ref == "flagged+true" or len(ref) < 20:
            ref = oof1[((p >= best[0]) | (y == 1)) & ~fired]
        gate[k] = (float(np.quantile(ref, 1 - args.gate_pass)) if len(ref) >= 20
                   else float(ref.min()) - 0.5 if len(ref) else -np.inf)
        # the upper gate: a lexicon finding at the bar that the first tier
        # places at or above it is confirmed without the encoder; the lowest
        # such point at which, out of fold, the full model would have lowered
        # at most --settle-miss of those findings
        strong = np.array([rows[i]["lex"][rule][0] >= decision.FIRE_SCORE for i in idx])
        gate_hi[k] = sure_point(oof1[strong], (p < keep[k])[strong], args.settle_miss)
        settled = strong & (oof1 >= gate_hi[k])
        # the same for a message without a lexicon finding: from ``add_hi`` up,
        # out of fold, the full model would have left at most --add-miss of
        # them unflagged, so the first tier finds the rule there alone; not
        # for a residual rule (off_topic): whether a message is about the
        # room's work is the embedding's cosine to its topic, which the first
        # tier lacks (it reads 「/frobnicate」 as chit-chat by its letters)
        if best[0] < 1.0 and not specs[rule].residual:
            add_hi[k] = sure_point(oof1[~fired], (p < best[0])[~fired], args.add_miss)
        sure = ~fired & (oof1 >= add_hi[k])
        passed = ((oof1 >= gate[k]) | fired) & ~settled & ~sure
        m1 = LogisticRegression(C=args.C, max_iter=3000).fit(X1, y, sample_weight=w)
        gate_ngram[:, k] = m1.coef_[0][:len(grams)]
        gate_lex[k] = m1.coef_[0][len(grams):len(grams) + 3] * LEX_SCALE
        gate_static[k] = m1.coef_[0][len(grams) + 3:] * STATIC_SCALE
        gate_bias[k] = float(m1.intercept_[0])
        m = LogisticRegression(C=args.C, max_iter=3000).fit(X, y, sample_weight=w)
        coef = m.coef_[0]
        nG = len(grams)
        w_ngram[:, k] = coef[:nG]
        w_emb[k] = coef[nG:nG + D] * EMB_SCALE
        w_lex[k] = coef[nG + D:nG + D + len(decision.LEX_FEATURES)] * LEX_SCALE
        nL = len(decision.LEX_FEATURES)
        w_static[k] = coef[nG + D + nL:nG + D + nL + Sfull.shape[1]] * STATIC_SCALE
        if dR:
            w_rel[k] = coef[len(coef) - dR:] * REL_SCALE
        bias[k] = float(m.intercept_[0])
        calib[k] = (a, b)
        threshold[k] = best[0]
        part = E @ w_emb[k] + w_lex[k, 3] * cos + (REL @ w_rel[k] if bank is not None else 0.0)
        emb_hi[k] = float(part.max() + 0.5)
        emb_mean[k] = float(part.mean())
        lex_fp = int((fired & (y == 0)).sum())
        kept_fp = int((fired & (y == 0) & (p >= keep[k])).sum())
        print(f"{rule:15s} n={len(idx):5d} pos={int(y.sum()):4d} th={best[0]:.2f} keep={keep[k]:.3f} "
              f"oofF1={best[1]:.3f} P={best[2]:.3f} R={best[3]:.3f} neg_fp={best[4]} "
              f"lexicon false findings kept {kept_fp}/{lex_fp}; gate passes {passed.mean():.0%}, settles {int(settled.sum())}/{int(strong.sum())}, "
              f"finds alone {int(sure.sum())} ({int((sure & (y == 0)).sum())} clean)")

    # n-grams that weigh nothing for any rule are dropped from the file
    used = np.flatnonzero(np.maximum(np.abs(w_ngram).max(axis=1),
                                     np.abs(gate_ngram).max(axis=1)) >= 0.01)
    model = decision.DecisionModel(
        rules=tuple(rules), bias=bias, w_lex=w_lex, w_emb=w_emb.astype(np.float32),
        ngram_index={grams[i]: n for n, i in enumerate(used)}, w_ngram=w_ngram[used],
        calib=calib, threshold=threshold, keep=keep, emb_hi=emb_hi, emb_mean=emb_mean,
        gate_bias=gate_bias, gate_lex=gate_lex, gate_ngram=gate_ngram[used], gate=gate,
        gate_hi=gate_hi, add_hi=add_hi,
        **({} if bank is None else {"rel_bank": bank, "w_rel": w_rel}),
        **({} if table is None else {"static": table, "w_static": w_static,
                                     "gate_static": gate_static}))
    trained_on = [p.name for p in paths]
    model.save(args.out, trained_on=trained_on)
    print(f"wrote {args.out} ({args.out.stat().st_size // 1024} KB, {len(used)} n-grams) "
          f"in {time.time() - t0:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
