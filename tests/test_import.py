"""CSV import: columns, identity, idempotence, rejected rows and the summary's arithmetic."""

from __future__ import annotations

import csv

from conftest import MONDAY_9AM, Workspace


def counts(report: dict) -> tuple[int, int, int, int, int]:
    assert report["read"] == report["inserted"] + report["updated"] + report["duplicates"] + report["rejected"]
    return report["read"], report["inserted"], report["updated"], report["duplicates"], report["rejected"]


def test_spec_columns_import_and_keep_other_columns_as_form_answers(ws: Workspace) -> None:
    path = ws.csv("leads.csv", "email,first_name,last_name,company,title,industry,company_size,country,phone,"
                               "source,created_at,Budget,Timeline\n"
                               "ada@acme.com,Ada,Lovelace,Acme,CTO,Software,250,US,02134 555,ads,"
                               "2026-11-01T10:00:00Z,50k,Q1\n")
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert counts(report) == (1, 1, 0, 0, 0)
    assert report["extra_columns"] == ["Budget", "Timeline"]
    brief = ws.ok("show 1", now=MONDAY_9AM)
    assert brief["form"] == {"Budget": "50k", "Timeline": "Q1"}
    assert brief["phone"] == "02134 555"  # text stays text
    assert brief["company_size"] == 250 and brief["created_at"] == "2026-11-01T10:00:00Z"


def test_headers_match_case_and_space_insensitively_with_crm_aliases(ws: Workspace) -> None:
    path = ws.csv("hubspot.csv", " EMAIL ,First Name,Company Name,Job Title,Number of Employees,Lead Source\n"
                                 "bo@beta.io,Bo,Beta,VP Sales,1200,webinar\n")
    counts(ws.ok(f"import leads {path}", now=MONDAY_9AM))
    brief = ws.ok("show bo@beta.io", now=MONDAY_9AM)
    assert (brief["first_name"], brief["company"], brief["title"], brief["company_size"], brief["source"]) == (
        "Bo", "Beta", "VP Sales", 1200, "webinar")


def test_map_overrides_a_column(ws: Workspace) -> None:
    path = ws.csv("odd.csv", "Contact,Org\ncy@gamma.org,Gamma\n")
    missing = ws.run(f"import leads {path} --json", now=MONDAY_9AM)
    assert missing.code == 2 and "no email column" in missing.err
    report = ws.ok(["import", "leads", str(path), "--map", "Contact=EMAIL", "--map", "Org= Company"], now=MONDAY_9AM)
    assert counts(report) == (1, 1, 0, 0, 0)  # a field in any case, spaces around it aside
    sized = ws.csv("sized.csv", "Contact,Size\nbo@beta.io,1200\n")
    ws.ok(["import", "leads", str(sized), "--map", "Contact=email", "--map", "Size=Company Size"], now=MONDAY_9AM)
    assert ws.ok("show bo@beta.io", now=MONDAY_9AM)["company_size"] == 1200  # as a header names it, too
    unknown = ws.run(["import", "leads", str(path), "--map", "Contact=Mail"], now=MONDAY_9AM)
    assert unknown.code == 2 and "--map names unknown field 'Mail'" in unknown.err
    assert ws.ok("show cy@gamma.org", now=MONDAY_9AM)["company"] == "Gamma"


def test_one_lead_per_email_and_reimport_fills_blanks_only(ws: Workspace) -> None:
    first = ws.csv("a.csv", "email,first_name,company\nada@acme.com,Ada,\nADA@acme.com ,Ada,Acme\n")
    report = ws.ok(f"import leads {first}", now=MONDAY_9AM)
    assert counts(report) == (2, 1, 1, 0, 0)  # the second row is the same lead and fills company
    again = ws.ok(f"import leads {first}", now=MONDAY_9AM)
    assert counts(again) == (2, 0, 0, 2, 0)  # a second run changes nothing
    other = ws.csv("b.csv", "email,company,Budget\nada@acme.com,Acme Corp,10k\n")
    report = ws.ok(f"import leads {other}", now=MONDAY_9AM)
    assert counts(report) == (1, 0, 1, 0, 0) and report["changed"] == {"form": 1}  # a blank answer filled
    assert report["kept"] == {"company": 1}  # the summary says what the file would have replaced
    assert ws.ok("show 1", now=MONDAY_9AM)["company"] == "Acme"  # a filled value is not overwritten
    text = ws.run(f"import leads {other}", now=MONDAY_9AM).out
    assert "kept, where the file has other values (--overwrite replaces them): company on 1" in text
    # kept counts a lead once however many chunks name it, and only what --overwrite would change
    fillers = "".join(f"f{n}@x.com,Filler\n" for n in range(3000))
    both = ws.csv("c.csv", f"email,company\nada@acme.com,Acme Inc\n{fillers}ada@acme.com,Acme GmbH\n")
    assert ws.ok(f"import leads {both}", now=MONDAY_9AM)["kept"] == {"company": 1}
    back = ws.csv("d.csv", "email,company\nada@acme.com,Beta\nada@acme.com,Acme\n")  # overwritten: as it is
    assert ws.ok(f"import leads {back}", now=MONDAY_9AM)["kept"] == {}
    report = ws.ok(f"import leads {other} --overwrite", now=MONDAY_9AM)
    assert counts(report) == (1, 0, 1, 0, 0) and report["kept"] == {}
    assert ws.ok("show 1", now=MONDAY_9AM)["company"] == "Acme Corp"
    # a new lead named twice in one file with other values: the first row's are kept, and the
    # summary says so from the first run (as it does on the next, the lead known by then)
    twice = ws.csv("twice.csv", "email,first_name,company,title\nbo@beta.io,Bo,Beta,\nbo@beta.io,Bob,Beta GmbH,CTO\n")
    report = ws.ok(f"import leads {twice}", now=MONDAY_9AM)
    assert counts(report) == (2, 1, 1, 0, 0) and report["changed"] == {"title": 1}
    assert report["kept"] == {"company": 1, "first_name": 1}
    assert ws.ok(f"import leads {twice}", now=MONDAY_9AM)["kept"] == {"company": 1, "first_name": 1}
    assert (ws.ok("show bo@beta.io", now=MONDAY_9AM)["company"], ws.ok("show bo@beta.io", now=MONDAY_9AM)["title"]) == (
        "Beta", "CTO")


def test_bad_rows_go_to_the_rejects_file_with_line_and_reason(ws: Workspace) -> None:
    path = ws.csv("leads.csv", "email,first_name,company_size,created_at\n"
                               "ok@acme.com,Ok,10,2026-01-01\n"
                               ",NoEmail,10,\n"
                               "not-an-email,Bad,10,\n"
                               "size@acme.com,Size,lots,\n"
                               "when@acme.com,When,10,someday\n"
                               "ragged@acme.com,Ragged\n")
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert counts(report) == (6, 1, 0, 0, 5)
    with open(report["rejects_file"], newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["line"], row["reason"].split(":")[0]) for row in rows] == [
        ("3", "email"), ("4", "email"), ("5", "company_size"), ("6", "created_at"), ("7", "has 2 fields, the header has 4")]
    assert rows[3]["created_at"] == "someday"  # the row is kept whole, as it was
    # a clean re-run removes the stale rejects file
    fixed = ws.csv("leads.csv", "email\nok@acme.com\n")
    assert ws.ok(f"import leads {fixed}", now=MONDAY_9AM)["rejects_file"] is None
    assert not (ws.root / "leads.csv.rejects.csv").exists()


def test_events_are_idempotent_and_unknown_emails_are_rejected(ws: Workspace) -> None:
    ws.ok(f"import leads {ws.csv('l.csv', 'email' + chr(10) + 'ada@acme.com' + chr(10))}", now=MONDAY_9AM)
    path = ws.csv("events.csv", "email,type,occurred_at,detail\n"
                                "ada@acme.com,page_view,2026-11-20T10:00:00Z,/\n"
                                "ADA@ACME.COM,page_view,2026-11-20T10:00:00Z,/\n"
                                "ada@acme.com,page_view,2026-11-20 10:00,/\n"
                                "who@else.com,page_view,2026-11-20T10:00:00Z,/\n"
                                "ada@acme.com,,2026-11-20T10:00:00Z,/\n"
                                "ada@acme.com,page_view,yesterday,/\n")
    report = ws.ok(f"import events {path}", now=MONDAY_9AM)
    # the second row repeats the first; the third is naive 10:00 New York = 15:00 UTC, another event
    assert counts(report) == (6, 2, 0, 1, 3)
    assert counts(ws.ok(f"import events {path}", now=MONDAY_9AM)) == (6, 0, 0, 3, 3)
    events = ws.ok("show 1", now=MONDAY_9AM)["events"]
    assert [e["occurred_at"] for e in events] == ["2026-11-20T10:00:00Z", "2026-11-20T15:00:00Z"]
    rejects = (ws.root / "events.csv.rejects.csv").read_text()
    assert "no lead with email 'who@else.com'" in rejects and "type: missing" in rejects


def test_a_file_that_is_not_csv_is_refused_and_nothing_is_written(ws: Workspace) -> None:
    empty = ws.root / "empty.csv"
    empty.write_bytes(b"")
    zipped = ws.root / "book.csv"
    zipped.write_bytes(b"PK\x03\x04 pretend workbook")
    header_only = ws.csv("header.csv", "email,first_name\n")
    for path, words in ((empty, "empty"), (zipped, "xlsx"), (header_only, "no data rows"),
                        (ws.root / "missing.csv", "no such file")):
        result = ws.run(f"import leads {path}", now=MONDAY_9AM)
        assert result.code == 2, path
        assert words in result.err and str(path) in result.err
    assert ws.run("show 1", now=MONDAY_9AM).code == 1  # nothing was imported


def test_known_emails_deep_inside_big_chunks_merge_and_the_new_leads_around_them_go_in_once(ws: Workspace) -> None:
    # The writer first tries a chunk as all new; a known email refused by the unique index,
    # thousands of rows (several statements) into its chunk, must take the whole chunk back
    known = [1900, 5650, 9999, 15_000, 19_999]
    first = ws.csv("first.csv", "email,company\n" + "".join(f"old{row}@x.com,\n" for row in known))
    assert counts(ws.ok(f"import leads {first}", now=MONDAY_9AM)) == (5, 5, 0, 0, 0)
    rows = "".join(f"{'old' if row in known else 'new'}{row}@x.com,Acme {row}\n" for row in range(20_000))
    second = ws.csv("second.csv", "email,company\n" + rows)
    assert counts(ws.ok(f"import leads {second}", now=MONDAY_9AM)) == (20_000, 19_995, 5, 0, 0)
    assert counts(ws.ok(f"import leads {second}", now=MONDAY_9AM)) == (20_000, 0, 0, 20_000, 0)
    exported = ws.root / "all.csv"
    ws.ok(f"export leads {exported}", now=MONDAY_9AM)
    with exported.open(newline="", encoding="utf-8-sig") as handle:  # with Excel's BOM
        leads = {row["email"]: row for row in csv.DictReader(handle)}
    assert len(leads) == 20_000 and all(leads[f"old{row}@x.com"]["company"] == f"Acme {row}" for row in known)
    assert [leads[f"new{row}@x.com"]["company"] for row in (0, 1899, 1901, 19_998)] == [
        "Acme 0", "Acme 1899", "Acme 1901", "Acme 19998"]


def test_an_email_twice_deep_inside_one_chunk_of_new_leads_is_merged_as_one_lead(ws: Workspace) -> None:
    # The writer keeps no set of a chunk's emails: an email met twice among new leads, the second
    # time several statements into the chunk, is refused by the unique index and the chunk merged,
    # whether the chunk is a clean block or rows read one by one (a quoted line break every 400 rows)
    for name, quoted in (("block.csv", False), ("rows.csv", True)):
        def first_name(row: int) -> str:
            return f'"F{row}\nx"' if quoted and row % 400 == 0 else "F"

        rows = [f"{name[0]}{row}@x.com,{first_name(row)},{'Acme' if row % 2 else ''}\n" for row in range(6000)]
        rows[3600] = f"{name[0]}1300@x.com,,Later\n"  # the first was read with company blank
        rows[3650] = rows[1301]  # the same row again
        rows[3700] = f"{name[0].upper()}1401@X.COM,,Other\n"  # the same lead, upper-cased, company set already
        path = ws.csv(name, "email,first_name,company\n" + "".join(rows))
        assert counts(ws.ok(f"import leads {path}", now=MONDAY_9AM)) == (6000, 5997, 1, 2, 0), name
        assert ws.ok(f"show {name[0]}1300@x.com", now=MONDAY_9AM)["company"] == "Later"
        assert ws.ok(f"show {name[0]}1401@x.com", now=MONDAY_9AM)["company"] == "Acme"
    exported = ws.root / "all.csv"
    ws.ok(f"export leads {exported}", now=MONDAY_9AM)
    with exported.open(newline="", encoding="utf-8-sig") as handle:
        emails = [row["email"] for row in csv.DictReader(handle)]
    assert len(emails) == len(set(emails)) == 2 * 5997


def test_creation_times_that_repeat_are_read_as_each_would_be_alone(ws: Workspace) -> None:
    """A column of dates without a time of day (or times to the hour) repeats itself: each
    distinct time is worked out once, to the same instant as one row read on its own; a bad time
    among them is its row's reject only, and naive and zoned times may mix."""
    naive = ["2026-03-05", "2026-07-01T10:00", "2026-11-01T01:30:00"]  # New York: EST, EDT, EDT
    zoned = ["2026-03-05T10:00:00Z", "2026-07-01T10:00:00+02:00"]
    expected = {"2026-03-05": "2026-03-05T05:00:00Z", "2026-07-01T10:00": "2026-07-01T14:00:00Z",
                "2026-11-01T01:30:00": "2026-11-01T05:30:00Z", "2026-03-05T10:00:00Z": "2026-03-05T10:00:00Z",
                "2026-07-01T10:00:00+02:00": "2026-07-01T08:00:00Z"}
    written = {}
    rows = []
    for index in range(6000):
        times = naive if index < 3000 else naive + zoned  # a plain naive stretch, then a mixed one
        written[f"lead{index}@acme.com"] = times[index % len(times)]
        rows.append(f"lead{index}@acme.com,{written[f'lead{index}@acme.com']}\n")
    rows[4500] = "lead4500@acme.com,2026-13-45\n"  # no such date: its row alone is refused
    del written["lead4500@acme.com"]
    path = ws.csv("dated.csv", "email,created_at\n" + "".join(rows))
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert counts(report) == (6000, 5999, 0, 0, 1)
    with (ws.root / "dated.csv.rejects.csv").open(newline="", encoding="utf-8") as handle:
        assert [(row["line"], row["email"]) for row in csv.DictReader(handle)] == [("4502", "lead4500@acme.com")]
    exported = ws.root / "out.csv"
    ws.ok(f"export leads {exported}", now=MONDAY_9AM)
    with exported.open(newline="", encoding="utf-8-sig") as handle:
        stored = {row["email"]: row["created_at"] for row in csv.DictReader(handle)}
    assert stored == {email: expected[text] for email, text in written.items()}


def test_form_answers_that_repeat_or_not_are_kept_as_written(ws: Workspace) -> None:
    """Form answers become each lead's JSON the same way whether a column repeats itself (each
    distinct answer written once) or not, with one form column or several, blanks left out."""
    bands = ["10k", "", "50k", 'He said "yes" \\ ok', "ünïcode"]
    rows, expected = [], {}
    for index in range(4000):
        band, note = bands[index % len(bands)], ("" if index % 7 == 0 else f"note {index}")
        rows.append([f"lead{index}@acme.com", band, note])
        expected[f"lead{index}@acme.com"] = {key: value for key, value in (("Budget", band), ("Notes", note)) if value}
    one = ws.root / "one.csv"
    with one.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["email", "Budget"], *[row[:2] for row in rows[:2000]]])
    two = ws.root / "two.csv"
    with two.open("w", newline="", encoding="utf-8") as handle:
        csv.writer(handle).writerows([["email", "Budget", "Notes"], *rows[2000:]])
    assert counts(ws.ok(f"import leads {one}", now=MONDAY_9AM)) == (2000, 2000, 0, 0, 0)
    assert counts(ws.ok(f"import leads {two}", now=MONDAY_9AM)) == (2000, 2000, 0, 0, 0)
    for index in (0, 3, 1999):
        email = f"lead{index}@acme.com"
        assert ws.ok(f"show {email}", now=MONDAY_9AM)["form"] == {k: v for k, v in expected[email].items() if k == "Budget"}
    for index in (2000, 2003, 2100, 3999):
        email = f"lead{index}@acme.com"
        assert ws.ok(f"show {email}", now=MONDAY_9AM)["form"] == expected[email]
