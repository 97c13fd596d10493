#!/usr/bin/env python3
"""群规助手 — the moderation bot for WeChat work groups.

``python bot.py --help`` lists the commands; ``python bot.py CMD --help``
explains each one. The commands live in ``cli/``.
"""

from __future__ import annotations

import asyncio
import logging
import sys


def main(argv: list[str] | None = None) -> int:
    from qungui.cli import build_parser
    from qungui.cli.common import CliError

    args = build_parser().parse_args(argv)
    logging.basicConfig(level=getattr(logging, str(args.log_level).upper(), logging.WARNING),
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr)
    try:
        return asyncio.run(args.func(args))
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
