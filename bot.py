#!/usr/bin/env python3
"""群规助手 — the moderation bot for WeChat work groups, from a checkout.

``python bot.py --help`` lists the commands; installed, the same is the
``qungui`` command. The commands live in ``qungui/cli/``.
"""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from qungui.cli import main as cli_main
    return cli_main(argv, prog="bot.py")


if __name__ == "__main__":
    sys.exit(main())
