"""The review commands: metrics, calibrate, report."""

from __future__ import annotations

from typing import Any

import click

from leadterm.cli.common import clean, common_options, echo, emit_json, handle_errors, json_option, session
from leadterm.service import reports

__all__ = ["register"]

_PERIOD = [
    click.option("--since", default=None, metavar="T", help="Start (ISO date = midnight in the calendar's zone, or date-time)."),
    click.option("--until", default=None, metavar="T", help="End, exclusive (default: now)."),
]


def _period_options(function: Any) -> Any:
    for option in reversed(_PERIOD):
        function = option(function)
    return function


def _percent(value: float | None) -> str:
    return "-" if value is None else f"{value:.0%}"


def register(main: click.Group) -> None:
    @main.command()
    @_period_options
    @json_option
    @common_options
    @handle_errors
    def metrics(since: str | None, until: str | None, as_json: bool, **options: Any) -> None:
        """The handoff metrics over [since, until) (default: the last 30 days)."""
        context = session(**options)
        start, end = reports.period(context, since, until, default_days=30)
        data = reports.metrics(context, start, end)
        if as_json:
            emit_json(data)
            return
        echo(f"{data['since']} to {data['until']}")
        echo(f"  acceptance rate      {_percent(data['acceptance_rate']):>6}  ({data['accepted']} accepted, "
             f"{data['rejected']} rejected; target 50-70%)")
        seconds = data["avg_response_seconds"]
        echo(f"  avg response time    {'-' if seconds is None else f'{seconds / 3600:.1f}h':>6}  "
             f"({data['first_touches']} first touches; target < 4h)")
        echo(f"  SLA compliance       {_percent(data['sla_compliance']):>6}  ({data['sla_met']} met, "
             f"{data['sla_missed']} missed; target > 85%)")
        echo(f"  MQL -> opportunity   {_percent(data['mql_to_opportunity']):>6}  ({data['mqls']} MQLs; target 15-30%)")

    @main.command()
    @click.option("--apply", is_flag=True, help="Write the suggested threshold to config.toml (team lead).")
    @_period_options
    @json_option
    @common_options
    @handle_errors
    def calibrate(apply: bool, since: str | None, until: str | None, as_json: bool, **options: Any) -> None:
        """The MQL threshold the score bands suggest (default period: the last 180 days)."""
        context = session(**options)
        start, end = reports.period(context, since, until, default_days=180)
        data = reports.calibrate(context, start, end, apply)
        if as_json:
            emit_json(data)
            return
        for band in data["bands"]:
            echo(f"  {band['band']:>7}  {band['mqls']:>5} MQLs  {_percent(band['rate']):>5} to SQL")
        echo(f"current threshold {data['current']}; suggested {data['suggested'] or '-'}: {clean(data['reason'])}")
        if data["applied"]:
            echo(f"config.toml: scoring.mql_threshold = {data['suggested']} (previous file kept as config.toml.bak)")

    @main.command()
    @click.option("--format", "fmt", type=click.Choice(["md", "csv"]), default="md", show_default=True)
    @_period_options
    @common_options
    @handle_errors
    def report(fmt: str, since: str | None, until: str | None, **options: Any) -> None:
        """The weekly handoff report (default period: the last 7 days)."""
        context = session(**options)
        start, end = reports.period(context, since, until, default_days=7)
        click.echo(reports.report(context, start, end, fmt), nl=False)
