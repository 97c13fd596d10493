"""The words for what happened to an event, named once.

An ``Act`` is stored in the incident log (``incidents.action``), printed by
``bot.py audit`` and shown on the review page; the values are the stored
strings, so the enum compares equal to them.
"""

from __future__ import annotations

from enum import StrEnum


class Act(StrEnum):
    # a rule's configured action (the rulebook's ``action:``)
    WARN = "warn"              # a warning in the group, @mentioning the sender
    PRIVATE = "private"        # a private reminder to the sender
    REVIEW = "review"          # recorded for review, nobody told
    # what the policy made of it
    NONE = "none"              # nothing over a threshold
    EXEMPT = "exempt"          # the owner, an admin or an operator: recorded, never warned
    LOG = "log"                # warned moments ago for the same rule: recorded only
    # how the engine dealt with an event
    DUPLICATE = "duplicate"    # a redelivered message id
    IGNORED = "ignored"        # the bot's own message, a late command, an unknown event
    REPLY = "reply"            # a command answered
    REFUSED = "refused"        # a command above the sender's level
    UNKNOWN = "unknown"        # no such command
    ERROR = "error"            # a command that failed


# the actions a rulebook or a room may set for a rule
RULE_ACTIONS = (Act.WARN, Act.PRIVATE, Act.REVIEW)
# decisions that count as a warning towards escalation
COUNTED = frozenset({Act.WARN, Act.PRIVATE})
