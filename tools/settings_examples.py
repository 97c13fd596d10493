"""Write ``bot.toml.example`` and ``.env.example`` from the settings model
(``qungui/config.py``), so the examples list every setting there is.

    python tools/settings_examples.py           # write both files
    python tools/settings_examples.py --check   # exit 1 if either is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qungui.config import env_example, toml_example  # noqa: E402

FILES = {"bot.toml.example": toml_example, ".env.example": env_example}


def stale() -> list[str]:
    """The example files whose text is not what the model gives."""
    return [name for name, render in FILES.items()
            if not (ROOT / name).is_file()
            or (ROOT / name).read_text(encoding="utf-8") != render()]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check; exit 1 if out of date")
    args = p.parse_args(argv)
    if args.check:
        out = stale()
        for name in out:
            print(f"{name} is out of date: run python tools/settings_examples.py", file=sys.stderr)
        return 1 if out else 0
    for name, render in FILES.items():
        (ROOT / name).write_text(render(), encoding="utf-8")
        print(f"wrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
