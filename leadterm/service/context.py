"""What every action needs: the config, who is acting, and what time it is."""

from __future__ import annotations

import getpass
import os
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import cached_property
from pathlib import Path

from leadterm.config import Config, ConfigError, Rep, load_config
from leadterm.engine.scoring import ScoringModel
from leadterm.engine.sla import SlaPolicy
from leadterm.engine.times import UTC, InstantError, parse_instant
from leadterm.service.errors import Invalid, Refused
from leadterm.store import StoreError, open_database

__all__ = ["Timebase", "Context", "open_context", "resolve_database", "acting_handle", "parse_now", "SYSTEM"]

#: The actor of the worker's own moves in the history.
SYSTEM = "system"


class Timebase:
    """The clock of one run: the system's, or fixed at ``--now`` (running on from it in the app)."""

    def __init__(self, start: datetime | None = None, running: bool = False) -> None:
        self.start = start
        self.running = running
        self._origin = time.monotonic()

    def now(self) -> datetime:
        if self.start is None:
            return datetime.now(UTC).replace(microsecond=0)
        if not self.running:
            return self.start
        return self.start + timedelta(seconds=int(time.monotonic() - self._origin))


@dataclass
class Context:
    config: Config
    actor: str | None = None
    timebase: Timebase = field(default_factory=Timebase)

    def now(self) -> datetime:
        return self.timebase.now()

    def at(self, instant: datetime) -> Context:
        """The same context with the clock stopped at ``instant`` (one worker pass, one action)."""
        return Context(self.config, self.actor, Timebase(instant))

    @cached_property
    def scoring(self) -> ScoringModel:
        return ScoringModel(self.config.scoring, self.config.tiers)

    @cached_property
    def sla(self) -> SlaPolicy:
        return SlaPolicy(self.config.sla, self.config.escalation, self.config.calendar.clock)

    def acting_rep(self) -> Rep:
        """The rep running the command; refuses when nobody is identified."""
        if self.actor is None:
            raise Invalid("who is acting? pass --as HANDLE or set LEADTERM_USER")
        rep = self.config.rep(self.actor)
        if rep is None:  # pragma: no cover - open_context already refused it
            raise Refused(f"unknown rep {self.actor!r}")
        return rep


def resolve_database(config: Config, override: str | None) -> str:
    """``--db`` as given (relative to the working folder), else app.database relative to config.toml."""
    if override:
        return override
    target = config.app.database
    if "://" in target:
        return target
    path = Path(target).expanduser()
    return str(path if path.is_absolute() else config.base_dir / path)


def acting_handle(config: Config, explicit: str | None) -> str | None:
    """Who is acting: ``--as``, then $LEADTERM_USER, then the OS login if it is a rep; an
    unknown explicit handle is refused."""
    handle = explicit or os.environ.get("LEADTERM_USER") or None
    if handle is not None:
        if config.rep(handle) is None:
            known = ", ".join(rep.handle for rep in config.reps)
            raise Refused(f"unknown rep {handle!r} (reps: {known})")
        return handle
    try:
        login = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry, as in some containers
        return None
    return login if config.rep(login) is not None else None


def parse_now(config: Config, now: str | None) -> datetime | None:
    """``--now``, naive times in the calendar's zone; None without one."""
    if now is None:
        return None
    try:
        return parse_instant(now, config.calendar.zone)
    except InstantError as error:
        raise Invalid(f"--now: {error}") from error


def open_context(
    config_path: str | Path,
    database: str | None = None,
    actor: str | None = None,
    now: str | None = None,
    running: bool = False,
    need_database: bool = True,
) -> Context:
    """Load config.toml, open its database and identify the actor; errors say what and where."""
    try:
        config = load_config(Path(config_path))
    except ConfigError as error:
        raise Invalid(str(error)) from error
    start = parse_now(config, now)
    if start is None and not running:
        start = Timebase().now()  # a command happens at one instant, however long it takes
    context = Context(config, acting_handle(config, actor), Timebase(start, running))
    if need_database:
        try:
            open_database(resolve_database(config, database))
        except StoreError as error:
            raise Invalid(str(error)) from error
    return context
