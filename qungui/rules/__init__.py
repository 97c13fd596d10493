"""The rule data that ships with the bot: the default rulebook, the lexicons,
the learned model, the demo sample and the labelled corpora.

Everything that reads these files finds them through ``data_path``, whether the bot
runs from a checkout or from an installed wheel.
"""

from __future__ import annotations

from pathlib import Path

_HERE = Path(__file__).resolve().parent


def data_path(*parts: str) -> Path:
    """A file or folder of the shipped rule data, e.g. ``data_path("lexicons")``."""
    return _HERE.joinpath(*parts)
