"""Where ``export --output`` and ``example --output`` may write: never over the ``.env`` or the
config, never through a symbolic link.

A file of values replaced through a link would land wherever the link leads (a repository
can commit ``values.json -> ~/.bashrc``), and one appended to the ``.env`` would leave it
unreadable.  The checks run before anything is read, and again right before the file is
replaced, so a link put in place meanwhile is refused too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from secretsync_hooks import text
from secretsync_hooks.errors import SecretSyncError

if TYPE_CHECKING:
    from secretsync_hooks.config.settings import Config


class Destination:
    """The file a command writes: ``named`` by ``--output`` or, for export's GitHub format,
    ``$GITHUB_ENV``; ``writer``: the command (``export``, or ``example``, which writes
    placeholders where export writes values)."""

    def __init__(
        self, config: Config, path: str, named: str, fmt: str, writer: str = "export"
    ) -> None:
        self.config = config
        self.writer = writer
        # Checked and written as one and the same path: `link/../x` is taken as written
        # (`x`), never resolved through the link to somewhere the checks did not look.
        from secretsync_hooks.local.fs import as_written

        self.path = as_written(Path(path))
        self.fmt = fmt
        self._shown = f"{named} {text.shown(path)}"

    def check(self) -> None:
        """Refuse (:class:`SecretSyncError`, exit 2) the .env, the config, a file of git's
        own, a symbolic link, or a path inside the work tree that a linked folder takes out
        of it."""
        self._not_their_own_file()
        if ".git" in self.path.parts:
            raise SecretSyncError(
                f"{self._shown} is inside a .git folder, git's own files, which "
                f"{self.writer} never writes; nothing was written",
                hint="Name a file of the work tree.",
            )
        if self.path.is_symlink():
            raise SecretSyncError(
                f"{self._shown} is a symbolic link; {self.writer} never writes through one, and "
                "the file it leads to was left as it was; nothing was written",
                hint="Remove the link, or name the file itself.",
            )
        self._stays_in_the_work_tree()

    def _not_their_own_file(self) -> None:
        if _same_file(self.path, self.config.path):
            raise SecretSyncError(
                f"{self._shown} is the config file; {self.writer} would replace it; "
                "nothing was written",
                hint="Name another file.",
            )
        if not any(_same_file(self.path, env_file) for env_file in self._env_files()):
            return
        if self.writer == "example":
            raise SecretSyncError(
                f"{self._shown} is the .env file, which example would overwrite with "
                "placeholders; nothing was written",
                hint="Leave --output out: the example goes beside the .env, as .env.example.",
            )
        if self.fmt == "github":
            raise SecretSyncError(
                f"{self._shown} is the .env file; --format github would append blocks to it "
                "that no .env reader can parse; nothing was written",
                hint="In a workflow step, leave --output out: the values go to $GITHUB_ENV.",
            )
        raise SecretSyncError(
            f"{self._shown} is the .env file; export would replace it whole, losing its "
            "local-only keys and comments; nothing was written",
            hint="secretsync pull writes remote values into the .env and keeps the rest.",
        )

    def _env_files(self) -> list[Path]:
        """The .env files of this config: this command's, and every environment's own."""
        from secretsync_hooks.config.settings import Overrides, load_config

        files = [self.config.env_file]
        for name in (None, *self.config.environments):
            try:
                other = load_config(Overrides(config=self.config.path, environment=name))
            except SecretSyncError:
                continue
            files.append(other.env_file)
        return files

    def _stays_in_the_work_tree(self) -> None:
        # A path written outside the work tree is the user's own choice, wherever it leads;
        # one written inside must not be taken out by a folder the repository linked.
        from secretsync_hooks.local.fs import leads_outside
        from secretsync_hooks.sync.last_sync import work_tree

        tree = work_tree(self.config)
        real = leads_outside(self.path, tree)
        if real is not None:
            raise SecretSyncError(
                f"{self._shown} is inside the work tree {text.shown(str(tree))}, but a "
                f"symbolic link takes it out, to {text.shown(str(real))}; nothing was written",
                hint="Name the place itself if that is where the file should go.",
            )


def _same_file(path: Path, other: Path) -> bool:
    """The same file, by real path or (a hard link) by device and inode."""
    if os.path.realpath(path) == os.path.realpath(other):
        return True
    try:
        return path.samefile(other)
    except (OSError, ValueError):
        return False
