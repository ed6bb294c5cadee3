"""``export leads``: every lead, in every stage, with its handoff state and form answers, as a
CSV that is safe to open in a spreadsheet and that ``import leads`` reads back unchanged."""

from __future__ import annotations

import csv
import json
import os
import stat
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from operator import methodcaller
from pathlib import Path
from typing import Any

from leadterm.engine.text import visible
from leadterm.engine.times import epochs_to_iso
from leadterm.engine.values import spreadsheet_protected, to_spreadsheet
from leadterm.service.context import Context
from leadterm.service.errors import Invalid
from leadterm.service.import_leads import DATA_FIELDS, EXPORT_ONLY_COLUMNS, TEXT_FIELDS
from leadterm.store import database_path, snapshot
from leadterm.store import leads as lead_store

__all__ = ["ExportReport", "export_leads"]

_DATA = ("email", *DATA_FIELDS)
_STATE_SQL = {
    "id": "lead.id", "stage": "stage", "stage_reason": "stage_reason", "owner": "owner",
    "score": "lead_score.score", "tier": "tier", "mql_at": "mql_at", "assigned_at": "assigned_at",
    "accepted_at": "accepted_at", "first_touch_at": "first_touch_at", "route_deadline": "route_due",
    "accept_deadline": "accept_due", "first_touch_deadline": "first_touch_due",
    "escalation_level": "escalation_level", "recheck_at": "recheck_at",
}
_TIMES = frozenset({"created_at", "mql_at", "assigned_at", "accepted_at", "first_touch_at", "route_deadline",
                    "accept_deadline", "first_touch_deadline", "recheck_at"})
_TEXT = frozenset({"email", *TEXT_FIELDS, "stage_reason"})


@dataclass
class ExportReport:
    file: str
    leads: int
    form_columns: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {"file": self.file, "leads": self.leads, "form_columns": self.form_columns}


def export_leads(context: Context, path: Path) -> ExportReport:
    """Write every lead to ``path``: UTF-8 with a byte-order mark so spreadsheets read accents
    right, cells that would start a formula (at their start, or after a ';' where Excel splits
    them) protected with a '.

    A file (or the file a symbolic link leads to) is replaced atomically, keeping its
    permissions; anything else there (``/dev/stdout``, a pipe) is written to as it is. The
    database and the config are refused: an export over either would destroy it."""
    try:
        existing: os.stat_result | None = path.stat()  # through links: /dev/stdout is a pipe, a terminal...
    except FileNotFoundError:
        existing = None
    except OSError as error:
        raise Invalid(f"{path}: cannot write ({error.strerror or error})") from error
    # a file is replaced where it really is; anything else is written to by the name given (the
    # real name of /dev/stdout on a pipe, /proc/self/fd/1 -> "pipe:[N]", can be opened by no one)
    target = path if existing is not None and not stat.S_ISREG(existing.st_mode) else path.resolve()
    if existing is not None:
        if stat.S_ISDIR(existing.st_mode):
            raise Invalid(f"{path}: is a folder")
        database = database_path()
        guarded = [(database, "the database"), (context.config.path, "the config")]
        guarded += [(Path(f"{database}{suffix}"), "the database's journal") for suffix in ("-wal", "-shm")]
        for other, what in guarded:
            try:
                same = other is not None and other.exists() and target.samefile(other)
            except OSError:  # one that cannot be looked at (a folder this user may not enter) is not it
                same = False
            if same:
                raise Invalid(f"{path}: is {what}; export to another file")
    with snapshot():  # one read transaction: the leads as committed when it began
        return _export(path, target, existing)


def _export(path: Path, target: Path, existing: os.stat_result | None) -> ExportReport:
    form_keys = lead_store.form_keys()
    columns = [*_DATA, *(f"form.{key}" for key in form_keys), *EXPORT_ONLY_COLUMNS]
    select = [*(f"lead.{name}" if name != "email" else "lead.email_display" for name in _DATA),
              "lead.form", *(_STATE_SQL[name] for name in EXPORT_ONLY_COLUMNS)]
    in_place = existing is not None and not stat.S_ISREG(existing.st_mode)  # a device, a pipe
    written = target if in_place else target.with_name(f".{target.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with written.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)  # (it writes None as an empty cell)
            # on a terminal (export leads /dev/stdout), shown, not stored: no cell's control
            # character is obeyed there (an ESC sequence in a name), each is written as an escape
            shown = in_place and handle.isatty()
            writer.writerow([visible(to_spreadsheet(name)) if shown else to_spreadsheet(name) for name in columns])
            for rows in lead_store.export_rows(select):
                table = list(zip(*rows))  # column by column: each cleaned in C-level passes
                cells = [_column(name, values) for name, values in zip(_DATA, table)]
                cells += _form_columns(table[len(_DATA)], form_keys)
                cells += [_column(name, values) for name, values in zip(EXPORT_ONLY_COLUMNS, table[len(_DATA) + 1:])]
                writer.writerows(zip(*cells) if not shown else
                                 ([visible(cell) if isinstance(cell, str) else cell for cell in row] for row in zip(*cells)))
                count += len(rows)
        if not in_place:
            if existing is not None:
                os.chmod(written, stat.S_IMODE(existing.st_mode))
            os.replace(written, target)
    except OSError as error:
        if not in_place:
            written.unlink(missing_ok=True)
        if isinstance(error, BrokenPipeError):  # what reads the pipe stopped reading (| head): the caller's to end
            raise
        raise Invalid(f"{path}: cannot write ({error.strerror or error})") from error
    return ExportReport(str(path), count, form_keys)


def _column(name: str, values: Sequence[Any]) -> Sequence[Any]:
    """A column of cells as written (None for an empty one): times as ISO 8601 in UTC, texts
    protected for spreadsheets, the rest as they are."""
    if name in _TIMES:
        return _each_distinct(values, epochs_to_iso)
    if name in _TEXT:
        return _protected(values)
    return values


def _protected(values: Sequence[Any]) -> Sequence[Any]:
    """Texts (or None) with a ' where a spreadsheet would see a formula start (at a text's start
    or after a ';'); a column with none such as it is (C-level searches; filter(None, ...)
    leaves out None and "", which need nothing)."""
    if not spreadsheet_protected(list(filter(None, values))):
        return values
    return _each_distinct(values, partial(map, to_spreadsheet))


def _each_distinct(values: Sequence[Any], write: Callable[[list[Any]], Iterable[Any]]) -> list[Any]:
    """``write`` (C-level passes over a list) applied to each distinct value once, and the column
    mapped through what it wrote (None maps to None)."""
    distinct = list(set(values) - {None})
    return list(map(dict(zip(distinct, write(distinct))).get, values))


def _form_columns(forms: Sequence[str | None], keys: list[str]) -> list[Sequence[Any]]:
    """One column per form answer (None where a lead has none), protected for spreadsheets."""
    answers = [json.loads(form) if form else {} for form in forms]
    return [_protected(list(map(methodcaller("get", key), answers))) for key in keys]
