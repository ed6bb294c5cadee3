"""The worker pass: qualification, routing, escalation and recycling, each exactly once."""

from __future__ import annotations

import sqlite3

from conftest import ADA, BEA, CY, MONDAY_9AM, Workspace, add_events, add_leads, demo_request


def lead(email: str, size: str = "200", **extra: str) -> dict[str, str]:
    return {"email": email, "first_name": email.split("@")[0].title(), "company": email.split("@")[1],
            "title": "Engineer", "industry": "Retail", "company_size": size, **extra}


def actions(ws: Workspace, ref: str, now: str = MONDAY_9AM) -> list[tuple]:
    return [(h["actor"], h["action"], h.get("level")) for h in ws.ok(f"show {ref}", now=now)["history"]]


def owners(ws: Workspace, now: str = MONDAY_9AM) -> dict[str, str | None]:
    return {row["email"]: row["owner"] for row in ws.ok("queue --all", actor="dana", now=now)}


def test_round_robin_oldest_first_in_members_order(ws: Workspace) -> None:
    emails = ["a@one.com", "b@two.com", "c@three.com"]
    add_leads(ws, [lead(e) for e in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(e, "2026-11-23T13:00:00Z") for e in emails], now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 3
    assert owners(ws) == {"a@one.com": "alice", "b@two.com": "bob", "c@three.com": "alice"}
    # the group remembers where it stopped: the next lead goes to bob
    add_leads(ws, [lead("d@four.com")], now=MONDAY_9AM, name="more.csv")
    add_events(ws, [demo_request("d@four.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM, name="more-events.csv")
    ws.ok("tick", now="2026-11-23T14:01:00Z")
    assert owners(ws)["d@four.com"] == "bob"


def test_a_pass_that_routes_thousands_routes_each_as_one_at_a_time_would(ws: Workspace) -> None:
    # the pass writes the leads it gives out a thousand at a time: the round-robin turn and the
    # accounts claimed run on across those writes
    ws.write_config(lambda data: [rep.update(capacity=10_000) for rep in data["reps"]])
    emails = [f"rep{i}@company{i % 700}.com" for i in range(2_500)]
    add_leads(ws, [lead(e) for e in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(e, "2026-11-23T13:00:00Z") for e in emails], now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 2_500
    got = owners(ws)
    first = [got[e] for e in emails[:700]]  # each a new account: the turn alternates
    assert first == ["alice", "bob"] * 350
    assert all(got[e] == first[i % 700] for i, e in enumerate(emails))  # the rest follow their account
    briefs = [ws.ok(f"show {ref}", now=MONDAY_9AM) for ref in (1, 1000, 1001, 2500)]
    assert [brief["owner"] for brief in briefs] == [first[0], first[999 % 700], first[1000 % 700], first[2499 % 700]]
    assert {(brief["history"][-1]["action"], brief["clock"], brief["deadline"]) for brief in briefs} == {
        ("routed", "first_touch", "2026-11-23T14:15:00Z")}
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 0
    # the accounts each batch claimed are in the database: new leads of them follow their owner
    later = [f"new{i}@company{i}.com" for i in range(0, 700, 7)]
    add_leads(ws, [lead(e) for e in later], now=MONDAY_9AM, name="later.csv")
    add_events(ws, [demo_request(e, "2026-11-23T13:30:00Z") for e in later], now=MONDAY_9AM, name="later-e.csv")
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == len(later)
    got = owners(ws)
    assert [got[e] for e in later] == [first[i] for i in range(0, 700, 7)]
    reasons = {ws.ok(f"show {e}", now=MONDAY_9AM)["history"][-1]["reason"] for e in later[::20]}
    assert all("account owner of company" in reason for reason in reasons)
    with sqlite3.connect(ws.root / "data" / "leadterm.db") as db:  # a row of each kind for each lead given out
        assert db.execute("SELECT COUNT(*), COUNT(DISTINCT lead_id) FROM assignment").fetchone() == (2_600, 2_600)
        assert db.execute("SELECT COUNT(*) FROM notification WHERE kind = 'assigned'").fetchone() == (2_600,)
        assert db.execute("SELECT COUNT(*) FROM history WHERE action = 'routed'").fetchone() == (2_600,)


def test_away_reps_are_skipped_and_the_history_says_so(ws: Workspace) -> None:
    ws.ok("away bob", actor="dana", now=MONDAY_9AM)
    emails = ["a@one.com", "b@two.com"]
    add_leads(ws, [lead(e) for e in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(e, "2026-11-23T13:00:00Z") for e in emails], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert set(owners(ws).values()) == {"alice"}
    routed = ws.ok("show b@two.com", now=MONDAY_9AM)["history"][-1]
    assert routed["action"] == "routed" and "skipped bob (away)" in routed["reason"]


def test_reps_at_capacity_are_skipped(ws: Workspace) -> None:
    ws.write_config(lambda data: data["reps"][1].update(capacity=1))
    emails = ["a@one.com", "b@two.com", "c@three.com"]
    add_leads(ws, [lead(e) for e in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(e, "2026-11-23T13:00:00Z") for e in emails], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert owners(ws) == {"a@one.com": "alice", "b@two.com": "bob", "c@three.com": "bob"}
    reason = ws.ok("show c@three.com", now=MONDAY_9AM)["history"][-1]["reason"]
    assert "alice (at capacity (1/1))" in reason


def test_unroutable_lead_waits_and_is_routed_when_someone_is_back(ws: Workspace) -> None:
    ws.ok("away alice", actor="dana", now=MONDAY_9AM)
    add_leads(ws, [ADA], now=MONDAY_9AM)  # 1200 employees: Enterprise, whose only member is alice
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    first = ws.ok("tick", now=MONDAY_9AM)
    assert (first["qualified"], first["routed"], first["unroutable"]) == (1, 0, 1)
    ws.ok("tick", now="2026-11-23T14:01:00Z")
    row = ws.ok("queue --all", actor="dana", now="2026-11-23T14:06:00Z")[0]
    assert row["owner"] is None and row["clock"] == "route" and row["sla_state"] == "breached"
    assert [a for _, a, _ in actions(ws, "1")].count("unroutable") == 1  # written once
    ws.ok("back alice", actor="dana", now="2026-11-23T14:10:00Z")
    assert ws.ok("tick", now="2026-11-23T14:10:00Z")["routed"] == 1
    assert owners(ws, "2026-11-23T14:10:00Z") == {"ada@acme.com": "alice"}


def test_account_owner_gets_the_accounts_next_lead(ws: Workspace) -> None:
    add_leads(ws, [lead("first@acme.com"), lead("x@other.com")], now=MONDAY_9AM)
    add_events(ws, [demo_request("first@acme.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert owners(ws)["first@acme.com"] == "alice"
    add_leads(ws, [lead("second@acme.com")], now=MONDAY_9AM, name="more.csv")
    add_events(ws, [demo_request("second@acme.com", "2026-11-23T14:00:00Z"),
                    demo_request("x@other.com", "2026-11-23T14:00:00Z")], now=MONDAY_9AM, name="e2.csv")
    ws.ok("tick", now="2026-11-23T14:01:00Z")
    result = owners(ws, "2026-11-23T14:01:00Z")
    # acme.com is alice's account; the round-robin turn still goes to bob for the other lead
    assert result["second@acme.com"] == "alice" and result["x@other.com"] == "bob"
    assert "account owner of acme.com" in ws.ok("show second@acme.com", now=MONDAY_9AM)["history"][-1]["reason"]


def test_accounts_import_sets_owners_and_refuses_non_reps(ws: Workspace) -> None:
    ws.csv("accounts.csv", "domain,name,owner\nbeta.io,Beta,bob\nzeta.io,Zeta,zed\n")
    report = ws.ok(["import", "accounts", str(ws.root / "accounts.csv")], now=MONDAY_9AM)
    assert (report["read"], report["inserted"], report["rejected"]) == (2, 1, 1)
    rejects = (ws.root / "accounts.csv.rejects.csv").read_text()
    assert "3," in rejects and "'zed' is not a rep" in rejects
    add_leads(ws, [BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert owners(ws) == {"bea@beta.io": "bob"}


def test_personal_mail_domains_never_form_accounts(ws: Workspace) -> None:
    emails = ["one@gmail.com", "two@gmail.com"]
    add_leads(ws, [lead(e) for e in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(e, "2026-11-23T13:00:00Z") for e in emails], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert owners(ws) == {"one@gmail.com": "alice", "two@gmail.com": "bob"}


def test_disqualify_rule_wins_over_a_demo_request(ws: Workspace) -> None:
    add_leads(ws, [lead("spy@rivalsoft.com")], now=MONDAY_9AM)
    add_events(ws, [demo_request("spy@rivalsoft.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    counts = ws.ok("tick", now=MONDAY_9AM)
    assert (counts["qualified"], counts["disqualified"]) == (0, 1)
    brief = ws.ok("show 1", now=MONDAY_9AM)
    assert brief["stage"] == "disqualified" and brief["stage_reason"] == "competitor"
    assert brief["history"][-1]["action"] == "disqualified"


def test_escalation_level_one_then_two_each_once(ws: Workspace) -> None:
    add_leads(ws, [BEA], now=MONDAY_9AM)  # 200 employees: Commercial (alice, bob)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)  # → alice; first touch due 09:15 New York
    assert ws.ok("tick", now="2026-11-23T14:14:59Z")["escalated"] == 0
    assert ws.ok("tick", now="2026-11-23T14:15:00Z")["escalated"] == 1  # now ≥ D
    assert ws.ok("tick", now="2026-11-23T14:20:00Z")["escalated"] == 0  # once
    assert ws.ok("show 1", now="2026-11-23T14:20:00Z")["escalation_level"] == 1
    # level 2 at D + 2h of business time: 11:15 New York
    assert ws.ok("tick", now="2026-11-23T16:14:59Z")["reassigned"] == 0
    assert ws.ok("tick", now="2026-11-23T16:15:00Z")["reassigned"] == 1
    assert ws.ok("tick", now="2026-11-23T16:16:00Z")["reassigned"] == 0
    brief = ws.ok("show 1", now="2026-11-23T16:16:00Z")
    assert brief["owner"] == "bob" and brief["escalation_level"] == 0
    assert brief["deadlines"]["first_touch"] == "2026-11-23T16:30:00Z"  # fresh: 11:15 + 15m
    steps = [(h["action"], h.get("level")) for h in brief["history"]]
    assert steps == [("mql", None), ("routed", None), ("escalated", 1), ("reassigned", 2)]


def test_level_two_with_nobody_else_eligible_stays(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)  # Enterprise: alice alone
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    counts = ws.ok("tick", now="2026-11-23T17:00:00Z")  # past D and D + 2h at once
    assert (counts["escalated"], counts["reassigned"]) == (1, 0)
    brief = ws.ok("show 1", now="2026-11-23T17:00:00Z")
    assert brief["owner"] == "alice" and brief["escalation_level"] == 2
    assert "stays with alice" in brief["history"][-1]["reason"]
    assert ws.ok("tick", now="2026-11-23T18:00:00Z")["escalated"] == 0


def test_touching_in_time_stops_escalation(ws: Workspace) -> None:
    add_leads(ws, [BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    ws.ok("touch 1 --channel call --outcome connected", actor="alice", now="2026-11-23T14:05:00Z")
    counts = ws.ok("tick", now="2026-11-24T14:05:00Z")
    assert (counts["escalated"], counts["reassigned"]) == (0, 0)


def test_tier_one_assigned_outside_hours_runs_on_the_wall_clock(ws: Workspace) -> None:
    saturday = "2026-11-28T15:00:00Z"  # Saturday 10:00 New York
    add_leads(ws, [BEA], now=saturday)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-28T14:00:00Z")], now=saturday)
    ws.ok("tick", now=saturday)
    deadlines = ws.ok("show 1", now=saturday)["deadlines"]
    assert deadlines["first_touch"] == "2026-11-28T17:00:00Z"  # + 2h wall clock
    assert deadlines["accept"] == "2026-11-30T18:00:00Z"  # Monday 13:00: 4h from the opening


def test_nurture_returns_to_lead_when_its_recheck_comes_and_requalifies(ws: Workspace) -> None:
    add_leads(ws, [BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    ws.ok("reject 1 --reason bad_data", actor="alice", now=MONDAY_9AM)  # recheck after 7 days
    assert ws.ok("tick", now="2026-11-30T13:59:59Z")["recycled"] == 0
    assert ws.ok("tick", now="2026-11-30T14:00:00Z")["recycled"] == 1
    assert ws.ok("show 1", now="2026-11-30T14:00:00Z")["stage"] == "lead"
    counts = ws.ok("tick", now="2026-11-30T14:01:00Z")
    assert counts["qualified"] == 1  # the demo request still counts: it is an MQL again
    assert [a for _, a, _ in actions(ws, "1")][-3:] == ["recycled", "mql", "routed"]


def test_time_alone_changes_scores_and_the_worker_notices(ws: Workspace) -> None:
    def penalty(data: dict) -> None:
        data["scoring"]["behaviour"].append(
            {"name": "Job seeker lately", "event": "careers_page", "at_least": 1, "within_days": 7, "points": -30})

    ws.write_config(penalty)
    add_leads(ws, [BEA], now=MONDAY_9AM)  # fit: CTO 15 + size 10 + Healthcare 10 = 35
    add_events(ws, [
        {"email": "bea@beta.io", "type": "pricing_page", "occurred_at": "2026-11-22T12:00:00Z"},
        {"email": "bea@beta.io", "type": "case_study_download", "occurred_at": "2026-11-22T12:00:00Z"},
        {"email": "bea@beta.io", "type": "careers_page", "occurred_at": "2026-11-22T12:00:00Z"},
    ], now=MONDAY_9AM)
    first = ws.ok("tick", now=MONDAY_9AM)
    assert (first["rescored"], first["qualified"]) == (1, 0)  # 35 + 20 + 15 - 10 - 30 = 30
    assert ws.ok("show 1", now=MONDAY_9AM)["score"] == 30
    assert ws.ok("tick", now="2026-11-25T14:00:00Z")["rescored"] == 0  # nothing changes meanwhile
    # the careers visit leaves the 7-day window at 2026-11-29T12:00:01Z: 35 + 20 + 15 - 10 = 60
    assert ws.ok("tick", now="2026-11-29T12:00:00Z")["rescored"] == 0
    later = ws.ok("tick", now="2026-11-29T12:00:01Z")
    assert (later["rescored"], later["qualified"], later["routed"]) == (1, 1, 1)
    assert ws.ok("show 1", now="2026-11-29T12:00:01Z")["score"] == 60


def test_repeated_ticks_change_nothing(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA, CY], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    before = ws.ok("show 1", now=MONDAY_9AM)
    again = ws.ok("tick", now=MONDAY_9AM)
    assert set(again.values()) == {0}
    assert ws.ok("show 1", now=MONDAY_9AM) == before


def test_future_events_count_once_their_time_comes(ws: Workspace) -> None:
    add_leads(ws, [CY], now=MONDAY_9AM)
    add_events(ws, [demo_request("cy@gamma.org", "2026-11-25T15:00:00Z")], now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["qualified"] == 0
    assert ws.ok("tick", now="2026-11-25T14:59:59Z")["rescored"] == 0
    assert ws.ok("tick", now="2026-11-25T15:00:00Z")["qualified"] == 1


def test_the_worker_command_runs_passes_until_stopped(ws: Workspace) -> None:
    import signal
    import subprocess
    import sys

    add_leads(ws, [BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    worker = subprocess.Popen(
        [sys.executable, "-m", "leadterm", "worker", "--interval", "0.2", "--config", str(ws.config_path),
         "--now", MONDAY_9AM],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().startswith("worker: a pass every 0.2s")
        report = worker.stdout.readline()  # blocks until the first pass that did something
        assert "qualified 1" in report and "routed 1" in report
    finally:
        worker.send_signal(signal.SIGTERM)
        out, err = worker.communicate(timeout=30)
    assert worker.returncode == 0, err
    assert "worker: stopped" in out
    assert owners(ws) == {"bea@beta.io": "alice"}
