"""Edges found in review: each once broke something a user would notice."""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from collections.abc import Callable
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import BEA, MONDAY_9AM, Workspace, add_events, add_leads


def test_a_worker_pass_between_import_chunks_loses_no_event(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadterm.service import import_events, importing

    add_leads(ws, [{"email": "x@acme.com", "first_name": "X"}], now=MONDAY_9AM)
    # blank lines send the reader row by row, so with CHUNK = 1 each event is its own chunk, and
    # with PER_COMMIT = 1 its own transaction
    path = ws.csv("events.csv", "email,type,occurred_at\n"
                                "x@acme.com,page_view,2026-11-23T13:00:00Z\n\n"
                                "x@acme.com,demo_request,2026-11-23T13:30:00Z\n")
    monkeypatch.setattr(import_events, "CHUNK", 1)
    monkeypatch.setattr(import_events, "PER_COMMIT", 1)
    real_write = importing.write
    first_pass = ws.root / "first-pass.json"  # the writer may be a process of its own: a file tells

    @contextmanager
    def write_then_let_a_worker_run():  # type: ignore[no-untyped-def]
        with real_write():
            yield
        if not first_pass.exists():  # another process's worker pass, right after the first chunk commits
            done = subprocess.run([sys.executable, "-m", "leadterm", "tick", "--json", "--config",
                                   str(ws.config_path), "--now", MONDAY_9AM], capture_output=True, text=True)
            first_pass.write_text(done.stdout)

    monkeypatch.setattr(importing, "write", write_then_let_a_worker_run)
    report = ws.ok(f"import events {path}", now=MONDAY_9AM)
    assert report["inserted"] == 2 and '"rescored": 1' in first_pass.read_text()
    counts = ws.ok("tick", now="2026-11-23T14:01:00Z")
    assert counts["qualified"] == 1  # the demo request of the second chunk was seen


def test_leads_created_from_events_meet_the_disqualify_rules(ws: Workspace) -> None:
    path = ws.csv("events.csv", "email,type,occurred_at\nspy@rivalsoft.com,demo_request,2026-11-23T13:00:00Z\n")
    assert ws.ok(f"import events {path} --create-leads", now=MONDAY_9AM)["leads_created"] == 1
    counts = ws.ok("tick", now=MONDAY_9AM)
    assert (counts["qualified"], counts["disqualified"]) == (0, 1)
    assert ws.ok("show spy@rivalsoft.com", now=MONDAY_9AM)["stage"] == "disqualified"


def test_event_types_match_whatever_their_case(ws: Workspace) -> None:
    add_leads(ws, [BEA], now=MONDAY_9AM)
    add_events(ws, [{"email": "bea@beta.io", "type": "Demo_Request", "occurred_at": "2026-11-23T13:00:00Z"}],
               now=MONDAY_9AM)
    assert ws.ok("tick", now=MONDAY_9AM)["qualified"] == 1
    assert ws.ok("show 1", now=MONDAY_9AM)["events"][0]["type"] == "demo_request"


def test_a_company_size_too_large_for_the_database_is_a_rejected_row(ws: Workspace) -> None:
    path = ws.csv("leads.csv", "email,company_size\nbig@acme.com,99999999999999999999\nok@acme.com,20\n")
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert (report["read"], report["inserted"], report["rejected"]) == (2, 1, 1)
    assert "company_size: too large" in (ws.root / "leads.csv.rejects.csv").read_text()


def test_init_force_refused_for_a_bad_actor_or_time_leaves_the_config_alone(ws: Workspace) -> None:
    ws.write_config(lambda data: data["scoring"].update(mql_threshold=77))
    before = ws.config_path.read_bytes()
    assert ws.run("init --force", actor="dna").code == 1
    assert ws.run("init --force", now="garbage").code == 2
    assert ws.config_path.read_bytes() == before
    assert not Path(str(ws.config_path) + ".bak").exists()


@pytest.mark.parametrize("ref", ["99999999999999999999", "²"])
def test_lead_refs_that_cannot_be_ids_are_unknown_leads(ws: Workspace, ref: str) -> None:
    result = ws.run(["show", ref], now=MONDAY_9AM)
    assert result.code == 1 and "no lead" in result.err


def test_a_running_worker_reads_a_changed_config(ws: Workspace) -> None:
    add_leads(ws, [BEA], now=MONDAY_9AM)  # fit 35, no events: below the bar of 50
    worker = subprocess.Popen(
        [sys.executable, "-m", "leadterm", "worker", "--interval", "0.2", "--config", str(ws.config_path),
         "--now", MONDAY_9AM], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert worker.stdout is not None
        worker.stdout.readline()  # "worker: a pass every ..."
        assert "rescored 1" in worker.stdout.readline()  # its first pass scored the lead: 35
        ws.write_config(lambda data: data["scoring"].update(mql_threshold=30))
        assert "qualified 1" in worker.stdout.readline()  # the next pass that did anything
    finally:
        worker.terminate()
        worker.communicate(timeout=30)
    assert tomllib.loads(ws.config_path.read_text())["scoring"]["mql_threshold"] == 30


def _three_transactions(ws: Workspace, monkeypatch: pytest.MonkeyPatch, second: Callable[[], object]) -> Path:
    """An events file of three events, each committed in a transaction of its own, whose second
    transaction runs ``second`` after inserting (in the writer: a forked process on Linux)."""
    from leadterm.service import import_events
    from leadterm.store import events as event_store

    add_leads(ws, [{"email": "x@acme.com", "first_name": "X"}], now=MONDAY_9AM)
    # blank lines send the reader row by row, so with CHUNK = 1 each event is its own chunk
    path = ws.csv("events.csv", "email,type,occurred_at\n" + "\n".join(
        f"x@acme.com,page_view,2026-11-23T1{hour}:00:00Z\n" for hour in (1, 2, 3)))
    monkeypatch.setattr(import_events, "CHUNK", 1)
    monkeypatch.setattr(import_events, "PER_COMMIT", 1)
    real, calls = event_store.insert_staged, []

    def insert_staged() -> int:
        inserted = real()
        calls.append(inserted)
        if len(calls) == 2:
            second()
        return inserted

    monkeypatch.setattr(event_store, "insert_staged", insert_staged)
    return path


def _hours(ws: Workspace) -> list[str]:
    return [event["occurred_at"][11:13] for event in ws.ok("show x@acme.com", now=MONDAY_9AM)["events"]]


def test_a_failing_events_writer_fails_the_import_keeps_what_it_committed_and_a_rerun_ends_it(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    def disk_full() -> None:
        raise OSError(28, "No space left on device")

    path = _three_transactions(ws, monkeypatch, disk_full)
    stopped = ws.run(f"import events {path} --json", now=MONDAY_9AM)
    assert stopped.code == 1 and "Traceback" not in stopped.err and stopped.out == ""
    assert stopped.err == (f"leadterm: {path}: the import stopped: No space left on device; what the import had committed "
                           "is kept: run the same command again to finish it\n")
    monkeypatch.undo()
    assert len(_hours(ws)) == 1  # the first transaction stays; the second was rolled back
    report = ws.ok(f"import events {path}", now=MONDAY_9AM)
    assert (report["inserted"], report["duplicates"]) == (2, 1)
    assert len(_hours(ws)) == 3


@pytest.mark.skipif(sys.platform != "linux", reason="the events writer is a forked process on Linux only")
def test_an_events_writer_process_that_dies_is_reported_and_a_rerun_ends_the_import(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    path = _three_transactions(ws, monkeypatch, lambda: os._exit(9))  # killed before its second commit
    stopped = ws.run(f"import events {path} --json", now=MONDAY_9AM)
    assert stopped.code == 1 and "Traceback" not in stopped.err
    assert "the import stopped: its writer process ended unexpectedly (killed, or out of memory)" in stopped.err
    assert "run the same command again to finish it" in stopped.err
    monkeypatch.undo()
    assert len(_hours(ws)) == 1
    report = ws.ok(f"import events {path}", now=MONDAY_9AM)
    assert (report["inserted"], report["duplicates"]) == (2, 1)
    assert len(_hours(ws)) == 3


@pytest.mark.skipif(sys.platform != "linux", reason="the events writer is a forked process on Linux only")
def test_an_import_killed_after_a_worker_pass_leaves_no_stale_score(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from leadterm.service import import_events, importing
    from leadterm.store import events as event_store

    add_leads(ws, [{"email": "x@acme.com", "first_name": "X"}], now=MONDAY_9AM)
    # one event a transaction: a page view, then the demo request, then a page view the writer
    # dies on; a worker pass runs right after the first commit
    path = ws.csv("events.csv", "email,type,occurred_at\n" + "\n".join(
        f"x@acme.com,{kind},2026-11-23T1{hour}:00:00Z\n" for hour, kind in ((1, "page_view"), (2, "demo_request"), (3, "page_view"))))
    monkeypatch.setattr(import_events, "CHUNK", 1)
    monkeypatch.setattr(import_events, "PER_COMMIT", 1)
    real_write, real_insert, inserts = importing.write, event_store.insert_staged, []
    first_pass = ws.root / "first-pass.json"

    @contextmanager
    def write_then_let_a_worker_run():  # type: ignore[no-untyped-def]
        with real_write():
            yield
        if not first_pass.exists():
            done = subprocess.run([sys.executable, "-m", "leadterm", "tick", "--json", "--config",
                                   str(ws.config_path), "--now", MONDAY_9AM], capture_output=True, text=True)
            first_pass.write_text(done.stdout)

    def insert_staged() -> int:
        inserts.append(1)
        if len(inserts) == 3:
            os._exit(9)
        return real_insert()

    monkeypatch.setattr(importing, "write", write_then_let_a_worker_run)
    monkeypatch.setattr(event_store, "insert_staged", insert_staged)
    stopped = ws.run(f"import events {path} --json", now=MONDAY_9AM)
    assert stopped.code == 1 and "writer process ended unexpectedly" in stopped.err
    monkeypatch.undo()
    assert '"rescored": 1' in first_pass.read_text()
    # no re-run: the demo request the second transaction committed must still be scored
    assert ws.ok("tick", now="2026-11-23T14:01:00Z")["qualified"] == 1


def test_a_rejects_file_that_cannot_be_written_is_said_in_one_line_and_a_rerun_ends_the_import(ws: Workspace) -> None:
    path = ws.csv("leads.csv", "email,first_name\nada@acme.com,Ada\nnot-an-email,Bad\n")
    rejects = ws.root / "leads.csv.rejects.csv"
    rejects.mkdir()  # a folder where the rejects file goes
    stopped = ws.run(f"import leads {path}", now=MONDAY_9AM)
    assert stopped.code == 1 and "Traceback" not in stopped.err
    assert stopped.err.startswith(f"leadterm: {rejects}: cannot write the rejected rows (Is a directory); ")
    assert "once that file can be written (beside the file imported), run the same command again" in stopped.err
    rejects.rmdir()
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert (report["read"], report["inserted"], report["rejected"]) == (2, 1, 1) and rejects.is_file()
    if sys.platform == "linux":  # the disk full as the rejected rows are written
        rejects.unlink()
        rejects.symlink_to("/dev/full")
        stopped = ws.run(f"import leads {path}", now=MONDAY_9AM)
        assert stopped.code == 1 and "cannot write the rejected rows (No space left on device)" in stopped.err


def test_a_failing_leads_writer_fails_the_import_at_once_with_its_error_and_commits_nothing(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadterm.store import leads as lead_store

    # 12 chunks of 10,000 leads, and a bad row at the very end: the writer fails on the first
    # chunk, so the reader must stop long before it (it can be at most a queue's length ahead)
    rows = "".join(f"lead{index}@acme.com,Lead\n" for index in range(120_000))
    path = ws.csv("leads.csv", "email,first_name\n" + rows + "not-an-email,Bad\n")

    def disk_full(*args: object) -> None:  # runs in the writer (a forked process on Linux)
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(lead_store, "insert_columns", disk_full)
    stopped = ws.run(f"import leads {path} --json", now=MONDAY_9AM)
    assert stopped.code == 1 and "the import stopped: No space left on device" in stopped.err
    monkeypatch.undo()
    assert not (ws.root / "leads.csv.rejects.csv").exists()  # the last line was never read
    report = ws.ok(f"import leads {path}", now=MONDAY_9AM)
    assert (report["inserted"], report["rejected"]) == (120_000, 1)  # nothing was there


def test_times_in_bulk_of_no_values_or_one_are_read_as_such() -> None:
    from zoneinfo import ZoneInfo

    from leadterm.engine.values import epoch_of, epochs_of

    zone = ZoneInfo("America/New_York")
    assert epochs_of([], zone) == []
    assert epochs_of(["2026-03-05"], zone) == [epoch_of("2026-03-05", zone)]
    # the first times repeat, the rest do not: each still read as alone
    texts = ["2026-03-05"] * 600 + [f"2026-03-05T10:{minute:02d}:00" for minute in range(60)] * 20
    assert epochs_of(texts, zone) == [epoch_of(text, zone) for text in texts]


_LATE_FAILURE = """
import os, sys, tempfile
from leadterm.store.db import open_database
from leadterm.service.importing import Pipeline

open_database(os.path.join(tempfile.mkdtemp(), "x.db"))

def write(chunk):
    raise OSError(28, "No space left on device")

try:
    with Pipeline(write, process=True) as pipe:
        for _ in range(4):  # all sent before the writer fails on the first; big, so that sending waits
            pipe.send(b"x" * 4_000_000)
except OSError as error:
    print(error)
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the writer is a forked process on Linux only")
def test_a_writer_process_failing_after_the_last_send_fails_the_import_and_never_hangs() -> None:
    # the parent sees the failure before sending the rest and stops: the child, draining until the
    # end, must learn that nothing more comes (run in a process of its own, so a hang is a timeout)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", _LATE_FAILURE], capture_output=True, text=True, timeout=60, env=env)
    assert done.returncode == 0 and "No space left on device" in done.stdout, done.stderr


_MANY_FILES_OPEN = """
import os, resource, tempfile
soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
if soft < 2048 and (hard == resource.RLIM_INFINITY or hard >= 2048):
    resource.setrlimit(resource.RLIMIT_NOFILE, (2048, hard))
held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]  # the channel's descriptors past FD_SETSIZE
from leadterm.store.db import open_database
from leadterm.service.importing import Pipeline
open_database(os.path.join(tempfile.mkdtemp(), "x.db"))
with Pipeline(lambda chunk: {"chunks": 1}, process=True) as pipe:
    for _ in range(12):
        pipe.send([0] * 1000)
print(pipe.counts["chunks"])
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the writer is a forked process on Linux only")
def test_a_writer_process_is_fed_when_the_process_has_many_files_open() -> None:
    import resource

    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 2048:
        pytest.skip("cannot open enough files here")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", _MANY_FILES_OPEN], capture_output=True, text=True, timeout=60, env=env)
    assert (done.returncode, done.stdout.strip()) == (0, "12"), done.stderr


@pytest.mark.skipif(sys.platform != "linux", reason="the writer is a forked process on Linux only")
def test_a_pipeline_whose_writer_process_cannot_be_forked_leaves_the_process_as_it_was(
        monkeypatch: pytest.MonkeyPatch) -> None:
    import gc

    from leadterm.service import importing

    def refused() -> int:
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(importing.os, "fork", refused)
    interval, collecting = sys.getswitchinterval(), gc.isenabled()
    with pytest.raises(OSError, match="temporarily unavailable"):
        with importing.Pipeline(lambda chunk: None, process=True):
            pass  # pragma: no cover - never entered
    assert (sys.getswitchinterval(), gc.isenabled()) == (interval, collecting)


def test_control_and_bidirectional_characters_from_a_file_are_shown_as_escapes_never_obeyed(ws: Workspace) -> None:
    # A terminal obeys ESC sequences and C1 controls; one that lays out bidirectional text
    # reorders what follows a bidi override: "\u202egpj.exe" shows as "exe.jpg"
    name, company = "Ev\u202egpj.exe", "Acme\x1b[2J\x9b31m\u2066Corp\u2069"
    path = ws.csv("nasty.csv", "email,first_name,company\n"
                               f"eve@evil.com,{name},{company}\n")
    assert ws.ok(["import", "leads", str(path)], now=MONDAY_9AM)["inserted"] == 1
    brief = ws.run(["show", "eve@evil.com"], now=MONDAY_9AM)
    assert brief.code == 0, brief.err
    assert "Ev\\u202egpj.exe" in brief.out and "Acme\\x1b[2J\\x9b31m\\u2066Corp\\u2069" in brief.out
    raw = ws.run(["show", "eve@evil.com", "--json"], now=MONDAY_9AM)
    assert not any(char in raw.out for char in "\x1b\x9b\u202e\u2066\u2069"), raw.out
    assert "\\u202e" in raw.out and "\\u009b" in raw.out
    data = raw.json  # the same data, escaped only as JSON text
    assert (data["first_name"], data["company"]) == (name, company)


def test_a_small_file_dense_with_terminal_escapes_is_imported_as_data_not_refused_as_binary(ws: Workspace) -> None:
    # three leads whose names and companies are colour codes, a bell and backspaces: 15 ESC,
    # BEL and BS in 250 characters (a binary file's count of controls, were they counted)
    rows = "".join(f"{who}@evil.com,\x1b[31m{who}\x1b[0m\x07,\x1b]8;;http://x\x1b\\Acme\x08\x08\x1b[2J\n"
                   for who in ("ann", "bob", "cy"))
    report = ws.ok(["import", "leads", str(ws.csv("escapes.csv", "email,first_name,company\n" + rows))], now=MONDAY_9AM)
    assert (report["inserted"], report["rejected"]) == (3, 0)
    brief = ws.run(["show", "bob@evil.com"], now=MONDAY_9AM)
    assert "\\x1b[31mbob\\x1b[0m\\x07" in brief.out and not any(char in brief.out for char in "\x1b\x07\x08")
    assert ws.ok(["show", "bob@evil.com"], now=MONDAY_9AM)["first_name"] == "\x1b[31mbob\x1b[0m\x07"
    # while a file of other controls is still no text file
    binary = ws.root / "binary.csv"
    binary.write_bytes(b"email,first_name\n" + bytes(range(1, 9)) * 3 + b"\n")
    refused = ws.run(["import", "leads", str(binary)], now=MONDAY_9AM)
    assert refused.code == 2 and "not a text file" in refused.err


def test_a_database_error_from_outside_is_one_line_naming_the_database_and_a_fault_stays_whole(
        ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    import peewee

    from leadterm.service import worker

    def read_only(*args: object, **kwargs: object) -> None:
        raise peewee.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(worker, "tick", read_only)
    done = ws.run("tick", now=MONDAY_9AM)
    assert done.code == 1 and "Traceback" not in done.err
    assert done.err == ("leadterm: attempt to write a readonly database (the database "
                        f"{ws.root / 'data' / 'leadterm.db'}; its -wal and -shm files must be writable too)\n")

    def fault(*args: object, **kwargs: object) -> None:
        raise peewee.OperationalError("no such column: nope")

    monkeypatch.setattr(worker, "tick", fault)
    with pytest.raises(peewee.OperationalError, match="no such column"):
        ws.run("tick", now=MONDAY_9AM)


def test_ctrl_c_ends_a_command_with_130_not_the_refused_code(ws: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    from leadterm.service import import_leads

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(import_leads, "import_leads", interrupted)
    path = ws.csv("leads.csv", "email\nada@acme.com\n")
    result = ws.run(["import", "leads", str(path)], now=MONDAY_9AM)
    assert (result.code, result.out, result.err) == (130, "", "leadterm: interrupted\n")
