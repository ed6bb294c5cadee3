"""Shared fixtures: a workspace with its own config.toml and database file, and a CLI runner
that drives ``leadterm`` in-process exactly as a user types it (``--now`` pins the clock)."""

from __future__ import annotations

import copy
import json
import shlex
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from click.testing import CliRunner

from leadterm.cli import main
from leadterm.config import default_config_data
from leadterm.store import close_database


@dataclass
class Result:
    code: int
    out: str
    err: str

    @property
    def json(self) -> Any:
        return json.loads(self.out)


class Workspace:
    """A folder with config.toml, data/ and helpers to run commands in it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.config_path = root / "config.toml"
        self.data = copy.deepcopy(default_config_data())
        self.write_config()
        self._runner = CliRunner()

    def write_config(self, edit: Callable[[dict], None] | None = None) -> None:
        if edit is not None:
            edit(self.data)
        self.config_path.write_text(tomli_w.dumps(self.data), encoding="utf-8")

    def run(self, args: str | list[str], *, now: str | None = None, actor: str | None = None) -> Result:
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        argv += ["--config", str(self.config_path)]
        if now is not None:
            argv += ["--now", now]
        if actor is not None:
            argv += ["--as", actor]
        result = self._runner.invoke(main, argv, catch_exceptions=False, env={"LEADTERM_USER": ""})
        return Result(result.exit_code, result.stdout, result.stderr)

    def ok(self, args: str | list[str], **kwargs: Any) -> Any:
        """Run, expect exit 0, return the parsed JSON (``--json`` is added)."""
        argv = shlex.split(args) if isinstance(args, str) else list(args)
        result = self.run(argv + ["--json"], **kwargs)
        assert result.code == 0, f"{argv}: exit {result.code}: {result.err}"
        return result.json

    def csv(self, name: str, text: str, encoding: str = "utf-8") -> Path:
        path = self.root / name
        path.write_bytes(text.encode(encoding))
        return path


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = Workspace(tmp_path)
    yield workspace
    close_database()


@pytest.fixture
def make_ws(tmp_path: Path) -> Callable[[str], Workspace]:
    made = []

    def factory(name: str) -> Workspace:
        folder = tmp_path / name
        folder.mkdir()
        made.append(Workspace(folder))
        return made[-1]

    yield factory
    close_database()


def _csv_text(rows: list[dict[str, Any]]) -> str:
    import csv
    import io

    headers: list[str] = []
    for row in rows:
        headers += [key for key in row if key not in headers]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=headers, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def stored_leads(ws: Workspace) -> list[dict[str, Any]]:
    """Every lead row of the workspace's database, column by column, in id order."""
    con = sqlite3.connect(ws.root / "data" / "leadterm.db")
    con.row_factory = sqlite3.Row
    try:
        return [dict(row) for row in con.execute("SELECT * FROM lead ORDER BY id")]
    finally:
        con.close()


def add_leads(ws: Workspace, rows: list[dict[str, Any]], now: str, name: str = "leads.csv") -> Any:
    ws.csv(name, _csv_text(rows))
    return ws.ok(["import", "leads", str(ws.root / name)], now=now)


def add_events(ws: Workspace, rows: list[dict[str, Any]], now: str, name: str = "events.csv") -> Any:
    ws.csv(name, _csv_text(rows))
    return ws.ok(["import", "events", str(ws.root / name)], now=now)


#: Monday 2026-11-23, 09:00 in New York (the shipped calendar's zone) is 14:00 UTC.
MONDAY_9AM = "2026-11-23T14:00:00Z"

ADA = {"email": "ada@acme.com", "first_name": "Ada", "last_name": "Lovelace", "company": "Acme",
       "title": "VP Engineering", "industry": "Software", "company_size": "1200", "country": "US",
       "source": "webinar"}
BEA = {"email": "bea@beta.io", "first_name": "Bea", "last_name": "Smith", "company": "Beta",
       "title": "CTO", "industry": "Healthcare", "company_size": "200", "country": "UK", "source": "ads"}
CY = {"email": "cy@gamma.org", "first_name": "Cy", "last_name": "Young", "company": "Gamma",
      "title": "Engineer", "industry": "Retail", "company_size": "30", "country": "US", "source": "organic"}


def demo_request(email: str, at: str) -> dict[str, str]:
    return {"email": email, "type": "demo_request", "occurred_at": at, "detail": "form"}
