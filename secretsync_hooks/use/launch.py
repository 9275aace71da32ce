"""Start a program with secrets in its environment, and nowhere else.

On POSIX the program replaces secretsync (``execve``): its process id, signals, terminal,
stdin and exit status are its own, and nothing of secretsync stays behind to hold the values.
Elsewhere it runs as a child: Ctrl-C reaches it (it shares the console), SIGTERM is passed
on, and its exit status is returned.  Values travel only in the environment block, never on
a command line.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, BinaryIO, NamedTuple, NoReturn

from secretsync_hooks import text
from secretsync_hooks.errors import EnvFileError, ExitCode, LaunchError

if TYPE_CHECKING:
    import subprocess
    import threading

    from secretsync_hooks.guard.needles import Finder

# What --pristine keeps of the inherited environment: what a program needs to start and to
# find things (PATH, HOME, the user, the terminal, the locale, the time zone, the temporary
# directory), and on Windows what the system itself needs.
PRISTINE_KEEP = (
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "SHELL",
    "TERM",
    "LANG",
    "TZ",
    "TMPDIR",
)
PRISTINE_KEEP_PREFIXES = ("LC_",)
PRISTINE_KEEP_WINDOWS = (
    "SYSTEMROOT",
    "WINDIR",
    "COMSPEC",
    "PATHEXT",
    "TEMP",
    "TMP",
    "USERPROFILE",
)
# A name every shell and runtime accepts as an environment variable.
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class Environment(NamedTuple):
    variables: dict[str, str]
    skipped: list[str]  # keys that are not valid variable names
    kept: list[str]  # keys whose inherited value --preserve-env kept


def valid_name(key: str) -> bool:
    return _NAME.fullmatch(key) is not None


def environment(
    values: Mapping[str, str],
    inherited: Mapping[str, str],
    *,
    pristine: bool = False,
    preserve: bool = False,
) -> Environment:
    """The environment for the program: the inherited one (or, ``pristine``, only the
    variables in :data:`PRISTINE_KEEP`) with ``values`` on top; ``preserve`` keeps an
    inherited value over the secret of the same name."""
    for key, value in values.items():
        if "\0" in value:
            raise EnvFileError(
                f"the value of {text.shown(key)} contains a NUL character, which no environment "
                "variable can hold; the command was not started",
                hint="Fix the value at its source.",
            )
    base = _pristine(inherited) if pristine else dict(inherited)
    skipped, kept = [], []
    for key, value in values.items():
        if not valid_name(key):
            skipped.append(key)
        elif preserve and key in base:
            kept.append(key)
        else:
            base[key] = value
    return Environment(base, skipped, kept)


def _pristine(inherited: Mapping[str, str]) -> dict[str, str]:
    names = PRISTINE_KEEP + (PRISTINE_KEEP_WINDOWS if os.name == "nt" else ())
    return {
        name: value
        for name, value in inherited.items()
        if name.upper() in names or name.startswith(PRISTINE_KEEP_PREFIXES)
    }


def resolve(command: str, caller: Mapping[str, str]) -> str:
    """The file ``command`` names, searched as a shell would on the PATH of ``caller`` (the
    environment of whoever typed the command: never the values, which a repository wrote);
    :class:`LaunchError` (127 not found, 126 not executable) otherwise."""
    if not command:
        raise LaunchError("no command given (an empty name)", ExitCode.NOT_FOUND)
    shown = text.shown(command)
    if os.sep in command or (os.altsep and os.altsep in command):
        if not Path(command).exists():
            raise LaunchError(f"{shown}: no such file", ExitCode.NOT_FOUND)
        _check_executable(command, shown)
        return command
    search = caller.get("PATH", os.defpath)
    found = shutil.which(command, path=search)
    if found is not None:
        return found
    for directory in search.split(os.pathsep):
        candidate = Path(directory or ".") / command
        if candidate.is_file():
            _check_executable(str(candidate), shown)
    raise LaunchError(
        f"{shown}: command not found",
        ExitCode.NOT_FOUND,
        hint=None if search else "The program's PATH is empty.",
    )


def _check_executable(path: str, shown: str) -> None:
    if Path(path).is_dir():
        raise LaunchError(f"{shown}: is a directory", ExitCode.NOT_EXECUTABLE)
    if not os.access(path, os.X_OK):
        raise LaunchError(
            f"{shown}: not executable (permission denied)",
            ExitCode.NOT_EXECUTABLE,
            hint=f"chmod +x {shown}, or run it through its interpreter.",
        )


def launch(argv: Sequence[str], variables: dict[str, str], *, redact: Finder | None = None) -> int:
    """Start ``argv`` with exactly ``variables`` as its environment: replace this process
    on POSIX (never returns), else run it as a child and return its exit status.  With
    ``redact`` it always runs as a child, its output masked on the way through.  The command
    is looked up on our own PATH, whatever PATH ``variables`` hold."""
    path = resolve(argv[0], os.environ)
    if os.name == "posix" and redact is None:
        replace_process(path, argv, variables)
    return run_child(path, argv, variables, redact=redact)


def replace_process(path: str, argv: Sequence[str], variables: dict[str, str]) -> NoReturn:
    """``execve`` into ``path``, as a shell would: with the signal dispositions and mask a
    program expects (Python ignores SIGPIPE and SIGXFSZ; an ignored signal stays ignored
    across exec) and no timer left running."""
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    _reset_signals()
    try:
        os.execve(path, list(argv), variables)  # noqa: S606 - the user's command, as given
    except OSError as exc:
        raise LaunchError(
            f"{text.shown(argv[0])}: cannot execute: {exc.strerror or type(exc).__name__}",
            ExitCode.NOT_EXECUTABLE,
        ) from None


def _reset_signals() -> None:
    if hasattr(signal, "setitimer"):
        signal.setitimer(signal.ITIMER_REAL, 0)
    for name in ("SIGPIPE", "SIGXFSZ", "SIGINT", "SIGTERM", "SIGALRM"):
        signum = getattr(signal, name, None)
        if signum is not None:
            signal.signal(signum, signal.SIG_DFL)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_SETMASK, set())


def run_child(
    path: str, argv: Sequence[str], variables: dict[str, str], *, redact: Finder | None = None
) -> int:
    """Run ``argv`` as a child and return its exit status (128 + N if signal N ended it,
    as shells report it).  Ctrl-C reaches the child from the terminal; SIGTERM sent to
    secretsync is passed on; both wait for the child to finish.  With ``redact`` the child's
    stdout and stderr pass through it to ours, until the child exits and what it wrote
    before is shown."""
    import subprocess

    stream = subprocess.PIPE if redact else None
    try:
        child = subprocess.Popen([path, *argv[1:]], env=variables, stdout=stream, stderr=stream)
    except OSError as exc:
        raise LaunchError(
            f"{text.shown(argv[0])}: cannot execute: {exc.strerror or type(exc).__name__}",
            ExitCode.NOT_EXECUTABLE,
        ) from None
    pumps = _Pumps(child, redact) if redact else None
    previous = {signum: signal.signal(signum, _forward_to(child)) for signum in _FORWARDED}
    try:
        status: int = child.wait()
        if pumps is not None:
            pumps.finish()
    finally:
        for signum, handler in previous.items():
            if handler is not None:
                signal.signal(signum, handler)
    return 128 - status if status < 0 else status


class _Pumps:
    """The threads that copy the child's stdout and stderr to ours through the redactor.

    They stop when the child exits, once they have passed on what the pipes hold by then: a
    program the child left running in the background (a daemon, ``sleep 8 &``) inherited
    the pipes and may keep them open for ever, so their end is no sign the command is done.
    """

    def __init__(self, child: subprocess.Popen[bytes], finder: Finder) -> None:
        import threading

        self._child = child
        # The child's exit reaches the threads through a pipe they wait on beside the
        # child's; Windows cannot wait on pipes, so there they read to the end, as before.
        self._stop = os.pipe() if os.name == "posix" else None
        stop = self._stop[0] if self._stop else None
        self._threads: list[threading.Thread] = []
        for source, sink in ((child.stdout, sys.stdout), (child.stderr, sys.stderr)):
            assert source is not None
            thread = threading.Thread(
                target=_pump_or_drain,
                args=(source.fileno(), sink.buffer, finder, stop),
                daemon=True,
            )
            thread.start()
            self._threads.append(thread)

    def finish(self) -> None:
        """After the child exited: let the threads pass on what is left, and wait for them."""
        if self._stop is not None:
            os.write(self._stop[1], b"x")
        for thread in self._threads:
            thread.join()
        for fd in self._stop or ():
            os.close(fd)
        for pipe in (self._child.stdout, self._child.stderr):
            if pipe is not None:
                pipe.close()


def _pump_or_drain(source: int, sink: BinaryIO, finder: Finder, stop: int | None) -> None:
    """Redact ``source`` into ``sink``; if ``sink`` is gone (a closed pipe), keep reading
    ``source`` so that the command never blocks on a full pipe."""
    from secretsync_hooks.guard.redact_stream import chunks, pump

    try:
        pump(source, sink, finder, stop=stop)
    except OSError:
        with contextlib.suppress(OSError):
            for _ in chunks(source, stop):
                pass


_FORWARDED = (signal.SIGINT, signal.SIGTERM)


def _forward_to(child: subprocess.Popen[bytes]) -> Callable[[int, FrameType | None], None]:
    def forward(received: int, frame: FrameType | None) -> None:
        if received == signal.SIGINT:
            # Ctrl-C at a terminal (or console) reaches every process of the foreground
            # group, the child included: sending it again would count as a second press.
            return
        with contextlib.suppress(OSError):
            child.send_signal(received)

    return forward
