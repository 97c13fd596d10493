"""The incident filter as it travels in a URL (?room=&rule=&member=&status=
&since=&until=&q=&kind=&appeal=&mine=&order=, and the page's cursor ?after=
or ?before=), shared by the pages, the CSV export and the API.

The saved views are such URLs (``VIEWS``); the list of open incidents is
ordered as the triage queue unless ``order=new`` says otherwise."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import urlencode

from qungui.review.when import WhenError, parse_when
from qungui.storage.review import STATUSES, IncidentFilter

KEYS = ("room", "rule", "member", "status", "since", "until", "q", "kind", "appeal", "mine", "order")
NAMES = {"room": "群", "rule": "规则", "member": "成员", "status": "审核状态",
         "since": "起始时间", "until": "截止时间", "q": "关键词", "kind": "类型", "appeal": "申诉",
         "mine": "我的", "order": "排序"}
CURSORS = ("after", "before")
# the saved views: (key, name, query)
VIEWS = (
    ("queue", "审核队列", {"status": "open"}),
    ("classified", "待审核涉密", {"rule": "classified", "status": "open"}),
    ("appeals", "申诉", {"appeal": "open"}),
    ("reports", "举报", {"kind": "report"}),
    ("mine", "我的", {"mine": "1"}),
)
MAX_VALUE = 200
# the times a filter may name: anything outside cannot be stored or compared on every database
EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(9000, 1, 1, tzinfo=timezone.utc)


def storable(text: str) -> bool:
    """False for text no database column can hold: a NUL (PostgreSQL refuses
    it) or a lone surrogate (not UTF-8)."""
    return "\x00" not in text and not any("\ud800" <= c <= "\udfff" for c in text)


def _when(value: str, *, end: bool = False) -> datetime:
    try:
        ts = parse_when(value, end=end)
        within = EARLIEST <= ts <= LATEST
    except (WhenError, OverflowError, ValueError):
        raise WhenError(value) from None
    if not within:
        raise WhenError(value)
    return ts


@dataclass
class Query:
    filter: IncidentFilter
    page: int = 1
    values: dict[str, str] = field(default_factory=dict)   # as typed, for forms and links
    errors: list[str] = field(default_factory=list)
    order: str = "new"                                      # new | triage
    after: str | None = None
    before: str | None = None

    def link(self, **change) -> str:
        """This query with some values changed (None or "" removes one); the
        page's cursor is dropped unless given."""
        values = dict(self.values)
        for key, value in change.items():
            if value in (None, "") or (key == "page" and str(value) == "1"):
                values.pop(key, None)
            else:
                values[key] = str(value)
        return "?" + urlencode(values)

    def here(self) -> str:
        """This query with its cursor: the page as it is."""
        extra = {k: v for k, v in (("after", self.after), ("before", self.before)) if v}
        return self.link(**extra)

    def view(self) -> str | None:
        """The saved view this query is exactly, if any."""
        plain = {k: v for k, v in self.values.items() if k not in ("page", "order")}
        return next((key for key, _, query in VIEWS if query == plain), None)


def parse_query(query, rooms: frozenset[str] | None, known_rules=(), reviewer: str | None = None) -> Query:
    values = {k: query.get(k, "").strip()[:MAX_VALUE] for k in KEYS}
    values = {k: v for k, v in values.items() if v}
    errors = []
    for key in [k for k, v in values.items() if not storable(v)]:
        del values[key]
        errors.append(f"筛选条件“{NAMES[key]}”含有无法处理的字符（如 %00 空字符），请删去后重试")
    since = until = None
    if "since" in values:
        try:
            since = _when(values["since"])
        except WhenError:
            errors.append(f"起始时间“{values.pop('since')}”无法识别（示例：2026-11-20 或 7d）")
    if "until" in values:
        try:
            until = _when(values["until"], end=True)
        except WhenError:
            errors.append(f"截止时间“{values.pop('until')}”无法识别（示例：2026-11-20）")
    if values.get("status") and values["status"] not in STATUSES:
        errors.append("审核状态只能是 待审核、已确认 或 误报已撤销")
        values.pop("status")
    if values.get("rule") and known_rules and values["rule"] not in known_rules:
        errors.append(f"没有规则“{values.pop('rule')}”")
    if values.get("kind") and values["kind"] not in ("violation", "report"):
        errors.append("类型只能是 violation（规则）或 report（举报）")
        values.pop("kind")
    if values.get("appeal") and values["appeal"] != "open":
        errors.append("申诉筛选只能是 open（待处理）")
        values.pop("appeal")
    if values.get("mine") and values["mine"] != "1":
        values.pop("mine")
    if values.get("order") and values["order"] not in ("new", "triage"):
        errors.append("排序只能是 new（从新到旧）或 triage（审核队列）")
        values.pop("order")
    order = values.get("order") or ("triage" if values.get("status") == "open" else "new")
    cursors = {k: query.get(k, "").strip()[:60] for k in CURSORS}
    try:
        page = max(1, min(100_000, int(query.get("page", "1"))))
    except ValueError:
        page = 1
    if page > 1:
        values["page"] = str(page)
    f = IncidentFilter(room=values.get("room"), rule=values.get("rule"), member=values.get("member"),
                       status=values.get("status"), since=since, until=until, text=values.get("q"),
                       rooms=rooms, kind=values.get("kind"),
                       reviewer=reviewer if values.get("mine") else None,
                       appealed=bool(values.get("appeal")))
    return Query(f, page, values, errors, order, cursors["after"] or None, cursors["before"] or None)
