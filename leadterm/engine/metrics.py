"""The handoff metrics both teams trust (SPEC §2 "Metrics"), over a period [since, until).

Pure: the store hands in plain facts (decisions, assignments, MQLs, rejections) and ``now``.
Fractions are 0–1, or None when undefined (nothing to divide by).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

__all__ = [
    "Decision",
    "AssignmentFact",
    "MqlFact",
    "RejectFact",
    "TARGETS",
    "RESPONSE_BUCKETS",
    "compute_metrics",
    "suggest_threshold",
    "score_bands",
]

#: What good looks like; the board and the report compare with these.
TARGETS: dict[str, Any] = {
    "acceptance_rate": {"min": 0.50, "max": 0.70},
    "avg_response_seconds": {"max": 4 * 3600},
    "sla_compliance": {"min": 0.85},
    "sla_compliance_tier_1": {"min": 0.85, "max": 0.95},
    "sla_compliance_tier_2": {"min": 0.75, "max": 0.90},
    "mql_to_opportunity": {"min": 0.15, "max": 0.30},
}
#: Response-time buckets (upper bounds in seconds) for conversion to SQL.
RESPONSE_BUCKETS: tuple[tuple[str, float], ...] = (
    ("<5m", 5 * 60),
    ("5-30m", 30 * 60),
    ("30m-1h", 3600),
    ("1-4h", 4 * 3600),
    ("4-24h", 24 * 3600),
    (">24h", float("inf")),
)
OPPORTUNITY_STAGES = frozenset({"sql", "won", "lost"})


@dataclass(frozen=True)
class Decision:
    """An accept (or a first touch that accepted) or a reject from ``mql``."""

    at: datetime
    accepted: bool
    rep: str | None
    tier: int | None
    source: str | None


@dataclass(frozen=True)
class AssignmentFact:
    lead_id: int
    rep: str
    tier: int | None
    source: str | None
    assigned_at: datetime
    first_touch_due: datetime | None
    first_touch_at: datetime | None
    ended_at: datetime | None
    stage_now: str


@dataclass(frozen=True)
class MqlFact:
    lead_id: int
    at: datetime
    score: int | None
    """The score when it became an MQL."""
    tier: int | None
    source: str | None
    rep: str | None
    """Who holds it now, or held it last."""
    stage_now: str


@dataclass(frozen=True)
class RejectFact:
    at: datetime
    reason: str
    label: str
    from_stage: str


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _in(at: datetime | None, since: datetime, until: datetime) -> bool:
    return at is not None and since <= at < until


def _sla_outcome(fact: AssignmentFact, now: datetime) -> bool | None:
    """True met, False missed, None no first-touch SLA yet or at all: it ended untouched
    before its deadline, or the deadline has not passed (a touch at the deadline still meets it)."""
    due = fact.first_touch_due
    if due is None:
        return None
    if fact.first_touch_at is not None:
        return fact.first_touch_at <= due
    if fact.ended_at is not None and fact.ended_at <= due:
        return None
    return False if now > due else None


def _core(
    decisions: Sequence[Decision],
    touched: Sequence[AssignmentFact],
    sla: Sequence[tuple[AssignmentFact, bool]],
    mqls: Sequence[MqlFact],
) -> dict[str, Any]:
    accepted = sum(1 for decision in decisions if decision.accepted)
    met = sum(1 for _, outcome in sla if outcome)
    responses = [(fact.first_touch_at - fact.assigned_at).total_seconds() for fact in touched]  # type: ignore[operator]
    return {
        "acceptance_rate": _ratio(accepted, len(decisions)),
        "accepted": accepted,
        "rejected": len(decisions) - accepted,
        "avg_response_seconds": sum(responses) / len(responses) if responses else None,
        "first_touches": len(responses),
        "sla_compliance": _ratio(met, len(sla)),
        "sla_met": met,
        "sla_missed": len(sla) - met,
        "mql_to_opportunity": _ratio(sum(1 for m in mqls if m.stage_now in OPPORTUNITY_STAGES), len(mqls)),
        "mqls": len(mqls),
    }


def _breakdown(
    key: Callable[[Any], Any],
    decisions: Sequence[Decision],
    touched: Sequence[AssignmentFact],
    sla: Sequence[tuple[AssignmentFact, bool]],
    mqls: Sequence[MqlFact],
) -> dict[str, Any]:
    groups: dict[str, list[list[Any]]] = defaultdict(lambda: [[], [], [], []])
    for decision in decisions:
        groups[str(key(decision))][0].append(decision)
    for fact in touched:
        groups[str(key(fact))][1].append(fact)
    for fact, outcome in sla:
        groups[str(key(fact))][2].append((fact, outcome))
    for mql in mqls:
        groups[str(key(mql))][3].append(mql)
    return {name: _core(*parts) for name, parts in sorted(groups.items())}


def score_bands(mqls: Iterable[MqlFact]) -> list[dict[str, Any]]:
    """Conversion to SQL (or later) by the score at MQL time, in bands of ten points."""
    bands: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for mql in mqls:
        if mql.score is None:
            continue
        band = (mql.score // 10) * 10
        bands[band][0] += 1
        bands[band][1] += mql.stage_now in OPPORTUNITY_STAGES
    return [
        {"band": f"{low}-{low + 9}", "min": low, "mqls": n, "converted": k, "rate": _ratio(k, n)}
        for low, (n, k) in sorted(bands.items())
    ]


def compute_metrics(
    since: datetime,
    until: datetime,
    now: datetime,
    decisions: Iterable[Decision],
    assignments: Iterable[AssignmentFact],
    mqls: Iterable[MqlFact],
    rejects: Iterable[RejectFact],
) -> dict[str, Any]:
    decisions = [d for d in decisions if _in(d.at, since, until)]
    assignments = list(assignments)
    touched = [a for a in assignments if _in(a.first_touch_at, since, until)]
    horizon = min(until, now + timedelta(seconds=1))  # deadlines still ahead have not fallen due
    sla = [
        (a, outcome)
        for a in assignments
        if _in(a.first_touch_due, since, horizon) and (outcome := _sla_outcome(a, now)) is not None
    ]
    # a lead that became an MQL twice in the period counts once, with its latest score
    mqls = list({m.lead_id: m for m in sorted(mqls, key=lambda m: m.at) if _in(m.at, since, until)}.values())
    result = _core(decisions, touched, sla, mqls)
    by_tier_sla = {
        tier: _ratio(sum(1 for a, ok in sla if a.tier == tier and ok), sum(1 for a, _ in sla if a.tier == tier))
        for tier in (1, 2, 3)
    }
    result["sla_compliance_by_tier"] = {str(tier): value for tier, value in by_tier_sla.items()}
    result["by_rep"] = _breakdown(lambda x: x.rep, decisions, touched, sla, mqls)
    result["by_tier"] = _breakdown(lambda x: x.tier, decisions, touched, sla, mqls)
    result["by_source"] = _breakdown(lambda x: x.source or "(none)", decisions, touched, sla, mqls)
    reasons = Counter((r.reason, r.label) for r in rejects if _in(r.at, since, until))
    result["rejection_reasons"] = [
        {"reason": reason, "label": label, "count": count} for (reason, label), count in reasons.most_common()
    ]
    buckets: dict[str, list[int]] = {name: [0, 0] for name, _ in RESPONSE_BUCKETS}
    for fact in touched:
        seconds = (fact.first_touch_at - fact.assigned_at).total_seconds()  # type: ignore[operator]
        name = next(name for name, upper in RESPONSE_BUCKETS if seconds < upper)
        buckets[name][0] += 1
        buckets[name][1] += fact.stage_now in OPPORTUNITY_STAGES
    result["conversion_by_response_time"] = [
        {"bucket": name, "leads": n, "converted": k, "rate": _ratio(k, n)} for name, (n, k) in buckets.items()
    ]
    result["conversion_by_score_band"] = score_bands(mqls)
    result["targets"] = TARGETS
    return result


def suggest_threshold(
    bands: Sequence[dict[str, Any]], current: int, target: float = 0.15, min_mqls: int = 5
) -> tuple[int | None, str]:
    """The lowest band edge from which every band (with enough MQLs) converts at ``target`` or
    better; (None, why) when the data cannot say."""
    counted = [band for band in bands if band["mqls"] >= min_mqls]
    if len(counted) < 2:
        return None, f"not enough data: fewer than two score bands with {min_mqls} or more MQLs"
    suggestion = None
    for band in sorted(counted, key=lambda band: band["min"], reverse=True):
        if band["rate"] is not None and band["rate"] >= target:
            suggestion = band["min"]
        else:
            break
    if suggestion is None:
        return None, f"no score band converts to SQL at {target:.0%} or better"
    if suggestion == current:
        return suggestion, "the current threshold matches the bands"
    direction = "raise" if suggestion > current else "lower"
    return suggestion, f"{direction} to {suggestion}: bands from {suggestion} up convert at {target:.0%} or better"
