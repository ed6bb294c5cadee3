"""``import accounts``: which rep owns which email domain (routing's first rule)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path

from leadterm.engine.columns import ACCOUNT_COLUMNS
from leadterm.engine.values import ValueProblem, clean_text, composed
from leadterm.service.context import Context
from leadterm.service.handoff import routing_changed
from leadterm.service.importing import ImportReport, Progress, count_net_change, open_job, run_pipeline, wrong_width
from leadterm.store import team

__all__ = ["import_accounts", "normalize_domain"]

Account = tuple[str, str | None, str | None]


def normalize_domain(text: str) -> str:
    """``https://www.Acme.com/about``, ``https://user@acme.com:8443/x``, ``@acme.com`` and
    ``ada@acme.com`` are all ``acme.com``; composed (NFC), as a lead's email is, so that
    ``café.fr`` written with a combining accent is the domain of ``ada@café.fr``."""
    domain = composed(text).strip().lower()
    url = domain.startswith(("https://", "http://"))
    domain = domain.split("://", 1)[1] if url else domain
    if url or "@" not in domain:  # an email address's local part may hold "/", "?" or "#"
        domain = domain.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]
    if "@" in domain:  # an email address, or a URL's user@ (or user:password@)
        domain = domain.rsplit("@", 1)[1]
    domain = domain.split(":", 1)[0]  # a port
    domain = domain.removeprefix("www.").strip(".")
    if not domain or "." not in domain or any(char.isspace() for char in domain):
        raise ValueProblem(f"domain: not a domain: {text.strip()!r}")
    return domain


def import_accounts(context: Context, path: Path, mapping: Mapping[str, str] | None = None,
                    progress: Progress | None = None, encoding: str | None = None) -> ImportReport:
    job = open_job("accounts", path, ACCOUNT_COLUMNS, ("domain",), mapping, progress, encoding=encoding)
    report = job.report
    columns = {name: index for index, name in job.columns.fields.items()}
    width = len(job.source.headers)
    reps = ", ".join(rep.handle for rep in context.config.reps)
    # an owner as a CRM writes one: a rep's handle whatever its case, or the rep's name ("Alice
    # Ng", as a Salesforce "Account Owner" column has it); None for a name two reps share
    def key(text: str) -> str:
        return " ".join(composed(text).split()).casefold()

    owners: dict[str, str | None] = {}
    for rep in context.config.reps:
        for spelled in {key(rep.handle), key(rep.name)}:
            owners[spelled] = rep.handle if owners.get(spelled, rep.handle) == rep.handle else None

    def owner_of(written: str) -> str:
        if context.config.rep(written) is not None:
            return written
        spelled = key(written)
        if spelled in owners and owners[spelled] is None:
            raise ValueProblem(f"owner: {written!r} names more than one rep by handle or name (reps: {reps})")
        if spelled not in owners:
            raise ValueProblem(f"owner: {written!r} is not a rep (reps: {reps})")
        return owners[spelled]

    def looks_like_row(values: list[str]) -> bool:
        try:
            normalize_domain(values[columns["domain"]])
            return True
        except ValueProblem:
            return False

    def check_row(line: int, values: list[str]) -> Account | None:
        """One row checked; None when it was refused."""
        try:
            if (problem := wrong_width(values, width)) is not None:
                raise ValueProblem(problem)
            domain = normalize_domain(values[columns["domain"]])
            name = clean_text(composed(values[columns["name"]])) if "name" in columns else None
            owner = clean_text(values[columns["owner"]]) if "owner" in columns else None
            owner = owner_of(owner) if owner is not None else None
        except ValueProblem as problem:
            job.reject(line, str(problem), values)
            return None
        return domain, name, owner

    def parsed() -> Iterator[Account]:  # accounts files are small: no block is taken whole
        for _, account in job.converted(looks_like_row, lambda block: None, check_row):
            yield account

    def write_chunk(chunk: list[Account]) -> Counter[str]:  # in the pipeline's transaction
        """Rows merged one by one; those for an account already stored count by what they
        change in all (``count_net_change``), as import leads counts a known lead's rows."""
        now = int(context.now().timestamp())
        counts: Counter[str] = Counter()
        stored = team.accounts_of(domain for domain, _, _ in chunk)
        rows: Counter[str] = Counter()
        for domain, name, owner in chunk:
            outcome, changed = team.merge_account(domain, name, owner, now)
            if domain in stored:
                rows[domain] += 1
                continue
            counts["duplicates" if outcome == "duplicate" else outcome] += 1  # or inserted, updated
            counts.update(f"changed.{field}" for field in changed)
        now_stored = team.accounts_of(rows)
        for domain, count in rows.items():
            pairs = zip(("name", "owner"), stored[domain], now_stored[domain])
            count_net_change(counts, count, [field for field, before, after in pairs if before != after])
        routing_changed()
        return counts

    with job.running():
        report.add(run_pipeline(parsed(), write_chunk))
    return report
