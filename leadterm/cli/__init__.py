"""The ``leadterm`` command line (click). Bare ``leadterm`` opens the app."""

from __future__ import annotations

import atexit
import gc
import os
import sys
import threading
from importlib import import_module
from typing import Any

import click

from leadterm import __version__

__all__ = ["main", "run"]

#: Each command's module (whose ``register`` adds all of that module's commands). A command
#: loads its own module only: ``import leads`` never loads the metrics or the rep actions
#: (measured: 13-15 ms less start-up, a sixth of leadterm's loading).
_MODULES = {
    "accept": "work", "close": "work", "qualify": "work", "queue": "work", "reject": "work",
    "show": "work", "touch": "work",
    "assign": "admin", "away": "admin", "back": "admin", "backup": "admin", "export": "admin",
    "import": "admin", "init": "admin", "tick": "admin", "worker": "admin",
    "calibrate": "review", "metrics": "review", "report": "review",
}


_LOADED: set[str] = set()


class _CommandsOnDemand(click.Group):
    """A group that loads a command's module when the command is asked for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(_MODULES)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands:
            # an unknown name loads every module, so that click suggests the nearest command
            wanted = [_MODULES[cmd_name]] if cmd_name in _MODULES else sorted(set(_MODULES.values()))
            for module in wanted:
                if module not in _LOADED:
                    _LOADED.add(module)
                    _quietly_imported(f"leadterm.cli.{module}").register(self)
        return self.commands.get(cmd_name)


def _quietly_imported(name: str) -> Any:
    """A module and all it loads (the store, peewee, the config), without the cyclic garbage
    collector: loading makes tens of thousands of objects and no garbage, and the collections it
    would set off cost about 10 ms. What is loaded is then frozen out of later collections (it
    lives as long as the process)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        return import_module(name)
    finally:
        if was_on:
            gc.freeze()
            gc.enable()


@click.group(cls=_CommandsOnDemand, invoke_without_command=True,
             context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="leadterm")
@click.pass_context
def main(ctx: click.Context) -> None:
    """leadterm: the marketing-to-sales lead handoff, from the terminal."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        click.echo("\nThe full-screen app is not part of this release yet; the commands above do the work.")


def run() -> None:
    """The ``leadterm`` console script: ``main``, then the process ends without tearing the
    interpreter down. Freeing every module and object at exit takes 30-60 ms, more than some
    commands' own work, for memory the system takes back anyway; the database is closed as it
    would be (its WAL checkpointed and removed), exit handlers run and output is flushed first.
    With a thread other than this one still running, or output that cannot be flushed (a closed
    pipe), the interpreter ends as usual."""
    try:
        main.main()
    except SystemExit as done:
        code = done.code
    else:  # pragma: no cover - click's standalone mode always ends by SystemExit
        code = 0
    if threading.active_count() > 1 or sys.stdout is None or sys.stderr is None:
        sys.exit(code)  # a thread to wait for, or output started closed: the usual ending copes
    if not isinstance(code, int):
        if code is not None:
            print(code, file=sys.stderr)
        code = 0 if code is None else 1
    store = sys.modules.get("leadterm.store.db")
    if store is not None:
        store.close_database()
    atexit._run_exitfuncs()
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except (OSError, ValueError):
        sys.exit(code)  # the usual ending reports it
    os._exit(code)
