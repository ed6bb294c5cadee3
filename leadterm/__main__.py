from leadterm.cli import run

run()
