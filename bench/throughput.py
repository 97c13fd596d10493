"""Inspection throughput and start-up time, storage excluded.

    .venv/bin/python bench/throughput.py            # 20,000 messages
    .venv/bin/python bench/throughput.py 50000

Measures, on one core, over the realistic mix of bench/mix.py:

* audit: every enabled rule of the default rulebook through the engine's own
  inspection path (``Moderator.inspect``: normalize once, one automaton pass,
  every plugin), as ``bot.py audit`` does minus the database;
* normalizer + matcher alone (``normalize`` and ``Matcher.scan``);
* start-up: a fresh interpreter importing the bot, loading plugins, the
  rulebook, jieba and the automaton, and inspecting one message.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mix import ROOT, mix  # noqa: E402

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


def main() -> int:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 20_000
    from qungui.cli.common import load_parts
    from qungui.config import load_settings
    from qungui.pipeline.engine import Moderator
    from qungui.pipeline.evaluation import load_groups, sample_from_dict
    from qungui.core.text import normalize

    plugins, rulebook = load_parts(load_settings(None))
    moderator = Moderator(None, rulebook, plugins)   # inspection never touches storage
    groups = load_groups(None)
    samples = [sample_from_dict(d, "mix", i, set(plugins), groups) for i, d in enumerate(mix(size))]
    for s in samples[:500]:      # warm the per-character caches, as a running bot has
        moderator.inspect(s.message, s.room)

    t = time.perf_counter()
    flagged = 0
    for s in samples:
        findings, _ = moderator.inspect(s.message, s.room)
        flagged += any(f.score >= rulebook.rules[f.rule].threshold for f in findings)
    audit = time.perf_counter() - t

    matcher, rules = moderator.matcher, frozenset(moderator.enabled_params())
    texts = [s.message.text for s in samples]
    t = time.perf_counter()
    for text in texts:
        matcher.scan(normalize(text), rules)
    scan = time.perf_counter() - t

    runs = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", STARTUP], cwd=ROOT, capture_output=True,
                             text=True, check=True)
        runs.append(float(out.stdout.strip().splitlines()[-1]))

    print(f"messages: {size} ({flagged} flagged, {flagged / size:.1%}), "
          f"{len(moderator.enabled_params())} rules, {len(matcher)} lexicon entries")
    print(f"audit (all rules, Moderator.inspect, no storage): {size / audit:,.0f} msg/s "
          f"({audit / size * 1e6:.0f} µs/msg)")
    print(f"normalizer + matcher alone:                       {size / scan:,.0f} msg/s "
          f"({scan / size * 1e6:.0f} µs/msg)")
    print(f"start-up to first inspected message:              {min(runs):.2f} s "
          f"(best of 3; {', '.join(f'{r:.2f}' for r in runs)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
