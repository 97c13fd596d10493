"""The composition root: the one place that puts the parts together.

It loads the rules and the rulebook, opens storage, builds the engine and
plugs the command router into it. The command line, the channels' runners
and the tests build the bot through here; no lower layer knows the others.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Iterable, Mapping

from qungui.commands import make_router
from qungui.core import nlp
from qungui.core.matcher import Matcher
from qungui.core.plugin import Plugin, RuleSpec, specs_of
from qungui.core.rulebook import Rulebook, load_rulebook
from qungui.core.ports import Store
from qungui.pipeline.engine import DEFAULT_RETENTION_DAYS, Moderator
from qungui.plugins import load_plugins

log = logging.getLogger(__name__)


def load_parts(rulebook_path: str | Path) -> tuple[dict[str, Plugin], Rulebook]:
    """The rules and the rulebook, validated against their specifications;
    jieba loaded. ``RulebookError`` names the offending key."""
    plugins = load_plugins()
    rulebook = load_rulebook(rulebook_path, specs_of(plugins))
    if rulebook.absent:
        log.warning("the rulebook %s does not name the rule(s) %s: they are off until "
                    "it does (or a room turns them on)", rulebook.source, ", ".join(rulebook.absent))
    nlp.init()
    return plugins, rulebook


def rule_titles(plugins: Mapping[str, Plugin] | None = None) -> dict[str, str]:
    """Rule id -> its Chinese title, for the review tools."""
    return {name: p.title for name, p in (plugins or load_plugins()).items()}


def rule_specs(plugins: Mapping[str, Plugin] | None = None) -> dict[str, RuleSpec]:
    """Rule id -> its specification, for the review tools (what a review may
    remember or allow, what an export may hold)."""
    return specs_of(plugins or load_plugins())


def inspection_engine(rulebook_path: str | Path | None = None) -> Moderator:
    """An engine that only inspects (no storage, no actions), as ``bot.py
    eval`` builds one: the review page's message tester."""
    from qungui.core.rulebook import DEFAULT_RULEBOOK
    plugins, rulebook = load_parts(rulebook_path or DEFAULT_RULEBOOK)
    return Moderator(None, rulebook, plugins)


def build_moderator(store: Store | None, rulebook: Rulebook, plugins: Mapping[str, Plugin],
                    matcher: Matcher | None = None, *, bot_id: str = "bot",
                    operators: Iterable[str] = (),
                    message_retention_days: int = DEFAULT_RETENTION_DAYS,
                    **kwargs) -> Moderator:
    """The engine with its command router plugged in."""
    moderator = Moderator(store, rulebook, dict(plugins), matcher, bot_id=bot_id,
                          operators=operators, message_retention_days=message_retention_days,
                          **kwargs)
    services = moderator.services()
    services.reviews = review_store(store, plugins)
    moderator.commands = make_router(services)
    return moderator


def review_store(store: Store | None, plugins: Mapping[str, Plugin]):
    """The review store the web review uses, over the bot's own database (the
    owner's 确认/撤销 in a private chat records through it); None without one."""
    from qungui.storage.repository import Repository
    from qungui.storage.review import ReviewStore
    return ReviewStore(store, specs_of(plugins)) if isinstance(store, Repository) else None
