"""CSV import and export against files as the real world sends them (issue 3).

Every test builds its hostile file byte by byte, imports it through the command line and checks
the outcome, the summary's counts (read = inserted + updated + duplicates + rejected, asserted on
every import) and, for bad rows, FILE.rejects.csv with each row's physical line and reason.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import random
import sqlite3
import sys
from calendar import timegm
from itertools import product
from pathlib import Path
from typing import Any

import pytest

from conftest import ADA, BEA, CY, MONDAY_9AM, Workspace, add_events, add_leads, demo_request, stored_leads

from leadterm.engine.identity import normalize_email
from leadterm.engine.values import clean_column, clean_text, from_spreadsheet, spreadsheet_protected, to_spreadsheet

#: The longest field a row may have (README/csvfile: 131,072 characters).
MAX_FIELD = 131_072
#: What starts a formula in a spreadsheet's cell (OWASP "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
#: The handoff's own columns an export writes and an import of that export does not keep.
COMPUTED = ["id", "stage", "stage_reason", "owner", "score", "tier", "mql_at", "assigned_at", "accepted_at",
            "first_touch_at", "route_deadline", "accept_deadline", "first_touch_deadline", "escalation_level",
            "recheck_at"]
DATA_FIELDS = ("email", "first_name", "last_name", "company", "title", "industry", "company_size", "country",
               "phone", "source", "created_at", "form")


# -- helpers ------------------------------------------------------------------------------------

def write(ws: Workspace, name: str, data: bytes | str) -> Path:
    path = ws.root / name
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def imp(ws: Workspace, kind: str, path: Path, *options: str, now: str = MONDAY_9AM) -> dict[str, Any]:
    """Run ``import KIND FILE`` with --json; the summary's arithmetic must hold on every file."""
    report = ws.ok(["import", kind, str(path), *options], now=now)
    assert report["read"] == report["inserted"] + report["updated"] + report["duplicates"] + report["rejected"], report
    return report


def counts(report: dict[str, Any]) -> tuple[int, int, int, int, int]:
    return report["read"], report["inserted"], report["updated"], report["duplicates"], report["rejected"]


def rejects(report: dict[str, Any]) -> list[list[str]]:
    """The rejects file's rows as written (line, reason, the file's own cells), header checked:
    plain CSV (comma-separated UTF-8, no byte order mark), whatever the file was."""
    assert report["rejects_file"] is not None
    csv.field_size_limit(10 * MAX_FIELD)
    with open(report["rejects_file"], newline="", encoding="utf-8") as handle:
        header, *rows = list(csv.reader(handle))
    assert header[:2] == ["line", "reason"]
    return rows


def show(ws: Workspace, lead: str) -> dict[str, Any]:
    return ws.ok(["show", lead], now=MONDAY_9AM)


def absent(ws: Workspace, lead: str) -> bool:
    return ws.run(["show", lead], now=MONDAY_9AM).code == 1


def lead_total(ws: Workspace) -> int:
    return ws.ok(["export", "leads", str(ws.root / "count.export.csv")], now=MONDAY_9AM)["leads"]


def lines(*rows: str, eol: str = "\n") -> str:
    return "".join(row + eol for row in rows)


# -- 1. columns ---------------------------------------------------------------------------------

def test_hubspot_contacts_export_headers_and_text_values(ws: Workspace) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")  # HubSpot quotes every cell
    writer.writerow(["First Name", "Last Name", "Email", "Company Name", "Job Title", "Phone Number", "Create Date",
                     "Original Source", "Lead Status", "Contact owner", "Number of Employees", "Industry",
                     "Country/Region", "Postal Code"])
    writer.writerow(["Ada", "Lovelace", "ada@acme.com", "Acme", "VP Engineering", "+1 (555) 010-0000",
                     "2026-11-01 10:00", "Organic Search", "Open", "Dana Ortiz", "1,200", "Software",
                     "United States", "02134"])
    writer.writerow(["Bea", "Smith", "bea@beta.io", "Beta Ltd", "CTO", "0044 20 7946 0000", "2026-11-20 09:15:00",
                     "Paid Social", "New", "", "51-200", "Healthcare", "United Kingdom", "SW1A 1AA"])
    report = imp(ws, "leads", write(ws, "hubspot.csv", buffer.getvalue()))
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report["extra_columns"] == ["Lead Status", "Contact owner", "Postal Code"]
    assert report["ignored_columns"] == []
    ada = show(ws, "ada@acme.com")
    assert (ada["first_name"], ada["last_name"], ada["company"], ada["title"], ada["source"], ada["industry"],
            ada["country"]) == ("Ada", "Lovelace", "Acme", "VP Engineering", "Organic Search", "Software",
                                "United States")
    assert ada["phone"] == "+1 (555) 010-0000"
    assert ada["company_size"] == 1200
    # 2026-11-01 10:00 New York is after that night's fall-back: EST, UTC-5
    assert ada["created_at"] == "2026-11-01T15:00:00Z"
    assert ada["form"] == {"Lead Status": "Open", "Contact owner": "Dana Ortiz", "Postal Code": "02134"}
    bea = show(ws, "bea@beta.io")
    assert bea["phone"] == "0044 20 7946 0000"
    assert bea["company_size"] == 51  # a CRM size band reads as its lower bound
    assert bea["created_at"] == "2026-11-20T14:15:00Z"
    assert bea["form"] == {"Lead Status": "New", "Postal Code": "SW1A 1AA"}  # a blank answer is not kept


def test_salesforce_leads_export_with_api_names(ws: Workspace) -> None:
    path = write(ws, "sf.csv", lines(
        "FirstName,LastName,Email,Company,Title,LeadSource,NumberOfEmployees,Country,Phone,CreatedDate,Status,"
        "PostalCode",
        "Grace,Hopper,grace@navy.mil,US Navy,Rear Admiral,Partner Referral,10000+,USA,0044 20 7946 0000,"
        "2026-11-20T15:04:05.000+0000,Working - Contacted,02134",
        "Linus,Torvalds,linus@kernel.org,,,Web,,Finland,+358 40 0000000,2026-11-21T08:00:00.000+0200,Open,00100",
    ))
    report = imp(ws, "leads", path)
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report["extra_columns"] == ["Status", "PostalCode"]
    grace = show(ws, "grace@navy.mil")
    assert (grace["first_name"], grace["last_name"], grace["company"], grace["title"], grace["source"],
            grace["company_size"], grace["country"], grace["phone"]) == (
        "Grace", "Hopper", "US Navy", "Rear Admiral", "Partner Referral", 10000, "USA", "0044 20 7946 0000")
    assert grace["created_at"] == "2026-11-20T15:04:05Z"
    assert grace["form"] == {"Status": "Working - Contacted", "PostalCode": "02134"}
    linus = show(ws, "linus@kernel.org")
    assert linus["created_at"] == "2026-11-21T06:00:00Z"  # +02:00 stored as UTC
    assert linus["company"] is None and linus["company_size"] is None
    assert linus["phone"] == "+358 40 0000000" and linus["form"]["PostalCode"] == "00100"


def test_map_overrides_an_alias_match_and_dash_ignores_a_column(ws: Workspace) -> None:
    # "Original Source" is an alias of source and comes first; --map gives source to "Lead Status"
    path = write(ws, "odd.csv", lines("Contact,Org,Original Source,Lead Status,Internal ID,Notes",
                                      "cy@gamma.org,Gamma,Organic,Webinar,SF-0001,call back"))
    report = imp(ws, "leads", path, "--map", "Contact=email", "--map", "Org=company",
                 "--map", "Lead Status=source", "--map", "Internal ID=-")
    assert counts(report) == (1, 1, 0, 0, 0)
    assert report["ignored_columns"] == ["Internal ID"]
    assert report["extra_columns"] == ["Original Source", "Notes"]
    cy = show(ws, "cy@gamma.org")
    assert (cy["company"], cy["source"]) == ("Gamma", "Webinar")
    assert cy["form"] == {"Original Source": "Organic", "Notes": "call back"}  # nothing lost, SF-0001 not kept
    missing = ws.run(["import", "leads", str(path), "--map", "Nope=email", "--json"], now=MONDAY_9AM)
    assert missing.code == 2 and "'Nope'" in missing.err and str(path) in missing.err


# -- 2. encodings and dialects ------------------------------------------------------------------

def test_utf8_bom_crlf_and_a_quoted_newline(ws: Workspace) -> None:
    data = b"\xef\xbb\xbf" + lines("Email,First Name,Company", 'ada@acme.com,Ada,"Acme\r\nLabs"',
                                   "bea@beta.io,Béa,Beta", "oops,Bad,X", eol="\r\n").encode("utf-8")
    report = imp(ws, "leads", write(ws, "bom.csv", data))
    assert counts(report) == (3, 2, 0, 0, 1)
    assert report["extra_columns"] == [] and report["encoding"] == "utf-8-sig"
    ada = show(ws, "ada@acme.com")
    assert ada["first_name"] == "Ada"  # no stray \r
    assert ada["company"] == "Acme\r\nLabs"  # the quoted line break is kept as it was
    assert show(ws, "bea@beta.io")["first_name"] == "Béa"
    # the quoted field spans lines 2-3, so the bad row is on physical line 5
    assert [row[:3] for row in rejects(report)] == [["5", "email: malformed email 'oops'", "oops"]]


def test_windows_1252_file_reads_accents_and_smart_punctuation(ws: Workspace) -> None:
    text = lines("email,first_name,last_name,company,Notes",
                 "m@x.com,Jürgen,Müller,Œuvre SA,“smart” quotes – €5",
                 "j@x.com,José,Núñez,Café Olé,")
    report = imp(ws, "leads", write(ws, "excel.csv", text.encode("cp1252")))
    assert counts(report) == (2, 2, 0, 0, 0) and report["encoding"] == "cp1252"
    m = show(ws, "m@x.com")
    assert (m["first_name"], m["last_name"], m["company"]) == ("Jürgen", "Müller", "Œuvre SA")
    assert m["form"] == {"Notes": "“smart” quotes – €5"}
    assert (show(ws, "j@x.com")["first_name"], show(ws, "j@x.com")["company"]) == ("José", "Café Olé")


def test_non_utf8_file_with_a_byte_cp1252_leaves_undefined_is_not_a_crash(ws: Workspace) -> None:
    path = write(ws, "dos.csv", "email,first_name\nq@x.com,Müller\n".encode("cp1252") + b"r@x.com,M\x81ller\n")
    result = ws.run(["import", "leads", str(path), "--json"], now=MONDAY_9AM)
    assert result.code == 0, result.err
    assert result.json["read"] == 2 and result.json["encoding"] == "cp1252"
    assert show(ws, "q@x.com")["first_name"] == "Müller"
    # the byte Windows-1252 leaves undefined is kept as the code point of the same number
    assert show(ws, "r@x.com")["first_name"] == "M\x81ller"


def test_a_utf8_bom_before_windows_1252_text_is_dropped_not_read_as_letters(ws: Workspace) -> None:
    # a tool wrote the BOM, another the Windows-1252 text after it: read as cp1252, the BOM would
    # be "ï»¿" glued to the first header, and the file would have no email column
    path = write(ws, "bom1252.csv", b"\xef\xbb\xbfemail,first_name\r\nrene@x.fr,Ren\xe9\r\n")
    report = imp(ws, "leads", path)
    assert counts(report) == (1, 1, 0, 0, 0)
    assert report["encoding"] == "cp1252" and report["extra_columns"] == []
    assert show(ws, "rene@x.fr")["first_name"] == "René"


def test_excel_for_mac_csv_is_read_as_mac_roman_and_its_names_come_back_whole(ws: Workspace) -> None:
    # Excel for Mac's "Comma Separated Values": Mac Roman (é is 0x8E, Ž in Windows-1252; ü 0x9F,
    # Ÿ; ç 0x8D, undefined there), here with the old Mac's CR line ends
    text = lines("email,first_name,last_name,company,title",
                 "rene@sg.fr,René,Müller,Société Générale,Directeur Général",
                 "ines@x.pt,Inês,Gonçalves,Açores Pescas,Diretora",
                 "bjorn@x.se,Björn,Åkesson,Göteborg AB,VD",
                 "oops,Zoë,Françoise,Crème Brûlée SARL,", eol="\r")
    report = imp(ws, "leads", write(ws, "mac.csv", text.encode("mac_roman")))
    assert counts(report) == (4, 3, 0, 0, 1) and report["encoding"] == "mac_roman"
    rene = show(ws, "rene@sg.fr")
    assert (rene["first_name"], rene["last_name"], rene["company"], rene["title"]) == (
        "René", "Müller", "Société Générale", "Directeur Général")
    ines = show(ws, "ines@x.pt")
    assert (ines["first_name"], ines["last_name"], ines["company"]) == ("Inês", "Gonçalves", "Açores Pescas")
    assert (show(ws, "bjorn@x.se")["first_name"], show(ws, "bjorn@x.se")["last_name"]) == ("Björn", "Åkesson")
    # the rejects file is UTF-8, whatever the file was: the rejected row's names as they were
    assert rejects(report) == [["5", "email: malformed email 'oops'", "oops", "Zoë", "Françoise", "Crème Brûlée SARL", ""]]
    out = ws.root / "mac.export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    exported = {row["email"]: row for row in csv.DictReader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline=""))}
    assert (exported["rene@sg.fr"]["last_name"], exported["rene@sg.fr"]["company"]) == ("Müller", "Société Générale")
    assert exported["bjorn@x.se"]["company"] == "Göteborg AB"
    again = ws.run(["import", "leads", str(ws.root / "mac.csv")], now=MONDAY_9AM)  # the text summary says so too
    assert again.code == 0 and ("read as Mac Roman (Excel for Mac's CSV): the file is not UTF-8 (if its accents look "
                                "wrong: --encoding cp1252; cp1250 for Central European, cp1251 for Cyrillic, "
                                "cp1253 Greek, cp1254 Turkish)") in again.out


def test_a_utf_8_file_with_a_stray_windows_1252_byte_is_read_as_utf_8_but_for_that_byte(ws: Workspace) -> None:
    # a UTF-8 file a row of Windows-1252 got into (pasted from another tool): its UTF-8 accents
    # read as such, the stray byte as Windows-1252, and the summary says so
    text = "Email,First Name,Last Name,Company\nj@c.com,José,García,Acme\nm@c.com,Zoë,Müller,Ærø\n".encode()
    path = write(ws, "mixed.csv", text + b"k@c.com,Kim,Lee,B\xe9ta\n")
    report = imp(ws, "leads", path)
    assert (report["encoding"], report["not_utf8"], counts(report)) == ("utf-8-sig", 1, (3, 3, 0, 0, 0))
    assert [show(ws, email)["last_name"] for email in ("j@c.com", "m@c.com")] == ["García", "Müller"]
    assert show(ws, "k@c.com")["company"] == "Béta"
    done = ws.run(["import", "leads", str(path)], now=MONDAY_9AM)
    assert "read as UTF-8 but for 1 byte that is not UTF-8, read as Windows-1252" in done.out
    # in any script: Polish, Russian
    for name, rows in (("pl", "q{n}@x.pl,Łukasz,Wałęsa,Gdańsk"), ("ru", "d{n}@x.ru,Дмитрий,Иванов,Газпром")):
        text = "Email,First Name,Last Name,Company\n" + "".join(rows.format(n=n) + "\n" for n in range(20))
        report = imp(ws, "leads", write(ws, f"{name}.csv", text.encode() + b"s@x.com,S,O\x92Neil,X\n"))
        assert (report["encoding"], report["not_utf8"]) == ("utf-8-sig", 1)
    assert (show(ws, "q1@x.pl")["last_name"], show(ws, "d1@x.ru")["company"]) == ("Wałęsa", "Газпром")
    assert show(ws, "s@x.com")["last_name"] == "O’Neil"
    # a Windows-1252 file is one: more bytes that are not UTF-8 than characters that are
    path = write(ws, "win.csv", "Email,Name\nx@c.com,Café Olé\ny@c.com,Zoë Façade\n".encode("cp1252"))
    assert imp(ws, "leads", path)["encoding"] == "cp1252"
    assert show(ws, "x@c.com")["form"] == {"Name": "Café Olé"}


def test_code_page_bytes_that_make_a_utf_8_character_by_chance_are_no_sign_of_utf_8(ws: Workspace) -> None:
    # Mac Roman's ’ and é (D5 8E) are U+054E, Windows-1252's É and ’ (C9 92) U+0252: valid UTF-8,
    # but no letter of a Latin text, so they do not make either file UTF-8
    mac = lines("email,first_name,title", "rene@x.fr,René,Chef de l’équipe", "ana@x.fr,Ana,Directrice de l’école")
    assert imp(ws, "leads", write(ws, "mac.csv", mac.encode("mac_roman")))["encoding"] == "mac_roman"
    assert show(ws, "rene@x.fr")["title"] == "Chef de l’équipe"
    win = lines("email,company", "cafe@x.com,CAFÉ’S DELI", "m@x.de,Müller GmbH")
    assert imp(ws, "leads", write(ws, "win.csv", win.encode("cp1252")))["encoding"] == "cp1252"
    assert show(ws, "cafe@x.com")["company"] == "CAFÉ’S DELI"


def test_utf_8_is_told_from_the_whole_file_not_its_first_megabyte_nor_a_character_across_two(ws: Workspace) -> None:
    # stray Windows-1252 quotes in the first megabyte, UTF-8 names after it: more UTF-8 letters
    # in all, so UTF-8; and a U+FFFD of the file's own across the megabyte's end is UTF-8 too
    quoted = b"".join(b"q%d@x.com,Q,\x93VP\x94\n" % n for n in range(17))
    filler = b"".join(b"f%d@x.com,Filler,Sales\n" % n for n in range(50_000))
    names = "".join(f"jose{n}@x.es,José,Ingénieur\n" for n in range(200)).encode()
    report = imp(ws, "leads", write(ws, "early.csv", b"email,first_name,title\n" + quoted + filler + names))
    assert (report["encoding"], report["not_utf8"]) == ("utf-8-sig", 34)
    assert (show(ws, "jose1@x.es")["title"], show(ws, "q1@x.com")["title"]) == ("Ingénieur", "“VP”")
    head = b"email,first_name\n"
    pad = b"a@x.com,A\n" * ((1 << 20) // 10)
    pad = pad[:(1 << 20) - len(head) - 16]  # the U+FFFD (EF BF BD) begins two bytes before 1 MiB
    text = head + pad + b"b@x.com,BBBBBB" + "\ufffd\njose@acme.com,José\n".encode()
    assert text.index("\ufffd".encode()) == (1 << 20) - 2
    report = imp(ws, "leads", write(ws, "fffd.csv", text))
    assert (report["encoding"], report["not_utf8"]) == ("utf-8-sig", 0)
    assert show(ws, "jose@acme.com")["first_name"] == "José"


def test_bytes_that_are_dashes_and_quotes_in_windows_1252_are_letters_between_letters_in_mac_roman(
        ws: Workspace) -> None:
    # 0x96 0x97 0x93 0x94 0x85 0x80 are – — “ ” … € in Windows-1252, ñ ó ì î Ö Ä in Mac Roman:
    # the same bytes, told apart by what is around them. Smart punctuation and no accented letter
    # (no cp1252 letter to outweigh them) stays Windows-1252 ...
    notes = "“Great” call – follow up… €5 • Acme™ — don’t forget"
    quotes = lines("email,first_name,Notes", f"ann@x.com,Ann,{notes}", "bo@x.com,Bo,word—word and “x”")
    report = imp(ws, "leads", write(ws, "quotes.csv", quotes.encode("cp1252")))
    assert report["encoding"] == "cp1252"
    assert show(ws, "ann@x.com")["form"] == {"Notes": notes}
    assert show(ws, "bo@x.com")["form"] == {"Notes": "word—word and “x”"}
    # ... and Spanish names with the same bytes between letters, and a letter only Mac Roman
    # explains (é), are Mac Roman ...
    names = lines("email,first_name,last_name", "ana@x.es,Ana,Muñoz", "luis@x.es,Luis,López", "jo@x.es,José,Peña")
    report = imp(ws, "leads", write(ws, "nombres.csv", names.encode("mac_roman")))
    assert report["encoding"] == "mac_roman"
    assert [show(ws, email)["last_name"] for email in ("ana@x.es", "luis@x.es", "jo@x.es")] == ["Muñoz", "López", "Peña"]
    # ... but without one, dashes and ellipses closed up between words are Windows-1252's
    notes = lines("email,first_name,Notes", "em@x.com,Em,Budget approved—call back in Q1", "al@x.com,Al,Not now…maybe later")
    report = imp(ws, "leads", write(ws, "closed.csv", notes.encode("cp1252")))
    assert report["encoding"] == "cp1252"
    assert show(ws, "em@x.com")["form"] == {"Notes": "Budget approved—call back in Q1"}


def test_the_same_leads_from_excel_for_windows_and_excel_for_mac_read_alike(ws: Workspace) -> None:
    # accented names and smart punctuation together: Windows-1252's letters (é is 0xE9) outweigh
    # its punctuation; Mac Roman's letters (é is 0x8E) outweigh its quotes and dashes
    text = lines("email,first_name,last_name,company,Notes",
                 "jurgen@x.de,Jürgen,Groß,Café Olé,“Call back” – ask for the CFO…",
                 "jose@x.es,José,Núñez,Société Générale,Œuvre d’art ™",
                 "soren@x.dk,Søren,Jørgensen,Ærø Ltd,", eol="\r\n")
    expected = [("Jürgen", "Groß", "Café Olé", {"Notes": "“Call back” – ask for the CFO…"}),
                ("José", "Núñez", "Société Générale", {"Notes": "Œuvre d’art ™"}),
                ("Søren", "Jørgensen", "Ærø Ltd", {})]
    for codec, host in (("cp1252", "win"), ("mac_roman", "mac")):
        report = imp(ws, "leads", write(ws, f"{codec}.csv", text.replace("@x.", f"@{host}.").encode(codec)))
        assert counts(report) == (3, 3, 0, 0, 0) and report["encoding"] == codec
        leads = [show(ws, f"{name}@{host}.{tld}") for name, tld in (("jurgen", "de"), ("jose", "es"), ("soren", "dk"))]
        assert [(lead["first_name"], lead["last_name"], lead["company"], lead["form"]) for lead in leads] == expected


def test_a_file_whose_bytes_say_windows_1252_and_mac_roman_alike_is_windows_1252(ws: Workspace) -> None:
    # one é as Windows-1252 writes it (0xE9), one as Mac Roman does (0x8E): a tie, and Windows
    # Excel is the commoner source; one Mac Roman letter more (ü, 0x9F) tips it
    tie = b"email,first_name\nrene@x.fr,Ren\xe9\nzoe@x.fr,Zo\x8e\n"
    report = imp(ws, "leads", write(ws, "tie.csv", tie))
    assert report["encoding"] == "cp1252"
    assert (show(ws, "rene@x.fr")["first_name"], show(ws, "zoe@x.fr")["first_name"]) == ("René", "ZoŽ")
    tipped = tie.replace(b"@x.fr", b"@y.fr") + b"max@y.de,M\x9fller\n"
    report = imp(ws, "leads", write(ws, "tipped.csv", tipped))
    assert report["encoding"] == "mac_roman"
    assert (show(ws, "zoe@y.fr")["first_name"], show(ws, "max@y.de")["first_name"]) == ("Zoé", "Müller")
    assert show(ws, "rene@y.fr")["first_name"] == "RenÈ"  # 0xE9 is È in Mac Roman: the bytes disagreed


@pytest.mark.parametrize("delimiter, name", [(";", "semicolon"), ("\t", "tab")])
def test_semicolon_and_tab_files_are_sniffed(ws: Workspace, delimiter: str, name: str) -> None:
    d = delimiter
    text = lines(f"Email{d}First Name{d}Company{d}Phone",
                 f"ada@acme.com{d}Ada{d}Acme, Inc.{d}02134 555",
                 f'bea@beta.io{d}Bea{d}"Beta{d} Ltd"{d}')
    report = imp(ws, "leads", write(ws, f"{name}.csv", text))
    assert counts(report) == (2, 2, 0, 0, 0)
    assert report["delimiter"] == name and report["extra_columns"] == []
    ada = show(ws, "ada@acme.com")
    assert (ada["first_name"], ada["company"], ada["phone"]) == ("Ada", "Acme, Inc.", "02134 555")
    assert show(ws, "bea@beta.io")["company"] == f"Beta{d} Ltd"


# the header alone would choose wrongly: the data lines below it settle the delimiter
SNIFFED_WITH_DATA = [
    pytest.param("email;Budget, EUR;Region, Country\na@x.de;5000;Bayern, DE\n", "semicolon", "a@x.de",
                 {"Budget, EUR": "5000", "Region, Country": "Bayern, DE"}, id="semicolon-commas-in-header"),
    pytest.param("email\tCompany, Inc. name\na@x.com\tAcme\n", "tab", "a@x.com",
                 {"Company, Inc. name": "Acme"}, id="tab-comma-in-header"),
    pytest.param('email,first_name,"Topics (CRM;ERP;BI;AI)"\na@x.com,Ann,CRM\n', "comma", "a@x.com",
                 {"Topics (CRM;ERP;BI;AI)": "CRM"}, id="comma-semicolons-in-quotes"),
    # the first row splits two ways alike, the next ones only on semicolons
    pytest.param("email;Budget, EUR\na@x.de;5,000\nb@x.de;700\nc@x.de;1,200\n", "semicolon", "a@x.de",
                 {"Budget, EUR": "5,000"}, id="semicolon-decided-by-later-rows"),
    # a header cell wrapped onto two lines (Excel's "wrap text"): the header is its whole record
    pytest.param('"Work\nEmail",First Name,"Notes\non; the lead"\na@x.com,Ann,"x; y"\nb@x.com,Bo,\n', "comma",
                 "a@x.com", {"Notes\non; the lead": "x; y"}, id="comma-header-wrapped"),
    pytest.param('"Work\nEmail";"Budget, EUR"\na@x.de;5000\n', "semicolon", "a@x.de",
                 {"Budget, EUR": "5000"}, id="semicolon-header-wrapped"),
    # a list vendor's or a database's pipe-separated export, commas in its values
    pytest.param("Email|Company|Budget, EUR\na@x.com|Acme, Inc.|5,000\nb@x.com|Beta|700\n", "pipe", "a@x.com",
                 {"Budget, EUR": "5,000"}, id="pipe-commas-in-values"),
    # a pipe in a comma file's header and values: commas split it alike, and win the tie
    pytest.param("email,Source|Medium\na@x.com,google|cpc\n", "comma", "a@x.com",
                 {"Source|Medium": "google|cpc"}, id="comma-pipes-in-header"),
]


@pytest.mark.parametrize("text, name, email, form", SNIFFED_WITH_DATA)
def test_the_delimiter_is_sniffed_from_the_header_and_the_rows_below_it(
        ws: Workspace, text: str, name: str, email: str, form: dict[str, str]) -> None:
    report = imp(ws, "leads", write(ws, "sniff.csv", text))
    assert report["delimiter"] == name and report["rejected"] == 0 and report["inserted"] >= 1
    assert show(ws, email)["form"] == form


def test_rows_that_fit_no_delimiter_leave_it_to_the_header(ws: Workspace) -> None:
    # every row is ragged whichever way it is split: the header's semicolons decide, as they did
    # before the rows were looked at, and the rows are rejects
    report = imp(ws, "leads", write(ws, "ragged.csv", lines("email;first_name;company", "a@x.de;Ann", "b@x.de")))
    assert report["delimiter"] == "semicolon" and counts(report) == (2, 0, 0, 0, 2)
    assert [row[:2] for row in rejects(report)] == [["2", "has 2 fields, the header has 3"],
                                                   ["3", "has 1 field, the header has 3"]]


#: A web form's answer as a CRM exports it: three lines, a comma on the first, a ';' on the second.
MESSAGE = "Hi team,\nplease call me back; mornings are best.\nThanks"


@pytest.mark.parametrize("delimiter, topics, name", [
    (",", "Topics (pick any; separate with commas)", "comma"),   # a user trial
    (";", "Themen (Preise, Demo)", "semicolon"),                  # the same from German Excel
])
def test_records_that_span_lines_are_counted_whole_when_sniffing(ws: Workspace, delimiter: str, topics: str,
                                                                 name: str) -> None:
    # every record takes three lines, none of which alone has the header's field count, and the
    # other delimiter splits the header in two as it does a line of the message: counted line by
    # line, the other one won ("no email column"). The sample (the header and 20 lines) ends
    # inside the seventh record, which counts neither way
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["Email", "First Name", "Company", "Message", topics])
    writer.writerows([f"p{index}@acme{index}.com", "Pat", "Acme", MESSAGE, "pricing, demo"] for index in range(30))
    report = imp(ws, "leads", write(ws, "answers.csv", buffer.getvalue()))
    assert (report["delimiter"], counts(report)) == (name, (30, 30, 0, 0, 0))
    assert report["extra_columns"] == ["Message", topics]
    for index in (0, 6, 29):
        lead = show(ws, f"p{index}@acme{index}.com")
        assert (lead["first_name"], lead["company"]) == ("Pat", "Acme")
        assert lead["form"] == {"Message": MESSAGE, topics: "pricing, demo"}


def test_an_export_of_answers_with_line_breaks_under_a_question_with_a_semicolon_round_trips(
        ws: Workspace, make_ws: Any) -> None:
    # leadterm's own export: each lead's record spans lines, and a form column's name holds a ';'
    question = "Topics (pick any; separate with commas)"
    answers = [MESSAGE, "Line one;\nline two", "a,\n\nb; c", "x;\n=y", "\"Quoted\"\nanswer", "plain"]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["email", "first_name", "Message", question])
    writer.writerows([f"r{index}@x.io", "Pat", answers[index % len(answers)], "pricing, demo" if index % 2 else "demo"]
                     for index in range(30))
    assert counts(imp(ws, "leads", write(ws, "answers.csv", buffer.getvalue()))) == (30, 30, 0, 0, 0)
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    fresh = make_ws("fresh")
    report = imp(fresh, "leads", out)
    assert (report["delimiter"], counts(report)) == ("comma", (30, 30, 0, 0, 0))
    for index in range(30):
        lead = fresh.ok(["show", f"r{index}@x.io"], now=MONDAY_9AM)
        assert lead["form"] == show(ws, f"r{index}@x.io")["form"], index
    assert fresh.ok(["show", "r4@x.io"], now=MONDAY_9AM)["form"] == {"Message": '"Quoted"\nanswer', question: "demo"}
    again = fresh.root / "again.csv"
    fresh.ok(["export", "leads", str(again)], now=MONDAY_9AM)
    assert again.read_bytes() == out.read_bytes()


UTF16_ROWS = "email,first_name\nada@acme.com,CHANGED\nnew@x.com,New\n"
REFUSED = [
    ("workbook.csv", b"PK\x03\x04\x14\x00\x06\x00\x08\x00" + bytes(range(256)) * 4, "xlsx"),
    ("random.csv", random.Random(3).randbytes(5000), "not a"),
    ("utf16le.csv", UTF16_ROWS.encode("utf-16-le"), "UTF-16"),  # without its byte order mark
    ("utf16-cut.csv", UTF16_ROWS.encode("utf-16") + b"x", "not UTF-16 text"),  # an odd byte at the end
    ("utf32le.csv", UTF16_ROWS.encode("utf-32-le"), "UTF-32 without"),  # without its byte order mark
    ("utf32-cut.csv", UTF16_ROWS.encode("utf-32") + b"xy", "not UTF-32 text"),  # two bytes too many
    ("report.csv", b"%PDF-1.7\n" + UTF16_ROWS.encode(), "PDF"),
    ("empty.csv", b"", "empty"),
    ("header.csv", b"email,first_name\r\n", "no data rows"),
    ("blank-rows.csv", b"email,first_name\n\n\r\n\n", "no data rows"),
]


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-be"])
def test_utf16_with_its_byte_order_mark_is_read_as_excel_unicode_text_writes_it(ws: Workspace, codec: str) -> None:
    # Excel's "Unicode Text": UTF-16 (little-endian) with a byte order mark, tab-separated
    text = lines("Email\tFirst Name\tPostal Code", "zoe@acme.com\tZoë\t02134", "bad-email\tX\t1",
                 '"bo@x.io"\t"Bø\non two lines"\t 0', "quote@x.io\t\u201cQ\u201d \U0001F600\t9")
    data = text.encode(codec) if codec == "utf-16" else codecs.BOM_UTF16_BE + text.encode(codec)
    report = imp(ws, "leads", write(ws, "unicode.txt", data))
    assert (report["encoding"], report["delimiter"]) == ("utf-16", "tab")
    assert counts(report) == (4, 3, 0, 0, 1)
    assert [row[:2] for row in rejects(report)] == [["3", "email: malformed email 'bad-email'"]]
    assert (show(ws, "zoe@acme.com")["first_name"], show(ws, "zoe@acme.com")["form"]) == ("Zoë", {"Postal Code": "02134"})
    assert show(ws, "bo@x.io")["first_name"] == "Bø\non two lines"
    assert show(ws, "quote@x.io")["first_name"] == "\u201cQ\u201d \U0001F600"
    events = lines("email\ttype\toccurred_at", "ZOE@acme.com\twebinar\t2026-11-20T09:00:00Z")
    report = imp(ws, "events", write(ws, "events.txt", events.encode(codec) if codec == "utf-16" else
                                     codecs.BOM_UTF16_BE + events.encode(codec)))
    assert counts(report) == (1, 1, 0, 0, 0) and len(show(ws, "zoe@acme.com")["events"]) == 1


@pytest.mark.parametrize("codec", ["utf-32", "utf-32-be"])
def test_utf32_with_its_byte_order_mark_is_read_as_utf32(ws: Workspace, codec: str) -> None:
    # FF FE 00 00 begins as UTF-16's little-endian mark does: the file is UTF-32, not refused as broken UTF-16
    text = lines("Email\tFirst Name\tCompany", "zoe@acme.com\tZoë\tSociété Générale", "bad-email\tX\t1",
                 "quote@x.io\t\u201cQ\u201d \U0001F600\tAçores")
    data = text.encode(codec) if codec == "utf-32" else codecs.BOM_UTF32_BE + text.encode(codec)
    report = imp(ws, "leads", write(ws, "utf32.txt", data))
    assert (report["encoding"], report["delimiter"]) == ("utf-32", "tab")
    assert counts(report) == (3, 2, 0, 0, 1)
    assert rejects(report) == [["3", "email: malformed email 'bad-email'", "bad-email", "X", "1"]]
    assert (show(ws, "zoe@acme.com")["first_name"], show(ws, "zoe@acme.com")["company"]) == ("Zoë", "Société Générale")
    assert show(ws, "quote@x.io")["first_name"] == "\u201cQ\u201d \U0001F600"


def test_files_that_are_not_csv_text_are_refused_and_change_nothing(ws: Workspace) -> None:
    good = imp(ws, "leads", write(ws, "good.csv", lines("email,first_name", "ada@acme.com,Ada", "bea@beta.io,Bea")))
    assert counts(good) == (2, 2, 0, 0, 0)
    imp(ws, "events", write(ws, "ev.csv", lines("email,type,occurred_at", "ada@acme.com,page_view,2026-11-20")))
    for name, data, words in REFUSED:
        path = write(ws, name, data)
        for kind in ("leads", "events"):
            result = ws.run(["import", kind, str(path), "--json"], now=MONDAY_9AM)
            assert result.code == 2, (name, kind, result.err)
            assert str(path) in result.err and words in result.err, (name, result.err)
            assert result.out == ""
        assert not (ws.root / f"{name}.rejects.csv").exists()
    assert lead_total(ws) == 2
    assert absent(ws, "new@x.com")
    ada = show(ws, "ada@acme.com")
    assert ada["first_name"] == "Ada" and len(ada["events"]) == 1


# -- 3. bad rows --------------------------------------------------------------------------------

def test_each_bad_row_is_rejected_with_its_line_and_reason_and_kept_whole(ws: Workspace) -> None:
    path = write(ws, "bad.csv", lines(
        "email,first_name,last_name,company_size,created_at",
        "good1@acme.com,A,One,10,2026-11-01",          # 2
        "short@acme.com,B",                             # 3 too few fields
        "long@acme.com,C,Three,10,2026-11-01,extra",   # 4 too many
        ",D,Four,10,",                                  # 5 no email
        "not-an-email,E,Five,10,",                      # 6
        "when@acme.com,F,Six,10,someday",               # 7
        "size@acme.com,G,Seven,lots,",                  # 8
        "two@@acme.com,H,Eight,,",                      # 9
        'good2@acme.com,I,Nine,"1,200",11/20/2026 10:00 AM',  # 10
    ))
    report = imp(ws, "leads", path)
    assert counts(report) == (9, 2, 0, 0, 7)
    assert rejects(report) == [
        ["3", "has 2 fields, the header has 5", "short@acme.com", "B"],
        ["4", "has 6 fields, the header has 5", "long@acme.com", "C", "Three", "10", "2026-11-01", "extra"],
        ["5", "email: missing email", "", "D", "Four", "10", ""],
        ["6", "email: malformed email 'not-an-email'", "not-an-email", "E", "Five", "10", ""],
        ["7", "created_at: not a date-time: 'someday'", "when@acme.com", "F", "Six", "10", "someday"],
        ["8", "company_size: not a whole number: 'lots'", "size@acme.com", "G", "Seven", "lots", ""],
        ["9", "email: malformed email 'two@@acme.com'", "two@@acme.com", "H", "Eight", "", ""],
    ]
    good2 = show(ws, "good2@acme.com")
    assert good2["company_size"] == 1200 and good2["created_at"] == "2026-11-20T15:00:00Z"
    assert absent(ws, "short@acme.com") and absent(ws, "long@acme.com") and absent(ws, "when@acme.com")


def test_a_german_excel_file_reads_its_grouped_sizes_and_dotted_dates(ws: Workspace) -> None:
    # Excel's "CSV (Trennzeichen-getrennt)" on a German Windows: Windows-1252, semicolons, sizes
    # grouped with dots, dates day first
    text = lines("E-Mail;Vorname;Firma;Mitarbeiter;Erstellt",
                 "jörg@müller.de;Jörg;Müller GmbH;1.200;20.11.2026 10:15",
                 "anna@x.de;Anna;X AG;12.500,00;20.11.2026",
                 "paul@y.de;Paul;Y KG;1.5;20.11.2026")            # 1.5 people: not a count
    report = imp(ws, "leads", write(ws, "kontakte.csv", text.encode("cp1252")),
                 "--map", "E-Mail=email", "--map", "Vorname=first_name", "--map", "Firma=company",
                 "--map", "Mitarbeiter=company_size", "--map", "Erstellt=created_at")
    assert (report["encoding"], report["delimiter"]) == ("cp1252", "semicolon")
    assert counts(report) == (3, 2, 0, 0, 1)
    assert [row[:2] for row in rejects(report)] == [["4", "company_size: not a whole number: '1.5'"]]
    jorg = show(ws, "jörg@müller.de")
    assert (jorg["first_name"], jorg["company_size"], jorg["created_at"]) == ("Jörg", 1200, "2026-11-20T15:15:00Z")
    assert show(ws, "anna@x.de")["company_size"] == 12500


@pytest.mark.parametrize("written, count", [
    ("1,200", 1200), ("1.200", 1200), ("1 200", 1200), ("1\u00a0200", 1200), ("1\u202f200", 1200),
    ("1'200", 1200), ("1\u2019200", 1200), ("1,200.0", 1200), ("1.200,00", 1200), ("1200.0", 1200),
    ("1,20,000", 120000), ("12.345.678", 12345678), ("1.001-5.000", 1001), ("10,000+", 10000),
    ("250 employees", 250), ("5k", 5000), ("1.5K", 1500), ("1,5k", 1500), ("10k+", 10000), ("1K-5K", 1000),
    ("Self-employed", 1), ("500-1K", 500), ("2-5K", 2), ("1001 to 5k", 1001),
])
def test_company_sizes_grouped_as_locales_write_them(ws: Workspace, written: str, count: int) -> None:
    imp(ws, "leads", write(ws, "sizes.csv", lines("email,company_size", f'a@x.com,"{written}"')))
    assert show(ws, "a@x.com")["company_size"] == count


@pytest.mark.parametrize("written, reason", [
    ("250.000", "'250.000' could be 250 or 250000; write it without the point"),  # 3 decimals, or German?
    ("1.000", "'1.000' could be 1 or 1000; write it without the point"),
])
def test_company_sizes_a_locale_would_read_otherwise_are_rejects_that_say_so(ws: Workspace, written: str,
                                                                            reason: str) -> None:
    report = imp(ws, "leads", write(ws, "sizes.csv", lines("email,company_size", f"a@x.com,{written}")))
    assert [row[:2] for row in rejects(report)] == [["2", f"company_size: {reason}"]]


@pytest.mark.parametrize("written", ["1.5", "1,2", "1,200,0", "1.000.000.0", "12,345.678", "1,2,000", "-5", "5kk", "k",
                                     "1.5.5k", "1,000k", "1.200k"])
def test_company_sizes_that_are_no_whole_count_are_rejects(ws: Workspace, written: str) -> None:
    report = imp(ws, "leads", write(ws, "sizes.csv", lines("email,company_size", f'a@x.com,"{written}"')))
    assert [row[:2] for row in rejects(report)] == [["2", f"company_size: not a whole number: {written!r}"]]


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_an_unterminated_quote_mid_file_swallows_nothing(ws: Workspace, eol: str) -> None:
    path = write(ws, "quote.csv", lines(
        "email,first_name,company,Notes",
        'a2@a.com,Ann,"Acme, Inc.",ok',
        'x@a.com,"Bob,Smith',                  # 3: the quote never closes
        'a4@a.com,Cat,"Beta ""B"" Co",fine',
        'a5@a.com,Dan,Gamma,"multi, comma"',
        'a6@a.com,Eve,"Delta",x',
        'a7@a.com,Fay,Eps,"q"',
        'a8@a.com,Gus,"Zeta, LLC",y',
        "a9@a.com,Hal,Eta,z",
        'a10@a.com,Ivy,"Theta",w',
        eol=eol))
    report = imp(ws, "leads", path)
    assert counts(report) == (9, 8, 0, 0, 1)
    [(line, reason, *cells)] = rejects(report)
    assert line == "3" and "quote" in reason
    assert cells[0] == 'x@a.com,"Bob,Smith'  # the line as it was
    assert absent(ws, "x@a.com")
    for number in range(4, 11):
        assert not absent(ws, f"a{number}@a.com"), number
    assert show(ws, "a4@a.com")["company"] == 'Beta "B" Co'
    assert show(ws, "a5@a.com")["form"] == {"Notes": "multi, comma"}
    assert show(ws, "a8@a.com")["company"] == "Zeta, LLC"


@pytest.mark.parametrize("final_newline", [True, False], ids=["newline", "no-newline"])
def test_an_unterminated_quote_on_the_last_line(ws: Workspace, final_newline: bool) -> None:
    text = 'email,first_name,company\na@a.com,A,"Acme, Inc."\nb@a.com,B,"Beta' + ("\n" if final_newline else "")
    report = imp(ws, "leads", write(ws, "last.csv", text))
    assert counts(report) == (2, 1, 0, 0, 1)
    [(line, reason, *cells)] = rejects(report)
    assert (line, cells[0]) == ("3", 'b@a.com,B,"Beta') and "quote" in reason
    assert show(ws, "a@a.com")["company"] == "Acme, Inc." and absent(ws, "b@a.com")


def test_an_unterminated_quote_before_more_than_a_field_limit_of_text(ws: Workspace) -> None:
    # the open quote would swallow 3,000 rows (~160 KB, more than the field limit) if it were let
    body = "".join(f'u{i}@x.com,Name{i},"Co, {i}"\n' if i % 3 else f"u{i}@x.com,Name{i},Plain\n" for i in range(3000))
    report = imp(ws, "leads", write(ws, "long-quote.csv", 'email,first_name,company\nx@a.com,"Bob,Smith\n' + body))
    assert counts(report) == (3001, 3000, 0, 0, 1)
    [(line, reason, *_)] = rejects(report)
    assert line == "2" and "quote" in reason
    assert show(ws, "u1@x.com")["company"] == "Co, 1" and show(ws, "u2999@x.com")["first_name"] == "Name2999"


def test_an_oversized_field_rejects_its_row_only(ws: Workspace) -> None:
    fits = "f" * MAX_FIELD
    path = write(ws, "big.csv", lines(
        "email,first_name,Notes",
        f"b1@x.com,One,{fits}",                   # 2: exactly the limit: kept
        f"b2@x.com,Two,{'b' * (MAX_FIELD + 1)}",  # 3: one more: rejected
        f'b3@x.com,Three,"{"q" * (MAX_FIELD + 5)}"',  # 4: quoted, too long: rejected
        "b4@x.com,Four,short",                    # 5
    ))
    report = imp(ws, "leads", path)
    assert counts(report) == (4, 2, 0, 0, 2)
    rows = rejects(report)
    assert [row[0] for row in rows] == ["3", "4"]
    assert all("131,072" in row[1] for row in rows)
    assert rows[0][2].startswith("b2@x.com,Two,bbb")
    assert show(ws, "b1@x.com")["form"]["Notes"] == fits
    assert show(ws, "b4@x.com")["first_name"] == "Four"
    assert absent(ws, "b2@x.com") and absent(ws, "b3@x.com")


def _nul_file(padding_rows: int) -> bytes:
    pad = "".join(f"p{i:04d}@acme.com,Name{i:04d},Some Company Name Here Ltd\n" for i in range(padding_rows))
    return ("email,first_name,company\n" + pad).encode() + b"n1@x.com,B\x00B,Nul Co\nn2@x.com,C,Fine Co\n"


def test_a_nul_byte_early_in_a_text_file_rejects_only_its_row(ws: Workspace) -> None:
    result = ws.run(["import", "leads", str(write(ws, "nul.csv", _nul_file(3))), "--json"], now=MONDAY_9AM)
    assert result.code == 0, result.err
    report = result.json
    assert counts(report) == (5, 4, 0, 0, 1)
    assert [row[:2] for row in rejects(report)] == [["5", "the line contains a NUL byte"]]


def test_a_nul_byte_late_in_a_text_file_rejects_only_its_row(ws: Workspace) -> None:
    report = imp(ws, "leads", write(ws, "nul-late.csv", _nul_file(1600)))  # ~72 KB before the NUL
    assert counts(report) == (1602, 1601, 0, 0, 1)
    assert [row[:2] for row in rejects(report)] == [["1602", "the line contains a NUL byte"]]


def test_a_nul_byte_in_a_record_over_several_lines_rejects_the_whole_record_once(ws: Workspace) -> None:
    # a user trial: the record was refused in three fragments (read 5 for 3 records)
    text = b'email,name,note\na@x.com,Ann,"two\nlines"\nb@x.com,Bob,"three\nline\nno\x00te"\nc@x.com,Cy,ok\n'
    report = imp(ws, "leads", write(ws, "nul2.csv", text))
    assert counts(report) == (3, 2, 0, 0, 1)
    assert rejects(report) == [["4", "a field holds a NUL byte (line 6)", 'b@x.com,Bob,"three\nline\nno\x00te"']]
    assert show(ws, "c@x.com")["form"] == {"name": "Cy", "note": "ok"} and absent(ws, "b@x.com")


@pytest.mark.parametrize("eol", ["\n", "\r\n"], ids=["lf", "crlf"])
def test_line_numbers_stay_physical_after_multiline_fields(ws: Workspace, eol: str) -> None:
    path = write(ws, "multi.csv", lines(
        "email,company,Notes",
        'a@a.com,Acme,"line1',   # 2
        "line2",                 # 3
        'line3"',                # 4
        "bad-email,X,y",         # 5
        'b@b.com,"B',            # 6
        'Co",z',                 # 7
        'c@c.com,C,"x"',         # 8
        ",missing,q",            # 9
        "d@d.com,D",             # 10 ragged
        eol=eol))
    report = imp(ws, "leads", path)
    assert counts(report) == (6, 3, 0, 0, 3)
    assert [row[:2] for row in rejects(report)] == [
        ["5", "email: malformed email 'bad-email'"], ["9", "email: missing email"],
        ["10", "has 2 fields, the header has 3"]]
    assert show(ws, "a@a.com")["form"]["Notes"] == f"line1{eol}line2{eol}line3"
    assert show(ws, "b@b.com")["company"] == f"B{eol}Co"


# -- 4. identity --------------------------------------------------------------------------------

def test_email_spellings_are_one_lead_and_the_first_spelling_is_kept(ws: Workspace) -> None:
    nfd, nfc = "Jose\u0301@Acme.com", "jos\u00e9@acme.com"
    path = write(ws, "ids.csv", lines(
        "email,first_name,company,title",
        "Ada@Acme.com,Ada,,",
        "   ada@acme.com  ,,Acme,",       # fills company
        "ada\u200b@acme.com,,,",          # zero-width space: nothing new
        "ADA@ACME.COM,Ada,Acme,",         # nothing new
        f"{nfd},José,,",
        f"{nfc},,,CTO",                   # NFC spelling of the same address: fills title
    ))
    report = imp(ws, "leads", path)
    assert counts(report) == (6, 2, 2, 2, 0)
    assert report["changed"] == {"company": 1, "title": 1}
    ada = show(ws, "ada@acme.com")
    assert (ada["id"], ada["email"], ada["first_name"], ada["company"]) == (1, "Ada@Acme.com", "Ada", "Acme")
    jose = show(ws, nfc)
    assert (jose["id"], jose["email"], jose["title"]) == (2, nfd, "CTO")
    assert show(ws, "JOSE\u0301@ACME.COM")["id"] == 2
    assert lead_total(ws) == 2


def test_direction_and_other_invisible_characters_do_not_make_another_lead(ws: Workspace) -> None:
    path = write(ws, "bidi.csv", lines(
        "email,first_name",
        "ada@acme.com,P",
        "\u2066ada@acme.com\u2069,I",    # first-strong isolate ... pop directional isolate
        "\u061cada@acme.com,A",          # Arabic letter mark
        "ada@acme.com\u2063,S",          # invisible separator
        "\u034fada@acme.com,C",          # combining grapheme joiner
        "ad\ufe0fa@acme.com\U000e0041,V",  # a variation selector and a tag character
    ))
    report = imp(ws, "leads", path)
    assert counts(report) == (6, 1, 0, 5, 0)
    ada = show(ws, "\u2066ADA@acme.com\u2069")
    assert (ada["id"], ada["email"], ada["first_name"]) == (1, "ada@acme.com", "P")
    assert lead_total(ws) == 1
    events = write(ws, "bidi-events.csv", lines("email,type,occurred_at", "\u061cAda@acme.com\u200f,page_view,2026-11-20T10:00:00Z"))
    assert counts(imp(ws, "events", events, "--create-leads")) == (1, 1, 0, 0, 0)
    assert lead_total(ws) == 1 and len(show(ws, "ada@acme.com")["events"]) == 1


def test_reimport_fills_blanks_reports_changes_and_overwrite_replaces(ws: Workspace) -> None:
    imp(ws, "leads", write(ws, "a.csv", lines("email,first_name,company", "ada@acme.com,Ada,Acme")))
    again = write(ws, "b.csv", lines("email,first_name,last_name,company,title",
                                     "ADA@acme.com,,Lovelace,Acme Corp,CTO"))
    report = imp(ws, "leads", again)
    assert counts(report) == (1, 0, 1, 0, 0)
    assert report["changed"] == {"last_name": 1, "title": 1}  # company was set: kept
    ada = show(ws, "ada@acme.com")
    assert (ada["first_name"], ada["last_name"], ada["company"], ada["title"]) == ("Ada", "Lovelace", "Acme", "CTO")
    report = imp(ws, "leads", again, "--overwrite")
    assert counts(report) == (1, 0, 1, 0, 0) and report["changed"] == {"company": 1}
    ada = show(ws, "ada@acme.com")
    assert ada["company"] == "Acme Corp" and ada["first_name"] == "Ada"  # a blank cell erases nothing
    assert counts(imp(ws, "leads", again, "--overwrite")) == (1, 0, 0, 1, 0)


def test_a_named_address_reads_as_the_address(ws: Workspace) -> None:
    report = imp(ws, "leads", write(ws, "named.csv", lines("email,first_name", '"Ada Lovelace <ada@acme.com>",Ada',
                                                           "ada@acme.com,")))
    assert counts(report) == (2, 1, 0, 1, 0)
    ada = show(ws, "ada@acme.com")
    assert ada["id"] == 1 and ada["first_name"] == "Ada" and "ada@acme.com" in ada["email"]


def test_events_twice_add_nothing_the_second_time(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    path = write(ws, "ev.csv", lines(
        "email,type,occurred_at,detail",
        "ada@acme.com,page_view,2026-11-20T10:00:00Z,/pricing",
        "ada@acme.com,page_view,2026-11-20T10:00:00Z,/docs",       # other detail: another event
        "bea@beta.io,email_open,2026-11-19T08:00:00Z,Newsletter",
        "Ada@Acme.com ,page_view,2026-11-20T10:00:00Z,/pricing",   # the first again
        "who@else.com,page_view,2026-11-20T10:00:00Z,/",
    ))
    first = imp(ws, "events", path)
    assert counts(first) == (5, 3, 0, 1, 1)
    assert ws.ok("tick", now=MONDAY_9AM)["rescored"] == 2
    second = imp(ws, "events", path)
    assert counts(second) == (5, 0, 0, 4, 1)
    assert ws.ok("tick", now=MONDAY_9AM)["rescored"] == 0  # nothing new: no score to work out again
    assert second["duplicates"] == second["read"] - second["rejected"]
    assert [row[:2] for row in rejects(second)] == [
        ["6", "email: no lead with email 'who@else.com' (import the lead first, or use --create-leads)"]]
    assert len(show(ws, "ada@acme.com")["events"]) == 2


def test_events_for_unknown_emails_are_rejected_or_create_leads(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    path = write(ws, "ev.csv", lines(
        "email,type,occurred_at,detail",
        "New@Lead.io,page_view,2026-11-20T10:00:00Z,/pricing",
        " new@lead.io ,page_view,2026-11-21T10:00:00Z,/pricing",
        "ada@acme.com,page_view,2026-11-20T10:00:00Z,/",
        "bad-email,page_view,2026-11-20T10:00:00Z,/",
    ))
    report = imp(ws, "events", path)
    assert counts(report) == (4, 1, 0, 0, 3) and report["leads_created"] == 0
    assert [row[:2] for row in rejects(report)] == [
        ["2", "email: no lead with email 'New@Lead.io' (import the lead first, or use --create-leads)"],
        ["3", "email: no lead with email 'new@lead.io' (import the lead first, or use --create-leads)"],
        ["5", "email: malformed email 'bad-email'"]]
    assert absent(ws, "new@lead.io")
    report = imp(ws, "events", path, "--create-leads")
    assert counts(report) == (4, 2, 0, 1, 1) and report["leads_created"] == 1
    new = show(ws, "new@lead.io")
    assert (new["email"], new["stage"]) == ("New@Lead.io", "lead")
    assert [e["occurred_at"] for e in new["events"]] == ["2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"]
    report = imp(ws, "events", path, "--create-leads")
    assert counts(report) == (4, 0, 0, 3, 1) and report["leads_created"] == 0
    assert lead_total(ws) == 2


@pytest.mark.parametrize("odd", [False, True], ids=["clean file", "file read row by row"])
def test_a_lead_events_create_shows_its_email_as_it_first_came_in(ws: Workspace, odd: bool) -> None:
    rows = ["email,type,occurred_at",
            "New@X.com,page_view,2026-11-03 10:00",
            "new@x.com,page_view,2026-11-03 11:00",
            " NEW@X.COM ,page_view,2026-11-03 12:00",
            "zed@z.io,page_view,2026-11-03 10:00",
            "ZED@z.io,page_view,2026-11-03 11:00"]
    if odd:
        rows.insert(2, "")  # a blank line: the stretch is read record by record
    report = imp(ws, "events", write(ws, "ev.csv", lines(*rows)), "--create-leads")
    assert counts(report) == (5, 5, 0, 0, 0) and report["leads_created"] == 2
    assert show(ws, "NEW@x.com")["email"] == "New@X.com"  # not the first in sorted order, "NEW@X.COM"
    assert show(ws, "zed@z.io")["email"] == "zed@z.io"
    assert lead_total(ws) == 2


@pytest.mark.parametrize("odd", [False, True], ids=["clean file", "file read row by row"])
@pytest.mark.parametrize("ratio", [0, 10**9], ids=["emails looked up", "emails read at once"])
def test_event_emails_are_unprotected_as_import_leads_reads_them(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, odd: bool, ratio: int) -> None:
    from leadterm.service import import_events

    monkeypatch.setattr(import_events, "LOOKUP_RATIO", ratio)
    monkeypatch.setattr(import_events, "BLOCK", 2)  # (an email met in one block may be another's key)
    imp(ws, "leads", write(ws, "f.csv", lines("email,first_name", "-ada@x.com,Dash", "=1+2@x.com,Eq")))
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    exported = [row[0] for row in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline=""))][1:]
    assert exported == ["'-ada@x.com", "'=1+2@x.com"]
    rows = ["email,type,occurred_at",
            "'-ada@x.com,page_view,2026-11-03 10:00",
            "'=1+2@x.com,page_view,2026-11-03 10:00",
            " '-ADA@x.com ,webinar,2026-11-03 11:00",
            "'-new@x.com,page_view,2026-11-03 10:00"]
    if odd:
        rows.insert(2, "")  # a blank line: the stretch is read record by record
    path = write(ws, "ev.csv", lines(*rows))
    report = imp(ws, "events", path)
    assert counts(report) == (4, 3, 0, 0, 1)
    assert [row[:2] for row in rejects(report)] == [
        [str(5 + odd), "email: no lead with email '-new@x.com' (import the lead first, or use --create-leads)"]]
    report = imp(ws, "events", path, "--create-leads")
    assert counts(report) == (4, 1, 0, 3, 0) and report["leads_created"] == 1
    dash, eq, new = (ws.ok(["show", str(lead_id)], now=MONDAY_9AM) for lead_id in (1, 2, 3))
    assert (dash["email"], sorted(e["type"] for e in dash["events"])) == ("-ada@x.com", ["page_view", "webinar"])
    assert (eq["email"], len(eq["events"])) == ("=1+2@x.com", 1)
    assert (new["email"], len(new["events"])) == ("-new@x.com", 1)  # not "'-new@x.com"
    assert lead_total(ws) == 3
    # a lead whose email begins with "'" itself (a leads file brings it protected twice) is not
    # the lead a once-protected cell names, and is the one a twice-protected cell names
    imp(ws, "leads", write(ws, "q.csv", lines("email,first_name", "''-ada@x.com,Quote")))
    assert ws.ok(["show", "4"], now=MONDAY_9AM)["email"] == "'-ada@x.com"
    more = write(ws, "ev2.csv", lines(*rows[:1], "'-ada@x.com,demo_request,2026-11-04 10:00",
                                      "''-ada@x.com,pricing_page,2026-11-04 10:00", *([""] if odd else []),
                                      "'-ada@x.com,trial,2026-11-04 10:00"))
    assert counts(imp(ws, "events", more)) == (3, 3, 0, 0, 0)
    assert sorted(e["type"] for e in ws.ok(["show", "1"], now=MONDAY_9AM)["events"]) == [
        "demo_request", "page_view", "trial", "webinar"]
    assert [e["type"] for e in ws.ok(["show", "4"], now=MONDAY_9AM)["events"]] == ["pricing_page"]
    # a LEAD argument copied from an export's cell names the lead that cell names in an import
    assert ws.ok(["show", "'-ADA@x.com"], now=MONDAY_9AM)["id"] == 1
    assert ws.ok(["show", "''-ada@x.com"], now=MONDAY_9AM)["id"] == 4


def test_event_times_with_offsets_naive_and_spreadsheet_spellings(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    path = write(ws, "times.csv", lines(
        "email,type,occurred_at,detail",
        "ada@acme.com,webinar,2026-11-20T10:00:00+01:00,w",   # 09:00Z
        "ada@acme.com,webinar,2026-11-20T09:00:00Z,w",        # the same instant
        "ada@acme.com,webinar,2026-11-20T04:00:00-05:00,w",
        "ada@acme.com,webinar,2026-11-20 04:00,w",            # naive: New York, EST
        "ada@acme.com,webinar,11/20/2026 4:00 AM,w",
        "ada@acme.com,webinar,20.11.2026 04:00,w",
        "ada@acme.com,webinar,2026-11-20T09:00:00z,w",        # RFC 3339 allows a lowercase z
        "ada@acme.com,webinar,2026-11-20 09:00:00 UTC,w",
        "ada@acme.com,webinar,2026-11-20 09:00 GMT,w",
        "ada@acme.com,webinar,2026-11-20 4:00,w",             # a spreadsheet's hour of one digit
        "ada@acme.com,webinar,2026-11-20 9:00 UTC,w",
        "ada@acme.com,webinar,2026/11/20 04:00:00,w",
        "ada@acme.com,webinar,11/20/2026 10:00 AM,w",         # 15:00Z: another event
    ))
    assert counts(imp(ws, "events", path)) == (13, 2, 0, 11, 0)
    assert [e["occurred_at"] for e in show(ws, "1")["events"]] == ["2026-11-20T09:00:00Z", "2026-11-20T15:00:00Z"]


# New York, 2026: clocks spring forward 2026-03-08 02:00 EST → 03:00 EDT and fall back 2026-11-01
# 02:00 EDT → 01:00 EST. A wall time in the gap is read with the offset in force before the change
# (02:30 "EST" = 07:30Z, which is 03:30 EDT: the gap's length later, as PostgreSQL, Java's
# ZonedDateTime and Python's zoneinfo do); an ambiguous one is its first occurrence (EDT).
DST = [
    ("2026-03-08 01:59", "03/08/2026 01:59 AM", "2026-03-08T06:59:00Z"),
    ("2026-03-08 02:30", "03/08/2026 02:30 AM", "2026-03-08T07:30:00Z"),  # does not exist
    ("2026-03-08 03:00", "03/08/2026 03:00 AM", "2026-03-08T07:00:00Z"),
    ("2026-11-01 00:30", "11/01/2026 12:30 AM", "2026-11-01T04:30:00Z"),
    ("2026-11-01 01:30", "11/01/2026 01:30 AM", "2026-11-01T05:30:00Z"),  # happens twice: the first
    ("2026-11-01 02:00", "11/01/2026 02:00 AM", "2026-11-01T07:00:00Z"),
]


def test_naive_times_across_dst_changes_read_the_same_in_every_path(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    # all-ISO naive times take the column-wise fast path; spreadsheet spellings the row-by-row one
    iso = write(ws, "iso.csv", lines("email,type,occurred_at,detail",
                                     *(f"ada@acme.com,page_view,{iso},{n}" for n, (iso, _, _) in enumerate(DST))))
    sheet = write(ws, "sheet.csv", lines("email,type,occurred_at,detail",
                                         *(f"ada@acme.com,page_view,{us},{n}" for n, (_, us, _) in enumerate(DST))))
    assert counts(imp(ws, "events", iso)) == (6, 6, 0, 0, 0)
    assert counts(imp(ws, "events", sheet)) == (6, 0, 0, 6, 0)  # the very same instants
    got = {e["detail"]: e["occurred_at"] for e in show(ws, "1")["events"]}
    assert got == {str(n): utc for n, (_, _, utc) in enumerate(DST)}
    # a lead's created_at is read by the same rule
    report = imp(ws, "leads", write(ws, "created.csv", lines(
        "email,created_at", "gap@x.com,2026-03-08 02:30", "twice@x.com,11/01/2026 01:30 AM")))
    assert counts(report) == (2, 2, 0, 0, 0)
    assert show(ws, "gap@x.com")["created_at"] == "2026-03-08T07:30:00Z"
    assert show(ws, "twice@x.com")["created_at"] == "2026-11-01T05:30:00Z"


# -- 5. disqualified leads and changed data -----------------------------------------------------

def test_a_disqualified_lead_whose_data_changes_goes_back_to_lead(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:50:00Z"),
                    demo_request("bea@beta.io", "2026-11-23T13:50:00Z")], now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 2
    for lead in ("1", "2"):
        ws.ok(["reject", lead, "--reason", "wrong_icp"], actor="dana", now="2026-11-23T14:10:00Z")
        assert show(ws, lead)["stage"] == "disqualified"
    path = write(ws, "update.csv", lines("email,phone,company", "ada@acme.com,+44 20 7946 0000,",
                                         "bea@beta.io,,Beta"))  # Ada gains a phone; Bea's data is as it was
    report = imp(ws, "leads", path, now="2026-11-23T15:00:00Z")
    assert counts(report) == (2, 0, 1, 1, 0) and report["changed"] == {"phone": 1}
    ada, bea = show(ws, "1"), show(ws, "2")
    assert ada["stage"] == "lead" and ada["phone"] == "+44 20 7946 0000"
    assert [(h["action"], h["actor"]) for h in ada["history"]][-2:] == [("rejected", "dana"), ("recycled", "system")]
    assert ada["history"][-1]["at"] == "2026-11-23T15:00:00Z"
    assert bea["stage"] == "disqualified" and bea["stage_reason"] == "wrong_icp"
    assert "recycled" not in [h["action"] for h in bea["history"]]
    # back at lead, Ada is considered again (her demo request still makes her tier 1); Bea is not
    ws.ok("tick", now="2026-11-23T15:01:00Z")
    assert (show(ws, "1")["stage"], show(ws, "2")["stage"]) == ("mql", "disqualified")


# -- 6. export ----------------------------------------------------------------------------------

def _stages_workspace(ws: Workspace) -> None:
    """Five leads, one per stage: won, nurture, disqualified, mql (Dee) and lead (Eve, hostile text)."""
    dee = {"email": "dee@delta.com", "first_name": "Dee", "company": "Delta", "company_size": "40"}
    add_leads(ws, [ADA, BEA, CY, dee], now=MONDAY_9AM)
    eve = write(ws, "eve.csv", lines(
        "email,first_name,last_name,company,title,phone,created_at,Budget,Size,Notes,Postal Code,Contact owner,"
        "Handle",
        'Eve@Example.org,=1+2,\'quoted,"Acme, ""Eve"" Ltd",@handle,+1 555,2026-11-01 10:00,'
        '"=HYPERLINK(""http://x"",""y"")",-5 units,"line one\nline two",02134,Dana Ortiz,@eve'))
    assert counts(imp(ws, "leads", eve)) == (1, 1, 0, 0, 0)
    add_events(ws, [demo_request(email, "2026-11-23T13:50:00Z")
                    for email in ("ada@acme.com", "bea@beta.io", "cy@gamma.org", "dee@delta.com")], now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 4
    assert show(ws, "1")["owner"] == "alice"  # 1,200 employees: Enterprise
    ws.ok("accept 1", actor="alice", now="2026-11-23T14:05:00Z")
    ws.ok("qualify 1", actor="alice", now="2026-11-23T14:10:00Z")
    ws.ok("close 1 --won", actor="alice", now="2026-11-23T14:20:00Z")
    ws.ok("reject 2 --reason premature", actor="dana", now="2026-11-23T14:30:00Z")
    ws.ok("reject 3 --reason wrong_icp", actor="dana", now="2026-11-23T14:30:00Z")


def test_export_writes_every_stage_safely_and_reads_back_unchanged(ws: Workspace, make_ws: Any) -> None:
    _stages_workspace(ws)
    out = ws.root / "export.csv"
    report = ws.ok(["export", "leads", str(out)], now="2026-11-23T14:40:00Z")
    assert report["leads"] == 5
    form_keys = ["Budget", "Size", "Notes", "Postal Code", "Contact owner", "Handle"]
    assert report["form_columns"] == form_keys
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    header, *body = list(csv.reader(io.StringIO(text, newline="")))
    assert header == ["email", "first_name", "last_name", "company", "title", "industry", "country", "phone",
                      "source", "company_size", "created_at", *(f"form.{key}" for key in form_keys), *COMPUTED]
    for row in [header, *body]:
        for cell in row:
            assert cell[:1] not in ("=", "+", "-", "@", "\t", "\r", "\n"), repr(cell)
    rows = {row["email"]: row for row in (dict(zip(header, cells)) for cells in body)}
    assert {email: row["stage"] for email, row in rows.items()} == {
        "ada@acme.com": "won", "bea@beta.io": "nurture", "cy@gamma.org": "disqualified",
        "dee@delta.com": "mql", "Eve@Example.org": "lead"}
    eve = rows["Eve@Example.org"]
    assert (eve["first_name"], eve["last_name"], eve["title"], eve["phone"]) == ("'=1+2", "''quoted", "'@handle", "'+1 555")
    assert eve["company"] == 'Acme, "Eve" Ltd'
    assert (eve["form.Budget"], eve["form.Size"], eve["form.Handle"]) == (
        "'=HYPERLINK(\"http://x\",\"y\")", "'-5 units", "'@eve")
    assert (eve["form.Notes"], eve["form.Postal Code"]) == ("line one\nline two", "02134")
    assert eve["created_at"] == "2026-11-01T15:00:00Z" and eve["owner"] == ""
    assert rows["ada@acme.com"]["company_size"] == "1200" and rows["ada@acme.com"]["form.Budget"] == ""
    # computed columns, as the brief shows them
    for email, row in rows.items():
        brief = show(ws, email)
        assert (row["id"], row["owner"], row["score"], row["tier"], row["stage_reason"]) == (
            str(brief["id"]), brief["owner"] or "", str(brief["score"]), str(brief["tier"] or ""),
            brief["stage_reason"] or "")
    dee = rows["dee@delta.com"]
    assert (dee["tier"], dee["mql_at"], dee["escalation_level"]) == ("1", "2026-11-23T14:00:00Z", "0")
    assert dee["owner"] in ("alice", "bob")
    assert (dee["route_deadline"], dee["accept_deadline"], dee["first_touch_deadline"]) == (
        "2026-11-23T14:05:00Z", "2026-11-23T18:00:00Z", "2026-11-23T14:15:00Z")  # 5m wall, 4h and 15m business
    assert (rows["ada@acme.com"]["owner"], rows["ada@acme.com"]["accepted_at"]) == ("alice", "2026-11-23T14:05:00Z")
    bea = rows["bea@beta.io"]
    assert (bea["stage_reason"], bea["recheck_at"]) == ("premature", "2026-12-23T14:30:00Z")  # 30d wall clock
    assert rows["cy@gamma.org"]["stage_reason"] == "wrong_icp"

    fresh = make_ws("fresh")
    back = imp(fresh, "leads", out)
    assert counts(back) == (5, 5, 0, 0, 0)
    assert back["ignored_columns"] == COMPUTED
    assert back["extra_columns"] == form_keys
    for email in rows:
        before, after = show(ws, email), fresh.ok(["show", email], now=MONDAY_9AM)
        assert {name: after[name] for name in DATA_FIELDS} == {name: before[name] for name in DATA_FIELDS}, email
        assert after["stage"] == "lead" and after["owner"] is None
    assert fresh.ok(["show", "eve@example.org"], now=MONDAY_9AM)["form"] == {
        "Budget": '=HYPERLINK("http://x","y")', "Size": "-5 units", "Notes": "line one\nline two",
        "Postal Code": "02134", "Contact owner": "Dana Ortiz", "Handle": "@eve"}
    # and the export of the copy is the same data again
    again = fresh.root / "again.csv"
    fresh.ok(["export", "leads", str(again)], now=MONDAY_9AM)
    first = [row[:11 + len(form_keys)] for row in csv.reader(io.StringIO(text, newline=""))]
    second = [row[:11 + len(form_keys)] for row in csv.reader(io.StringIO(again.read_bytes().decode("utf-8-sig"),
                                                                           newline=""))]
    assert first == second


def test_export_round_trips_an_email_that_starts_like_a_formula(ws: Workspace, make_ws: Any) -> None:
    report = imp(ws, "leads", write(ws, "f.csv", lines("email,first_name", "=cmd@x.com,Eq", "-dash@x.com,Dash",
                                                       "+tag@x.com,Plus")))
    assert counts(report) == (3, 3, 0, 0, 0)
    out = ws.root / "export.csv"
    assert ws.run(["export", "leads", str(out)], now=MONDAY_9AM).out == f"exported 3 leads to {out}\n"
    emails = [row[0] for row in csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline=""))][1:]
    assert emails == ["'=cmd@x.com", "'-dash@x.com", "'+tag@x.com"]
    fresh = make_ws("fresh")
    assert counts(imp(fresh, "leads", out)) == (3, 3, 0, 0, 0)
    one = make_ws("one")
    imp(one, "leads", write(one, "a.csv", lines("email", "a@x.com")))
    assert one.run(["export", "leads", str(one.root / "one.csv")], now=MONDAY_9AM).out.startswith("exported 1 lead to ")
    for lead_id, (email, name) in enumerate((("=cmd@x.com", "Eq"), ("-dash@x.com", "Dash"), ("+tag@x.com", "Plus")), 1):
        lead = fresh.ok(["show", str(lead_id)], now=MONDAY_9AM)  # (click would read "-dash..." as an option)
        assert (lead["email"], lead["first_name"]) == (email, name)
    assert fresh.ok(["show", "=CMD@x.com"], now=MONDAY_9AM)["id"] == 1  # matched by its address, unprotected
    assert counts(imp(fresh, "leads", out)) == (3, 0, 0, 3, 0)  # the same leads, not new ones


def test_spreadsheet_protection_covers_every_formula_start_and_reverses_exactly() -> None:
    for value in ("=1+2", "+1 555", "-5 units", "@handle", "\tTab", "\rCR", "\nLF", "'quoted", "''", "'", "'=x"):
        protected = to_spreadsheet(value)
        assert protected == "'" + value
        assert from_spreadsheet(protected) == value
    for value in ("plain", "02134", "a=b", "x-y", ""):
        assert to_spreadsheet(value) == value and from_spreadsheet(value) == value


def _semicolon_locale_cells(text: str) -> list[str]:
    """The cells Excel makes of a comma-separated file in a locale whose list separator is ';'
    (German, French, Dutch...): it splits every line at every ';', quoted or not. Only the
    cells that begin after a ';' are given (the others are the file's own fields' starts)."""
    return [cell for line in text.splitlines() for cell in line.split(";")[1:]]


def test_export_protects_what_follows_a_semicolon_where_excel_splits_a_cell(ws: Workspace, make_ws: Any) -> None:
    # a user trial: a note from a file, one CSV field, opened as three cells in German Excel,
    # the middle one a live formula; a ' after the ';' makes it text, and the import takes it out
    path = write(ws, "semi.csv", "Email,First Name,Notes\r\nsemi@x.io,Semi,x;=cmd|' /C calc'!A0;y\r\n")
    assert counts(imp(ws, "leads", path)) == (1, 1, 0, 0, 0)
    assert show(ws, "semi@x.io")["form"] == {"Notes": "x;=cmd|' /C calc'!A0;y"}
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    text = out.read_bytes().decode("utf-8-sig")
    header, row = list(csv.reader(io.StringIO(text, newline="")))
    assert dict(zip(header, row))["form.Notes"] == "x;'=cmd|' /C calc'!A0;y"
    assert [cell for cell in _semicolon_locale_cells(text) if cell.startswith(FORMULA_STARTS)] == []
    fresh = make_ws("fresh")
    assert counts(imp(fresh, "leads", out)) == (1, 1, 0, 0, 0)
    assert fresh.ok(["show", "semi@x.io"], now=MONDAY_9AM)["form"] == {"Notes": "x;=cmd|' /C calc'!A0;y"}
    # a form column's name is outside text too: the header row is protected, and read back
    question = 'Q;=HYPERLINK("http://x")'
    path = write(ws, "header.csv", f'Email,"{question.replace(chr(34), chr(34) * 2)}"\r\nq@x.io,yes\r\n')
    assert imp(ws, "leads", path)["extra_columns"] == [question]
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    text = out.read_bytes().decode("utf-8-sig")
    assert [cell for cell in _semicolon_locale_cells(text) if cell.startswith(FORMULA_STARTS)] == []
    assert "form.Q;'=HYPERLINK" in text.splitlines()[0]
    again = make_ws("again")
    assert question in imp(again, "leads", out)["extra_columns"]
    assert again.ok(["show", "q@x.io"], now=MONDAY_9AM)["form"] == {question: "yes"}


#: Values as a file writes them, and as the import stores them: a ' after a ';' before a formula
#: start or a ' is taken out (as an export writes it), any other stays.
_SEMICOLON_VALUES = {
    "x;=cmd|' /C calc'!A0;y": "x;=cmd|' /C calc'!A0;y",
    "a;'b": "a;'b",
    "a;''=b": "a;'=b",
    ";=": ";=",
    "a;": "a;",
    "a;'": "a;'",
    "a;''": "a;'",
    "x;=1;+2;-3;@4;y;": "x;=1;+2;-3;@4;y;",
    "=1;=2": "=1;=2",
    "@at;@b": "@at;@b",
    "tab;\there": "tab;\there",
    "line;\n=two": "line;\n=two",
    "x;'=y": "x;=y",
    ";;'@": ";;@",
    "'=a;'=b": "=a;=b",
    "a;b; c": "a;b; c",
}


def test_an_export_with_semicolons_reads_back_unchanged_and_exports_byte_for_byte_again(
        ws: Workspace, make_ws: Any) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["email", "first_name", "title", "Notes"])
    written = list(_SEMICOLON_VALUES)
    writer.writerows([f"r{index}@x.io", value, "CTO", value] for index, value in enumerate(written))
    assert counts(imp(ws, "leads", write(ws, "semi.csv", buffer.getvalue()))) == (len(written),) * 2 + (0, 0, 0)
    for index, value in enumerate(written):
        lead = show(ws, f"r{index}@x.io")
        assert (lead["first_name"], lead["form"]["Notes"]) == (_SEMICOLON_VALUES[value],) * 2, value
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    text = out.read_bytes().decode("utf-8-sig")
    assert [cell for cell in _semicolon_locale_cells(text) if cell.startswith(FORMULA_STARTS)] == []
    header, *body = list(csv.reader(io.StringIO(text, newline="")))
    notes = [dict(zip(header, row))["form.Notes"] for row in body]
    assert notes[:7] == ["x;'=cmd|' /C calc'!A0;y", "a;''b", "a;''=b", ";'=", "a;", "a;''", "a;''"]
    assert notes[7:] == ["x;'=1;'+2;'-3;'@4;y;", "'=1;'=2", "'@at;'@b", "tab;'\there", "line;'\n=two", "x;'=y",
                         ";;'@", "'=a;'=b", "a;b; c"]
    fresh = make_ws("fresh")
    assert counts(imp(fresh, "leads", out)) == (len(written),) * 2 + (0, 0, 0)
    for index, value in enumerate(written):
        lead = fresh.ok(["show", f"r{index}@x.io"], now=MONDAY_9AM)
        assert (lead["first_name"], lead["form"]["Notes"]) == (_SEMICOLON_VALUES[value],) * 2, value
    again = fresh.root / "again.csv"
    fresh.ok(["export", "leads", str(again)], now=MONDAY_9AM)
    assert again.read_bytes() == out.read_bytes()


def test_protection_after_semicolons_reverses_exactly_for_any_value() -> None:
    # every string of up to 4 characters of these, and random longer ones
    alphabet = ";'=+-@ab\t\n"
    rng = random.Random(20261123)
    values = ["".join(chars) for size in range(5) for chars in product(alphabet, repeat=size)]
    values += ["".join(rng.choices(alphabet, k=rng.randint(5, 20))) for _ in range(20_000)]
    for value in values:
        protected = to_spreadsheet(value)
        assert from_spreadsheet(protected) == value, (value, protected)
        assert to_spreadsheet(from_spreadsheet(protected)) == protected, (value, protected)
        # no cell of it starts a formula, wherever a spreadsheet splits it at ';'
        assert not any(cell.startswith(FORMULA_STARTS) for cell in protected.split(";")), (value, protected)
        assert spreadsheet_protected([value]) == (protected != value), value
    protected = list(map(to_spreadsheet, values))
    assert clean_column(protected) == [clean_text(value) or "" for value in protected]
    # a column as the exporter sees it: one value that needs a ' after a ';' among plain ones
    assert spreadsheet_protected(["plain;", "ok", "a;=b"]) and not spreadsheet_protected(["plain;", "x", "a;b"])


def test_a_clean_block_with_a_semicolon_protected_value_is_unprotected_too(ws: Workspace) -> None:
    # thousands of plain rows, read column by column; the one ' an export put after a ';' is
    # taken out as on the careful path (in import leads, and in the details of import events)
    rows = [f"u{index}@x.com,F{index},n{index}" for index in range(12_000)]
    rows[6_000] = "u6000@x.com,a;''b,x;'=cmd|' /C calc'!A0;y"
    rows[6_001] = "u6001@x.com,a;'b,a;'"
    path = write(ws, "many.csv", lines("email,first_name,Notes", *rows))
    assert counts(imp(ws, "leads", path)) == (12_000, 12_000, 0, 0, 0)
    lead = show(ws, "u6000@x.com")
    assert (lead["first_name"], lead["form"]) == ("a;'b", {"Notes": "x;=cmd|' /C calc'!A0;y"})
    lead = show(ws, "u6001@x.com")
    assert (lead["first_name"], lead["form"]) == ("a;'b", {"Notes": "a;'"})
    assert show(ws, "u5999@x.com")["first_name"] == "F5999"
    events = [f"u{index % 50}@x.com,page_view,2026-11-20T10:00:00Z,/p{index}" for index in range(6_000)]
    events[3_000] = "u0@x.com,page_view,2026-11-20T10:00:00Z,q;'=HYPERLINK(1)"
    events[3_001] = "u0@x.com,Page;'-View,2026-11-20T10:00:00Z,q;''b"
    assert imp(ws, "events", write(ws, "events.csv", lines("email,type,occurred_at,detail", *events)))["inserted"] == 6_000
    con = sqlite3.connect(ws.root / "data" / "leadterm.db")
    try:
        stored = con.execute("SELECT t.name, e.detail FROM event e JOIN event_type t ON t.id = e.type_id "
                             "WHERE e.detail LIKE 'q%'").fetchall()
    finally:
        con.close()
    assert sorted(stored) == [("page;-view", "q;'b"), ("page_view", "q;=HYPERLINK(1)")]


def test_an_account_name_loses_the_protection_after_a_semicolon_too(ws: Workspace) -> None:
    path = write(ws, "accounts.csv", lines("domain,name,owner", "acme.com,Acme;'=x,alice", "beta.io,Beta;'b,bob"))
    assert counts(imp(ws, "accounts", path)) == (2, 2, 0, 0, 0)
    con = sqlite3.connect(ws.root / "data" / "leadterm.db")
    try:
        assert con.execute("SELECT domain, name FROM account ORDER BY domain").fetchall() == [
            ("acme.com", "Acme;=x"), ("beta.io", "Beta;'b")]
    finally:
        con.close()


def test_a_foreign_file_with_an_owner_column_keeps_it_as_a_form_answer(ws: Workspace) -> None:
    path = write(ws, "crm.csv", lines("email,owner,stage,score", "zed@zeta.io,dana,Open,99"))
    report = imp(ws, "leads", path)
    assert counts(report) == (1, 1, 0, 0, 0)
    assert report["extra_columns"] == ["owner", "stage", "score"] and report["ignored_columns"] == []
    zed = show(ws, "zed@zeta.io")
    assert zed["form"] == {"owner": "dana", "stage": "Open", "score": "99"}
    assert (zed["owner"], zed["stage"], zed["score"]) == (None, "lead", 0)


# -- 7. accounts --------------------------------------------------------------------------------

def test_accounts_domains_owners_and_updates(ws: Workspace) -> None:
    path = write(ws, "accounts.csv", lines(
        "domain,name,owner",
        "https://www.acme.com/about,Acme,alice",
        "@beta.io,Beta,bob",
        "ada@gamma.org,Gamma,",
        "delta.com,Delta,mallory",
        "not a domain,X,alice",
    ))
    report = imp(ws, "accounts", path)
    assert counts(report) == (5, 3, 0, 0, 2)
    assert rejects(report) == [
        ["5", "owner: 'mallory' is not a rep (reps: dana, alice, bob)", "delta.com", "Delta", "mallory"],
        ["6", "domain: not a domain: 'not a domain'", "not a domain", "X", "alice"]]
    # the account owner routes the domain's leads: 1,200 employees would otherwise go to alice (Enterprise)
    add_leads(ws, [{"email": "zoe@beta.io", "company_size": "1200"}], now=MONDAY_9AM)
    add_events(ws, [demo_request("zoe@beta.io", "2026-11-23T13:50:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert show(ws, "zoe@beta.io")["owner"] == "bob"
    again = write(ws, "accounts2.csv", lines(
        "Website,Account Name,Account Owner",
        "acme.com,Acme,alice",        # as it is
        "BETA.IO,Beta,alice",         # a new owner
        "http://gamma.org/,,",        # nothing given
    ))
    report = imp(ws, "accounts", again)
    assert counts(report) == (3, 0, 1, 2, 0) and report["changed"] == {"owner": 1}
    assert report["rejects_file"] is None



def test_an_account_owner_as_a_crm_writes_one_is_the_rep(ws: Workspace) -> None:
    # Salesforce's "Account Owner" holds the rep's name; a handle may come in another case
    path = write(ws, "owners.csv", lines("Website,Account Name,Account Owner", "acme.com,Acme,ALICE",
                                         "beta.io,Beta,  Bob   Okafor ", "gamma.org,Gamma,Mallory Smith"))
    report = imp(ws, "accounts", path)
    assert counts(report) == (3, 2, 0, 0, 1)
    assert rejects(report)[0][:2] == ["4", "owner: 'Mallory Smith' is not a rep (reps: dana, alice, bob)"]
    add_leads(ws, [{"email": "zoe@beta.io"}, {"email": "al@acme.com"}], now=MONDAY_9AM)
    add_events(ws, [demo_request("zoe@beta.io", "2026-11-23T13:50:00Z"), demo_request("al@acme.com", "2026-11-23T13:50:00Z")],
               now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert (show(ws, "zoe@beta.io")["owner"], show(ws, "al@acme.com")["owner"]) == ("bob", "alice")
    # a name written with decomposed accents is the same name; one that a rep's handle and
    # another's name share is refused, saying so
    def reps(data: dict) -> None:
        data["reps"][2]["name"] = "Jose\u0301 Di\u0301az"  # bob, as config.toml may spell him
        data["reps"].append({"handle": "kim", "name": "Alice"})
    ws.write_config(reps)
    path = write(ws, "owners2.csv", lines("domain,owner", "delta.com,José Díaz", "eps.io,ALICE", "zeta.io,alice"))
    report = imp(ws, "accounts", path)
    assert counts(report) == (3, 2, 0, 0, 1)
    assert rejects(report)[0][:2] == ["3", "owner: 'ALICE' names more than one rep by handle or name "
                                           "(reps: dana, alice, bob, kim)"]


def test_an_account_url_with_a_port_or_user_is_its_bare_domain(ws: Workspace) -> None:
    path = write(ws, "accounts.csv", lines(
        "domain,name,owner",
        "https://delta.com:8443/x,Delta,bob",
        "http://ops:secret@www.Echo.io:80/?q=1#top,Echo,bob",
        "https://foxtrot.dev#contact@other.org,Foxtrot,bob",  # a fragment is not an email
        "sales#eu/emea?@golf.net,Golf,bob",  # an email's local part may hold what a URL splits at
    ))
    assert counts(imp(ws, "accounts", path)) == (4, 4, 0, 0, 0)
    again = write(ws, "accounts2.csv", lines("domain,name,owner", "delta.com,Delta,bob", "echo.io,Echo,bob",
                                             "foxtrot.dev,Foxtrot,bob", "golf.net,Golf,bob"))
    assert counts(imp(ws, "accounts", again)) == (4, 0, 0, 4, 0)  # the same accounts
    # each routes its domain's leads: 1,200 employees would otherwise go to alice (Enterprise)
    emails = ["zoe@delta.com", "yan@echo.io", "xia@foxtrot.dev"]
    add_leads(ws, [{"email": email, "company_size": "1200"} for email in emails], now=MONDAY_9AM)
    add_events(ws, [demo_request(email, "2026-11-23T13:50:00Z") for email in emails], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert [show(ws, email)["owner"] for email in emails] == ["bob", "bob", "bob"]


@pytest.mark.parametrize("odd", [False, True], ids=["clean file", "file read row by row"])
def test_event_types_and_details_are_cleaned_once_on_either_path(ws: Workspace, odd: bool) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    rows = ["email,type,occurred_at,detail",
            "ada@acme.com,page_view,2026-11-20T10:00:00Z,  /pricing  ",
            "ada@acme.com, Page_View ,2026-11-20T10:01:00Z,'=HYPERLINK(1)",  # a type is folded too
            "ada@acme.com,page_view,2026-11-20T10:02:00Z,''=x"]  # unprotected once: '=x
    if odd:
        rows.insert(2, "")  # a blank line: the stretch is read record by record
    report = imp(ws, "events", write(ws, "events.csv", lines(*rows)))
    assert report["inserted"] == 3
    events = show(ws, "ada@acme.com")["events"]
    assert sorted(event["detail"] for event in events) == ["'=x", "/pricing", "=HYPERLINK(1)"]
    assert {event["type"] for event in events} == {"page_view"}


def _leads_file(rng: random.Random, rows: int, created: list[str]) -> list[list[str]]:
    """Leads whose every cell is something to clean, all of it readable column by column:
    plain addresses in any case, texts spaced, blank, protected ('=…, ''…) or quoted, sizes
    spelled as CRMs do, one kind of creation time, and one form column brought twice."""
    texts = ["CTO", "  VP Sales  ", "", "'=SUM(A1)", "''quoted", "'plain", "Ünïcödé", "a,b", 'say "hi"', "-5"]
    sizes = ["1,200", "51-200", "10000+", "", " 80 ", "5000", "12 employees", "2 to 10"]
    answers = ["", "yes", 'He said "hi"', "back\\slash", "ünï\u2028", "</script>", "'=1+1", " 12 "]
    header = ["Email", "First Name", "Last Name", "Company Name", "Job Title", "Industry", "Number of Employees",
              "Country", "Phone", "Lead Source", "Create Date", "Budget", "form.Budget", "Notes"]
    lines = [header]
    for index in range(rows):
        domain = rng.choice(["acme.com", "RivalSoft.com", "example.org"])
        email = "".join(rng.choice((c.upper(), c)) for c in f"lead{index}@{domain}")
        lines.append([email, *(rng.choice(texts) for _ in range(5)), rng.choice(sizes), rng.choice(texts),
                      rng.choice(["0213 4", "02134", ""]), rng.choice(texts), rng.choice(created),
                      *(rng.choice(answers) for _ in range(3))])
    return lines


def _csv_of(lines: list[list[str]]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    return buffer.getvalue()


def _dump(ws: Workspace) -> list[tuple[Any, ...]]:
    con = sqlite3.connect(ws.root / "data" / "leadterm.db")
    try:
        return (con.execute("SELECT * FROM lead ORDER BY id").fetchall()
                + con.execute("SELECT * FROM lead_score ORDER BY lead_id").fetchall())
    finally:
        con.close()


@pytest.mark.parametrize("created", [["2026-03-01T10:00:00Z", "2026-07-01T23:30:00+02:00", ""],
                                     ["2026-03-08 02:30", "2026-11-01T01:30:00", "2026-07-01", ""]],
                         ids=["times with offsets", "naive times"])
def test_leads_are_stored_alike_whichever_way_they_are_read_and_written(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch, created: list[str]) -> None:
    # The same leads three ways: a clean file (read column by column, new leads inserted column
    # by column); with a blank line first (read row by row); and with a row repeated at the end
    # (the chunk is merged lead by lead). The databases must be identical.
    from leadterm.service import import_leads

    lines = _leads_file(random.Random(7), 300, created)

    def configured(name: str) -> Workspace:
        workspace = make_ws(name)
        workspace.write_config(lambda data: (
            data["scoring"]["fit"].append({"name": "Budget", "field": "form.Budget", "in": ["yes"], "points": 7}),
            data["scoring"]["disqualify"].append(
                {"name": "Spreadsheet", "field": "title", "contains_any": ["sum("], "reason": "wrong_icp"})))
        return workspace

    one_by_one = []
    monkeypatch.setattr(import_leads, "normalize_email",
                        lambda raw: one_by_one.append(raw) or normalize_email(raw))
    clean, odd, repeated = configured("clean"), configured("odd"), configured("repeated")
    report = imp(clean, "leads", write(clean, "leads.csv", _csv_of(lines)))
    assert counts(report) == (300, 300, 0, 0, 0) and one_by_one == []  # no row needed a closer look
    report = imp(odd, "leads", write(odd, "leads.csv", _csv_of(lines[:1]) + "\n" + _csv_of(lines[1:])))
    assert counts(report) == (300, 300, 0, 0, 0) and len(one_by_one) == 300
    report = imp(repeated, "leads", write(repeated, "leads.csv", _csv_of([*lines, lines[150]])))
    assert counts(report) == (301, 300, 0, 1, 0)
    stored = _dump(clean)
    assert _dump(odd) == stored and _dump(repeated) == stored
    # and what was stored is what the rules say, cell by cell, as worked out by hand
    text = {"CTO": "CTO", "  VP Sales  ": "VP Sales", "": None, "'=SUM(A1)": "=SUM(A1)", "''quoted": "'quoted",
            "'plain": "'plain", "Ünïcödé": "Ünïcödé", "a,b": "a,b", 'say "hi"': 'say "hi"', "-5": "-5"}
    size = {"1,200": 1200, "51-200": 51, "10000+": 10000, "": None, " 80 ": 80, "5000": 5000, "12 employees": 12,
            "2 to 10": 2}
    answer = {"": None, "yes": "yes", 'He said "hi"': 'He said "hi"', "back\\slash": "back\\slash",
              "ünï\u2028": "ünï", "</script>": "</script>", "'=1+1": "=1+1", " 12 ": "12"}
    # (U+2028 is white space to a trim.) Times in the calendar's zone, New York: 02:30 on 8
    # March does not exist (read as EST, the offset before the change) and 01:30 on 1 November
    # comes twice (the first, EDT)
    when = {"2026-03-01T10:00:00Z": timegm((2026, 3, 1, 10, 0, 0)), "": None,
            "2026-07-01T23:30:00+02:00": timegm((2026, 7, 1, 21, 30, 0)),
            "2026-03-08 02:30": timegm((2026, 3, 8, 7, 30, 0)), "2026-11-01T01:30:00": timegm((2026, 11, 1, 5, 30, 0)),
            "2026-07-01": timegm((2026, 7, 1, 4, 0, 0))}
    for line, lead in zip(lines[1:], stored_leads(clean)):
        email, first, last, company, title, industry, employees, country, phone, source, created_at, budget, budget2, \
            notes = line
        assert lead["created_at"] == when[created_at]
        assert (lead["email"], lead["email_display"]) == (email.lower(), email)
        assert [lead[name] for name in ("first_name", "last_name", "company", "title", "industry", "country",
                                        "source")] == [text[value] for value in (first, last, company, title,
                                                                                  industry, country, source)]
        assert (lead["company_size"], lead["phone"]) == (size[employees], phone or None)
        form = {"Budget": answer[budget2] or answer[budget], "Notes": answer[notes]}
        assert json.loads(lead["form"] or "{}") == {key: value for key, value in form.items() if value}
        assert lead["disqualifier"] == ("Competitor" if "rivalsoft" in lead["email"]
                                        else "Spreadsheet" if "sum(" in (lead["title"] or "").lower() else None)


def test_a_file_of_many_distinct_company_sizes(ws: Workspace) -> None:
    # sizes are parsed once per distinct spelling, and the memory of them is bounded: the second
    # block of 10,000 lines brings back the first's 9,000 sizes and 2,000 new ones, more than it keeps
    rows = [f"lead{index}@acme.com,{1_000_000 + index if 18_000 <= index < 20_000 else index % 9_000}"
            for index in range(21_000)]
    report = imp(ws, "leads", write(ws, "leads.csv", lines("email,company_size", *rows)))
    assert counts(report) == (21_000, 21_000, 0, 0, 0)
    assert {lead["email"]: lead["company_size"] for lead in stored_leads(ws)} == {
        f"lead{index}@acme.com": 1_000_000 + index if 18_000 <= index < 20_000 else index % 9_000
        for index in range(21_000)}


@pytest.mark.parametrize("odd", [False, True], ids=["clean file", "file read row by row"])
def test_times_keep_whole_seconds_and_the_years_a_date_can_hold(ws: Workspace, odd: bool) -> None:
    # a fraction of a second is dropped (the second it falls in, before 1970 too, and never
    # rounded up to a second that does not exist); a time outside years 1-9999 once in UTC is a
    # rejected row, not a value that breaks `show` and `export` later
    blank = [""] if odd else []  # a blank line: read row by row
    # each file of one kind of time, so that a clean one is read column by column
    for name, rows, rejected in [
        ("zoned", ["a@acme.com,1969-12-31T23:59:59.5Z", "c@acme.com,9999-12-31T23:59:59.999999Z"], []),
        ("naive", ["b@acme.com,1960-01-01T00:00:00.25"], []),  # in New York: EST
        ("early", ["e@acme.com,0001-01-01T00:00:00+01:00"],
         ["created_at: out of range: '0001-01-01T00:00:00+01:00'"]),
        ("late", ["d@acme.com,9999-12-31T23:59:59"],  # 04:59 on 1 January 10000 in UTC
         ["created_at: out of range: '9999-12-31T23:59:59'"]),
    ]:
        report = imp(ws, "leads", write(ws, f"{name}.csv", lines("email,created_at", *blank, *rows)))
        assert counts(report) == (len(rows), len(rows) - len(rejected), 0, 0, len(rejected))
        assert (report["rejects_file"] is None) if not rejected else (
            [reason for _, reason, *_ in rejects(report)] == rejected)
    assert {lead["email"]: lead["created_at"] for lead in stored_leads(ws)} == {
        "a@acme.com": -1, "b@acme.com": timegm((1960, 1, 1, 5, 0, 0)), "c@acme.com": timegm((9999, 12, 31, 23, 59, 59))}
    events = write(ws, "events.csv", lines("email,type,occurred_at", *blank,
                                           "a@acme.com,page_view,1969-12-31T23:59:59.5Z",
                                           "a@acme.com,page_view,9999-12-31T23:59:59"))
    report = imp(ws, "events", events)
    assert counts(report)[1:] == (1, 0, 0, 1)
    assert [event["occurred_at"] for event in show(ws, "a@acme.com")["events"]] == ["1969-12-31T23:59:59Z"]


def test_a_company_size_of_thousands_of_digits_is_a_rejected_row(ws: Workspace) -> None:
    # int() refuses more than 4,300 digits with a ValueError of its own: one such cell must
    # not stop the import
    size = "9" * 5_000
    report = imp(ws, "leads", write(ws, "leads.csv", lines("email,company_size", "a@acme.com,12",
                                                           f"b@acme.com,{size}", 'c@acme.com,"1,200"')))
    assert counts(report) == (3, 2, 0, 0, 1)
    assert [(line, reason) for line, reason, *_ in rejects(report)] == [
        ("3", f"company_size: too large: {size[:40]!r}...")]
    assert {lead["email"]: lead["company_size"] for lead in stored_leads(ws)} == {"a@acme.com": 12, "c@acme.com": 1_200}


def test_a_malformed_email_in_a_clean_stretch_is_refused_alone(ws: Workspace) -> None:
    rows = [f"lead{index}@acme.com,Lead" for index in range(50)]
    rows[20] = "lead..20@acme.com,Lead"  # two dots in a row
    report = imp(ws, "leads", write(ws, "leads.csv", lines("email,first_name", *rows)))
    assert counts(report) == (50, 49, 0, 0, 1)
    assert [(line, reason) for line, reason, *_ in rejects(report)] == [
        ("22", "email: malformed email 'lead..20@acme.com'")]


def test_a_re_import_that_changes_a_lead_changes_its_fit(ws: Workspace) -> None:
    # form answers count for fit on a merged lead as on a new one: CTO 15, Budget "yes" 7
    ws.write_config(lambda data: data["scoring"]["fit"].append(
        {"name": "Budget", "field": "form.Budget", "in": ["yes"], "points": 7}))
    header = "email,title,Budget"
    imp(ws, "leads", write(ws, "leads.csv", lines(header, "a@acme.com,CTO,", "b@acme.com,CTO,yes")))
    assert [lead["fit_points"] for lead in stored_leads(ws)] == [15, 22]
    report = imp(ws, "leads", write(ws, "again.csv", lines(header, "a@acme.com,Engineer,yes", "b@acme.com,,no")))
    assert (report["updated"], report["changed"]) == (1, {"form": 1})  # blanks filled, nothing replaced
    assert [lead["fit_points"] for lead in stored_leads(ws)] == [22, 22]
    report = imp(ws, "leads", write(ws, "again.csv", lines(header, "a@acme.com,Engineer,yes", "b@acme.com,,no")),
                 "--overwrite")
    assert (report["updated"], report["changed"]) == (2, {"title": 1, "form": 1})
    assert [lead["fit_points"] for lead in stored_leads(ws)] == [7, 15]


@pytest.mark.parametrize("create_leads", [False, True])
def test_events_end_alike_whether_emails_are_looked_up_as_they_come_or_read_at_once(
        make_ws: Any, monkeypatch: pytest.MonkeyPatch, create_leads: bool) -> None:
    # with far more leads than the file can name, the importer looks its emails up as they
    # come; the database and the report must be those of reading every lead's email at once
    from leadterm.service import import_events

    leads = "email,first_name\n" + "".join(f"Lead{index}@Example.com,L{index}\n" for index in range(300))
    rows = [f"lead{index % 40}@example.com,page_view,2026-11-0{1 + index % 9}T10:00:00Z,/p{index % 7}"
            for index in range(1_200)]
    rows[5] = '"Lead7 <LEAD7@example.com>",webinar,2026-11-02T10:00:00Z,"two\nlines"'  # the careful path
    rows[900] = "stranger@nowhere.io,demo_request,2026-11-03T10:00:00Z,"  # no such lead
    rows[901] = "not-an-email,demo_request,2026-11-03T10:00:00Z,"
    rows[1_100] = "Stranger@Nowhere.io,pricing_page,2026-11-04T10:00:00Z,"  # the same stranger again
    events = "email,type,occurred_at,detail\n" + "\n".join(rows) + "\n"
    outcomes = []
    for ratio in (0, 10**9):  # every email looked up; every lead's email read at once
        monkeypatch.setattr(import_events, "LOOKUP_RATIO", ratio)
        ws = make_ws(f"ratio{ratio}")
        ws.csv("leads.csv", leads)
        ws.ok(f"import leads {ws.root / 'leads.csv'}", now=MONDAY_9AM)
        ws.csv("events.csv", events)
        command = f"import events {ws.root / 'events.csv'}" + (" --create-leads" if create_leads else "")
        report = ws.ok(command, now=MONDAY_9AM)
        again = ws.ok(command, now=MONDAY_9AM)
        with sqlite3.connect(ws.root / "data" / "leadterm.db") as con:
            stored = con.execute("SELECT l.email, t.name, e.occurred_at, e.detail FROM event e JOIN lead l ON l.id = e.lead_id "
                                 "JOIN event_type t ON t.id = e.type_id ORDER BY 1, 2, 3, 4").fetchall()
        con.close()
        rejects = (ws.root / "events.csv.rejects.csv").read_text(encoding="utf-8")
        outcomes.append(({key: report[key] for key in ("read", "inserted", "duplicates", "rejected", "leads_created")},
                         {key: again[key] for key in ("inserted", "duplicates", "rejected")}, stored, rejects))
    assert outcomes[0] == outcomes[1]
    report = outcomes[0][0]
    assert report["read"] == 1_200 and report["rejected"] == (1 if create_leads else 3)
    assert ("stranger@nowhere.io", "pricing_page", timegm((2026, 11, 4, 10, 0, 0)), "") in outcomes[0][2] \
        if create_leads else "no lead with email" in outcomes[0][3]


def test_export_of_thousands_of_leads_protects_and_formats_every_cell_across_batches(ws: Workspace) -> None:
    # the exporter works a few thousand rows at a time, column by column: cells far apart and
    # on both sides of a batch's edge come out as lead-by-lead formatting would make them
    def first_name(index: int) -> str:
        return "=1+2" if index % 997 == 0 else "" if index % 3 == 0 else f"F{index}"

    def note(index: int) -> str:
        return "" if index % 4 == 0 else f"-{index} units" if index % 7 == 0 else f"n{index}"

    def created(index: int) -> str:
        return "" if index % 5 == 0 else f"2026-01-{1 + index // 86_400 % 28:02d}T{index // 3600 % 24:02d}:" \
                                           f"{index // 60 % 60:02d}:{index % 60:02d}Z"

    count = 12_000
    rows = ["email,first_name,created_at,Note"] + [
        f"{'=' if index % 1_000 == 999 else ''}u{index}@x.com,{first_name(index)},{created(index)},{note(index)}"
        for index in range(count)]
    path = ws.csv("many.csv", "\n".join(rows) + "\n")
    assert counts(imp(ws, "leads", path)) == (count, count, 0, 0, 0)
    out = ws.root / "export.csv"
    assert ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)["leads"] == count
    header, *body = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert len(body) == count
    at = {name: header.index(name) for name in ("email", "first_name", "created_at", "form.Note", "id", "stage")}
    for index, cells in enumerate(body):
        email = f"{'=' if index % 1_000 == 999 else ''}u{index}@x.com"
        assert cells[at["email"]] == to_spreadsheet(email)
        assert cells[at["first_name"]] == to_spreadsheet(first_name(index))
        assert cells[at["created_at"]] == created(index)
        assert cells[at["form.Note"]] == to_spreadsheet(note(index))
        assert (cells[at["id"]], cells[at["stage"]]) == (str(index + 1), "lead")


def _export_form_answers(ws: Workspace) -> tuple[list[str], list[dict[str, str]]]:
    out = ws.root / "export.csv"
    keys = ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)["form_columns"]
    header, *body = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    return keys, [{name: cells[index] for index, name in enumerate(header) if name.startswith("form.")}
                  for cells in body]


def test_export_keeps_a_form_key_holding_a_nul(ws: Workspace) -> None:
    # a header may hold a NUL, where SQLite's json_each would cut the key short
    path = write(ws, "nul.csv", b"Email,Bud\x00get,Other\na@b.com,1,2\n")
    assert counts(imp(ws, "leads", path)) == (1, 1, 0, 0, 0)
    assert _export_form_answers(ws) == (["Bud\x00get", "Other"], [{"form.Bud\x00get": "1", "form.Other": "2"}])


def test_export_orders_form_keys_of_a_lead_whose_id_is_past_2_to_the_31(ws: Workspace) -> None:
    # an id put in by hand: ordering keys by id * 2**32 + place would leave 64 bits
    assert counts(imp(ws, "leads", write(ws, "one.csv", "Email,First\na@b.com,Al\n"))) == (1, 1, 0, 0, 0)
    with sqlite3.connect(ws.root / "data" / "leadterm.db") as con:
        con.execute("INSERT INTO lead (id, email, email_display, form, inserted_at, updated_at) VALUES "
                    "(4000000000, 'huge@id.com', 'huge@id.com', '{\"zeta\": \"1\", \"alpha\": \"2\"}', 0, 0)")
        con.execute("INSERT INTO lead_score (lead_id) VALUES (4000000000)")
    con.close()
    assert _export_form_answers(ws) == (["zeta", "alpha"], [{"form.zeta": "", "form.alpha": ""},
                                                            {"form.zeta": "1", "form.alpha": "2"}])


def test_a_time_before_the_year_1000_shows_exports_and_reads_back_with_four_digit_years(
        ws: Workspace, make_ws: Any) -> None:
    path = write(ws, "old.csv", "Email,Create Date\nold@x.com,0999-05-05T10:00:00Z\nolder@x.com,0001-01-01T00:00:00Z\n")
    assert counts(imp(ws, "leads", path)) == (2, 2, 0, 0, 0)
    assert show(ws, "old@x.com")["created_at"] == "0999-05-05T10:00:00Z"
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    header, *body = list(csv.reader(io.StringIO(out.read_bytes().decode("utf-8-sig"), newline="")))
    assert [row[header.index("created_at")] for row in body] == ["0999-05-05T10:00:00Z", "0001-01-01T00:00:00Z"]
    fresh = make_ws("fresh")
    assert counts(imp(fresh, "leads", out)) == (2, 2, 0, 0, 0)
    assert fresh.ok(["show", "older@x.com"], now=MONDAY_9AM)["created_at"] == "0001-01-01T00:00:00Z"


def test_fixed_rejects_import_with_the_two_columns_skipped_even_when_the_file_has_its_own_line_and_reason(
        ws: Workspace) -> None:
    # The README's fix-up: edit FILE.rejects.csv, import it with --map "line=-" --map "reason=-".
    # The rejects file's own line and reason come first; a file's own "Reason" and "Line"
    # columns are form answers like any other, before and after the fix-up.
    path = write(ws, "crm.csv", lines(
        "email,first_name,Reason,Line,company_size",
        "ok@x.com,Ok,Demo,L1,10",
        "r2@x.com,R2,Too few,L3,lots",
        "r3@x.com,R3,Churn,L4,many",
    ))
    first = imp(ws, "leads", path)
    assert counts(first) == (3, 1, 0, 0, 2) and first["extra_columns"] == ["Reason", "Line"]
    fixed = [[cell.replace("lots", "20").replace("many", "30") for cell in row] for row in rejects(first)]
    with open(first["rejects_file"], "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["line", "reason", "email", "first_name", "Reason", "Line", "company_size"],
                                      *fixed])
    again = imp(ws, "leads", Path(first["rejects_file"]), "--map", "line=-", "--map", "reason=-")
    assert counts(again) == (2, 2, 0, 0, 0)
    assert again["ignored_columns"] == ["line", "reason"] and again["extra_columns"] == ["Reason", "Line"]
    for email, form, size in (("ok@x.com", {"Reason": "Demo", "Line": "L1"}, 10),
                              ("r2@x.com", {"Reason": "Too few", "Line": "L3"}, 20),
                              ("r3@x.com", {"Reason": "Churn", "Line": "L4"}, 30)):
        brief = show(ws, email)
        assert (brief["form"], brief["company_size"]) == (form, size), brief


def test_a_rejects_file_imported_again_skips_its_line_and_reason_and_its_own_rejects_do_not_nest(
        ws: Workspace) -> None:
    # a French Excel file: its rejects file is plain CSV (what a program reading it expects);
    # imported again as it is (no --map), its line and reason are not read, and what it rejects
    # is listed once more as the file's own columns, not under a second line and reason
    text = "email;Prénom;Effectif\r\nok@x.fr;Zoé;10\r\nr2@x.fr;Noël;beaucoup\r\nr3@x.fr;Aimée;plein\r\n"
    first = imp(ws, "leads", write(ws, "fr.csv", text.encode("cp1252")))
    assert counts(first) == (3, 1, 0, 0, 2)
    written = Path(first["rejects_file"]).read_bytes()
    assert written.startswith("line,reason,email,Prénom,Effectif\r\n".encode())
    Path(first["rejects_file"]).write_bytes(written.replace(b"beaucoup", b"20"))
    again = imp(ws, "leads", Path(first["rejects_file"]))
    assert counts(again) == (2, 1, 0, 0, 1) and again["ignored_columns"] == ["line", "reason"]
    assert (again["extra_columns"], show(ws, "r2@x.fr")["company_size"]) == ([], 20)
    assert Path(again["rejects_file"]).read_text(encoding="utf-8").splitlines()[0] == "line,reason,email,Prénom,Effectif"
    assert rejects(again) == [["3", "company_size: not a whole number: 'plein'", "r3@x.fr", "Aimée", "plein"]]


def test_a_column_without_a_header_keeps_its_number_when_its_rejects_are_imported_again(ws: Workspace) -> None:
    first = imp(ws, "leads", write(ws, "blank.csv", lines("email,first_name,", "ada@x.com,Ada,tall", "bob@x,Bob,short")))
    assert first["extra_columns"] == ["column 3"]
    rejected = Path(first["rejects_file"])
    rejected.write_bytes(rejected.read_bytes().replace(b"bob@x,", b"bob@x.com,"))
    again = imp(ws, "leads", rejected)
    assert (again["extra_columns"], again["ignored_columns"]) == (["column 3"], ["line", "reason"])
    assert show(ws, "bob@x.com")["form"] == {"column 3": "short"}


def test_a_form_column_brought_twice_is_listed_once(ws: Workspace) -> None:
    path = write(ws, "twice.csv", lines("email,Budget,form.Budget,Notes", "a@x.com,10k,,n", "b@x.com,,20k,"))
    report = imp(ws, "leads", path)
    assert report["extra_columns"] == ["Budget", "Notes"]
    assert (show(ws, "a@x.com")["form"], show(ws, "b@x.com")["form"]) == ({"Budget": "10k", "Notes": "n"},
                                                                          {"Budget": "20k"})


def test_a_file_naming_an_email_twice_changes_nothing_when_imported_again_even_overwriting(ws: Workspace) -> None:
    path = write(ws, "dup.csv", lines("email,first_name,company", "dup@rivalsoft.com,First,FirstCo",
                                      "DUP@RivalSoft.com,Second,SecondCo", "other@x.com,Other,"))
    first = imp(ws, "leads", path, "--overwrite")
    assert counts(first) == (3, 2, 1, 0, 0)  # the second row updated the lead the first inserted
    assert (show(ws, "dup@rivalsoft.com")["first_name"], show(ws, "dup@rivalsoft.com")["company"]) == ("Second", "SecondCo")
    ws.ok("tick", now=MONDAY_9AM)  # a competitor: disqualified, and revived only by a real change
    assert show(ws, "dup@rivalsoft.com")["stage"] == "disqualified"
    history = len(show(ws, "dup@rivalsoft.com")["history"])
    for options in (("--overwrite",), ()):
        again = imp(ws, "leads", path, *options)
        assert counts(again) == (3, 0, 0, 3, 0) and again["changed"] == {}, again
    brief = show(ws, "dup@rivalsoft.com")
    assert (brief["first_name"], brief["company"], len(brief["history"])) == ("Second", "SecondCo", history)
    assert brief["stage"] == "disqualified"
    # rows that do change a known lead count once, with the fields that end up changed
    changed = write(ws, "changed.csv", lines("email,first_name,company,title", "dup@rivalsoft.com,Third,SecondCo,",
                                             "dup@rivalsoft.com,Second,,CTO", "other@x.com,Other,OtherCo,"))
    report = imp(ws, "leads", changed, "--overwrite")
    assert counts(report) == (3, 0, 2, 1, 0) and report["changed"] == {"title": 1, "company": 1}, report
    brief = show(ws, "dup@rivalsoft.com")
    assert (brief["first_name"], brief["company"], brief["title"]) == ("Second", "SecondCo", "CTO")
    assert brief["stage"] == "lead" and brief["history"][-1]["action"] == "recycled"


def test_an_accounts_file_naming_a_domain_twice_changes_nothing_when_imported_again(ws: Workspace) -> None:
    path = write(ws, "twice.csv", lines("domain,name,owner", "https://www.Acme.com/about,Acme,alice",
                                        "https://www.acme.com,Acme Corp,bob"))
    assert counts(imp(ws, "accounts", path)) == (2, 1, 1, 0, 0)  # the second row updated the first's
    again = imp(ws, "accounts", path)
    assert counts(again) == (2, 0, 0, 2, 0) and again["changed"] == {}, again
    other = write(ws, "other.csv", lines("domain,name,owner", "acme.com,Acme Inc,alice", "acme.com,,bob"))
    report = imp(ws, "accounts", other)
    assert counts(report) == (2, 0, 1, 1, 0) and report["changed"] == {"name": 1}, report
    add_leads(ws, [{"email": "zoe@acme.com"}], now=MONDAY_9AM)
    add_events(ws, [demo_request("zoe@acme.com", "2026-11-23T13:50:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert show(ws, "zoe@acme.com")["owner"] == "bob"


def test_export_writes_through_a_link_keeps_permissions_streams_to_a_pipe_and_spares_the_database(
        ws: Workspace) -> None:
    import os
    import stat
    import threading

    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    real = ws.root / "real" / "leads.csv"
    real.parent.mkdir()
    real.write_text("old")
    real.chmod(0o600)  # contact data, kept private
    link = ws.root / "link.csv"
    link.symlink_to(real)
    assert ws.ok(["export", "leads", str(link)], now=MONDAY_9AM)["leads"] == 2
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert "ada@acme.com" in real.read_text(encoding="utf-8-sig") and stat.S_IMODE(real.stat().st_mode) == 0o600
    assert sorted(path.name for path in real.parent.iterdir()) == ["leads.csv"]  # no temporary left
    # a pipe (as /dev/stdout may be) is written to, not replaced by a file
    fifo = ws.root / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()))
    reader.start()
    assert ws.ok(["export", "leads", str(fifo)], now=MONDAY_9AM)["leads"] == 2
    reader.join(10)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and b"bea@beta.io" in received[0]
    # the database and the config: refused, left whole
    database, config = ws.root / "data" / "leadterm.db", ws.root / "config.toml"
    before = config.read_bytes()
    for target, what in ((database, "the database"), (config, "the config")):
        result = ws.run(["export", "leads", str(target)], now=MONDAY_9AM)
        assert result.code == 2 and f"is {what}" in result.err and "Traceback" not in result.err, result.err
    assert config.read_bytes() == before and show(ws, "ada@acme.com")["email"] == "ada@acme.com"


@pytest.mark.skipif(sys.platform != "linux", reason="/dev/stdout as Linux has it")
def test_export_to_dev_stdout_on_a_pipe_streams_the_csv_and_says_so_on_stderr(ws: Workspace) -> None:
    # `leadterm export leads /dev/stdout | head`: /dev/stdout is then a pipe, whose real name
    # (/proc/self/fd/1 -> "pipe:[N]") no one can open; the summary must not end up in the CSV
    import subprocess

    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    for target, extra in (("/dev/stdout", []), ("/dev/stdout", ["--json"]), ("-", [])):  # "-": standard output too
        done = subprocess.run([sys.executable, "-m", "leadterm", "export", "leads", target, *extra,
                               "--config", str(ws.config_path), "--now", MONDAY_9AM],
                              cwd=ws.root, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        rows = list(csv.DictReader(io.StringIO(done.stdout.lstrip("\ufeff"))))
        assert sorted(row["email"] for row in rows) == ["ada@acme.com", "bea@beta.io"]
        assert ("exported 2 leads to /dev/stdout" in done.stderr) if not extra else json.loads(done.stderr)["leads"] == 2
    assert not (ws.root / "-").exists()
    # what reads the pipe stops reading (| head): the export ends quietly, as a Unix tool ends
    # there (128 + SIGPIPE, which a shell reports for `cat file | head`)
    imp(ws, "leads", write(ws, "many.csv", "email,company\n" + "".join(f"l{n}@x.io,Company {n}\n" for n in range(20_000))))
    proc = subprocess.Popen([sys.executable, "-m", "leadterm", "export", "leads", "/dev/stdout", "--config",
                             str(ws.config_path), "--now", MONDAY_9AM], cwd=ws.root, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().startswith("\ufeffemail,".encode())
    proc.stdout.close()
    _, err = proc.communicate(timeout=60)
    assert (proc.returncode, err) == (141, b"")


@pytest.mark.skipif(sys.platform != "linux", reason="a pseudo-terminal as Linux has it")
def test_export_to_a_terminal_shows_control_characters_as_escapes_and_to_a_pipe_keeps_them(ws: Workspace) -> None:
    import os
    import pty
    import subprocess

    name = "\x1b[31mBob\x1b[0m\x07"
    imp(ws, "leads", write(ws, "evil.csv", f"email,first_name\nbob@evil.com,{name}\n"))
    command = [sys.executable, "-m", "leadterm", "export", "leads", "/dev/stdout", "--config", str(ws.config_path),
               "--now", MONDAY_9AM]
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(command, cwd=ws.root, stdout=follower, stderr=subprocess.PIPE, timeout=60)
        os.close(follower)
        shown = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # the terminal's other end closed: all read
                break
            if not chunk:
                break
            shown += chunk
    finally:
        os.close(leader)
    assert done.returncode == 0, done.stderr
    assert b"\x1b" not in shown and b"\x07" not in shown and b"\\x1b[31mBob\\x1b[0m\\x07" in shown
    piped = subprocess.run(command, cwd=ws.root, capture_output=True, timeout=60)
    assert name.encode() in piped.stdout  # a file's data as it is, for a program to read


def test_a_lead_shows_the_address_as_written_without_a_name_around_it_or_mailto(ws: Workspace) -> None:
    leads = write(ws, "named.csv", lines("email,first_name", '"Ada Lovelace <Ada@Acme.com>",Ada',
                                         "mailto:Bob@Beta.com,Bob", "Cy@Gamma.org\u200b ,Cy"))
    assert counts(imp(ws, "leads", leads)) == (3, 3, 0, 0, 0)
    events = write(ws, "events.csv", lines("email,type,occurred_at", '"Dee <Dee@Delta.io>",page_view,2026-11-20T10:00:00Z',
                                           "MAILTO:Eve@Echo.io,page_view,2026-11-20T10:00:00Z"))
    assert imp(ws, "events", events, "--create-leads")["leads_created"] == 2
    shown = {"ada@acme.com": "Ada@Acme.com", "bob@beta.com": "Bob@Beta.com", "cy@gamma.org": "Cy@Gamma.org",
             "dee@delta.io": "Dee@Delta.io", "eve@echo.io": "Eve@Echo.io"}
    assert {email: show(ws, email)["email"] for email in shown} == shown
    # the brief's heading: the name and the address, or the address alone
    headings = [ws.run(["show", email], now=MONDAY_9AM).out.splitlines()[0] for email in ("ada@acme.com", "dee@delta.io")]
    assert headings == ["Lead 1: Ada <Ada@Acme.com>", "Lead 4: Dee@Delta.io"]
    out = ws.root / "export.csv"
    ws.ok(["export", "leads", str(out)], now=MONDAY_9AM)
    with out.open(newline="", encoding="utf-8-sig") as handle:
        assert sorted(row["email"] for row in csv.DictReader(handle)) == sorted(shown.values())


def test_columns_an_events_or_accounts_file_does_not_read_are_listed_as_ignored(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    events = write(ws, "events.csv", lines("email,type,occurred_at,Region,Budget",
                                           "ada@acme.com,page_view,2026-11-20T10:00:00Z,EMEA,10k"))
    report = imp(ws, "events", events)
    assert (report["extra_columns"], report["ignored_columns"]) == ([], ["Region", "Budget"])
    accounts = write(ws, "accounts.csv", lines("domain,owner,Region", "acme.com,alice,EMEA"))
    report = imp(ws, "accounts", accounts, "--map", "owner=-")
    assert (report["extra_columns"], report["ignored_columns"]) == ([], ["owner", "Region"])
    text = ws.run(["import", "events", str(events)], now=MONDAY_9AM)
    assert text.code == 0 and "ignored: Region, Budget" in text.out and "form answers" not in text.out
