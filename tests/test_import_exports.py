"""CSV import against files as real tools export them: CRM reports and exports (Salesforce,
HubSpot, Apollo, LinkedIn, Marketo), and spreadsheets on other locales.

Each test writes the file byte for byte as the tool does, imports it through the command line,
and checks the summary's counts, the rejects file and the stored leads.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import MONDAY_9AM, Workspace
from test_import_hostile import absent, counts, imp, rejects, show, write


def test_rows_with_no_value_at_all_are_skipped_like_blank_lines(ws: Workspace) -> None:
    # Excel writes ",,,," (";;;;" on a French or German Windows) for formatted rows after the
    # data, and a Salesforce report a quoted empty line ("") before its footer
    path = write(ws, "excel.csv", "\ufeffEmail,First Name,Company\r\nada@acme.com,Ada,Acme\r\n,,\r\n ,, \r\n\"\"\r\n"
                                  "bea@beta.io,Bea,Beta\r\n,,\r\n")
    report = imp(ws, "leads", path)
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report["rejects_file"] is None
    path = write(ws, "events.csv", "email,type,occurred_at,detail\nada@acme.com,page_view,2026-11-20T10:00:00Z,x\n"
                                   ",,,\n\"\",\"\",\"\",\"\"\n")
    assert counts(imp(ws, "events", path)) == (1, 1, 0, 0, 0)
    path = write(ws, "accounts.csv", "domain;name;owner\r\nacme.com;Acme;\r\n;;\r\n")
    assert counts(imp(ws, "accounts", path)) == (1, 1, 0, 0, 0)


def test_a_row_with_a_value_in_any_field_is_still_a_reject(ws: Workspace) -> None:
    path = write(ws, "excel.csv", "Email,First Name,Company\nada@acme.com,Ada,Acme\n,,Beta\n")
    report = imp(ws, "leads", path)
    assert counts(report) == (2, 1, 0, 0, 1)
    assert rejects(report) == [["3", "email: missing email", "", "", "Beta"]]
