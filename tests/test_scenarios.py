"""Whole journeys through the command line, as a team lives them."""

from __future__ import annotations

from conftest import MONDAY_9AM, Workspace


def test_one_lead_from_import_to_won(ws: Workspace) -> None:
    ws.csv("leads.csv",
           "Email,First Name,Last Name,Company Name,Job Title,Industry,Number of Employees,Country,Lead Source\n"
           "Grace@Hopper.dev,Grace,Hopper,Hopper Labs,CTO,Software,250,US,webinar\n")
    ws.csv("events.csv",
           "email,type,occurred_at,detail\n"
           "grace@hopper.dev,page_view,2026-11-20T15:00:00Z,/\n"
           "grace@hopper.dev,page_view,2026-11-21T15:00:00Z,/features\n"
           "grace@hopper.dev,page_view,2026-11-22T15:00:00Z,/pricing\n"
           "grace@hopper.dev,pricing_page,2026-11-22T15:01:00Z,/pricing\n")
    imported = ws.ok(f"import leads {ws.root / 'leads.csv'}", now="2026-11-23T13:00:00Z")
    assert (imported["read"], imported["inserted"]) == (1, 1)
    assert ws.ok(f"import events {ws.root / 'events.csv'}", now="2026-11-23T13:00:00Z")["inserted"] == 4

    # fit 15 (CTO) + 10 (250 employees) + 10 (Software); behaviour 15 (3 page views in 7 days)
    # + 20 (pricing page): 70, below tier 2's 80 → a tier-3 MQL by accumulated engagement
    tick = ws.ok("tick", now=MONDAY_9AM)
    assert (tick["qualified"], tick["routed"]) == (1, 1)
    brief = ws.ok("show grace@hopper.dev", now=MONDAY_9AM)
    assert (brief["stage"], brief["tier"], brief["score"], brief["owner"]) == ("mql", 3, 70, "alice")
    assert brief["email"] == "Grace@Hopper.dev"  # shown as it came in, matched case-insensitively
    assert sum(driver["points"] for driver in brief["drivers"]) == 70
    assert {driver["rule"] for driver in brief["drivers"]} == {
        "ICP title", "Company size in target range", "Target industry", "Return visitor", "Pricing page visit"}
    # tier 3: first touch within 24 business hours = three working days: Wednesday at closing time
    assert brief["deadlines"]["first_touch"] == "2026-11-25T22:00:00Z"

    queue = ws.ok("queue", actor="alice", now="2026-11-23T15:00:00Z")
    assert [row["email"] for row in queue] == ["Grace@Hopper.dev"]
    assert queue[0]["clock"] == "accept" and queue[0]["deadline"] == "2026-11-23T18:00:00Z"

    ws.ok("accept 1", actor="alice", now="2026-11-23T15:00:00Z")
    ws.ok("touch 1 --channel call --outcome meeting_booked", actor="alice", now="2026-11-23T16:00:00Z")
    ws.ok("qualify 1", actor="alice", now="2026-11-25T16:00:00Z")
    ws.ok("close 1 --won", actor="alice", now="2026-12-10T16:00:00Z")

    final = ws.ok("show 1", now="2026-12-10T16:00:00Z")
    assert final["stage"] == "won"
    assert [(h["actor"], h["action"]) for h in final["history"]] == [
        ("system", "mql"), ("system", "routed"), ("alice", "accepted"), ("alice", "touched"),
        ("alice", "sql"), ("alice", "won")]
    assert ws.ok("queue", actor="alice", now="2026-12-10T16:00:00Z") == []
    # nothing is left for the worker: no escalation ever fires on a won lead
    later = ws.ok("tick", now="2026-12-31T16:00:00Z")
    assert (later["escalated"], later["reassigned"], later["routed"]) == (0, 0, 0)


def test_one_lead_through_reject_nurture_and_back(ws: Workspace) -> None:
    ws.csv("leads.csv", "email,first_name,company,title,industry,company_size\n"
                        "max@mustermann.de,Max,Muster GmbH,Head of IT,Manufacturing,120\n")
    ws.csv("events.csv", "email,type,occurred_at,detail\nmax@mustermann.de,demo_request,2026-11-23T13:30:00Z,form\n")
    ws.ok(f"import leads {ws.root / 'leads.csv'}", now=MONDAY_9AM)
    ws.ok(f"import events {ws.root / 'events.csv'}", now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert ws.ok("show 1", now=MONDAY_9AM)["owner"] == "alice"

    # the rep tries three times, then hands it back to marketing as unreachable
    for minute in ("10", "40"):
        ws.ok("touch 1 --channel call --outcome no_answer", actor="alice", now=f"2026-11-23T14:{minute}:00Z")
    refused = ws.run("reject 1 --reason unreachable", actor="alice", now="2026-11-23T15:00:00Z")
    assert refused.code == 1 and "needs 3 touches" in refused.err
    ws.ok("touch 1 --channel email --outcome bounced", actor="alice", now="2026-11-24T14:00:00Z")
    out = ws.ok("reject 1 --reason unreachable --note 'phone dead, email bounced'", actor="alice",
                now="2026-11-24T15:00:00Z")
    assert (out["lead"]["stage"], out["lead"]["owner"]) == ("nurture", None)
    assert ws.ok("show 1", now="2026-11-24T15:00:00Z")["recheck_at"] == "2027-02-22T15:00:00Z"  # + 90 days

    # marketing nurtures; the worker leaves it alone until the recheck
    assert ws.ok("tick", now="2027-02-22T14:59:59Z")["recycled"] == 0
    assert ws.ok("tick", now="2027-02-22T15:00:00Z")["recycled"] == 1
    assert ws.ok("show 1", now="2027-02-22T15:00:00Z")["stage"] == "lead"

    # a fresh demo request: it qualifies again, with a new cycle and fresh clocks
    ws.csv("events2.csv", "email,type,occurred_at,detail\nmax@mustermann.de,demo_request,2027-02-23T15:00:00Z,again\n")
    ws.ok(f"import events {ws.root / 'events2.csv'}", now="2027-02-23T15:00:00Z")
    counts = ws.ok("tick", now="2027-02-23T15:01:00Z")
    assert (counts["qualified"], counts["routed"]) == (1, 1)
    again = ws.ok("show 1", now="2027-02-23T15:01:00Z")
    assert again["stage"] == "mql" and again["tier"] == 1 and again["first_touch_at"] is None
    assert again["deadlines"]["first_touch"] == "2027-02-23T15:16:00Z"  # Tuesday 10:01 + 15m business
    actions = [h["action"] for h in again["history"]]
    assert actions == ["mql", "routed", "accepted", "touched", "touched", "touched", "rejected", "recycled",
                       "mql", "routed"]
