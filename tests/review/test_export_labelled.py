"""Reviewed incidents as labelled examples for the next training run
(``bot.py log --export-labelled``): confirmed -> labels [rule], dismissed ->
labels [], judged [rule]; never the text of a message a secret rule flagged."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

from qungui.app import build_moderator, rule_specs
from qungui.core.events import RoomSnapshot
from qungui.core.ports import IncidentIn
from qungui.pipeline.evaluation import load_corpus
from qungui.review.export import labelled_examples
from qungui.storage.repository import Repository
from qungui.storage.review import IncidentFilter, ReviewStore
from tests.conftest import T0, work_room

ROOT = Path(__file__).resolve().parents[2]
ADS = "自家代购面膜，原价199特价99元一盒，有需要的加微信 wx123456"
BASKETBALL = "篮球赛第三轮：周二晚七点，水利局对交通局"
SECRET = "机密★1年 关于城东片区项目用地调整的方案，先发大家看看"
SECRET_WORDS = "城东片区项目用地调整"
SECRET_REMINDER = "洽谈中涉及企业商业秘密的材料不要外传，这是基本要求。"


async def reviewed_log(repo, plugins, rulebook, matcher, clock) -> dict[str, int]:
    """A room's log with every kind of review: message id -> incident id (the
    lexicons' findings alone, whatever a model makes of these messages)."""
    rulebook = replace(rulebook, learned=replace(rulebook.learned, enabled=False))
    m = build_moderator(repo, rulebook, plugins, matcher, bot_id="botid")
    await m.start()
    await m.handle(RoomSnapshot(work_room()))
    for text, sender, mid in ((ADS, "u2", "ads"), (BASKETBALL, "u3", "ball"),
                              (SECRET, "u4", "secret"), (SECRET_REMINDER, "u2", "reminder"),
                              ("今天天气不错，适合钓鱼", "u3", "open")):
        await m.handle(clock.msg(text, sender, id=mid, gap=600))
    await m.message_log.flush()
    # one message, two rules: one confirmed, one dismissed
    await repo.record([IncidentIn(room_id="r1", message_id="two", rule=rule, sender_id="u4",
                                  ts=T0, score=0.8, excerpt="听说老王又托关系了，大家别外传，加我微信细聊")
                       for rule in ("gossip", "cronyism")])
    store = ReviewStore(repo, rule_specs(plugins), embed=lambda text: [0.0] * 384)
    rows, _ = await store.incidents(IncidentFilter(), limit=100)
    ids = {(r.message_id, r.rule): r.id for r in rows}
    for key, decision in ((("ads", "ads"), "confirm"), (("ball", "off_topic"), "dismiss"),
                          (("secret", "classified"), "confirm"),
                          (("reminder", "classified"), "dismiss"),
                          (("two", "gossip"), "confirm"), (("two", "cronyism"), "dismiss")):
        await store.review(ids[key], "web:li", decision)
    return {m: i for (m, _), i in ids.items()}


async def test_confirmed_and_dismissed_become_labelled_lines(repo, plugins, rulebook, matcher,
                                                            clock, tmp_path):
    ids = await reviewed_log(repo, plugins, rulebook, matcher, clock)
    export = labelled_examples(await ReviewStore(repo).judged_messages(IncidentFilter()),
                               rule_specs(plugins))
    by_text = {line["text"]: line for line in export.lines}
    assert set(by_text) == {ADS, BASKETBALL, "听说老王又托关系了，大家别外传，加我微信细聊"}
    ads = by_text[ADS]
    assert (ads["labels"], ads["judged"], ads["id"]) == (["ads"], ["ads"], f"review-{ids['ads']}")
    assert ads["topic"] == "招商引资专项工作群" and ads["purpose"] == "招商项目洽谈、签约与落地推进"
    ball = by_text[BASKETBALL]
    assert (ball["labels"], ball["judged"]) == ([], ["off_topic"])
    two = by_text["听说老王又托关系了，大家别外传，加我微信细聊"]
    assert (two["labels"], two["judged"]) == (["gossip"], ["cronyism", "gossip"])
    assert (export.confirmed, export.dismissed, export.secret) == (2, 2, 2)
    dumped = json.dumps(export.lines, ensure_ascii=False)
    assert SECRET_WORDS not in dumped and "sha256:" not in dumped and "商业秘密" not in dumped
    # the lines are a corpus the evaluation reads
    corpus = tmp_path / "reviewed.jsonl"
    corpus.write_text("".join(json.dumps(x, ensure_ascii=False) + "\n" for x in export.lines),
                      encoding="utf-8")
    samples = load_corpus(corpus, plugins)
    assert {s.text: set(s.labels) for s in samples}[ADS] == {"ads"}


async def test_the_filters_apply(repo, plugins, rulebook, matcher, clock):
    await reviewed_log(repo, plugins, rulebook, matcher, clock)
    store = ReviewStore(repo)
    only = labelled_examples(await store.judged_messages(IncidentFilter(status="dismissed")),
                             rule_specs(plugins))
    assert [(x["labels"], x["judged"]) for x in only.lines] == [([], ["off_topic"]),
                                                              ([], ["cronyism"])]
    ads = labelled_examples(await store.judged_messages(IncidentFilter(rule="ads")),
                            rule_specs(plugins))
    assert [x["text"] for x in ads.lines] == [ADS] and ads.secret == 0


async def test_the_command_writes_the_file_and_counts_what_it_skipped(
        tmp_path, plugins, rulebook, matcher, clock):
    db = tmp_path / "bot.sqlite3"
    repo = await Repository.open(f"sqlite+aiosqlite:///{db}", spool_path=tmp_path / "spool.jsonl")
    try:
        await reviewed_log(repo, plugins, rulebook, matcher, clock)
    finally:
        await repo.close()
    out = tmp_path / "labelled.jsonl"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    res = subprocess.run([sys.executable, str(ROOT / "bot.py"), "log", "--db", f"sqlite:///{db}",
                          "--export-labelled", str(out)], capture_output=True, text=True,
                         env=env, cwd=ROOT, timeout=120)
    assert res.returncode == 0, res.stderr
    lines = [json.loads(x) for x in out.read_text(encoding="utf-8").splitlines()]
    assert len(lines) == 3 and all(set(x) >= {"id", "text", "labels", "judged", "topic", "purpose"}
                                   for x in lines)
    assert "已导出 3 条消息" in res.stderr and "涉密规则的事件 2 条" in res.stderr
    assert SECRET_WORDS not in out.read_text(encoding="utf-8")
    refused = subprocess.run([sys.executable, str(ROOT / "bot.py"), "log", "--db",
                              f"sqlite:///{db}", "--status", "open", "--export-labelled", "-"],
                             capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert refused.returncode == 2 and "reviewed incidents" in refused.stderr
