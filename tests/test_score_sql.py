"""The worker's SQL rescore (store/scores.py) against the pure-Python reference (engine/scoring.py).

SPEC §2 "Rule semantics": both must give, for every lead and every ``now``, the same score, the
same tier-1 flag and the same next moment the score can change with time alone (``due_at``).
The property test draws random scoring configs (read by the real loader), leads and events --
many of them exactly on window and decay boundaries -- writes them into a fresh SQLite file and
compares every ``lead_score`` row with ``ScoringModel.tally`` + ``evaluate`` on the deduplicated
events. A second pass at a later ``now`` checks that a lead the due-only pass skips really had
nothing to change, and a full pass after it must then find nothing to write.
"""

from __future__ import annotations

import copy
import shutil
import tempfile
from datetime import datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadterm.config import ConfigError, default_config_data, parse_config
from leadterm.engine.scoring import EventFact, Evaluation, ScoringModel
from leadterm.engine.times import UTC, from_epoch
from leadterm.service.context import Context, Timebase
from leadterm.service.scoring import rescore
from leadterm.store import close_database, database, open_database, write
from leadterm.store import events as event_store

DAY = 86400
NOW = int(datetime(2026, 11, 23, 14, 0, tzinfo=UTC).timestamp())
TYPES = ("a", "b", "c", "d")
WINDOWS = (1, 2.5, 7, 30)
AFTERS = (0, 1, 5.5, 30, 90)
MULTIPLIERS = (0, 0.25, 0.3, 0.5, 0.75, 1)


# -- building a world -----------------------------------------------------------------------
def config_with(behaviour: list[dict], decay: list[dict], mql_threshold: int = 50, tier2: int = 80):
    data = copy.deepcopy(default_config_data())
    data["scoring"]["behaviour"] = behaviour
    if decay:
        data["scoring"]["decay"] = decay
    else:
        data["scoring"].pop("decay", None)
    data["scoring"]["mql_threshold"] = mql_threshold
    data["tiers"]["tier2_min_score"] = tier2
    return parse_config(data)


class World:
    """A fresh database file holding the given leads; (fit_points, [(type, at, detail)]) each."""

    def __init__(self, config, leads: list[tuple[int, list[tuple[str, int, str]]]]) -> None:
        self.config = config
        self.model = ScoringModel(config.scoring, config.tiers)
        self.folder = tempfile.mkdtemp(prefix="leadterm-score-sql-")
        open_database(Path(self.folder) / "test.db")
        self.events: dict[int, list[EventFact]] = {}
        self.fit: dict[int, int] = {}
        with write():
            db = database.obj
            for number, (fit, events) in enumerate(leads):
                cursor = db.execute_sql(
                    "INSERT INTO lead (email, email_display, fit_points, inserted_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (f"l{number}@x.com", f"l{number}@x.com", fit, NOW, NOW),
                )
                lead_id = cursor.lastrowid
                db.execute_sql("INSERT INTO lead_score (lead_id, due_at) VALUES (?, 0)", (lead_id,))
                event_store.add((lead_id, type_, at, detail) for type_, at, detail in events)
                # the primary key (lead_id, type, occurred_at, detail) drops exact duplicates
                self.events[lead_id] = [EventFact(*event) for event in sorted(set(events))]
                self.fit[lead_id] = fit

    def close(self) -> None:
        close_database()
        shutil.rmtree(self.folder, ignore_errors=True)

    def rescore(self, now: int, everything: bool) -> list[tuple[int, int, bool]]:
        context = Context(self.config, None, Timebase(from_epoch(now)))
        with write():
            return [tuple(row) for row in rescore(context, everything=everything)]

    def stored(self) -> dict[int, tuple[int, bool, int | None]]:
        rows = database.obj.execute_sql("SELECT lead_id, score, tier1_fired, due_at FROM lead_score")
        return {lead_id: (score, bool(tier1), due_at) for lead_id, score, tier1, due_at in rows}

    def reference(self, now: int) -> dict[int, Evaluation]:
        return {
            lead_id: self.model.evaluate(self.fit[lead_id], self.model.tally(events, now), now)
            for lead_id, events in self.events.items()
        }

    def assert_agrees(self, now: int, label: str) -> dict[int, Evaluation]:
        expected = self.reference(now)
        stored = self.stored()
        assert stored.keys() == expected.keys()
        for lead_id, evaluation in expected.items():
            want = (evaluation.points, evaluation.tier1, evaluation.next_change_at)
            assert stored[lead_id] == want, (
                f"{label}: lead {lead_id} at now={now}: SQL (score, tier1, due_at) = {stored[lead_id]}, "
                f"reference = {want}; events {self.events[lead_id]}, fit {self.fit[lead_id]}"
            )
        return expected


# -- strategies -----------------------------------------------------------------------------
def per_event_rule() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {"event": st.sampled_from(TYPES), "points": st.integers(-20, 60)},
        optional={"max_times": st.integers(1, 4), "tier": st.just(1)},
    )


def threshold_rule() -> st.SearchStrategy[dict]:
    return st.fixed_dictionaries(
        {
            "event": st.sampled_from(TYPES),
            "at_least": st.integers(1, 4),
            "within_days": st.sampled_from(WINDOWS),
            "points": st.integers(-30, 30),
        },
        optional={"tier": st.just(1)},
    )


@st.composite
def scenarios(draw):
    rules = draw(st.lists(st.one_of(per_event_rule(), threshold_rule()), min_size=1, max_size=6))
    behaviour = [{"name": f"rule {index}", **rule} for index, rule in enumerate(rules)]
    afters = draw(st.lists(st.sampled_from(AFTERS), unique=True, max_size=3))
    decay = [{"after_days": after, "multiplier": draw(st.sampled_from(MULTIPLIERS))} for after in afters]
    draw(st.randoms(use_true_random=False)).shuffle(decay)  # the loader must sort them
    bars = (draw(st.integers(-50, 150)), draw(st.integers(-50, 150)))
    config = config_with(behaviour, decay, *bars)  # the real loader validates it (and sorts decay)
    model = ScoringModel(config.scoring, config.tiers)

    later = NOW + draw(st.one_of(st.integers(0, 40 * DAY), st.sampled_from([0, 1, DAY, 7 * DAY])))
    # instants where something flips, seen from both passes: window edges and decay starts
    edges = set()
    for base in (NOW, later):
        edges |= {base, base - 1, base + 1}
        for rule in model.compiled:
            if rule.span is not None:
                edges |= {base - rule.span, base - rule.span - 1, base - rule.span + 1}
        for step in model.decay:
            edges |= {base - step.after, base - step.after - 1, base - step.after + 1}
    moment = st.one_of(
        st.integers(NOW - 120 * DAY, NOW + 120 * DAY),
        st.sampled_from(sorted(edges)),
        st.integers(NOW + 1, later + 2 * DAY),  # future at the first pass, past or future at the later one
    )
    event = st.tuples(st.sampled_from(TYPES), moment, st.sampled_from(["", "", "x"]))
    lead = st.tuples(st.integers(-10, 40), st.lists(event, max_size=12))
    leads = draw(st.lists(lead, min_size=1, max_size=6))
    # sometimes an exact duplicate (the key drops it) or a twin with another detail
    for fit, events in leads:
        if events and draw(st.booleans()):
            type_, at, detail = draw(st.sampled_from(events))
            events.append((type_, at, draw(st.sampled_from([detail, detail + "y"]))))
    # plain data, so that a failing example prints short
    return behaviour, decay, bars, leads, later, draw(st.booleans())


@settings(deadline=None, derandomize=True, max_examples=80)
@given(scenarios())
def test_sql_rescore_matches_the_reference(scenario) -> None:
    behaviour, decay, bars, leads, later, first_everything = scenario
    world = World(config_with(behaviour, decay, *bars), leads)
    try:
        # 1. every lead is due (due_at = 0): a due pass and a full pass must both write every lead
        written = world.rescore(NOW, everything=first_everything)
        expected = world.assert_agrees(NOW, "first pass")
        assert sorted(written) == sorted(
            (lead_id, evaluation.points, evaluation.tier1) for lead_id, evaluation in expected.items()
        )
        assert all(e.next_change_at is None or e.next_change_at > NOW for e in expected.values())

        # 2. later, only the due leads are rescored; a skipped lead must still be right then
        due_before = {lead_id: row[2] for lead_id, row in world.stored().items()}
        written = world.rescore(later, everything=False)
        expected = world.assert_agrees(later, "due pass later")
        skipped = {lead_id for lead_id, due in due_before.items() if due is None or due > later}
        assert not {row[0] for row in written} & skipped
        for lead_id in set(due_before) - skipped:  # each due lead gets a fresh due_at, so is written
            assert (lead_id, expected[lead_id].points, expected[lead_id].tier1) in written

        # 3. and a full pass right after has nothing left to change
        assert world.rescore(later, everything=True) == []
        world.assert_agrees(later, "full pass later")
    finally:
        world.close()


# -- hand-worked examples -------------------------------------------------------------------
def one_lead(behaviour, decay, fit, events, now=NOW):
    world = World(config_with(behaviour, decay), [(fit, events)])
    try:
        world.rescore(now, everything=False)
        reference = world.assert_agrees(now, "example")
        ((lead_id, row),) = world.stored().items()
        return row, reference[lead_id], world.model
    finally:
        world.close()


def test_decay_rounds_half_up_on_a_tenths_multiplier() -> None:
    # 45 × 0.3 = 13.5 → 14 (0.3 is 3/10 exactly, not 0.29999...); fit 5 never decays: 19
    behaviour = [{"name": "big", "event": "a", "points": 45}]
    decay = [{"after_days": 30, "multiplier": 0.3}]
    last = NOW - 31 * DAY
    (score, tier1, due_at), evaluation, _ = one_lead(behaviour, decay, 5, [("a", last, "")])
    assert (score, tier1, due_at) == (19, False, None)
    assert evaluation.decayed_points == 14
    # one second before the step: undecayed 45 + 5, and due exactly when the step starts
    (score, _, due_at), _, _ = one_lead(behaviour, decay, 5, [("a", NOW - 30 * DAY + 1, "")])
    assert (score, due_at) == (50, NOW + 1)


def test_negative_behaviour_rounds_half_up_towards_zero() -> None:
    # -5 × 0.5 = -2.5 → round_half_up → -2 (not -3); with fit 10: 8
    behaviour = [{"name": "careers", "event": "a", "points": -5}]
    decay = [{"after_days": 1, "multiplier": 0.5}, {"after_days": 90, "multiplier": 0}]
    (score, tier1, due_at), evaluation, _ = one_lead(behaviour, decay, 10, [("a", NOW - 2 * DAY, "")])
    assert evaluation.decayed_points == -2
    assert (score, tier1, due_at) == (8, False, NOW - 2 * DAY + 90 * DAY)


def test_threshold_window_includes_its_first_second_and_not_the_one_before() -> None:
    # at_least 2 within 7 days: the window is [now - 7d, now]
    behaviour = [{"name": "return", "event": "a", "at_least": 2, "within_days": 7, "points": 15}]
    edge = NOW - 7 * DAY
    (score, _, due_at), _, _ = one_lead(behaviour, [], 0, [("a", edge, ""), ("a", NOW, "")])
    assert (score, due_at) == (15, edge + 7 * DAY + 1)  # the edge event leaves one second after now
    (score, _, due_at), _, _ = one_lead(behaviour, [], 0, [("a", edge - 1, ""), ("a", NOW, "")])
    assert (score, due_at) == (0, None)
    # a future event is not counted yet, but the score is due when it arrives
    (score, _, due_at), _, _ = one_lead(behaviour, [], 0, [("a", NOW, ""), ("a", NOW + 60, "")])
    assert (score, due_at) == (0, NOW + 60)


def test_tier1_threshold_rule_fires_below_the_bar() -> None:
    # 3 visits within 2.5 days, tier 1, worth 0 points: tier 1 though the score (0) is under 50
    behaviour = [
        {"name": "hot", "event": "a", "at_least": 3, "within_days": 2.5, "points": 0, "tier": 1},
        {"name": "visit", "event": "b", "points": 1},
    ]
    times = [NOW - 2 * DAY, NOW - DAY, NOW]
    (score, tier1, due_at), evaluation, model = one_lead(behaviour, [], 0, [("a", at, "") for at in times])
    assert (score, tier1) == (0, True)
    assert model.qualifies(evaluation) and model.tier(evaluation) == 1
    assert due_at == NOW - 2 * DAY + int(2.5 * DAY) + 1
    # two of them are not enough
    (score, tier1, due_at), _, _ = one_lead(behaviour, [], 0, [("a", at, "") for at in times[1:]])
    assert (score, tier1, due_at) == (0, False, None)


@pytest.mark.parametrize("multiplier", [0.3333333333333333, 1e-20])
def test_decay_multipliers_with_long_decimals_are_refused(multiplier: float) -> None:
    # 2 × behaviour × numerator would overflow SQLite's 64-bit integers for such fractions
    # (SQLite then silently computes in floating point); four decimals keep every score exact.
    data = copy.deepcopy(default_config_data())
    data["scoring"]["decay"] = [{"after_days": 1, "multiplier": multiplier}]
    with pytest.raises(ConfigError, match=r"scoring\.decay\[0\]\.multiplier: expected at most 4 decimals"):
        parse_config(data)


def test_a_four_decimal_multiplier_on_a_huge_behaviour_stays_exact() -> None:
    # 100,000 events × 50 points = 5,000,000 × 3333/10000 = 1,666,500 exactly
    behaviour = [{"name": "x", "event": "a", "points": 50}]
    decay = [{"after_days": 1, "multiplier": 0.3333}]
    (score, _, _), evaluation, _ = one_lead(behaviour, decay, 0, [("a", NOW - 2 * DAY - i, "") for i in range(100_000)])
    assert score == evaluation.points == 1_666_500
