"""compose.yaml, the deployment of several accounts on one database, agrees
with the code: every service runs a command the bot has, with arguments it
accepts, and reads the settings under the names the bot reads them by."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from qungui.cli import build_parser
from qungui.config import load_settings

COMPOSE = Path(__file__).resolve().parent.parent / "compose.yaml"
ENV = {"POSTGRES_PASSWORD": "pw", "PUPPET_TOKEN_A": "token-a", "PUPPET_ENDPOINT_A": "gw-a:8788",
       "PUPPET_TOKEN_B": "token-b", "PUPPET_ENDPOINT_B": "gw-b:8788"}


def _expand(value: str) -> str:
    """${NAME}, ${NAME:-default} and ${NAME:?message} as compose expands them."""
    return re.sub(r"\$\{(\w+)(?::[-?][^}]*)?\}", lambda m: ENV[m.group(1)], str(value))


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def test_every_service_runs_a_command_the_bot_has():
    parser = build_parser()
    for name, service in _services().items():
        if "build" not in service:
            continue
        args = parser.parse_args(service["command"])
        assert args.command in ("run", "web"), name


def test_the_accounts_share_one_database_and_keep_their_own_tokens():
    bots = {n: s for n, s in _services().items() if s.get("command") == ["run"]}
    assert len(bots) >= 2
    settings = {n: load_settings(None, {k: _expand(v) for k, v in s["environment"].items()})
                for n, s in bots.items()}
    urls = {s.database_url for s in settings.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql+asyncpg://")
    tokens = [s.puppet_token for s in settings.values()]
    assert len(set(tokens)) == len(tokens) and all(tokens)
    # a spool the container user can write, on each bot's own volume
    assert all(str(s.spool).startswith("/data/") for s in settings.values())
    volumes = [tuple(s["volumes"]) for s in bots.values()]
    assert len(set(volumes)) == len(volumes)
    web = load_settings(None, {k: _expand(v) for k, v in _services()["web"]["environment"].items()})
    assert web.database_url in urls
