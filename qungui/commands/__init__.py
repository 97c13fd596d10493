"""The owners' and members' slash commands, and the router that checks who
may use them. ``router`` builds the table from the tables here and the
rules' own commands."""

from __future__ import annotations

from qungui.commands import duties, members, records, reviews, settings
from qungui.commands.router import CommandRouter
from qungui.pipeline.services import Services

TABLES = (settings.COMMANDS, records.COMMANDS, members.COMMANDS, duties.COMMANDS,
          reviews.COMMANDS)


def make_router(services: Services) -> CommandRouter:
    """The router with every command of this package and of the rules."""
    return CommandRouter(services, TABLES, bare=reviews.BARE)
