"""Commands whose module is imported only when they run (click's lazy loading of subcommands).

Every command module imports what its work needs (SQLAlchemy, Alembic, OCRmyPDF, FastAPI), which
costs seconds; ``quire --help`` and ``quire worker --check`` (every health check) should not pay
for the others'. So the group knows each command by name, module and one-line help, shows that
help as it is, and imports the module when the command is about to parse its arguments.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import typer
import typer.main
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    # Typer's own copy of click: the classes its commands and contexts really are.
    from typer import _click


@dataclass(frozen=True)
class Entry:
    """A command: its name, ``module:attribute`` (a function or a Typer app), its one-line help.

    ``wired``: the feature packages are registered with core before the command runs. A command
    that does so itself, only on the path that needs it, says False (``worker``: not ``--check``).
    """

    name: str
    target: str
    help: str
    wired: bool = True


def load(entry: Entry) -> _click.Command:
    """The real command: the module imported, the function or Typer app made a click command."""
    if entry.wired:
        from quire.features import register_features

        register_features()
    module_name, attribute = entry.target.split(":")
    found = getattr(importlib.import_module(module_name), attribute)
    if isinstance(found, typer.Typer):
        group = typer.main.get_group(found)
        group.name = entry.name
        return group
    single = typer.Typer(add_completion=False)
    single.command(name=entry.name)(found)
    return typer.main.get_command(single)


class LazyCommand(TyperCommand):
    """Stands for a command in help listings; becomes the real one when it is invoked."""

    def __init__(self, entry: Entry) -> None:
        super().__init__(entry.name, help=entry.help, short_help=entry.help)
        self.entry = entry

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: _click.Context | None = None,
        **extra: Any,
    ) -> _click.Context:
        # The group invokes whatever command the returned context holds: the real one.
        return load(self.entry).make_context(info_name, args, parent=parent, **extra)


class LazyGroup(TyperGroup):
    """A Typer group whose commands are LazyCommands, in the order of ``ENTRIES``."""

    entries: tuple[Entry, ...] = ()

    def __init__(self, **attrs: Any) -> None:
        super().__init__(**attrs)
        for entry in self.entries:
            self.add_command(LazyCommand(entry))

    def invoke(self, ctx: _click.Context) -> Any:
        """Run the command; settings that cannot be read end it with their one-line reason and
        exit code 78 (EX_CONFIG), not a traceback, whichever command read them first."""
        # Imported here, after any --help: every command reads the settings anyway.
        from quire.cli.common import EXIT_CONFIG, fail
        from quire.core.config import ConfigError

        try:
            return super().invoke(ctx)
        except ConfigError as exc:
            fail(f"the settings cannot be read: {exc}", code=EXIT_CONFIG)


def lazy_group(entries: tuple[Entry, ...]) -> type[LazyGroup]:
    """A LazyGroup class for these entries (Typer takes a class, not an instance)."""
    return type("QuireGroup", (LazyGroup,), {"entries": entries})
