"""The import progress bar: on a terminal after a moment, never in scripts or with --json."""

from __future__ import annotations

import io
from pathlib import Path

from conftest import MONDAY_9AM, Workspace

from leadterm.cli.progress import ProgressBar, progress_bar


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_bar_waits_half_a_second_then_shows_rows_rate_and_time_left() -> None:
    now = [100.0]
    stream = Terminal()
    bar = ProgressBar("importing events", stream, clock=lambda: now[0])
    bar(10_000, 1_000_000, 10_000_000)
    assert stream.getvalue() == ""  # a quick import shows nothing
    now[0] = 102.0
    bar(200_000, 5_000_000, 10_000_000)
    text = stream.getvalue()
    assert text.startswith("\rimporting events  50% [############............]")
    assert "200,000 rows" in text and "100,000 rows/s" in text and "2s left" in text
    bar.close()
    assert stream.getvalue().endswith("\n")


def test_no_bar_when_stderr_is_not_a_terminal() -> None:
    assert progress_bar("importing leads", io.StringIO()) is None
    assert isinstance(progress_bar("importing leads", Terminal()), ProgressBar)


def test_json_and_pipes_get_no_progress_output(ws: Workspace) -> None:
    rows = "".join(f"lead{i}@acme.com,Lead {i}\n" for i in range(30_000))
    path = ws.csv("many.csv", "email,first_name\n" + rows)
    result = ws.run(["import", "leads", str(path), "--json"], now=MONDAY_9AM)
    assert result.code == 0 and result.err == ""
    assert result.json["inserted"] == 30_000


def test_a_shorter_line_leaves_nothing_of_a_longer_one_behind() -> None:
    now = [100.0]
    stream = Terminal()
    bar = ProgressBar("importing events", stream, clock=lambda: now[0])
    now[0] = 101.0
    bar(1_234_567, 5_000_000, 10_000_000)
    longer = stream.getvalue().split("\r")[-1]
    now[0] = 1000.0
    bar(7, 9_000_000, 10_000_000)  # fewer digits everywhere
    last = stream.getvalue().split("\r")[-1]
    assert len(last) == len(longer) and last.rstrip(" ").endswith("s left") and "7 rows" in last


def test_an_import_that_did_not_finish_never_shows_100_percent(tmp_path: Path) -> None:
    from leadterm.engine.columns import LEAD_COLUMNS
    from leadterm.service.importing import open_job

    path = tmp_path / "leads.csv"
    path.write_text("email\na@x.com\n")
    for fails in (True, False):
        calls: list[tuple[int, int, int]] = []
        job = open_job("leads", path, LEAD_COLUMNS, ("email",), None, lambda *call: calls.append(call))
        try:
            with job.running() as report:
                report.read = 1
                if fails:
                    raise KeyboardInterrupt
        except KeyboardInterrupt:
            pass
        size = path.stat().st_size
        assert calls == ([] if fails else [(1, size, size)])


def test_the_bar_follows_the_rows_handed_on_not_the_reading_ahead(ws: Workspace) -> None:
    # reading runs up to a megabyte of lines ahead of the rows handed on: the bar must not
    from leadterm.service.context import open_context
    from leadterm.service.import_leads import import_leads

    total = 40_000
    rows = "".join(f"lead{i}@company{i}.com,First {i},Last {i},Company number {i},Chief Executive\n"
                   for i in range(total))
    path = ws.csv("many.csv", "email,first_name,last_name,company,title\n" + rows)
    size = path.stat().st_size
    assert size > 3 << 20  # several megabytes of reading ahead
    calls: list[tuple[int, int, int]] = []
    context = open_context(ws.config_path, now=MONDAY_9AM)
    report = import_leads(context, path, progress=lambda *call: calls.append(call))
    assert report.inserted == total and len(calls) >= 5
    for rows_done, done, whole in calls[:-1]:
        assert whole == size and abs(done / size - rows_done / total) < 0.02, (rows_done, done)
    assert calls[-1] == (total, size, size)
