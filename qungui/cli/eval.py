"""``bot.py eval``: per-rule precision, recall and F1 on a labelled corpus."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from qungui.cli import arguments, command
from qungui.cli.common import CliError, add_rulebook_and_db, load_parts, settings_from, table


def configure(sp):
    sp.add_argument("corpus", nargs="+", help="labelled corpus file(s), JSONL "
                                              "(e.g. rules/corpus/dev.jsonl)")
    sp.add_argument("--groups", help="group kinds (default: groups.yaml beside the corpus, "
                                     "else rules/corpus/groups.yaml)")
    sp.add_argument("--format", choices=("table", "json"), default="table")
    sp.add_argument("--errors", action="store_true",
                    help="also list every message whose predicted rules differ from its labels")
    sp.add_argument("--min-f1", type=float, default=None,
                    help="exit with status 1 if the macro F1 is below this")
    sp.add_argument("--max-clean-flagged", type=float, default=None,
                    help="exit with status 1 if a larger share of clean messages is flagged")
    add_rulebook_and_db(sp, db=False)


@command("eval", "measure detection quality on a labelled corpus",
         "Inspect every message of a labelled corpus with the real plugins and the "
         "rulebook's thresholds, and print per-rule precision, recall and F1 over the ten "
         "content rules, their macro average and the share of clean messages flagged.")
@arguments(configure)
async def run(args) -> int:
    from qungui.pipeline.engine import Moderator
    from qungui.pipeline.evaluation import (CorpusError, content_rules, evaluate, load_corpus,
                                            load_groups)

    settings = settings_from(args)
    plugins, rulebook = load_parts(settings)
    groups = None
    if args.groups:
        if not Path(args.groups).is_file():
            raise CliError(f"{args.groups}: no such file")
        groups = load_groups(Path(args.groups))
    samples = []
    for name in args.corpus:
        if not Path(name).is_file():
            raise CliError(f"{name}: no such file")
        try:
            samples += load_corpus(Path(name), plugins, groups)
        except CorpusError as exc:
            raise CliError(str(exc)) from None
    # Storage plays no part in inspection: no repository is opened.
    moderator = Moderator(None, rulebook, plugins, bot_id=settings.bot_id)
    rules = [r for r in content_rules(plugins, rulebook.rules) if r in moderator.enabled_params()]
    report = evaluate(moderator, samples, rules)

    if args.format == "json":
        out = report.as_dict()
        if args.errors:
            out["errors"] = [{"id": s.id, "text": s.text, "labels": sorted(s.labels),
                              "predicted": sorted(p)} for s, p in report.errors]
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        rows = [[r, str(s.tp + s.fn), str(s.tp), str(s.fp), str(s.fn), f"{s.precision:.3f}",
                 f"{s.recall:.3f}", f"{s.f1:.3f}"] for r, s in report.judged_rules.items()]
        table(sys.stdout, ["rule", "positives", "tp", "fp", "fn", "precision", "recall", "F1"],
              rows)
        print(f"\nmessages: {report.samples}   clean: {report.clean}   "
              f"macro F1: {report.macro_f1:.3f}   clean flagged: {report.clean_flagged}/"
              f"{report.clean} = {report.clean_flagged_share:.2%}")
        if args.errors:
            print("\ndisagreements (id, labels → predicted, text):")
            for s, predicted in report.errors:
                print(f"  {s.id}  {','.join(sorted(s.labels)) or '-'} → "
                      f"{','.join(sorted(predicted)) or '-'}  {s.text[:70]}")
    failed = ((args.min_f1 is not None and report.macro_f1 < args.min_f1)
              or (args.max_clean_flagged is not None
                  and report.clean_flagged_share > args.max_clean_flagged))
    return 1 if failed else 0
