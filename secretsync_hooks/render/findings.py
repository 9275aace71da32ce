"""The leak guard's report: one line per finding (path, line, key, form: never a value; line
0 is the path itself, shown with the value masked), the files and directories that could not
be read, and a summary; the same for the CLI and the hook.  (Its JSON document is built with
the others, in ``documents``.)"""

from __future__ import annotations

from secretsync_hooks import text
from secretsync_hooks.errors import ExitCode
from secretsync_hooks.guard.scan import Result


def exit_code(result: Result) -> int:
    """1 on a finding; else 2 if a file could not be read; else 0."""
    if result.findings:
        return int(ExitCode.DRIFT)
    return int(ExitCode.ERROR if result.unreadable else ExitCode.OK)


def finding_lines(result: Result) -> list[str]:
    return [text.clean(str(finding)) for finding in sorted(result.findings)]


def problem_lines(result: Result) -> list[str]:
    return [
        text.clean(f"secretsync: {problem.path}: cannot read: {problem.why}")
        for problem in result.unreadable
    ]


def summary(result: Result) -> str | None:
    """The last line; None when a file could not be read and nothing was found (an error is
    not a clean result: the error says it all)."""
    if result.unreadable and not result.findings:
        return None
    if not result.values:
        return (
            "secretsync: no values to look for (none in the .env is at least [scan] "
            "min_length long)"
        )
    files = text.count(result.files, "file")
    values = text.count(result.values, "value")
    if not result.findings:
        return f"secretsync: no secret value found in {files} ({values} looked for)."
    where = len({f.path for f in result.findings})
    # The pragma allows a line; a path that holds a value can only be renamed.
    paths = (
        "; rename the paths that hold one (or, if that value is no secret, list its key in "
        "plain_keys)"
        if any(f.line == 0 for f in result.findings)
        else ""
    )
    return (
        f"secretsync: {text.count(len(result.findings), 'secret value')} found in "
        f"{text.count(where, 'file')}: remove "
        f"{text.agree(len(result.findings), 'it', 'them')} (or, for a false alarm, add "
        f"'secretsync: allow' to the line){paths}."
    )
