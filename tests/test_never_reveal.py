"""Never reveal, never trust the wrong thing: each way a value once reached output, or a
repository someone else wrote could turn secretsync against its user, or bad input hung or
crashed it, reproduced through the command's and the hooks' entry points against moto (the
installed programs where a process is the subject: a traceback under --debug, a deadline)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from tests.helpers import BACKENDS, SECRET, Remote, run_in_process, run_program, write_config
from tests.moto_server import MotoServer, error

CANARY = "Qz8Wx7Ec6Rv5Tb4Yn3Um"


def secretsync(cwd: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Exit code and everything printed (stdout + stderr); never a traceback."""
    result = run_in_process(cwd, *args, env=env)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    return result.returncode, output


def hook(cwd: Path, *args: str) -> tuple[int, str]:
    result = run_in_process(cwd, *args, name="secretsync-check")
    assert "Traceback" not in result.stdout + result.stderr
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def sm(moto_server: MotoServer, project: Path) -> Remote:
    write_config(project, "secrets_manager")
    return Remote("secrets_manager", moto_server.url)


# -- 1. errors never quote a line of a local file --------------------------------------------


PEM_BODY = f"MIIEvQIBADANBgkqhkiG9w0BAQEFAASC{CANARY}==\nc2VjcmV0{CANARY}Cg==\n"
UNREADABLE = {
    "an unclosed quote over a PEM body": f'A=1\nKEY="-----BEGIN PRIVATE KEY-----\n{PEM_BODY}',
    "a URL with a password as a line": f"A=1\npostgres://app:{CANARY}@db/app?sslmode=require\n",
    "a JSON fragment": f'A=1\n{{"password": "{CANARY}"}}=x\n',
    "a line without =": f"A=1\n{CANARY}\n",
}


@pytest.mark.parametrize("text", UNREADABLE.values(), ids=UNREADABLE.keys())
def test_no_command_quotes_a_line_it_cannot_read(sm: Remote, project: Path, text: str) -> None:
    sm.seed({"A": "1"})
    (project / ".env").write_text(text)
    for args in (["diff"], ["status"], ["push", "--force"], ["pull", "--force"], ["config"]):
        code, output = secretsync(project, *args)
        assert code == 2, (args, output)
        assert "line " in output
        assert CANARY[:8] not in output and CANARY[-8:] not in output, (args, output)
        assert "postgres" not in output and "PRIVATE" not in output
    code, output = hook(project)
    assert code == 2 and CANARY[:8] not in output


def test_config_cannot_point_the_env_file_outside_its_directory(
    sm: Remote, project: Path, tmp_path: Path
) -> None:
    secret_file = tmp_path.parent / "id_rsa_like"
    secret_file.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{CANARY}\n")
    for value in ("../../id_rsa_like", str(secret_file)):
        write_config(project, "secrets_manager", extra=f"env_file = {json.dumps(value)}\n")
        code, output = secretsync(project, "config")
        assert code == 2
        assert "must be a path inside" in output
        assert CANARY[:8] not in output
    # A committed symlink named .env that leads outside is refused the same way...
    write_config(project, "secrets_manager")
    (project / ".env").symlink_to(secret_file)
    code, output = secretsync(project, "diff")
    assert code == 2 and "leads outside" in output and CANARY[:8] not in output
    # ... while the user may name any file on purpose.
    (project / ".env").unlink()
    elsewhere = tmp_path.parent / "elsewhere.env"
    elsewhere.write_text("A=1\n")
    sm.seed({"A": "1"})
    assert secretsync(project, "diff", "--env-file", str(elsewhere))[0] == 0
    env = {**os.environ, "SECRETSYNC_ENV_FILE": str(elsewhere)}
    assert secretsync(project, "diff", env=env)[0] == 0


# -- 2. plain_keys cannot be turned into a dump -------------------------------------------------


def test_keys_only_output_carries_no_values_even_for_plain_keys(sm: Remote, project: Path) -> None:
    write_config(project, "secrets_manager", extra='plain_keys = ["LOG_LEVEL"]\n')
    (project / ".env.example").write_text("LOG_LEVEL=\nNEW=\n")
    sm.seed({"LOG_LEVEL": f"debug-{CANARY}"})
    for args in (["diff"], ["status"]):
        for fmt in ("table", "json"):
            code, output = secretsync(
                project, *args, "--keys-only", "--env-file", ".env.example", "--format", fmt
            )
            assert code == 1
            assert CANARY[:8] not in output, (args, fmt)


@pytest.mark.parametrize("pattern", ["*", "?*", "**", "*?", "[!-]*"])
def test_a_plain_keys_pattern_matching_every_key_is_refused(
    sm: Remote, project: Path, pattern: str
) -> None:
    write_config(project, "secrets_manager", extra=f"plain_keys = [{json.dumps(pattern)}]\n")
    (project / ".env").write_text(f"A={CANARY}\n")
    code, output = secretsync(project, "diff", "--verbose")
    assert code == 2
    assert f"plain_keys pattern {pattern!r} matches every key" in output
    assert CANARY[:8] not in output


def test_a_url_with_a_password_stays_masked_for_a_plain_key(sm: Remote, project: Path) -> None:
    write_config(project, "secrets_manager", extra='plain_keys = ["DB_URL", "LOG_LEVEL"]\n')
    url = f"postgres://app:{CANARY}@db.internal:5432/app"
    # Two secrets besides: a plain_keys set may cover at most half of the keys.
    secrets = "API_TOKEN=tok-1\nSIGNING_KEY=sig-1\n"
    (project / ".env").write_text(f"DB_URL={url}\nLOG_LEVEL=debug\n{secrets}")
    sm.seed(
        {
            "DB_URL": url.replace("5432", "6543"),
            "LOG_LEVEL": "info",
            "API_TOKEN": "tok-1",
            "SIGNING_KEY": "sig-1",
        }
    )
    for fmt in ("table", "json"):
        code, output = secretsync(project, "diff", "--verbose", "--format", fmt)
        assert code == 1
        assert CANARY[:8] not in output and "db.internal" not in output
        assert "debug" in output and "info" in output  # other plain keys still shown
    shown = run_in_process(project, "diff", "--show-values", "--format", "json").stdout
    assert CANARY in shown  # asked for: shown


# -- 3. paths and directories that a repository controls -----------------------------------------


def test_pull_never_writes_through_a_link_leading_out_of_the_work_tree(
    sm: Remote, project: Path, tmp_path: Path
) -> None:
    shared = tmp_path.parent / "shared-world-readable.env"
    shared.write_text("")
    shared.chmod(0o666)
    (project / "prod.env").symlink_to(shared)
    sm.seed({"TOKEN": CANARY})
    code, output = secretsync(project, "pull", "--env-file", "prod.env")
    assert code == 2
    assert f"symbolic link to {shared}, outside the work tree" in output
    assert shared.read_text() == ""


def _shared_parent(tmp_path: Path) -> tuple[Path, Path]:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)  # a shared temporary directory: anyone may create files here
    work = shared / "work"
    work.mkdir()
    return shared, work


def test_a_config_in_a_world_writable_parent_is_refused(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    shared, work = _shared_parent(tmp_path)
    write_config(shared, "secrets_manager")
    (work / ".env").write_text("A=1\n")
    code, output = secretsync(work, "diff")
    assert code == 2
    assert f"refusing config {shared / '.secretsync.toml'}: {shared} is writable by every user" in (
        output
    )
    assert "SECRETSYNC_SAFE_DIRECTORIES" in output
    Remote("secrets_manager", moto_server.url).seed({"A": "1"})
    env = {**os.environ, "SECRETSYNC_SAFE_DIRECTORIES": str(shared)}
    assert secretsync(work, "diff", "--env-file", ".env", env=env)[0] == 0
    trusted = ["--config", str(shared / ".secretsync.toml"), "--env-file", ".env"]
    assert secretsync(work, "diff", *trusted)[0] == 0


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to give a file to another user")
def test_a_config_owned_by_another_user_is_refused(moto_server: MotoServer, tmp_path: Path) -> None:
    parent = tmp_path / "theirs"
    (parent / "work").mkdir(parents=True)
    write_config(parent, "secrets_manager")
    os.chown(parent, 65534, 65534)
    code, output = secretsync(parent / "work", "diff")
    assert code == 2
    assert "is owned by another user (uid 65534)" in output


def test_a_git_file_in_a_shared_parent_cannot_redirect_the_records(
    moto_server: MotoServer, tmp_path: Path
) -> None:
    shared, work = _shared_parent(tmp_path)
    attacker = tmp_path / "attacker"
    (attacker / "secretsync").mkdir(parents=True)
    victim_rc = tmp_path / "bashrc"
    victim_rc.write_text("# my shell start-up\n")
    (shared / ".git").write_text(f"gitdir: {attacker}\n")
    write_config(work, "secrets_manager")
    (work / ".env").write_text("A=1\n")
    Remote("secrets_manager", moto_server.url).seed({"A": "1"})
    code, output = secretsync(work, "diff")
    assert code == 2
    assert f"refusing git directory {shared / '.git'}" in output
    assert victim_rc.read_text() == "# my shell start-up\n"
    assert list((attacker / "secretsync").iterdir()) == []


def test_records_and_keys_are_never_written_through_symbolic_links(
    sm: Remote, project: Path, tmp_path: Path
) -> None:
    (project / ".env").write_text("A=1\n")
    assert secretsync(project, "push")[0] == 0
    [record] = (project / ".git" / "secretsync").glob("base-*.json")
    victim_rc = tmp_path / "bashrc"
    victim_rc.write_text("# my shell start-up\n")
    record.unlink()
    record.symlink_to(victim_rc)
    (project / ".env").write_text("A=2\n")
    code, output = secretsync(project, "push", "--force")
    assert code == 0
    assert "is a symbolic link" in output
    assert victim_rc.read_text() == "# my shell start-up\n"


def test_temporary_copies_are_hidden_by_the_rules_that_hide_the_env_file(tmp_path: Path) -> None:
    from secretsync_hooks.local.fs import temporary_name

    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".gitignore").write_text(".env\n.env.*\n*.env\n")
    names = [temporary_name(n) for n in (".env", ".env.prod", "prod.env", ".env.local")]
    result = subprocess.run(
        ["git", "check-ignore", "--no-index", *names], cwd=tmp_path, capture_output=True, text=True
    )
    assert sorted(result.stdout.split()) == sorted(names)


def test_writing_secrets_into_a_readable_env_warns_with_the_fix(sm: Remote, project: Path) -> None:
    env = project / ".env"
    env.write_text("A=1\n")
    env.chmod(0o644)
    sm.seed({"A": "1", "B": "2"})
    code, output = secretsync(project, "pull")
    assert code == 0
    assert output.count("is readable by other users (mode 0644); `chmod 600") == 1
    env.chmod(0o600)
    sm.set("C", "3")
    assert "readable by other users" not in secretsync(project, "pull")[1]


# -- 4. values are inert when a shell sources the .env ---------------------------------------------

INERT = {
    "SUBST": "$(touch pwned-subst)",
    "BACKTICK": "`touch pwned-backtick`",
    "VAR": "$HOME and ${HOME}",
    "SPACES": "a b; touch pwned-semicolon",
    "BACKSLASH": "C:\\path\\$(touch pwned-bs)",
    "NEWLINE": "line one\n$(touch pwned-newline)",
    "QUOTE_ONLY": "it's fine",
    "DOUBLE": 'say "hi" && touch pwned-and',
    "PIPE": "x | touch pwned-pipe",
    "GLOB": "*",
}


@pytest.mark.parametrize("kind", BACKENDS)
def test_pulled_values_run_nothing_when_a_shell_sources_the_env(
    kind: str, moto_server: MotoServer, project: Path
) -> None:
    write_config(project, kind)
    remote = Remote(kind, moto_server.url)
    remote.seed(INERT)
    code, output = secretsync(project, "pull")
    assert code == 0, output
    assert "no quoting is exact" not in output
    result = subprocess.run(
        ["bash", "-c", "set -a; . ./.env"], cwd=project, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert [p.name for p in project.iterdir() if p.name.startswith("pwned")] == []
    assert dotenv_values(project / ".env", interpolate=False) == INERT


def test_a_value_no_quoting_can_make_inert_is_named(sm: Remote, project: Path) -> None:
    sm.seed({"BOTH": "it's $(touch pwned)", "FINE": "ok"})
    code, output = secretsync(project, "pull")
    assert code == 0
    assert "BOTH holds both a single quote and a '$' or backtick" in output
    assert dotenv_values(project / ".env", interpolate=False)["BOTH"] == "it's $(touch pwned)"


# -- 5. output that cannot be spoofed, input that cannot hang it ---------------------------------


def test_control_characters_in_key_names_are_printed_escaped(sm: Remote, project: Path) -> None:
    hostile = {
        "\x1b]0;pwned\x07TITLE": "1",
        "FAKE\nsecretsync: .env matches": "2",
        "\x1b[2J\x1b[31mRED": "3",
        "BIDI\u202eTXT": "4",
    }
    sm.seed({"A": "1", **hostile})
    (project / ".env").write_text("A=1\n")
    for args in (["diff"], ["diff", "--color", "always"], ["status"], ["push", "--prune"]):
        code, output = secretsync(project, *args)
        assert code == 1, (args, output)
        assert "\x1b]" not in output and "\x1b[2J" not in output and "\u202e" not in output
        # (status lists no key; a refused mass push counts them: diff --verbose lists them)
        assert "\\x1b]0;pwned\\x07TITLE" in output or args in (["status"], ["push", "--prune"])
        assert "\nsecretsync: .env matches" not in output
    code, output = hook(project)
    assert "\\x1b[2J\\x1b[31mRED" in output and "\x1b" not in output
    raw = run_in_process(project, "diff", "--format", "json").stdout
    assert "\x1b" not in raw and "\u202e" not in raw  # escaped in JSON too
    document = json.loads(raw)
    assert set(hostile) <= {e["key"] for e in document["entries"]}


@pytest.mark.usefixtures("processes")
def test_aws_messages_that_may_quote_a_value_are_not_relayed(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    (project / ".env").write_text(f"A={CANARY}\n")
    quoted = f"1 validation error detected: Value '{{\"A\":\"{CANARY}\"}}' at 'secretString'"
    moto_server.injector.inject("CreateSecret", error("ValidationException", quoted))
    code, output = secretsync(project, "push")
    assert code == 2
    assert "AWS refused secretsmanager:CreateSecret on secret myapp/production" in output
    assert "(ValidationException)" in output
    assert CANARY[:8] not in output
    moto_server.injector.inject("CreateSecret", error("ValidationException", quoted))
    debug = run_program(project, "push", "--debug")  # a traceback, with every form masked
    assert debug.returncode == 2 and "Traceback" in debug.stderr
    assert CANARY[:8] not in debug.stdout + debug.stderr
    denied = "User: arn:aws:sts::1:assumed-role/dev is not authorized to perform: x"
    moto_server.injector.inject("GetSecretValue", error("AccessDeniedException", denied))
    code, output = secretsync(project, "diff")
    assert code == 2 and f"AWS says: {denied}" in output


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "pipe"
    os.mkfifo(path)
    return path


def test_a_fifo_or_a_device_is_refused_without_hanging(
    sm: Remote, project: Path, fifo: Path
) -> None:
    for args in (
        ["diff", "--env-file", str(fifo)],
        ["diff", "--config", str(fifo)],
        ["diff", "--env-file", "/dev/zero"],
        ["config", "--env-file", "/dev/urandom"],
    ):
        code, output = secretsync(project, *args)
        assert code == 2, (args, output)
        assert "is not a regular file" in output


def test_other_bad_inputs_get_one_message_and_exit_2(
    sm: Remote, project: Path, moto_server: MotoServer
) -> None:
    (project / ".env").write_text("A=1\n")
    write_config(project, "secrets_manager", extra='env_file = "a\\u0000b"\n')
    code, output = secretsync(project, "diff")
    assert code == 2 and "must be a path inside" in output
    write_config(project, "secrets_manager")
    for name, value, message in (
        ("SECRETSYNC_READ_TIMEOUT", "nan", "must be a finite number of seconds"),
        ("SECRETSYNC_CONNECT_TIMEOUT", "inf", "must be a finite number of seconds"),
        ("SECRETSYNC_TIMEOUT", "-1", "must be a finite number of seconds"),
        ("AWS_ENDPOINT_URL", "127.0.0.1:4566", "is not an endpoint URL"),
    ):
        code, output = secretsync(project, "diff", env={**os.environ, name: value})
        assert (code, message in output) == (2, True), (name, output)


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ('{"A": "\\ud800"}', "is not valid Unicode text"),
        ('{"\\udfff": "x"}', "the key \\udfff (or its value) is not valid Unicode"),
        ('{"A": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested too deeply"),
    ],
)
def test_remote_text_no_file_can_hold_is_refused(
    sm: Remote, project: Path, document: str, message: str
) -> None:
    (project / ".env").write_text("A=1\n")
    sm.client.create_secret(Name=SECRET, SecretString=document)
    for args in (["diff"], ["pull", "--force"]):
        code, output = secretsync(project, *args)
        assert code == 2 and message in output, output
    assert (project / ".env").read_text() == "A=1\n"


def test_a_deeply_nested_record_is_ignored_with_a_warning(sm: Remote, project: Path) -> None:
    (project / ".env").write_text("A=1\n")
    assert secretsync(project, "push")[0] == 0
    [record] = (project / ".git" / "secretsync").glob("base-*.json")
    record.write_text('{"keys": ' + "[" * 100_000 + "]" * 100_000 + "}")
    code, output = secretsync(project, "diff")
    assert code == 0 and "is corrupt (nested too deeply)" in output


class _Silent:
    """A loopback server that accepts connections and never answers (or answers HTML)."""

    def __init__(self, html: bool = False) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.html = html
        self.held: list[socket.socket] = []
        threading.Thread(target=self._serve, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self) -> None:
        while True:
            try:
                connection, _ = self.sock.accept()
            except OSError:
                return
            self.held.append(connection)
            if self.html:
                connection.recv(65536)
                page = f"<html><body>Sign in to the wifi {CANARY}</body></html>".encode()
                connection.sendall(
                    b"HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: "
                    + str(len(page)).encode()
                    + b"\r\n\r\n"
                    + page
                )

    def close(self) -> None:
        self.sock.close()
        for connection in self.held:
            connection.close()


@pytest.fixture
def silent() -> Iterator[_Silent]:
    server = _Silent()
    yield server
    server.close()


@pytest.mark.usefixtures("processes")
def test_an_endpoint_that_never_answers_is_bounded_by_the_deadline(
    project: Path,
    silent: _Silent,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    # The processes exit on time, whatever their threads still wait for.
    env = {**os.environ, "AWS_ENDPOINT_URL": silent.url, "SECRETSYNC_TIMEOUT": "1"}
    for program, args in (("secretsync", ["diff"]), ("secretsync-check", [])):
        started = time.monotonic()
        result = run_program(project, *args, name=program, env=env)
        elapsed = time.monotonic() - started
        output = result.stdout + result.stderr
        assert result.returncode == 2, output
        assert elapsed < 5, elapsed
        assert "AWS did not answer within 1 s (waiting for: secretsmanager:GetSecretValue" in output
    started = time.monotonic()
    result = run_program(project, "--on-error", "warn", name="secretsync-check", env=env)
    assert result.returncode == 0 and time.monotonic() - started < 5
    assert "not checked (--on-error warn)" in result.stdout
    # Without SECRETSYNC_TIMEOUT the hook keeps its own deadline, whatever botocore's
    # retries and timeouts would add up to (HOOK_DEADLINE, shortened here).
    from secretsync_hooks.hooks.check import check_main
    from secretsync_hooks.remote import aws

    monkeypatch.setattr(aws, "HOOK_DEADLINE", 1.5)
    monkeypatch.setenv("AWS_ENDPOINT_URL", silent.url)
    started = time.monotonic()
    assert check_main(["--on-error", "warn"]) == 0
    assert 1.5 <= time.monotonic() - started < 5
    assert "AWS did not answer within 1.5 s" in capsys.readouterr().out


def test_an_endpoint_answering_a_web_page_is_named_and_not_dumped(project: Path) -> None:
    server = _Silent(html=True)
    try:
        write_config(project, "secrets_manager")
        (project / ".env").write_text("A=1\n")
        env = {**os.environ, "AWS_ENDPOINT_URL": server.url}
        for args in (["diff"], ["push"]):
            code, output = secretsync(project, *args, env=env)
            assert code == 2
            assert f"{server.url}/ did not answer like AWS" in output
            assert "Sign in" not in output and CANARY[:8] not in output
    finally:
        server.close()


def test_a_closed_pipe_or_a_full_disk_on_stdout_is_no_traceback(sm: Remote, project: Path) -> None:
    sm.seed({f"K{i}": "v" for i in range(500)})
    (project / ".env").write_text("A=1\n")
    program = str(Path(sys.executable).parent / "secretsync")
    piped = subprocess.run(  # noqa: S602 - a fixed pipeline, to close stdout early
        f"{program} diff --verbose | head -c 1 >/dev/null; echo ${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=project,
        capture_output=True,
        text=True,
    )
    assert "Traceback" not in piped.stderr and "Exception ignored" not in piped.stderr
    assert piped.stdout.strip() in ("1", "2")
    if Path("/dev/full").exists():
        with open("/dev/full", "w") as full:
            result = subprocess.run(
                [program, "diff", "--verbose"],
                cwd=project,
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
            )
        assert result.returncode == 2
        assert "cannot write the output: No space left on device" in result.stderr
        assert "Traceback" not in result.stderr
