"""Lead scores (SPEC §2 "Rule semantics"): fit + decayed behaviour, tiers and the MQL bar.

Two entry points share one evaluation:
- ``evaluate`` is the worker's fast path over per-rule event counts the store aggregates in SQL;
- ``explain`` takes a lead's fields and events and also says which rule fired on what (drivers).
Instants are epoch seconds (UTC) here, because the worker scores a hundred thousand leads at once.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from itertools import repeat
from operator import add, mul
from typing import Any

from leadterm.config.schema import BehaviourRule, DisqualifyRule, FieldMatch, Scoring, Tiers
from leadterm.engine.matching import column_matches, field_column, field_matches, field_value, matches_nowhere
from leadterm.engine.values import each_distinct, event_type

__all__ = ["Activity", "CompiledDecay", "CompiledRule", "Evaluation", "Driver", "EventFact", "Score", "ScoringModel"]

_DAY = 86400


@dataclass(frozen=True, slots=True)
class Activity:
    """What scoring needs to know of a lead's events at one ``now``.

    ``counts[i]`` is the number of events behaviour rule ``i`` counts: events of its type at or
    before now, and for a threshold rule only those in its window (``ScoringModel.window_starts``).
    ``window_first[i]`` is the earliest of those events (used to know when a window empties).
    """

    counts: tuple[int, ...]
    window_first: tuple[int | None, ...]
    last_event_at: int | None
    """Latest event of any type at or before now."""
    next_event_at: int | None
    """Earliest event after now: the score changes when it arrives."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    points: int
    fit_points: int
    behaviour_points: int
    """Behaviour sum before decay."""
    decayed_points: int
    """round_half_up(behaviour × multiplier)."""
    multiplier: Fraction
    decay_days: float | None
    """The decay step applied (its after_days), or None."""
    tier1: bool
    """A ``tier = 1`` rule fired."""
    next_change_at: int | None
    """The next moment the score can change with time alone, or None."""


@dataclass(frozen=True, slots=True)
class EventFact:
    type: str
    occurred_at: int
    detail: str = ""


@dataclass(frozen=True)
class Driver:
    rule: str
    points: int
    kind: str
    """``fit``, ``behaviour`` or ``decay``."""
    evidence: str = ""
    """The field value that matched, or why decay applies."""
    events: tuple[EventFact, ...] = ()
    """The events that made a behaviour rule fire."""
    tier1: bool = False


@dataclass(frozen=True)
class Score:
    evaluation: Evaluation
    drivers: tuple[Driver, ...]
    disqualifier: DisqualifyRule | None

    @property
    def points(self) -> int:
        return self.evaluation.points


@dataclass(frozen=True, slots=True)
class CompiledRule:
    """A behaviour rule in whole seconds. A threshold rule counts events with
    ``now - span <= occurred_at <= now``; such an event leaves the window at ``occurred_at + span + 1``."""

    event: str
    points: int
    cap: int | None
    at_least: int | None
    span: int | None  # threshold rules only: floor(within_days × 86400)
    tier1: bool


@dataclass(frozen=True, slots=True)
class CompiledDecay:
    after: int
    """Seconds since the latest event from which the step applies: ceil(after_days × 86400)."""
    days: float
    multiplier: Fraction


def _round_half_up(value: Fraction) -> int:
    return math.floor(value + Fraction(1, 2))


class ScoringModel:
    """The scoring part of config.toml, compiled for speed."""

    def __init__(self, scoring: Scoring, tiers: Tiers) -> None:
        self.config = scoring
        self._fit: list[tuple[Any, dict[Any, bool]]] = [(rule, {}) for rule in scoring.fit]
        self._disqualify: list[tuple[Any, dict[Any, bool]]] = [(rule, {}) for rule in scoring.disqualify]
        self.threshold = scoring.mql_threshold
        self.tier2_min = tiers.tier2_min_score
        self.rules: tuple[BehaviourRule, ...] = scoring.behaviour
        self.compiled = tuple(
            CompiledRule(
                event_type(rule.event.strip()),  # whatever their case and however their accents are written
                rule.points,
                rule.max_times,
                rule.at_least,
                None if rule.within_days is None else math.floor(rule.within_days * _DAY),
                rule.tier == 1,
            )
            for rule in scoring.behaviour
        )
        # ascending; the multiplier as an exact fraction of its decimal spelling (0.3 is 3/10)
        self.decay = tuple(
            CompiledDecay(math.ceil(step.after_days * _DAY), step.after_days, Fraction(repr(float(step.multiplier))))
            for step in scoring.decay
        )

    # -- what the store must count ------------------------------------------------------------
    def window_starts(self, now: int) -> tuple[int | None, ...]:
        """Per behaviour rule, the earliest event time it counts (None: no lower bound)."""
        return tuple(None if rule.span is None else now - rule.span for rule in self.compiled)

    def tally(self, events: Iterable[EventFact], now: int) -> Activity:
        """The Activity of a list of events (what the store computes in SQL)."""
        starts = self.window_starts(now)
        counts = [0] * len(self.compiled)
        firsts: list[int | None] = [None] * len(self.compiled)
        last = upcoming = None
        for event in events:
            at = event.occurred_at
            if at > now:
                upcoming = at if upcoming is None else min(upcoming, at)
                continue
            last = at if last is None else max(last, at)
            kind = event_type(event.type)
            for index, rule in enumerate(self.compiled):
                if rule.event == kind and (starts[index] is None or at >= starts[index]):
                    counts[index] += 1
                    first = firsts[index]
                    firsts[index] = at if first is None else min(first, at)
        return Activity(tuple(counts), tuple(firsts), last, upcoming)

    # -- the rules ----------------------------------------------------------------------------
    def fit_points(self, fields: Mapping[str, Any]) -> int:
        points = 0
        for rule, memo in self._fit:
            if self._matches(rule.match, memo, fields):
                points += rule.points
        return points

    def disqualifier(self, fields: Mapping[str, Any]) -> DisqualifyRule | None:
        for rule, memo in self._disqualify:
            if self._matches(rule.match, memo, fields):
                return rule
        return None

    def fit_columns(self, columns: Mapping[str, Sequence[Any]], count: int) -> tuple[list[int], list[str | None]]:
        """``fit_points`` and the name of the ``disqualifier`` of ``count`` leads given column by
        column (``columns`` holds the fields by name, form answers as ``form.<column>``; a blank
        may be None or ""): each rule meets each distinct value once."""
        points: list[int] | None = None
        for rule, memo in self._fit:
            hits = self._column_matches(rule.match, memo, columns, count)
            if True in hits:
                earned = map(mul, hits, repeat(rule.points))  # a hit is 1
                points = list(earned if points is None else map(add, points, earned))
        names: list[str | None] = [None] * count
        for rule, memo in reversed(self._disqualify):  # the first rule that matches is the one
            hits = self._column_matches(rule.match, memo, columns, count)
            if True in hits:
                name = rule.name
                names = [name if hit else before for before, hit in zip(names, hits)]
        return [0] * count if points is None else points, names

    @staticmethod
    def _column_matches(match: FieldMatch, memo: dict[Any, bool], columns: Mapping[str, Sequence[Any]],
                        count: int) -> list[bool]:
        if match.field in columns:  # a column whose values were all met before: one lookup pass, no search
            try:
                return list(map(memo.__getitem__, columns[match.field]))
            except KeyError:
                pass
        if matches_nowhere(match, columns):
            return [False] * count
        column = field_column(columns, match.field, count)

        def tested(values: set[Any]) -> dict[Any, bool]:
            distinct = list(values)
            hits = column_matches(match, distinct)
            if hits is None:
                hits = [field_matches(match, {match.field: value}) for value in distinct]
            return dict(zip(distinct, hits))

        return each_distinct(column, tested, memo, together=True)

    @staticmethod
    def _matches(match: FieldMatch, memo: dict[Any, bool], fields: Mapping[str, Any]) -> bool:
        """field_matches, remembered per rule and value: an import of 100,000 leads meets the
        same titles, sizes and industries over and over."""
        value = field_value(fields, match.field)
        try:
            return memo[value]
        except KeyError:
            if len(memo) > 50_000:
                memo.clear()
            result = memo[value] = field_matches(match, fields)
            return result
        except TypeError:  # a value that cannot be a key (never from the store, but be safe)
            return field_matches(match, fields)

    def evaluate(self, fit_points: int, activity: Activity, now: int) -> Evaluation:
        behaviour = 0
        tier1 = False
        next_change = activity.next_event_at
        counts, firsts = activity.counts, activity.window_first
        for index, rule in enumerate(self.compiled):
            count = counts[index]
            if not count:
                continue
            if rule.span is not None:
                if count >= rule.at_least:  # type: ignore[operator]
                    behaviour += rule.points
                    tier1 = tier1 or rule.tier1
                    # the first moment the oldest counted event is out of the window
                    leaves = firsts[index] + rule.span + 1  # type: ignore[operator]
                    if next_change is None or leaves < next_change:
                        next_change = leaves
            else:
                behaviour += rule.points * (count if rule.cap is None else min(count, rule.cap))
                tier1 = tier1 or rule.tier1
        multiplier = Fraction(1)
        decay_days = None
        decayed = behaviour
        last = activity.last_event_at
        if behaviour and last is not None and self.decay:
            age = now - last
            for step in self.decay:
                if age >= step.after:
                    multiplier, decay_days = step.multiplier, step.days
                else:
                    starts = last + step.after
                    if next_change is None or starts < next_change:
                        next_change = starts
                    break
            if decay_days is not None:
                decayed = _round_half_up(behaviour * multiplier)
        return Evaluation(
            fit_points + decayed, fit_points, behaviour, decayed, multiplier, decay_days, tier1, next_change
        )

    def qualifies(self, evaluation: Evaluation) -> bool:
        return evaluation.tier1 or evaluation.points >= self.threshold

    def tier(self, evaluation: Evaluation) -> int:
        return self.tier_for(evaluation.points, evaluation.tier1)

    def tier_for(self, points: int, tier1: bool) -> int:
        """1 for a hand-raiser, 2 at or above tiers.tier2_min_score, else 3."""
        if tier1:
            return 1
        return 2 if points >= self.tier2_min else 3

    def mql_reason(self, points: int, tier1: bool) -> str:
        if tier1:
            return f"raised a hand (tier-1 action), score {points}"
        return f"score {points} reached the MQL bar of {self.threshold}"

    # -- explanation --------------------------------------------------------------------------
    def explain(self, fields: Mapping[str, Any], events: Sequence[EventFact], now: int) -> Score:
        """The score with its drivers; the drivers' points add up to the score."""
        drivers: list[Driver] = []
        fit = 0
        for rule in self.config.fit:
            if field_matches(rule.match, fields):
                fit += rule.points
                value = field_value(fields, rule.match.field)
                drivers.append(Driver(rule.name, rule.points, "fit", f"{rule.match.field} = {value}"))
        activity = self.tally(events, now)
        evaluation = self.evaluate(fit, activity, now)
        starts = self.window_starts(now)
        for index, (config_rule, rule) in enumerate(zip(self.rules, self.compiled)):
            count = activity.counts[index]
            if not count or (rule.span is not None and count < rule.at_least):  # type: ignore[operator]
                continue
            fired = sorted(
                (
                    event
                    for event in events
                    if event_type(event.type) == rule.event
                    and event.occurred_at <= now
                    and (starts[index] is None or event.occurred_at >= starts[index])
                ),
                key=lambda event: event.occurred_at,
            )
            if rule.span is not None:
                points = rule.points
                evidence = f"{count} × {rule.event} in the last {_days(config_rule.within_days)} days"
            else:
                counted = count if rule.cap is None else min(count, rule.cap)
                points = rule.points * counted
                fired = fired[-counted:]
                evidence = f"{counted} × {rule.event}" + (
                    f" (of {count}, counted at most {rule.cap})" if counted < count else ""
                )
            if points or rule.tier1:
                drivers.append(
                    Driver(config_rule.name, points, "behaviour", evidence, tuple(fired), rule.tier1)
                )
        if evaluation.decayed_points != evaluation.behaviour_points:
            idle = (now - activity.last_event_at) / _DAY  # type: ignore[operator]
            drivers.append(
                Driver(
                    f"Decay ×{float(evaluation.multiplier):g}",
                    evaluation.decayed_points - evaluation.behaviour_points,
                    "decay",
                    f"no activity for {idle:.0f} days (from {_days(evaluation.decay_days)} days)",
                )
            )
        return Score(evaluation, tuple(drivers), self.disqualifier(fields))


def _days(value: float | None) -> str:
    return f"{value:g}" if value is not None else "?"
