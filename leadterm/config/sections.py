"""Reading the [calendar] and [scoring] sections of config.toml: the clock and the scoring model."""

from __future__ import annotations

import re
from datetime import date, datetime

from leadterm.config.schema import (
    LEAD_FIELDS,
    BehaviourRule,
    Calendar,
    DecayStep,
    DisqualifyRule,
    FieldMatch,
    FitRule,
    Scoring,
)
from leadterm.config.values import Table, key_path, show
from leadterm.engine.values import composed

__all__ = ["DAYS", "read_calendar", "read_scoring"]

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_INTERVAL = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MATCH_KEYS = ("contains_any", "in", "min", "max")
_FIT_KEYS = ("name", "field", "points", *_MATCH_KEYS)
_BEHAVIOUR_KEYS = ("name", "event", "points", "max_times", "at_least", "within_days", "tier")
_DECAY_KEYS = ("after_days", "multiplier")
_DISQUALIFY_KEYS = ("name", "field", *_MATCH_KEYS, "reason")
_FIELD_EXPECTED = f"one of {', '.join(LEAD_FIELDS)} or form.<column>"


# -- calendar ---------------------------------------------------------------------------------
def read_calendar(t: Table) -> Calendar | None:
    mark = len(t.problems)
    timezone = t.zone("timezone")
    hours = _read_hours(t)
    holidays = _read_holidays(t)
    if len(t.problems) > mark or timezone is None or hours is None:
        return None
    return Calendar(timezone=timezone, hours=hours, holidays=holidays)


def _minute(hours: str, minutes: str, *, end: bool) -> int | None:
    h, m = int(hours), int(minutes)
    if m > 59 or h > 24 or (h == 24 and (m or not end)):  # 24:00 only closes a day
        return None
    return h * 60 + m


def _read_hours(t: Table) -> tuple[tuple[tuple[int, int], ...], ...] | None:
    table = t.table("hours", DAYS, expected='a table of weekday = ["HH:MM-HH:MM", ...]')
    if table is None:
        return None
    mark = len(t.problems)
    week = tuple(
        _read_day(table, day, table.texts(day, normalise=False, allow_empty=True) or ())
        for day in DAYS
    )
    if len(t.problems) > mark:
        return None
    if not any(week):
        t.problems.add(table.path, 'no working hours in the week (give a day such as mon = ["09:00-17:00"])')
        return None
    return week


def _read_day(table: Table, day: str, texts: tuple[str, ...]) -> tuple[tuple[int, int], ...]:
    spans: list[tuple[int, int]] = []
    previous = ""
    for index, text in enumerate(texts):
        path = key_path(table.at(day), index)
        found = _INTERVAL.fullmatch(text.strip())
        start = _minute(found[1], found[2], end=False) if found else None
        end = _minute(found[3], found[4], end=True) if found else None
        if start is None or end is None:
            table.problems.add(path, f'expected "HH:MM-HH:MM" (24-hour; the end may be 24:00), got {text!r}')
        elif start >= end:
            table.problems.add(path, f"the start must be before the end, got {text!r}")
        elif spans and start < spans[-1][0]:
            table.problems.add(path, f"{text!r} comes before {previous!r}: list a day's intervals in order")
        elif spans and start < spans[-1][1]:
            table.problems.add(path, f"{text!r} overlaps {previous!r}")
        else:
            spans.append((start, end))
            previous = text
    return tuple(spans)


def _read_holidays(t: Table) -> frozenset[date]:
    expected = 'an array of dates ("YYYY-MM-DD")'
    value = t.data.get("holidays", [])
    if not isinstance(value, list):
        t.wrong("holidays", expected, value)
        return frozenset()
    days: set[date] = set()
    for index, item in enumerate(value):
        path = key_path(t.at("holidays"), index)
        if isinstance(item, date) and not isinstance(item, datetime):  # a TOML local date
            days.add(item)
        elif isinstance(item, str) and _ISO_DATE.fullmatch(item.strip()):
            try:
                days.add(date.fromisoformat(item.strip()))
            except ValueError:
                t.problems.add(path, f"no such date: {item!r}")
        else:
            t.problems.add(path, f'expected a date ("YYYY-MM-DD"), got {show(item)}')
    return frozenset(days)


# -- scoring ----------------------------------------------------------------------------------
def read_scoring(t: Table) -> Scoring | None:
    mark = len(t.problems)
    threshold = t.integer("mql_threshold")
    fit = [_fit_rule(r) for r in t.tables("fit", _FIT_KEYS) or ()]
    behaviour = [_behaviour_rule(r) for r in t.tables("behaviour", _BEHAVIOUR_KEYS) or ()]
    decay = _decay(t)
    disqualify = [_disqualify_rule(r) for r in t.tables("disqualify", _DISQUALIFY_KEYS) or ()]
    if len(t.problems) > mark or threshold is None:
        return None
    return Scoring(
        mql_threshold=threshold,
        fit=tuple(rule for rule in fit if rule is not None),
        behaviour=tuple(rule for rule in behaviour if rule is not None),
        decay=decay,
        disqualify=tuple(rule for rule in disqualify if rule is not None),
    )


def _valid_field(name: str) -> bool:
    return name in LEAD_FIELDS or (name.startswith("form.") and bool(name[5:].strip()))


def _field_match(r: Table) -> FieldMatch | None:
    """The field test shared by fit and disqualify rules."""
    mark = len(r.problems)
    name = r.text("field")
    if name is not None:  # composed, as imported form columns are (form.Prénom typed on a Mac)
        name = composed(name)
    if name is not None and not _valid_field(name):
        r.wrong("field", _FIELD_EXPECTED, name)
    contains_any = r.texts("contains_any")
    in_ = r.texts("in")
    low = r.number("min", required=False)
    high = r.number("max", required=False)
    if not any(r.has(key) for key in _MATCH_KEYS):
        r.problems.add(r.path, "needs at least one test: contains_any, in, min or max")
    if low is not None and high is not None and low > high:
        r.problems.add(r.at("min"), f"min ({low}) is greater than max ({high})")
    if len(r.problems) > mark or name is None:
        return None
    return FieldMatch(field=name, contains_any=contains_any, in_=in_, min=low, max=high)


def _fit_rule(r: Table) -> FitRule | None:
    name, match, points = r.text("name"), _field_match(r), r.integer("points")
    if name is None or match is None or points is None:
        return None
    return FitRule(name=name, match=match, points=points)


def _disqualify_rule(r: Table) -> DisqualifyRule | None:
    name, match, reason = r.text("name"), _field_match(r), r.text("reason")
    if name is None or match is None or reason is None:
        return None
    return DisqualifyRule(name=name, match=match, reason=reason)


def _behaviour_rule(r: Table) -> BehaviourRule | None:
    mark = len(r.problems)
    name, event, points = r.text("name"), r.text("event"), r.integer("points")
    max_times = r.integer("max_times", required=False, minimum=1)
    at_least = r.integer("at_least", required=False, minimum=1)
    within_days = r.number("within_days", required=False, low=0, exclusive=True)
    tier = r.data.get("tier")
    if r.has("tier") and (isinstance(tier, bool) or tier != 1 or not isinstance(tier, int)):
        r.wrong("tier", "1 (the only tier a rule sets: an explicit buying action)", tier)
    if r.has("at_least") != r.has("within_days"):
        # A threshold rule counts events inside a window: one without the other means nothing.
        present = "at_least" if r.has("at_least") else "within_days"
        r.problems.add(r.at(present), "at_least and within_days go together (a threshold rule)")
    if r.has("at_least") and r.has("max_times"):
        r.problems.add(r.at("max_times"), "a threshold rule (at_least) scores once, so it cannot have max_times")
    if len(r.problems) > mark or name is None or event is None or points is None:
        return None
    event = composed(event)  # composed, as imported types are (the engine folds their case)
    return BehaviourRule(name=name, event=event, points=points, max_times=max_times,
                         at_least=at_least, within_days=within_days, tier=tier)


def _decay(t: Table) -> tuple[DecayStep, ...]:
    steps: list[DecayStep] = []
    seen: dict[float, str] = {}
    for r in t.tables("decay", _DECAY_KEYS) or ():
        after = r.number("after_days", low=0)
        multiplier = r.number("multiplier", low=0, high=1)
        if multiplier is not None and round(multiplier, 4) != multiplier:
            # scores stay exact integers (in SQL too) with multipliers of a few decimals
            r.problems.add(r.at("multiplier"), f"expected at most 4 decimals (such as 0.3333), got {multiplier!r}")
            multiplier = None
        if after is not None and after in seen:
            r.problems.add(r.at("after_days"), f"{after} is already used by {seen[after]} (give each after_days once)")
        elif after is not None:
            seen[after] = r.path
        if after is not None and multiplier is not None:
            steps.append(DecayStep(after_days=after, multiplier=multiplier))
    # The engine picks the step with the largest after_days <= d, so keep them in order.
    return tuple(sorted(steps, key=lambda step: step.after_days))
