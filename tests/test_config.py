"""config.toml: the shipped file, every kind of refusal (key path + message), and writing."""

from __future__ import annotations

import copy
import tomllib
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from leadterm.config import (
    Config,
    ConfigError,
    default_config_data,
    default_config_text,
    load_config,
    parse_config,
    write_config,
)

ROOT = Path(__file__).resolve().parents[1]


def data() -> dict[str, Any]:
    return copy.deepcopy(default_config_data())


def problems_of(config_data: dict[str, Any]) -> dict[str, str]:
    """Parse data that must be refused; its problems as {key path: message}."""
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data)
    return dict(caught.value.problems)


def only_problem(config_data: dict[str, Any]) -> tuple[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data)
    assert len(caught.value.problems) == 1, caught.value.problems
    return caught.value.problems[0]


# -- the shipped file ---------------------------------------------------------------------------
def test_root_config_is_the_packaged_default() -> None:
    assert (ROOT / "config.toml").read_bytes() == (ROOT / "leadterm/config/default.toml").read_bytes()
    assert default_config_text() == (ROOT / "config.toml").read_text(encoding="utf-8")
    assert default_config_data() == tomllib.loads(default_config_text())


def test_shipped_config_has_the_spec_example_values() -> None:
    config = load_config(ROOT / "config.toml")
    assert config.path == (ROOT / "config.toml").resolve()
    assert config.base_dir == ROOT
    assert config.app.database == "data/leadterm.db" and config.app.theme == "leadterm-dark"

    calendar = config.calendar
    assert calendar.timezone == "America/New_York"
    assert calendar.hours[0] == ((540, 1020),)
    assert calendar.hours[4] == ((540, 1020),) and calendar.hours[5:] == ((), ())
    assert calendar.holidays == frozenset({date(2026, 12, 25), date(2027, 1, 1)})

    scoring = config.scoring
    assert scoring.mql_threshold == 50
    assert [rule.points for rule in scoring.fit] == [15, 10, 10]
    title = scoring.fit[0].match
    assert title.field == "title" and title.contains_any is not None
    assert "vice president" in title.contains_any and "vp" in title.contains_any  # lower-cased
    assert (scoring.fit[1].match.min, scoring.fit[1].match.max) == (50, 5000)
    assert scoring.fit[2].match.in_ == ("software", "financial services", "healthcare")
    pricing, _, demo, opens, _, careers = scoring.behaviour
    assert pricing.max_times == 1 and not pricing.is_threshold
    assert demo.tier == 1 and demo.points == 50
    assert opens.is_threshold and (opens.at_least, opens.within_days) == (3, 30)
    assert careers.points == -10
    assert [(step.after_days, step.multiplier) for step in scoring.decay] == [(30, 0.5), (90, 0.0)]
    assert scoring.disqualify[0].match.in_ == ("rivalsoft.com",)
    assert scoring.disqualify[0].reason == "competitor"

    assert config.tiers.tier2_min_score == 80
    sla = config.sla
    assert sla.route_within == timedelta(minutes=5) and sla.accept_within == timedelta(hours=4)
    assert (sla.at_risk_fraction, sla.min_touches) == (0.25, 3)
    assert sorted(sla.first_touch) == [1, 2, 3]
    assert sla.first_touch[1].within == timedelta(minutes=15)
    assert sla.first_touch[1].outside_hours == timedelta(hours=2)
    assert sla.first_touch[3].within == timedelta(hours=24) and sla.first_touch[3].outside_hours is None
    assert config.escalation.reassign_after == timedelta(hours=2)

    assert len(config.reasons) == 7
    unreachable = config.reasons["unreachable"]
    assert unreachable.code == "unreachable" and unreachable.to == "nurture"
    assert unreachable.recheck_after == timedelta(days=90) and unreachable.needs_touches
    assert config.reasons["wrong_icp"].to == "disqualified"
    assert config.reasons["wrong_icp"].recheck_after is None
    assert not config.reasons["premature"].needs_touches

    assert [rep.handle for rep in config.reps] == ["dana", "alice", "bob"]
    assert config.rep("dana") is not None and config.rep("dana").is_lead
    alice = config.rep("alice")
    assert alice is not None and (alice.manager, alice.capacity, alice.role) == ("dana", 40, "rep")
    assert "gmail.com" in config.routing.personal_domains
    enterprise, commercial = config.routing.groups
    assert enterprise.members == ("alice",) and enterprise.match.company_size_min == 1000
    assert commercial.members == ("alice", "bob") and commercial.match.company_size_min is None


def test_config_is_frozen_and_its_tables_read_only() -> None:
    config = parse_config(data())
    with pytest.raises(AttributeError):
        config.scoring = None  # type: ignore[misc]
    with pytest.raises(TypeError):
        config.reasons["new"] = config.reasons["premature"]  # type: ignore[index]
    with pytest.raises(TypeError):
        config.sla.first_touch[4] = config.sla.first_touch[1]  # type: ignore[index]


def test_optional_sections_and_keys_take_their_defaults() -> None:
    config_data = data()
    del config_data["app"], config_data["sla"]["at_risk_fraction"], config_data["sla"]["min_touches"]
    del config_data["scoring"]["decay"], config_data["routing"]["personal_domains"]
    config_data["reps"].append({"handle": "carol"})
    config = parse_config(config_data)
    assert config.app.database == "data/leadterm.db"
    assert (config.sla.at_risk_fraction, config.sla.min_touches) == (0.25, 0)
    assert config.scoring.decay == () and config.routing.personal_domains == frozenset()
    carol = config.rep("carol")
    assert carol is not None and (carol.name, carol.role, carol.manager) == ("carol", "rep", None)
    assert config.path is None


def test_holidays_accept_toml_dates_and_hours_accept_24_00() -> None:
    config_data = data()
    config_data["calendar"]["holidays"] = [date(2026, 7, 3), "2026-12-25"]
    config_data["calendar"]["hours"] = {"sat": ["00:00-06:00", "06:00-24:00"]}
    calendar = parse_config(config_data).calendar
    assert calendar.holidays == frozenset({date(2026, 7, 3), date(2026, 12, 25)})
    assert calendar.hours[5] == ((0, 360), (360, 1440)) and calendar.hours[0] == ()


def test_decay_is_stored_sorted() -> None:
    config_data = data()
    config_data["scoring"]["decay"].reverse()
    assert [step.after_days for step in parse_config(config_data).scoring.decay] == [30, 90]


def test_group_match_text_may_be_a_single_string() -> None:
    config_data = data()
    config_data["routing"]["groups"][0]["match"] = {"country": " US ", "source": ["Webinar", "Ads"]}
    match = parse_config(config_data).routing.groups[0].match
    assert match.country == ("us",) and match.source == ("webinar", "ads")


# -- one test per kind of refusal ---------------------------------------------------------------
def test_unknown_key_names_the_path_and_the_expected_keys() -> None:
    config_data = data()
    config_data["scoring"]["mql_treshold"] = config_data["scoring"].pop("mql_threshold")
    found = problems_of(config_data)
    assert found["scoring.mql_treshold"] == (
        "unknown key (expected one of: mql_threshold, fit, behaviour, decay, disqualify)"
    )
    assert found["scoring.mql_threshold"].startswith("missing (expected an integer")


def test_unknown_key_inside_an_array_of_tables() -> None:
    config_data = data()
    config_data["scoring"]["fit"][1]["pionts"] = 3
    path, message = only_problem(config_data)
    assert path == "scoring.fit[1].pionts"
    assert message.startswith("unknown key (expected one of: name, field, points")


def test_bad_duration() -> None:
    config_data = data()
    config_data["sla"]["first_touch"]["2"]["within"] = "4x"
    assert only_problem(config_data) == (
        "sla.first_touch.2.within", "expected a duration such as 90s, 15m, 4h, 30d or 1h30m, got '4x'"
    )


def test_manager_that_is_not_a_rep() -> None:
    config_data = data()
    config_data["reps"][2]["manager"] = "zed"
    path, message = only_problem(config_data)
    assert path == "reps[2].manager"
    assert message == "'zed' is not a rep (reps: dana, alice, bob)"


def test_group_member_that_is_not_a_rep() -> None:
    config_data = data()
    config_data["routing"]["groups"][1]["members"] = ["alice", "bobby"]
    path, message = only_problem(config_data)
    assert path == "routing.groups[1].members[1]"
    assert "'bobby' is not a rep" in message


def test_reason_sending_a_lead_to_a_stage_that_is_not_a_reject_destination() -> None:
    config_data = data()
    config_data["reasons"]["duplicate"]["to"] = "won"
    assert only_problem(config_data) == (
        "reasons.duplicate.to",
        "expected one of nurture, disqualified (the stage a rejected lead goes to), got 'won'",
    )


def test_nurture_reason_needs_recheck_after_and_disqualified_forbids_it() -> None:
    config_data = data()
    del config_data["reasons"]["premature"]["recheck_after"]
    config_data["reasons"]["wrong_icp"]["recheck_after"] = "30d"
    found = problems_of(config_data)
    assert "required when to = \"nurture\"" in found["reasons.premature.recheck_after"]
    assert "not allowed when to = \"disqualified\"" in found["reasons.wrong_icp.recheck_after"]


def test_missing_tier_3_first_touch_sla() -> None:
    config_data = data()
    del config_data["sla"]["first_touch"]["3"]
    assert only_problem(config_data) == ("sla.first_touch.3", "tier 3 has no first-touch SLA")


def test_bad_timezone() -> None:
    config_data = data()
    config_data["calendar"]["timezone"] = "America/Gotham"
    path, message = only_problem(config_data)
    assert path == "calendar.timezone"
    assert message == "expected an IANA time zone such as America/New_York, got 'America/Gotham'"


def test_overlapping_hours() -> None:
    config_data = data()
    config_data["calendar"]["hours"]["tue"] = ["09:00-12:00", "11:30-17:00"]
    assert only_problem(config_data) == ("calendar.hours.tue[1]", "'11:30-17:00' overlaps '09:00-12:00'")


def test_malformed_and_backwards_hours() -> None:
    config_data = data()
    config_data["calendar"]["hours"]["wed"] = ["9-5", "17:00-09:00"]
    found = problems_of(config_data)
    assert found["calendar.hours.wed[0]"].startswith('expected "HH:MM-HH:MM"')
    assert found["calendar.hours.wed[1]"] == "the start must be before the end, got '17:00-09:00'"


def test_bool_is_not_accepted_where_an_integer_is_expected() -> None:
    config_data = data()
    config_data["tiers"]["tier2_min_score"] = True
    assert only_problem(config_data) == ("tiers.tier2_min_score", "expected an integer, got true")


def test_type_error_says_what_was_expected_and_found() -> None:
    config_data = data()
    config_data["scoring"]["fit"][1]["points"] = "ten"
    assert only_problem(config_data) == ("scoring.fit[1].points", "expected an integer, got 'ten'")


def test_threshold_behaviour_rule_cannot_have_max_times() -> None:
    config_data = data()
    config_data["scoring"]["behaviour"][3]["max_times"] = 2
    path, message = only_problem(config_data)
    assert path == "scoring.behaviour[3].max_times" and "cannot have max_times" in message


def test_duplicate_handles_and_group_names() -> None:
    config_data = data()
    config_data["reps"][2]["handle"] = "alice"
    config_data["routing"]["groups"][1]["name"] = "Enterprise"
    found = problems_of(config_data)
    assert found["reps[2].handle"] == "duplicate handle 'alice' (also reps[1])"
    assert found["routing.groups[1].name"] == "duplicate group name 'Enterprise' (also routing.groups[0])"
    assert "'bob' is not a rep" in found["routing.groups[1].members[1]"]


def test_missing_section_is_one_problem() -> None:
    config_data = data()
    del config_data["calendar"]
    assert only_problem(config_data) == ("calendar", "missing (expected a [calendar] table)")


def test_several_problems_are_reported_together() -> None:
    config_data = data()
    config_data["scoring"]["mql_threshold"] = "50"
    config_data["calendar"]["timezone"] = "Mars/Olympus"
    config_data["reps"][1]["capacity"] = 0
    config_data["reasons"]["bad_data"]["to"] = "lost"
    with pytest.raises(ConfigError) as caught:
        parse_config(config_data, source="team/config.toml")
    error = caught.value
    assert error.source == "team/config.toml"
    assert [path for path, _ in error.problems] == [
        "calendar.timezone", "scoring.mql_threshold", "reasons.bad_data.to", "reps[1].capacity",
    ]
    lines = str(error).splitlines()
    assert len(lines) == 4
    assert lines[1] == "team/config.toml: scoring.mql_threshold: expected an integer, got '50'"
    assert lines[3] == "team/config.toml: reps[1].capacity: expected an integer >= 1, got 0"


def test_toml_syntax_error_carries_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_config_text().replace("mql_threshold = 50", "mql_threshold = = 50"))
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    ((key, message),) = caught.value.problems
    line = default_config_text().splitlines().index("mql_threshold = 50") + 1
    assert key == "" and message.startswith("invalid TOML:") and f"line {line}" in message
    assert str(caught.value).startswith(f"{path}: invalid TOML:")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere" / "config.toml"
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value) == f"{path}: not found (run `leadterm init` to write the default)"


# -- writing ------------------------------------------------------------------------------------
def test_write_config_writes_a_file_that_reads_back_equal(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    assert write_config(path, default_config_data()) is None
    assert tomllib.loads(path.read_text(encoding="utf-8")) == default_config_data()
    config = load_config(path)
    assert isinstance(config, Config) and config == parse_config(default_config_data())
    assert not (tmp_path / "config.toml.bak").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]  # no temporary left behind


def test_write_config_keeps_the_previous_file_as_bak(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_config_text(), encoding="utf-8")
    changed = data()
    changed["scoring"]["mql_threshold"] = 60
    backup = write_config(path, changed)
    assert backup == tmp_path / "config.toml.bak"
    assert backup.read_text(encoding="utf-8") == default_config_text()  # comments and all
    assert load_config(path).scoring.mql_threshold == 60


def test_write_config_refuses_invalid_data_and_leaves_the_file_alone(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(default_config_text(), encoding="utf-8")
    bad = data()
    bad["reps"][1]["manager"] = "nobody"
    with pytest.raises(ConfigError) as caught:
        write_config(path, bad)
    assert caught.value.problems == [("reps[1].manager", "'nobody' is not a rep (reps: dana, alice, bob)")]
    assert path.read_text(encoding="utf-8") == default_config_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["config.toml"]
