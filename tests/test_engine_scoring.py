"""Lead scoring (SPEC §2 "Rule semantics"), on the shipped example model read by the real loader.

The example model (config.toml / default_config_data):
  fit        ICP title        title contains_any VP, Vice President, Chief, CEO, CTO, ...   +15
             Company size     company_size in [50, 5000] inclusive                         +10
             Target industry  industry in Software, Financial Services, Healthcare         +10
  behaviour  [0] pricing_page          +20 per event, max_times 1
             [1] case_study_download   +15 per event
             [2] demo_request          +50 per event, tier 1
             [3] email_open            +10 once, at_least 3 within_days 30
             [4] page_view             +15 once, at_least 3 within_days 7
             [5] careers_page          -10 per event
  decay      after 30 days x0.5, after 90 days x0.0 (from the latest event)
  disqualify email_domain in rivalsoft.com -> "competitor"
  mql_threshold 50, tier2_min_score 80

Every expected number below is worked out by hand from those rules (the arithmetic is in the
comments); the code under test is never used to compute its own expectation.
"""

from __future__ import annotations

import copy
import math
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from leadterm.config import default_config_data, parse_config
from leadterm.engine.scoring import Activity, EventFact, ScoringModel

DAY = 86400
HOUR = 3600
NOW = 1_780_000_000  # 2026-05-28T20:26:40Z, any fixed instant will do


def config_data() -> dict:
    return copy.deepcopy(default_config_data())


def model_of(data: dict | None = None) -> ScoringModel:
    config = parse_config(data if data is not None else config_data())
    return ScoringModel(config.scoring, config.tiers)


@pytest.fixture(scope="module")
def model() -> ScoringModel:
    return model_of()


def ev(type_: str, at: int, detail: str = "") -> EventFact:
    return EventFact(type_, at, detail)


def score_of(model: ScoringModel, events, now: int = NOW, fields: dict | None = None) -> int:
    return model.explain(fields or {}, list(events), now).points


def drivers_sum(score) -> int:
    return sum(driver.points for driver in score.drivers)


# ---------------------------------------------------------------------------------------------
# Fit rules: text and numeric tests
# ---------------------------------------------------------------------------------------------
class TestFit:
    @pytest.mark.parametrize(
        "title",
        [
            "VP Marketing",
            "  senior vp of sales  ",  # substring, case-insensitive, trimmed
            "Chief Revenue Officer",
            "cTo",
            "Executive Vice President, Ops",
            "Co-founder & CEO",
        ],
    )
    def test_contains_any_is_case_insensitive_substring(self, model, title):
        assert model.fit_points({"title": title}) == 15

    @pytest.mark.parametrize("title", ["Marketing Manager", "Engineer", "", "   ", None])
    def test_contains_any_no_match(self, model, title):
        assert model.fit_points({"title": title}) == 0

    def test_contains_any_is_plain_substring_even_inside_words(self, model):
        # SPEC: contains_any is substring match, so "Director" (di-r-e-CTO-r) contains "cto".
        # A consequence of the example model's rule worth knowing when tuning titles.
        assert model.fit_points({"title": "Director of IT"}) == 15

    @pytest.mark.parametrize("industry", ["Software", "  software ", "SOFTWARE", "financial services"])
    def test_in_is_case_insensitive_equality(self, model, industry):
        assert model.fit_points({"industry": industry}) == 10

    @pytest.mark.parametrize("industry", ["Software Development", "Soft", "Fintech", "Health care"])
    def test_in_is_not_substring(self, model, industry):
        assert model.fit_points({"industry": industry}) == 0

    @pytest.mark.parametrize("size", [50, 5000, 51, 4999, 250, "50", " 5000 ", "1,000", 50.0])
    def test_min_max_inclusive_match(self, model, size):
        assert model.fit_points({"company_size": size}) == 10

    @pytest.mark.parametrize("size", [49, 5001, 49.9, 5000.5, 0, -3, "49", "5001", "big", "", None])
    def test_min_max_outside_or_not_a_number(self, model, size):
        assert model.fit_points({"company_size": size}) == 0

    def test_missing_fields_never_match(self, model):
        assert model.fit_points({}) == 0
        assert model.fit_points({"form": {}}) == 0
        assert model.disqualifier({}) is None
        assert model.disqualifier({"email": None}) is None

    def test_fit_rules_add_up(self, model):
        # 15 (title) + 10 (size) + 10 (industry) = 35
        fields = {"title": "VP Sales", "company_size": 200, "industry": "Healthcare"}
        assert model.fit_points(fields) == 35
        score = model.explain(fields, [], NOW)
        assert score.points == 35
        assert sorted((d.rule, d.points, d.kind) for d in score.drivers) == [
            ("Company size in target range", 10, "fit"),
            ("ICP title", 15, "fit"),
            ("Target industry", 10, "fit"),
        ]

    def test_form_column_rule(self):
        data = config_data()
        data["scoring"]["fit"].append(
            {"name": "Budget confirmed", "field": "form.budget", "in": ["Yes"], "points": 7}
        )
        data["scoring"]["fit"].append(
            {"name": "Big team", "field": "form.Team Size", "min": 10, "points": 3}
        )
        model = model_of(data)
        assert model.fit_points({"form": {"budget": " YES "}}) == 7
        assert model.fit_points({"form": {"budget": "no"}}) == 0
        assert model.fit_points({"form": {}}) == 0
        assert model.fit_points({}) == 0
        # the column name is used as written (form.<column>); 7 + 3 = 10
        assert model.fit_points({"form": {"budget": "yes", "Team Size": "12"}}) == 10
        assert model.fit_points({"form": {"Team Size": "9"}}) == 0
        # a field named like a form column is not read from the lead columns
        assert model.fit_points({"budget": "yes"}) == 0

    @pytest.mark.parametrize("answer", ["NaN", "nan", "inf", "-Infinity", float("nan")])
    def test_non_finite_text_is_not_a_number(self, answer):
        # a spreadsheet or pandas export writes "NaN" for an empty cell: it is not a number,
        # so it must not pass numeric bounds (nan compares false with both min and max)
        data = config_data()
        data["scoring"]["fit"].append(
            {"name": "Team", "field": "form.team", "min": 10, "max": 100, "points": 3}
        )
        data["scoring"]["fit"].append({"name": "Seats", "field": "form.team", "min": 1, "points": 4})
        model = model_of(data)
        assert model.fit_points({"form": {"team": answer}}) == 0
        assert model.fit_points({"company_size": answer}) == 0

    def test_negative_fit_points(self):
        data = config_data()
        data["scoring"]["fit"].append(
            {"name": "Student", "field": "title", "contains_any": ["student"], "points": -25}
        )
        model = model_of(data)
        # 15 (CTO) - 25 (student) = -10
        assert model.fit_points({"title": "Student CTO"}) == -10


_TITLES = ["CTO", "  vp sales ", "Student CTO", "Engineer", "", None]
_SIZES = [10, 50, 5000, 5001, None]
_INDUSTRIES = ["Software", " healthcare", "Retail", "", None]
_EMAILS = ["jo@rivalsoft.com", "Jo@RivalSoft.COM", "kid@school.edu", "cto@acme.com"]
_ANSWERS = ["yes", " YES ", "no", "12", "NaN", "", None]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(_TITLES), st.sampled_from(_SIZES), st.sampled_from(_INDUSTRIES),
                          st.sampled_from(_EMAILS), st.sampled_from(_ANSWERS), st.sampled_from(_ANSWERS)),
                max_size=30))
def test_fit_column_by_column_agrees_with_lead_by_lead(leads):
    # the importer computes fit over columns; rules, memo and "first disqualifier wins" must
    # come out as for each lead alone (a blank is "" there and None here: both never match)
    data = config_data()
    data["scoring"]["fit"] += [
        {"name": "Student", "field": "title", "contains_any": ["student"], "points": -25},
        {"name": "Budget", "field": "form.budget", "in": ["yes"], "points": 7},
        {"name": "Team", "field": "form.Team Size", "min": 10, "points": 3},
    ]
    data["scoring"]["disqualify"] += [
        {"name": "School", "field": "email_domain", "in": ["school.edu"], "reason": "wrong_icp"},
        {"name": "Student", "field": "title", "contains_any": ["student"], "reason": "wrong_icp"},
    ]
    model = model_of(data)
    columns = {
        "title": [title for title, *_ in leads],
        "company_size": [size for _, size, *_ in leads],
        "industry": [industry for _, _, industry, *_ in leads],
        "email": [email for *_, email, _, _ in leads],
        "form.budget": [budget for *_, budget, _ in leads],
        "form.Team Size": [team for *_, team in leads],
    }
    shared = model_of(data)  # lead by lead first, then by columns: one memory of values for both
    for title, size, industry, email, budget, team in leads[::2]:
        shared.fit_points({"title": title, "company_size": size, "industry": industry, "email": email,
                           "form": {"budget": budget, "Team Size": team}})
    assert shared.fit_columns(columns, len(leads)) == model.fit_columns(columns, len(leads))
    points, names = model.fit_columns(columns, len(leads))
    expected_points, expected_names = [], []
    for title, size, industry, email, budget, team in leads:
        form = {key: value for key, value in (("budget", budget), ("Team Size", team)) if value is not None}
        fields = {"title": title, "company_size": size, "industry": industry, "email": email, "form": form}
        expected_points.append(model_of(data).fit_points(fields))  # a fresh model: no memo shared
        rule = model_of(data).disqualifier(fields)
        expected_names.append(rule.name if rule else None)
    assert (points, names) == (expected_points, expected_names)


def test_fit_column_by_column_over_more_values_than_it_remembers():
    # values are remembered per rule up to 50,000; columns that overflow that, holding values
    # met before, are still worked out in full (here: email domains, for the competitor rule)
    model = model_of()
    first = [f"jo@d{index}.com" for index in range(30_000)]
    second = [*first[15_000:], *(f"jo@n{index}.com" for index in range(24_999)), "jo@rivalsoft.com"]
    assert model.fit_columns({"email": first}, len(first))[1] == [None] * 30_000
    points, names = model.fit_columns({"email": second}, len(second))
    assert names == [None] * 39_999 + ["Competitor"] and points == [0] * 40_000


# ---------------------------------------------------------------------------------------------
# Disqualify rules
# ---------------------------------------------------------------------------------------------
class TestDisqualify:
    @pytest.mark.parametrize(
        "email", ["jo@rivalsoft.com", "Jo.Smith@RivalSoft.COM", "  jo@rivalsoft.com  "]
    )
    def test_email_domain_matches(self, model, email):
        rule = model.disqualifier({"email": email})
        assert rule is not None
        assert rule.name == "Competitor"
        assert rule.reason == "competitor"

    @pytest.mark.parametrize(
        "email", ["jo@rivalsoft.com.au", "jo@notrivalsoft.com", "rivalsoft.com", "jo@acme.com", ""]
    )
    def test_email_domain_does_not_match(self, model, email):
        assert model.disqualifier({"email": email}) is None

    def test_explain_reports_the_disqualifier_and_still_scores(self, model):
        score = model.explain({"email": "cto@rivalsoft.com", "title": "CTO"}, [], NOW)
        assert score.disqualifier is not None and score.disqualifier.reason == "competitor"
        assert score.points == 15

    def test_disqualify_on_form_column_contains(self):
        data = config_data()
        data["scoring"]["disqualify"].append(
            {"name": "Student", "field": "form.role", "contains_any": ["student"], "reason": "wrong_icp"}
        )
        model = model_of(data)
        assert model.disqualifier({"form": {"role": "PhD Student"}}).reason == "wrong_icp"
        assert model.disqualifier({"form": {"role": "Buyer"}}) is None
        # the first matching rule in file order wins
        both = {"email": "a@rivalsoft.com", "form": {"role": "student"}}
        assert model.disqualifier(both).reason == "competitor"


# ---------------------------------------------------------------------------------------------
# Behaviour rules
# ---------------------------------------------------------------------------------------------
class TestBehaviour:
    def test_per_event_rule_counts_each_event(self, model):
        events = [ev("case_study_download", NOW - k * HOUR) for k in range(3)]
        # 3 x 15 = 45
        assert score_of(model, events) == 45

    def test_max_times_caps_the_count(self, model):
        events = [ev("pricing_page", NOW - k * HOUR) for k in range(4)]
        # 4 visits, counted at most once: 1 x 20 = 20
        score = model.explain({}, events, NOW)
        assert score.points == 20
        (driver,) = score.drivers
        assert driver.points == 20
        assert len(driver.events) == 1

    def test_event_types_match_whatever_their_case(self, model):
        # events of other types score nothing; a type in other case is the same type
        # (pricing_page is worth 20, once; webinar has no rule)
        assert score_of(model, [ev("webinar", NOW)]) == 0
        assert score_of(model, [ev("Pricing_Page", NOW), ev("webinar", NOW)]) == 20

    def test_threshold_rule_fires_once(self, model):
        two = [ev("email_open", NOW - k * DAY) for k in range(2)]
        three = [ev("email_open", NOW - k * DAY) for k in range(3)]
        six = [ev("email_open", NOW - k * DAY) for k in range(6)]
        assert score_of(model, two) == 0  # 2 < at_least 3
        assert score_of(model, three) == 10  # once
        assert score_of(model, six) == 10  # still once, not 2 x 10

    def test_threshold_window_is_inclusive_at_its_start(self, model):
        # email_open: at_least 3 within 30 days; one event exactly 30 days before now counts
        edge = NOW - 30 * DAY
        recent = [ev("email_open", NOW - DAY), ev("email_open", NOW)]
        assert score_of(model, [ev("email_open", edge), *recent]) == 10
        # one second earlier it is out of the window: 2 events, nothing
        assert score_of(model, [ev("email_open", edge - 1), *recent]) == 0

    def test_threshold_window_of_page_views(self, model):
        # page_view: at_least 3 within 7 days -> 15
        events = [ev("page_view", NOW - 7 * DAY), ev("page_view", NOW - 3 * DAY), ev("page_view", NOW)]
        assert score_of(model, events) == 15
        events[0] = ev("page_view", NOW - 7 * DAY - 1)
        assert score_of(model, events) == 0

    def test_events_later_than_now_are_ignored(self, model):
        future = [ev("case_study_download", NOW + 1), ev("demo_request", NOW + DAY)]
        score = model.explain({}, future, NOW)
        assert score.points == 0
        assert score.evaluation.tier1 is False
        assert score.drivers == ()
        # an event exactly at now counts
        assert score_of(model, [ev("case_study_download", NOW)]) == 15

    def test_future_events_do_not_count_towards_a_threshold(self, model):
        events = [ev("email_open", NOW - DAY), ev("email_open", NOW), ev("email_open", NOW + 1)]
        assert score_of(model, events) == 0

    def test_negative_points(self, model):
        # 2 x -10 = -20; with fit 15 (CTO): 15 - 20 = -5
        events = [ev("careers_page", NOW - HOUR), ev("careers_page", NOW)]
        score = model.explain({"title": "CTO"}, events, NOW)
        assert score.points == -5
        assert {d.rule: d.points for d in score.drivers} == {
            "ICP title": 15,
            "Careers page (job seeker)": -20,
        }

    def test_mixed_behaviour_sum(self, model):
        events = [
            ev("pricing_page", NOW - 2 * DAY),  # 20 (cap 1)
            ev("pricing_page", NOW - DAY),  # capped
            ev("case_study_download", NOW - DAY),  # 15
            ev("email_open", NOW - 20 * DAY),
            ev("email_open", NOW - 10 * DAY),
            ev("email_open", NOW - DAY),  # 3 in 30 days: 10
            ev("page_view", NOW - 8 * DAY),  # out of the 7-day window
            ev("page_view", NOW - DAY),
            ev("page_view", NOW),  # only 2 in 7 days: 0
            ev("careers_page", NOW - DAY),  # -10
        ]
        # 20 + 15 + 10 + 0 - 10 = 35, no decay (latest event is now)
        score = model.explain({}, events, NOW)
        assert score.points == 35
        assert score.evaluation.behaviour_points == 35
        assert score.evaluation.multiplier == 1


# ---------------------------------------------------------------------------------------------
# Decay and rounding
# ---------------------------------------------------------------------------------------------
class TestDecay:
    FIT = {"title": "VP", "company_size": 100, "industry": "Software"}  # 15 + 10 + 10 = 35

    @pytest.mark.parametrize(
        ("age", "multiplier", "behaviour_after"),
        [
            (0, Fraction(1), 45),
            (30 * DAY - 1, Fraction(1), 45),  # d < 30: no step applies
            (30 * DAY, Fraction(1, 2), 23),  # 45 x 0.5 = 22.5 -> 23 (half up)
            (89 * DAY, Fraction(1, 2), 23),
            (90 * DAY - 1, Fraction(1, 2), 23),
            (90 * DAY, Fraction(0), 0),  # largest after_days <= d is 90: x0
            (400 * DAY, Fraction(0), 0),
        ],
    )
    def test_multiplier_of_the_largest_step_reached(self, model, age, multiplier, behaviour_after):
        last = NOW - age
        events = [ev("case_study_download", last - 2 * HOUR), ev("case_study_download", last - HOUR),
                  ev("case_study_download", last)]
        score = model.explain(self.FIT, events, NOW)
        # fit never decays: 35 + decayed behaviour
        assert score.points == 35 + behaviour_after
        assert score.evaluation.fit_points == 35
        assert score.evaluation.behaviour_points == 45
        assert score.evaluation.decayed_points == behaviour_after
        assert score.evaluation.multiplier == multiplier
        assert drivers_sum(score) == score.points

    def test_decay_counts_from_the_latest_event_of_any_type(self, model):
        # the case study is 100 days old, but the lead's latest event (a webinar, which no rule
        # scores) is 10 days old: d = 10, no decay -> 15
        events = [ev("case_study_download", NOW - 100 * DAY), ev("webinar", NOW - 10 * DAY)]
        assert score_of(model, events) == 15
        # and it is the latest event, not the oldest: d = 40 -> 15 x 0.5 = 7.5 -> 8
        events = [ev("case_study_download", NOW - 100 * DAY), ev("webinar", NOW - 40 * DAY)]
        assert score_of(model, events) == 8

    def test_future_events_do_not_reset_decay(self, model):
        events = [ev("case_study_download", NOW - 40 * DAY), ev("webinar", NOW + 1)]
        # d = 40 (the future webinar is ignored): 15 x 0.5 = 7.5 -> 8
        assert score_of(model, events) == 8

    def test_steps_given_out_of_order(self):
        data = config_data()
        data["scoring"]["decay"] = [
            {"after_days": 90, "multiplier": 0.0},
            {"after_days": 30, "multiplier": 0.5},
            {"after_days": 60, "multiplier": 0.25},
        ]
        model = model_of(data)
        base = [ev("case_study_download", NOW - 1), ev("case_study_download", NOW),
                ev("pricing_page", NOW)]  # 15 + 15 + 20 = 50
        for age, expected in [
            (45 * DAY, 25),  # largest after_days <= 45 is 30: 50 x 0.5 = 25
            (60 * DAY, 13),  # 60: 50 x 0.25 = 12.5 -> 13
            (95 * DAY, 0),  # 90: x0
        ]:
            events = [ev(e.type, e.occurred_at - age) for e in base]
            assert score_of(model, events) == expected, age

    @pytest.mark.parametrize(
        ("events", "behaviour", "decayed"),
        [
            # 3 x 15 = 45; 45 x 0.5 = 22.5 -> floor(23.0) = 23
            ([("case_study_download", 3)], 45, 23),
            # 15; 7.5 -> floor(8.0) = 8
            ([("case_study_download", 1)], 15, 8),
            # 15 - 2 x 10 = -5; -2.5 -> floor(-2.0) = -2 (half up, not half away from zero)
            ([("case_study_download", 1), ("careers_page", 2)], -5, -2),
            # -10 x 0.5 = -5 exactly
            ([("careers_page", 1)], -10, -5),
            # 3 x -10 = -30 ... + 15 = -15; -7.5 -> floor(-7.0) = -7
            ([("case_study_download", 1), ("careers_page", 3)], -15, -7),
            # 20 + 15 = 35; 17.5 -> 18
            ([("pricing_page", 1), ("case_study_download", 1)], 35, 18),
        ],
    )
    def test_round_half_up(self, model, events, behaviour, decayed):
        last = NOW - 31 * DAY  # multiplier 0.5
        facts = [ev(type_, last - k) for type_, count in events for k in range(count)]
        score = model.explain({}, facts, NOW)
        assert score.evaluation.behaviour_points == behaviour
        assert score.evaluation.decayed_points == decayed
        assert score.points == decayed

    def test_decay_is_a_driver_with_its_own_points(self, model):
        events = [ev("case_study_download", NOW - 31 * DAY - k) for k in range(3)]
        score = model.explain(self.FIT, events, NOW)
        # 35 + 23 = 58; the drivers: 15 + 10 + 10 (fit) + 45 (behaviour) - 22 (decay) = 58
        assert score.points == 58
        decay = [d for d in score.drivers if d.kind == "decay"]
        assert len(decay) == 1 and decay[0].points == 23 - 45
        behaviour = [d for d in score.drivers if d.kind == "behaviour"]
        assert [(d.rule, d.points, len(d.events)) for d in behaviour] == [("Case study download", 45, 3)]
        assert drivers_sum(score) == 58

    def test_decay_of_a_negative_sum_is_a_positive_driver(self, model):
        events = [ev("careers_page", NOW - 91 * DAY)]
        score = model.explain({"title": "CEO"}, events, NOW)
        # 15 + round(-10 x 0) = 15; drivers: 15 - 10 + 10 (decay) = 15
        assert score.points == 15
        assert {d.kind: d.points for d in score.drivers if d.kind != "fit"} == {
            "behaviour": -10,
            "decay": 10,
        }
        assert drivers_sum(score) == 15

    def test_no_decay_driver_without_decay(self, model):
        score = model.explain({}, [ev("case_study_download", NOW - 29 * DAY)], NOW)
        assert [d.kind for d in score.drivers] == ["behaviour"]
        assert score.evaluation.decay_days is None


# ---------------------------------------------------------------------------------------------
# Qualification and tiers
# ---------------------------------------------------------------------------------------------
class TestTiers:
    def test_tier1_rule_qualifies_whatever_the_score(self, model):
        events = [ev("demo_request", NOW)] + [ev("careers_page", NOW - k) for k in range(4)]
        # 50 - 4 x 10 = 10 < 50, yet a tier-1 rule fired
        score = model.explain({}, events, NOW)
        assert score.points == 10
        assert score.evaluation.tier1 is True
        assert model.qualifies(score.evaluation)
        assert model.tier(score.evaluation) == 1
        tier1 = [d for d in score.drivers if d.tier1]
        assert [d.rule for d in tier1] == ["Demo request"]

    def test_tier1_beats_tier2(self, model):
        events = [ev("demo_request", NOW)]
        fields = {"title": "CEO", "company_size": 100, "industry": "Software"}
        # 35 + 50 = 85 >= 80, but the tier-1 rule decides: tier 1
        score = model.explain(fields, events, NOW)
        assert score.points == 85
        assert model.tier(score.evaluation) == 1

    def test_tier2_at_the_boundary(self, model):
        events = [ev("case_study_download", NOW - k) for k in range(3)]
        fields = {"title": "CEO", "company_size": 100, "industry": "Software"}
        # 35 + 45 = 80 = tier2_min_score -> tier 2
        score = model.explain(fields, events, NOW)
        assert score.points == 80
        assert model.qualifies(score.evaluation)
        assert model.tier(score.evaluation) == 2
        # 34 + 45 = 79 -> tier 3 (through evaluate with a given fit)
        activity = model.tally(events, NOW)
        below = model.evaluate(34, activity, NOW)
        assert below.points == 79
        assert model.qualifies(below)
        assert model.tier(below) == 3

    @pytest.mark.parametrize(("fit", "qualifies"), [(49, False), (50, True), (51, True), (-1, False)])
    def test_mql_bar(self, model, fit, qualifies):
        evaluation = model.evaluate(fit, model.tally([], NOW), NOW)
        assert evaluation.points == fit
        assert model.qualifies(evaluation) is qualifies
        if qualifies:
            assert model.tier(evaluation) == 3

    def test_mql_bar_reached_by_engagement(self, model):
        # 20 (pricing) + 15 (case study) + 15 (return visitor, 3 views in 7 days) = 50
        events = [ev("pricing_page", NOW), ev("case_study_download", NOW)] + [
            ev("page_view", NOW - k * DAY) for k in range(3)
        ]
        score = model.explain({}, events, NOW)
        assert score.points == 50
        assert model.qualifies(score.evaluation)
        assert model.tier(score.evaluation) == 3
        # one page view less: 35
        assert score_of(model, events[:-1]) == 35

    def test_threshold_can_be_changed(self):
        data = config_data()
        data["scoring"]["mql_threshold"] = 30
        data["tiers"]["tier2_min_score"] = 40
        model = model_of(data)
        ev45 = model.evaluate(45, model.tally([], NOW), NOW)
        assert model.qualifies(ev45) and model.tier(ev45) == 2  # 45 >= 40
        ev35 = model.evaluate(35, model.tally([], NOW), NOW)
        assert model.qualifies(ev35) and model.tier(ev35) == 3  # 30 <= 35 < 40
        ev29 = model.evaluate(29, model.tally([], NOW), NOW)
        assert not model.qualifies(ev29)


# ---------------------------------------------------------------------------------------------
# Scores change with time alone: next_change_at
# ---------------------------------------------------------------------------------------------
class TestNextChange:
    def test_nothing_changes_without_behaviour(self, model):
        assert model.evaluate(35, model.tally([], NOW), NOW).next_change_at is None
        # an event scored by no rule: behaviour 0, nothing to decay
        evaluation = model.explain({}, [ev("webinar", NOW - DAY)], NOW).evaluation
        assert evaluation.next_change_at is None

    def test_threshold_window_empties(self, model):
        events = [ev("email_open", NOW - 20 * DAY), ev("email_open", NOW - 10 * DAY),
                  ev("email_open", NOW - 5 * DAY)]
        # window empties of its oldest counted event at (NOW - 20d) + 30d + 1s = NOW + 10d + 1;
        # the next decay step starts at (NOW - 5d) + 30d = NOW + 25d, later
        change = NOW + 10 * DAY + 1
        assert model.explain({}, events, NOW).evaluation.next_change_at == change
        assert score_of(model, events, change - 1) == 10  # still 3 in the window
        assert score_of(model, events, change) == 0  # 2 left

    def test_threshold_window_with_more_events_than_needed(self, model):
        events = [ev("email_open", NOW - k * DAY) for k in (25, 20, 15, 1)]
        # 4 in the window; the oldest (NOW - 25d) leaves at NOW + 5d + 1 (the score may change:
        # here 3 remain, so it does not); that is still the next moment to look
        change = NOW + 5 * DAY + 1
        assert model.explain({}, events, NOW).evaluation.next_change_at == change
        assert score_of(model, events, change) == 10
        # the next look: the oldest counted is now NOW - 20d -> NOW + 10d + 1
        assert model.explain({}, events, change).evaluation.next_change_at == NOW + 10 * DAY + 1
        assert score_of(model, events, NOW + 10 * DAY + 1) == 0

    def test_threshold_below_at_least_has_no_window_change(self, model):
        events = [ev("email_open", NOW - 2 * DAY), ev("email_open", NOW - DAY)]
        # not fired (2 < 3), behaviour 0: nothing to wait for
        assert model.explain({}, events, NOW).evaluation.next_change_at is None

    def test_next_decay_step(self, model):
        events = [ev("case_study_download", NOW - 10 * DAY)]
        # the 30-day step starts at (NOW - 10d) + 30d = NOW + 20d
        first = NOW + 20 * DAY
        assert model.explain({}, events, NOW).evaluation.next_change_at == first
        assert score_of(model, events, first - 1) == 15
        assert score_of(model, events, first) == 8  # 7.5 -> 8
        # then the 90-day step at (NOW - 10d) + 90d = NOW + 80d
        second = NOW + 80 * DAY
        assert model.explain({}, events, first).evaluation.next_change_at == second
        assert score_of(model, events, second - 1) == 8
        assert score_of(model, events, second) == 0
        # past the last step nothing changes any more
        assert model.explain({}, events, second).evaluation.next_change_at is None

    def test_earliest_future_event(self, model):
        events = [ev("case_study_download", NOW - 10 * DAY), ev("pricing_page", NOW + HOUR)]
        # the future event (NOW + 1h) comes before the decay step (NOW + 20d)
        evaluation = model.explain({}, events, NOW).evaluation
        assert evaluation.next_change_at == NOW + HOUR
        assert score_of(model, events, NOW + HOUR - 1) == 15
        assert score_of(model, events, NOW + HOUR) == 35  # 15 + 20

    def test_future_event_even_without_behaviour(self, model):
        events = [ev("webinar", NOW + 5 * DAY), ev("demo_request", NOW + 2 * DAY)]
        assert model.explain({}, events, NOW).evaluation.next_change_at == NOW + 2 * DAY

    def test_earliest_of_all_candidates(self, model):
        events = [
            ev("page_view", NOW - 6 * DAY),  # window (7d) empties at NOW + 1d + 1
            ev("page_view", NOW - 2 * DAY),
            ev("page_view", NOW - 2 * DAY),
            ev("email_open", NOW - 29 * DAY),  # not fired: only one
            ev("pricing_page", NOW + 3 * DAY),  # future event at NOW + 3d
        ]
        # decay step: latest event NOW - 2d + 30d = NOW + 28d
        change = NOW + DAY + 1
        assert model.explain({}, events, NOW).evaluation.next_change_at == change
        assert score_of(model, events, change - 1) == 15
        assert score_of(model, events, change) == 0


# ---------------------------------------------------------------------------------------------
# tally: what the store aggregates for evaluate
# ---------------------------------------------------------------------------------------------
class TestTally:
    def test_counts_by_rule(self, model):
        events = [
            ev("pricing_page", NOW - 50 * DAY),
            ev("pricing_page", NOW - 3 * DAY),
            ev("email_open", NOW - 31 * DAY),  # outside the 30-day window
            ev("email_open", NOW - 2 * DAY),
            ev("email_open", NOW - 30 * DAY),  # exactly on the window's start: counted
            ev("page_view", NOW - 8 * DAY),  # outside the 7-day window
            ev("page_view", NOW - DAY),
            ev("careers_page", NOW - 4 * DAY),
            ev("webinar", NOW - HOUR),  # no rule, but the latest event
            ev("case_study_download", NOW + 7),  # future
            ev("demo_request", NOW + DAY),  # future
        ]
        activity = model.tally(events, NOW)
        assert activity == Activity(
            counts=(2, 0, 0, 2, 1, 1),
            window_first=(NOW - 50 * DAY, None, None, NOW - 30 * DAY, NOW - DAY, NOW - 4 * DAY),
            last_event_at=NOW - HOUR,
            next_event_at=NOW + 7,
        )
        # evaluate over the tally is what explain computes: 20 (pricing, cap 1) - 10 (careers) = 10
        fields = {"title": "CFO"}
        evaluation = model.evaluate(model.fit_points(fields), activity, NOW)
        assert evaluation.points == 15 + 10
        assert evaluation == model.explain(fields, events, NOW).evaluation

    def test_window_starts(self, model):
        assert model.window_starts(NOW) == (None, None, None, NOW - 30 * DAY, NOW - 7 * DAY, None)

    def test_empty(self, model):
        assert model.tally([], NOW) == Activity((0,) * 6, (None,) * 6, None, None)

    def test_evaluate_from_counts_alone(self, model):
        # what a SQL aggregate would hand over: 3 case studies, 1 demo, 3 email opens
        activity = Activity(
            counts=(0, 3, 1, 3, 0, 0),
            window_first=(None, NOW - DAY, NOW, NOW - 10 * DAY, None, None),
            last_event_at=NOW,
            next_event_at=None,
        )
        evaluation = model.evaluate(10, activity, NOW)
        # 10 + 45 + 50 + 10 = 115; tier 1; the email window empties at NOW - 10d + 30d + 1
        assert evaluation.points == 115
        assert evaluation.tier1
        assert evaluation.next_change_at == NOW + 20 * DAY + 1


# ---------------------------------------------------------------------------------------------
# Property: drivers always add up to the score, and the score follows the rules
# ---------------------------------------------------------------------------------------------
TYPES = ["pricing_page", "case_study_download", "demo_request", "email_open", "page_view",
         "careers_page", "webinar"]
PROPERTY_MODEL = model_of()


def reference_score(fields: dict, events: list[EventFact], now: int) -> tuple[int, bool]:
    """SPEC's rules for the example model, written out independently of the engine."""
    fit = 0
    title = (fields.get("title") or "").strip().lower()
    if title and any(word in title for word in
                     ["vp", "vice president", "chief", "ceo", "cto", "cfo", "cmo", "coo", "cro"]):
        fit += 15
    size = fields.get("company_size")
    if size is not None and 50 <= size <= 5000:
        fit += 10
    if (fields.get("industry") or "").strip().lower() in {"software", "financial services", "healthcare"}:
        fit += 10
    seen = [e for e in events if e.occurred_at <= now]

    def count(type_: str, within_days: int | None = None) -> int:
        return sum(
            1 for e in seen
            if e.type == type_ and (within_days is None or e.occurred_at >= now - within_days * DAY)
        )

    behaviour = (
        20 * min(count("pricing_page"), 1)
        + 15 * count("case_study_download")
        + 50 * count("demo_request")
        + (10 if count("email_open", 30) >= 3 else 0)
        + (15 if count("page_view", 7) >= 3 else 0)
        - 10 * count("careers_page")
    )
    multiplier = Fraction(1)
    if seen:
        d = now - max(e.occurred_at for e in seen)
        if d >= 90 * DAY:
            multiplier = Fraction(0)
        elif d >= 30 * DAY:
            multiplier = Fraction(1, 2)
    return fit + math.floor(behaviour * multiplier + Fraction(1, 2)), count("demo_request") > 0


events_strategy = st.lists(
    st.builds(
        EventFact,
        st.sampled_from(TYPES),
        st.integers(NOW - 120 * DAY, NOW + 5 * DAY)
        | st.sampled_from([NOW, NOW - 7 * DAY, NOW - 30 * DAY, NOW - 30 * DAY - 1, NOW - 90 * DAY]),
    ),
    max_size=25,
)
fields_strategy = st.fixed_dictionaries(
    {
        "title": st.sampled_from([None, "", "VP Sales", "Engineer", " chief of staff "]),
        "company_size": st.sampled_from([None, 10, 49, 50, 5000, 5001]),
        "industry": st.sampled_from([None, "Software", "Retail", " HEALTHCARE "]),
    }
)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(fields=fields_strategy, events=events_strategy)
def test_drivers_add_up_and_score_follows_the_rules(fields, events):
    model = PROPERTY_MODEL
    score = model.explain(fields, events, NOW)
    assert sum(driver.points for driver in score.drivers) == score.points
    expected, tier1 = reference_score(fields, events, NOW)
    assert score.points == expected
    assert score.evaluation.tier1 is tier1
    assert model.evaluate(model.fit_points(fields), model.tally(events, NOW), NOW) == score.evaluation
    change = score.evaluation.next_change_at
    if change is not None:
        assert change > NOW
        # nothing changes strictly between now and next_change_at
        assert model.explain(fields, events, change - 1).points == score.points


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(st.none(), st.text(alphabet="aB@ .\t\u00c9\u212a-", max_size=8)), max_size=12))
def test_email_domains_of_a_column_are_each_ones_email_domain(emails: list[str | None]) -> None:
    from leadterm.engine.matching import email_domain, email_domains

    assert email_domains(emails) == [email_domain(email) for email in emails]
    every_has_an_at = [f"{email or ''}@{email or ''}" for email in emails]  # the C-level passes
    assert email_domains(every_has_an_at) == [email_domain(email) for email in every_has_an_at]
