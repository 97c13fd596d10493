"""Rulebook loading and validation: errors name the key."""

from __future__ import annotations

import pytest
import yaml

from qungui.core.plugin import specs_of
from qungui.core.rulebook import DEFAULT_RULEBOOK, RulebookError, load_rulebook, parse_rulebook


def base():
    return yaml.safe_load(DEFAULT_RULEBOOK.read_text(encoding="utf-8"))


def test_default_rulebook_runs_every_rule(plugins, rulebook):
    assert set(rulebook.enabled()) == set(plugins)
    for rule, cfg in rulebook.rules.items():
        assert cfg.clause is not None, rule
    assert "涉密不上网" in rulebook.clause_text("classified")[1]


@pytest.mark.parametrize("mutate, key", [
    (lambda d: d["rules"]["ads"].update(threshold=1.5), "rules.ads.threshold"),
    (lambda d: d["rules"]["ads"].update(threshold="high"), "rules.ads.threshold"),
    (lambda d: d["rules"]["ads"].update(action="shout"), "rules.ads.action"),
    (lambda d: d["rules"]["ads"].update(clause=99), "rules.ads.clause"),
    (lambda d: d["rules"]["ads"].update(colour="red"), "rules.ads.colour"),
    (lambda d: d["rules"]["ads"].update(enabled="yes"), "rules.ads.enabled"),
    (lambda d: d["rules"].update(spam={"enabled": True}), "rules.spam"),
    (lambda d: d["rules"]["realname"].update(params={"pattern": "(["}), "rules.realname.params.pattern"),
    (lambda d: d["rules"]["flood"].update(params={"nonsense": 1}), "rules.flood.params.nonsense"),
    (lambda d: d.update(mode="loud"), "mode"),
    (lambda d: d.update(escalation={"notify_owner_after": 0}), "escalation.notify_owner_after"),
    (lambda d: d.update(escalation={"forever": 1}), "escalation.forever"),
    (lambda d: d.pop("clauses"), "clauses"),
    (lambda d: d.update(clauses=[]), "clauses"),
    (lambda d: d.update(extra=1), "extra"),
])
def test_validation_names_the_key(plugins, mutate, key):
    data = base()
    mutate(data)
    with pytest.raises(RulebookError) as err:
        parse_rulebook(data, specs_of(plugins))
    assert str(err.value).startswith(key + ":"), str(err.value)


def test_file_errors_name_the_file(tmp_path, plugins):
    bad = tmp_path / "bad.yaml"
    bad.write_text("name: [unclosed", encoding="utf-8")
    with pytest.raises(RulebookError, match="bad.yaml: not valid YAML"):
        load_rulebook(bad)
    with pytest.raises(RulebookError, match="no such rulebook"):
        load_rulebook(tmp_path / "missing.yaml")


def test_params_override_plugin_defaults(tmp_path, plugins):
    data = base()
    data["rules"]["realname"]["params"] = {"pattern": "^.+-.+$"}
    book = parse_rulebook(data, specs_of(plugins))
    assert book.rules["realname"].params == {"pattern": "^.+-.+$"}


def test_a_rule_the_rulebook_leaves_out_is_present_but_off(plugins):
    data = base()
    del data["rules"]["gossip"]
    book = parse_rulebook(data, specs_of(plugins))
    assert book.absent == ("gossip",)
    assert "gossip" in book.rules and not book.rules["gossip"].enabled
    assert "gossip" not in book.enabled() and set(book.rules) == set(plugins)


@pytest.mark.parametrize("rule, key, value, message", [
    ("flood", "max_messages", "many", "must be a whole number"),
    ("flood", "max_messages", 0, "must be ≥ 1"),
    ("classified", "header_chars", True, "must be a whole number"),
    ("realname", "pattern", "([", "not a valid regular expression"),
    ("realname", "example", 3, "must be a string"),
])
def test_rule_params_are_checked_by_the_rules_own_spec(plugins, rule, key, value, message):
    data = base()
    data["rules"][rule]["params"] = {key: value}
    with pytest.raises(RulebookError) as err:
        parse_rulebook(data, specs_of(plugins))
    assert str(err.value).startswith(f"rules.{rule}.params.{key}:") and message in str(err.value)
