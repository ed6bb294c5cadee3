"""Set-up and team commands: init, import, tick, worker, assign, away, back, backup."""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import click

from leadterm.cli.common import clean, common_options, echo, emit_json, handle_errors, json_option, session
from leadterm.cli.progress import progress_bar
from leadterm.engine.values import DATE_ORDERS
from leadterm.service.errors import Invalid

__all__ = ["register"]


def _mapping(pairs: tuple[str, ...]) -> dict[str, str]:
    mapping = {}
    for pair in pairs:
        column, sep, field = pair.rpartition("=")
        if not sep or not column.strip() or not field.strip():
            raise Invalid(f'--map expects "Source Column=field", got {pair!r}')
        mapping[column.strip()] = field.strip()
    return mapping


def _importer(kind: str) -> Any:
    if kind == "leads":
        from leadterm.service.import_leads import import_leads

        return import_leads
    if kind == "events":
        from leadterm.service.import_events import import_events

        return import_events
    from leadterm.service.import_accounts import import_accounts

    return import_accounts


#: The encodings told apart by the file's bytes rather than read from it (a BOM, valid UTF-8),
#: named so that a wrong guess shows.
_GUESSED = {"cp1252": ("Windows-1252 (Excel's CSV)", "mac_roman"),
            "mac_roman": ("Mac Roman (Excel for Mac's CSV)", "cp1252")}  # (each with the other to try)
#: The code pages of Windows Excel in other scripts, which no byte tells from Windows-1252
_OTHER_CODE_PAGES = "cp1250 for Central European, cp1251 for Cyrillic, cp1253 Greek, cp1254 Turkish"


def _is_stdout(path: Path) -> bool:
    """Whether ``path`` is this process's standard output (``/dev/stdout``, ``/dev/fd/1``)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(sys.stdout.fileno()))
    except (OSError, ValueError, AttributeError):  # no such file, or no stdout with a descriptor
        return False


def _print_import(report: dict[str, Any], encoding_given: bool = False) -> None:
    echo(
        f"{report['kind']}: read {report['read']}, inserted {report['inserted']}, updated {report['updated']}, "
        f"duplicates {report['duplicates']}, rejected {report['rejected']}"
    )
    if report["header_line"] > 1:
        echo(f"header on line {report['header_line']}: the lines above it were skipped")
    if encoding_given:
        echo(f"read as {report['encoding']}, as --encoding says")
    elif report["not_utf8"]:
        stray = report["not_utf8"]
        echo(f"read as UTF-8 but for {stray} byte{'s' if stray > 1 else ''} that {'are' if stray > 1 else 'is'} "
             "not UTF-8, read as Windows-1252")
    elif report["encoding"] in _GUESSED:
        name, other = _GUESSED[report["encoding"]]
        echo(f"read as {name}: the file is not UTF-8 (if its accents look wrong: --encoding {other}; "
             f"{_OTHER_CODE_PAGES})")
    if report["date_order"]:
        order = report["date_order"]
        spelled = "day/month/year" if order == "day-first" else "month/day/year"
        why = {"option": "as --date-order says", "file": "as the file writes them",
               "original": "as the file the rejects came from writes them",
               "guess": "a guess: the file's dates do not settle it; --date-order chooses"}[report["date_order_by"]]
        echo(f"slashed dates read as {spelled} ({order}, {why})")
    if report["rejects_file"]:
        echo(f"rejected rows, with line numbers and reasons: {clean(report['rejects_file'])}")
    if report["changed"]:
        echo("changed: " + ", ".join(f"{clean(name)} on {count}" for name, count in sorted(report["changed"].items())))
    if report["kept"]:
        echo("kept, where the file has other values (--overwrite replaces them): "
             + ", ".join(f"{clean(name)} on {count}" for name, count in sorted(report["kept"].items())))
    if report["leads_created"]:
        echo(f"leads created for unknown emails: {report['leads_created']}")
    if report["extra_columns"]:
        echo("kept as form answers: " + ", ".join(clean(name) for name in report["extra_columns"]))
    if report["ignored_columns"]:
        echo("ignored: " + ", ".join(clean(name) for name in report["ignored_columns"]))


def register(main: click.Group) -> None:
    @main.command()
    @click.option("--force", is_flag=True, help="Overwrite an existing config.toml (kept as config.toml.bak).")
    @common_options
    @handle_errors
    def init(force: bool, config_path: str, database: str | None, actor: str | None, now: str | None) -> None:
        """Write the default config.toml and create the database."""
        from leadterm.service.setup import initialise

        for line in initialise(Path(config_path), force, database, actor, now):
            echo(clean(line))

    @main.group(name="import")
    def import_group() -> None:
        """CSV import: leads, events or accounts."""

    def _import_command(kind: str, extra: list[Any]) -> None:
        def command(file: str, mapping: tuple[str, ...], as_json: bool, **options: Any) -> None:
            flags = {name: options.pop(name) for name in ("overwrite", "create_leads", "date_order", "encoding")
                     if name in options}
            context = session(**options)
            run = _importer(kind)
            progress = None if as_json else progress_bar(f"importing {kind}")
            try:
                report = run(context, Path(file), _mapping(mapping), progress=progress, **flags).as_dict()
            finally:
                if progress is not None:
                    progress.close()
            emit_json(report) if as_json else _print_import(report, bool(flags.get("encoding")))

        command.__doc__ = f"Import {kind} from a CSV file."
        command = handle_errors(command)
        command = common_options(command)
        command = json_option(command)
        for option in extra:
            command = option(command)
        command = click.option("--map", "mapping", multiple=True, metavar='"Column=field"',
                               help="Read a column as a field ('-' skips it).")(command)
        command = click.option("--encoding", metavar="NAME",
                               help="Read the file in this encoding (utf-8, cp1252, mac_roman, utf-16...) "
                                    "instead of the one its bytes suggest.")(command)
        command = click.argument("file", type=click.Path(dir_okay=False))(command)
        import_group.command(name=kind)(command)

    date_order = click.option(
        "--date-order", "date_order", type=click.Choice(DATE_ORDERS),
        help="Read slashed dates (05/11/2026) day/month/year or month/day/year. "
             "Default: the file's own order, from its dates that read one way only.")
    _import_command("leads", [date_order, click.option("--overwrite", is_flag=True,
                                                       help="Replace existing values instead of only filling blanks.")])
    _import_command("events", [date_order, click.option("--create-leads", "create_leads", is_flag=True,
                                                        help="Create a lead for an email nobody knows yet.")])
    _import_command("accounts", [])

    @main.group(name="export")
    def export_group() -> None:
        """CSV export."""

    @export_group.command(name="leads")
    @click.argument("file", type=click.Path(dir_okay=False))
    @json_option
    @common_options
    @handle_errors
    def export_leads(file: str, as_json: bool, **options: Any) -> None:
        """Every lead, in every stage, to a CSV that is safe to open in a spreadsheet."""
        from leadterm.service.exporter import export_leads as run_export

        context = session(**options)
        if file == "-":  # standard output, as Unix tools read "-"
            file = "/dev/stdout"
        try:
            report = run_export(context, Path(file)).as_dict()
        except BrokenPipeError:  # `export leads /dev/stdout | head`: ended as a Unix tool ends there
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # nothing more to flush into it
            sys.exit(128 + signal.SIGPIPE)
        aside = _is_stdout(Path(file))  # the CSV went to stdout (/dev/stdout): the summary to stderr
        if as_json:
            emit_json(report, err=aside)
        else:
            leads = report["leads"]
            echo(f"exported {leads} lead{'' if leads == 1 else 's'} to {clean(report['file'])}", err=aside)

    @main.command()
    @json_option
    @common_options
    @handle_errors
    def tick(as_json: bool, **options: Any) -> None:
        """One worker pass: rescore, qualify, route, escalate, recycle."""
        from leadterm.service.worker import tick as run_tick

        context = session(**options)
        report = run_tick(context).as_dict()
        if as_json:
            emit_json(report)
        else:
            echo(", ".join(f"{name} {count}" for name, count in report.items()))

    @main.command()
    @click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
                  help="Seconds between passes.")
    @common_options
    @handle_errors
    def worker(interval: float, **options: Any) -> None:
        """Run the worker until stopped (Ctrl-C)."""
        from leadterm.service.context import open_context
        from leadterm.service.worker import run_worker

        context = open_context(**{**options, "running": True})
        stopping = []
        signal.signal(signal.SIGTERM, lambda *_: stopping.append(True))

        def report(result: Any) -> None:
            counts = {name: count for name, count in result.as_dict().items() if count}
            if counts:
                stamp = context.now().isoformat()
                echo(f"{stamp} " + ", ".join(f"{name} {count}" for name, count in counts.items()))

        echo(f"worker: a pass every {interval:g}s; Ctrl-C stops")
        try:
            run_worker(context, interval, report, stop=lambda: bool(stopping),
                       on_problem=lambda text: click.echo(clean(text), err=True))
        except KeyboardInterrupt:
            pass
        echo("worker: stopped")

    @main.command()
    @click.argument("lead")
    @click.option("--to", "handle", required=True, metavar="HANDLE")
    @json_option
    @common_options
    @handle_errors
    def assign(lead: str, handle: str, as_json: bool, **options: Any) -> None:
        """Give a lead to a rep (team lead)."""
        from leadterm.cli.work import _ref, _report
        from leadterm.service import actions

        context = session(**options)
        _report(actions.assign(context, _ref(lead), handle), context, as_json)

    for name, away in (("away", True), ("back", False)):
        def availability(handle: str, as_json: bool, _away: bool = away, **options: Any) -> None:
            from leadterm.cli.work import _report
            from leadterm.service import actions

            context = session(**options)
            _report(actions.set_away(context, handle, _away), context, as_json)

        availability.__doc__ = "Mark a rep away (out of office): routing skips them." if away else \
            "Mark a rep available for routing again."
        command = handle_errors(availability)
        command = common_options(json_option(command))
        command = click.argument("handle")(command)
        main.command(name=name)(command)

    @main.command()
    @click.argument("file", type=click.Path(dir_okay=False))
    @common_options
    @handle_errors
    def backup(file: str, **options: Any) -> None:
        """A consistent copy of the database, safe while it is in use."""
        from leadterm.service.setup import backup as run_backup

        session(**options)
        target = run_backup(Path(file))
        echo(f"backed up to {clean(target)}")

