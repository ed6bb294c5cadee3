"""Accents written decomposed (NFD: "e" and a combining accent, as macOS tools and some exports
write them) are the same text as composed ones (NFC, as most tools write them): an import stores
text composed, and config.toml's values are read composed, so that a rule, a routing group, an
event's identity and a metric see one "Télécoms" however its accents came in."""

from __future__ import annotations

import unicodedata

import pytest

from conftest import MONDAY_9AM, Workspace, add_events, add_leads, demo_request, stored_leads
from test_import_hostile import counts, imp, lines, show, write

from leadterm.engine.identity import normalize_email
from leadterm.engine.values import is_composed


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


TELECOMS = "Télécoms"  # composed, as typed on most systems
assert nfd(TELECOMS) != TELECOMS
TEXT_FIELDS = ("first_name", "last_name", "company", "title", "industry", "country", "phone", "source", "form")


def _target_industry(ws: Workspace, spelled: str) -> None:
    def edit(data: dict) -> None:
        next(rule for rule in data["scoring"]["fit"] if rule["name"] == "Target industry")["in"].append(spelled)
    ws.write_config(edit)


def test_an_industry_written_decomposed_meets_a_rule_written_composed(ws: Workspace) -> None:
    _target_industry(ws, TELECOMS)
    report = imp(ws, "leads", write(ws, "leads.csv", lines("Email,Industry", f"nfd@x.fr,{nfd(TELECOMS)}",
                                                           f"nfc@x.fr,{TELECOMS}")))
    assert counts(report) == (2, 2, 0, 0, 0)
    ws.ok("tick", now=MONDAY_9AM)
    for email in ("nfd@x.fr", "nfc@x.fr"):
        lead = show(ws, email)
        assert (lead["industry"], lead["score"]) == (TELECOMS, 10)
        assert [(driver["rule"], driver["points"], driver["evidence"]) for driver in lead["drivers"]] == [
            ("Target industry", 10, f"industry = {TELECOMS}")]


def _many_leads(rows: int, odd: str) -> list[str]:
    """``rows`` leads, one of them (in the middle of a block) written decomposed in every text
    field and form answer, under a form question written decomposed too; ``odd``: "quoted" puts
    a quoted field in every hundredth row (the block is split around it), "ragged" a row
    of too few fields right after the decomposed one (the block is read row by row)."""
    header = f"Email,First Name,Last Name,Company,Job Title,Industry,Country,Phone,Lead Source,{nfd('Préférence')}"
    written = [f"lead{index}@acme.com,Ann,Lee,Acme,CTO,Software,US,0123,ads,oui" for index in range(rows)]
    if odd == "quoted":
        for index in range(0, rows, 100):
            written[index] = f'lead{index}@acme.com,Ann,Lee,"Acme, Inc.",CTO,Software,US,0123,ads,oui'
    middle = rows // 2
    written[middle] = nfd(f"zoe@acme.com,Zoé,Brontë,Société Générale,Directrice générale,{TELECOMS},Côte d'Ivoire,"
                          "+225 01,Salon Télécoms,très")
    if odd == "ragged":
        written.insert(middle + 1, "ragged@acme.com,Ann")
    return [header, *written]


@pytest.mark.parametrize("odd", ["", "quoted", "ragged"],
                         ids=["a clean block", "a block with quoted fields", "a block read row by row"])
def test_a_decomposed_value_among_thousands_of_rows_is_stored_composed(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch, odd: str) -> None:
    from leadterm.service import import_leads

    one_by_one: list[str] = []  # the emails read row by row
    monkeypatch.setattr(import_leads, "normalize_email", lambda raw: one_by_one.append(raw) or normalize_email(raw))
    report = imp(ws, "leads", write(ws, "leads.csv", lines(*_many_leads(3_000, odd))))
    assert counts(report) == ((3_001, 3_000, 0, 0, 1) if odd == "ragged" else (3_000, 3_000, 0, 0, 0))
    assert report["extra_columns"] == ["Préférence"]
    assert ("zoe@acme.com" in one_by_one) == (odd == "ragged")  # the path the test means to take
    zoe = show(ws, "zoe@acme.com")
    assert [zoe[name] for name in TEXT_FIELDS] == [
        "Zoé", "Brontë", "Société Générale", "Directrice générale", TELECOMS, "Côte d'Ivoire", "+225 01",
        "Salon Télécoms", {"Préférence": "très"}]
    # and every value of every lead, as stored
    assert all(is_composed(lead[name]) for lead in stored_leads(ws) for name in TEXT_FIELDS if lead[name])


def test_a_decomposed_file_imported_over_its_composed_leads_changes_nothing(ws: Workspace) -> None:
    header = "Email,First Name,Company,Industry,Lead Source,Préférence"
    row = f"zoe@x.fr,Zoé,Société Générale,{TELECOMS},Salon Télécoms,très"
    assert counts(imp(ws, "leads", write(ws, "nfc.csv", lines(header, row)))) == (1, 1, 0, 0, 0)
    again = write(ws, "nfd.csv", lines(nfd(header), nfd(row)))
    for options in ((), ("--overwrite",)):
        report = imp(ws, "leads", again, *options)
        assert counts(report) == (1, 0, 0, 1, 0)  # a duplicate, not an update
        assert report["extra_columns"] == ["Préférence"] and not report.get("changed") and not report.get("kept")


def test_a_source_written_both_ways_is_one_source_in_the_metrics(ws: Workspace) -> None:
    add_leads(ws, [{"email": "nfd@x.fr", "source": nfd("Salon Télécoms")},
                   {"email": "nfc@x.fr", "source": "Salon Télécoms"}], now=MONDAY_9AM)
    add_events(ws, [demo_request("nfd@x.fr", "2026-11-23T13:50:00Z"), demo_request("nfc@x.fr", "2026-11-23T13:50:00Z")],
               now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    metrics = ws.ok(["metrics", "--since", "2026-11-23", "--until", "2026-11-24"], now="2026-11-23T16:00:00Z")
    assert list(metrics["by_source"]) == ["Salon Télécoms"] and metrics["by_source"]["Salon Télécoms"]["mqls"] == 2


@pytest.mark.parametrize("odd", [False, True], ids=["clean file", "file read row by row"])
def test_an_event_written_decomposed_is_the_event_written_composed(ws: Workspace, odd: bool) -> None:
    ws.write_config(lambda data: data["scoring"]["behaviour"].append(
        {"name": "Trade fair", "event": "Salon_Télécoms", "points": 5}))
    add_leads(ws, [{"email": "zoe@x.fr"}], now=MONDAY_9AM)
    blank = [""] if odd else []  # a blank line: the file is read row by row
    event = "zoe@x.fr,Salon_Télécoms,2026-11-20T10:00:00Z,Stand Télécoms B12"
    report = imp(ws, "events", write(ws, "nfd.csv", lines("email,type,occurred_at,detail", *blank, nfd(event))))
    assert counts(report) == (1, 1, 0, 0, 0)
    report = imp(ws, "events", write(ws, "nfc.csv", lines("email,type,occurred_at,detail", *blank, event)))
    assert counts(report) == (1, 0, 0, 1, 0)  # the same event: nothing added
    ws.ok("tick", now=MONDAY_9AM)
    zoe = show(ws, "zoe@x.fr")
    assert [(event["type"], event["detail"]) for event in zoe["events"]] == [("salon_télécoms", "Stand Télécoms B12")]
    assert [(driver["rule"], driver["points"]) for driver in zoe["drivers"]] == [("Trade fair", 5)]


def test_an_account_written_decomposed_is_stored_composed(ws: Workspace) -> None:
    report = imp(ws, "accounts", write(ws, "nfd.csv", lines("domain,name,owner", nfd("café.fr,Société X,bob"))))
    assert counts(report) == (1, 1, 0, 0, 0)
    report = imp(ws, "accounts", write(ws, "nfc.csv", lines("domain,name,owner", "café.fr,Société X,bob")))
    assert counts(report) == (1, 0, 0, 1, 0)  # the same account, named the same
    # its domain is the domain of a lead's email (composed, as emails are): 1,200 employees
    # would otherwise go to alice (Enterprise)
    add_leads(ws, [{"email": "zoe@café.fr", "company_size": "1200"}], now=MONDAY_9AM)
    add_events(ws, [demo_request("zoe@café.fr", "2026-11-23T13:50:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    assert show(ws, "zoe@café.fr")["owner"] == "bob"


def test_a_config_written_decomposed_matches_composed_data(ws: Workspace) -> None:
    # config.toml typed on a Mac: a fit rule's list, a form column's name, a disqualify rule's
    # words, a routing group's match and a behaviour rule's event, all decomposed
    def edit(data: dict) -> None:
        next(rule for rule in data["scoring"]["fit"] if rule["name"] == "Target industry")["in"].append(nfd(TELECOMS))
        data["scoring"]["fit"].append({"name": "Keen", "field": nfd("form.Préférence"), "in": [nfd("Très")],
                                       "points": 7})
        data["scoring"]["behaviour"].append({"name": "Trade fair", "event": nfd("Salon_Télécoms"), "points": 5})
        data["scoring"]["disqualify"].append({"name": "Rival", "field": "company", "contains_any": [nfd("Rivalité")],
                                              "reason": "competitor"})
        data["routing"]["groups"].insert(0, {"name": "Telecoms", "members": ["bob"], "match": {"industry": nfd(TELECOMS)}})
    ws.write_config(edit)
    imp(ws, "leads", write(ws, "leads.csv", lines("Email,Company,Industry,Préférence",
                                                  f"zoe@x.fr,Opérateur,{TELECOMS},très",
                                                  f"max@y.fr,La Rivalité SA,{TELECOMS},")))
    imp(ws, "events", write(ws, "events.csv", lines("email,type,occurred_at",
                                                    "zoe@x.fr,salon_télécoms,2026-11-23T13:40:00Z",
                                                    "zoe@x.fr,demo_request,2026-11-23T13:50:00Z")))
    ws.ok("tick", now=MONDAY_9AM)
    zoe = show(ws, "zoe@x.fr")
    assert {driver["rule"]: driver["points"] for driver in zoe["drivers"]} == {
        "Target industry": 10, "Keen": 7, "Trade fair": 5, "Demo request": 50}
    assert (zoe["score"], zoe["owner"]) == (72, "bob")  # routed by its industry, not round-robin
    assert (show(ws, "max@y.fr")["disqualifier"], show(ws, "max@y.fr")["stage"]) == ("Rival", "disqualified")


def test_text_of_latin_1_alone_is_composed() -> None:
    # is_composed's shortcut: no character below U+0100 composes with another or decomposes
    latin_1 = [chr(code) for code in range(256)]
    assert all(unicodedata.is_normalized("NFC", first + second) for first in latin_1 for second in latin_1)
    assert is_composed("".join(latin_1)) and is_composed("Société’s €") and not is_composed(nfd("Société"))


def test_a_routing_group_name_is_one_name_however_its_accents_are_written(ws: Workspace) -> None:
    # the database keeps each group's place in its rotation by its name: composed at load, a
    # config saved decomposed on a Mac, then composed elsewhere, names the same group
    def two(data: dict) -> None:
        data["routing"]["groups"][:0] = [{"name": nfd("Télécoms team"), "members": ["bob"]},
                                          {"name": "Télécoms team", "members": ["alice"]}]
    ws.write_config(two)
    done = ws.run("tick", now=MONDAY_9AM)
    assert done.code == 2 and "duplicate group name 'Télécoms team'" in done.err
