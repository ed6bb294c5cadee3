"""Engine benchmark: 100,000 leads with 1,000,000 events.

    .venv/bin/python bench/engine.py [--leads N] [--events M]

Prints: a full rescore's time and its ratio to one plain SQL aggregate over the same events
(goal ≤ 2×), a worker pass with nothing due (goal ≤ 10 ms), a pass with 1,000 leads due
(goal ≤ 20 ms), and ``leadterm queue --json`` wall time (goal ≤ 0.25 s).
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from leadterm.engine.times import to_epoch  # noqa: E402
from leadterm.service.context import open_context  # noqa: E402
from leadterm.service.scoring import refresh_fit, rescore  # noqa: E402
from leadterm.service.worker import tick  # noqa: E402
from leadterm.store import database, scores, write  # noqa: E402
from leadterm.store import events as event_store  # noqa: E402

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=timezone.utc)  # a Monday, 10:00 in New York
TYPES = ["page_view"] * 40 + ["email_open"] * 30 + ["webinar"] * 8 + ["case_study_download"] * 6 + \
    ["pricing_page"] * 5 + ["careers_page"] * 3 + ["form_view"] * 7 + ["demo_request"] * 1
TITLES = ["Engineer", "Manager", "VP Sales", "CTO", "Analyst", "Director", "Chief of Staff", "Intern"]
INDUSTRIES = ["Software", "Retail", "Healthcare", "Financial Services", "Education", "Manufacturing"]


def build(folder: Path, leads: int, events: int, seed: int = 7) -> Path:
    rng = random.Random(seed)
    config = folder / "config.toml"
    shutil.copy(ROOT / "config.toml", config)
    context = open_context(config, str(folder / "bench.db"), now=NOW.isoformat())
    db = database.obj
    now = to_epoch(NOW)
    with write():
        db.cursor().executemany(
            "INSERT INTO lead (id, email, email_display, first_name, last_name, company, title, industry, "
            "company_size, country, source, inserted_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                (i, f"lead{i}@company{i % 20000}.com", f"lead{i}@company{i % 20000}.com", f"First{i}", f"Last{i}",
                 f"Company {i % 20000}", rng.choice(TITLES), rng.choice(INDUSTRIES), rng.choice([5, 30, 120, 800, 2400, 9000]),
                 "US", rng.choice(["ads", "webinar", "organic"]), now, now)
                for i in range(1, leads + 1)
            ),
        )
        scores.add_new_leads(0)
    per_lead = events // leads
    rows = []
    for lead_id in range(1, leads + 1):
        for _ in range(per_lead):
            kind = rng.choice(TYPES)
            if kind == "demo_request" and rng.random() > 0.02:
                kind = "page_view"  # keep hand-raisers rare, as in life
            rows.append((lead_id, kind, now - rng.randint(0, 200 * 86400), ""))
    rows.sort()
    with write():
        event_store.add(rows)
        refresh_fit(context)
    db.execute_sql("ANALYZE")
    return config


def timed(function, repeat: int = 1) -> float:
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="leadterm-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        config = build(folder, args.leads, args.events)
        context = open_context(config, str(folder / "bench.db"), now=NOW.isoformat())
        db = database.obj
        count = db.execute_sql("SELECT COUNT(*) FROM event").fetchone()[0]
        print(f"built {args.leads:,} leads and {count:,} events in {time.perf_counter() - started:.1f} s")

        def aggregate() -> None:
            db.execute_sql("SELECT lead_id, type_id, COUNT(*) FROM event GROUP BY lead_id, type_id").fetchall()

        def full_rescore() -> None:
            with write():
                rescore(context, everything=True)

        aggregate()  # warm the page cache for both
        plain = timed(aggregate, 3)
        first = timed(full_rescore)
        steady = timed(full_rescore, 3)
        print(f"plain SQL aggregate (counts per lead and type): {plain * 1000:7.1f} ms")
        print(f"full rescore, every score changing:             {first * 1000:7.1f} ms  ({first / plain:.2f}x)")
        print(f"full rescore, scores already current:           {steady * 1000:7.1f} ms  ({steady / plain:.2f}x)  goal <= 2x")

        with write():  # as after importing everything: every lead due
            scores.mark_all_due()
        started = time.perf_counter()
        report = tick(context)
        print(f"first worker pass (qualify and route everything): {time.perf_counter() - started:.2f} s: {report.as_dict()}")

        idle = timed(lambda: tick(context), 20)
        print(f"tick with nothing due:                          {idle * 1000:7.2f} ms  goal <= 10 ms")

        rng = random.Random(11)
        batches = []
        for round_ in range(5):
            ids = rng.sample(range(1, args.leads + 1), 1000)
            at = to_epoch(NOW) - 3600 - round_
            with write():
                event_store.add((i, "email_open", at, "bench") for i in ids)
                scores.mark_due(ids)
            db.execute_sql("PRAGMA wal_checkpoint(PASSIVE)")  # the import's pages, not the pass's
            started = time.perf_counter()
            report = tick(context)
            batches.append((time.perf_counter() - started, report))
        due_time = statistics.median(elapsed for elapsed, _ in batches)
        sample = batches[len(batches) // 2][1].as_dict()
        print(f"tick with 1,000 leads due:                      {due_time * 1000:7.2f} ms  goal <= 20 ms  e.g. {sample}")

        command = [str(Path(sys.executable).parent / "leadterm"), "queue", "--json", "--as", "alice",
                   "--config", str(config), "--db", str(folder / "bench.db"), "--now", NOW.isoformat()]
        walls = []
        for _ in range(7):
            started = time.perf_counter()
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            walls.append(time.perf_counter() - started)
        rows = done.stdout.count('"id"')
        print(f"leadterm queue --json ({rows} rows):               {statistics.median(walls):7.3f} s   goal <= 0.25 s")


if __name__ == "__main__":
    main()
