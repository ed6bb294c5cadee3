"""The command line's contract: version, init, options, exit codes and messages."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ADA, MONDAY_9AM, Workspace, add_leads


def test_version() -> None:
    done = subprocess.run([sys.executable, "-m", "leadterm", "--version"], capture_output=True, text=True)
    assert done.returncode == 0
    assert done.stdout.strip() == "leadterm, version 0.1.0"


def test_init_writes_the_default_config_and_the_database(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "leadterm", "init"], cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "config.toml").exists()
    assert (tmp_path / "data" / "leadterm.db").exists()
    import tomllib

    from leadterm.config import default_config_data

    assert tomllib.loads((tmp_path / "config.toml").read_text()) == default_config_data()
    again = subprocess.run([sys.executable, "-m", "leadterm", "init"], cwd=tmp_path, capture_output=True, text=True)
    assert again.returncode == 1
    assert "already exists" in again.stderr
    forced = subprocess.run([sys.executable, "-m", "leadterm", "init", "--force"], cwd=tmp_path,
                            capture_output=True, text=True)
    assert forced.returncode == 0
    assert (tmp_path / "config.toml.bak").exists()


def test_a_command_process_closes_the_database_and_flushes_its_output(tmp_path: Path) -> None:
    """The console script ends the process without tearing the interpreter down: the database
    is still closed (its WAL checkpointed and removed), the output is whole, exit codes hold."""
    rows = "".join(f"lead{i}@acme.com,Lead {i}\n" for i in range(3000))
    (tmp_path / "leads.csv").write_text("email,first name\n" + rows, encoding="utf-8")
    init = subprocess.run([sys.executable, "-m", "leadterm", "init"], cwd=tmp_path, capture_output=True, text=True)
    assert init.returncode == 0, init.stderr
    done = subprocess.run([sys.executable, "-m", "leadterm", "import", "leads", "leads.csv", "--json"],
                          cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    import json

    assert json.loads(done.stdout)["inserted"] == 3000
    assert sorted(path.name for path in (tmp_path / "data").iterdir()) == ["leadterm.db"]
    listed = subprocess.run([sys.executable, "-m", "leadterm", "queue", "--all", "--as", "dana", "--json"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert listed.returncode == 0 and json.loads(listed.stdout) == []
    refused = subprocess.run([sys.executable, "-m", "leadterm", "show", "99999"], cwd=tmp_path,
                             capture_output=True, text=True)
    assert refused.returncode == 1 and "99999" in refused.stderr and refused.stdout == ""


def test_a_command_started_with_its_output_closed_ends_as_before() -> None:
    for closed in (">&-", "2>&-"):
        done = subprocess.run(f"{sys.executable} -m leadterm --version {closed}", shell=True,
                              capture_output=closed == ">&-", text=True)
        assert done.returncode == 0, (closed, done.stderr)
        assert "Traceback" not in (done.stderr or "")


# SQLite's own count of the memory it used at most, read as the process ends: with its memory
# statistics off, nothing is counted
_SQLITE_PEAK = """
import atexit, ctypes, sys, _sqlite3
import leadterm.cli as cli
def peak():
    current, highest = ctypes.c_int64(), ctypes.c_int64()
    ctypes.CDLL(_sqlite3.__file__).sqlite3_status64(0, ctypes.byref(current), ctypes.byref(highest), 0)
    print(highest.value, file=sys.stderr)
atexit.register(peak)
if sys.argv[1] == "counted":
    cli.sqlite_without_memory_statistics = lambda: False
sys.argv[1:] = ["init"]
cli.run()
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the setting is made on Linux only")
def test_the_console_script_runs_sqlite_without_its_memory_statistics(tmp_path: Path) -> None:
    peaks = {}
    for how in ("counted", "as run"):
        folder = tmp_path / how
        folder.mkdir()
        done = subprocess.run([sys.executable, "-c", _SQLITE_PEAK, how], cwd=folder, capture_output=True, text=True,
                              env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])})
        assert done.returncode == 0 and list(folder.rglob("leadterm.db")), done.stderr
        peaks[how] = int(done.stderr.split()[-1])
    assert peaks["counted"] > 100_000  # init opens and fills the database: hundreds of kB counted
    assert peaks["as run"] < 1_000, peaks

_SQLITE_IN_USE = """
import sqlite3, leadterm.cli as cli
held = sqlite3.connect(":memory:")
held.execute("create table t(x)")
print(cli.sqlite_without_memory_statistics())  # a connection open: SQLite must not be shut down
held.execute("insert into t values (1)")
held.close()
print(cli.sqlite_without_memory_statistics())  # none open
print(cli.sqlite_without_memory_statistics())  # once is all
"""


@pytest.mark.skipif(sys.platform != "linux", reason="the setting is made on Linux only")
def test_sqlite_is_never_shut_down_under_an_open_connection() -> None:
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    done = subprocess.run([sys.executable, "-c", _SQLITE_IN_USE], capture_output=True, text=True, env=env)
    assert (done.returncode, done.stdout.split()) == (0, ["False", "True", "False"]), done.stderr


def test_an_invalid_config_is_refused_with_the_key_path(ws: Workspace) -> None:
    ws.write_config(lambda data: data["sla"].update(accept_within="4 hours-ish"))
    result = ws.run("queue --json", actor="alice")
    assert result.code == 2
    assert "sla.accept_within" in result.err
    assert result.out == ""


def test_unknown_key_in_config_is_refused(ws: Workspace) -> None:
    ws.write_config(lambda data: data["scoring"].update(mql_treshold=40))
    result = ws.run("tick")
    assert result.code == 2
    assert "scoring.mql_treshold" in result.err and "unknown key" in result.err


def test_a_missing_config_says_how_to_make_one(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "leadterm", "tick", "--config", str(tmp_path / "nope.toml")],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "leadterm init" in done.stderr


def test_bad_now_is_bad_usage(ws: Workspace) -> None:
    result = ws.run("tick", now="next tuesday")
    assert result.code == 2
    assert "--now" in result.err and "next tuesday" in result.err


def test_unknown_acting_rep_is_refused(ws: Workspace) -> None:
    result = ws.run("queue", actor="mallory")
    assert result.code == 1
    assert "unknown rep 'mallory'" in result.err


def test_queue_needs_to_know_who_is_asking(ws: Workspace) -> None:
    result = ws.run("queue")
    assert result.code == 2
    assert "--as" in result.err


def test_leadterm_user_environment_variable_names_the_rep(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(Path("config.toml").read_text())
    env = {**os.environ, "LEADTERM_USER": "bob"}
    done = subprocess.run([sys.executable, "-m", "leadterm", "queue", "--json"], cwd=tmp_path, env=env,
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_unknown_lead_is_refused_and_changes_nothing(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    for command in ("accept 99", "show nobody@example.com", "qualify 99"):
        result = ws.run(command, actor="alice", now=MONDAY_9AM)
        assert result.code == 1, command
        assert "no lead" in result.err
    assert ws.ok("show 1", now=MONDAY_9AM)["history"] == []


def test_json_output_is_one_document_and_nothing_else(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    result = ws.run("show ada@acme.com --json", now=MONDAY_9AM)
    assert result.code == 0
    assert result.json["email"] == "ada@acme.com"
    assert result.out.lstrip().startswith("{") and result.out.rstrip().endswith("}")


def test_lead_may_be_named_by_email_in_any_case(ws: Workspace) -> None:
    add_leads(ws, [ADA], now=MONDAY_9AM)
    assert ws.ok("show ' ADA@Acme.COM '", now=MONDAY_9AM)["id"] == 1


def test_db_option_overrides_app_database(ws: Workspace) -> None:
    other = ws.root / "elsewhere" / "other.db"
    add_leads(ws, [ADA], now=MONDAY_9AM)
    result = ws.run(["show", "1", "--json", "--db", str(other)], now=MONDAY_9AM)
    assert result.code == 1  # a fresh database: no lead 1 there
    assert other.exists()


def test_bare_command_prints_help(ws: Workspace) -> None:
    from click.testing import CliRunner

    from leadterm.cli import main

    result = CliRunner().invoke(main, [])
    assert result.exit_code == 0
    assert "queue" in result.output and "tick" in result.output
