"""Rulebooks: the 群规 a deployer edits without touching code.

A rulebook (``rules/*.yaml``) holds the greeting and 群规 clauses the bot
posts when added to a group, which rules run, their thresholds, actions and
parameters, and the escalation settings. It is validated when loaded; an
error names the offending key.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

from qungui.core.outcomes import RULE_ACTIONS
from qungui.core.plugin import ParamError, RuleSpec
from qungui.rules import data_path

ACTIONS = tuple(a.value for a in RULE_ACTIONS)
MODES = ("normal", "review")
DEFAULT_RULEBOOK = data_path("default.yaml")


class RulebookError(ValueError):
    pass


@dataclass(frozen=True)
class RuleConfig:
    enabled: bool = True
    threshold: float = 0.6
    action: str = "warn"           # warn (in group, @mention) | private | review (log only)
    clause: int | None = None      # 1-based index of the 群规 line the warning quotes
    notify_owner: bool = False     # tell the owner privately on every hit
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Escalation:
    window_days: float = 7
    notify_owner_after: int = 3    # counted warnings within the window
    remove_after: int = 0          # 0: never remove; else remove at this count
    cooldown_seconds: float = 300  # one warning per rule and member in this time


@dataclass(frozen=True)
class Sending:
    """How the live channel paces what it says, so the account reads like a
    careful person and does not trip WeChat's risk control. Every limit is
    per account, counted from the outbox (so it holds across restarts)."""

    per_second: int = 2                   # all chats together, any 1-second window
    per_minute: int = 40                  # all chats together, any sliding minute
    min_gap_seconds: float = 0.5          # between any two sends (plus up to half again at random)
    room_gap_seconds: float = 3.0         # at least this long between two sends in one chat
    jitter_seconds: float = 2.0           # plus a random 0..jitter on every gap in a chat
    merge_window_seconds: float = 5.0     # warnings to one member this close become one message
    max_attempts: int = 5                 # a failed send is retried this many times in all
    retry_base_seconds: float = 2.0       # backoff: base, 2×base, 4×base … (capped at 5 minutes)
    send_timeout_seconds: float = 15.0    # a send the platform has not answered by then is retried
    stale_after_seconds: float = 600      # older messages (replays) are only logged; older outgoing items expire
    drain_seconds: float = 5              # on shutdown, keep sending what is due this long; the rest waits in the outbox


@dataclass(frozen=True)
class WorkReport:
    """每日汇报: a message starting with ``marker`` counts as the day's report."""

    marker: str = "【工作汇报】"


@dataclass(frozen=True)
class Period:
    """A sensitive period (换届选举 ...): while a room has it on, the listed
    rules weigh more. Each rule's overrides may lower its threshold (never
    raise it), tell the owner of every hit, or change its action."""

    title: str
    rules: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)


@dataclass(frozen=True)
class Learned:
    """The decision stage (pipeline/decision.py), the rulebook's ``learned``
    key: one calibrated model per content rule over the lexicon's verdict,
    n-grams and the sentence embedding. ``rules`` empty means every content
    rule the model knows."""

    enabled: bool = True
    rules: tuple[str, ...] = ()

    def applies(self, rule: str) -> bool:
        return self.enabled and (not self.rules or rule in self.rules)


@dataclass(frozen=True)
class Rulebook:
    name: str
    greeting: str
    clauses: tuple[str, ...]
    rules: Mapping[str, RuleConfig]
    mode: str = "normal"           # review: the whole room is log-only
    escalation: Escalation = Escalation()
    exempt_admins: bool = True     # the owner and admins are never warned
    sending: Sending = Sending()
    source: str = ""
    work_report: WorkReport = WorkReport()
    periods: Mapping[str, Period] = field(default_factory=dict)
    deny_rule: str = "off_topic"   # the rule a room's /deny phrase reports under by default
    learned: Learned = Learned()
    # rules the bot has that the rulebook does not name: present, switched off
    absent: tuple[str, ...] = ()

    def clause_text(self, rule: str) -> tuple[int, str] | None:
        cfg = self.rules.get(rule)
        if cfg is None or cfg.clause is None:
            return None
        return cfg.clause, self.clauses[cfg.clause - 1]

    def enabled(self) -> list[str]:
        return [r for r, c in self.rules.items() if c.enabled]

    def rules_post(self) -> str:
        """The 群规 as posted in the group."""
        lines = [f"【{self.name}】"]
        lines += [f"{i}. {c}" for i, c in enumerate(self.clauses, 1)]
        return "\n".join(lines)


_TOP_KEYS = {"name", "greeting", "clauses", "rules", "mode", "escalation", "exempt_admins",
             "sending", "work_report", "periods", "deny_rule", "learned"}
_PERIOD_RULE_KEYS = {"threshold", "notify_owner", "action"}
_RULE_KEYS = {"enabled", "threshold", "action", "clause", "notify_owner", "params"}
_ESC_KEYS = {"window_days", "notify_owner_after", "remove_after", "cooldown_seconds"}
# key -> (lowest allowed, highest allowed, integer?)
_SENDING_LIMITS = {
    "per_second": (1, 20, True), "min_gap_seconds": (0, 60, False),
    "send_timeout_seconds": (0.1, 600, False),
    "per_minute": (1, 600, True), "room_gap_seconds": (0, 3600, False),
    "jitter_seconds": (0, 600, False), "merge_window_seconds": (0, 600, False),
    "max_attempts": (1, 100, True), "retry_base_seconds": (0.01, 3600, False),
    "stale_after_seconds": (1, 7 * 86400, False), "drain_seconds": (0, 3600, False),
}


def _fail(where: str, message: str):
    raise RulebookError(f"{where}: {message}")


def _check_keys(d: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(d, dict):
        _fail(where, "must be a mapping")
    for key in d:
        if key not in allowed:
            hint = ", ".join(sorted(allowed))
            _fail(f"{where}.{key}" if where else str(key), f"unknown key (expected one of: {hint})")
    return d


def _number(value: Any, where: str, lo: float, hi: float | None = None) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        _fail(where, f"must be a number, got {value!r}")
    if value < lo or (hi is not None and value > hi):
        _fail(where, f"must be between {lo} and {hi}" if hi is not None else f"must be ≥ {lo}")
    return value


def _bool(value: Any, where: str) -> bool:
    if not isinstance(value, bool):
        _fail(where, f"must be true or false, got {value!r}")
    return value


def parse_rulebook(data: Any, specs: Mapping[str, RuleSpec] | None = None,
                   source: str = "<rulebook>") -> Rulebook:
    """Validate a rulebook against the rules' specifications (ids, parameter
    types). A rule the bot has and the rulebook does not name is added
    switched off and listed in ``absent``, so a room can still turn it on."""
    d = _check_keys(data, _TOP_KEYS, "")
    for key in ("name", "greeting", "clauses", "rules"):
        if key not in d:
            _fail(key, "missing")
    if not isinstance(d["name"], str) or not d["name"].strip():
        _fail("name", "must be a non-empty string")
    if not isinstance(d["greeting"], str):
        _fail("greeting", "must be a string")
    clauses = d["clauses"]
    if not isinstance(clauses, list) or not clauses or not all(isinstance(c, str) and c.strip() for c in clauses):
        _fail("clauses", "must be a non-empty list of strings (the 群规 lines)")
    mode = d.get("mode", "normal")
    if mode not in MODES:
        _fail("mode", f"must be one of {', '.join(MODES)}, got {mode!r}")
    esc = _check_keys(d.get("escalation", {}), _ESC_KEYS, "escalation")
    escalation = Escalation(
        window_days=_number(esc.get("window_days", 7), "escalation.window_days", 0.01),
        notify_owner_after=int(_number(esc.get("notify_owner_after", 3), "escalation.notify_owner_after", 1)),
        remove_after=int(_number(esc.get("remove_after", 0), "escalation.remove_after", 0)),
        cooldown_seconds=_number(esc.get("cooldown_seconds", 300), "escalation.cooldown_seconds", 0),
    )
    sending = _sending(d.get("sending", {}))
    rules_raw = d["rules"]
    if not isinstance(rules_raw, dict) or not rules_raw:
        _fail("rules", "must be a non-empty mapping of rule id to settings")
    rules: dict[str, RuleConfig] = {}
    for rule, cfg in rules_raw.items():
        where = f"rules.{rule}"
        if specs is not None and rule not in specs:
            _fail(where, f"unknown rule id (known: {', '.join(sorted(specs))})")
        cfg = _check_keys(cfg if cfg is not None else {}, _RULE_KEYS, where)
        action = cfg.get("action", "warn")
        if action not in ACTIONS:
            _fail(f"{where}.action", f"must be one of {', '.join(ACTIONS)}, got {action!r}")
        clause = cfg.get("clause")
        if clause is not None:
            if isinstance(clause, bool) or not isinstance(clause, int) or not 1 <= clause <= len(clauses):
                _fail(f"{where}.clause", f"must be a clause number from 1 to {len(clauses)}")
        params = cfg.get("params", {}) or {}
        if not isinstance(params, dict):
            _fail(f"{where}.params", "must be a mapping")
        if specs is not None:
            known = specs[rule].params
            for key, value in params.items():
                if key not in known:
                    _fail(f"{where}.params.{key}",
                          f"unknown parameter (known: {', '.join(sorted(known)) or 'none'})")
                try:
                    known[key].validate(value)
                except ParamError as exc:
                    _fail(f"{where}.params.{key}", str(exc))
        rules[rule] = RuleConfig(
            enabled=_bool(cfg.get("enabled", True), f"{where}.enabled"),
            threshold=_number(cfg.get("threshold", 0.6), f"{where}.threshold", 0.0, 1.0),
            action=action,
            clause=clause,
            notify_owner=_bool(cfg.get("notify_owner", False), f"{where}.notify_owner"),
            params=dict(params),
        )
    absent = tuple(r for r in (specs or {}) if r not in rules)
    for rule in absent:
        rules[rule] = RuleConfig(enabled=False)
    return Rulebook(name=d["name"].strip(), greeting=d["greeting"].strip(), clauses=tuple(clauses),
                    rules=rules, mode=mode, escalation=escalation,
                    exempt_admins=_bool(d.get("exempt_admins", True), "exempt_admins"),
                    sending=sending, source=source,
                    work_report=_work_report(d.get("work_report", {})),
                    periods=_periods(d.get("periods", {}), rules),
                    deny_rule=_deny_rule(d.get("deny_rule", "off_topic"), rules),
                    learned=_learned(d.get("learned", {}), rules), absent=absent)


def _sending(raw: Any) -> Sending:
    d = _check_keys(raw if raw is not None else {}, set(_SENDING_LIMITS), "sending")
    values = {}
    for key, (lo, hi, integer) in _SENDING_LIMITS.items():
        if key not in d:
            continue
        value = _number(d[key], f"sending.{key}", lo, hi)
        if integer and value != int(value):
            _fail(f"sending.{key}", f"must be a whole number, got {value!r}")
        values[key] = int(value) if integer else float(value)
    return Sending(**values)


def _work_report(raw: Any) -> WorkReport:
    d = _check_keys(raw if raw is not None else {}, {"marker"}, "work_report")
    marker = d.get("marker", WorkReport.marker)
    if not isinstance(marker, str) or not marker.strip():
        _fail("work_report.marker", "must be a non-empty string, e.g. 【工作汇报】")
    return WorkReport(marker=marker.strip())


def _periods(raw: Any, rules: Mapping[str, RuleConfig]) -> dict[str, Period]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        _fail("periods", "must be a mapping of period name to settings")
    out = {}
    for name, p in raw.items():
        where = f"periods.{name}"
        p = _check_keys(p if p is not None else {}, {"title", "rules"}, where)
        title = p.get("title", name)
        if not isinstance(title, str) or not title.strip():
            _fail(f"{where}.title", "must be a non-empty string")
        overrides = _check_keys(p.get("rules", {}) or {}, set(rules), f"{where}.rules")
        checked = {}
        for rule, o in overrides.items():
            rw = f"{where}.rules.{rule}"
            o = _check_keys(o if o is not None else {}, _PERIOD_RULE_KEYS, rw)
            if "threshold" in o:
                _number(o["threshold"], f"{rw}.threshold", 0.0, 1.0)
            if "notify_owner" in o:
                _bool(o["notify_owner"], f"{rw}.notify_owner")
            if "action" in o and o["action"] not in ACTIONS:
                _fail(f"{rw}.action", f"must be one of {', '.join(ACTIONS)}, got {o['action']!r}")
            checked[rule] = dict(o)
        out[str(name)] = Period(title=title.strip(), rules=checked)
    return out


def _deny_rule(value: Any, rules: Mapping[str, RuleConfig]) -> str:
    if value not in rules:
        _fail("deny_rule", f"must be one of the rulebook's rules, got {value!r}")
    return value


def _learned(raw: Any, rules: Mapping[str, RuleConfig]) -> Learned:
    d = _check_keys(raw if raw is not None else {}, {"enabled", "rules"}, "learned")
    chosen = d.get("rules", []) or []
    if not isinstance(chosen, list) or not all(isinstance(r, str) for r in chosen):
        _fail("learned.rules", "must be a list of rule ids")
    for rule in chosen:
        if rule not in rules:
            _fail("learned.rules", f"unknown rule {rule!r} (known: {', '.join(sorted(rules))})")
    return Learned(enabled=_bool(d.get("enabled", True), "learned.enabled"), rules=tuple(chosen))


def load_rulebook(path: str | Path = DEFAULT_RULEBOOK,
                  specs: Mapping[str, RuleSpec] | None = None) -> Rulebook:
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RulebookError(f"{path}: no such rulebook file") from None
    except yaml.YAMLError as exc:
        raise RulebookError(f"{path}: not valid YAML: {exc}") from None
    try:
        return parse_rulebook(data, specs, source=str(path))
    except RulebookError as exc:
        raise RulebookError(f"{path}: {exc}") from None
