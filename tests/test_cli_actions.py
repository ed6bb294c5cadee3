"""accept, reject, touch, qualify, close, assign, away/back: guards, effects and history."""

from __future__ import annotations

import pytest

from conftest import ADA, BEA, CY, MONDAY_9AM, Workspace, add_events, add_leads, demo_request


@pytest.fixture
def routed(ws: Workspace) -> Workspace:
    """Ada (tier 1, Enterprise → alice) is routed at Monday 09:00 New York."""
    add_leads(ws, [ADA, CY], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:50:00Z")], now=MONDAY_9AM)
    counts = ws.ok("tick", now=MONDAY_9AM)
    assert counts["qualified"] == 1 and counts["routed"] == 1
    return ws


def history(ws: Workspace, lead: str = "1") -> list[tuple[str, str, str | None]]:
    return [(h["actor"], h["action"], h["reason"]) for h in ws.ok(f"show {lead}", now=MONDAY_9AM)["history"]]


def test_routed_lead_has_its_deadlines(routed: Workspace) -> None:
    brief = routed.ok("show 1", now=MONDAY_9AM)
    assert brief["stage"] == "mql" and brief["tier"] == 1 and brief["owner"] == "alice"
    assert brief["deadlines"] == {
        "route": "2026-11-23T14:05:00Z",  # 5m wall clock
        "accept": "2026-11-23T18:00:00Z",  # 4h business: 09:00 → 13:00 EST
        "first_touch": "2026-11-23T14:15:00Z",  # tier 1: 15m business
    }
    assert [h["action"] for h in brief["history"]] == ["mql", "routed"]
    assert "Enterprise" in brief["history"][1]["reason"]
    # the text brief lists them in the calendar's zone; a lead with none says so
    deadlines = [line.strip() for line in routed.run("show 1", now=MONDAY_9AM).out.splitlines() if "Deadlines:" in line]
    assert deadlines == ["Deadlines: route Mon 2026-11-23 09:05 EST, accept Mon 2026-11-23 13:00 EST, "
                         "first_touch Mon 2026-11-23 09:15 EST"]
    assert "  Deadlines: none" in routed.run("show 2", now=MONDAY_9AM).out.splitlines()
    # how the score came: a demo request raised a hand; a lead with no driver says nothing of it
    assert "  Score:     85 (raised a hand)" in routed.run("show 1", now=MONDAY_9AM).out.splitlines()
    brief = routed.run("show 2", now=MONDAY_9AM).out.splitlines()
    assert [line for line in brief if line.startswith(("  Score:", "  Created:"))] == ["  Score:     0"]
    # and when the lead was created, in the calendar's zone (to check how a file's dates were read)
    add_leads(routed, [{"email": "dee@x.com", "title": "CTO", "created_at": "2026-11-05T15:15:00Z"}], now=MONDAY_9AM)
    brief = routed.run("show dee@x.com", now=MONDAY_9AM).out.splitlines()
    assert [line for line in brief if line.startswith(("  Score:", "  Created:"))] == [
        "  Created:   Thu 2026-11-05 10:15 EST", "  Score:     15 (fit alone)"]
    # told by each driver's kind, not its name (a behaviour rule may share a fit rule's name)
    routed.write_config(lambda data: data["scoring"]["behaviour"][0].update(name="ICP title"))
    brief = routed.run("show dee@x.com", now=MONDAY_9AM).out.splitlines()
    assert "  Score:     15 (fit alone)" in brief


def test_accept_moves_mql_to_sal_and_is_recorded(routed: Workspace) -> None:
    out = routed.ok("accept 1", actor="alice", now="2026-11-23T14:03:00Z")
    assert out["lead"]["stage"] == "sal"
    assert history(routed)[-1] == ("alice", "accepted", None)


def test_accept_by_another_rep_is_refused_and_changes_nothing(routed: Workspace) -> None:
    result = routed.run("accept 1", actor="bob", now=MONDAY_9AM)
    assert result.code == 1
    assert "assigned to alice" in result.err
    assert routed.ok("show 1", now=MONDAY_9AM)["stage"] == "mql"


def test_team_lead_may_act_on_any_lead(routed: Workspace) -> None:
    routed.ok("accept 1", actor="dana", now=MONDAY_9AM)
    assert history(routed)[-1] == ("dana", "accepted", None)


def test_accept_twice_is_refused(routed: Workspace) -> None:
    routed.ok("accept 1", actor="alice", now=MONDAY_9AM)
    result = routed.run("accept 1", actor="alice", now=MONDAY_9AM)
    assert result.code == 1
    assert "stage 'sal'" in result.err


def test_a_lead_below_the_bar_cannot_be_accepted(routed: Workspace) -> None:
    result = routed.run("accept 2", actor="dana", now=MONDAY_9AM)
    assert result.code == 1
    assert "stage 'lead'" in result.err


def test_touch_on_an_unaccepted_mql_accepts_it_and_meets_the_first_touch_sla(routed: Workspace) -> None:
    out = routed.ok("touch 1 --channel call --outcome connected --note 'spoke to Ada'", actor="alice",
                    now="2026-11-23T14:10:00Z")
    assert out["lead"]["stage"] == "sal"
    assert "SLA met" in out["message"]
    brief = routed.ok("show 1", now="2026-11-23T14:10:00Z")
    assert brief["touches"] == [{"at": "2026-11-23T14:10:00Z", "rep": "alice", "channel": "call",
                                 "outcome": "connected", "note": "spoke to Ada"}]
    actions = [h["action"] for h in brief["history"]]
    assert actions == ["mql", "routed", "accepted", "touched"]
    assert brief["history"][-1]["detail"]["first_touch"] == "met"
    assert brief["deadline"] is None and brief["sla_state"] is None  # every clock met


def test_first_touch_after_the_deadline_misses_it(routed: Workspace) -> None:
    out = routed.ok("touch 1 --channel email --outcome no_answer", actor="alice", now="2026-11-23T14:15:01Z")
    assert "SLA missed" in out["message"]
    out = routed.ok("touch 1 --channel call --outcome voicemail", actor="alice", now="2026-11-23T14:20:00Z")
    assert "first touch" not in out["message"]


def test_first_touch_exactly_at_the_deadline_meets_it(routed: Workspace) -> None:
    out = routed.ok("touch 1 --channel email --outcome replied", actor="alice", now="2026-11-23T14:15:00Z")
    assert "SLA met" in out["message"]


def test_touch_with_an_unknown_channel_is_bad_usage(routed: Workspace) -> None:
    result = routed.run("touch 1 --channel pigeon --outcome connected", actor="alice", now=MONDAY_9AM)
    assert result.code == 2


def test_reject_needs_a_known_reason(routed: Workspace) -> None:
    result = routed.run("reject 1 --reason bored", actor="alice", now=MONDAY_9AM)
    assert result.code == 2
    assert "premature" in result.err  # lists the known reasons
    assert routed.ok("show 1", now=MONDAY_9AM)["stage"] == "mql"


def test_reject_premature_sends_to_nurture_with_a_recheck(routed: Workspace) -> None:
    out = routed.ok("reject 1 --reason premature --note 'budget next year'", actor="alice", now=MONDAY_9AM)
    assert out["lead"]["stage"] == "nurture" and out["lead"]["owner"] is None
    brief = routed.ok("show 1", now=MONDAY_9AM)
    assert brief["recheck_at"] == "2026-12-23T14:00:00Z"  # 30 days on the wall clock
    last = brief["history"][-1]
    assert (last["actor"], last["action"], last["reason"]) == ("alice", "rejected", "premature")
    assert last["detail"]["note"] == "budget next year"


def test_reject_wrong_icp_disqualifies(routed: Workspace) -> None:
    out = routed.ok("reject 1 --reason wrong_icp", actor="alice", now=MONDAY_9AM)
    assert out["lead"]["stage"] == "disqualified"
    assert routed.run("accept 1", actor="dana", now=MONDAY_9AM).code == 1


def test_unreachable_needs_the_minimum_touches(routed: Workspace) -> None:
    result = routed.run("reject 1 --reason unreachable", actor="alice", now=MONDAY_9AM)
    assert result.code == 1
    assert "needs 3 touches" in result.err and "has 0" in result.err
    for minute in (1, 2):
        routed.ok("touch 1 --channel call --outcome no_answer", actor="alice", now=f"2026-11-23T14:0{minute}:00Z")
    assert routed.run("reject 1 --reason unreachable", actor="alice", now=MONDAY_9AM).code == 1
    routed.ok("touch 1 --channel email --outcome bounced", actor="alice", now="2026-11-23T14:03:00Z")
    out = routed.ok("reject 1 --reason unreachable", actor="alice", now="2026-11-23T14:04:00Z")
    assert out["lead"]["stage"] == "nurture"


def test_qualify_and_close(routed: Workspace) -> None:
    assert routed.run("qualify 1", actor="alice", now=MONDAY_9AM).code == 1  # mql cannot skip sal
    routed.ok("accept 1", actor="alice", now=MONDAY_9AM)
    assert routed.run("close 1 --won", actor="alice", now=MONDAY_9AM).code == 1  # sal cannot skip sql
    routed.ok("qualify 1", actor="alice", now=MONDAY_9AM)
    result = routed.run("close 1 --lost", actor="alice", now=MONDAY_9AM)
    assert result.code == 2 and "--reason" in result.err
    out = routed.ok("close 1 --won", actor="alice", now=MONDAY_9AM)
    assert out["lead"]["stage"] == "won"
    assert [a for _, a, _ in history(routed)][-3:] == ["accepted", "sql", "won"]


def test_close_lost_records_the_reason(routed: Workspace) -> None:
    routed.ok("accept 1", actor="alice", now=MONDAY_9AM)
    routed.ok("qualify 1", actor="alice", now=MONDAY_9AM)
    routed.ok("close 1 --lost --reason 'went with a rival'", actor="alice", now=MONDAY_9AM)
    assert history(routed)[-1] == ("alice", "lost", "went with a rival")


def test_assign_is_for_team_leads(routed: Workspace) -> None:
    result = routed.run("assign 1 --to bob", actor="alice", now=MONDAY_9AM)
    assert result.code == 1 and "team lead" in result.err
    assert routed.run("assign 1 --to zed", actor="dana", now=MONDAY_9AM).code == 1
    out = routed.ok("assign 1 --to bob", actor="dana", now="2026-11-23T14:30:00Z")
    assert out["lead"]["owner"] == "bob"
    brief = routed.ok("show 1", now="2026-11-23T14:30:00Z")
    # fresh deadlines from the reassignment
    assert brief["deadlines"]["first_touch"] == "2026-11-23T14:45:00Z"
    assert brief["escalation_level"] == 0
    last = brief["history"][-1]
    assert (last["actor"], last["action"], last["detail"]["from"], last["detail"]["to"]) == (
        "dana", "reassigned", "alice", "bob")
    assert routed.run("assign 1 --to bob", actor="dana", now=MONDAY_9AM).code == 1  # already bob's


def test_assign_refuses_leads_that_are_not_open(routed: Workspace) -> None:
    result = routed.run("assign 2 --to bob", actor="dana", now=MONDAY_9AM)
    assert result.code == 1 and "open leads" in result.err


def test_away_and_back_are_for_team_leads(ws: Workspace) -> None:
    assert ws.run("away bob", actor="alice", now=MONDAY_9AM).code == 1
    assert ws.run("away zed", actor="dana", now=MONDAY_9AM).code == 1
    assert ws.ok("away bob", actor="dana", now=MONDAY_9AM)["message"] == "bob is away"
    assert ws.ok("away bob", actor="dana", now=MONDAY_9AM)["message"] == "bob is already away"
    assert ws.ok("back bob", actor="dana", now=MONDAY_9AM)["message"] == "bob is back"


def test_queue_lists_the_reps_open_leads_in_order(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA, CY], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z"),
                    demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    rows = ws.ok("queue", actor="alice", now="2026-11-23T14:10:00Z")
    assert [row["email"] for row in rows] == ["ada@acme.com", "bea@beta.io"]
    first = rows[0]
    assert set(first) >= {"id", "email", "name", "company", "stage", "tier", "score", "owner", "deadline",
                          "seconds_left", "sla_state", "escalation_level"}
    assert first["deadline"] == "2026-11-23T14:15:00Z" and first["seconds_left"] == 300
    assert first["sla_state"] == "ok"  # 5 of 15 minutes left: a third
    states = [ws.ok("queue", actor="alice", now=now)[0] for now in ("2026-11-23T14:12:00Z", "2026-11-23T14:16:00Z")]
    assert [(row["sla_state"], row["seconds_left"]) for row in states] == [("at_risk", 180), ("breached", -60)]
    # the team lead sees every open lead; a rep may not
    assert len(ws.ok("queue --all", actor="dana", now=MONDAY_9AM)) == 2
    assert ws.run("queue --all", actor="bob", now=MONDAY_9AM).code == 1
