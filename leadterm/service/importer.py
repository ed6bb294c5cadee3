"""CSV import of leads, events and accounts (SPEC §3 "CSV import").

Rows are read as a stream and written in chunks, each in one write transaction, so a long
import never holds the database for long and a re-run after an interruption ends in the same
state (leads are matched by email, events by email, type, time and detail). A bad row never
stops the import: it goes to FILE.rejects.csv with its line number and reason.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from leadterm.config.schema import Config
from leadterm.engine.columns import ACCOUNT_COLUMNS, EVENT_COLUMNS, LEAD_COLUMNS, ColumnError, ColumnMap, map_columns
from leadterm.engine.identity import EmailError, normalize_email
from leadterm.engine.times import to_epoch
from leadterm.engine.values import ValueProblem, clean_text, parse_count, parse_time
from leadterm.service.context import Context
from leadterm.service.csvfile import CsvSource, RejectWriter
from leadterm.service.errors import Invalid
from leadterm.service.handoff import routing_changed
from leadterm.service.scoring import fit_row
from leadterm.store import database, write
from leadterm.store import events as event_store
from leadterm.store import leads as lead_store
from leadterm.store import scores

__all__ = ["ImportReport", "import_leads", "import_events", "import_accounts", "Progress"]

CHUNK = 20_000
#: Called with (rows read, bytes read, file size).
Progress = Callable[[int, int, int], None]

_LEAD_TEXT = ("first_name", "last_name", "company", "title", "industry", "country", "phone", "source")
_LEAD_DATA = (*_LEAD_TEXT, "company_size", "created_at")


@dataclass
class ImportReport:
    kind: str
    file: str
    read: int = 0
    inserted: int = 0
    updated: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejects_file: str | None = None
    extra_columns: list[str] = field(default_factory=list)
    """Columns that are not fields (kept with leads as form answers)."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _open(path: Path, table: Mapping[str, tuple[str, ...]], required: tuple[str, ...],
          mapping: Mapping[str, str] | None) -> tuple[CsvSource, Iterable[tuple[int, list[str]]], ColumnMap]:
    source = CsvSource(path)
    rows = source.rows()
    first = next(rows, None)  # reads the header too
    try:
        columns = map_columns(source.headers, table, required, mapping)
    except ColumnError as error:
        raise Invalid(f"{path}: line 1: {error}") from error
    if first is None:
        raise Invalid(f"{path}: no data rows below the header")

    def all_rows() -> Iterable[tuple[int, list[str]]]:
        yield first
        yield from rows

    return source, all_rows(), columns


def _chunks(rows: Iterable[tuple[int, list[str]]], source: CsvSource, report: ImportReport,
            progress: Progress | None) -> Iterable[list[tuple[int, list[str]]]]:
    chunk: list[tuple[int, list[str]]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
            if progress:
                progress(report.read + len(chunk), source.position(), source.size)
    if chunk:
        yield chunk


def _values(columns: ColumnMap, headers: list[str], values: list[str]) -> dict[str, str]:
    if len(values) != len(headers):
        raise ValueProblem(f"has {len(values)} fields, the header has {len(headers)}")
    return {name: values[index] for index, name in columns.fields.items()}


# -- leads --------------------------------------------------------------------------------------
def _lead_from_row(config: Config, columns: ColumnMap, headers: list[str], values: list[str]) -> dict[str, Any]:
    raw = _values(columns, headers, values)
    try:
        email = normalize_email(raw.get("email"))
    except EmailError as error:
        raise ValueProblem(f"email: {error}") from None
    lead: dict[str, Any] = {"email": email, "email_display": raw["email"].strip()}
    for name in _LEAD_TEXT:
        lead[name] = clean_text(raw.get(name))
    size = clean_text(raw.get("company_size"))
    lead["company_size"] = parse_count(size, "company_size") if size else None
    created = clean_text(raw.get("created_at"))
    lead["created_at"] = to_epoch(parse_time(created, config.calendar.zone, "created_at")) if created else None
    lead["form"] = {
        header: value.strip() for index, header in columns.extra.items() if (value := values[index]).strip()
    }
    return lead


def _merge(current: dict[str, Any], incoming: dict[str, Any], overwrite: bool) -> dict[str, Any]:
    """The changes an incoming row makes: blanks filled (or, with overwrite, values replaced)."""
    changes: dict[str, Any] = {}
    for name in _LEAD_DATA:
        new = incoming.get(name)
        if new is not None and new != current.get(name) and (overwrite or current.get(name) is None):
            changes[name] = new
    form = dict(current.get("form") or {})
    for key, value in incoming["form"].items():
        if value != form.get(key) and (overwrite or not form.get(key)):
            form[key] = value
    if form != (current.get("form") or {}):
        changes["form"] = form
    return changes


_LEAD_SELECT = ("id", "email", *_LEAD_DATA, "form")


def _existing(emails: list[str]) -> dict[str, dict[str, Any]]:
    found: dict[str, dict[str, Any]] = {}
    for start in range(0, len(emails), 900):
        part = emails[start : start + 900]
        cursor = database.obj.execute_sql(
            f"SELECT {', '.join(_LEAD_SELECT)} FROM lead WHERE email IN ({', '.join('?' * len(part))})", part
        )
        for row in cursor:
            lead = dict(zip(_LEAD_SELECT, row))
            lead["form"] = json.loads(lead["form"]) if lead["form"] else {}
            found[lead["email"]] = lead
    return found


def _write_leads(context: Context, chunk: list[tuple[int, list[str]]], source: CsvSource, columns: ColumnMap,
                 rejects: RejectWriter, report: ImportReport, overwrite: bool) -> None:
    parsed: list[tuple[int, list[str], dict[str, Any]]] = []
    for line, values in chunk:
        report.read += 1
        try:
            parsed.append((line, values, _lead_from_row(context.config, columns, source.headers, values)))
        except ValueProblem as problem:
            rejects.add(line, str(problem), values)
    now = to_epoch(context.now())
    with write():
        known = _existing(sorted({lead["email"] for _, _, lead in parsed}))
        inserts: dict[str, dict[str, Any]] = {}
        updates: dict[str, dict[str, Any]] = {}
        for _line, _values_, incoming in parsed:
            current = known.get(incoming["email"]) or inserts.get(incoming["email"])
            if current is None:
                inserts[incoming["email"]] = incoming
                report.inserted += 1
                continue
            changes = _merge(current, incoming, overwrite)
            if not changes:
                report.duplicates += 1
                continue
            current.update(changes)
            if "id" in current:
                updates[incoming["email"]] = current
            report.updated += 1
        columns_out = ("email", "email_display", *_LEAD_DATA, "form", "fit_points", "disqualifier")
        last_id = lead_store.max_id()
        database.obj.cursor().executemany(
            f"INSERT INTO lead ({', '.join(columns_out)}, inserted_at, updated_at) "
            f"VALUES ({', '.join('?' * len(columns_out))}, ?, ?)",
            [(*_lead_columns(context, lead, columns_out), now, now) for lead in inserts.values()],
        )
        scores.add_new_leads(last_id)
        changed_out = (*_LEAD_DATA, "form", "fit_points", "disqualifier")
        database.obj.cursor().executemany(
            f"UPDATE lead SET {', '.join(f'{name} = ?' for name in changed_out)}, updated_at = ? WHERE id = ?",
            [(*_lead_columns(context, lead, changed_out), now, lead["id"]) for lead in updates.values()],
        )
        scores.mark_due(lead["id"] for lead in updates.values())


def _lead_columns(context: Context, lead: dict[str, Any], names: tuple[str, ...]) -> tuple[Any, ...]:
    points, disqualifier = fit_row(context, lead)
    values = {**lead, "form": json.dumps(lead["form"], ensure_ascii=False) if lead["form"] else None,
              "fit_points": points, "disqualifier": disqualifier}
    return tuple(values[name] for name in names)


def import_leads(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                 overwrite: bool = False, progress: Progress | None = None) -> ImportReport:
    source, rows, columns = _open(path, LEAD_COLUMNS, ("email",), mapping)
    report = ImportReport("leads", str(path), extra_columns=list(columns.extra.values()))
    rejects = RejectWriter(path, source.headers)
    try:
        for chunk in _chunks(rows, source, report, progress):
            _write_leads(context, chunk, source, columns, rejects, report, overwrite)
    finally:
        report.rejected = rejects.count
        closed = rejects.close()
        report.rejects_file = str(closed) if closed else None
    return report


# -- events -------------------------------------------------------------------------------------
def import_events(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                  progress: Progress | None = None) -> ImportReport:
    source, rows, columns = _open(path, EVENT_COLUMNS, ("email", "type", "occurred_at"), mapping)
    report = ImportReport("events", str(path), extra_columns=list(columns.extra.values()))
    rejects = RejectWriter(path, source.headers)
    ids = dict(database.obj.execute_sql("SELECT email, id FROM lead").fetchall())
    zone = context.config.calendar.zone
    try:
        for chunk in _chunks(rows, source, report, progress):
            batch: list[tuple[int, str, int, str]] = []
            for line, values in chunk:
                report.read += 1
                try:
                    raw = _values(columns, source.headers, values)
                    try:
                        email = normalize_email(raw["email"])
                    except EmailError as error:
                        raise ValueProblem(f"email: {error}") from None
                    lead_id = ids.get(email)
                    if lead_id is None:
                        raise ValueProblem(f"email: no lead with email {raw['email'].strip()!r}")
                    kind = clean_text(raw["type"])
                    if kind is None:
                        raise ValueProblem("type: missing")
                    if not clean_text(raw["occurred_at"]):
                        raise ValueProblem("occurred_at: missing")
                    at = to_epoch(parse_time(raw["occurred_at"], zone, "occurred_at"))
                except ValueProblem as problem:
                    rejects.add(line, str(problem), values)
                    continue
                batch.append((lead_id, kind, at, (raw.get("detail") or "").strip()))  # type: ignore[arg-type]
            with write():
                new = event_store.insert_many(batch)
                scores.mark_due({row[0] for row in batch})
            report.inserted += new
            report.duplicates += len(batch) - new
    finally:
        report.rejected = rejects.count
        closed = rejects.close()
        report.rejects_file = str(closed) if closed else None
    return report


# -- accounts -----------------------------------------------------------------------------------
def _domain(text: str) -> str:
    domain = text.strip().lower()
    for prefix in ("https://", "http://"):
        domain = domain.removeprefix(prefix)
    domain = domain.split("/", 1)[0].lstrip("@").removeprefix("www.")
    if "@" in domain:
        domain = domain.rsplit("@", 1)[1]
    if not domain or "." not in domain or " " in domain:
        raise ValueProblem(f"domain: not a domain: {text.strip()!r}")
    return domain


def import_accounts(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                    progress: Progress | None = None) -> ImportReport:
    source, rows, columns = _open(path, ACCOUNT_COLUMNS, ("domain",), mapping)
    report = ImportReport("accounts", str(path), extra_columns=list(columns.extra.values()))
    rejects = RejectWriter(path, source.headers)
    now = to_epoch(context.now())
    try:
        for chunk in _chunks(rows, source, report, progress):
            with write():
                for line, values in chunk:
                    report.read += 1
                    try:
                        raw = _values(columns, source.headers, values)
                        domain = _domain(raw["domain"])
                        owner = clean_text(raw.get("owner"))
                        if owner is not None and context.config.rep(owner) is None:
                            reps = ", ".join(rep.handle for rep in context.config.reps)
                            raise ValueProblem(f"owner: {owner!r} is not a rep (reps: {reps})")
                    except ValueProblem as problem:
                        rejects.add(line, str(problem), values)
                        continue
                    _upsert_account(domain, clean_text(raw.get("name")), owner, now, report)
                routing_changed()
    finally:
        report.rejected = rejects.count
        closed = rejects.close()
        report.rejects_file = str(closed) if closed else None
    return report


def _upsert_account(domain: str, name: str | None, owner: str | None, now: int, report: ImportReport) -> None:
    db = database.obj
    row = db.execute_sql("SELECT name, owner FROM account WHERE domain = ?", (domain,)).fetchone()
    if row is None:
        db.execute_sql(
            "INSERT INTO account (domain, name, owner, updated_at) VALUES (?, ?, ?, ?)", (domain, name, owner, now)
        )
        report.inserted += 1
        return
    new_name = name if name is not None else row[0]
    new_owner = owner if owner is not None else row[1]
    if (new_name, new_owner) == tuple(row):
        report.duplicates += 1
        return
    db.execute_sql(
        "UPDATE account SET name = ?, owner = ?, updated_at = ? WHERE domain = ?", (new_name, new_owner, now, domain)
    )
    report.updated += 1
