"""Setting up and looking after an install: init and backup."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from leadterm.config import ConfigError, default_config_data, parse_config, write_config
from leadterm.service.context import SYSTEM, acting_handle, open_context, parse_now
from leadterm.service.errors import Invalid, Refused
from leadterm.store import backup_to, database_path, journal, write

__all__ = ["initialise", "backup"]


def initialise(config_path: Path, force: bool, db: str | None, actor: str | None, now: str | None) -> Iterator[str]:
    """Write the default config.toml (tomli-w) and create its database; yields what it did."""
    if config_path.exists() and not force:
        raise Refused(f"{config_path} already exists; use --force to replace it (it is kept as .bak)")
    data = default_config_data()
    default = parse_config(data)
    parse_now(default, now)  # a bad --now or --as refuses the command before anything is written
    acting_handle(default, actor)
    try:
        backup_file = write_config(config_path, data)
    except (ConfigError, OSError) as error:
        raise Invalid(f"{config_path}: cannot write ({error})") from error
    yield f"wrote {config_path}"
    if backup_file is not None:
        yield f"kept the previous file as {backup_file}"
    context = open_context(config_path, db, actor, now)
    if backup_file is not None:
        with write():
            journal.record(None, context.now(), context.actor or SYSTEM, "config",
                           "config.toml replaced by the default (init --force)",
                           None, {"backup": str(backup_file)})
    yield f"database ready at {database_path()}"


def backup(target: Path) -> Path:
    """Copy the open database to ``target`` with SQLite's online backup (consistent while in use)."""
    if target.exists():
        raise Refused(f"{target} already exists; choose another name")
    if target.resolve() == database_path().resolve():
        raise Invalid("the backup cannot be the database itself")
    target.parent.mkdir(parents=True, exist_ok=True)
    backup_to(target)
    return target
