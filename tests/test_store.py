"""The store's guarantees: schema and migrations on open, models that match the tables, an
append-only history, the write transaction's rules, and online backups."""

from __future__ import annotations

import os
import re
import sqlite3
from collections.abc import Iterator
from typing import Any
from pathlib import Path

import peewee
import pytest

from conftest import ADA, BEA, CY, MONDAY_9AM, Workspace, add_events, add_leads, demo_request
from leadterm.store import StoreError, checkpoints_aside, close_database, open_database, write
from leadterm.store.db import schema_version
from leadterm.store.models import MODELS, History
from leadterm.store.schema import SCHEMA_VERSION, V1


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "sub" / "leads.db"  # the folder does not exist yet either
    close_database()


def _tables(path: Path) -> list[tuple[str, str]]:
    with sqlite3.connect(path) as con:
        return con.execute("SELECT type, name FROM sqlite_master ORDER BY type, name").fetchall()


def _set_version(path: Path, version: int) -> None:
    con = sqlite3.connect(path)
    with con:
        con.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),))
    con.close()


def test_a_new_file_gets_the_schema_and_the_pragmas(db_path: Path) -> None:
    db = open_database(db_path)
    assert db_path.is_file()
    assert schema_version(db) == SCHEMA_VERSION
    assert db.execute_sql("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute_sql("PRAGMA foreign_keys").fetchone()[0] == 1
    assert db.execute_sql("PRAGMA busy_timeout").fetchone()[0] >= 1000  # milliseconds
    tables = {name for kind, name in _tables(db_path) if kind == "table"}
    assert {model._meta.table_name for model in MODELS} <= tables
    # foreign keys are enforced, not just declared
    with pytest.raises(peewee.IntegrityError):
        db.execute_sql("INSERT INTO touch (lead_id, rep, channel, outcome, at) VALUES (999, 'alice', 'call', 'other', 0)")


def test_opening_again_is_a_no_op(db_path: Path) -> None:
    db = open_database(db_path)
    db.execute_sql("INSERT INTO meta (key, value) VALUES ('marker', 'kept')")
    close_database()
    before = _tables(db_path)
    db = open_database(db_path)
    assert schema_version(db) == SCHEMA_VERSION
    assert _tables(db_path) == before
    assert db.execute_sql("SELECT value FROM meta WHERE key = 'marker'").fetchone() == ("kept",)
    assert db.execute_sql("SELECT COUNT(*) FROM meta WHERE key = 'schema_version'").fetchone() == (1,)


def test_a_newer_schema_is_refused_and_left_alone(db_path: Path, ws: Workspace) -> None:
    open_database(db_path)
    close_database()
    _set_version(db_path, SCHEMA_VERSION + 1)
    with pytest.raises(StoreError, match="newer"):
        open_database(db_path)
    result = ws.run(["tick", "--db", str(db_path)], now=MONDAY_9AM)
    assert result.code == 2 and "newer" in result.err and "Traceback" not in result.err
    with sqlite3.connect(db_path) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (
            str(SCHEMA_VERSION + 1),
        )


def test_a_file_that_is_not_a_database_is_refused(tmp_path: Path, ws: Workspace) -> None:
    junk = tmp_path / "junk.db"
    content = os.urandom(8192)
    junk.write_bytes(content)
    with pytest.raises(StoreError, match="junk.db"):
        open_database(junk)
    result = ws.run(["tick", "--db", str(junk)], now=MONDAY_9AM)
    assert result.code == 2, result.err
    assert "junk.db" in result.err and "not a database" in result.err
    assert "Traceback" not in result.err and result.out == ""
    assert junk.read_bytes() == content  # nothing was written into it


def test_models_match_the_tables_column_for_column(db_path: Path) -> None:
    db = open_database(db_path)
    for model in MODELS:
        info = db.execute_sql(f"PRAGMA table_info({model._meta.table_name})").fetchall()
        assert info, f"no table {model._meta.table_name} for {model.__name__}"
        table = {row[1]: row for row in info}  # name → (cid, name, type, notnull, default, pk)
        assert sorted(model._meta.columns) == sorted(table), model.__name__
        for name, field in model._meta.columns.items():
            if not field.primary_key and not table[name][5]:
                assert field.null == (not table[name][3]), f"{model.__name__}.{name}: nullability differs"


def test_history_is_append_only(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    ws.ok("away bob", actor="dana", now=MONDAY_9AM)  # writes a history row
    db = History._meta.database.obj
    before = db.execute_sql("SELECT * FROM history ORDER BY id").fetchall()
    assert before and before[-1][4] == "away"
    row_id = before[-1][0]
    with pytest.raises(peewee.IntegrityError, match="append-only"):
        History.update(reason="rewritten").where(History.id == row_id).execute()
    with pytest.raises(peewee.IntegrityError, match="append-only"):
        History.delete().where(History.id == row_id).execute()
    # and from any other connection too: the rule lives in the database, not the app
    con = sqlite3.connect(db.database)
    try:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("DELETE FROM history")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            con.execute("UPDATE history SET actor = 'mallory'")
    finally:
        con.close()
    assert db.execute_sql("SELECT * FROM history ORDER BY id").fetchall() == before
    # appending still works
    History.create(lead=None, at=0, actor="system", action="note")
    assert db.execute_sql("SELECT COUNT(*) FROM history").fetchone()[0] == len(before) + 1


def test_write_refuses_to_be_nested(db_path: Path) -> None:
    db = open_database(db_path)
    with pytest.raises(RuntimeError, match="nested"):
        with db.atomic():
            with write():
                pass  # pragma: no cover
    with pytest.raises(RuntimeError, match="nested"):
        with write():
            with write():
                pass  # pragma: no cover
    assert not db.in_transaction()


def test_write_takes_the_write_lock_before_anything_is_read(db_path: Path) -> None:
    db = open_database(db_path)
    other = sqlite3.connect(db_path, timeout=0, isolation_level=None)
    try:
        with write():
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        other.execute("BEGIN IMMEDIATE")  # released on commit
        other.execute("ROLLBACK")
    finally:
        other.close()
    # and a failure inside rolls the whole transaction back
    with pytest.raises(ZeroDivisionError):
        with write():
            db.execute_sql("INSERT INTO meta (key, value) VALUES ('half', 'done')")
            1 / 0
    assert db.execute_sql("SELECT COUNT(*) FROM meta WHERE key = 'half'").fetchone() == (0,)


def test_checkpoints_set_aside_run_beside_the_writer_and_the_last_is_waited_for(db_path: Path) -> None:
    db = open_database(db_path)
    big = "x" * 4000  # each commit writes a few dozen pages to the WAL

    def commits(count: int, start: int, done: Any) -> None:
        for index in range(start, start + count):
            with write():
                db.execute_sql("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{index}", big))
                db.execute_sql("INSERT INTO meta (key, value) VALUES (?, ?)", (f"k{index}b", big * 10))
            done()

    def in_the_database_file() -> int:
        """The rows written so far that checkpoints copied into the database file (immutable=1
        reads the file alone, not the WAL)."""
        alone = sqlite3.connect(f"file:{db_path}?immutable=1", uri=True)
        try:
            return alone.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone()[0]
        finally:
            alone.close()

    reader = sqlite3.connect(db_path, isolation_level=None)
    try:
        with checkpoints_aside() as checkpoints:
            committed = checkpoints.committed
            assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone() == (0,)
            reader.execute("BEGIN")  # a reader holding its snapshot: checkpoints cannot finish, and nothing fails
            assert reader.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (0,)
            commits(20, 0, committed)
            assert reader.execute("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (0,)
            reader.execute("COMMIT")
            commits(20, 20, committed)
        assert in_the_database_file() == 80  # the last commit was checkpointed before leaving
        assert db.execute_sql("PRAGMA wal_autocheckpoint").fetchone() == (1000,)
        assert db.execute_sql("SELECT COUNT(*) FROM meta WHERE key LIKE 'k%'").fetchone() == (80,)
    finally:
        reader.close()


def test_the_wal_set_aside_for_checkpoints_stays_near_its_limit(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A writer that began each transaction while a checkpoint ran would never let SQLite start
    the WAL over: past the limit it waits for the checkpoint under way."""
    import leadterm.store.db as store_db

    monkeypatch.setattr(store_db, "WAL_LIMIT", 1 << 20)
    db = open_database(db_path)
    wal = Path(str(db_path) + "-wal")
    largest = 0
    with checkpoints_aside() as checkpoints:
        for index in range(400):
            checkpoints.before_write()
            with write():
                db.execute_sql("INSERT INTO meta (key, value) VALUES (?, ?)", (f"w{index}", "y" * 30_000))
            checkpoints.committed()
            largest = max(largest, wal.stat().st_size)
    assert db.execute_sql("SELECT COUNT(*) FROM meta WHERE key LIKE 'w%'").fetchone() == (400,)
    assert largest < 3 << 20  # the limit and a transaction or two; the rows alone are 12 MB


def _lead_rows(path: Path) -> list[tuple]:
    con = sqlite3.connect(path)
    try:
        return con.execute("SELECT id, email, first_name, stage, owner FROM lead ORDER BY id").fetchall()
    finally:
        con.close()


def test_backup_copies_the_database_while_it_is_in_use(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA, CY], now=MONDAY_9AM)
    source = ws.root / "data" / "leadterm.db"
    committed = _lead_rows(source)
    assert len(committed) == 3
    # another user is in the middle of a write: the backup takes the committed state, and waits for nobody
    writer = sqlite3.connect(source, isolation_level=None)
    try:
        writer.execute("BEGIN IMMEDIATE")
        writer.execute("UPDATE lead SET first_name = 'uncommitted'")
        result = ws.run(["backup", str(ws.root / "copies" / "monday.db")], now=MONDAY_9AM)
        assert result.code == 0, result.err
    finally:
        writer.execute("ROLLBACK")
        writer.close()
    copy = ws.root / "copies" / "monday.db"
    assert "monday.db" in result.out
    assert _lead_rows(copy) == committed
    con = sqlite3.connect(copy)
    try:
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
    finally:
        con.close()
    # the copy is a working leadterm database
    for lead in (ADA, BEA, CY):
        assert ws.ok(["show", lead["email"], "--db", str(copy)], now=MONDAY_9AM)["company"] == lead["company"]


def test_backup_refuses_an_existing_target(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    target = ws.root / "existing.db"
    target.write_bytes(b"keep me")
    result = ws.run(["backup", str(target)], now=MONDAY_9AM)
    assert result.code == 1
    assert "already exists" in result.err
    assert target.read_bytes() == b"keep me"


@pytest.mark.parametrize("limit", [32_766, 999], ids=["SQLite 3.32 on", "an older SQLite's 999 parameters"])
@pytest.mark.parametrize("rows", [0, 1, 57, 58, 59, 234, 235, 236, 470, 471])
def test_rows_given_column_by_column_go_in_whole_and_in_order(db_path: Path, rows: int, limit: int) -> None:
    # 235 rows of 17 columns to a statement (4,000 parameters), 58 where SQLite allows only 999
    from leadterm.store.db import insert_columns

    db = open_database(db_path)
    db.connection().setlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER, limit)
    names = [f"c{index}" for index in range(17)]
    db.execute_sql(f"CREATE TEMP TABLE wide ({', '.join(names)})")
    columns = [[f"{row}.{column}" for row in range(rows)] for column in range(17)]
    with write():
        insert_columns("temp.wide", names, columns)
    stored = db.execute_sql(f"SELECT {', '.join(names)} FROM temp.wide ORDER BY rowid").fetchall()
    assert stored == list(zip(*columns))
    with pytest.raises(ValueError, match="lengths"):
        insert_columns("temp.wide", names, [*columns[:16], columns[16] + ["one too many"]])


def _as_release(path: Path, version: int) -> None:
    """Turn the database at ``path`` back into what release ``version`` left, its data kept."""
    script = ""
    if version < 3:  # event types as text in the event table itself, as V1 made it
        table = re.search(r"CREATE TABLE event \(.*?\) WITHOUT ROWID;", V1, re.S).group()
        script += (table.replace("CREATE TABLE event (", "CREATE TABLE event_text (")
                   + "INSERT INTO event_text SELECT e.lead_id, t.name, e.occurred_at, e.detail "
                     "FROM event e JOIN event_type t ON t.id = e.type_id;"
                     "DROP TABLE event; DROP TABLE event_type; ALTER TABLE event_text RENAME TO event;")
    if version < 2:  # the two owner indexes whole
        script += ("DROP INDEX lead_owner_queue; DROP INDEX lead_open;"
                   "CREATE INDEX lead_owner_queue ON lead (owner, stage, tier, due_at);"
                   "CREATE INDEX lead_stage_owner ON lead (stage, owner);")
    with sqlite3.connect(path) as con:
        con.executescript(script + f"UPDATE meta SET value = '{version}' WHERE key = 'schema_version';")
    con.close()


def test_a_release_1_database_gets_the_partial_owner_indexes_and_reads_alike(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA, CY], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z"),
                    demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    everyone, alices = ws.ok("queue --all", actor="dana", now=MONDAY_9AM), ws.ok("queue", actor="alice", now=MONDAY_9AM)
    assert [row["email"] for row in alices] == ["ada@acme.com", "bea@beta.io"]
    close_database()
    path = ws.root / "data" / "leadterm.db"
    _as_release(path, 1)
    assert ws.ok("queue --all", actor="dana", now=MONDAY_9AM) == everyone
    assert ws.ok("queue", actor="alice", now=MONDAY_9AM) == alices
    with sqlite3.connect(path) as con:
        indexes = dict(con.execute("SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'lead'"))
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        plans = [con.execute(f"EXPLAIN QUERY PLAN SELECT id FROM lead WHERE {where}").fetchall()
                 for where in ("stage IN ('mql', 'sal')", "stage IN ('mql', 'sal') AND owner = 'alice'")]
    con.close()
    assert "lead_stage_owner" not in indexes
    assert indexes["lead_owner_queue"].endswith("WHERE owner IS NOT NULL")
    assert indexes["lead_open"].endswith("WHERE stage IN ('mql', 'sal')")
    assert all("USING COVERING INDEX lead_open" in str(plan) for plan in plans), plans


def test_a_release_2_database_gets_event_type_codes_and_keeps_every_event_and_score(ws: Workspace) -> None:
    add_leads(ws, [ADA, BEA, CY], now=MONDAY_9AM)
    events = [demo_request("ada@acme.com", "2026-11-23T13:00:00Z"),
              {"email": "bea@beta.io", "type": "Pricing_Page", "occurred_at": "2026-11-20T10:00:00Z", "detail": "/pricing"},
              {"email": "bea@beta.io", "type": "pricing_page", "occurred_at": "2026-11-21T10:00:00Z", "detail": ""},
              {"email": "cy@gamma.org", "type": "case_study_download", "occurred_at": "2026-11-22T10:00:00Z",
               "detail": "Speed to lead, live"}]
    add_events(ws, events, now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    briefs = {lead["email"]: ws.ok(f"show {lead['email']}", now=MONDAY_9AM) for lead in (ADA, BEA, CY)}
    assert [event["type"] for event in briefs["bea@beta.io"]["events"]] == ["pricing_page", "pricing_page"]
    assert briefs["bea@beta.io"]["score"] > 0 and briefs["ada@acme.com"]["tier"] == 1
    close_database()
    path = ws.root / "data" / "leadterm.db"
    _as_release(path, 2)
    # the same file again adds nothing (the migrated key is the import's), and marks its leads
    # due: the next pass rescores them from the migrated events
    again = add_events(ws, events, now=MONDAY_9AM)
    assert (again["inserted"], again["duplicates"]) == (0, 4)
    ws.ok("tick", now=MONDAY_9AM)
    assert {email: ws.ok(f"show {email}", now=MONDAY_9AM) for email in briefs} == briefs
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == (str(SCHEMA_VERSION),)
        assert [row[1] for row in con.execute("PRAGMA table_info(event)")] == ["lead_id", "type_id", "occurred_at", "detail"]
        names = [name for (name,) in con.execute("SELECT name FROM event_type ORDER BY id")]
        assert names == ["case_study_download", "demo_request", "pricing_page"]
        assert con.execute("SELECT COUNT(*) FROM event").fetchone() == (4,)
        assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert con.execute("PRAGMA foreign_key_check").fetchall() == []
    con.close()


def test_a_release_2_database_with_events_of_a_missing_lead_is_refused_saying_which_and_left_alone(
        ws: Workspace) -> None:
    # only a change made outside leadterm with foreign keys off leaves such rows: the upgrade
    # (which copies the events) cannot keep them, and must say so in the data's terms
    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z"),
                    demo_request("bea@beta.io", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    close_database()
    path = ws.root / "data" / "leadterm.db"
    _as_release(path, 2)
    with sqlite3.connect(path) as con:
        con.execute("DELETE FROM lead_score WHERE lead_id = (SELECT id FROM lead WHERE email = 'bea@beta.io')")
        con.execute("DELETE FROM lead WHERE email = 'bea@beta.io'")  # foreign keys are off here
        before = con.execute("SELECT * FROM event ORDER BY 1, 2, 3, 4").fetchall()
    con.close()
    with pytest.raises(StoreError, match=r"schema version 3: 1 row\(s\) of table event refer to a lead that does not exist"):
        open_database(path)
    result = ws.run(["show", "ada@acme.com"], now=MONDAY_9AM)
    assert result.code == 2 and "Traceback" not in result.err, result.err
    assert "leadterm.db: cannot upgrade the database to schema version 3" in result.err
    assert "table event" in result.err and "foreign_key_check" in result.err
    with sqlite3.connect(path) as con:  # as it was: release 2's schema, every row kept
        assert con.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone() == ("2",)
        assert [row[1] for row in con.execute("PRAGMA table_info(event)")] == ["lead_id", "type", "occurred_at", "detail"]
        assert con.execute("SELECT * FROM event ORDER BY 1, 2, 3, 4").fetchall() == before
        assert len(before) == 2
    con.close()


def test_lead_records_built_from_rows_equal_those_init_builds_and_refuse_a_wrong_column(ws: Workspace) -> None:
    import dataclasses

    from leadterm.store import leads
    from leadterm.store.records import LeadRecord, leads_from_rows

    add_leads(ws, [ADA, BEA], now=MONDAY_9AM)
    add_events(ws, [demo_request("ada@acme.com", "2026-11-23T13:00:00Z")], now=MONDAY_9AM)
    ws.ok("tick", now=MONDAY_9AM)
    open_database(ws.root / "data" / "leadterm.db")
    ada = leads.find("ada@acme.com")
    assert ada is not None and ada.owner == "alice" and ada.assigned_at is not None
    fields = {name: getattr(ada, name) for name in LeadRecord.__dataclass_fields__}
    assert ada == LeadRecord(**fields) and vars(ada) == vars(LeadRecord(**fields))
    assert ada.but(owner="bob", tier=2) == dataclasses.replace(ada, owner="bob", tier=2)
    assert ada.owner == "alice"  # a copy: the record itself is unchanged (and frozen)
    with pytest.raises(dataclasses.FrozenInstanceError):
        ada.owner = "bob"  # type: ignore[misc]
    with pytest.raises(TypeError, match="ownr"):
        ada.but(ownr="bob")
    db = open_database(ws.root / "data" / "leadterm.db")
    cursor = db.execute_sql(f"{leads.SELECT_LEAD} WHERE lead.email = ?", ("ada@acme.com",))
    names, rows = [column[0] for column in cursor.description], cursor.fetchall()
    assert leads_from_rows(names, rows) == [ada]
    with pytest.raises(ValueError, match=r"missing \['score_due_at'\]"):
        leads_from_rows(names[:-1], [row[:-1] for row in rows])
    with pytest.raises(ValueError, match=r"not lead fields \['extra'\]"):
        leads_from_rows([*names, "extra"], [(*row, 1) for row in rows])


def test_a_transaction_sqlite_rolled_back_itself_reports_what_failed_not_the_rollback(db_path: Path) -> None:
    # a full disk: SQLite ends the transaction itself, and the rollback after the error finds
    # none ("cannot rollback - no transaction is active"), which hid the full disk
    db = open_database(db_path)
    with pytest.raises(peewee.OperationalError, match="database or disk is full"):
        with write():
            db.execute_sql("INSERT INTO meta (key, value) VALUES ('half', 'done')")
            db.execute_sql("ROLLBACK")  # as SQLite does on SQLITE_FULL
            raise peewee.OperationalError("database or disk is full")
    assert not db.in_transaction()
    with write():  # and the connection goes on
        db.execute_sql("INSERT INTO meta (key, value) VALUES ('after', 'yes')")
    assert db.execute_sql("SELECT key FROM meta WHERE key IN ('half', 'after')").fetchall() == [("after",)]
