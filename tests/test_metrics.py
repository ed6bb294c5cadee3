"""Metrics, calibration and the weekly report (SPEC §2 "Metrics", §3 metrics/calibrate/report).

The engine tests feed hand-built facts to the pure ``compute_metrics``; the end-to-end tests drive
the CLI through a realistic week with ``--now`` pinned and check every number by hand.
"""

from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import datetime, timedelta, timezone

import pytest

from conftest import ADA, BEA, CY, MONDAY_9AM, Workspace, add_events, add_leads, demo_request
from leadterm.engine.metrics import (
    AssignmentFact,
    Decision,
    MqlFact,
    RejectFact,
    compute_metrics,
    score_bands,
    suggest_threshold,
)

UTC = timezone.utc
T0 = datetime(2026, 11, 23, 5, tzinfo=UTC)  # Monday 2026-11-23 00:00 New York
SINCE, UNTIL = T0, T0 + timedelta(days=7)
NOW = UNTIL + timedelta(days=1)
M, H = timedelta(minutes=1), timedelta(hours=1)
S = timedelta(seconds=1)


def decision(at: datetime, accepted: bool, rep: str = "alice", tier: int = 1, source: str = "web") -> Decision:
    return Decision(at, accepted, rep, tier, source)


def assignment(
    assigned_at: datetime,
    *,
    due: datetime | None = None,
    touched: datetime | None = None,
    ended: datetime | None = None,
    rep: str = "alice",
    tier: int = 1,
    source: str = "web",
    stage: str = "sal",
    lead_id: int = 1,
) -> AssignmentFact:
    return AssignmentFact(lead_id, rep, tier, source, assigned_at, due, touched, ended, stage)


def mql(lead_id: int, at: datetime, stage: str, score: int | None = 60, rep: str = "alice", tier: int = 3,
        source: str = "web") -> MqlFact:
    return MqlFact(lead_id, at, score, tier, source, rep, stage)


def metrics(decisions=(), assignments=(), mqls=(), rejects=(), now: datetime = NOW):  # type: ignore[no-untyped-def]
    return compute_metrics(SINCE, UNTIL, now, decisions, assignments, mqls, rejects)


# -- engine: headline metrics ---------------------------------------------------------------------
def test_nothing_to_divide_gives_none_everywhere() -> None:
    result = metrics()
    for key in ("acceptance_rate", "avg_response_seconds", "sla_compliance", "mql_to_opportunity"):
        assert result[key] is None, key
    assert result["sla_compliance_by_tier"] == {"1": None, "2": None, "3": None}
    assert result["by_rep"] == {} and result["by_tier"] == {} and result["by_source"] == {}
    assert result["rejection_reasons"] == []
    assert result["conversion_by_score_band"] == []
    assert [(b["bucket"], b["leads"], b["rate"]) for b in result["conversion_by_response_time"]] == [
        ("<5m", 0, None), ("5-30m", 0, None), ("30m-1h", 0, None),
        ("1-4h", 0, None), ("4-24h", 0, None), (">24h", 0, None),
    ]


def test_acceptance_rate_counts_decisions_in_the_half_open_period() -> None:
    decisions = [
        decision(SINCE, True),  # at since: inside (inclusive)
        decision(SINCE + H, True),  # a first touch that accepted is an accept like any other
        decision(SINCE + 2 * H, False),
        decision(UNTIL - S, False),  # last second of the period
        decision(SINCE - S, True),  # before the period
        decision(UNTIL, True),  # at until: outside (exclusive)
        decision(UNTIL + H, False),
    ]
    result = metrics(decisions=decisions)
    assert (result["accepted"], result["rejected"]) == (2, 2)
    assert result["acceptance_rate"] == 0.5


def test_acceptance_rate_all_accepted_and_all_rejected() -> None:
    assert metrics(decisions=[decision(SINCE + H, True)] * 3)["acceptance_rate"] == 1.0
    assert metrics(decisions=[decision(SINCE + H, False)] * 2)["acceptance_rate"] == 0.0
    # only decisions outside the period: nothing to divide
    assert metrics(decisions=[decision(SINCE - H, True)])["acceptance_rate"] is None


def test_average_response_is_the_mean_over_first_touches_in_the_period() -> None:
    a = SINCE + H
    facts = [
        assignment(a, touched=a + 10 * M),  # 600 s
        assignment(a, touched=a + 2 * H),  # 7200 s
        assignment(SINCE - 3 * H, touched=SINCE + 30 * M),  # assigned before, touched inside: 12600 s
        assignment(SINCE - 2 * H, touched=SINCE - H),  # touched before the period: out
        assignment(UNTIL - H, touched=UNTIL),  # touched at until: out
        assignment(a),  # never touched: no response time
    ]
    result = metrics(assignments=facts)
    assert result["first_touches"] == 3
    assert result["avg_response_seconds"] == (600 + 7200 + 12600) / 3


def test_sla_met_missed_and_excluded() -> None:
    a = SINCE + H
    due = a + 15 * M
    facts = [
        assignment(a, due=due, touched=due - M, tier=1),  # met
        assignment(a, due=due, touched=due, tier=1),  # exactly at the deadline: met
        assignment(a, due=due, touched=due + S, tier=1),  # a second late: missed
        assignment(a, due=due, tier=2),  # still untouched, deadline passed: missed
        assignment(a, due=due, ended=due - M, tier=2),  # rejected before its deadline: no SLA
        assignment(a, due=due, ended=due + H, tier=2),  # reassigned untouched after the breach: missed
        assignment(a, due=None, touched=a + M, tier=3),  # no first-touch clock (already touched): no SLA
        assignment(SINCE - 2 * H, due=SINCE - H, tier=3),  # fell due before the period
        assignment(UNTIL - H, due=UNTIL, tier=3),  # falls due at until: outside
        assignment(SINCE - H, due=SINCE, touched=SINCE, tier=3),  # falls due at since: inside, met
    ]
    result = metrics(assignments=facts)
    assert (result["sla_met"], result["sla_missed"]) == (3, 3)
    assert result["sla_compliance"] == 0.5
    # tier 1: met, met, missed; tier 2: missed, missed; tier 3: met
    assert result["sla_compliance_by_tier"] == {"1": 2 / 3, "2": 0.0, "3": 1.0}


def test_sla_deadlines_after_now_have_not_fallen_due() -> None:
    now = SINCE + 2 * H  # mid-period
    a = SINCE + H
    facts = [
        assignment(a, due=now - S),  # passed a second ago, untouched: missed
        assignment(a, due=now + S),  # a second ahead, untouched: not yet due
        assignment(a, due=a + 4 * H),  # hours ahead: not yet due
        assignment(a, due=now - M, touched=now - 2 * M),  # met
    ]
    result = metrics(assignments=facts, now=now)
    assert (result["sla_met"], result["sla_missed"]) == (1, 1)
    assert result["sla_compliance"] == 0.5
    # once time has moved on, the untouched ones are missed
    later = metrics(assignments=facts, now=a + 5 * H)
    assert (later["sla_met"], later["sla_missed"]) == (1, 3)


def test_mql_to_opportunity_counts_each_lead_once() -> None:
    mqls = [
        mql(1, SINCE + H, "sql"),
        mql(2, SINCE + H, "won"),
        mql(3, SINCE + H, "lost"),  # lost is later than sql: an opportunity that closed
        mql(4, SINCE + H, "sal"),
        mql(5, SINCE + H, "nurture"),
        mql(6, SINCE + H, "mql"),
        mql(6, SINCE + 3 * 24 * H, "mql"),  # the same lead qualified twice in the period: once
        mql(7, SINCE - H, "won"),  # became MQL before the period
        mql(8, UNTIL, "won"),  # at until: outside
        mql(9, SINCE, "disqualified"),  # at since: inside
    ]
    result = metrics(mqls=mqls)
    assert result["mqls"] == 7  # leads 1-6 and 9
    assert result["mql_to_opportunity"] == 3 / 7


def test_a_lead_that_qualified_twice_is_banded_by_its_latest_score() -> None:
    mqls = [mql(1, SINCE + H, "sql", score=52), mql(1, SINCE + 48 * H, "sql", score=71)]
    bands = metrics(mqls=mqls)["conversion_by_score_band"]
    assert [(b["band"], b["mqls"], b["converted"]) for b in bands] == [("70-79", 1, 1)]


# -- engine: breakdowns, reasons, buckets, bands ----------------------------------------------------
def test_breakdowns_by_rep_tier_and_source() -> None:
    a = SINCE + H
    decisions = [
        decision(a, True, rep="alice", tier=1, source="webinar"),
        decision(a, False, rep="alice", tier=2, source="ads"),
        decision(a, True, rep="bob", tier=1, source="ads"),
    ]
    facts = [
        assignment(a, due=a + 15 * M, touched=a + 5 * M, rep="alice", tier=1, source="webinar"),  # 300 s, met
        assignment(a, due=a + 15 * M, touched=a + 25 * M, rep="bob", tier=1, source="ads"),  # 1500 s, missed
    ]
    mqls = [
        mql(1, a, "sql", rep="alice", tier=1, source="webinar"),
        mql(2, a, "nurture", rep="alice", tier=2, source="ads"),
        mql(3, a, "sal", rep="bob", tier=1, source=None),  # type: ignore[arg-type]
    ]
    result = metrics(decisions, facts, mqls)
    alice, bob = result["by_rep"]["alice"], result["by_rep"]["bob"]
    assert list(result["by_rep"]) == ["alice", "bob"]
    assert (alice["acceptance_rate"], alice["avg_response_seconds"], alice["sla_compliance"]) == (0.5, 300, 1.0)
    assert (alice["mqls"], alice["mql_to_opportunity"]) == (2, 0.5)
    assert (bob["acceptance_rate"], bob["avg_response_seconds"], bob["sla_compliance"]) == (1.0, 1500, 0.0)
    assert (bob["mqls"], bob["mql_to_opportunity"]) == (1, 0.0)

    tier1, tier2 = result["by_tier"]["1"], result["by_tier"]["2"]
    assert set(result["by_tier"]) == {"1", "2"}
    assert (tier1["accepted"], tier1["rejected"], tier1["sla_met"], tier1["sla_missed"]) == (2, 0, 1, 1)
    assert tier1["avg_response_seconds"] == 900  # (300 + 1500) / 2
    assert (tier2["acceptance_rate"], tier2["sla_compliance"], tier2["mql_to_opportunity"]) == (0.0, None, 0.0)

    assert set(result["by_source"]) == {"webinar", "ads", "(none)"}  # a missing source is "(none)"
    assert result["by_source"]["ads"]["acceptance_rate"] == 0.5
    assert result["by_source"]["webinar"]["mql_to_opportunity"] == 1.0
    assert result["by_source"]["(none)"]["mqls"] == 1


def test_rejection_reasons_count_every_reject_in_the_period() -> None:
    rejects = [
        RejectFact(SINCE + H, "premature", "Not ready yet", "mql"),
        RejectFact(SINCE + 2 * H, "wrong_icp", "Wrong ICP", "mql"),
        RejectFact(SINCE + 3 * H, "premature", "Not ready yet", "sal"),  # from sal: still a reason given
        RejectFact(SINCE + 4 * H, "premature", "Not ready yet", "mql"),
        RejectFact(SINCE - H, "wrong_icp", "Wrong ICP", "mql"),  # before the period
        RejectFact(UNTIL, "duplicate", "Duplicate", "mql"),  # at until
    ]
    assert metrics(rejects=rejects)["rejection_reasons"] == [
        {"reason": "premature", "label": "Not ready yet", "count": 3},
        {"reason": "wrong_icp", "label": "Wrong ICP", "count": 1},
    ]


def test_conversion_by_response_time_buckets_and_their_boundaries() -> None:
    a = SINCE + H
    seconds_and_stage = [
        (0, "sql"), (299, "sal"),  # <5m
        (300, "won"), (1799, "sal"),  # exactly 5m goes to 5-30m
        (1800, "lost"),  # exactly 30m: 30m-1h
        (3600, "sal"), (4 * 3600 - 1, "sql"),  # 1-4h
        (4 * 3600, "nurture"),  # 4-24h
        (24 * 3600, "sql"), (50 * 3600, "sal"),  # >24h
    ]
    facts = [assignment(a, touched=a + timedelta(seconds=s), stage=stage) for s, stage in seconds_and_stage]
    buckets = metrics(assignments=facts)["conversion_by_response_time"]
    assert [(b["bucket"], b["leads"], b["converted"], b["rate"]) for b in buckets] == [
        ("<5m", 2, 1, 0.5),
        ("5-30m", 2, 1, 0.5),
        ("30m-1h", 1, 1, 1.0),
        ("1-4h", 2, 1, 0.5),
        ("4-24h", 1, 0, 0.0),
        (">24h", 2, 1, 0.5),
    ]


def test_score_bands_of_ten_points() -> None:
    facts = [
        mql(1, SINCE, "sql", score=49),
        mql(2, SINCE, "sal", score=50),
        mql(3, SINCE, "won", score=59),
        mql(4, SINCE, "nurture", score=59),
        mql(5, SINCE, "sql", score=60),
        mql(6, SINCE, "sql", score=None),  # no score recorded: not banded
        mql(7, SINCE, "lost", score=105),
    ]
    assert score_bands(facts) == [
        {"band": "40-49", "min": 40, "mqls": 1, "converted": 1, "rate": 1.0},
        {"band": "50-59", "min": 50, "mqls": 3, "converted": 1, "rate": 1 / 3},
        {"band": "60-69", "min": 60, "mqls": 1, "converted": 1, "rate": 1.0},
        {"band": "100-109", "min": 100, "mqls": 1, "converted": 1, "rate": 1.0},
    ]


def band(low: int, mqls: int, converted: int) -> dict:
    return {"band": f"{low}-{low + 9}", "min": low, "mqls": mqls, "converted": converted,
            "rate": converted / mqls if mqls else None}


def test_suggest_threshold_needs_two_bands_with_enough_mqls() -> None:
    suggested, why = suggest_threshold([], current=50)
    assert suggested is None and "not enough data" in why
    # one band with enough MQLs, the other one short of min_mqls
    suggested, why = suggest_threshold([band(50, 4, 0), band(60, 8, 4)], current=50)
    assert suggested is None and "not enough data" in why


def test_suggest_threshold_raises_to_the_band_where_conversion_reaches_the_target() -> None:
    bands = [band(50, 10, 1), band(60, 10, 2), band(70, 6, 3)]  # 10%, 20%, 50%
    suggested, why = suggest_threshold(bands, current=50, target=0.15)
    assert suggested == 60
    assert why.startswith("raise to 60")
    # exactly at the target counts as converting
    assert suggest_threshold([band(50, 20, 2), band(60, 20, 3)], current=50, target=0.15)[0] == 60


def test_suggest_threshold_ignores_bands_below_min_mqls() -> None:
    # the 40s convert well but on too few MQLs to count; the 50s do not reach the target
    bands = [band(40, 4, 4), band(50, 10, 1), band(60, 10, 5)]
    assert suggest_threshold(bands, current=50, min_mqls=5)[0] == 60
    # with a lower bar the 40s count, but the 50s still break the run down from the top
    assert suggest_threshold(bands, current=50, min_mqls=3)[0] == 60
    # when every counted band converts, the lowest counted band is the suggestion
    assert suggest_threshold([band(40, 4, 4), band(50, 10, 2), band(60, 10, 5)], current=50, min_mqls=3) == (
        40, "lower to 40: bands from 40 up convert at 15% or better")


def test_suggest_threshold_when_no_band_converts_or_nothing_changes() -> None:
    suggested, why = suggest_threshold([band(50, 10, 0), band(60, 10, 1)], current=50)
    assert suggested is None and "no score band" in why
    assert suggest_threshold([band(50, 10, 5), band(60, 10, 5)], current=50) == (
        50, "the current threshold matches the bands")


# -- end to end: a realistic week --------------------------------------------------------------------
SIZES = {"title": "CEO", "industry": "Software", "country": "US"}
DAN = {"email": "dan@delta.com", "first_name": "Dan", "company": "Delta", "company_size": "300",
       "source": "ads", **SIZES}
EVE = {"email": "eve@echo.com", "first_name": "Eve", "company": "Echo", "company_size": "2000",
       "source": "webinar", **SIZES}
FAY = {"email": "fay@foxtrot.com", "first_name": "Fay", "company": "Foxtrot", "company_size": "100",
       "source": "organic", **SIZES}
GIL = {"email": "gil@golf.com", "first_name": "Gil", "company": "Golf", "company_size": "1500",
       "title": "Director", "industry": "Software", "source": "webinar"}
HAL = {"email": "hal@hotel.com", "first_name": "Hal", "company": "Hotel", "company_size": "1500",
       "title": "Director", "industry": "Software", "source": "webinar"}


def event(email: str, kind: str, at: str) -> dict[str, str]:
    return {"email": email, "type": kind, "occurred_at": at, "detail": ""}


@pytest.fixture
def week(ws: Workspace) -> Workspace:
    """The week of Monday 2026-11-23 (New York), business hours 14:00-22:00 UTC.

    Gil     Enterprise → alice, tier 1 (demo), routed Sunday 23:59 NY (04:59Z, outside hours: 2h wall)
    Ada     Enterprise → alice, tier 1 (demo)          \
    Bea     Commercial → alice, tier 1 (demo)           |
    Cy      Commercial → bob,   tier 1 (demo)           |  all routed Monday 09:00 NY (14:00Z)
    Dan     Commercial → alice, tier 2 (35 fit + 20 + 2×15 = 85)
    Eve     Enterprise → alice, tier 3 (35 fit + 20 = 55)
    Fay     Commercial → bob,   tier 3 (35 fit + 15 = 50)
    Hal     Enterprise → alice, tier 1 (demo), routed Sunday 29th 23:50 NY (2026-11-30T04:50Z)
    """
    add_leads(ws, [GIL], now="2026-11-23T04:58:00Z", name="gil.csv")
    add_events(ws, [demo_request("gil@golf.com", "2026-11-23T04:50:00Z")], now="2026-11-23T04:58:00Z",
               name="gil-events.csv")
    assert ws.ok("tick", now="2026-11-23T04:59:00Z")["routed"] == 1

    add_leads(ws, [ADA, BEA, CY, DAN, EVE, FAY], now="2026-11-23T13:55:00Z")
    add_events(ws, [
        demo_request("ada@acme.com", "2026-11-23T13:50:00Z"),
        demo_request("bea@beta.io", "2026-11-23T13:50:00Z"),
        demo_request("cy@gamma.org", "2026-11-23T13:50:00Z"),
        event("dan@delta.com", "pricing_page", "2026-11-23T13:40:00Z"),
        event("dan@delta.com", "case_study_download", "2026-11-23T13:41:00Z"),
        event("dan@delta.com", "case_study_download", "2026-11-23T13:42:00Z"),
        event("eve@echo.com", "pricing_page", "2026-11-23T13:45:00Z"),
        event("fay@foxtrot.com", "case_study_download", "2026-11-23T13:46:00Z"),
    ], now="2026-11-23T13:55:00Z")
    counts = ws.ok("tick", now=MONDAY_9AM)
    assert (counts["qualified"], counts["routed"]) == (6, 6)

    expected = {  # email: (owner, tier, first-touch deadline)
        "gil@golf.com": ("alice", 1, "2026-11-23T06:59:00Z"),  # outside hours: 2h wall clock
        "ada@acme.com": ("alice", 1, "2026-11-23T14:15:00Z"),  # 15m business
        "bea@beta.io": ("alice", 1, "2026-11-23T14:15:00Z"),
        "cy@gamma.org": ("bob", 1, "2026-11-23T14:15:00Z"),
        "dan@delta.com": ("alice", 2, "2026-11-23T18:00:00Z"),  # 4h business
        "eve@echo.com": ("alice", 3, "2026-11-25T22:00:00Z"),  # 24h business: Wed 17:00 NY
        "fay@foxtrot.com": ("bob", 3, "2026-11-25T22:00:00Z"),
    }
    for email, (owner, tier, due) in expected.items():
        brief = ws.ok(["show", email], now=MONDAY_9AM)
        assert (brief["owner"], brief["tier"], brief["deadlines"]["first_touch"]) == (owner, tier, due), email

    def act(args: str, actor: str, now: str) -> None:
        ws.ok(args, actor=actor, now=now)

    touch = "--channel call --outcome connected"
    act("accept gil@golf.com", "alice", "2026-11-23T04:59:59Z")  # one second before the period
    act(f"touch gil@golf.com {touch}", "alice", "2026-11-23T05:00:00Z")  # the period's first second: 60 s
    act("reject cy@gamma.org --reason premature", "bob", "2026-11-23T14:05:00Z")  # from mql, before its deadline
    act(f"touch ada@acme.com {touch}", "alice", "2026-11-23T14:10:00Z")  # accepts; 600 s, met
    act(f"touch bea@beta.io {touch}", "alice", "2026-11-23T14:20:00Z")  # accepts; 1200 s, missed
    act("accept dan@delta.com", "alice", "2026-11-23T14:30:00Z")
    act("qualify ada@acme.com", "alice", "2026-11-23T15:00:00Z")
    act(f"touch dan@delta.com {touch}", "alice", "2026-11-23T17:00:00Z")  # 10800 s, met (due 18:00)
    act("accept fay@foxtrot.com", "bob", "2026-11-24T14:00:00Z")
    act("reject dan@delta.com --reason bad_data", "alice", "2026-11-24T15:00:00Z")  # from sal
    act("close ada@acme.com --won", "alice", "2026-11-25T15:00:00Z")
    act(f"touch fay@foxtrot.com {touch}", "bob", "2026-11-26T15:00:00Z")  # 73 h = 262800 s, missed
    # Eve is never touched. Hal arrives on the last night of the week and is rejected at its very end.
    add_leads(ws, [HAL], now="2026-11-30T04:45:00Z", name="hal.csv")
    add_events(ws, [demo_request("hal@hotel.com", "2026-11-30T04:40:00Z")], now="2026-11-30T04:45:00Z",
               name="hal-events.csv")
    counts = ws.ok("tick", now="2026-11-30T04:50:00Z")
    assert (counts["qualified"], counts["routed"]) == (1, 1)
    act("reject hal@hotel.com --reason duplicate", "alice", "2026-11-30T05:00:00Z")  # at until: outside
    # Eve breached long ago, but Enterprise has nobody else: she stays with alice, untouched
    assert ws.ok("show eve@echo.com", now="2026-11-30T05:00:00Z")["owner"] == "alice"
    return ws


AFTER = "2026-12-01T15:00:00Z"
WEEK = "metrics --since 2026-11-23 --until 2026-11-30"


def test_metrics_of_the_week(week: Workspace) -> None:
    data = week.ok(WEEK, now=AFTER)
    # The period is [2026-11-23T05:00Z, 2026-11-30T05:00Z): midnight to midnight in New York.
    assert (data["since"], data["until"]) == ("2026-11-23T05:00:00Z", "2026-11-30T05:00:00Z")

    # Decisions on MQLs in the period: accepts Ada (touch), Bea (touch), Dan, Fay; reject Cy (premature,
    # from mql). Not counted: Gil's accept (04:59:59Z, before), Dan's reject (from sal), Hal's (at until).
    assert (data["accepted"], data["rejected"]) == (4, 1)
    assert data["acceptance_rate"] == 0.8

    # First touches in the period: Gil 60 s, Ada 600, Bea 1200, Dan 10800, Fay 262800.
    assert data["first_touches"] == 5
    assert data["avg_response_seconds"] == (60 + 600 + 1200 + 10800 + 262800) / 5 == 55092

    # First-touch deadlines due in the period: Gil met, Ada met, Bea missed, Dan met, Eve missed
    # (untouched), Fay missed (late). Cy was rejected before its deadline; Hal's falls after until.
    assert (data["sla_met"], data["sla_missed"]) == (3, 3)
    assert data["sla_compliance"] == 0.5
    assert data["sla_compliance_by_tier"] == {"1": 2 / 3, "2": 1.0, "3": 0.0}

    # MQLs in the period: Ada, Bea, Cy, Dan, Eve, Fay (Monday 14:00Z) and Hal (Nov 30 04:50Z);
    # Gil became one at 04:59Z on the 23rd, before midnight in New York. Only Ada reached sql (won).
    assert data["mqls"] == 7
    assert data["mql_to_opportunity"] == 1 / 7

    assert data["rejection_reasons"] == [
        {"reason": "premature", "label": "Not ready yet", "count": 1},
        {"reason": "bad_data", "label": "Bad or incomplete data", "count": 1},
    ]

    alice, bob = data["by_rep"]["alice"], data["by_rep"]["bob"]
    assert set(data["by_rep"]) == {"alice", "bob"}
    # alice: accepts Ada, Bea, Dan; touches Gil, Ada, Bea, Dan; SLA Gil, Ada, Dan met, Bea, Eve missed;
    # MQLs Ada (won), Bea, Dan, Eve, Hal
    assert (alice["accepted"], alice["rejected"], alice["acceptance_rate"]) == (3, 0, 1.0)
    assert alice["avg_response_seconds"] == (60 + 600 + 1200 + 10800) / 4 == 3165
    assert (alice["sla_met"], alice["sla_missed"], alice["sla_compliance"]) == (3, 2, 0.6)
    assert (alice["mqls"], alice["mql_to_opportunity"]) == (5, 0.2)
    # bob: accepts Fay, rejects Cy; touches Fay; SLA Fay missed; MQLs Cy, Fay
    assert (bob["accepted"], bob["rejected"], bob["acceptance_rate"]) == (1, 1, 0.5)
    assert bob["avg_response_seconds"] == 262800
    assert (bob["sla_met"], bob["sla_missed"], bob["sla_compliance"]) == (0, 1, 0.0)
    assert (bob["mqls"], bob["mql_to_opportunity"]) == (2, 0.0)

    # webinar leads: Gil (met; accept and MQL before the period), Ada (accept, met, MQL won),
    # Eve (missed, MQL), Hal (MQL; reject at until)
    webinar = data["by_source"]["webinar"]
    assert (webinar["accepted"], webinar["sla_met"], webinar["sla_missed"], webinar["mqls"]) == (1, 2, 1, 3)
    assert webinar["mql_to_opportunity"] == 1 / 3
    # Ada's 10-minute touch converted; Fay's 73-hour one did not
    buckets = {b["bucket"]: (b["leads"], b["converted"]) for b in data["conversion_by_response_time"]}
    assert buckets == {"<5m": (1, 0), "5-30m": (2, 1), "30m-1h": (0, 0), "1-4h": (1, 0), "4-24h": (0, 0),
                       ">24h": (1, 0)}


def test_metrics_since_a_date_is_midnight_in_the_calendar_zone(week: Workspace) -> None:
    # The same week given as explicit instants agrees with the date form ...
    explicit = week.ok("metrics --since 2026-11-23T00:00:00-05:00 --until 2026-11-30T05:00:00Z", now=AFTER)
    assert explicit == week.ok(WEEK, now=AFTER)
    # ... while starting at UTC midnight takes in Gil's accept (04:59:59Z) and his MQL (04:59Z)
    utc = week.ok("metrics --since 2026-11-23T00:00:00Z --until 2026-11-30T05:00:00Z", now=AFTER)
    assert (utc["accepted"], utc["rejected"], utc["mqls"]) == (5, 1, 8)
    # a period that ends just before the period's first second has Gil's accept and nothing else
    before = week.ok("metrics --since 2026-11-23T04:59:59Z --until 2026-11-23T05:00:00Z", now=AFTER)
    assert (before["accepted"], before["rejected"], before["first_touches"]) == (1, 0, 0)


def test_metrics_before_the_deadlines_fell_due(week: Workspace) -> None:
    # On Tuesday morning (before Eve's and Fay's Wednesday deadlines) only the Monday clocks count.
    data = week.ok("metrics --since 2026-11-23 --until 2026-11-30", now="2026-11-24T14:30:00Z")
    # Gil, Ada, Dan met; Bea missed. Fay's and Eve's first-touch deadlines are still ahead.
    assert (data["sla_met"], data["sla_missed"]) == (3, 1)
    assert data["sla_compliance_by_tier"] == {"1": 2 / 3, "2": 1.0, "3": None}


def test_metrics_period_must_be_in_order(ws: Workspace) -> None:
    result = ws.run("metrics --since 2026-11-30 --until 2026-11-23 --json", now=AFTER)
    assert result.code == 2
    assert "--since" in result.err and result.out == ""
    assert ws.run("metrics --since 2026-11-23 --until 2026-11-23", now=AFTER).code == 2  # empty period
    assert ws.run("metrics --since yesterday", now=AFTER).code == 2


def test_metrics_with_no_activity_are_null(ws: Workspace) -> None:
    data = ws.ok(WEEK, now=AFTER)
    assert [data[key] for key in ("acceptance_rate", "avg_response_seconds", "sla_compliance",
                                  "mql_to_opportunity")] == [None, None, None, None]


def test_metrics_text_output_summarises_the_week(week: Workspace) -> None:
    result = week.run(WEEK, now=AFTER)
    assert result.code == 0
    assert re.search(r"acceptance rate\s+80%\s+\(4 accepted, 1 rejected", result.out)
    assert re.search(r"SLA compliance\s+50%\s+\(3 met, 3 missed", result.out)
    assert re.search(r"MQL -> opportunity\s+14%\s+\(7 MQLs", result.out)


# -- calibrate ---------------------------------------------------------------------------------------
def _fit(email: str, company: str) -> dict[str, str]:
    # Enterprise (→ alice); fit 15 (CEO) + 10 (size) + 10 (Software) = 35
    return {"email": email, "company": company, "title": "CEO", "company_size": "1500", "industry": "Software",
            "source": "events"}


def test_calibrate(ws: Workspace) -> None:
    now = "2026-11-23T14:00:00Z"
    empty = ws.ok("calibrate", now=now)
    assert empty["suggested"] is None and "not enough data" in empty["reason"]
    assert (empty["current"], empty["bands"], empty["applied"]) == (50, [], False)
    refused = ws.run("calibrate --apply", actor="alice", now=now)
    assert refused.code == 1 and "team lead" in refused.err

    # six leads at 55 (35 + pricing page 20) and six at 65 (35 + two case studies)
    low = [_fit(f"low{i}@low{i}.com", f"Low {i}") for i in range(6)]
    high = [_fit(f"high{i}@high{i}.com", f"High {i}") for i in range(6)]
    add_leads(ws, low + high, now="2026-11-23T13:00:00Z")
    events = [event(lead["email"], "pricing_page", "2026-11-23T12:00:00Z") for lead in low]
    events += [event(lead["email"], "case_study_download", f"2026-11-23T12:0{n}:00Z") for lead in high for n in (1, 2)]
    add_events(ws, events, now="2026-11-23T13:00:00Z")
    assert ws.ok("tick", now=now)["qualified"] == 12
    # two of the six 60s reach sql (33%), none of the 50s do (one is accepted, never qualified)
    for email in ("high0@high0.com", "high1@high1.com", "low0@low0.com"):
        ws.ok(["accept", email], actor="alice", now="2026-11-23T14:10:00Z")
    for email in ("high0@high0.com", "high1@high1.com"):
        ws.ok(["qualify", email], actor="alice", now="2026-11-24T15:00:00Z")

    later = "2026-11-25T15:00:00Z"
    # alice may still look, but not apply
    assert ws.ok("calibrate", actor="alice", now=later)["suggested"] == 60
    assert ws.run("calibrate --apply", actor="alice", now=later).code == 1
    assert tomllib.loads(ws.config_path.read_text())["scoring"]["mql_threshold"] == 50

    data = ws.ok("calibrate", now=later)
    assert [(b["band"], b["mqls"], b["converted"]) for b in data["bands"]] == [("50-59", 6, 0), ("60-69", 6, 2)]
    assert data["suggested"] == 60 and data["reason"].startswith("raise to 60")
    assert data["applied"] is False

    original = ws.config_path.read_text()
    applied = ws.ok("calibrate --apply", actor="dana", now=later)
    assert applied["applied"] is True and applied["suggested"] == 60
    written = tomllib.loads(ws.config_path.read_text())
    assert written["scoring"]["mql_threshold"] == 60
    backup = ws.config_path.with_name("config.toml.bak")
    assert backup.read_text() == original
    assert tomllib.loads(backup.read_text())["scoring"]["mql_threshold"] == 50
    # nothing else in the agreement changed
    expected = tomllib.loads(original)
    expected["scoring"]["mql_threshold"] = 60
    assert written == expected

    # the rewritten config loads and the new bar applies: a 55 no longer qualifies, a 65 does
    add_leads(ws, [_fit("new55@new55.com", "N55"), _fit("new65@new65.com", "N65")], now=later, name="new.csv")
    add_events(ws, [event("new55@new55.com", "pricing_page", "2026-11-25T14:00:00Z"),
                    event("new65@new65.com", "case_study_download", "2026-11-25T14:00:00Z"),
                    event("new65@new65.com", "case_study_download", "2026-11-25T14:01:00Z")],
               now=later, name="new-events.csv")
    assert ws.ok("tick", now=later)["qualified"] == 1
    assert ws.ok("show new55@new55.com", now=later)["stage"] == "lead"
    assert ws.ok("show new65@new65.com", now=later)["stage"] == "mql"
    # applying again changes nothing: the threshold already matches
    again = ws.ok("calibrate --apply", actor="dana", now=later)
    assert (again["current"], again["suggested"], again["applied"]) == (60, 60, False)


# -- report ------------------------------------------------------------------------------------------
NASTY = "partner | list\nrow two\rthree\x1b[31m"


@pytest.fixture
def reported(ws: Workspace) -> Workspace:
    """Ada (webinar, Enterprise → alice) and a lead from a source with a pipe and line breaks."""
    odd = {"email": "odd@odd.com", "first_name": "Odd", "company": "Odd", "company_size": "1200",
           "source": NASTY}
    add_leads(ws, [ADA, odd], now="2026-11-23T13:55:00Z")
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:50:00Z"),
                    demo_request("odd@odd.com", "2026-11-23T13:50:00Z")], now="2026-11-23T13:55:00Z")
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 2
    ws.ok("touch ada@acme.com --channel call --outcome connected", actor="alice", now="2026-11-23T14:10:00Z")
    ws.ok("reject odd@odd.com --reason wrong_icp", actor="alice", now="2026-11-23T14:12:00Z")
    return ws


def _cells(line: str) -> list[str]:
    """A markdown table row's cells, split at unescaped pipes."""
    assert line.startswith("|") and line.endswith("|"), line
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", line[1:-1])]


def test_report_markdown(reported: Workspace) -> None:
    result = reported.run("report --since 2026-11-23 --until 2026-11-30", now=AFTER)
    assert result.code == 0, result.err
    text = result.out
    assert text.startswith("# Lead handoff report, 2026-11-23 to 2026-11-30")
    rows = {}
    for line in text.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = _cells(line)
            assert len(cells) == 3, line  # every row of every table keeps its three columns
            rows[cells[0]] = cells[1:]
    # Ada accepted by her touch, Odd rejected from mql: 50%; Ada touched after 10 minutes (met);
    # Odd rejected before its deadline (no SLA); two MQLs, none at sql yet
    assert rows["Acceptance rate"] == ["50%", "50%–70%"]
    assert rows["Average response time"] == ["0h 10m", "< 4h 00m"]
    assert rows["SLA compliance (first touch)"] == ["100%", "> 85%"]
    assert rows["MQL → opportunity"] == ["0%", "15%–30%"]
    assert rows["tier 1"] == ["100%", "85%–95%"]
    assert "## Rejection reasons" in text
    assert rows["Wrong ICP (size, industry, title)"] == ["1", ""]
    # outside text stays inside its cell: no stray line, no live escape sequence
    assert "\x1b" not in text and "\r" not in text
    source_rows = [line for line in text.splitlines() if "partner" in line]
    assert len(source_rows) == 1
    # the pipe is escaped, the line breaks are spaces, the escape character is shown, not sent
    assert _cells(source_rows[0])[0] == "partner \\| list row two three\\x1b[31m"
    assert not any(line.startswith(("row two", "three")) for line in text.splitlines())


def test_report_csv(reported: Workspace) -> None:
    result = reported.run("report --format csv --since 2026-11-23 --until 2026-11-30", now=AFTER)
    assert result.code == 0, result.err
    rows = list(csv.reader(io.StringIO(result.out)))
    assert rows[0] == ["section", "item", "value", "target"]
    assert all(len(row) == 4 for row in rows)
    summary = {row[1]: (row[2], row[3]) for row in rows if row[0] == "summary"}
    assert summary == {
        "Acceptance rate": ("50%", "50%–70%"),
        "Average response time": ("0h 10m", "< 4h 00m"),
        "SLA compliance (first touch)": ("100%", "> 85%"),
        "MQL → opportunity": ("0%", "15%–30%"),
    }
    assert ["rejection reasons", "Wrong ICP (size, industry, title)", "1", ""] in rows
    # the source is data: its pipe and line breaks come back whole from the csv module
    sources = sorted(row[1] for row in rows if row[0] == "by source")
    assert len(sources) == 2 and sources[1] == "webinar"
    # control characters (CR, ESC) are written as visible escapes, never passed to a terminal
    assert sources[0] == "partner | list\nrow two\\x0dthree\\x1b[31m"


def test_report_rejects_an_unknown_format(ws: Workspace) -> None:
    assert ws.run("report --format pdf", now=AFTER).code == 2
