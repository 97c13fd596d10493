"""The bot as a user installs it: the wheel built from this checkout carries
every file of rule data, installs into a fresh virtual environment outside
the checkout, and its ``qungui`` command runs the demo and an audit from an
empty folder. Offline: the wheel is built without build isolation and the
dependencies come from this interpreter's site-packages through a .pth file."""

from __future__ import annotations

import json
import os
import shutil
import site
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# the data the bot reads at run time, as globs under qungui/
DATA = ["rules/*.yaml", "rules/lexicons/*.txt", "rules/models/*.npz", "rules/samples/*.jsonl",
        "rules/corpus/*.jsonl", "rules/corpus/public/*.jsonl", "storage/migrations/*.mako",
        "storage/migrations/versions/*.py", "web/templates/*.html", "web/static/*"]


def run(*cmd, **kw):
    res = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, timeout=300, **kw)
    assert res.returncode == 0, f"{cmd}: {res.stderr[-2000:]}"
    return res


def test_wheel_installs_and_runs_outside_the_checkout(tmp_path):
    # build from a copy, so no build/ or egg-info is left in the checkout
    src = tmp_path / "src"
    src.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    shutil.copytree(ROOT / "qungui", src / "qungui",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    run(sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation",
        "-w", tmp_path / "dist", src)
    (wheel,) = (tmp_path / "dist").glob("qungui_bot-*.whl")

    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        entry_points = next(z.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    expected = {f"qungui/{p.relative_to(ROOT / 'qungui').as_posix()}"
                for pattern in DATA for p in (ROOT / "qungui").glob(pattern)}
    assert len(expected) > 40 and expected <= names, sorted(expected - names)
    assert "bot.py" not in names and not any(n.startswith(("tests/", "bench/", "tools/"))
                                             for n in names)
    assert "qungui = qungui.cli:main" in entry_points

    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv)
    py = venv / "bin" / "python"
    run(sys.executable, "-m", "pip", "--python", py, "install", "-q", "--no-deps",
        "--no-index", wheel)
    # the dependencies: this interpreter's site-packages, appended after the venv's own
    purelib = Path(run(py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])")
                   .stdout.strip())
    deps = {sysconfig.get_paths()["purelib"], *site.getsitepackages()}
    (purelib / "deps.pth").write_text("\n".join(sorted(deps)) + "\n", encoding="utf-8")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("BOT_", "WECHATY_", "PYTHON"))}
    where = run(py, "-c", "import qungui, qungui.rules as r; print(qungui.__file__); "
                          "print(r.data_path('samples', 'demo.jsonl'))", cwd=empty, env=env)
    package, sample = where.stdout.split()
    assert package.startswith(str(venv)) and sample.startswith(str(venv))

    qungui = venv / "bin" / "qungui"
    demo = run(qungui, "demo", cwd=empty, env=env)
    assert "事件记录汇总" in demo.stdout and "群规助手：@" in demo.stdout
    assert (empty / "data" / "bot.sqlite3").is_file()          # the data folder, ./data
    assert str(empty / "data") in demo.stdout + demo.stderr     # and it says where
    audit = run(qungui, "audit", sample, cwd=empty, env=env)
    lines = [json.loads(line) for line in audit.stdout.splitlines()]
    assert len(lines) > 30 and any(line["action"] == "warn" for line in lines)
    assert sorted(p.name for p in empty.iterdir()) == ["data"]  # nothing else written
