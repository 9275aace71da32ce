"""The terminal, for people: stdout for results, stderr for diagnostics and progress.

Without a TTY (or with ``NO_COLOR`` / ``--color never``) there is no colour and no box art.
rich is imported only when something needs it (a table, colour, a progress bar): a plain
in-sync answer in a pipe or a hook does not pay for it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TextIO

from secretsync_hooks import text
from secretsync_hooks.remote.base import Progress

if TYPE_CHECKING:
    from rich.console import Console
    from rich.table import Table

PROGRESS_THRESHOLD = 5  # a bar only for pushes with more writes than this
UNWRAPPED = 1_000_000  # the width of a console that is not a terminal


class Output:
    """stdout for results, stderr for diagnostics; rich consoles made only when needed."""

    def __init__(
        self,
        color: str = "auto",
        *,
        stdout: TextIO | None = None,
        stderr: TextIO | None = None,
        width: int | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.color = color
        # The options that chose the target: every `secretsync ...` command printed gets them.
        self.args = tuple(args)
        self._streams = (stdout, stderr)
        self._consoles: dict[bool, Console] = {}
        self.width = width

    def stream(self, err: bool = False) -> TextIO:
        given = self._streams[1 if err else 0]
        return given or (sys.stderr if err else sys.stdout)

    def styled(self, err: bool = False) -> bool:
        """Whether colour and box art are on for that stream."""
        if self.color == "never" or os.environ.get("NO_COLOR"):
            return False
        if self.color == "always":
            return True
        stream = self.stream(err)
        return bool(getattr(stream, "isatty", lambda: False)())

    def console(self, err: bool = False) -> Console:
        if err not in self._consoles:
            from rich.console import Console

            styled = self.styled(err)
            options: dict[str, Any] = {"highlight": False, "soft_wrap": True, "stderr": err}
            if styled:
                options["force_terminal"] = True
            else:
                # In a pipe or a file there are no columns to fit: a value (--show-values)
                # or a long key is printed whole, never wrapped onto the next line.
                options.update(
                    no_color=True, color_system=None, force_terminal=False, width=UNWRAPPED
                )
            if self.width is not None:
                options["width"] = self.width
            self._consoles[err] = Console(file=self.stream(err), **options)
        return self._consoles[err]

    def line(self, message: str, *, style: str = "", err: bool = False) -> None:
        """One line of plain text: through rich only when it is styled; control characters
        (from a key name, a file name) escaped either way."""
        from secretsync_hooks.render.phrases import with_args

        message = with_args(text.clean(message), self.args)
        if self.styled(err):
            from rich.text import Text

            self.console(err).print(Text(message, style=style))
        else:
            stream = self.stream(err)
            stream.write(message + "\n")
            stream.flush()

    def table(self, table: Table) -> None:
        self.console().print(table)


@contextmanager
def progress_bar(output: Output, total: int, description: str) -> Iterator[Progress | None]:
    """A progress callback drawing a bar on stderr, or None where a bar makes no sense."""
    if total <= PROGRESS_THRESHOLD or not output.styled(err=True):
        yield None
        return
    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn
    from rich.progress import Progress as Bar

    with Bar(
        TextColumn(escape(description)),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=output.console(err=True),
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)

        def advance(done: int, total: int, key: str) -> None:
            bar.update(task, completed=done)

        yield advance
