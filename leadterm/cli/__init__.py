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

__all__ = ["main", "run", "sqlite_without_memory_statistics"]

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


def sqlite_without_memory_statistics() -> bool:
    """Turn off SQLite's accounting of its own memory use in this process, as SQLite advises
    where speed matters (its build option SQLITE_DEFAULT_MEMSTATUS=0, which the common builds,
    Debian's among them, leave on). Kept on, every allocation SQLite makes takes and releases a
    process-wide lock: over a fifth of the SQLite work of importing leads (measured on 100,000:
    233-259 -> 189-195 ms). Only ``sqlite3_memory_used`` and a soft heap limit read the
    accounting; leadterm uses neither.

    The setting changes only while SQLite is shut down, and loading Python's sqlite3 module starts
    it, so this shuts it down and starts it again: call it only before the process has opened
    any connection (shutting SQLite down under an open one is undefined), as ``run`` does first
    thing. As a guard, it does nothing once it took, or while SQLite counts memory in use (a
    connection open, where the statistics are on). On Linux only (where it is measured and
    tested), and where the library exposes these functions; else nothing changes. Returns
    whether the setting took."""
    if sys.platform != "linux":
        return False
    try:
        import _sqlite3
        import ctypes

        library = ctypes.CDLL(_sqlite3.__file__)
        shutdown, configure, start = library.sqlite3_shutdown, library.sqlite3_config, library.sqlite3_initialize
        in_use = library.sqlite3_memory_used
    except (ImportError, OSError, AttributeError):  # a build without them to call
        return False
    in_use.restype = ctypes.c_int64
    # SQLite holds no memory while no connection is open (counted while the statistics are on):
    # anything else, or a second call, and shutting down could pull SQLite from under a connection
    if _MEMSTATUS_OFF or in_use() != 0 or shutdown() != 0:
        return False
    configure.argtypes = [ctypes.c_int]  # the fixed argument: ctypes passes the rest as variadic ones
    took = configure(_SQLITE_CONFIG_MEMSTATUS, ctypes.c_int(0)) == 0
    start()
    if took:
        _MEMSTATUS_OFF.append(True)
    return took


_SQLITE_CONFIG_MEMSTATUS = 9  # sqlite3.h
_MEMSTATUS_OFF: list[bool] = []  # [True] once the setting took in this process


def run() -> None:
    """The ``leadterm`` console script: ``main``, then the process ends without tearing the
    interpreter down. Freeing every module and object at exit takes 30-60 ms, more than some
    commands' own work, for memory the system takes back anyway; the database is closed as it
    would be (its WAL checkpointed and removed), exit handlers run and output is flushed first.
    With a thread other than this one still running, or output that cannot be flushed (a closed
    pipe), the interpreter ends as usual. SQLite runs without its memory statistics
    (``sqlite_without_memory_statistics``)."""
    sqlite_without_memory_statistics()
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
