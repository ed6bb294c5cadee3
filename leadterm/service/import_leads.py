"""``import leads``: one lead per email; a known email fills blanks (or, with overwrite, replaces).

Built like the events import. The reader (this process) splits clean stretches of the file into
columns and cleans and checks them column by column with C-level functions (each distinct
company size parsed once), row by row only where a block needs a closer look; it works out what
is stored of a new lead (fit and disqualify rule, once per distinct value, and form answers as
JSON) and hands each block, column by column, to a writer (on Linux a forked process, so that
neither waits for the other's GIL). The two halves take about as long. The writer commits each
chunk in a transaction of its own: new leads go 235 to a statement; a chunk where a lead is
already known (the unique index on emails says so), or an email comes twice, is merged lead by
lead."""

from __future__ import annotations

import json
from array import array
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from json.encoder import encode_basestring  # type: ignore[attr-defined]  # what json.dumps(ensure_ascii=False) uses
from pathlib import Path
from typing import Any, NamedTuple

from leadterm.engine.columns import LEAD_COLUMNS
from leadterm.engine.identity import EmailError, address_as_written, normalize_email, normalize_emails
from leadterm.engine.lifecycle import DISQUALIFIED, LEAD
from leadterm.engine.times import to_epoch
from leadterm.engine.values import (
    ValueProblem, blanks_as_none, clean_column, clean_text, column_epochs, composed, composed_column, each_distinct,
    epoch_of, is_composed, parse_count, repeats,
)
from leadterm.service.context import SYSTEM, Context
from leadterm.service.csvfile import Block
from leadterm.service.importing import (
    ImportReport, Pipeline, Progress, count_net_change, email_in_column, open_job, pack_texts, unpack,
    wrong_width,
)
from leadterm.store import journal, scores
from leadterm.store import leads as lead_store

__all__ = ["import_leads", "EXPORT_ONLY_COLUMNS", "TEXT_FIELDS", "DATA_FIELDS"]

CHUNK = 5_000  # leads read one by one that the reader hands the writer at a time (a clean block goes as it comes)
TEXT_FIELDS = ("first_name", "last_name", "company", "title", "industry", "country", "phone", "source")
DATA_FIELDS = (*TEXT_FIELDS, "company_size", "created_at")
#: Columns ``export leads`` writes that an import recognises and does not keep: they are the
#: handoff's own state, not data about the lead.
EXPORT_ONLY_COLUMNS = (
    "id", "stage", "stage_reason", "owner", "score", "tier", "mql_at", "assigned_at", "accepted_at",
    "first_touch_at", "route_deadline", "accept_deadline", "first_touch_deadline", "escalation_level",
    "recheck_at",
)
_SELECT = ("id", "email", "stage", *DATA_FIELDS, "form")
_OUT = ("email", "email_display", *DATA_FIELDS, "form", "fit_points", "disqualifier", "inserted_at", "updated_at")
_CHANGE = (*DATA_FIELDS, "form", "fit_points", "disqualifier")

Lead = dict[str, Any]
#: One row, cleaned: (email normalised, as written, TEXT_FIELDS' values, company size, created
#: at, form answers per form column); a blank text is "", a blank number None
Row = tuple[str, str, list[str], "int | None", "int | None", list[str]]


class _Chunk(NamedTuple):
    """Leads column by column, cleaned as in ``Row``; once ``stored``, with what the reader
    works out for the writer to store (their fit, disqualify rule and form answers as JSON).

    Pickled (to a forked writer) with each text column as one string (``pack_texts``; None for a
    column with no value at all), unpickled with each blank as None (``_unpacked``), and the
    points as an array, so that neither side handles each text or point one by one (the sizes
    and creation times, numbers or None, are pickled as lists). The form answers travel only as
    JSON (a CRM export may bring dozens of form columns: each would be split again for nothing,
    as only a merge reads them, from the JSON), and the emails as written only where they are
    not the emails as stored already."""

    emails: list[str]
    shown: list[str]
    texts: list[list[str]]  # one column per TEXT_FIELDS
    sizes: list[int | None]
    created: list[int | None]
    answers: list[list[str]] | None  # one column per form column (None once pickled: see forms)
    points: list[int] | None = None
    disqualifiers: list[str | None] | None = None  # "" for none (None once unpickled)
    forms: list[str | None] | None = None  # "" for none (None once unpickled)

    @property
    def blank(self) -> str | None:
        """What a blank text is: "" as read, None once unpickled (``_unpacked``; the answers
        travel as JSON, so an unpickled chunk has none)."""
        return None if self.answers is None else ""

    def stored(self, context: Context, keys: Sequence[str]) -> _Chunk:
        """These leads with what the writer stores of new ones: fit, disqualify rule, form JSON."""
        assert self.answers is not None
        count = len(self.emails)
        points, disqualifiers = context.scoring.fit_columns(self.columns(keys), count)
        return self._replace(points=points, disqualifiers=[name or "" for name in disqualifiers],
                             forms=_forms_json(keys, self.answers, count))

    def __reduce__(self) -> tuple[Any, ...]:
        assert self.forms is not None and self.points is not None  # sent stored
        # a column with no value at all (no one disqualified, a field the file lacks) goes as None
        texts = [pack_texts(column) if any(column) else None
                 for column in (self.emails, self.disqualifiers, self.forms, *self.texts)]
        shown = None if self.shown == self.emails else pack_texts(self.shown)
        return (_Chunk._unpack, (len(self.emails), texts, shown, self.sizes, self.created, array("q", self.points)))

    @staticmethod
    def _unpack(count: int, texts: list[Any], shown: Any, sizes: list[int | None], created: list[int | None],
                points: array) -> _Chunk:
        emails, disqualifiers, jsons, *columns = (_unpacked(column, count) for column in texts)
        return _Chunk(emails, emails if shown is None else unpack(shown, count), columns, sizes, created, None,
                      points.tolist(), disqualifiers, jsons)

    def columns(self, keys: Sequence[str]) -> dict[str, Sequence[Any]]:
        """The fields by name, form answers as ``form.<key>`` (what the fit rules read) while the
        chunk has them column by column."""
        return {"email": self.emails, "email_display": self.shown, **dict(zip(TEXT_FIELDS, self.texts)),
                "company_size": self.sizes, "created_at": self.created,
                **{f"form.{key}": column for key, column in zip(keys, self.answers or ())}}

    def leads(self, keys: Sequence[str]) -> list[Lead]:
        """Lead by lead (a blank is None, form answers a dict), for merging."""
        leads = []
        for index, email in enumerate(self.emails):
            lead: Lead = {"email": email, "email_display": self.shown[index]}
            lead.update((name, column[index] or None) for name, column in zip(TEXT_FIELDS, self.texts))
            lead["company_size"], lead["created_at"] = self.sizes[index], self.created[index]
            if self.answers is not None:
                lead["form"] = {key: column[index] for key, column in zip(keys, self.answers) if column[index]}
            else:  # as pickled: the answers are in the JSON, in the same order, blanks left out
                assert self.forms is not None
                lead["form"] = json.loads(self.forms[index]) if self.forms[index] else {}
            leads.append(lead)
        return leads


def _unpacked(packed: Any, count: int) -> list[Any]:
    """A text column as ``_Chunk`` sends it (``pack_texts``, or None for one with no value at
    all), each blank as None, as the database stores it: whether it holds a blank at all, the
    packed text tells in a few C-level searches (a search of the column would compare each
    value: about 0.25 ms a 10,000, for each of a dozen columns)."""
    if packed is None:
        return [None] * count
    if not isinstance(packed, str) or count < 2:  # a list (a value held a NUL), or one value or none
        return list(blanks_as_none(unpack(packed, count)))
    values = packed.split("\0")
    if packed[:1] == "\0" or packed[-1:] == "\0" or "\0\0" in packed:
        return [value or None for value in values]
    return values


def _as_written(column: list[str]) -> list[str]:
    """A column of a block whose fields are trimmed already (what ``clean_column`` would return)."""
    return column


def _append(chunk: _Chunk, row: Row) -> None:
    email, shown, texts, size, created, answers = row
    chunk.emails.append(email)
    chunk.shown.append(shown)
    for column, value in zip(chunk.texts, texts):
        column.append(value)
    chunk.sizes.append(size)
    chunk.created.append(created)
    for column, value in zip(chunk.answers, answers):
        column.append(value)


def _extend(chunk: _Chunk, more: _Chunk) -> None:
    for mine, theirs in zip((chunk.emails, chunk.shown, *chunk.texts, chunk.sizes, chunk.created, *chunk.answers),
                            (more.emails, more.shown, *more.texts, more.sizes, more.created, *more.answers)):
        mine.extend(theirs)


def _empty(keys: Sequence[str]) -> _Chunk:
    return _Chunk([], [], [[] for _ in TEXT_FIELDS], [], [], [[] for _ in keys])


# -- the writer ----------------------------------------------------------------------------------

def _merge(current: Lead, incoming: Lead, overwrite: bool) -> dict[str, Any]:
    """The changes a row makes to a known lead: blanks filled, or with overwrite values replaced."""
    changes: dict[str, Any] = {}
    for name in DATA_FIELDS:
        new = incoming[name]
        if new is not None and new != current.get(name) and (overwrite or current.get(name) is None):
            changes[name] = new
    form = dict(current.get("form") or {})
    for key, value in incoming["form"].items():
        if value != form.get(key) and (overwrite or not form.get(key)):
            form[key] = value
    if form != (current.get("form") or {}):
        changes["form"] = form
    return changes


def _differing(one: Lead, other: Lead) -> list[str]:
    """The fields, and ``form`` (the answers as a whole), on which two states of a lead differ."""
    names = [name for name in DATA_FIELDS if one.get(name) != other.get(name)]
    return names + ["form"] if (one.get("form") or {}) != (other.get("form") or {}) else names


def _columns_of(leads: list[Lead], names: Sequence[str]) -> dict[str, list[Any]]:
    """Leads (dicts) column by column, as ``_Chunk.columns`` gives them: ``names`` and the form answers."""
    columns = {name: [lead[name] for lead in leads] for name in names}
    keys = dict.fromkeys(key for lead in leads for key in lead["form"])
    columns.update({f"form.{key}": [lead["form"].get(key) for lead in leads] for key in keys})
    return columns


def _forms_json(keys: Sequence[str], answers: list[list[str]], count: int) -> list[str]:
    """Each lead's form answers as ``json.dumps(form, ensure_ascii=False)`` writes them ("" when
    it has none), built column by column."""
    if not answers:
        return [""] * count
    if len(answers) == 1:
        key = encode_basestring(keys[0])
        return _each_written(answers[0], lambda value: f"{{{key}: {encode_basestring(value)}}}")
    parts = [_each_written(column, lambda value, key=encode_basestring(key): f"{key}: {encode_basestring(value)}")
             for key, column in zip(keys, answers)]
    return [f"{{{text}}}" if (text := ", ".join(filter(None, row))) else "" for row in zip(*parts)]


def _each_written(column: list[str], write: Callable[[str], str]) -> list[str]:
    """``write`` of each answer ("" for a blank); each distinct answer once in a column whose
    first answers repeat (a budget band, a yes or no: 10 ms less a 100,000 leads)."""
    if repeats(column):
        return each_distinct(column, lambda value: write(value) if value else "", {})
    return [write(value) if value else "" for value in column]


def _insert(columns: Mapping[str, Sequence[Any]], points: Sequence[int], disqualifiers: Sequence[str | None],
            forms: Sequence[str | None], epoch: int, blank: str | None = "") -> bool:
    """New leads, given column by column with their fit, disqualify rule and form answers as
    JSON (a blank text is ``blank``: "" is stored as NULL, None as it is); or nothing, returning
    False, when one of their emails is a lead's already."""
    count = len(points)
    if not count:
        return True
    tidy = blanks_as_none if blank is not None else _as_written
    texts = [tidy(columns[name]) for name in TEXT_FIELDS]
    stamps = [epoch] * count
    return lead_store.insert_columns(_OUT, [columns["email"], columns["email_display"], *texts, columns["company_size"],
                                            columns["created_at"], tidy(forms), points, tidy(disqualifiers),
                                            stamps, stamps])


def _write(context: Context, overwrite: bool, keys: Sequence[str], chunk: _Chunk,
           kept: set[tuple[str, str]]) -> Counter[str]:
    """One chunk, in the pipeline's transaction (in the writer: on Linux a forked process, so it
    returns what it counted: ``inserted``, ``duplicates``, ``updated``, ``changed.FIELD``,
    ``kept.FIELD``; ``kept``: the writer's memory of what it counted as kept, ``_merge_chunk``).

    A chunk whose emails are all distinct goes in as the reader left it, unless the store finds
    one of them known (the unique index on emails says so, and the chunk's statements are taken
    back): only then are its known leads looked up and merged. A re-import pays one refused
    statement a chunk; a new file no lookup at all. (The set of a chunk's emails costs about
    0.4 ms a 10,000; without it, a chunk with an email twice would pay a refused statement up
    to the repeat before its merge, and a file with a few repeats pays it in every chunk.)"""
    now = context.now()
    distinct = set(chunk.emails)
    if len(distinct) == len(chunk.emails):
        assert chunk.points is not None and chunk.disqualifiers is not None and chunk.forms is not None  # sent stored
        if _insert(chunk.columns(keys), chunk.points, chunk.disqualifiers, chunk.forms, to_epoch(now), chunk.blank):
            return Counter(inserted=len(chunk.emails))
    known = lead_store.data_of(sorted(distinct), _SELECT)
    return _merge_chunk(context, overwrite, chunk.leads(keys), known, now, kept)


def _merge_chunk(context: Context, overwrite: bool, chunk: list[Lead], known: dict[str, Lead],
                 now: datetime, kept: set[tuple[str, str]]) -> Counter[str]:
    """A chunk lead by lead: a known email (or one met earlier in the chunk) is merged.

    A known lead that several rows merge into counts once, by what the rows change in all
    (``count_net_change``), even with ``overwrite``: row by row, two rows that name an email with
    different values would undo each other at every import, and revive a disqualified lead.
    Without ``overwrite``, each field that the rows would have changed with it, and did not,
    counts once in ``kept.FIELD`` for each lead, known or new in the chunk and named again (the
    summary says what ``--overwrite`` would replace); ``kept`` holds the (email, field) pairs
    counted so far in the import, so that a lead in several chunks counts once."""
    epoch = to_epoch(now)
    report: Counter[str] = Counter()
    new: dict[str, Lead] = {}
    stored: dict[str, Lead] = {}  # each known lead these rows merge into, as stored
    rows: Counter[str] = Counter()
    overwritten: dict[str, Lead] = {}  # without overwrite: each lead named again as overwrite would leave it

    def as_overwrite_would(email: str, start: Lead, incoming: Lead) -> None:
        if not overwrite:
            other = overwritten.setdefault(email, {**start, "form": dict(start.get("form") or {})})
            other.update(_merge(other, incoming, True))

    for incoming in chunk:
        email = incoming["email"]
        current = known.get(email)
        if current is not None:
            before = stored.setdefault(email, {**current, "form": dict(current.get("form") or {})})
            rows[email] += 1
            current.update(_merge(current, incoming, overwrite))
            as_overwrite_would(email, before, incoming)
            continue
        current = new.get(email)
        if current is None:
            new[email] = incoming
            report["inserted"] += 1
            continue
        as_overwrite_would(email, current, incoming)  # a new lead named again in the chunk (before this row)
        changes = _merge(current, incoming, overwrite)
        if not changes:
            report["duplicates"] += 1
            continue
        current.update(changes)
        report.update(f"changed.{name}" for name in changes)
        report["updated"] += 1
    for email, other in overwritten.items():
        current = known[email] if email in known else new[email]
        fresh = [name for name in _differing(other, current) if (email, name) not in kept]
        kept.update((email, name) for name in fresh)
        report.update(f"kept.{name}" for name in fresh)
    changed: dict[str, Lead] = {}
    for email, count in rows.items():
        current, before = known[email], stored[email]
        names = _differing(current, before)
        count_net_change(report, count, names)
        if names:
            changed[email] = current
    fresh = list(new.values())
    columns = _columns_of(fresh, ("email", "email_display", *DATA_FIELDS))
    # lead by lead, a blank is None already (``_Chunk.leads``, ``_form_json``, no disqualify rule)
    if not _insert(columns, *context.scoring.fit_columns(columns, len(fresh)), [_form_json(lead) for lead in fresh],
                   epoch, None):
        raise RuntimeError("import: a lead merged as new has a known email")  # the write lock is held: never
    updated = list(changed.values())
    points, disqualifiers = context.scoring.fit_columns(_columns_of(updated, ("email", *DATA_FIELDS)), len(updated))
    lead_store.update_many((*_CHANGE, "updated_at"), [
        (*(lead[name] for name in DATA_FIELDS), _form_json(lead), fit, disqualifier, epoch, lead["id"])
        for lead, fit, disqualifier in zip(updated, points, disqualifiers)
    ])
    scores.mark_due(lead["id"] for lead in updated)
    # a disqualified lead is reconsidered when its data changes
    revived = [lead for lead in updated if lead["stage"] == DISQUALIFIED]
    lead_store.update_many(("stage", "stage_reason", "updated_at"), [(LEAD, None, epoch, lead["id"]) for lead in revived])
    journal.record_many((lead["id"], now, SYSTEM, "recycled", "its data changed (import)", None, None) for lead in revived)
    return report


def _form_json(lead: Lead) -> str | None:
    return json.dumps(lead["form"], ensure_ascii=False) if lead["form"] else None


# -- the reader ----------------------------------------------------------------------------------

def import_leads(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                 overwrite: bool = False, progress: Progress | None = None, date_order: str | None = None,
                 encoding: str | None = None) -> ImportReport:
    job = open_job("leads", path, LEAD_COLUMNS, ("email",), mapping, progress, EXPORT_ONLY_COLUMNS, keeps_extra=True,
                   date_order=date_order, encoding=encoding)
    fields = {name: index for index, name in job.columns.fields.items()}
    email_at, size_at, created_at = fields["email"], fields.get("company_size"), fields.get("created_at")
    text_at = [fields.get(name) for name in TEXT_FIELDS]  # None: the file has no such column
    # form columns, each name once (a file may bring one twice: "Budget" and "form.Budget")
    keys = list(dict.fromkeys(job.columns.extra.values()))
    answer_at = [[index for index, name in job.columns.extra.items() if name == key] for key in keys]
    width = len(job.source.headers)
    zone = context.config.calendar.zone
    sizes: dict[str, int | None] = {}  # company size as written (cleaned) → as stored

    def size_of(text: str) -> int | None:
        return parse_count(text, "company_size") if text else None

    def answers_of(columns: list[list[str]], indexes: list[int], tidy: Callable[[list[str]], list[str]]) -> list[str]:
        answers = tidy(columns[indexes[0]])
        for index in indexes[1:]:  # the same form column twice: the later answer, unless blank
            answers = [later or earlier for earlier, later in zip(answers, tidy(columns[index]))]
        return answers

    def sizes_of(written: list[str]) -> list[int | None] | None:
        """Company sizes, each distinct one parsed once; None when one is not a number."""
        try:
            return each_distinct(written, size_of, sizes, limit=10_000)
        except ValueProblem:
            return None

    spelled: dict[str, int] = {}  # a creation time written as a spreadsheet writes one → its epoch

    def epochs(written: list[str]) -> list[int] | None:
        return column_epochs(written, zone, "created_at", job.dates, spelled)

    def times_of(written: list[str]) -> list[int | None] | None:
        """Creation times (None when blank); None when one is not a time."""
        if "" not in written:  # no blank to put back (one C-level search, against two passes in Python)
            return epochs(written)
        present = [text for text in written if text]
        moments = epochs(present) if present else []
        if moments is None:
            return None
        ordered = iter(moments)
        return [next(ordered) if text else None for text in written]

    def plain_block(block: Block) -> _Chunk | None:
        """A clean block's leads, cleaned column by column in C; None when any row needs a
        closer look (then the block is read row by row)."""
        columns = block.columns
        emails = normalize_emails(columns[email_at])
        if emails is None:
            return None
        tidy = _as_written if block.trimmed() else clean_column
        blank = [""] * block.count
        texts = [blank if index is None else tidy(columns[index]) for index in text_at]
        counts = [None] * block.count if size_at is None else sizes_of(tidy(columns[size_at]))
        times = [None] * block.count if created_at is None else times_of(tidy(columns[created_at]))
        if counts is None or times is None:
            return None
        answers = [answers_of(columns, indexes, tidy) for indexes in answer_at]
        if not block.composed():  # some text with an accent written decomposed (NFD): stored composed
            texts = list(map(composed_column, texts))
            answers = list(map(composed_column, answers))
        return _Chunk(emails, columns[email_at], texts, counts, times, answers)

    def check_row(line: int, values: list[str]) -> Row | None:
        """The careful path: one row checked field by field; None when it was refused."""
        reject = job.reject
        if (problem := wrong_width(values, width)) is not None:
            reject(line, problem, values)
            return None
        written = clean_text(values[email_at])  # a spreadsheet-protected cell unprotected
        try:
            email = normalize_email(written)
            size = clean_text(values[size_at]) if size_at is not None else None
            count = parse_count(size, "company_size") if size else None
            created = clean_text(values[created_at]) if created_at is not None else None
            at = epoch_of(created, zone, "created_at", job.dates) if created else None
        except EmailError as error:
            reject(line, f"email: {error}", values)
            return None
        except ValueProblem as problem:
            reject(line, str(problem), values)
            return None
        texts = ["" if index is None else clean_text(values[index]) or "" for index in text_at]
        answers = []
        for indexes in answer_at:
            answer = ""
            for index in indexes:
                answer = clean_text(values[index]) or answer
            answers.append(answer)
        if not is_composed("\n".join(values)):  # one check of the row: a third of the time of composing each text
            texts, answers = list(map(composed, texts)), list(map(composed, answers))
        return email, address_as_written(written), texts, count, at, answers

    # the form columns without a header ("column 3": Excel's empty columns after the data), by
    # their place among the answers, until some row holds a value in one: those that never do
    # are listed as ignored, not as kept (a column with a header is listed as kept, empty or not:
    # it is the file's own, and a later file may fill it)
    unheaded = {name for index, name in job.columns.extra.items() if not job.source.headers[index].strip()}
    unanswered = [at for at, key in enumerate(keys) if key in unheaded]

    def read_rows(send: Callable[[_Chunk], None]) -> None:
        """Read the file, sending chunks of good rows to the writer: each clean block (with the
        rows read one by one before it), and rows one by one in chunks of CHUNK. Blocks come
        tapered, smaller at both ends of the file, so that the writer starts soon and ends soon
        after the reader (one transaction each)."""
        chunk = _empty(keys)
        for block, row in job.converted(email_in_column(email_at), plain_block, check_row, taper=True):
            if unanswered and block is not None:
                unanswered[:] = [at for at in unanswered if not any(block.answers[at])]
            elif unanswered:
                unanswered[:] = [at for at in unanswered if not row[5][at]]
            if block is not None:
                if chunk.emails:
                    _extend(chunk, block)
                else:  # sent below at once, never appended to: a block's lists may be shared
                    chunk = block  # (its emails may be its column as written, a missing field one blank list)
            else:
                _append(chunk, row)
            if block is not None or len(chunk.emails) >= CHUNK:
                send(chunk.stored(context, keys))
                chunk = _empty(keys)
        if chunk.emails:
            send(chunk.stored(context, keys))

    with job.running():
        kept: set[tuple[str, str]] = set()  # in the writer: the (email, field) pairs kept so far (_merge_chunk)
        with Pipeline(lambda chunk: _write(context, overwrite, keys, chunk, kept), process=True,
                      own_references=True) as pipe:
            read_rows(pipe.send)
        job.report.add(pipe.counts)
        empty = [keys[at] for at in unanswered]
        job.report.extra_columns = [name for name in job.report.extra_columns if name not in empty]
        job.report.ignored_columns += empty
    return job.report
