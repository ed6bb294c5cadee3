"""``export leads``: every lead, in every stage, with its handoff state and form answers, as a
CSV that is safe to open in a spreadsheet and that ``import leads`` reads back unchanged."""

from __future__ import annotations

import csv
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from leadterm.engine.times import epoch_to_iso
from leadterm.engine.values import to_spreadsheet
from leadterm.service.context import Context
from leadterm.service.errors import Invalid
from leadterm.service.import_leads import DATA_FIELDS, EXPORT_ONLY_COLUMNS, TEXT_FIELDS
from leadterm.store import snapshot
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


def export_leads(context: Context, path: Path) -> ExportReport:  # noqa: ARG001 - the same signature as every action
    """Write every lead to ``path`` (replacing it atomically): UTF-8 with a byte-order mark so
    spreadsheets read accents right, cells that would start a formula protected with a '."""
    if path.is_dir():
        raise Invalid(f"{path}: is a folder")
    with snapshot():  # an import running meanwhile is in or out whole
        return _export(path)


def _export(path: Path) -> ExportReport:
    form_keys = lead_store.form_keys()
    columns = [*_DATA, *(f"form.{key}" for key in form_keys), *EXPORT_ONLY_COLUMNS]
    select = [*(f"lead.{name}" if name != "email" else "lead.email_display" for name in _DATA),
              "lead.form", *(_STATE_SQL[name] for name in EXPORT_ONLY_COLUMNS)]
    cursor = lead_store.export_rows(select)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    try:
        with temporary.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(columns)
            for row in cursor:
                data = dict(zip(_DATA, row[: len(_DATA)]))
                form = json.loads(row[len(_DATA)]) if row[len(_DATA)] else {}
                state = dict(zip(EXPORT_ONLY_COLUMNS, row[len(_DATA) + 1 :]))
                cells: list[Any] = [_cell(name, data[name]) for name in _DATA]
                cells += [to_spreadsheet(form[key]) if key in form else "" for key in form_keys]
                cells += [_cell(name, state[name]) for name in EXPORT_ONLY_COLUMNS]
                writer.writerow(cells)
                count += 1
        os.replace(temporary, path)
    except OSError as error:
        temporary.unlink(missing_ok=True)
        raise Invalid(f"{path}: cannot write ({error.strerror or error})") from error
    return ExportReport(str(path), count, form_keys)


def _cell(name: str, value: Any) -> Any:
    if value is None:
        return ""
    if name in _TIMES:
        return epoch_to_iso(value)
    if name in _TEXT:
        return to_spreadsheet(str(value))
    return value
