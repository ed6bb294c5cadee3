"""Metrics, calibration and the weekly report: what the joint marketing–sales review reads."""

from __future__ import annotations

import csv
import io
import re
import tomllib
from datetime import datetime, timedelta
from typing import Any

from leadterm.config import ConfigError, write_config
from leadterm.engine.text import visible
from leadterm.engine.values import to_spreadsheet
from leadterm.engine.metrics import TARGETS, compute_metrics, score_bands, suggest_threshold
from leadterm.engine.times import InstantError, parse_instant, to_iso
from leadterm.service.context import Context
from leadterm.service.errors import Invalid, Refused
from leadterm.store import facts, journal, write

__all__ = ["period", "metrics", "calibrate", "report"]


def period(context: Context, since: str | None, until: str | None, default_days: int) -> tuple[datetime, datetime]:
    """[since, until): ISO dates are midnight in the calendar's zone; defaults end now."""
    zone = context.config.calendar.zone
    try:
        end = parse_instant(until, zone) if until else context.now()
        start = parse_instant(since, zone) if since else end - timedelta(days=default_days)
    except InstantError as error:
        raise Invalid(f"--since/--until: {error}") from error
    if start >= end:
        raise Invalid(f"--since ({to_iso(start)}) must be before --until ({to_iso(end)})")
    return start, end


def metrics(context: Context, since: datetime, until: datetime) -> dict[str, Any]:
    result = compute_metrics(
        since, until, context.now(),
        facts.decisions(since, until), facts.assignments(since, until),
        facts.mqls(since, until), facts.rejects(since, until),
    )
    return {"since": to_iso(since), "until": to_iso(until), **result}


def calibrate(context: Context, since: datetime, until: datetime, apply: bool) -> dict[str, Any]:
    """The MQL threshold the score bands suggest; ``apply`` writes it to config.toml (team lead)."""
    current = context.config.scoring.mql_threshold
    target = TARGETS["mql_to_opportunity"]["min"]
    bands = score_bands(facts.mqls(since, until))
    suggested, why = suggest_threshold(bands, current, target)
    result: dict[str, Any] = {
        "since": to_iso(since), "until": to_iso(until), "current": current, "suggested": suggested,
        "target_conversion": target, "reason": why, "bands": bands, "applied": False,
    }
    if not apply:
        return result
    rep = context.acting_rep()
    if not rep.is_lead:
        raise Refused(f"only a team lead may change the config; {rep.handle} is a rep")
    if suggested is None or suggested == current:
        return result
    path = context.config.path
    if path is None:  # pragma: no cover - a loaded config always has its path
        raise Invalid("no config file to write")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise Invalid(f"{path}: cannot be read again to change it ({error})") from error
    data["scoring"]["mql_threshold"] = suggested
    try:
        backup = write_config(path, data)
    except ConfigError as error:
        raise Invalid(str(error)) from error
    with write():
        journal.record(None, context.now(), rep.handle, "config",
                       f"scoring.mql_threshold {current} → {suggested} (calibrate)", None,
                       {"key": "scoring.mql_threshold", "from": current, "to": suggested,
                        "backup": str(backup) if backup else None})
    result["applied"] = True
    return result


def _percent(value: float | None) -> str:
    return "–" if value is None else f"{value:.0%}"


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}h {rest // 60:02d}m"


def _target_text(name: str) -> str:
    target = TARGETS[name]
    if name == "avg_response_seconds":
        return f"< {_duration(target['max'])}"
    if "max" in target:
        return f"{target['min']:.0%}–{target['max']:.0%}"
    return f"> {target['min']:.0%}"


def report(context: Context, since: datetime, until: datetime, fmt: str) -> str:
    data = metrics(context, since, until)
    rows: list[tuple[str, str, str, str]] = []
    headline = [
        ("Acceptance rate", "acceptance_rate", _percent(data["acceptance_rate"])),
        ("Average response time", "avg_response_seconds", _duration(data["avg_response_seconds"])),
        ("SLA compliance (first touch)", "sla_compliance", _percent(data["sla_compliance"])),
        ("MQL → opportunity", "mql_to_opportunity", _percent(data["mql_to_opportunity"])),
    ]
    for label, key, value in headline:
        rows.append(("summary", label, value, _target_text(key)))
    for tier in ("1", "2", "3"):
        value = data["sla_compliance_by_tier"][tier]
        target = _target_text(f"sla_compliance_tier_{tier}") if tier != "3" else ""
        rows.append(("SLA by tier", f"tier {tier}", _percent(value), target))
    for section, key in (("by rep", "by_rep"), ("by tier", "by_tier"), ("by source", "by_source")):
        for name, part in data[key].items():
            rows.append((section, name, f"acceptance {_percent(part['acceptance_rate'])}, "
                         f"response {_duration(part['avg_response_seconds'])}, SLA {_percent(part['sla_compliance'])}, "
                         f"MQL→opp {_percent(part['mql_to_opportunity'])} of {part['mqls']}", ""))
    for item in data["rejection_reasons"]:
        rows.append(("rejection reasons", item["label"], str(item["count"]), ""))
    for item in data["conversion_by_response_time"]:
        rows.append(("conversion by response time", item["bucket"], f"{_percent(item['rate'])} of {item['leads']}", ""))
    for item in data["conversion_by_score_band"]:
        rows.append(("conversion by score band", item["band"], f"{_percent(item['rate'])} of {item['mqls']}", ""))
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["section", "item", "value", "target"])
        # outside text is shown, never obeyed: no control character reaches a terminal, no formula a sheet
        writer.writerows([[to_spreadsheet(visible(cell)) for cell in row] for row in rows])
        return buffer.getvalue()
    lines = [f"# Lead handoff report, {data['since'][:10]} to {data['until'][:10]}", ""]
    section = None
    for name, item, value, target in rows:
        if name != section:
            section = name
            lines += ["", f"## {name[0].upper()}{name[1:]}", "", "| | value | target |", "|---|---|---|"]
        lines.append(f"| {_md(item)} | {_md(value)} | {target} |")
    return "\n".join(lines).replace("\n\n\n", "\n\n") + "\n"


_BREAKS = re.compile(r"\r\n|[\r\n\u2028\u2029]")


def _md(text: str) -> str:
    """A table cell: pipes, line breaks (CR too) and control characters from outside text cannot
    break the table or reach the terminal as escape sequences."""
    text = visible(_BREAKS.sub(" ", text))
    return text.replace("|", "\\|")
