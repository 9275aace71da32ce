"""``import``: keys from chamber (both layouts), JSON exports (Doppler's object, Infisical's
list), another .env and the other backend merged into the .env, losslessly and in the source's
order; clashes only with --force; the pull's guards on the write; what the configured backend
could not hold said by key name; a migration between the backends exact key by key; and no
imported value on any output."""

from __future__ import annotations

import json
import os
import stat
import subprocess
from pathlib import Path

import pytest

from secretsync_hooks.imports import chamber
from secretsync_hooks.imports.files import SourceError, parse_json
from secretsync_hooks.local.env_file import EnvFile
from secretsync_hooks.redact import Redactor
from tests.helpers import GIT_IDENTITY, PATH, SECRET, Remote, run_in_process, write_config
from tests.json_contract import validated
from tests.moto_server import MotoServer
from tests.test_canary import leaks

ENV = "# settings\nexport KEEP='Kp1Zq8Wx3Ec'   # inline\r\n\nSAME=Sm2Rf5Tg7Yh\nOLD=Ol3Uj6Ik9Pm\n"
# Values a .env must carry exactly: quotes, '$', '#', spaces, a line break, non-ASCII.
TRICKY = {
    "DB_URL": "postgres://app:Pw4Vb7Nm0Qa@db:5432/app?ssl=1",
    "QUOTES": "Qt5'Cx8\"Zs1 $HOME #no-comment",
    "PEM": "-----BEGIN KEY-----\nMl6Kj9Hg2Fd\n-----END KEY-----",
    "UNICODE": "Ün7Ïc0Ødé-ñ",
    "SPACES": "  Sp8Ac3Es  ",
}


def secretsync(project: Path, *args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = run_in_process(project, *args, input=stdin)
    return result.returncode, result.stdout, result.stderr


def values(path: Path) -> dict[str, str]:
    return EnvFile.load(path).values()


@pytest.fixture
def ps(project: Path, moto_server: MotoServer) -> Remote:
    """A project configured for Parameter Store, and a client of the moto server's SSM."""
    write_config(project, "parameter_store")
    return Remote("parameter_store", moto_server.url)


@pytest.fixture
def sm(project: Path, moto_server: MotoServer) -> Remote:
    """A project configured for Secrets Manager, and a client of its Secrets Manager."""
    write_config(project, "secrets_manager")
    return Remote("secrets_manager", moto_server.url)


def put_parameters(remote: Remote, prefix: str, pairs: dict[str, str]) -> None:
    for key, value in pairs.items():
        remote.client.put_parameter(Name=prefix + key, Value=value, Type="SecureString")


# -- chamber ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name"),
    [("db-url", "DB_URL"), ("a.b", "A.B"), ("log_level", "LOG_LEVEL"), ("X-Y.z-1", "X_Y.Z_1")],
)
def test_chamber_names_keys_as_chamber_exec_does(key: str, name: str) -> None:
    # environ/environ.go normalizeEnvVarName: strings.ToUpper, then "-" -> "_"; "." stays.
    assert chamber.env_name(key) == name


def test_chamber_parameter_store_layout(ps: Remote, project: Path, moto_server: MotoServer) -> None:
    (project / ".env").write_bytes(ENV.encode())
    put_parameters(
        ps,
        "/myapp/",
        {
            "db-url": TRICKY["DB_URL"],
            "a.b": "Ab4Cd7Ef0Gh",
            "same": "Sm2Rf5Tg7Yh",
            chamber.SSM_METADATA: '{"includedServices": []}',
        },
    )
    put_parameters(ps, "/myapp/deeper/", {"other": "Dp1Qq2Ww3"})  # not chamber's: not read
    moto_server.injector.calls.clear()
    code, out, err = secretsync(project, "import", "--from", "chamber", "MyApp")
    assert code == 0, err
    assert "db-url -> DB_URL" in out and "a.b -> A.B" in out
    assert "__chamber.service.metadata (chamber's bookkeeping)" in out
    appended = f"DB_URL='{TRICKY['DB_URL']}'\nA.B=Ab4Cd7Ef0Gh\n"
    assert (project / ".env").read_bytes() == (ENV + appended).encode()  # `same` is SAME
    assert sum(moto_server.injector.calls.values()) == 1  # one GetParametersByPath page


def test_chamber_secrets_manager_layout_leaves_out_its_metadata(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    document = {"db-url": "Db1Xx2Cc3", "api-key": "Ak4Vv5Bb6", "_chamber_metadata": "{}"}
    Remote("secrets_manager", moto_server.url).client.create_secret(
        Name="myapp", SecretString=json.dumps(document)
    )
    args = ("import", "--from", "chamber", "myapp", "--format", "json")
    code, out, err = secretsync(project, *args)
    assert code == 2 and "(parameter path /myapp/) has no parameters" in err  # ssm: default
    assert "--chamber-backend secretsmanager" in err
    code, out, err = secretsync(project, *args, "--chamber-backend", "secretsmanager")
    assert code == 0, err
    report = validated(out)
    assert report["added"] == ["DB_URL", "API_KEY"] and report["skipped"] == ["_chamber_metadata"]
    assert report["created"] is True and report["source"]["where"] == (
        "chamber service myapp (secret myapp)"
    )
    assert values(project / ".env") == {"DB_URL": "Db1Xx2Cc3", "API_KEY": "Ak4Vv5Bb6"}
    (project / ".env").write_text("DB_URL=mine\n")
    code, out, err = secretsync(project, *args[:-2], "--chamber-backend", "secretsmanager")
    assert code == 1  # a clash: the command it proposes reads the same layout
    assert "import --from chamber myapp --chamber-backend secretsmanager --force" in err


def test_chamber_keys_that_would_share_a_name_are_refused(ps: Remote, project: Path) -> None:
    put_parameters(ps, "/svc/", {"db-url": "Cl1Aa2Sh3", "DB_URL": "Cl4Bb5Sh6"})
    code, out, err = secretsync(project, "import", "--from", "chamber", "svc")
    assert code == 2 and "both become DB_URL" in err
    assert not (project / ".env").exists()
    assert leaks(out + err, {"Cl1Aa2Sh3", "Cl4Bb5Sh6"}) == set()


# -- JSON and dotenv files --------------------------------------------------------------------


def test_json_object_and_infisical_list(ps: Remote, project: Path) -> None:
    (project / "doppler.json").write_text(json.dumps(TRICKY))
    code, _, err = secretsync(project, "import", "--from", "json", "doppler.json")
    assert code == 0, err
    assert values(project / ".env") == TRICKY
    assert list(values(project / ".env")) == list(TRICKY)  # the source's order
    infisical = [
        {"key": "LIST_A", "value": "La1Zz2", "type": "shared", "environment": "dev"},
        {"key": "DB_URL", "value": TRICKY["DB_URL"], "workspace": "w1"},
        {"key": "LIST_B", "value": "", "type": "shared"},
    ]
    (project / "infisical.json").write_text(json.dumps(infisical))
    code, out, err = secretsync(project, "import", "--from", "json", "infisical.json")
    assert code == 0, err
    assert "added 2 (LIST_A, LIST_B); 1 already the same (DB_URL)" in out
    assert values(project / ".env") == {**TRICKY, "LIST_A": "La1Zz2", "LIST_B": ""}
    # Parameter Store is configured: it cannot hold the empty value, said by key.
    assert "Parameter Store cannot hold LIST_B (an empty value" in err


REFUSED = [
    ('["Rv1Ee2"]', "item 1 of the list is a string, not an object"),
    ('{"A": 5}', "the value of A is a number, not a string"),
    ('{"A": {"B": "Rv1Ee2"}}', "the value of A is an object, not a string"),
    ('{"A": null}', "the value of A is null, not a string"),
    ('{"A": "Rv1Ee2", "A": "x"}', "the key A appears twice in one object"),
    ('"Rv1Ee2"', "holds a string, not a flat JSON object"),
    ('[{"key": "A", "value": 1}]', 'item 1 of the list (A) has a "value" that is a number'),
    ('[{"value": "Rv1Ee2"}]', 'item 1 of the list has no "key"'),
    ('[{"key": "A", "value": "Rv1Ee2"}, {"key": "A", "value": "x"}]', "A is listed twice"),
    ('{"A": "Rv1Ee2",', "not JSON (Expecting property name enclosed in double quotes: line 1"),
    ('{"BAD KEY\'": "Rv1Ee2"}', "a name a .env file cannot hold"),
    ('{"A=B": "Rv1Ee2"}', "a name with '=' or a NUL character"),
    ('{"": "Rv1Ee2"}', "an empty name: "),
    ('{"A": "Rv1\\u0000Ee2"}', "a value with a NUL character"),
]


@pytest.mark.parametrize(("document", "reason"), REFUSED)
def test_other_shapes_and_values_are_refused_naming_the_place_not_the_value(
    project: Path, document: str, reason: str
) -> None:
    write_config(project, "secrets_manager")
    (project / "export.json").write_text(document)
    (project / ".env").write_bytes(ENV.encode())
    code, out, err = secretsync(project, "import", "--from", "json", "export.json")
    assert code == 2 and reason in err and "nothing was imported" in err, err
    assert "Traceback" not in err and (project / ".env").read_bytes() == ENV.encode()
    assert leaks(out + err, {"Rv1Ee2"}) == set()


def test_dotenv_file_and_stdin(sm: Remote, project: Path) -> None:
    other = "# exported\nexport A=Dv1Aa2Bb3\nB='Dv4 Cc5'\nC=\"line\\nbreak\"\n"
    (project / "vault.env").write_text(other)
    code, _, err = secretsync(project, "import", "--from", "dotenv", "vault.env")
    assert code == 0, err
    assert (project / ".env").read_text() == "A=Dv1Aa2Bb3\nB='Dv4 Cc5'\nC=\"line\\nbreak\"\n"
    piped = json.dumps({"D": "Dv6Ee7"})
    code, out, err = secretsync(project, "import", "--from", "json", "-", stdin=piped)
    assert code == 0 and "Imported from standard input" in out, err
    assert values(project / ".env")["D"] == "Dv6Ee7"
    (project / "broken.env").write_text("A=1\nthis is no statement\n")
    code, _, err = secretsync(project, "import", "--from", "dotenv", "broken.env")
    assert code == 2 and "broken.env: cannot read 1 statement" in err and "line 2" in err


# -- the merge and the write ------------------------------------------------------------------


def test_a_clash_needs_force_and_the_rest_of_the_file_is_kept(sm: Remote, project: Path) -> None:
    (project / ".env").write_bytes(ENV.encode())
    (project / "in.json").write_text(
        json.dumps({"NEW": "Nw1Zx2Cv3", "OLD": "Ol9New8Val", "SAME": "Sm2Rf5Tg7Yh"})
    )
    code, out, err = secretsync(project, "import", "--from", "json", "in.json")
    assert code == 1 and out == ""
    assert "import would overwrite OLD in" in err and "nothing was written" in err
    assert "`secretsync import --from json in.json --force`" in err
    assert (project / ".env").read_bytes() == ENV.encode()  # not even NEW
    code, out, err = secretsync(project, "import", "--from", "json", "in.json", "--force")
    assert code == 0, err
    assert "added 1 (NEW); overwrote 1 (OLD); 1 already the same (SAME)" in out
    expected = ENV.replace("Ol3Uj6Ik9Pm", "Ol9New8Val") + "NEW=Nw1Zx2Cv3\n"
    assert (project / ".env").read_bytes() == expected.encode()  # one token, one line more
    code, out, _ = secretsync(project, "import", "--from", "json", "in.json")
    assert code == 0 and out.startswith("Nothing to import from in.json")


def test_a_dry_run_writes_nothing(sm: Remote, project: Path) -> None:
    (project / "in.json").write_text(json.dumps({"A": "Dr1Yy2Rr3"}))
    code, out, _ = secretsync(project, "import", "--from", "json", "in.json", "--dry-run")
    assert code == 0 and "would add 1 (A)" in out and "Nothing was changed." in out
    assert not (project / ".env").exists()
    (project / ".env").write_text("A=other\n")
    args = ("import", "--from", "json", "in.json", "--dry-run", "--format", "json")
    code, out, _ = secretsync(project, *args)
    report = validated(out)
    assert code == 0 and report["dry_run"] is True and report["needs_force"] == ["A"]
    assert report["written"] is False and (project / ".env").read_text() == "A=other\n"


def test_a_new_env_file_is_created_with_mode_0600(sm: Remote, project: Path) -> None:
    (project / "in.json").write_text(json.dumps({"A": "Md1Oo2Ee3"}))
    umask = os.umask(0)  # even where new files would be readable by everyone
    try:
        code, out, err = secretsync(project, "import", "--from", "json", "in.json")
    finally:
        os.umask(umask)
    assert code == 0 and "(created, mode 0600)" in out, err
    assert stat.S_IMODE((project / ".env").stat().st_mode) == 0o600


def test_a_tracked_env_file_is_refused_as_pull_refuses_it(sm: Remote, project: Path) -> None:
    (project / ".git").rmdir()
    env = {**os.environ, **GIT_IDENTITY}
    for args in (["init", "-q", "-b", "main"], ["add", "-f", ".env"], ["commit", "-qm", "oops"]):
        if args[0] == "add":
            (project / ".env").write_text("LOCAL=1\n")
        subprocess.run(["git", *args], cwd=project, env=env, check=True, capture_output=True)
    (project / "in.json").write_text(json.dumps({"A": "Tr1Kk2Dd3"}))
    code, _, err = secretsync(project, "import", "--from", "json", "in.json")
    assert code == 2 and ".env is tracked by git" in err and "--allow-tracked" in err
    assert (project / ".env").read_text() == "LOCAL=1\n"
    code, out, _ = secretsync(project, "import", "--from", "json", "in.json", "--dry-run")
    assert code == 0 and "would add 1 (A)" in out  # nothing written: allowed
    code, _, err = secretsync(project, "import", "--from", "json", "in.json", "--allow-tracked")
    assert code == 0, err
    assert values(project / ".env") == {"LOCAL": "1", "A": "Tr1Kk2Dd3"}


def test_a_link_out_of_the_work_tree_is_refused(sm: Remote, project: Path, tmp_path: Path) -> None:
    outside = tmp_path.parent / f"{tmp_path.name}-outside"
    outside.mkdir()
    (project / "cfg").symlink_to(outside, target_is_directory=True)
    (project / "in.json").write_text(json.dumps({"B": "Ln1Kk2Oo3"}))
    args = ("import", "--from", "json", "in.json", "--env-file", "cfg/.env")
    code, _, err = secretsync(project, *args)
    assert code == 2 and f"symbolic link to {outside / '.env'}, outside the work tree" in err
    assert list(outside.iterdir()) == []


def test_an_edit_made_since_the_read_is_never_overwritten(project: Path, aws: None) -> None:
    from secretsync_hooks.config.settings import load_config
    from secretsync_hooks.errors import EnvFileError
    from secretsync_hooks.imports.plan import plan_import, write
    from secretsync_hooks.imports.sources import Source

    write_config(project, "secrets_manager")
    (project / ".env").write_text("A=1\n")
    config = load_config()
    planned = plan_import(config, Redactor(), Source("json", "x", "x", {"B": "Ed1Ii2Tt3"}))
    (project / ".env").write_text("A=1\nSAVED=by-an-editor\n")
    with pytest.raises(EnvFileError, match="changed while secretsync was running"):
        write(planned)
    assert (project / ".env").read_text() == "A=1\nSAVED=by-an-editor\n"


def test_a_local_key_is_imported_and_never_counted_as_unmovable(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "parameter_store", "[keys.MINE]\nlocal = true\n")
    (project / "in.json").write_text(json.dumps({"MINE": "", "SHARED": ""}))
    code, out, err = secretsync(project, "import", "--from", "json", "in.json", "--format", "json")
    assert code == 0, err
    report = validated(out)
    assert report["added"] == ["MINE", "SHARED"]
    assert report["cannot_move"] == [
        "Parameter Store cannot hold SHARED (an empty value, which SSM rejects): remove it from "
        'the .env, give it a value, or use Secrets Manager (type = "secrets_manager"), which '
        "holds empty values"
    ]


# -- the other backend: a migration -----------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new"), [("secrets_manager", "parameter_store"), ("parameter_store", "secrets_manager")]
)
def test_a_migration_between_the_backends_is_exact_key_by_key(
    project: Path, moto_server: MotoServer, old: str, new: str
) -> None:
    before = Remote(old, moto_server.url)
    before.seed(TRICKY)
    write_config(project, new)
    kind, name = (
        ("secrets-manager", SECRET) if old == "secrets_manager" else ("parameter-store", PATH)
    )
    code, out, err = secretsync(project, "import", "--from", kind, name)
    assert code == 0, err
    assert secretsync(project, "push")[0] == 0
    after = Remote(new, moto_server.url).values()
    assert after == before.values() == TRICKY
    assert secretsync(project, "diff")[0] == 0
    assert leaks(out + err, TRICKY.values()) == set()


def test_what_parameter_store_cannot_hold_is_said_by_key(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    large = "Lg1" * 1400  # 4200 bytes: over the Standard tier's 4096
    Remote("secrets_manager", moto_server.url).client.create_secret(
        Name="legacy/app",
        SecretString=json.dumps({"EMPTY": "", "LARGE": large, "a b": "Sp1Cc2", "OK": "Ok1Kk2"}),
    )
    code, out, err = secretsync(project, "import", "--from", "secrets-manager", "legacy/app")
    assert code == 0, err
    assert "Parameter Store cannot hold EMPTY (an empty value" in err
    assert "Parameter Store cannot hold LARGE (value over 4096 bytes on the Standard tier)" in err
    assert "Parameter Store cannot hold a b (characters outside a-zA-Z0-9_.- in the key" in err
    assert leaks(out + err, {large, "Sp1Cc2", "Ok1Kk2"}) == set()
    code, _, err = secretsync(project, "push")
    assert code == 2 and "Parameter Store would refuse 3 keys" in err  # as said


def test_a_source_with_nothing_in_it_is_an_error(ps: Remote, project: Path) -> None:
    for args, said in (
        (("secrets-manager", "no/such"), "secret no/such does not exist in us-east-1"),
        (("parameter-store", "/no/such"), "parameter path /no/such/ has no parameters"),
        (("parameter-store", "no/such"), "must start with '/'"),
        (("chamber", "bad:name"), "'bad:name' is not a chamber service name"),
        (("json", "missing.json"), "missing.json: no such file"),
        (("json", "x.json", "--chamber-backend", "ssm"), "applies to --from chamber, not"),
    ):
        code, out, err = secretsync(project, "import", "--from", *args)
        assert (code, out) == (2, "") and said in err, (args, err)
    code, out, err = secretsync(project, "import", "--format", "json")
    assert code == 2 and "import needs a source and its argument" in err
    assert validated(out)["error"]["kind"] == "error"


# -- never a value ----------------------------------------------------------------------------


def test_no_imported_value_in_any_output(
    ps: Remote, project: Path, moto_server: MotoServer
) -> None:
    put_parameters(ps, "/canary/", {"api-key": "Cn1Ar2Yy3Kk4", "token": "Cn5Ar6Yy7Tt8"})
    (project / "in.json").write_text(json.dumps({**TRICKY, "EMPTY": ""}))
    (project / "bad.json").write_text(json.dumps({"A": "Cn9Ar0Bad1", "B": 7}))
    secret = {"S1": "Cn2Ar3Sm4", "S2": "Cn5Ar6Sm7"}
    Remote("secrets_manager", moto_server.url).client.create_secret(
        Name="canary", SecretString=json.dumps(secret)
    )
    canaries = {*TRICKY.values(), "Cn1Ar2Yy3Kk4", "Cn5Ar6Yy7Tt8", "Cn9Ar0Bad1", *secret.values()}
    outputs = []
    sources = [
        ["chamber", "canary"],
        ["json", "in.json"],
        ["json", "bad.json"],
        ["secrets-manager", "canary"],
    ]
    for source in sources:
        for extra in (["--dry-run"], [], ["--debug"], ["--force", "--debug"]):
            for fmt in ("table", "json"):
                args = ["import", "--from", *source, *extra, "--format", fmt]
                code, out, err = secretsync(project, *args)
                assert code in (0, 1, 2), (args, err)
                if fmt == "json":
                    validated(out)
                outputs.append((args, out + err))
        (project / ".env").write_text("API_KEY=other\nDB_URL=other\nS1=other\n")  # clashes
    assert any("refused" in output for _, output in outputs)
    for args, output in outputs:
        assert leaks(output, canaries) == set(), args


def test_the_command_offers_the_sources_the_core_reads() -> None:
    from secretsync_hooks.cli.commands import importing
    from secretsync_hooks.imports import sources

    assert importing.SOURCES == sources.KINDS == tuple(sources.ARGUMENTS)
    assert importing.CHAMBER_BACKENDS == chamber.BACKENDS


def test_a_parse_error_is_one_message(project: Path) -> None:
    with pytest.raises(SourceError) as raised:
        parse_json('{"A": [1, 2', "x.json")
    assert "x.json: not JSON" in str(raised.value)


def test_reading_registers_every_value_with_the_redactor(project: Path, aws: None) -> None:
    from secretsync_hooks.config.settings import load_config
    from secretsync_hooks.imports.plan import plan_import
    from secretsync_hooks.imports.sources import read_source

    write_config(project, "parameter_store")
    Remote("parameter_store").client.put_parameter(
        Name="/svc/db-password", Value="Rd1Aa2Cc3Tt4", Type="SecureString"
    )
    redactor = Redactor()
    config = load_config()
    source = read_source(config, redactor, "chamber", "svc")
    assert dict(source.values) == {"DB_PASSWORD": "Rd1Aa2Cc3Tt4"}
    assert "Rd1Aa2Cc3Tt4" not in redactor("the value Rd1Aa2Cc3Tt4 leaked")
    planned = plan_import(config, redactor, source)
    assert (planned.added, planned.cannot_move) == (("DB_PASSWORD",), ())
    assert "Rd1Aa2Cc3Tt4" not in repr(planned) + repr(source)


def test_a_long_import_is_summed_up_not_listed_whole(
    project: Path, moto_server: MotoServer
) -> None:
    write_config(project, "secrets_manager")
    source = project / "export.json"
    source.write_text(json.dumps({f"KEY_{i:04}": "v" for i in range(500)}))
    code, out, err = secretsync(project, "import", "--from", "json", str(source))
    assert code == 0, err
    assert "KEY_0019, ... and 480 more" in out + err
    assert "KEY_0020" not in out + err


def test_an_unterminated_string_is_said_once(project: Path, moto_server: MotoServer) -> None:
    write_config(project, "secrets_manager")
    (project / "bad.json").write_text('{"A": "Qz8unterminated')
    code, _, err = secretsync(project, "import", "--from", "json", "bad.json")
    assert code == 2
    assert "Unterminated string starting at: line 1" in err and "at at" not in err
    assert "Qz8unterminated" not in err
