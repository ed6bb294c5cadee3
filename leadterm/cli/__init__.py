"""The ``leadterm`` command line (click). Bare ``leadterm`` opens the app."""

from __future__ import annotations

import click

from leadterm import __version__
from leadterm.cli import admin, review, work

__all__ = ["main"]


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="leadterm")
@click.pass_context
def main(ctx: click.Context) -> None:
    """leadterm: the marketing-to-sales lead handoff, from the terminal."""
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())
        click.echo("\nThe full-screen app is not part of this release yet; the commands above do the work.")


work.register(main)
admin.register(main)
review.register(main)
