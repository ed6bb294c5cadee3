"""SLA clocks, countdowns and escalation times; routing (SPEC §2 "Clocks and SLAs",
"Routing and escalation"), on the shipped example config read by the real loader.

The example config: business hours 09:00-17:00 America/New_York Monday to Friday, holidays
2026-12-25 and 2027-01-01; route_within 5m (wall); accept_within 4h (business); first touch
tier 1 15m (business) or 2h on the wall clock when assigned outside hours, tier 2 4h, tier 3 24h
(business); at_risk_fraction 0.25; reassign_after 2h (business). Reps dana (team lead), alice
(capacity 40), bob; groups Enterprise [alice] for company_size >= 1000, Commercial [alice, bob]
catch-all.

Every expected instant is a local New York wall time worked out by hand (June 2026 is EDT, UTC-4;
2026-06-05 is a Friday, 06-06 Saturday, 06-08 Monday, 06-10 Wednesday).
"""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leadterm.config import default_config_data, parse_config
from leadterm.engine.routing import Decision, Router, RoutingState, account_domain
from leadterm.engine.sla import AT_RISK, BREACHED, OK, ClockState, SlaPolicy

NY = ZoneInfo("America/New_York")
M = timedelta(minutes=1)


def ny(day: str, hm: str, seconds: int = 0) -> datetime:
    """A New York wall time, e.g. ny("2026-06-05", "16:00")."""
    hour, minute = (int(part) for part in hm.split(":"))
    return datetime.fromisoformat(day).replace(hour=hour, minute=minute, second=seconds, tzinfo=NY)


FRI, SAT, SUN, MON, WED, THU = (
    "2026-06-05", "2026-06-06", "2026-06-07", "2026-06-08", "2026-06-10", "2026-06-11",
)


def config_data() -> dict:
    return copy.deepcopy(default_config_data())


@pytest.fixture(scope="module")
def config():
    return parse_config(config_data())


@pytest.fixture(scope="module")
def policy(config) -> SlaPolicy:
    return SlaPolicy(config.sla, config.escalation, config.calendar.clock)


def assigned(policy: SlaPolicy, at: datetime, tier: int, *, stage: str = "mql", owner: str = "alice",
             first_touch_at: datetime | None = None, level: int = 0) -> ClockState:
    """A lead assigned at ``at`` with the deadlines the policy gives it (checked separately)."""
    return ClockState(
        stage=stage, tier=tier, owner=owner, mql_at=at - M, assigned_at=at,
        first_touch_at=first_touch_at, route_due=policy.route_due(at - M),
        accept_due=policy.accept_due(at), first_touch_due=policy.first_touch_due(at, tier),
        escalation_level=level,
    )


# ---------------------------------------------------------------------------------------------
# Deadlines
# ---------------------------------------------------------------------------------------------
class TestDeadlines:
    def test_route_deadline_is_wall_clock(self, policy):
        # mql_at + 5m, whatever the business hours say
        assert policy.route_due(ny(SAT, "03:00")) == ny(SAT, "03:05")
        assert policy.route_due(ny(WED, "16:58")) == ny(WED, "17:03")

    @pytest.mark.parametrize(
        ("at", "due"),
        [
            # Fri 16:00 -> 1h on Friday, 3h from Monday 09:00 -> Mon 12:00
            (ny(FRI, "16:00"), ny(MON, "12:00")),
            # inside one day: Wed 10:00 + 4h = 14:00
            (ny(WED, "10:00"), ny(WED, "14:00")),
            # Wed 13:00 + 4h lands exactly on the 17:00 closing: it stays there
            (ny(WED, "13:00"), ny(WED, "17:00")),
            # Wed 13:00:01 -> 3h59m59s Wed, 1s Thu -> Thu 09:00:01
            (ny(WED, "13:00", 1), ny(THU, "09:00", 1)),
            # assigned on Saturday: the clock starts Monday 09:00 -> 13:00
            (ny(SAT, "10:00"), ny(MON, "13:00")),
            # assigned Wednesday evening: Thursday 09:00 + 4h
            (ny(WED, "20:00"), ny(THU, "13:00")),
            # Thu 2026-12-24 16:00: 1h Thu, Fri 12-25 is a holiday, weekend, Mon 12-28 09:00 + 3h
            (ny("2026-12-24", "16:00"), ny("2026-12-28", "12:00")),
        ],
    )
    def test_accept_deadline_is_business_time(self, policy, at, due):
        assert policy.accept_due(at) == due

    @pytest.mark.parametrize(
        ("tier", "at", "due"),
        [
            # tier 1 inside hours: 15m business
            (1, ny(WED, "10:00"), ny(WED, "10:15")),
            (1, ny(WED, "09:00"), ny(WED, "09:15")),  # the opening is inside hours
            # 16:50 -> 10m on Wednesday, 5m from Thursday 09:00
            (1, ny(WED, "16:50"), ny(THU, "09:05")),
            # tier 1 outside hours: 2h on the wall clock
            (1, ny(WED, "20:00"), ny(WED, "22:00")),
            (1, ny(WED, "17:00"), ny(WED, "19:00")),  # the closing is outside hours
            (1, ny(WED, "08:59"), ny(WED, "10:59")),
            (1, ny(SAT, "11:00"), ny(SAT, "13:00")),
            (1, ny("2026-12-25", "10:00"), ny("2026-12-25", "12:00")),  # a holiday is outside hours
            # tier 2: 4h business, no outside_hours -> Sat assignment counts from Mon 09:00
            (2, ny(WED, "10:00"), ny(WED, "14:00")),
            (2, ny(SAT, "11:00"), ny(MON, "13:00")),
            # tier 3: 24h business = three 8-hour days: Wed 10-17 (7h), Thu (8h), Fri (8h),
            # Mon 09:00 + 1h -> Mon 10:00 of the following week
            (3, ny(WED, "10:00"), ny("2026-06-15", "10:00")),
            # tier 3 from Fri 16:00: 1h Fri, Mon 8h, Tue 8h, Wed 7h -> Wed 16:00
            (3, ny(FRI, "16:00"), ny(WED, "16:00")),
        ],
    )
    def test_first_touch_deadline_by_tier(self, policy, tier, at, due):
        assert policy.first_touch_due(at, tier) == due

    def test_outside_hours_only_for_tiers_that_set_it(self):
        data = config_data()
        data["sla"]["first_touch"]["2"] = {"within": "4h", "outside_hours": "8h"}
        config = parse_config(data)
        policy = SlaPolicy(config.sla, config.escalation, config.calendar.clock)
        # Sat 11:00 + 8h wall = 19:00; inside hours still business: Wed 10:00 + 4h
        assert policy.first_touch_due(ny(SAT, "11:00"), 2) == ny(SAT, "19:00")
        assert policy.first_touch_due(ny(WED, "10:00"), 2) == ny(WED, "14:00")
        # tier 3 sets no outside_hours: business time from Monday 09:00 (24h -> Wed 17:00)
        assert policy.first_touch_due(ny(SAT, "11:00"), 3) == ny(WED, "17:00")


# ---------------------------------------------------------------------------------------------
# Countdown
# ---------------------------------------------------------------------------------------------
class TestCountdown:
    def test_earliest_unmet_deadline_and_states(self, policy):
        # tier 3 assigned Wed 10:00: accept Wed 14:00, first touch Mon 06-15 10:00
        lead = assigned(policy, ny(WED, "10:00"), 3)
        assert lead.accept_due == ny(WED, "14:00")
        assert lead.first_touch_due == ny("2026-06-15", "10:00")
        # window 4h business; at risk when less than 1h (25%) is left
        cases = [
            (ny(WED, "12:00"), OK, 2 * 3600),
            (ny(WED, "13:00"), OK, 3600),  # exactly 25% left: not less than
            (ny(WED, "13:00", 1), AT_RISK, 3599),
            (ny(WED, "14:00"), AT_RISK, 0),  # at the deadline: not yet breached
            (ny(WED, "14:00", 1), BREACHED, -1),
            (ny(THU, "10:00"), BREACHED, -20 * 3600),
        ]
        for now, state, seconds_left in cases:
            countdown = policy.countdown(lead, now)
            assert countdown is not None
            assert (countdown.clock, countdown.deadline, countdown.state, countdown.seconds_left) == (
                "accept", ny(WED, "14:00"), state, seconds_left,
            ), now

    def test_tier1_first_touch_comes_first(self, policy):
        # tier 1 at Wed 10:00: first touch 10:15 is before accept 14:00
        lead = assigned(policy, ny(WED, "10:00"), 1)
        countdown = policy.countdown(lead, ny(WED, "10:05"))
        assert (countdown.clock, countdown.deadline, countdown.state) == ("first_touch", ny(WED, "10:15"), OK)
        # window 15m, at risk below 3m45s left
        assert policy.countdown(lead, ny(WED, "10:11", 15)).state == OK  # 3m45s left
        assert policy.countdown(lead, ny(WED, "10:11", 16)).state == AT_RISK
        assert policy.countdown(lead, ny(WED, "10:15", 1)).state == BREACHED
        # once touched, the accept clock is the countdown
        touched = replace(lead, first_touch_at=ny(WED, "10:12"))
        countdown = policy.countdown(touched, ny(WED, "10:20"))
        assert (countdown.clock, countdown.deadline, countdown.state) == ("accept", ny(WED, "14:00"), OK)

    def test_a_breached_earliest_deadline_stays_the_countdown(self, policy):
        lead = assigned(policy, ny(WED, "10:00"), 1)
        countdown = policy.countdown(lead, ny(WED, "11:00"))
        assert (countdown.clock, countdown.state, countdown.seconds_left) == ("first_touch", BREACHED, -45 * 60)

    def test_accepted_lead_only_runs_the_first_touch_clock(self, policy):
        lead = assigned(policy, ny(WED, "10:00"), 3, stage="sal")
        countdown = policy.countdown(lead, ny(WED, "15:00"))  # the accept deadline would be past
        assert (countdown.clock, countdown.deadline, countdown.state) == (
            "first_touch", ny("2026-06-15", "10:00"), OK,
        )

    def test_all_met_or_closed_means_no_countdown(self, policy):
        at = ny(WED, "10:00")
        done = assigned(policy, at, 3, stage="sal", first_touch_at=ny(WED, "11:00"))
        assert policy.countdown(done, ny(WED, "12:00")) is None
        assert policy.due_at(done) is None
        for stage in ("sql", "won", "lost", "nurture", "disqualified", "lead"):
            assert policy.countdown(assigned(policy, at, 3, stage=stage), ny(THU, "12:00")) is None

    def test_at_risk_on_the_business_clock(self, policy):
        # assigned Fri 16:00, accept due Mon 12:00: a window of 4 business hours (68 wall hours)
        lead = assigned(policy, ny(FRI, "16:00"), 3)
        assert lead.accept_due == ny(MON, "12:00")
        # Saturday noon: 3 business hours left of 4 -> ok
        assert policy.countdown(lead, ny(SAT, "12:00")).state == OK
        # Mon 09:30: 2h30m business left (62.5%) -> ok, though on the wall clock only
        # 2.5h of 68h (3.7%) would be left
        countdown = policy.countdown(lead, ny(MON, "09:30"))
        assert countdown.state == OK
        assert countdown.seconds_left == int(2.5 * 3600)
        # Sunday 23:00: still 3h business left
        assert policy.countdown(lead, ny(SUN, "23:00")).state == OK
        # Mon 11:00: 1h left = 25% -> ok; a second later -> at risk
        assert policy.countdown(lead, ny(MON, "11:00")).state == OK
        assert policy.countdown(lead, ny(MON, "11:00", 1)).state == AT_RISK
        assert policy.countdown(lead, ny(MON, "12:00", 1)).state == BREACHED

    def test_at_risk_on_the_wall_clock_for_outside_hours_first_touch(self, policy):
        # tier 1 assigned Wed 20:00 (outside hours): first touch 22:00 (wall), accept Thu 13:00
        lead = assigned(policy, ny(WED, "20:00"), 1)
        assert lead.first_touch_due == ny(WED, "22:00")
        assert lead.accept_due == ny(THU, "13:00")
        # window 2h wall, at risk below 30m left (the business clock would say 0 of 0)
        countdown = policy.countdown(lead, ny(WED, "21:00"))
        assert (countdown.clock, countdown.state, countdown.seconds_left) == ("first_touch", OK, 3600)
        assert policy.countdown(lead, ny(WED, "21:30")).state == OK
        assert policy.countdown(lead, ny(WED, "21:30", 1)).state == AT_RISK
        assert policy.countdown(lead, ny(WED, "22:00")).state == AT_RISK
        assert policy.countdown(lead, ny(WED, "22:00", 1)).state == BREACHED

    def test_route_countdown_for_an_unassigned_mql(self, policy):
        mql_at = ny(SAT, "03:00")
        lead = ClockState(stage="mql", tier=2, owner=None, mql_at=mql_at, assigned_at=None,
                          first_touch_at=None, route_due=policy.route_due(mql_at), accept_due=None,
                          first_touch_due=None)
        # window 5m wall: at risk below 75s left
        countdown = policy.countdown(lead, ny(SAT, "03:03", 45))
        assert (countdown.clock, countdown.deadline, countdown.state, countdown.seconds_left) == (
            "route", ny(SAT, "03:05"), OK, 75,
        )
        assert policy.countdown(lead, ny(SAT, "03:03", 46)).state == AT_RISK
        assert policy.countdown(lead, ny(SAT, "03:05")).state == AT_RISK
        assert policy.countdown(lead, ny(SAT, "03:05", 1)).state == BREACHED
        # the route clock is no escalation clock
        assert policy.breach_base(lead) is None
        assert policy.next_escalation(lead) is None


# ---------------------------------------------------------------------------------------------
# Escalation
# ---------------------------------------------------------------------------------------------
class TestEscalation:
    def test_levels(self, policy):
        # tier 3 assigned Wed 12:00: accept Wed 16:00, first touch much later: D = Wed 16:00
        lead = assigned(policy, ny(WED, "12:00"), 3)
        assert policy.breach_base(lead) == ny(WED, "16:00")
        assert policy.next_escalation(lead) == ny(WED, "16:00")
        # level 1 done: D + 2h business = 1h Wed (16-17) + 1h Thu -> Thu 10:00
        assert policy.next_escalation(replace(lead, escalation_level=1)) == ny(THU, "10:00")
        # level 2 done: nothing more for this assignment
        assert policy.next_escalation(replace(lead, escalation_level=2)) is None

    def test_base_is_the_earliest_unmet_clock(self, policy):
        # tier 1 Wed 10:00: first touch 10:15, accept 14:00 -> D = 10:15; + 2h -> 12:15
        lead = assigned(policy, ny(WED, "10:00"), 1)
        assert policy.next_escalation(lead) == ny(WED, "10:15")
        assert policy.next_escalation(replace(lead, escalation_level=1)) == ny(WED, "12:15")
        # once touched only accept remains: D = 14:00; + 2h -> 16:00
        touched = replace(lead, first_touch_at=ny(WED, "10:10"))
        assert policy.next_escalation(touched) == ny(WED, "14:00")
        assert policy.next_escalation(replace(touched, escalation_level=1)) == ny(WED, "16:00")

    def test_reassign_after_counts_business_time(self, policy):
        # tier 1 outside hours Wed 20:00: D = Wed 22:00 (wall); reassign_after 2h of business
        # time from there starts Thursday 09:00 -> Thu 11:00
        lead = assigned(policy, ny(WED, "20:00"), 1)
        assert policy.next_escalation(lead) == ny(WED, "22:00")
        assert policy.next_escalation(replace(lead, escalation_level=1)) == ny(THU, "11:00")
        # Friday 16:00 accept deadline (tier 3 assigned Fri 12:00): + 2h -> 1h Fri + Mon 10:00
        friday = assigned(policy, ny(FRI, "12:00"), 3)
        assert policy.next_escalation(friday) == ny(FRI, "16:00")
        assert policy.next_escalation(replace(friday, escalation_level=1)) == ny(MON, "10:00")

    def test_no_escalation_when_clocks_are_met(self, policy):
        lead = assigned(policy, ny(WED, "10:00"), 2, stage="sal", first_touch_at=ny(WED, "10:30"))
        assert policy.breach_base(lead) is None
        assert policy.next_escalation(lead) is None
        assert policy.next_escalation(replace(lead, escalation_level=1)) is None

    def test_reassign_at(self, policy):
        assert policy.reassign_at(ny(WED, "16:30")) == ny(THU, "10:30")
        assert policy.reassign_at(ny(SAT, "10:00")) == ny(MON, "11:00")


# ---------------------------------------------------------------------------------------------
# Routing
# ---------------------------------------------------------------------------------------------
def router_of(config, *, away=(), open_counts=None, cursors=None, owners=None) -> Router:
    state = RoutingState(away=set(away), open_counts=dict(open_counts or {}), cursors=dict(cursors or {}))
    owners = owners or {}
    return Router(config, state, account_owner=owners.get)


SMALL = {"email": "pat@smallco.com", "company_size": 20}
BIG = {"email": "kim@bigcorp.com", "company_size": 1000}


class TestRouting:
    def test_account_owner_first(self, config):
        router = router_of(config, owners={"acme.com": "bob"})
        # even a 5000-person company (Enterprise: alice) goes to the account's owner
        decision = router.route({"email": "ceo@ACME.com", "company_size": 5000})
        assert (decision.rep, decision.via, decision.group) == ("bob", "account", None)
        assert "acme.com" in decision.reason

    def test_account_owner_at_capacity_still_gets_the_account(self, config):
        # SPEC (1): the owner gets it when "available"; (3) lists being unavailable (out of
        # office) and being at capacity separately, and capacity is a round-robin rule
        router = router_of(config, open_counts={"alice": 40}, owners={"acme.com": "alice"})
        decision = router.route({"email": "a@acme.com", "company_size": 20})
        assert (decision.rep, decision.via) == ("alice", "account")

    def test_personal_domains_never_form_accounts(self, config):
        asked = []

        def owner(domain):
            asked.append(domain)
            return "bob"

        router = Router(config, RoutingState(cursors={"Commercial": "bob"}), account_owner=owner)
        decision = router.route({"email": "someone@Gmail.com", "company_size": 20})
        # not bob through an "account": the round-robin after bob is alice
        assert (decision.rep, decision.via, decision.group) == ("alice", "group", "Commercial")
        assert asked == []
        assert account_domain("x@proton.me", config.routing.personal_domains) is None
        assert account_domain("x@Acme.com", config.routing.personal_domains) == "acme.com"
        assert account_domain("no-at-sign", config.routing.personal_domains) is None

    def test_no_account_falls_to_the_first_matching_group(self, config):
        router = router_of(config, owners={"acme.com": "bob"})
        assert router.route(BIG).group == "Enterprise"
        assert router.route(BIG).rep == "alice"
        assert router.route({**BIG, "company_size": 999}).group == "Commercial"
        assert router.route({**BIG, "company_size": "12,000"}).group == "Enterprise"
        # no company size, or one that is not a number: only the catch-all matches
        assert router.route({"email": "x@y.com"}).group == "Commercial"
        assert router.route({**BIG, "company_size": "NaN"}).group == "Commercial"
        assert router.route({**BIG, "company_size": "lots"}).group == "Commercial"

    @pytest.mark.parametrize(
        ("cursor", "expected"),
        [(None, "alice"), ("alice", "bob"), ("bob", "alice"), ("zoe", "alice")],
    )
    def test_round_robin_continues_after_the_cursor(self, config, cursor, expected):
        cursors = {} if cursor is None else {"Commercial": cursor}
        decision = router_of(config, cursors=cursors).route(SMALL)
        assert (decision.rep, decision.via, decision.group, decision.skipped) == (
            expected, "group", "Commercial", (),
        )

    def test_skips_away_reps_and_says_so(self, config):
        decision = router_of(config, away={"bob"}, cursors={"Commercial": "alice"}).route(SMALL)
        # after alice comes bob, who is away; then alice again
        assert decision.rep == "alice"
        assert decision.skipped == (("bob", "away"),)
        assert "bob (away)" in decision.reason

    def test_skips_reps_at_capacity_and_says_so(self, config):
        router = router_of(config, open_counts={"alice": 40, "bob": 70})
        decision = router.route(SMALL)
        # alice (capacity 40) has 40 open: skipped; bob has no capacity
        assert decision.rep == "bob"
        assert decision.skipped == (("alice", "at capacity (40/40)"),)
        assert "alice (at capacity (40/40))" in decision.reason
        # 39 open is below capacity
        assert router_of(config, open_counts={"alice": 39}).route(SMALL).rep == "alice"

    def test_nobody_eligible(self, config):
        decision = router_of(config, away={"alice"}).route(BIG)
        # Enterprise is the first matching group; its only member is away. The lead waits:
        # it does not spill over to Commercial.
        assert (decision.rep, decision.via, decision.group) == (None, "none", "Enterprise")
        assert decision.skipped == (("alice", "away"),)
        assert "nobody eligible" in decision.reason
        both = router_of(config, away={"bob"}, open_counts={"alice": 45}).route(SMALL)
        assert both.rep is None
        assert set(both.skipped) == {("bob", "away"), ("alice", "at capacity (45/40)")}

    def test_no_matching_group(self):
        data = config_data()
        data["routing"]["groups"] = [data["routing"]["groups"][0]]  # Enterprise only
        config = parse_config(data)
        decision = router_of(config).route(SMALL)
        assert (decision.rep, decision.via, decision.group) == (None, "none", None)
        assert "no routing group matches" in decision.reason

    def test_away_account_owner_falls_to_the_group(self, config):
        router = router_of(config, away={"bob"}, owners={"acme.com": "bob"})
        decision = router.route({"email": "a@acme.com", "company_size": 20})
        assert (decision.rep, decision.via, decision.group) == ("alice", "group", "Commercial")
        assert decision.skipped == (("bob", "account owner of acme.com, away"),)
        assert "bob" in decision.reason

    def test_account_owner_who_left_the_team_falls_to_the_group(self, config):
        router = router_of(config, owners={"acme.com": "zoe"})
        decision = router.route({"email": "a@acme.com", "company_size": 20})
        assert (decision.rep, decision.via) == ("alice", "group")
        assert decision.skipped[0][0] == "zoe"

    def test_group_match_on_lists(self):
        data = config_data()
        data["routing"]["groups"].insert(
            0, {"name": "EMEA", "members": ["bob"], "match": {"country": ["DE", "FR"], "source": "Webinar"}}
        )
        config = parse_config(data)
        router = router_of(config)
        assert router.route({"email": "a@b.de", "country": " de ", "source": "WEBINAR"}).group == "EMEA"
        assert router.route({"email": "a@b.de", "country": "de", "source": "ads"}).group == "Commercial"
        assert router.route({"email": "a@b.de", "source": "webinar"}).group == "Commercial"

    def test_reassign_excludes_the_current_owner(self, config):
        router = router_of(config, cursors={"Commercial": "bob"})
        decision = router.reassign(SMALL, current="alice", group_name="Commercial")
        # after bob comes alice, the current owner; then bob
        assert (decision.rep, decision.group) == ("bob", "Commercial")
        assert decision.skipped == (("alice", "current owner"),)
        # the only member of Enterprise is the current owner: nobody else
        decision = router.reassign(BIG, current="alice", group_name="Enterprise")
        assert (decision.rep, decision.group) == (None, "Enterprise")

    def test_reassign_without_a_known_group_uses_the_first_match(self, config):
        router = router_of(config)
        # a big lead's first match is Enterprise: only alice, who is the current owner
        assert router.reassign(BIG, current="alice", group_name=None).rep is None
        assert router.reassign(SMALL, current="bob", group_name="Gone").rep == "alice"
        # reassignment ignores account ownership: it is round-robin in the group
        owned = router_of(config, owners={"smallco.com": "bob"})
        assert owned.reassign(SMALL, current="alice", group_name="Commercial").rep == "bob"

    def test_reassign_skips_away_and_full_reps(self, config):
        router = router_of(config, away={"bob"})
        decision = router.reassign(SMALL, current="alice", group_name="Commercial")
        assert decision.rep is None
        assert set(decision.skipped) == {("alice", "current owner"), ("bob", "away")}

    def test_commit_advances_cursor_and_counts(self, config):
        router = router_of(config, open_counts={"alice": 38})
        handed = []
        for _ in range(5):
            decision = router.route(SMALL)
            router.commit(decision)
            handed.append(decision.rep)
        # alice (39), bob (1), alice (40 = capacity), bob (2), then alice is full: bob (3)
        assert handed == ["alice", "bob", "alice", "bob", "bob"]
        assert router.state.open_counts == {"alice": 40, "bob": 3}
        assert router.state.cursors == {"Commercial": "bob"}

    def test_commit_of_a_reassignment_moves_the_count(self, config):
        router = router_of(config, open_counts={"alice": 5, "bob": 2})
        decision = router.reassign(SMALL, current="alice", group_name="Commercial")
        router.commit(decision, previous="alice")
        assert router.state.open_counts == {"alice": 4, "bob": 3}
        assert router.state.cursors == {"Commercial": "bob"}

    def test_commit_of_an_account_decision_leaves_the_cursor(self, config):
        router = router_of(config, cursors={"Commercial": "alice"}, owners={"acme.com": "bob"})
        decision = router.route({"email": "a@acme.com"})
        router.commit(decision)
        assert router.state.open_counts == {"bob": 1}
        assert router.state.cursors == {"Commercial": "alice"}
        # the round-robin still continues after alice
        assert router.route(SMALL).rep == "bob"

    def test_commit_of_nobody_changes_nothing(self, config):
        router = router_of(config, cursors={"Commercial": "alice"})
        router.commit(Decision(None, "none", "Commercial", "nobody"))
        assert router.state.open_counts == {}
        assert router.state.cursors == {"Commercial": "alice"}
