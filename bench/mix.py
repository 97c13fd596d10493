"""A realistic message mix for the benchmarks: mostly ordinary work talk.

Work groups are mostly clean, so the mix is every clean message of the
labelled corpus plus one violation for every nine clean ones (about 10%),
repeated to the size asked for.
"""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CORPORA = (ROOT / "qungui" / "rules" / "corpus" / "dev.jsonl", ROOT / "qungui" / "rules" / "corpus" / "test.jsonl")


def corpus_lines() -> list[dict]:
    return [json.loads(line) for path in CORPORA
            for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def mix(size: int, seed: int = 7) -> list[dict]:
    lines = corpus_lines()
    clean = [d for d in lines if not d["labels"]]
    bad = [d for d in lines if d["labels"]]
    rng = random.Random(seed)
    rng.shuffle(bad)
    base = clean + bad[: max(1, len(clean) // 9)]
    rng.shuffle(base)
    return list(itertools.islice(itertools.cycle(base), size))


# --- a stream through rooms --------------------------------------------------

ACKNOWLEDGEMENTS = ("收到", "好的", "👍", "收到，{owner}", "好的{title}", "1", "收到！", "明白",
                    "嗯嗯", "OK")
SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何高林罗"
UNITS = ("财政局", "住建局", "办公室", "发改委")
MEMBERS_PER_ROOM = 12


def rooms(groups: dict) -> list:
    """One room per kind of work group (``groups.yaml``): its topic, purpose
    and owner, and twelve members with 姓名-单位-职务 nicknames."""
    from qungui.core.events import Member, Room

    out = []
    for k, (kind, g) in enumerate(sorted(groups.items())):
        alias = g.get("owner", "王强-办公室-主任")
        owner = Member(f"{kind}-owner", alias.split("-")[0], alias)
        members = [owner] + [
            Member(f"{kind}-m{i}", f"{SURNAMES[(i + k) % 20]}伟涛",
                   f"{SURNAMES[(i + k) % 20]}伟涛-{UNITS[i % 4]}-科员")
            for i in range(MEMBERS_PER_ROOM)]
        out.append(Room(id=f"room-{kind}", topic=g.get("topic", ""), purpose=g.get("purpose", ""),
                        owner_id=owner.id, members={m.id: m for m in members}))
    return out


def stream(size: int, groups: dict, seed: int = 11) -> list[tuple]:
    """``size`` (room, message) pairs in the order they arrive: the messages
    of ``mix`` in the rooms of ``rooms``, each room's clock running on
    (a couple of minutes apart, now and then seconds), and besides them
    acknowledgements (about 1 in 10), a sender sending the same again
    (1 in 16), bursts of 3 to 8 messages from one sender, half of them
    repeats (3 in 100 start one), and a few long messages (1 in 500: 3,000
    to 25,000 characters, some with a marking after the inspection cap)."""
    from datetime import timedelta

    from qungui.core.events import Message, MessageType
    from qungui.pipeline.evaluation import T0

    rng = random.Random(seed)
    lines = mix(size, seed)
    clean = [d for d in lines if not d["labels"]]
    by_kind = {room.id.removeprefix("room-"): room for room in rooms(groups)}
    kinds = sorted(by_kind)
    clock = dict.fromkeys(kinds, T0)
    last: dict[tuple[str, str], tuple] = {}
    burst = None      # (kind, sender, messages left, repeats?)
    out = []
    for n, d in enumerate(lines):
        kind = d.get("group") if d.get("group") in by_kind and rng.random() >= 0.3 \
            else rng.choice(kinds)
        if burst is None and rng.random() < 0.03:
            k = rng.choice(kinds)
            burst = (k, rng.choice(list(by_kind[k].members.values())[1:]), rng.randint(3, 8),
                     rng.random() < 0.5)
        if burst is not None:
            kind = burst[0]
        room = by_kind[kind]
        owner = room.members[room.owner_id]
        members = list(room.members.values())
        sender = owner if rng.random() < 0.08 else rng.choice(members[1:])
        gap = rng.choice((2, 5, 10)) if rng.random() < 0.25 else rng.expovariate(1 / 120)
        roll = rng.random()
        if burst is not None:
            sender, gap = burst[1], rng.uniform(2, 12)
            roll = 0.0 if burst[3] else roll
            burst = (*burst[:2], burst[2] - 1, burst[3]) if burst[2] > 1 else None
        clock[kind] += timedelta(seconds=gap)
        text = d.get("text", "")
        kind_of = MessageType(d.get("type") or "text")
        file_name = d.get("file_name") or None
        amount = d.get("amount") if isinstance(d.get("amount"), (int, float)) else None
        if roll < 0.06 and (room.id, sender.id) in last:
            text, kind_of, file_name, amount = last[(room.id, sender.id)]
        elif roll < 0.16:
            text = rng.choice(ACKNOWLEDGEMENTS).format(owner=owner.name,
                                                      title=owner.alias.split("-")[-1])
            kind_of, file_name, amount = MessageType.TEXT, None, None
        elif roll < 0.162:
            length = rng.choice((3000, 6000, 25000))
            joined = "\n".join(x["text"] for x in rng.sample(clean, min(200, len(clean))))
            text = (joined * (length // max(1, len(joined)) + 1))[:length]
            if length > 20_000 and rng.random() < 0.5:
                text += "机密★1年"
            kind_of, file_name, amount = MessageType.TEXT, None, None
        last[(room.id, sender.id)] = (text, kind_of, file_name, amount)
        mentioned = d.get("mention_owner") or f"@{owner.name}" in text
        out.append((room, Message(
            id=f"s{n}", room_id=room.id, sender_id=sender.id, ts=clock[kind], type=kind_of,
            text=text, sender_name=sender.name, mention_ids=(owner.id,) if mentioned else (),
            file_name=file_name, amount=float(amount) if amount is not None else None)))
    return out


def startup_runs(script: str, runs: int = 3) -> list[float]:
    """Seconds a fresh interpreter running ``script`` (which prints them last)
    takes, once per run, from the project's root."""
    import subprocess
    import sys
    times = []
    for _ in range(runs):
        out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                             text=True, check=True)
        times.append(float(out.stdout.strip().splitlines()[-1]))
    return times
