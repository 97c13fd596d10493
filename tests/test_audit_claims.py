"""``audit --store --claim P``: hosts sharing one database share an archive's
parts, on SQLite and PostgreSQL: each part run once between them (or again
only when a claim outlived its lease), the incidents those of one run."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

from sqlalchemy import delete, select, update

from qungui.cli.audit import part_of
from qungui.storage.models import AuditPartRow, IncidentRow, MessageRow, utcnow
from tests.test_store_scaling import (
    ROOT, _audit, _events_file, audit_command, count, open_repo, repo_ctx, single_run, stored,
)

ROOMS = ("r1", "r2", "r3", "r4", "r5", "r6")       # parts 1, 3, 5, 6, 0, 2 of 8
EVENTS = len(ROOMS) * 11                           # a snapshot and ten messages a room


def _start(db_url: str, events: Path, cwd: Path, *extra: str) -> subprocess.Popen:
    argv, env = audit_command(db_url, events, cwd, *extra)
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=cwd)


def ran_parts(stderr: str) -> list[int]:
    found = re.search(r"ran part\(s\) ([\d, ]+) of 8 here", stderr)
    return [int(p) for p in found.group(1).split(", ")] if found else []


async def parts_table(repo) -> list[AuditPartRow]:
    async with repo.sessions() as s:
        return list(await s.scalars(select(AuditPartRow).order_by(AuditPartRow.part)))


def in_order(lines: list[str], reference: list[str]) -> bool:
    at = {line: i for i, line in enumerate(reference)}
    return [at[line] for line in lines] == sorted(at[line] for line in lines)


async def test_two_hosts_claiming_parts_run_each_once_and_store_the_single_run(db_url, tmp_path):
    events = tmp_path / "events.jsonl"
    _events_file(events, ROOMS)
    one, single_rows = await single_run(db_url, events, tmp_path, len(ROOMS))
    single_out = one.stdout
    # two hosts at once: one process, and one with two workers claiming
    hosts = [_start(db_url, events, tmp_path, "--claim", "8"),
             _start(db_url, events, tmp_path, "--claim", "8", "--workers", "2")]
    runs = [(h.wait(timeout=300), *h.communicate()) for h in hosts]
    for rc, _, err in runs:
        assert rc == 0, err
    async with repo_ctx(db_url, tmp_path) as repo:
        assert await stored(repo) == single_rows
        assert await count(repo, MessageRow) == len(ROOMS) * 10
        table = await parts_table(repo)
    assert [p.part for p in table] == list(range(8))
    assert all(p.state == "done" and p.claims == 1 and p.parts == 8 for p in table)
    assert sum(p.processed for p in table) == EVENTS and not any(p.failed for p in table)
    assert all(p.processed == (11 if p.part in {part_of(r, 8) for r in ROOMS} else 0)
               for p in table)
    # each part named by one host; each host printed its parts' results, in input order
    named = [ran_parts(err) for _, _, err in runs]
    assert sorted(named[0] + named[1]) == list(range(8)), [err for _, _, err in runs]
    reference = single_out.splitlines()
    outs = [out.splitlines() for _, out, _ in runs]
    assert sorted(outs[0] + outs[1]) == sorted(reference)
    for lines, parts in zip(outs, named):
        assert in_order(lines, reference)
        assert {part_of(json.loads(line)["room_id"], 8) for line in lines} <= set(parts)
    by = {p.claimed_by for p in table}
    assert all(re.fullmatch(r".+:\d+", b) for b in by)
    assert len(by) <= 3                             # the first host, the second's two workers


async def test_a_stale_claim_is_taken_over_and_a_live_one_left(db_url, tmp_path):
    events = tmp_path / "events.jsonl"
    _events_file(events, ROOMS)
    first = _audit(db_url, events, tmp_path, "--claim", "8", "--job", "nightly")
    assert first.returncode == 0, first.stderr
    assert "job 'nightly': ran part(s) 0, 1, 2, 3, 4, 5, 6, 7 of 8 here" in first.stderr
    async with repo_ctx(db_url, tmp_path) as repo:
        everything = await stored(repo)
        stale, live = part_of("r1", 8), part_of("r2", 8)
        async with repo.sessions.begin() as s:
            # a host died running part(r1) two hours ago; another runs part(r2) now
            for part, by, at in ((stale, "gone:1", utcnow() - timedelta(hours=2)),
                                 (live, "busy:2", utcnow())):
                await s.execute(update(AuditPartRow).where(AuditPartRow.part == part).values(
                    state="claimed", claimed_by=by, claimed_at=at, done_at=None))
            await s.execute(delete(IncidentRow).where(IncidentRow.room_id == "r1"))
            await s.execute(delete(MessageRow).where(MessageRow.room_id == "r1"))
    again = _audit(db_url, events, tmp_path, "--claim", "8", "--job", "nightly")
    assert again.returncode == 0, again.stderr
    assert f"ran part(s) {stale} of 8 here; of all: 0 open, 1 claimed elsewhere, 7 done" \
        in again.stderr
    r1 = [line for line in first.stdout.splitlines() if json.loads(line)["room_id"] == "r1"]
    assert again.stdout.splitlines() == r1
    async with repo_ctx(db_url, tmp_path) as repo:
        assert await stored(repo) == everything
        assert await count(repo, MessageRow) == len(ROOMS) * 10
        table = {p.part: p for p in await parts_table(repo)}
    assert table[stale].state == "done" and table[stale].claims == 2
    assert table[stale].claimed_by not in (None, "gone:1") and table[stale].processed == 11
    assert (table[live].state, table[live].claimed_by, table[live].claims) == ("claimed", "busy:2", 1)


async def test_a_rerun_runs_nothing_and_another_number_of_parts_is_refused(db_url, tmp_path):
    events = tmp_path / "events.jsonl"
    _events_file(events, ROOMS)
    first = _audit(db_url, events, tmp_path, "--claim", "8")
    assert first.returncode == 0, first.stderr
    async with repo_ctx(db_url, tmp_path) as repo:
        rows = await stored(repo)
    again = _audit(db_url, events, tmp_path, "--claim", "8")
    assert again.returncode == 0, again.stderr
    assert again.stdout == ""
    assert re.search(r"archive sha256:[0-9a-f]{12}: all 8 parts are done already; nothing "
                     r"was run", again.stderr), again.stderr
    other = _audit(db_url, events, tmp_path, "--claim", "4", "--workers", "2")
    assert other.returncode == 2 and other.stdout == ""
    assert other.stderr.strip().count("\n") == 0
    assert "registered in 8 parts, not 4: run it with --claim 8" in other.stderr
    async with repo_ctx(db_url, tmp_path) as repo:
        assert await stored(repo) == rows
        table = await parts_table(repo)
    assert len(table) == 8 and all(p.parts == 8 and p.claims == 1 for p in table)


def test_claim_needs_store(tmp_path):
    events = tmp_path / "events.jsonl"
    _events_file(events, ROOMS)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT_", "WECHATY_"))}
    env.update(PYTHONPATH=str(ROOT), BOT_DATA_DIR=str(tmp_path))
    run = subprocess.run([sys.executable, str(ROOT / "bot.py"), "audit", str(events),
                          "--claim", "8"], capture_output=True, text=True, env=env, cwd=tmp_path,
                         timeout=120)
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.strip() == "error: --claim needs --store: the hosts share the archive's " \
                                 "parts and incidents through the database"


async def test_claimers_racing_on_one_database_take_each_part_once(db_url, tmp_path):
    """Four connections claiming at once, their looks and takes interleaved:
    every part goes to exactly one of them."""
    from qungui.storage.parts import ArchiveParts

    repos = [await open_repo(db_url, tmp_path, f"s{k}") for k in range(4)]
    try:
        await ArchiveParts(repos[0].sessions, repos[0].dialect, "a").register(16)

        async def claimer(k):
            claims = ArchiveParts(repos[k].sessions, repos[k].dialect, "a")
            got = []
            while (part := await claims.claim(f"h:{k}", timedelta(minutes=30))) is not None:
                got.append(part)
                await asyncio.sleep(0)
            return got

        got = await asyncio.gather(*(claimer(k) for k in range(4)))
        assert sorted(p for g in got for p in g) == list(range(16)), got
        table = await parts_table(repos[0])
        assert all(p.state == "claimed" and p.claims == 1 for p in table)
        assert {p.part: p.claimed_by for p in table} == {
            part: f"h:{k}" for k, g in enumerate(got) for part in g}
    finally:
        for r in repos:
            await r.close()


def test_a_process_reads_the_archive_once_however_many_parts_it_runs(tmp_path, monkeypatch,
                                                                     capsys):
    """The first part runs as the file is read, every other part's events are
    filed by part; the parts claimed after it read their own files: the
    file is parsed once, not once a part, and the results are the single
    run's."""
    from qungui.cli import audit, main

    events = tmp_path / "events.jsonl"
    _events_file(events, ROOMS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("BOT_DATA_DIR", str(tmp_path))
    reads = []
    real = audit._read

    def counted(*args, **kwargs):
        reads.append(args[0])
        return real(*args, **kwargs)

    monkeypatch.setattr(audit, "_read", counted)
    assert main(["audit", "--store", "--db", f"sqlite+aiosqlite:///{tmp_path}/one.sqlite3",
                 str(events)]) == 0
    single = capsys.readouterr()
    assert len(reads) == 1
    reads.clear()
    assert main(["audit", "--store", "--db", f"sqlite+aiosqlite:///{tmp_path}/parts.sqlite3",
                 str(events), "--claim", "8"]) == 0
    claimed = capsys.readouterr()
    assert "ran part(s) 0, 1, 2, 3, 4, 5, 6, 7 of 8 here" in claimed.err
    assert len(reads) == 1, reads
    assert sorted(claimed.out.splitlines()) == sorted(single.out.splitlines())
    # the torn line is reported once, and the counts are the whole file's
    assert claimed.err.count(f"line {len(ROOMS) + 4 + 1}:") == 1, claimed.err
