"""``import events``: engagement, identified by lead, type, time and detail (a re-import adds nothing).

This is the import that meets millions of rows. The reader (this process) splits clean stretches
of the file into columns and converts them column by column with C-level functions (each
distinct email string is resolved to its lead once), checks odd rows one by one, and hands
chunks of at least 30,000 events (whole blocks of 2,500 lines), column by column, to a writer
(on Linux a forked process, so that neither waits for the other's GIL).
The writer sets each chunk aside in a private table in memory, outside any transaction, and then
inserts what it has gathered in one short transaction with one statement that SQLite sorts by
key, so that the event table (clustered by lead) is walked once per transaction. It commits
every four chunks (about 120,000 events; a larger transaction takes long enough to commit that
the reader fills the queue and stalls), and near the end of the file every two whenever it would
otherwise wait for the reader, which keeps the last one small.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping
from itertools import compress, repeat
from operator import is_
from pathlib import Path
from typing import Any, NamedTuple

from leadterm.engine.columns import EVENT_COLUMNS
from leadterm.engine.identity import EmailError, address_as_written, normalize_email
from leadterm.engine.values import (
    ValueProblem, clean_column, clean_text, column_epochs, composed, composed_column, each_distinct, epoch_of,
    event_type, from_spreadsheet,
)
from leadterm.service.context import Context
from leadterm.service.csvfile import Block
from leadterm.service.scoring import fit_row
from leadterm.service.importing import (
    ImportReport, Pipeline, Progress, email_in_column, open_job, pack_texts, unpack, wrong_width,
)
from leadterm.store import events as event_store
from leadterm.store import data_version, scores, write
from leadterm.store import leads as lead_store

__all__ = ["import_events"]

CHUNK = 30_000  # rows the reader hands the writer at a time
BLOCK = 2_500  # lines in a clean block: the reader's strings stay in the CPU's caches from the split
               # to the lookup of their leads (measured: the reader 15% faster than with 10,000)
LOOKUP_RATIO = 4  # look emails up as they come when the leads outnumber the file's rows this many times
MIN_ROW_BYTES = 32  # the shortest events row (email, type, time): a file of n bytes holds fewer rows than n / 32
PER_COMMIT = 4  # chunks in one transaction (about 120,000 events; larger ones stall the reader while they commit)
MIN_COMMIT = 2  # and as few as this when it would wait for the reader anyway, once the
                # rest of the file would fit in one transaction (so that the last one is small)
#: (lead id, type as written, occurred_at, detail as written but composed); with --create-leads
#: the lead may still be a _NewLead
Row = tuple[Any, str, int, str]


class _NewLead(tuple):  # (email, as written): a lead --create-leads makes
    __slots__ = ()


def _create_leads(context: Context, leads: list[Any], now: int) -> tuple[list[int], int]:
    """The lead column with each _NewLead replaced by the id of a lead created (or found) for it,
    shown as its email first came in (the column is in file order). A lead made from an email
    alone still meets the fit and disqualify rules (a competitor's domain, say)."""
    wanted: dict[str, str] = {}  # email → as first written
    for lead in leads:
        if lead.__class__ is _NewLead:
            wanted.setdefault(*lead)
    if not wanted:
        return leads, 0
    created = lead_store.create_bare(
        [(email, shown, *fit_row(context, {"email": email, "form": {}})) for email, shown in sorted(wanted.items())], now
    )
    ids = dict(lead_store.ids_of(list(wanted)))
    return [ids[lead[0]] if lead.__class__ is _NewLead else lead for lead in leads], created


class _Chunk(NamedTuple):
    """Events column by column: lead ids (with --create-leads, maybe _NewLeads), types as
    written, times (epoch seconds) and details as written but composed (the writer folds the
    types and cleans the details).

    Pickled (to a forked writer) as a few large objects: the ids and times as arrays of 64-bit
    integers, the texts joined by NUL (which no imported value holds), so that neither side
    handles a million small objects one by one.
    """

    leads: list[Any]
    kinds: list[str]
    times: list[int]
    details: list[str]
    rest: int = 0  # about how many rows the file holds after these (set when sent)
    trimmed: bool = False  # every detail is trimmed already (all came in trimmed blocks)

    def __reduce__(self) -> tuple[Any, ...]:
        leads: Any = self.leads
        try:
            leads = array("q", leads)
        except TypeError:  # --create-leads: a _NewLead among them
            pass
        texts = [pack_texts(self.kinds), pack_texts(self.details)]
        return (_Chunk._unpack, (leads, array("q", self.times), *texts, len(self.times), self.rest, self.trimmed))

    @staticmethod
    def _unpack(leads: Any, times: array, kinds: Any, details: Any, count: int, rest: int, trimmed: bool) -> _Chunk:
        return _Chunk(unpack(leads, count), unpack(kinds, count), times.tolist(), unpack(details, count), rest, trimmed)


def _append(chunk: _Chunk, row: Row) -> None:
    for column, value in zip(chunk[:4], row):
        column.append(value)


def _kind(written: str) -> str:
    """An event type as stored: trimmed, unprotected, case-folded and composed (``event_type``)."""
    return event_type(from_spreadsheet(written.strip()))


def import_events(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                  create_leads: bool = False, progress: Progress | None = None,
                  date_order: str | None = None, encoding: str | None = None) -> ImportReport:
    job = open_job("events", path, EVENT_COLUMNS, ("email", "type", "occurred_at"), mapping, progress,
                   date_order=date_order, encoding=encoding)
    source = job.source
    columns = {name: index for index, name in job.columns.fields.items()}
    email_at, type_at, time_at = columns["email"], columns["type"], columns["occurred_at"]
    detail_at = columns.get("detail")
    width = len(source.headers)
    zone = context.config.calendar.zone

    # normalised email → lead id; emails as written that differ from their normal form are added
    # as they are met, so that each distinct string is normalised once. Every lead's email is
    # read at once (one pass over the email index, once the writer has started: a forked one need
    # not copy them), unless the database holds far more leads than the file could name: then
    # the file's emails are looked up as they come (a few events into a million leads: no
    # second of reading and no 150 MB of emails), and those no lead has are remembered too.
    # An email cell is unprotected as import leads reads it (``clean_text``: "'-ada@x.com", as
    # export writes "-ada@x.com", is that lead), so a cell beginning with "'" is never a key as
    # written: it may spell another lead's email (a lead "'-ada@x.com" may exist too). Only
    # while some key begins with "'" (``quoted``: rare) does a clean block look for such cells.
    known: dict[str, int] = {}
    lookup = lead_store.max_id() > LOOKUP_RATIO * (source.size // MIN_ROW_BYTES + 1)
    absent: set[str] = set()
    quoted = False  # some key of ``known`` begins with "'"

    def learn(emails: Iterable[str]) -> None:
        """In lookup mode: find the leads of these normalised emails, unless met before."""
        nonlocal quoted
        wanted = sorted({email for email in emails if email not in known and email not in absent})
        if wanted:
            found = dict(lead_store.ids_of(wanted))
            known.update(found)
            quoted = quoted or any(email[:1] == "'" for email in found)
            absent.update(email for email in wanted if email not in found)

    def normal(written: str) -> str | None:
        try:
            return normalize_email(clean_text(written))
        except EmailError:
            return None

    def resolve(written: str) -> Any:
        """A lead id, a _NewLead (--create-leads), or why the email is refused (a str)."""
        shown = clean_text(written)  # a spreadsheet-protected cell unprotected, as import leads reads it
        try:
            email = normalize_email(shown)
        except EmailError as error:
            return f"email: {error}"
        if lookup:
            learn([email])
        lead_id = known.get(email)
        if lead_id is not None:
            if written[:1] != "'":  # (never a key as written: see ``known``)
                known[written] = lead_id
            return lead_id
        if create_leads:
            return _NewLead((email, address_as_written(shown)))
        return f"email: no lead with email {shown!r} (import the lead first, or use --create-leads)"

    looks_like_row = email_in_column(email_at)

    good_kinds: set[str] = set()  # types as written that are fine as they are (a handful)
    spelled: dict[str, int] = {}  # a time written as a spreadsheet or a CRM writes one → its epoch

    def kinds_fine(written: list[str]) -> bool:
        """Is every type present and unprotected? (The writer folds them: ``_kind``.)"""
        if not good_kinds.issuperset(written):
            for value in set(written) - good_kinds:
                kind = value.strip()
                if not kind or kind.startswith("'"):
                    return False  # missing, or a spreadsheet-protected cell: row by row
                good_kinds.add(value)
        return True

    def plain_block(block: Block) -> _Chunk | None:
        """A clean block's events, converted column by column in C; None when any row needs a
        closer look (then the block is read row by row)."""
        columns_ = block.columns
        written = columns_[email_at]
        leads = list(map(known.get, written))
        if quoted and not block.trimmed([email_at]):  # some cell may begin with "'": never a key as written
            for index, email in enumerate(written):
                if email[:1] == "'":
                    leads[index] = None
        if None in leads:  # emails met for the first time
            unmet = list(compress(range(len(leads)), map(is_, leads, repeat(None))))
            if lookup:  # all of them in a few queries (the rows may yet be read one by one)
                learn(filter(None, map(normal, {written[index] for index in unmet})))
            for index in unmet:
                lead = resolve(written[index])
                if lead.__class__ is not int:
                    return None
                leads[index] = lead
        if not kinds_fine(columns_[type_at]):
            return None
        epochs = column_epochs(columns_[time_at], zone, "occurred_at", job.dates, spelled)
        if epochs is None:
            return None
        if detail_at is None:
            return _Chunk(leads, columns_[type_at], epochs, [""] * block.count, trimmed=True)
        # the writer cleans the details unless they are trimmed already (the other columns are
        # checked here) and folds the types (``_kind``); a detail is composed here, when the
        # block holds any text not composed: an event is identified by its detail too
        details = columns_[detail_at] if block.composed() else composed_column(columns_[detail_at])
        return _Chunk(leads, columns_[type_at], epochs, details, trimmed=block.trimmed([detail_at]))

    def check_row(line: int, values: list[str]) -> Row | None:
        """The careful path: one row checked field by field; None when it was refused."""
        reject = job.reject
        if (problem := wrong_width(values, width)) is not None:
            reject(line, problem, values)
            return None
        written = values[email_at]
        lead = known.get(written) if written[:1] != "'" else None  # (see ``known``)
        if lead is None:
            lead = resolve(written)
            if lead.__class__ is str:
                reject(line, lead, values)
                return None
        kind = _kind(values[type_at])
        when = values[time_at].strip()
        if not kind or not when:
            reject(line, "type: missing" if not kind else "occurred_at: missing", values)
            return None
        try:
            at = epoch_of(when, zone, "occurred_at", job.dates)
        except ValueProblem as problem:
            reject(line, str(problem), values)
            return None
        return (lead, values[type_at], at, composed(values[detail_at]) if detail_at is not None else "")

    def read_rows(send: Callable[[_Chunk], None]) -> None:
        """Read the file, sending chunks of good rows to the writer."""
        nonlocal quoted
        if not lookup:
            known.update(lead_store.email_ids())
            quoted = lead_store.any_email_starting("'")
        chunk, trimmed = _Chunk([], [], [], []), True
        for block, row in job.converted(looks_like_row, plain_block, check_row, size=BLOCK):
            if block is not None:
                for column, values in zip(chunk[:4], block[:4]):
                    column.extend(values)
                trimmed = trimmed and block.trimmed
            else:
                _append(chunk, row)
                trimmed = False
            if len(chunk.leads) >= CHUNK:
                done = source.position()
                send(chunk._replace(rest=(source.size - done) * job.report.read // max(done, 1), trimmed=trimmed))
                chunk, trimmed = _Chunk([], [], [], []), True
        if chunk.leads:
            send(chunk._replace(trimmed=trimmed))

    report = job.report

    # In the writer: every transaction that adds events marks the leads its events name as due,
    # in the same commit (so a worker pass between two of the import's transactions, or a kill,
    # never leaves a stale score). One whose events were all there already marks none (a file
    # imported again leaves the worker nothing to do); one that adds some marks every lead it
    # names, which is simpler than telling them apart and costs a rescore at most. A lead an
    # earlier transaction marked is due still, unless another connection wrote since (a worker
    # pass rescores): while none did (SQLite's data_version), only the leads not marked yet are
    # (a million events name each of 100,000 leads in most transactions: 433 -> 91 ms)
    named: set[int] = set()
    marked: set[int] = set()  # the leads this import marked due, as of ``seen``
    seen: list[int] = []  # the database's data_version in the last transaction that marked any
    kind_codes: dict[str, int] = {}  # type as written → its code (event_store.type_codes)

    def codes_of(written: set[str]) -> dict[str, int]:
        folded = {value: _kind(value) for value in written}
        codes = event_store.type_codes(folded.values())
        return {value: codes[kind] for value, kind in folded.items()}

    def write_chunk(chunk: _Chunk) -> dict[str, int]:  # outside any transaction
        leads, created = chunk.leads, 0
        if create_leads:
            with write():
                leads, created = _create_leads(context, leads, int(context.now().timestamp()))
        kinds = each_distinct(chunk.kinds, codes_of, kind_codes, together=True)
        event_store.stage(leads, kinds, chunk.times, chunk.details if chunk.trimmed else clean_column(chunk.details))
        named.update(leads)
        return {"staged": len(leads), "leads_created": created}

    def commit_staged() -> dict[str, int]:  # in a transaction
        inserted = event_store.insert_staged()
        if inserted:
            version = data_version()
            if seen != [version]:  # another connection wrote since: what was marked may be rescored
                marked.clear()
                seen[:] = [version]
            fresh = named - marked
            scores.mark_due(fresh)
            marked.update(fresh)
        named.clear()
        return {"inserted": inserted}

    def near_end(chunk: _Chunk) -> bool:
        return chunk.rest < PER_COMMIT * CHUNK

    with job.running():
        with Pipeline(write_chunk, bulk=True, per_commit=PER_COMMIT, min_commit=MIN_COMMIT, near_end=near_end,
                      commit=commit_staged, process=True) as pipe:
            read_rows(pipe.send)
        counts = pipe.counts
        report.add({**counts, "duplicates": counts["staged"] - counts["inserted"]})
    return report
