"""The layers keep to their lanes: engine/ is pure, the command line never loads Textual."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import leadterm

PACKAGE = Path(leadterm.__file__).parent


def _imports(folder: Path) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in folder.rglob("*.py"):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names.add(node.module.split(".")[0])
        found[str(path.relative_to(PACKAGE))] = names
    return found


def test_engine_imports_neither_textual_nor_peewee() -> None:
    offenders = {
        module: sorted(names & {"textual", "peewee", "playhouse", "rich", "sqlite3"})
        for module, names in _imports(PACKAGE / "engine").items()
    }
    assert {module: names for module, names in offenders.items() if names} == {}


def test_engine_does_not_reach_up_into_store_service_or_front_ends() -> None:
    for path in (PACKAGE / "engine").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for layer in ("leadterm.store", "leadterm.service", "leadterm.cli", "leadterm.ui"):
            assert layer not in text, f"{path.name} imports {layer}"


def test_store_does_not_import_services_or_front_ends() -> None:
    for path in (PACKAGE / "store").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for layer in ("leadterm.service", "leadterm.cli", "leadterm.ui", "textual"):
            assert layer not in text, f"{path.name} imports {layer}"


def _loaded_after(code: str) -> set[str]:
    probe = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return set(done.stdout.split())


def test_importing_the_engine_loads_no_textual_or_peewee() -> None:
    loaded = _loaded_after(
        "import leadterm.engine.scoring, leadterm.engine.sla, leadterm.engine.routing, leadterm.engine.clock"
    )
    assert not {"textual", "peewee"} & loaded


def test_cli_commands_do_not_import_textual(tmp_path: Path) -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from leadterm.cli import main\n"
        f"config = {str(tmp_path / 'config.toml')!r}\n"
        "runner = CliRunner()\n"
        "for args in (['init'], ['tick'], ['queue', '--as', 'alice', '--json'], ['show', '1'],\n"
        "             ['accept', '1', '--as', 'alice'], ['--help']):\n"
        "    runner.invoke(main, args + (['--config', config] if args != ['--help'] else []))\n"
    )
    loaded = _loaded_after(code)
    assert "leadterm.cli" in loaded and "leadterm.service.worker" in loaded  # the probe really ran
    assert not any(name == "textual" or name.startswith("textual.") for name in loaded)


def test_each_command_is_found_in_the_module_that_defines_it() -> None:
    import click

    from leadterm.cli import _MODULES

    defined = {}
    for module in set(_MODULES.values()):
        group = click.Group()
        __import__(f"leadterm.cli.{module}", fromlist=["register"]).register(group)
        defined.update(dict.fromkeys(group.commands, module))
    assert defined == _MODULES


def test_a_mistyped_command_is_told_the_nearest_one_whatever_was_loaded_before() -> None:
    code = (
        "from click.testing import CliRunner\n"
        "from leadterm.cli import main\n"
        "runner = CliRunner()\n"
        "for typo, meant in (('impor', 'import'), ('acept', 'accept'), ('metrix', 'metrics')):\n"
        "    result = runner.invoke(main, [typo])\n"
        "    assert result.exit_code == 2 and f\"Did you mean '{meant}'\" in result.output, result.output\n"
    )
    assert "leadterm.cli.review" in _loaded_after(code)


def test_an_import_loads_neither_the_rep_actions_nor_the_metrics(tmp_path: Path) -> None:
    (tmp_path / "leads.csv").write_text("email\nada@acme.com\n", encoding="utf-8")
    (tmp_path / "config.toml").write_text((PACKAGE.parent / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    code = (
        "from click.testing import CliRunner\n"
        "from leadterm.cli import main\n"
        f"folder = {str(tmp_path)!r}\n"
        "result = CliRunner().invoke(main, ['import', 'leads', folder + '/leads.csv', '--json',\n"
        "                                   '--config', folder + '/config.toml', '--db', folder + '/l.db'])\n"
        "assert result.exit_code == 0 and '\"inserted\": 1' in result.output, result.output\n"
    )
    loaded = _loaded_after(code)
    assert "leadterm.service.import_leads" in loaded  # the import really ran
    assert not {"leadterm.cli.work", "leadterm.cli.review", "leadterm.service.actions", "leadterm.engine.metrics",
                "leadterm.service.reports", "ctypes"} & loaded


def test_services_leave_sql_to_the_store() -> None:
    for path in (PACKAGE / "service").rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        for sign in ("execute_sql", "database.obj", "executemany"):
            assert sign not in text, f"{path.name} runs SQL itself ({sign}); give the store a function"
