"""CSV headers → lead, event and account fields, with the export names of HubSpot,
Salesforce, Apollo, Pipedrive, Google Contacts, Outlook and spreadsheets as aliases (HubSpot's
and Salesforce's French and German labels among them, as a team on those locales exports them).
Matching ignores case, spaces, ``_``, ``-`` and ``.``."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from leadterm.engine.values import composed, from_spreadsheet

__all__ = ["LEAD_COLUMNS", "EVENT_COLUMNS", "ACCOUNT_COLUMNS", "ColumnMap", "map_columns", "header_key", "ColumnError"]


def header_key(header: str) -> str:
    """The comparison key of a header: composed (NFC: macOS tools may write "Prénom" with a
    combining accent), lower case, without spaces, underscores, dashes, dots."""
    key = re.sub(r"[\s_\-.]+", "", header.strip().lstrip("\ufeff")).casefold()
    return key if key.isascii() else unicodedata.normalize("NFC", key)


def _aliases(table: Mapping[str, Sequence[str]]) -> dict[str, str]:
    keys: dict[str, str] = {}
    for field, names in table.items():
        for name in (field, *names):
            keys[header_key(name)] = field
    return keys


#: field → its other spellings (HubSpot labels and internal names, Salesforce labels and API names)
LEAD_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": (
        "Email", "Email Address", "E-mail", "E-mail Address", "Work Email", "Business Email", "Primary Email",
        "Adresse e-mail", "Adresse email", "Courriel", "E-Mail-Adresse", "$email",
        "Person - Email", "Person - Email - Work", "E-mail 1 - Value",
    ),
    "first_name": ("First Name", "FirstName", "firstname", "Given Name", "First", "Person - First name", "Prénom",
                   "Vorname"),
    "last_name": ("Last Name", "LastName", "lastname", "Surname", "Family Name", "Last", "Person - Last name", "Nom",
                  "Nom de famille",
                  "Nachname"),
    "company": (
        "Company", "Company Name", "Account Name", "Organization", "Organisation", "Account",
        "Company / Account", "Account: Name", "Person - Organization", "Organization - Name", "Organization Name",
        "Organization 1 - Name", "Société", "Entreprise", "Nom de l'entreprise", "Nom de l’entreprise", "Firma",
        "Unternehmen", "Firmenname",
    ),
    "title": ("Job Title", "Title", "jobtitle", "Position", "Role", "Designation", "Person - Job title",
              "Organization Title", "Organization 1 - Title", "Fonction", "Poste", "Intitulé du poste",
              "Berufsbezeichnung", "Jobtitel"),
    "industry": ("Industry", "Secteur", "Secteur d'activité", "Secteur d’activité", "Branche"),
    "company_size": (
        "Company Size", "Number of Employees", "NumberOfEmployees", "numemployees", "Employees",
        "Employee Count", "Headcount", "No. of Employees", "# Employees", "Effectif", "Nombre d'employés",
        "Nombre d’employés", "Mitarbeiter", "Mitarbeiteranzahl", "Anzahl Mitarbeiter", "Anzahl der Mitarbeiter",
    ),
    "country": ("Country", "Country/Region", "Country Region", "Billing Country", "BillingCountry",
                "Business Country/Region", "Pays",
                "Pays/Région", "Land", "Land/Region"),
    "phone": ("Phone", "Phone Number", "Mobile", "Mobile Phone", "MobilePhone", "mobilephone", "Mobile Phone Number",
              "Business Phone", "Person - Phone", "Person - Phone - Work", "Phone 1 - Value", "Telephone",
              "First Phone", "Téléphone", "Numéro de téléphone", "Telefon", "Telefonnummer", "Mobiltelefon"),
    "source": (
        "Source", "Lead Source", "LeadSource", "Original Source", "hs_analytics_source",
        "Original Source Type", "UTM Source", "Channel", "Source d'origine", "Source d’origine",
        "Origine", "Lead-Quelle", "Leadquelle", "Originalquelle",
    ),
    "created_at": (
        "Created At", "Create Date", "createdate", "Created Date", "CreatedDate", "Date Created",
        "Created", "Creation Date", "Created Time", "Created On", "Date Added", "Date de création",
        "Fecha de creación", "Erstellt am", "Erstelldatum", "Erstellungsdatum",
    ),
}
EVENT_COLUMNS: dict[str, tuple[str, ...]] = {
    "email": LEAD_COLUMNS["email"],
    "type": ("Type", "Event", "Event Type", "Activity", "Activity Type", "Action"),
    "occurred_at": ("Occurred At", "Timestamp", "Time", "Date", "Event Date", "Activity Date", "When"),
    "detail": ("Detail", "Details", "Description", "URL", "Page", "Campaign", "Subject"),
}
ACCOUNT_COLUMNS: dict[str, tuple[str, ...]] = {
    "domain": ("Domain", "Company Domain", "Company Domain Name", "Website", "Email Domain"),
    "name": ("Name", "Company", "Company Name", "Account Name"),
    "owner": ("Owner", "Account Owner", "Contact Owner", "Owner Handle", "Rep"),
}


#: Headers that name their field only in a file without a stronger header for it (that --map
#: does not send elsewhere): Outlook's contacts export has "Title" (Dr., Ms.) as well as "Job
#: Title", where Salesforce's "Title" is the job. Header key → (field, the stronger keys).
_WEAK = {"title": ("title", ("jobtitle",))}


class ColumnError(ValueError):
    """A header row leadterm cannot work with."""


@dataclass(frozen=True)
class ColumnMap:
    fields: dict[int, str]
    """Column index → field."""
    extra: dict[int, str]
    """Column index → header (trimmed, composed), for columns that are not fields (kept as form answers)."""
    ignored: tuple[str, ...] = ()
    """Headers deliberately not read (``--map "Column=-"``, an export's computed columns)."""

    def index_of(self, field: str) -> int | None:
        return next((index for index, name in self.fields.items() if name == field), None)


def _yields(key: str, present: set[str], forced: Mapping[str, str]) -> bool:
    """Whether a weak header (``_WEAK``) yields its field to a stronger one the file has."""
    if key not in _WEAK:
        return False
    field, stronger = _WEAK[key]
    return any(other in present and forced.get(other, field) == field for other in stronger)


def map_columns(
    headers: Sequence[str],
    table: Mapping[str, Sequence[str]],
    required: Sequence[str],
    overrides: Mapping[str, str] | None = None,
    ignore: Iterable[str] = (),
    passed: int = 0,
) -> ColumnMap:
    """Match each header to a field; ``overrides`` maps a header (as written) to a field or
    ``-`` (skip it), at the first column with that header only (a rejects file's ``line`` and
    ``reason`` come first, before a file's own columns of the same names); headers in
    ``ignore`` are known columns that are not read. The first ``passed`` columns are not read
    (a rejects file's own ``line`` and ``reason``), and a column without a header is numbered
    from after them, as in the file they came from."""
    aliases = _aliases(table)
    # a field as named in any case, spaces, _ and - aside (EMAIL, Company Size: company_size)
    names = {header_key(field): field for field in table}

    def named(field: str) -> str | None:
        return "-" if field.strip() == "-" else names.get(header_key(field))

    forced = {header_key(header): named(field) or field for header, field in (overrides or {}).items()}
    unknown_forced = [field for field in (overrides or {}).values() if named(field) is None]
    if unknown_forced:
        raise ColumnError(
            f"--map names unknown field {unknown_forced[0]!r} (fields: {', '.join(table)}; '-' skips a column)"
        )
    present = {header_key(header) for header in headers}
    missing_maps = [header for header in (overrides or {}) if header_key(header) not in present]
    if missing_maps:
        raise ColumnError(f"--map names column {missing_maps[0]!r}, which the file does not have")
    skipped = {header_key(name) for name in ignore}
    # a field --map gives to a column is not also taken by an alias match elsewhere in the header
    claimed = {field for key, field in forced.items() if field != "-" and key in present}
    fields: dict[int, str] = {}
    extra: dict[int, str] = {}
    ignored: list[str] = []
    taken: dict[str, str] = {}
    mapped: set[str] = set()  # a --map names the first column with its header; a later one reads as unnamed
    for index, header in enumerate(headers):
        key = header_key(header)
        if index < passed:  # (a --map of its header names this column: the first with it)
            ignored.append(header.strip())
            mapped.add(key)
            continue
        field = None
        if key in forced and key not in mapped:
            field = forced[key]
            mapped.add(key)
        if field is None and (field := aliases.get(key)) is not None and (field in claimed or _yields(key, present, forced)):
            field = None
        if field == "-" or (field is None and key in skipped):
            ignored.append(header.strip())
            continue
        if field is None or field in taken:
            # composed (NFC), as the answers are stored: a question written with a combining
            # accent is the same question, and the same key as a rule's form.<column>
            # and unprotected as any text an import keeps (an export protects form.Q;=X as form.Q;'=X)
            name = from_spreadsheet(composed(header.strip())) or f"column {index + 1 - passed}"
            # leadterm's exports write form answers as "form.<name>"
            extra[index] = name[5:] if name[:5].lower() == "form." and len(name) > 5 else name
            continue
        taken[field] = header
        fields[index] = field
    for field in required:
        if field not in taken:
            raise ColumnError(
                f"no {field} column (headers: {', '.join(h.strip() for h in headers)}); "
                f"use --map \"Column={field}\""
            )
    return ColumnMap(fields, extra, tuple(ignored))
