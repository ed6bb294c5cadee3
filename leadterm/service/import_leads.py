"""``import leads``: one lead per email; a known email fills blanks (or, with overwrite, replaces)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from leadterm.engine.columns import LEAD_COLUMNS
from leadterm.engine.identity import EmailError, normalize_email
from leadterm.engine.lifecycle import DISQUALIFIED, LEAD
from leadterm.engine.times import to_epoch
from leadterm.engine.values import ValueProblem, clean_text, parse_count, parse_time
from leadterm.service.context import SYSTEM, Context
from leadterm.service.importing import ImportReport, Job, Progress, email_in_column, open_job, run_pipeline
from leadterm.service.scoring import fit_row
from leadterm.store import journal, scores
from leadterm.store import leads as lead_store

__all__ = ["import_leads", "EXPORT_ONLY_COLUMNS", "TEXT_FIELDS", "DATA_FIELDS"]

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
_OUT = ("email", "email_display", *DATA_FIELDS, "form", "fit_points", "disqualifier")
_CHANGE = (*DATA_FIELDS, "form", "fit_points", "disqualifier")

Lead = dict[str, Any]


def _parse(job: Job[Any], context: Context, values: list[str]) -> Lead:
    width = len(job.source.headers)
    if len(values) != width:
        raise ValueProblem(f"has {len(values)} fields, the header has {width}")
    raw = {name: values[index] for index, name in job.columns.fields.items()}
    try:
        email = normalize_email(clean_text(raw["email"]))  # a spreadsheet-protected cell unprotected
    except EmailError as error:
        raise ValueProblem(f"email: {error}") from None
    lead: Lead = {"email": email, "email_display": clean_text(raw["email"]) or email}
    for name in TEXT_FIELDS:
        lead[name] = clean_text(raw.get(name))
    size = clean_text(raw.get("company_size"))
    lead["company_size"] = parse_count(size, "company_size") if size else None
    created = clean_text(raw.get("created_at"))
    lead["created_at"] = to_epoch(parse_time(created, context.config.calendar.zone, "created_at")) if created else None
    form = {}
    for index, header in job.columns.extra.items():
        if (value := clean_text(values[index])) is not None:
            form[header] = value
    lead["form"] = form
    return lead


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


def _row(context: Context, lead: Lead, names: tuple[str, ...]) -> list[Any]:
    points, disqualifier = fit_row(context, lead)
    values = {**lead, "fit_points": points, "disqualifier": disqualifier,
              "form": json.dumps(lead["form"], ensure_ascii=False) if lead["form"] else None}
    return [values[name] for name in names]


def _write(context: Context, overwrite: bool, chunk: list[Lead]) -> Counter[str]:
    """One chunk, in the pipeline's transaction (in the writer: on Linux a forked process, so it
    returns what it counted: ``inserted``, ``duplicates``, ``updated``, ``changed.FIELD``)."""
    report: Counter[str] = Counter()
    now = context.now()
    epoch = to_epoch(now)
    known = lead_store.data_of(sorted({lead["email"] for lead in chunk}), _SELECT)
    new: dict[str, Lead] = {}
    changed: dict[str, Lead] = {}
    fields_changed: Counter[str] = Counter()
    for incoming in chunk:
        email = incoming["email"]
        current = known.get(email) or new.get(email)
        if current is None:
            new[email] = incoming
            report["inserted"] += 1
            continue
        changes = _merge(current, incoming, overwrite)
        if not changes:
            report["duplicates"] += 1
            continue
        current.update(changes)
        fields_changed.update(changes.keys())
        if "id" in current:
            changed[email] = current
        report["updated"] += 1
    last_id = lead_store.max_id()
    lead_store.insert_rows((*_OUT, "inserted_at", "updated_at"),
                           [(*_row(context, lead, _OUT), epoch, epoch) for lead in new.values()])
    scores.add_new_leads(last_id)
    lead_store.update_many((*_CHANGE, "updated_at"),
                           [(*_row(context, lead, _CHANGE), epoch, lead["id"]) for lead in changed.values()])
    scores.mark_due(lead["id"] for lead in changed.values())
    # a disqualified lead is reconsidered when its data changes
    revived = [lead for lead in changed.values() if lead["stage"] == DISQUALIFIED]
    lead_store.update_many(("stage", "stage_reason", "updated_at"), [(LEAD, None, epoch, lead["id"]) for lead in revived])
    journal.record_many((lead["id"], now, SYSTEM, "recycled", "its data changed (import)", None, None) for lead in revived)
    report.update({f"changed.{name}": count for name, count in fields_changed.items()})
    return report


def import_leads(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                 overwrite: bool = False, progress: Progress | None = None) -> ImportReport:
    job = open_job("leads", path, LEAD_COLUMNS, ("email",), mapping, progress, EXPORT_ONLY_COLUMNS)
    email_index = next(index for index, name in job.columns.fields.items() if name == "email")

    def parsed() -> Iterator[Lead]:
        for line, values in job.rows(email_in_column(email_index)):
            try:
                yield _parse(job, context, values)
            except ValueProblem as problem:
                job.reject(line, str(problem), values)

    with job.running():
        job.report.add(run_pipeline(parsed(), lambda chunk: _write(context, overwrite, chunk), size=5_000,
                                    process=True))
    return job.report
