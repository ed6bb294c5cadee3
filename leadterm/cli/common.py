"""What every command shares: the common options, the session, output and exit codes.

Exit codes: 0 success; 1 a refused action (reason on stderr); 2 bad usage, invalid config or file.
Data goes to stdout (one JSON document with --json), diagnostics to stderr.
"""

from __future__ import annotations

import functools
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import click

from leadterm.engine.text import visible, visible_json
from leadterm.service.context import Context, open_context
from leadterm.service.errors import OPERATIONAL_ERRORS, Invalid, Refused, Unfinished, outside_failure

__all__ = ["common_options", "json_option", "session", "emit_json", "clean", "fail", "local_time", "echo"]

F = TypeVar("F", bound=Callable[..., Any])


def common_options(function: F) -> F:
    """--config, --db, --as and --now, accepted after the command's own arguments."""
    options = [
        click.option("--config", "config_path", default="config.toml", show_default=True,
                     type=click.Path(dir_okay=False), help="The config.toml to use."),
        click.option("--db", "database", default=None, metavar="PATH|URL",
                     help="The database (overrides app.database)."),
        click.option("--as", "actor", default=None, metavar="HANDLE",
                     help="Act as this rep (default: $LEADTERM_USER, then the OS login)."),
        click.option("--now", "now", default=None, metavar="ISO8601",
                     help="Run at this instant (naive times are in the calendar's zone)."),
    ]
    for option in reversed(options):
        function = option(function)
    return function


def json_option(function: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Print one JSON document on stdout.")(function)


def fail(message: str, code: int) -> None:
    click.echo(f"leadterm: {clean(message)}", err=True)
    sys.exit(code)


def handle_errors(function: F) -> F:
    """Refused and Unfinished → exit 1, Invalid → exit 2, each with its one-line reason on stderr; Ctrl-C →
    exit 130, as a shell reports a command SIGINT ended (click's own "Aborted!" exits 1, the
    code of a refused action)."""

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return function(*args, **kwargs)
        except (Refused, Unfinished) as error:
            fail(str(error), 1)
        except OPERATIONAL_ERRORS as error:  # the database full, locked too long or read-only: said in a line
            if (why := outside_failure(error)) is None:
                raise
            fail(why, 1)
        except Invalid as error:
            fail(str(error), 2)
        except KeyboardInterrupt:
            fail("interrupted", 130)

    return wrapper  # type: ignore[return-value]


def session(config_path: str, database: str | None, actor: str | None, now: str | None,
            need_database: bool = True) -> Context:
    return open_context(config_path, database, actor, now, need_database=need_database)


def emit_json(data: Any, err: bool = False) -> None:
    click.echo(visible_json(json.dumps(data, ensure_ascii=False, indent=2)), err=err)


def clean(value: Any) -> str:
    """Outside text made safe to print: control characters shown as escapes, never acted on."""
    return visible(value)


def echo(text: str = "", err: bool = False) -> None:
    click.echo(text, err=err)


def local_time(context: Context, value: datetime | None) -> str:
    """An instant in the viewer's zone: the acting rep's timezone, else the calendar's."""
    if value is None:
        return "-"
    rep = context.config.rep(context.actor) if context.actor else None
    zone = ZoneInfo(rep.timezone) if rep and rep.timezone else context.config.calendar.zone
    return value.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")
