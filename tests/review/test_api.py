"""The JSON API under /api/ and its OpenAPI document."""

from __future__ import annotations

from tests.review.conftest import sign_in
from tests.review.test_pages import incident_id


async def api_token(client) -> str:
    res = await client.get("/api/session")
    assert res.status == 200
    return (await res.json())["csrf_token"]


async def test_api_needs_a_session(client, seeded):
    for path in ("/api/session", "/api/incidents", "/api/incidents/1", "/api/stats"):
        res = await client.get(path)
        assert res.status == 401 and (await res.json())["error"] == "unauthorized", path
    res = await client.post("/api/incidents/1/review", json={"decision": "dismiss"})
    assert res.status == 401


async def test_openapi_document_covers_every_api_route(client, app):
    res = await client.get("/api/openapi.json")
    assert res.status == 200
    doc = await res.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"]
    routes = {(r.method.lower(), r.resource.canonical) for r in app.router.routes()
              if r.method != "HEAD" and r.resource is not None
              and r.resource.canonical.startswith("/api/")}
    documented = {(m, p) for p, ops in doc["paths"].items() for m in ops}
    assert routes <= documented, routes - documented
    for path, ops in doc["paths"].items():
        for op in ops.values():
            assert op["responses"], path


async def test_list_filter_and_page(signed_in):
    res = await signed_in.get("/api/incidents?rule=ads&per_page=2")
    data = await res.json()
    assert data["total"] == 3 and data["total_exact"] and len(data["items"]) == 2 and data["next"]
    assert [i["ts"] for i in data["items"]] == sorted((i["ts"] for i in data["items"]), reverse=True)
    assert all(i["rule"] == "ads" and i["ts"].endswith("+08:00") for i in data["items"])
    assert {i["room_name"] for i in data["items"]} == {"招商引资专项工作群"}
    page2 = await (await signed_in.get(f"/api/incidents?rule=ads&per_page=2&after={data['next']}")).json()
    assert len(page2["items"]) == 1 and page2["next"] is None
    assert page2["items"][0]["id"] not in {i["id"] for i in data["items"]}
    bad = await signed_in.get("/api/incidents?status=closed")
    assert bad.status == 400 and (await bad.json())["error"] == "bad_filter"


async def test_detail_has_context_trace_and_escaping_is_left_to_the_client(signed_in, repo):
    iid = await incident_id(repo, "ads", sender="u4")
    d = await (await signed_in.get(f"/api/incidents/{iid}")).json()
    assert d["incident"]["id"] == iid and d["incident"]["trace"]
    assert d["message"]["text"].startswith("<script>")          # JSON carries data, not markup
    assert d["before"] and "内容已隐去" in d["before"][-1]["text"]
    assert (await signed_in.get("/api/incidents/424242")).status == 404


async def test_review_needs_the_csrf_header(signed_in, repo):
    iid = await incident_id(repo, "classified")
    res = await signed_in.post(f"/api/incidents/{iid}/review", json={"decision": "confirm"})
    assert res.status == 403 and (await res.json())["error"] == "forbidden"
    token = await api_token(signed_in)
    res = await signed_in.post(f"/api/incidents/{iid}/review", json={"decision": "confirm", "note": "属实"},
                               headers={"X-CSRF-Token": token})
    body = await res.json()
    assert res.status == 200 and body["incident"]["status"] == "confirmed"
    assert body["incident"]["reviewed_by"] == "web:审核员"
    bad = await signed_in.post(f"/api/incidents/{iid}/review", data="not json",
                               headers={"X-CSRF-Token": token, "Content-Type": "application/json"})
    assert bad.status == 400
    wrong = await signed_in.post(f"/api/incidents/{iid}/review", json={"decision": "confirm",
                                                                       "allow_phrase": "x"},
                                 headers={"X-CSRF-Token": token})
    assert wrong.status == 400 and (await wrong.json())["error"] == "phrase_needs_dismiss"


async def test_resolve_appeal_via_api(signed_in, repo):
    from qungui.storage.models import AppealRow
    iid = await incident_id(repo, "ads", sender="u2")
    async with repo.sessions.begin() as s:
        s.add(appeal := AppealRow(room_id="r1", incident_id=iid, member_id="u2", reason="误会"))
    token = await api_token(signed_in)
    res = await signed_in.post(f"/api/appeals/{appeal.id}/resolve", json={"accept": True},
                               headers={"X-CSRF-Token": token})
    assert res.status == 200 and (await res.json())["status"] == "accepted"
    again = await signed_in.post(f"/api/appeals/{appeal.id}/resolve", json={"accept": True},
                                 headers={"X-CSRF-Token": token})
    assert again.status == 409
    detail = await (await signed_in.get(f"/api/incidents/{iid}")).json()
    assert detail["incident"]["status"] == "dismissed" and detail["appeals"][0]["status"] == "accepted"


async def test_stats(signed_in):
    s = await (await signed_in.get("/api/stats?days=7")).json()
    assert s["total"] == 4 and s["open"] == 4 and len(s["by_day"]) == 7
    assert {r["rule"]: r["count"] for r in s["by_rule"]} == {"ads": 3, "classified": 1}
    assert {r["room_id"]: r["count"] for r in s["by_room"]} == {"r1": 3, "r2": 1}
    assert sum(d["count"] for d in s["by_day"]) == 4


async def test_scoped_reviewer_api(client, seeded):
    await sign_in(client, username="r2only")
    me = await (await client.get("/api/session")).json()
    assert me["user"] == "r2only" and me["rooms"] == ["r2"]
    data = await (await client.get("/api/incidents")).json()
    assert data["total"] == 1 and data["items"][0]["room_id"] == "r2"
    assert (await (await client.get("/api/stats")).json())["total"] == 1


async def test_bulk_review_in_one_call(signed_in, repo):
    from sqlalchemy import select

    from qungui.storage.models import AuditRow, IncidentRow
    client = signed_in
    token = (await (await client.get("/api/session")).json())["csrf_token"]
    items = (await (await client.get("/api/incidents?rule=ads")).json())["items"]
    ids = [i["id"] for i in items]
    res = await client.post("/api/incidents/bulk", json={"ids": ids + [999999], "decision": "dismiss",
                                                         "note": "团购通知，非广告"},
                            headers={"X-CSRF-Token": token})
    data = await res.json()
    assert res.status == 200 and sorted(r["id"] for r in data["reviewed"]) == sorted(ids)
    assert data["refused"] == [{"id": 999999, "error": "not_found"}]
    async with repo.sessions() as s:
        rows = list(await s.scalars(select(IncidentRow).where(IncidentRow.id.in_(ids))))
        audits = list(await s.scalars(select(AuditRow).where(AuditRow.action == "dismiss")))
    assert {r.status for r in rows} == {"dismissed"} and len(audits) == len(ids)
    stats = await (await client.get("/api/stats?rule=ads")).json()
    assert stats["by_status"] == {"dismissed": len(ids)}          # the per-day counts moved too
    for bad in ({"ids": [], "decision": "dismiss"}, {"ids": ids, "decision": "delete"},
                {"ids": ["1"], "decision": "dismiss"}, {"ids": list(range(1, 600)), "decision": "confirm"}):
        refused = await client.post("/api/incidents/bulk", json=bad, headers={"X-CSRF-Token": token})
        assert refused.status == 400
    assert (await client.post("/api/incidents/bulk", json={"ids": ids, "decision": "confirm"})).status == 403
