"""compose.yaml and the Dockerfile, the deployment of several accounts on one
database, agree with the code: every service runs a command the bot has, with
arguments it accepts, reads the settings under the names the bot reads them
by, keeps its secrets in env files that are never committed nor built into
the image, and has a health check the bot answers."""

from __future__ import annotations

import json
import re
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from qungui.cli import build_parser
from qungui.config import load_settings, read_dotenv

ROOT = Path(__file__).resolve().parent.parent
COMPOSE = ROOT / "compose.yaml"
DOCKERFILE = ROOT / "Dockerfile"
# what a deployer writes into the env files compose.yaml names
ENV_FILES = {".env": "POSTGRES_PASSWORD=pw\nBOT_MESSAGE_RETENTION_DAYS=7\n",
             "bot-a.env": "WECHATY_PUPPET_SERVICE_TOKEN=token-a\n"
                          "WECHATY_PUPPET_SERVICE_ENDPOINT=gw-a:8788\n",
             "bot-b.env": "WECHATY_PUPPET_SERVICE_TOKEN=token-b\n"
                          "WECHATY_PUPPET_SERVICE_ENDPOINT=gw-b:8788\n"}


@pytest.fixture
def env_files(tmp_path) -> Path:
    for name, body in ENV_FILES.items():
        (tmp_path / name).write_text(body, encoding="utf-8")
    return tmp_path


def _services() -> dict:
    return yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))["services"]


def _dockerfile_env() -> dict[str, str]:
    text = DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ")
    return dict(re.findall(r"(\w+)=(\S+)", " ".join(
        line[4:] for line in text.splitlines() if line.startswith("ENV "))))


def _container_env(service: dict, folder: Path) -> dict[str, str]:
    """The environment a service's container gets: the image's ENV, its env
    files, then its ``environment`` (interpolated from .env, as compose does)."""
    dot = read_dotenv(folder / ".env")
    env = _dockerfile_env()
    for name in service.get("env_file", []):
        env.update(read_dotenv(folder / name))
    expand = lambda v: re.sub(r"\$\{(\w+)(?::[-?][^}]*)?\}", lambda m: dot[m.group(1)], str(v))  # noqa: E731
    env.update({k: expand(v) for k, v in service.get("environment", {}).items()})
    return env


def test_every_service_runs_a_command_the_bot_has():
    parser = build_parser()
    for name, service in _services().items():
        if "build" not in service:
            continue
        args = parser.parse_args(service["command"])
        assert args.command in ("run", "web"), name


def test_the_accounts_share_one_database_and_keep_their_own_tokens(env_files):
    bots = {n: s for n, s in _services().items() if s.get("command") == ["run"]}
    assert len(bots) >= 2
    settings = {n: load_settings(None, _container_env(s, env_files)) for n, s in bots.items()}
    urls = {s.database_url for s in settings.values()}
    assert len(urls) == 1 and next(iter(urls)).startswith("postgresql+asyncpg://")
    tokens = [s.puppet_token for s in settings.values()]
    assert len(set(tokens)) == len(tokens) and all(tokens)
    # the data folder (spool, logs) is the container user's volume, each bot its own
    assert all(str(s.spool).startswith("/data/") and str(s.data_dir) == "/data"
               for s in settings.values())
    assert all(s.message_retention_days == 7 for s in settings.values())     # from .env
    volumes = [tuple(s["volumes"]) for s in bots.values()]
    assert len(set(volumes)) == len(volumes)
    web = load_settings(None, _container_env(_services()["web"], env_files))
    assert web.database_url in urls


def test_secrets_come_from_env_files_never_committed_nor_built_in():
    text = COMPOSE.read_text(encoding="utf-8")
    assert "TOKEN" not in "".join(str(s.get("environment", "")) for s in _services().values())
    named = {f for s in _services().values() for f in s.get("env_file", [])}
    assert {".env", "bot-a.env", "bot-b.env"} <= named
    ignored = (ROOT / ".gitignore").read_text() + (ROOT / ".dockerignore").read_text()
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert "*.env" in (ROOT / ".dockerignore").read_text().split()
    assert ".env" in (ROOT / ".gitignore").read_text().split() and "*.env" in ignored
    assert "POSTGRES_PASSWORD:?" in text


def test_health_checks_run_a_command_the_bot_has_on_the_port_it_serves():
    parser = build_parser()
    env = _dockerfile_env()
    settings = load_settings(None, env)
    assert settings.health_port > 0 and settings.health_host == "127.0.0.1"
    docker = DOCKERFILE.read_text(encoding="utf-8")
    check = re.search(r'HEALTHCHECK .*?CMD \[(.*?)\]', docker, re.S)
    assert check and parser.parse_args(json.loads("[" + check.group(1) + "]")[1:]).command == "health"
    for name, service in _services().items():
        if "build" not in service:
            continue
        test = service.get("healthcheck", {}).get("test")
        if test is None and service.get("command") == ["run"]:
            test = ["CMD", "qungui", "health"]        # the image's own
        assert test and test[0] == "CMD" and test[1] == "qungui", name
        args = parser.parse_args(test[2:])
        assert args.command == "health", name
        if service["command"][0] == "web":
            port = re.search(r":(\d+)/healthz$", args.url)
            assert port and service["ports"][0].split(":")[-1] == port.group(1)


def test_the_image_installs_dependencies_before_the_source():
    lines = [line for line in DOCKERFILE.read_text(encoding="utf-8").replace("\\\n", " ").splitlines()
             if line.startswith(("COPY", "RUN", "EXPOSE", "HEALTHCHECK", "ENTRYPOINT"))]
    first_source = next(i for i, line in enumerate(lines) if "qungui" in line and
                        line.startswith("COPY"))
    deps = next(i for i, line in enumerate(lines) if "requirements" in line)
    assert lines[0] == "COPY pyproject.toml ./" and deps < first_source
    assert any("--no-deps ." in line for line in lines[first_source:])
    assert "EXPOSE 8080" in lines and lines[-1].startswith("ENTRYPOINT") and "qungui" in lines[-1]


def _compose_cli() -> list[str] | None:
    for cmd in (["docker", "compose"], ["docker-compose"]):
        if shutil.which(cmd[0]) and subprocess.run(cmd + ["version"], capture_output=True).returncode == 0:
            return cmd
    return None


def test_docker_compose_accepts_the_file(env_files):
    """`docker compose config` (needs only the CLI and its compose plugin, no daemon)."""
    cmd = _compose_cli()
    if cmd is None:
        if os.environ.get("CI") == "true":   # .ci/run installs it
            pytest.fail("the docker compose CLI is required under CI=true")
        pytest.skip("the docker compose CLI is not installed")
    shutil.copy(COMPOSE, env_files / "compose.yaml")
    shutil.copy(DOCKERFILE, env_files / "Dockerfile")
    res = subprocess.run(cmd + ["-f", "compose.yaml", "config", "-q"], cwd=env_files,
                         capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
