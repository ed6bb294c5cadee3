"""Reading config.toml into the frozen objects of schema.py, refusing anything half-understood.

Every problem of a file is collected and reported together, each with its key path
(``scoring.fit[1].points``, ``sla.first_touch.2.within``), so one edit-and-retry fixes them all.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from leadterm.config.schema import (
    REJECT_DESTINATIONS,
    ROLES,
    AppSettings,
    Config,
    Escalation,
    FirstTouchSla,
    GroupMatch,
    Reason,
    Rep,
    Routing,
    RoutingGroup,
    Sla,
    Tiers,
)
from leadterm.config.sections import read_calendar, read_scoring
from leadterm.config.values import Problems, Table, key_path, show
from leadterm.engine.values import composed

__all__ = ["ConfigError", "parse_config", "load_config", "default_config_text", "default_config_data"]

NOT_FOUND = "not found (run `leadterm init` to write the default)"
_SECTIONS = ("app", "calendar", "scoring", "tiers", "sla", "escalation", "reasons", "reps", "routing")
_CALENDAR_KEYS = ("timezone", "hours", "holidays")
_SCORING_KEYS = ("mql_threshold", "fit", "behaviour", "decay", "disqualify")
_SLA_KEYS = ("route_within", "accept_within", "at_risk_fraction", "min_touches", "first_touch")
_REASON_KEYS = ("label", "to", "recheck_after", "needs_touches")
_REP_KEYS = ("handle", "name", "role", "manager", "capacity", "timezone")
_GROUP_KEYS = ("name", "members", "match")
_GROUP_MATCH_KEYS = ("company_size_min", "company_size_max", "country", "industry", "source")
_TIERS = (1, 2, 3)
_CODE = re.compile(r"[a-z0-9_]+")
_HANDLE = re.compile(r"[a-z0-9][a-z0-9_.-]*")


class ConfigError(Exception):
    """config.toml was refused; ``problems`` holds every (key path, message) found."""

    def __init__(self, source: str, problems: Iterable[tuple[str, str]]) -> None:
        self.source = source
        self.problems: list[tuple[str, str]] = list(problems)
        super().__init__(source, self.problems)

    def __str__(self) -> str:
        return "\n".join(
            f"{self.source}: {path}: {message}" if path else f"{self.source}: {message}"
            for path, message in self.problems
        )


def parse_config(data: Mapping[str, Any], *, source: str = "config.toml",
                 path: Path | None = None) -> Config:
    """Validate parsed TOML and build the Config; raise ConfigError listing every problem."""
    if not isinstance(data, Mapping):
        raise ConfigError(source, [("", f"expected a table, got {show(data)}")])
    problems = Problems()
    root = Table(data, "", problems, _SECTIONS)

    app = _app(root.table("app", ("database", "theme"), required=False))
    calendar_table = root.table("calendar", _CALENDAR_KEYS, expected="a [calendar] table")
    calendar = read_calendar(calendar_table) if calendar_table else None
    scoring_table = root.table("scoring", _SCORING_KEYS, expected="a [scoring] table")
    scoring = read_scoring(scoring_table) if scoring_table else None
    tiers_table = root.table("tiers", ("tier2_min_score",), expected="a [tiers] table")
    tier2 = tiers_table.integer("tier2_min_score") if tiers_table else None
    sla_table = root.table("sla", _SLA_KEYS, expected="an [sla] table")
    sla = _sla(sla_table) if sla_table else None
    escalation_table = root.table("escalation", ("reassign_after",), expected="an [escalation] table")
    reassign = escalation_table.duration("reassign_after") if escalation_table else None
    reasons_table = root.table("reasons", None, expected="a [reasons] table")
    reasons = _reasons(reasons_table) if reasons_table else None
    reps, handles = _reps(root)
    routing_table = root.table("routing", ("personal_domains", "groups"), expected="a [routing] table")
    routing = _routing(routing_table, handles) if routing_table else None

    if problems.items:
        raise ConfigError(source, problems.items)
    assert calendar and scoring and tier2 is not None and sla and reassign and reasons and reps and routing
    return Config(app=app, calendar=calendar, scoring=scoring, tiers=Tiers(tier2), sla=sla,
                  escalation=Escalation(reassign), reasons=reasons, reps=reps, routing=routing,
                  path=path)


def load_config(path: Path) -> Config:
    """Read and validate a config.toml; the message of every failure names the file."""
    path = Path(path)
    source = str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise ConfigError(source, [("", NOT_FOUND)]) from None
    except OSError as exc:
        raise ConfigError(source, [("", f"cannot be read: {exc.strerror or exc}")]) from None
    try:
        # utf-8-sig: editors on Windows may add a byte-order mark that TOML itself refuses.
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ConfigError(source, [("", f"is not UTF-8 text ({exc.reason} at byte {exc.start})")]) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(source, [("", f"invalid TOML: {exc}")]) from None
    return parse_config(data, source=source, path=path.resolve())


def default_config_text() -> str:
    """The shipped config.toml (SPEC's example model), comments included."""
    from importlib import resources  # here: 5 ms to import, and only some commands read the default

    return resources.files("leadterm.config").joinpath("default.toml").read_text(encoding="utf-8")


def default_config_data() -> dict[str, Any]:
    return tomllib.loads(default_config_text())


# -- sections ---------------------------------------------------------------------------------
def _app(t: Table | None) -> AppSettings:
    if t is None:
        return AppSettings()
    defaults = AppSettings()
    return AppSettings(database=t.text("database", required=False, default=defaults.database) or "",
                       theme=t.text("theme", required=False, default=defaults.theme) or "")


def _sla(t: Table) -> Sla | None:
    mark = len(t.problems)
    route_within, accept_within = t.duration("route_within"), t.duration("accept_within")
    at_risk = t.number("at_risk_fraction", required=False, default=0.25, low=0, high=1, exclusive=True)
    min_touches = t.integer("min_touches", required=False, default=0, minimum=0)
    first_touch: dict[int, FirstTouchSla] = {}
    table = t.table("first_touch", tuple(str(tier) for tier in _TIERS),
                    expected="a table of first-touch SLAs keyed by tier 1, 2, 3")
    for tier in _TIERS if table else ():
        assert table is not None
        entry = table.table(str(tier), ("within", "outside_hours"), required=False,
                            expected="a table { within = ..., outside_hours = ... }")
        if not table.has(str(tier)):
            t.problems.add(table.at(str(tier)), f"tier {tier} has no first-touch SLA")
        elif entry is not None:
            within, outside = entry.duration("within"), entry.duration("outside_hours", required=False)
            if within is not None:
                first_touch[tier] = FirstTouchSla(within=within, outside_hours=outside)
    if len(t.problems) > mark or route_within is None or accept_within is None:
        return None
    assert at_risk is not None and min_touches is not None
    return Sla(route_within=route_within, accept_within=accept_within, at_risk_fraction=at_risk,
               min_touches=min_touches, first_touch=MappingProxyType(first_touch))


def _reasons(t: Table) -> Mapping[str, Reason] | None:
    mark = len(t.problems)
    reasons: dict[str, Reason] = {}
    if not t.data:
        t.problems.add(t.path, "expected at least one reason (code = { label = ..., to = ... })")
    for code in t.data:
        if not _CODE.fullmatch(code):
            t.problems.add(t.at(code), "expected a reason code of lower-case letters, digits and _")
            continue
        r = t.table(code, _REASON_KEYS, expected="a table { label = ..., to = ... }")
        if r is None:
            continue
        label = r.text("label")
        to = r.choice("to", REJECT_DESTINATIONS, hint="the stage a rejected lead goes to")
        recheck_after = r.duration("recheck_after", required=False)
        if to == "nurture" and not r.has("recheck_after"):
            r.problems.add(r.at("recheck_after"),
                           'missing (required when to = "nurture": the delay before the lead returns)')
        if to == "disqualified" and r.has("recheck_after"):
            r.problems.add(r.at("recheck_after"),
                           'not allowed when to = "disqualified" (a disqualified lead never returns)')
        needs_touches = r.boolean("needs_touches", default=False)
        if label is not None and to is not None:
            reasons[code] = Reason(code=code, label=label, to=to, recheck_after=recheck_after,
                                   needs_touches=needs_touches)
    return None if len(t.problems) > mark else MappingProxyType(reasons)


def _reps(root: Table) -> tuple[tuple[Rep, ...] | None, tuple[str, ...] | None]:
    """The reps (None if any is invalid) and the valid handles (None without [[reps]])."""
    items = root.tables("reps", _REP_KEYS, required=True, expected="[[reps]] tables")
    if items is None:
        return None, None
    mark = len(root.problems)
    if not items:
        root.problems.add("reps", "expected at least one rep")
    handles: dict[str, str] = {}  # handle -> key path of its first rep, for duplicate messages
    pending: list[tuple[Table, Rep]] = []
    for r in items:
        handle = r.text("handle")
        if handle is not None and not _HANDLE.fullmatch(handle):
            r.wrong("handle", "lower-case letters, digits, _ . - (starting with a letter or digit)", handle)
        elif handle is not None and handle in handles:
            r.problems.add(r.at("handle"), f"duplicate handle {handle!r} (also {handles[handle]})")
        elif handle is not None:
            handles[handle] = r.path
        rep = Rep(handle=handle or "", name=r.text("name", required=False, default=handle) or "",
                  role=r.choice("role", ROLES, required=False, default="rep") or "rep",
                  manager=r.text("manager", required=False),
                  capacity=r.integer("capacity", required=False, minimum=1),
                  timezone=r.zone("timezone", required=False))
        pending.append((r, rep))
    for r, rep in pending:  # managers may be listed after their reps
        if rep.manager is not None and rep.manager == rep.handle:
            r.problems.add(r.at("manager"), "a rep cannot be their own manager")
        elif rep.manager is not None and rep.manager not in handles:
            r.problems.add(r.at("manager"), _not_a_rep(rep.manager, tuple(handles)))
    reps = None if len(root.problems) > mark else tuple(rep for _, rep in pending)
    return reps, tuple(handles)


def _not_a_rep(handle: str, handles: tuple[str, ...]) -> str:
    return f"{handle!r} is not a rep (reps: {', '.join(handles) or 'none'})"


def _routing(t: Table, handles: tuple[str, ...] | None) -> Routing | None:
    """``handles`` is None when [[reps]] was unusable: members are then not checked (noise)."""
    mark = len(t.problems)
    domains = t.texts("personal_domains", allow_empty=True)
    items = t.tables("groups", _GROUP_KEYS, required=True, expected="[[routing.groups]] tables")
    if items == []:
        t.problems.add(t.at("groups"), "expected at least one routing group")
    names: dict[str, str] = {}
    groups: list[RoutingGroup] = []
    for g in items or ():
        name = g.text("name")
        if name is not None:  # composed (NFC): the database keeps each group's place in its rotation by name
            name = composed(name)
        if name is not None and name in names:
            g.problems.add(g.at("name"), f"duplicate group name {name!r} (also {names[name]})")
        elif name is not None:
            names[name] = g.path
        members = g.texts("members", required=True, normalise=False) or ()
        for index, member in enumerate(members):
            if member in members[:index]:
                g.problems.add(key_path(g.at("members"), index), f"{member!r} is listed twice")
            elif handles is not None and member not in handles:
                g.problems.add(key_path(g.at("members"), index), _not_a_rep(member, handles))
        groups.append(RoutingGroup(name=name or "", members=members, match=_group_match(g)))
    if len(t.problems) > mark:
        return None
    return Routing(personal_domains=frozenset(domains or ()), groups=tuple(groups))


def _group_match(g: Table) -> GroupMatch:
    m = g.table("match", _GROUP_MATCH_KEYS, required=False)
    if m is None:  # absent: the catch-all; wrong type: already reported
        return GroupMatch()
    low = m.integer("company_size_min", required=False, minimum=0)
    high = m.integer("company_size_max", required=False, minimum=0)
    if low is not None and high is not None and low > high:
        m.problems.add(m.at("company_size_min"),
                       f"company_size_min ({low}) is greater than company_size_max ({high})")
    return GroupMatch(company_size_min=low, company_size_max=high,
                      country=m.texts("country", single=True),
                      industry=m.texts("industry", single=True),
                      source=m.texts("source", single=True))
