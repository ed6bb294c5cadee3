"""``import events``: engagement, identified by lead, type, time and detail (a re-import adds nothing).

This is the import that meets millions of rows. The reader (this process) splits clean stretches
of the file into columns and converts them column by column with C-level functions (each
distinct email string is resolved to its lead once), checks odd rows one by one, and hands
chunks of 25,000 events to a writer (on Linux a forked process, so that neither waits for the
other's GIL). The writer stages each transaction's events in a private table in memory and
inserts them with one statement that SQLite sorts by key, so that the event table (clustered by
lead) is walked once per transaction. Events travel flat (four values each) so that neither side
builds a tuple per row.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial
from itertools import chain, compress, repeat
from operator import attrgetter, is_
from pathlib import Path
from typing import Any

from leadterm.engine.columns import EVENT_COLUMNS
from leadterm.engine.identity import EmailError, normalize_email
from leadterm.engine.values import ValueProblem, epoch_of, from_spreadsheet
from leadterm.service.context import Context
from leadterm.service.csvfile import Block, CsvSource
from leadterm.service.scoring import fit_row
from leadterm.service.importing import ImportReport, Pipeline, Progress, email_in_column, open_job
from leadterm.store import events as event_store
from leadterm.store import leads as lead_store

__all__ = ["import_events"]

CHUNK = 25_000  # rows the reader hands the writer at a time
PER_COMMIT = 4  # chunks in one transaction (100,000 events)
#: (lead id, type, occurred_at, detail); with --create-leads the lead may still be a _NewLead
Row = tuple[Any, str, int, str]


class _NewLead(tuple):  # (email, as written): a lead --create-leads makes
    __slots__ = ()


def _create_leads(context: Context, rows: list[Row], now: int) -> tuple[list[Row], int]:
    """Rows naming a _NewLead get the id of a lead created (or found) for it. A lead made from
    an email alone still meets the fit and disqualify rules (a competitor's domain, say)."""
    wanted = {row[0] for row in rows if row[0].__class__ is _NewLead}
    if not wanted:
        return rows, 0
    created = lead_store.create_bare(
        [(email, shown, *fit_row(context, {"email": email, "form": {}})) for email, shown in sorted(wanted)], now
    )
    ids = dict(lead_store.ids_of([email for email, _ in wanted]))
    return [(ids[row[0][0]], *row[1:]) if row[0].__class__ is _NewLead else row for row in rows], created


def _any_quoted(values: list[str]) -> bool:
    """Does any value start with ' (a spreadsheet-protected cell)? One C-level search."""
    return "\n'" in "\n" + "\n".join(values)


def import_events(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                  create_leads: bool = False, progress: Progress | None = None) -> ImportReport:
    job = open_job("events", path, EVENT_COLUMNS, ("email", "type", "occurred_at"), mapping, progress)
    source = job.source
    columns = {name: index for index, name in job.columns.fields.items()}
    email_at, type_at, time_at = columns["email"], columns["type"], columns["occurred_at"]
    detail_at = columns.get("detail")
    width = len(source.headers)
    zone = context.config.calendar.zone
    fix_naive = partial(datetime.replace, tzinfo=zone)

    # normalised email → lead id; emails as written that differ from their normal form are added
    # as they are met, so that each distinct string is normalised once
    known: dict[str, int] = {}  # filled once the writer has started (a forked one need not copy it)

    def resolve(written: str) -> Any:
        """A lead id, a _NewLead (--create-leads), or why the email is refused (a str)."""
        try:
            email = normalize_email(written)
        except EmailError as error:
            return f"email: {error}"
        lead_id = known.get(email)
        if lead_id is not None:
            known[written] = lead_id
            return lead_id
        if create_leads:
            return _NewLead((email, written.strip()))
        return f"email: no lead with email {written.strip()!r} (import the lead first, or use --create-leads)"

    looks_like_row = email_in_column(email_at)

    kinds_seen: dict[str, str] = {}  # type as written → as stored (a handful of distinct values)

    def kinds_of(written: list[str]) -> list[str] | None:
        kinds = list(map(kinds_seen.get, written))
        if None in kinds:
            for value in set(written) - kinds_seen.keys():
                kind = value.strip().casefold()
                if not kind or kind.startswith("'"):
                    return None  # missing, or a spreadsheet-protected cell: row by row
                kinds_seen[value] = kind
            kinds = list(map(kinds_seen.__getitem__, written))
        return kinds

    def plain_block(block: Block) -> list[Any] | None:
        """A clean block's events, converted column by column in C and laid out flat (four
        values each); None when any row needs a closer look (then the block is read row by row)."""
        columns_ = block.columns
        written = columns_[email_at]
        leads = list(map(known.get, written))
        if None in leads:  # emails met for the first time
            for index in compress(range(len(leads)), map(is_, leads, repeat(None))):
                lead = resolve(written[index])
                if lead.__class__ is not int:
                    return None
                leads[index] = lead
        kinds = kinds_of(columns_[type_at])
        times = list(map(str.strip, columns_[time_at]))
        if kinds is None or "" in times:
            return None
        try:
            moments = list(map(datetime.fromisoformat, times))
        except ValueError:
            return None
        zones = set(map(attrgetter("tzinfo"), moments))
        if None in zones:
            if len(zones) > 1:
                return None  # naive and zoned times mixed: row by row
            moments = list(map(fix_naive, moments))
        epochs = map(int, map(datetime.timestamp, moments))
        if detail_at is None:
            details: list[str] = [""] * block.count
        else:
            details = list(map(str.strip, columns_[detail_at]))
            if _any_quoted(details):
                details = [from_spreadsheet(detail) for detail in details]
        flat: list[Any] = [None] * (4 * block.count)  # four values a row, laid out column by column
        flat[0::4], flat[1::4], flat[2::4], flat[3::4] = leads, kinds, list(epochs), details
        return flat

    def check_row(line: int, values: list[str], reject: Callable[..., None]) -> Row | None:
        """The careful path: one row checked field by field; None when it was refused."""
        if len(values) != width:
            reject(line, f"has {len(values)} fields, the header has {width}", values)
            return None
        written = values[email_at]
        lead = known.get(written)
        if lead is None:
            lead = resolve(written)
            if lead.__class__ is str:
                reject(line, lead, values)
                return None
        kind = from_spreadsheet(values[type_at].strip()).casefold()
        when = values[time_at].strip()
        if not kind or not when:
            reject(line, "type: missing" if not kind else "occurred_at: missing", values)
            return None
        try:
            at = epoch_of(when, zone, "occurred_at")
        except ValueProblem as problem:
            reject(line, str(problem), values)
            return None
        detail = from_spreadsheet(values[detail_at].strip()) if detail_at is not None else ""
        return (lead, kind, at, detail)

    def read_rows(part: CsvSource, reject: Callable[..., None], send: Callable[[list[Any]], None],
                  progress: Progress | None) -> int:
        """Read the file, sending chunks of good rows to the writer; returns how many rows were read."""
        known.update(lead_store.email_ids())
        read = 0
        chunk: list[Any] = []  # flat: four values an event
        for batch in part.batches(looks_like_row):
            if isinstance(batch, Block):
                read += batch.count
                flat = plain_block(batch)
                if flat is None:
                    for offset, values in enumerate(batch.rows()):
                        if (row := check_row(batch.first_line + offset, values, reject)) is not None:
                            chunk.extend(row)
                else:
                    chunk.extend(flat)
            else:
                read += 1
                line, values, problem, raw = batch
                if values is None:
                    reject(line, problem or "cannot be read", None, raw)
                elif (row := check_row(line, values, reject)) is not None:
                    chunk.extend(row)
            if progress is not None:
                progress(read, part.position(), part.size)
            if len(chunk) >= 4 * CHUNK:
                send(chunk)
                chunk = []
        if chunk:
            send(chunk)
        return read

    report = job.report

    def write_chunk(flat: list[Any]) -> dict[str, int]:  # in the writer, in its transaction
        created = 0
        if create_leads:
            rows, created = _create_leads(context, list(zip(*[iter(flat)] * 4)), int(context.now().timestamp()))
            flat = list(chain.from_iterable(rows))
        event_store.stage_flat(flat)
        return {"staged": len(flat) // 4, "leads_created": created}

    def insert_staged() -> dict[str, int]:  # last in each transaction
        return {"inserted": event_store.insert_staged()}

    try:
        with Pipeline(write_chunk, bulk=True, per_commit=PER_COMMIT, before_commit=insert_staged, process=True) as pipe:
            report.read += read_rows(job.source, job.reject, pipe.send, progress)
        report.inserted += pipe.counts["inserted"]
        report.duplicates += pipe.counts["staged"] - pipe.counts["inserted"]
        report.leads_created += pipe.counts["leads_created"]
    finally:
        job.finish()
    return report
