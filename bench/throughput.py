"""Inspection throughput per core, time per message and start-up time, storage excluded.

    .venv/bin/python bench/throughput.py                  # 20,000 messages per case
    .venv/bin/python bench/throughput.py 50000 --repeat 5
    taskset -c 0 .venv/bin/python bench/throughput.py     # pinned to one core

Two cases, each through two paths of the engine:

* corpus — every line of ``qungui/rules/corpus/*.jsonl``, each inspected
  alone in a room of its own (as ``bot.py eval`` does), cycled to the size;
* stream — the realistic mix of ``bench/mix.py`` arriving in ten rooms (one
  per kind of work group, an owner and twelve members each), with
  acknowledgements, repeats, bursts from one sender and a few long messages
  (``bench.mix.stream``): each message is inspected with its room's recent
  messages and then kept there, as the live path keeps it
  (``Moderator.inspect_and_keep``), so flood and off_topic look back on up
  to 50 earlier messages;

* all rules + decision — the engine's own inspection path
  (``Moderator.inspect``: normalize once, one automaton pass, every enabled
  rule of the default rulebook, the decision stage);
* decision off — the same with the rulebook's ``learned: {enabled: false}``.

Time is CPU time (``time.process_time_ns``), so the figures are per core and
another process on the machine does not count against them; each (case,
path) runs ``--repeat`` times after a warm-up and the fastest run is
reported, with the 50th and 99th percentile of the time one message took in
it. Every run sees its messages as new ones (ids of their own), so that
nothing kept about a message in an earlier run (an earlier message's
keywords) makes a later run look faster than a running bot is. Then, as before: the normalizer and matcher alone, and the start-up of a
fresh interpreter to its first inspected message (wall time).
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mix import ROOT, mix, startup_runs, stream  # noqa: E402

STARTUP = """
import time; t = time.perf_counter()
from qungui.cli.common import load_parts
from qungui.config import load_settings
from qungui.pipeline.engine import Moderator
from qungui.pipeline.evaluation import load_corpus
plugins, rulebook = load_parts(load_settings(None))
m = Moderator(None, rulebook, plugins)
s = load_corpus(__import__('pathlib').Path('qungui/rules/corpus/test.jsonl'), plugins)[0]
m.inspect(s.message, s.room)
print(time.perf_counter() - t)
"""
WARM_UP = 500        # messages inspected first, as a running bot has warmed its caches


@dataclasses.dataclass
class Run:
    seconds: float           # CPU seconds for all the messages
    per_message: list[int]   # CPU ns of each message, sorted
    flagged: int

    @property
    def rate(self) -> float:
        return len(self.per_message) / self.seconds

    def percentile(self, p: float) -> float:
        """µs"""
        return self.per_message[min(len(self.per_message) - 1,
                                    int(p / 100 * len(self.per_message)))] / 1000


def corpus_items(size: int, plugins, groups) -> list[tuple]:
    from qungui.pipeline.evaluation import load_corpus

    samples = [s for path in sorted((ROOT / "qungui" / "rules" / "corpus").glob("*.jsonl"))
               for s in load_corpus(path, set(plugins), groups)]
    return [(s.room, s.message) for s in itertools.islice(itertools.cycle(samples), size)]


def fresh(items: list[tuple], tag: str) -> list[tuple]:
    """The same messages as new ones (ids of their own): nothing a rule kept
    about a message of an earlier run is found for them, as a running bot
    sees every message once."""
    return [(room, dataclasses.replace(msg, id=f"{msg.id}.{tag}")) for room, msg in items]


def run(moderator, items, keep: bool, tag: str = "") -> Run:
    """Every item through the engine: ``keep``, each message then enters its
    room's recent messages (the stream); else each is inspected alone."""
    clock = time.process_time_ns
    inspect = moderator.inspect_and_keep if keep else moderator.inspect
    thresholds = {name: r.threshold for name, r in moderator.rulebook.rules.items()}
    moderator.recent.clear()
    for room, msg in fresh(items[:WARM_UP], f"warm{tag}"):
        inspect(msg, room)
    moderator.recent.clear()
    items = fresh(items, tag)
    times, flagged = [], 0
    for room, msg in items:
        started = clock()
        findings, _ = inspect(msg, room)
        times.append(clock() - started)
        flagged += any(f.score >= thresholds[f.rule] for f in findings)
    moderator.recent.clear()
    return Run(sum(times) / 1e9, sorted(times), flagged)


def best(moderator, items, keep: bool, repeat: int) -> Run:
    return min((run(moderator, items, keep, str(k)) for k in range(repeat)),
               key=lambda r: r.seconds)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("size", nargs="?", type=int, default=20_000,
                        help="messages per case (default 20,000)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per case and path; the fastest is reported (default 3)")
    args = parser.parse_args()

    from qungui.cli.common import load_parts
    from qungui.config import load_settings
    from qungui.core.text import normalize
    from qungui.pipeline.engine import Moderator
    from qungui.pipeline.evaluation import load_groups

    plugins, rulebook = load_parts(load_settings(None))
    lexicons_only = dataclasses.replace(
        rulebook, learned=dataclasses.replace(rulebook.learned, enabled=False))
    paths = {"all rules + decision": Moderator(None, rulebook, plugins),   # no storage
             "decision off": Moderator(None, lexicons_only, plugins)}
    groups = load_groups(None)
    cases = {"corpus": (corpus_items(args.size, plugins, groups), False),
             "stream": (stream(args.size, groups), True)}

    moderator = paths["all rules + decision"]
    print(f"{args.size:,} messages per case, {len(moderator.enabled_params())} rules, "
          f"{len(moderator.matcher):,} lexicon entries; CPU time, fastest of {args.repeat}")
    print(f"{'case':<7} {'path':<20} {'msg/s per core':>14} {'µs/msg':>7} {'p50 µs':>7} "
          f"{'p99 µs':>7}  flagged")
    for case, (items, keep) in cases.items():
        for path, engine in paths.items():
            r = best(engine, items, keep, args.repeat)
            print(f"{case:<7} {path:<20} {r.rate:>14,.0f} {r.seconds / len(items) * 1e6:>7.0f} "
                  f"{r.percentile(50):>7.0f} {r.percentile(99):>7.0f}  "
                  f"{r.flagged:,} ({r.flagged / len(items):.1%})", flush=True)

    rules = frozenset(moderator.enabled_params())
    texts = [d["text"] for d in mix(args.size)]
    started = time.process_time()
    for text in texts:
        moderator.matcher.scan(normalize(text), rules)
    scan = time.process_time() - started
    print(f"normalizer + matcher alone (mix): {len(texts) / scan:,.0f} msg/s per core "
          f"({scan / len(texts) * 1e6:.0f} µs/msg)")

    runs = startup_runs(STARTUP)
    print(f"start-up to the first inspected message: {min(runs):.2f} s "
          f"(best of 3; {', '.join(f'{r:.2f}' for r in runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
