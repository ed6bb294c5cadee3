"""A rep's commands: queue, show, accept, reject, touch, qualify, close."""

from __future__ import annotations

from typing import Any

import click

from leadterm.cli.common import clean, common_options, echo, emit_json, handle_errors, json_option, local_time, session
from leadterm.engine.identity import EmailError, lead_ref
from leadterm.engine.times import parse_instant
from leadterm.service import actions, views
from leadterm.service.actions import Outcome
from leadterm.service.context import Context
from leadterm.service.errors import Refused

__all__ = ["register"]


def _ref(text: str) -> int | str:
    try:
        return lead_ref(text)
    except EmailError:
        raise Refused(f"no lead {text!r} (a LEAD is its id or its email)") from None


def format_countdown(seconds: int | None) -> str:
    if seconds is None:
        return "-"
    sign = "-" if seconds < 0 else ""
    left = abs(seconds)
    days, rest = divmod(left, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours:02d}h"
    if hours:
        return f"{sign}{hours}h {minutes:02d}m"
    return f"{sign}{minutes}m {secs:02d}s"


def _print_queue(rows: list[dict[str, Any]], everyone: bool) -> None:
    if not rows:
        echo("The queue is empty.")
        return
    header = f"{'ID':>6}  T  {'STAGE':<5}  {'DUE IN':>9}  {'SLA':<8}  {'SCORE':>5}  "
    header += f"{'OWNER':<10}  " if everyone else ""
    echo(header + "LEAD")
    for row in rows:
        line = (
            f"{row['id']:>6}  {row['tier'] or '-'}  {row['stage']:<5}  {format_countdown(row['seconds_left']):>9}  "
            f"{(row['sla_state'] or '-'):<8}  {row['score']:>5}  "
        )
        if everyone:
            line += f"{clean(row['owner'] or 'unassigned'):<10}  "
        who = clean(row["name"] or row["email"])
        if row["company"]:
            who += f" ({clean(row['company'])})"
        echo(line + who)


def _print_brief(context: Context, data: dict[str, Any]) -> None:
    zone = context.config.calendar.zone

    def when(text: str | None) -> str:
        return local_time(context, parse_instant(text, zone)) if text else "-"

    named = f"{clean(data['name'])} <{clean(data['email'])}>" if data["name"] else clean(data["email"])
    echo(f"Lead {data['id']}: {named}")
    for label, key in (("Company", "company"), ("Title", "title"), ("Industry", "industry"),
                       ("Size", "company_size"), ("Country", "country"), ("Phone", "phone"), ("Source", "source")):
        if data.get(key) not in (None, ""):
            echo(f"  {label + ':':<10} {clean(data[key])}")
    if data["created_at"]:
        echo(f"  Created:   {when(data['created_at'])}")
    echo(f"  Stage:     {data['stage']}" + (f" ({clean(data['stage_reason'])})" if data["stage_reason"] else ""))
    echo(f"  Tier:      {data['tier'] or '-'}    Owner: {data['owner'] or '-'}")
    basis = views.score_basis(data)
    echo(f"  Score:     {data['score']}" + (f" ({basis})" if basis else ""))
    for driver in data["drivers"]:
        echo(f"    {driver['points']:+5d}  {clean(driver['rule'])}: {clean(driver['evidence'])}")
    if data["disqualifier"]:
        echo(f"  Disqualify rule: {clean(data['disqualifier'])}")
    if data["deadline"]:
        echo(f"  Countdown: {data['clock']} due {when(data['deadline'])} "
             f"({format_countdown(data['seconds_left'])}, {data['sla_state']}, escalation level {data['escalation_level']})")
    deadlines = data["deadlines"]
    echo("  Deadlines: " + (", ".join(f"{name} {when(value)}" for name, value in deadlines.items() if value) or "none"))
    if data["form"]:
        echo("Form answers:")
        for key, value in data["form"].items():
            echo(f"  {clean(key)}: {clean(value)}")
    echo(f"Events ({len(data['events'])}):")
    for event in data["events"][-20:]:
        echo(f"  {when(event['occurred_at'])}  {clean(event['type'])}  {clean(event['detail'])}")
    echo(f"Touches ({len(data['touches'])}):")
    for item in data["touches"]:
        note = f" — {clean(item['note'])}" if item["note"] else ""
        echo(f"  {when(item['at'])}  {item['rep']}  {item['channel']}: {item['outcome']}{note}")
    echo("History:")
    for entry in data["history"]:
        level = f" (level {entry['level']})" if "level" in entry else ""
        reason = f": {clean(entry['reason'])}" if entry["reason"] else ""
        echo(f"  {when(entry['at'])}  {entry['actor']}  {entry['action']}{level}{reason}")


def _report(outcome: Outcome, context: Context, as_json: bool) -> None:
    if as_json:
        lead = outcome.lead
        emit_json({"ok": True, "message": outcome.message,
                   "lead": views.queue_row(context, lead) if lead is not None else None})
    else:
        echo(clean(outcome.message))


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--all", "everyone", is_flag=True, help="Everyone's open leads (team lead).")
    @json_option
    @common_options
    @handle_errors
    def queue(everyone: bool, as_json: bool, **options: Any) -> None:
        """The acting rep's queue: tier, then SLA deadline."""
        context = session(**options)
        rows = views.queue(context, everyone)
        emit_json(rows) if as_json else _print_queue(rows, everyone)

    @main.command()
    @click.argument("lead")
    @json_option
    @common_options
    @handle_errors
    def show(lead: str, as_json: bool, **options: Any) -> None:
        """The lead brief: contact, score drivers, deadlines, events, touches, history."""
        context = session(**options)
        data = views.brief(context, _ref(lead))
        emit_json(data) if as_json else _print_brief(context, data)

    @main.command()
    @click.argument("lead")
    @json_option
    @common_options
    @handle_errors
    def accept(lead: str, as_json: bool, **options: Any) -> None:
        """Accept an MQL (mql → sal)."""
        context = session(**options)
        _report(actions.accept(context, _ref(lead)), context, as_json)

    @main.command()
    @click.argument("lead")
    @click.option("--reason", required=True, help="A reason code from [reasons].")
    @click.option("--note", default=None, help="Free text for the history.")
    @json_option
    @common_options
    @handle_errors
    def reject(lead: str, reason: str, note: str | None, as_json: bool, **options: Any) -> None:
        """Reject or recycle a lead; the reason decides where it goes."""
        context = session(**options)
        _report(actions.reject(context, _ref(lead), reason, note), context, as_json)

    @main.command()
    @click.argument("lead")
    @click.option("--channel", required=True, type=click.Choice(actions.CHANNELS))
    @click.option("--outcome", required=True, type=click.Choice(actions.OUTCOMES))
    @click.option("--note", default=None)
    @json_option
    @common_options
    @handle_errors
    def touch(lead: str, channel: str, outcome: str, note: str | None, as_json: bool, **options: Any) -> None:
        """Log a touch (accepts an unaccepted MQL first)."""
        context = session(**options)
        _report(actions.touch(context, _ref(lead), channel, outcome, note), context, as_json)

    @main.command()
    @click.argument("lead")
    @json_option
    @common_options
    @handle_errors
    def qualify(lead: str, as_json: bool, **options: Any) -> None:
        """Budget, authority, need and timeline confirmed (sal → sql)."""
        context = session(**options)
        _report(actions.qualify(context, _ref(lead)), context, as_json)

    @main.command()
    @click.argument("lead")
    @click.option("--won", "won", flag_value=True, default=None, help="The opportunity was won.")
    @click.option("--lost", "won", flag_value=False, help="The opportunity was lost (needs --reason).")
    @click.option("--reason", default=None)
    @json_option
    @common_options
    @handle_errors
    def close(lead: str, won: bool | None, reason: str | None, as_json: bool, **options: Any) -> None:
        """Close an opportunity (sql → won / lost)."""
        if won is None:
            raise click.UsageError("say --won or --lost")
        context = session(**options)
        _report(actions.close(context, _ref(lead), won, reason), context, as_json)
