"""Several processes on one database: each is a real ``python -m leadterm`` run, as when a team
shares one SQLite file. A helper process holds the write lock for a moment so that the commands
under test all queue up behind it and then race for the lock at once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass

import pytest

from conftest import MONDAY_9AM, Workspace, add_events, add_leads, demo_request
from leadterm.store import close_database

#: Holds a write transaction (BEGIN IMMEDIATE) on argv[1] for argv[2] seconds, running the SQL
#: statements that follow inside it; says "locked" once it has the lock.
HOLDER = """
import sqlite3, sys, time
con = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=15)
con.execute("BEGIN IMMEDIATE")
for statement in sys.argv[3:]:
    con.execute(statement)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
con.execute("COMMIT")
print("released", flush=True)
"""

LATER = "2026-11-23T14:01:00Z"


@dataclass
class Done:
    args: list[str]
    code: int
    out: str
    err: str

    @property
    def json(self) -> object:
        return json.loads(self.out)


def _env() -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if key != "LEADTERM_USER"}
    env["LEADTERM_USER"] = ""
    return env


class Processes:
    """Starts ``leadterm`` commands and lock holders against one workspace; cleans up after itself."""

    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.db = ws.root / "data" / "leadterm.db"
        self.started: list[subprocess.Popen] = []

    def leadterm(self, args: list[str], now: str, actor: str | None = None) -> subprocess.Popen:
        argv = [sys.executable, "-m", "leadterm", *args, "--config", str(self.ws.config_path), "--now", now]
        if actor is not None:
            argv += ["--as", actor]
        proc = subprocess.Popen(argv, cwd=self.ws.root, env=_env(), text=True,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        proc.args_shown = args  # type: ignore[attr-defined]
        self.started.append(proc)
        return proc

    def hold_lock(self, seconds: float, *statements: str) -> subprocess.Popen:
        """Returns once the holder has the write lock."""
        close_database()  # this process keeps no connection of its own while others work
        proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(self.db), str(seconds), *statements],
                                env=_env(), text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.started.append(proc)
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line == "locked\n", f"the lock holder failed: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        return proc

    def finish(self, proc: subprocess.Popen) -> Done:
        out, err = proc.communicate(timeout=60)
        return Done(getattr(proc, "args_shown", []), proc.returncode, out, err)

    def cleanup(self) -> None:
        for proc in self.started:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


@pytest.fixture
def procs(ws: Workspace):
    processes = Processes(ws)
    yield processes
    processes.cleanup()


def commercial(n: int) -> dict[str, str]:
    """A lead only the catch-all Commercial group (alice, bob) matches, on a domain of its own."""
    return {"email": f"lead{n:02d}@company{n:02d}.com", "first_name": f"Lead{n:02d}", "company": f"Company {n:02d}",
            "title": "Engineer", "industry": "Retail", "company_size": "200", "country": "US", "source": "ads"}


def waiting_mqls(ws: Workspace, count: int) -> list[str]:
    """``count`` leads with a demo request each: tier-1 MQLs on the next pass."""
    rows = [commercial(n) for n in range(1, count + 1)]
    add_leads(ws, rows, now=MONDAY_9AM)
    add_events(ws, [demo_request(row["email"], "2026-11-23T13:00:00Z") for row in rows], now=MONDAY_9AM)
    return [row["email"] for row in rows]


def one_lead_routed_to_alice(ws: Workspace) -> str:
    email = waiting_mqls(ws, 1)[0]
    assert ws.ok("tick", now=MONDAY_9AM)["routed"] == 1
    assert ws.ok(f"show {email}", now=MONDAY_9AM)["owner"] == "alice"  # first member of Commercial
    return email


def actions_of(ws: Workspace, ref: str, now: str = LATER) -> list[str]:
    return [entry["action"] for entry in ws.ok(["show", ref], now=now)["history"]]


def test_four_workers_at_once_route_every_lead_exactly_once(ws: Workspace, procs: Processes) -> None:
    emails = waiting_mqls(ws, 33)
    holder = procs.hold_lock(1.0)  # the four passes start now and queue up behind it
    ticks = [procs.leadterm(["tick", "--json"], now=MONDAY_9AM) for _ in range(4)]
    done = [procs.finish(proc) for proc in ticks]
    assert procs.finish(holder).code == 0
    for result in done:
        assert result.code == 0, result.err
        assert "locked" not in result.err
    reports = [result.json for result in done]
    assert sum(report["routed"] for report in reports) == len(emails)
    assert sum(report["qualified"] for report in reports) == len(emails)
    assert sum(report["rescored"] for report in reports) == len(emails)  # each lead scored by one pass only
    assert sorted(report["routed"] for report in reports)[:3] == [0, 0, 0]  # whoever went first did it all

    owners = {row["email"]: row["owner"] for row in ws.ok("queue --all", actor="dana", now=LATER)}
    assert sorted(owners) == sorted(emails)
    assert all(owner in ("alice", "bob") for owner in owners.values()), owners
    counts = Counter(owners.values())
    assert abs(counts["alice"] - counts["bob"]) <= 1, counts  # round-robin stayed fair
    for email in emails:
        history = actions_of(ws, email)
        assert history.count("routed") == 1, (email, history)
        assert history.count("mql") == 1, (email, history)
    # and nothing is left for a later pass to do
    assert ws.ok("tick", now=LATER)["routed"] == 0


@pytest.mark.parametrize(
    "first, second",
    [(["accept"], ["accept"]), (["reject", "--reason", "premature"], ["reject", "--reason", "wrong_icp"])],
    ids=["accept-accept", "reject-reject"],
)
def test_the_same_decision_twice_at_once_is_taken_once(
    ws: Workspace, procs: Processes, first: list[str], second: list[str]
) -> None:
    email = one_lead_routed_to_alice(ws)
    holder = procs.hold_lock(1.0)
    racing = [procs.leadterm([first[0], email, *first[1:]], now=LATER, actor="alice"),
              procs.leadterm([second[0], email, *second[1:]], now=LATER, actor="alice")]
    done = [procs.finish(proc) for proc in racing]
    assert procs.finish(holder).code == 0
    for result in done:
        assert "locked" not in result.err.lower(), result.err
        assert "Traceback" not in result.err
    assert sorted(result.code for result in done) == [0, 1], [(r.code, r.err) for r in done]
    loser = next(result for result in done if result.code == 1)
    # refused for what the winner did: the lead moved on (or, once rejected, has no owner)
    assert loser.err.startswith("leadterm: lead ") and ("stage" in loser.err or "not assigned" in loser.err), loser.err
    history = actions_of(ws, email)
    assert history.count("accepted") + history.count("rejected") == 1, history
    winner = next(result for result in done if result.code == 0)
    expected_stage = "sal" if winner.args[0] == "accept" else {"premature": "nurture", "wrong_icp": "disqualified"}[
        winner.args[-1]]
    assert ws.ok(["show", email], now=LATER)["stage"] == expected_stage


def test_accept_and_touch_at_once_accept_once(ws: Workspace, procs: Processes) -> None:
    email = one_lead_routed_to_alice(ws)
    holder = procs.hold_lock(1.0)
    accept = procs.leadterm(["accept", email], now=LATER, actor="alice")
    touch = procs.leadterm(["touch", email, "--channel", "call", "--outcome", "connected"], now=LATER, actor="alice")
    accepted, touched = procs.finish(accept), procs.finish(touch)
    assert procs.finish(holder).code == 0
    assert "locked" not in accepted.err.lower() + touched.err.lower()
    # the touch always lands; the accept lands only if it came first (a touch on an MQL accepts it)
    assert touched.code == 0, touched.err
    assert accepted.code in (0, 1)
    if accepted.code == 1:
        assert "stage" in accepted.err, accepted.err
    lead = ws.ok(["show", email], now=LATER)
    history = [entry["action"] for entry in lead["history"]]
    assert history.count("accepted") == 1 and history.count("touched") == 1, history
    assert lead["stage"] == "sal" and len(lead["touches"]) == 1
    reasons = [entry["reason"] for entry in lead["history"] if entry["action"] == "accepted"]
    assert reasons == ([None] if accepted.code == 0 else ["first touch"])


def test_a_pass_waits_for_a_writer_holding_the_lock(ws: Workspace, procs: Processes) -> None:
    emails = waiting_mqls(ws, 4)
    # the writer marks bob away in its (slow) transaction: the pass must see that, so it must
    # have waited for the commit rather than worked on what it read before
    holder = procs.hold_lock(1.0, "INSERT INTO rep_state (handle, away, changed_at) VALUES ('bob', 1, 0)")
    locked_at = time.monotonic()
    tick = procs.leadterm(["tick", "--json"], now=MONDAY_9AM)
    result = procs.finish(tick)
    waited = time.monotonic() - locked_at
    assert procs.finish(holder).code == 0
    assert result.code == 0, result.err
    assert "locked" not in result.err
    assert waited >= 0.9  # it could not have finished before the holder let go
    assert result.json["routed"] == len(emails)
    owners = {row["email"]: row["owner"] for row in ws.ok("queue --all", actor="dana", now=LATER)}
    assert set(owners.values()) == {"alice"}, owners
