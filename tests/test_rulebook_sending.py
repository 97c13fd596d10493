"""The rulebook's sending section: defaults, and errors that name the key."""

from __future__ import annotations

import pytest
import yaml

from qungui.core.plugin import specs_of
from qungui.core.rulebook import DEFAULT_RULEBOOK, RulebookError, Sending, parse_rulebook


def base():
    return yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))


def test_default_rulebook_paces_like_a_person(rulebook):
    s = rulebook.sending
    assert s.per_minute <= 40 and s.room_gap_seconds >= 3
    assert s.merge_window_seconds > 0 and s.max_attempts > 1 and s.stale_after_seconds >= 60


def test_sending_section_is_optional(plugins):
    data = base()
    data.pop("sending")
    assert parse_rulebook(data, specs_of(plugins)).sending == Sending()


@pytest.mark.parametrize("value, key", [
    ({"per_minute": 0}, "sending.per_minute"),
    ({"per_minute": 2.5}, "sending.per_minute"),
    ({"room_gap_seconds": "3s"}, "sending.room_gap_seconds"),
    ({"max_attempts": 0}, "sending.max_attempts"),
    ({"stale_after_seconds": -1}, "sending.stale_after_seconds"),
    ({"burst": 3}, "sending.burst"),
    ("fast", "sending"),
])
def test_sending_errors_name_the_key(plugins, value, key):
    data = base()
    data["sending"] = value
    with pytest.raises(RulebookError) as err:
        parse_rulebook(data, specs_of(plugins))
    assert str(err.value).startswith(key + ":"), str(err.value)
