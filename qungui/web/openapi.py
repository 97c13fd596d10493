"""The OpenAPI 3.1 document served at /api/openapi.json."""

from __future__ import annotations


def _param(name: str, description: str, schema: dict | None = None, where: str = "query",
           required: bool = False) -> dict:
    return {"name": name, "in": where, "required": required, "description": description,
            "schema": schema or {"type": "string"}}


FILTERS = [
    _param("room", "room id"),
    _param("rule", "rule id, e.g. classified"),
    _param("member", "sender contact id, or part of the sender's name"),
    _param("status", "review status", {"type": "string", "enum": ["open", "confirmed", "dismissed"]}),
    _param("since", "from this time: ISO 8601 (a bare date is China time) or 7d / 12h / 30m ago"),
    _param("until", "before this time; a bare date includes that whole day"),
    _param("q", "text in evidence, reason, excerpt, sender or warning"),
    _param("kind", "violation (a rule fired) or report (a member's anonymous report)",
           {"type": "string", "enum": ["violation", "report"]}),
    _param("appeal", "open: only incidents with an open appeal", {"type": "string", "enum": ["open"]}),
    _param("mine", "1: only incidents the signed-in reviewer reviewed last", {"type": "string", "enum": ["1"]}),
]
ORDER = _param("order", "new (newest first; the default) or triage (the review queue: incidents "
               "with an open appeal first, then by the rule's gravity, gravest first, each group "
               "oldest first; the default when status=open)",
               {"type": "string", "enum": ["new", "triage"]})
ID = _param("id", "numeric id", {"type": "integer"}, where="path", required=True)


def _json(schema: dict) -> dict:
    return {"content": {"application/json": {"schema": schema}}}


def _ref(name: str) -> dict:
    return {"$ref": f"#/components/schemas/{name}"}


ERRORS = {
    "400": {"description": "bad filter or body (bad_filter, bad_json; bad_text: a NUL or lone "
                           "surrogate no database can store)", **_json(_ref("Error"))},
    "401": {"description": "not signed in", **_json(_ref("Error"))},
    "403": {"description": "missing or wrong CSRF token, or a foreign Origin", **_json(_ref("Error"))},
    "500": {"description": "unexpected error (logged; the answer names no cause)",
            **_json(_ref("Error"))},
}
NOT_FOUND = {"404": {"description": "no such item, or not in the reviewer's rooms", **_json(_ref("Error"))}}
NULLABLE_STR = {"type": ["string", "null"]}

OPENAPI = {
    "openapi": "3.1.0",
    "info": {
        "title": "群规助手 事件审核 API",
        "version": "1.0",
        "description": "The incident log of the moderation bot. Sign in with POST /login "
                       "(form fields username, password, csrf — the csrf value comes from the "
                       "qg_login cookie set by GET /login) and send the qg_session cookie. "
                       "POST requests also need the X-CSRF-Token header from GET /api/session. "
                       "Times are ISO 8601 in China time (+08:00).",
    },
    "components": {
        "securitySchemes": {
            "session": {"type": "apiKey", "in": "cookie", "name": "qg_session"},
            "csrf": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
        },
        "schemas": {
            "Error": {"type": "object", "required": ["error", "message"],
                      "properties": {"error": {"type": "string"}, "message": {"type": "string"}}},
            "Incident": {"type": "object", "properties": {
                "id": {"type": "integer"}, "room_id": {"type": "string"}, "kind": {"type": "string"},
                "message_id": NULLABLE_STR, "rule": NULLABLE_STR,
                "sender_id": {"type": "string"}, "sender_name": {"type": "string"},
                "score": {"type": "number"},
                "evidence": {"type": "string", "description": "the triggering span; for classified "
                             "material only the marking and a hash"},
                "reason": {"type": "string"}, "excerpt": {"type": "string"},
                "action": {"type": "string"}, "counted": {"type": "boolean"},
                "escalated": {"type": "boolean"},
                "status": {"type": "string", "enum": ["open", "confirmed", "dismissed"]},
                "ts": {"type": "string", "format": "date-time"},
                "warning_text": {"type": "string"},
                "trace": {"type": "array", "items": {"type": "object"},
                          "description": "every plugin's verdict on the message"},
                "reviewed_by": NULLABLE_STR,
                "reviewed_at": {"type": ["string", "null"], "format": "date-time"},
            }},
            "Message": {"type": "object", "properties": {
                "message_id": {"type": "string"}, "sender_id": {"type": "string"},
                "sender_name": {"type": "string"}, "type": {"type": "string"},
                "text": {"type": "string"}, "ts": {"type": "string", "format": "date-time"}}},
        },
    },
    "security": [{"session": []}],
    "paths": {
        "/api/session": {"get": {
            "summary": "who is signed in, the rooms they review, and the CSRF token",
            "responses": {"200": {"description": "the session", **_json({"type": "object", "properties": {
                "user": {"type": "string"}, "csrf_token": {"type": "string"},
                "rooms": {"oneOf": [{"const": "*"}, {"type": "array", "items": {"type": "string"}}]}}})},
                **ERRORS}}},
        "/api/incidents": {"get": {
            "summary": "incidents, filtered, one page at a time by cursor (keyset paging)",
            "parameters": FILTERS + [ORDER,
                                     _param("after", "the next page: the cursor of the previous answer's next"),
                                     _param("before", "the page before: a previous answer's prev (order=new)"),
                                     _param("per_page", "items per page (1-500, default 50)",
                                            {"type": "integer"})],
            "responses": {"200": {"description": "one page", **_json({"type": "object", "properties": {
                "total": {"type": "integer", "description": "how many match; when total_exact is "
                          "false, at least this many (counted up to 1000)"},
                "total_exact": {"type": "boolean"}, "order": {"type": "string"},
                "per_page": {"type": "integer"},
                "next": {"type": ["string", "null"], "description": "cursor of the next page, null at the end"},
                "prev": {"type": ["string", "null"]},
                "items": {"type": "array", "items": _ref("Incident"),
                          "description": "without trace; with room_name, sender_display (the "
                                         "member's group nickname), reviewer_name and gravity"}}})},
                **ERRORS}}},
        "/api/incidents/bulk": {"post": {
            "summary": "one decision and note on several incidents (each recorded as a single review)",
            "security": [{"session": [], "csrf": []}],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["ids", "decision"],
                                                       "properties": {
                "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 500},
                "decision": {"type": "string", "enum": ["confirm", "dismiss", "reopen"]},
                "note": {"type": "string"}}})},
            "responses": {"200": {"description": "what was reviewed and what was refused",
                                  **_json({"type": "object", "properties": {
                                      "reviewed": {"type": "array", "items": _ref("Incident")},
                                      "refused": {"type": "array", "items": {"type": "object", "properties": {
                                          "id": {"type": "integer"}, "error": {"type": "string"}}}}}})},
                          **ERRORS}}},
        "/api/incidents/{id}": {"get": {
            "summary": "one incident with its message context, other rules, reviews and appeals",
            "parameters": [ID],
            "responses": {"200": {"description": "the incident", **_json({"type": "object", "properties": {
                "incident": _ref("Incident"), "room_topic": {"type": "string"},
                "other_rules": {"type": "array", "items": _ref("Incident")},
                "message": {"oneOf": [_ref("Message"), {"type": "null"}]},
                "before": {"type": "array", "items": _ref("Message")},
                "after": {"type": "array", "items": _ref("Message")},
                "reviews": {"type": "array", "items": {"type": "object"}},
                "appeals": {"type": "array", "items": {"type": "object"}}}})},
                **ERRORS, **NOT_FOUND}}},
        "/api/incidents/{id}/review": {"post": {
            "summary": "confirm, dismiss (optionally allow a phrase in that room) or reopen",
            "security": [{"session": [], "csrf": []}],
            "parameters": [ID],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["decision"],
                                                       "properties": {
                "decision": {"type": "string", "enum": ["confirm", "dismiss", "reopen"]},
                "note": {"type": "string"},
                "allow_phrase": {"type": ["string", "null"],
                                 "description": "with dismiss only: filed in the room's allow-list "
                                                "under the incident's rule (never the classified "
                                                "rule): a finding of that rule on a message "
                                                "containing it is stood down"}}})},
            "responses": {"200": {"description": "the incident after review",
                                  **_json({"type": "object", "properties": {"incident": _ref("Incident")}})},
                          **ERRORS, **NOT_FOUND}}},
        "/api/appeals/{id}/resolve": {"post": {
            "summary": "accept (dismisses the incident) or reject a member's appeal",
            "security": [{"session": [], "csrf": []}],
            "parameters": [ID],
            "requestBody": {"required": True, **_json({"type": "object", "required": ["accept"],
                                                       "properties": {"accept": {"type": "boolean"}}})},
            "responses": {"200": {"description": "the appeal", **_json({"type": "object"})},
                          "409": {"description": "already resolved", **_json(_ref("Error"))},
                          **ERRORS, **NOT_FOUND}}},
        "/api/stats": {"get": {
            "summary": "counts per status, rule, day (China time), room, and repeat senders",
            "parameters": FILTERS + [_param("days", "days in the per-day series (default 30)",
                                            {"type": "integer"})],
            "responses": {"200": {"description": "the counts", **_json({"type": "object"})}, **ERRORS}}},
        "/export.csv": {"get": {
            "summary": "the filtered incidents as CSV (UTF-8 with BOM, Chinese values, China time), "
                       "streamed without a cap, for spreadsheets",
            "parameters": FILTERS,
            "responses": {"200": {"description": "CSV", "content": {"text/csv": {}}}, **ERRORS}}},
        "/api/openapi.json": {"get": {"summary": "this document", "security": [],
                                      "responses": {"200": {"description": "OpenAPI 3.1"}}}},
    },
}
