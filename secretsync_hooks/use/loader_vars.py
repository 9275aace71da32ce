"""Variables that choose what runs: held back from a repository's values unless the user names them.

The values ``run`` and ``export`` hand on come from a ``.env`` in the repository or from the
remote: other people wrote them.  A variable such as ``PATH``, ``LD_PRELOAD`` or ``BASH_ENV``
would let them choose the program, library or start-up script that runs instead of the
command the user typed, so those are held back unless named with ``--allow-env NAME`` on the
command line (never from the config or the environment, which the repository could set).

:data:`TABLE` is the whole list: exact names, and prefixes written with a trailing ``*``.
Names are compared case-insensitively: POSIX tells ``path`` from ``PATH``, but Windows does
not, and a name that matters on one system is held back on all of them.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping

TABLE = (
    # Where programs are found and which shell runs a command line: the command's children
    # look every program up on PATH (PATHEXT says what counts as one on Windows), and
    # editors, pagers, make, npm and os.system hand command lines to SHELL or COMSPEC.
    "PATH",
    "PATHEXT",
    "COMSPEC",
    "SHELL",
    # The dynamic linker: LD_PRELOAD, LD_LIBRARY_PATH and LD_AUDIT (glibc, musl), DYLD_*
    # (macOS) load a library into every program started.
    "LD_*",
    "DYLD_*",
    # The rest of glibc's list of variables it ignores in set-uid programs
    # (sysdeps/generic/unsecvars.h): each makes the C library load code (GCONV_PATH: iconv
    # modules; GETCONF_DIR: programs getconf runs), read data that has been used to take a
    # program over (LOCPATH, NLSPATH: locale and message catalogues), write a file it
    # names (MALLOC_TRACE), tune its allocator (GLIBC_TUNABLES), or resolve host names
    # elsewhere.  TMPDIR and TZDIR are left out: they say where files are, not what runs.
    "GCONV_PATH",
    "GETCONF_DIR",
    "GLIBC_TUNABLES",
    "HOSTALIASES",
    "LOCALDOMAIN",
    "LOCPATH",
    "MALLOC_*",
    "NIS_PATH",
    "NLSPATH",
    "RES_OPTIONS",
    "RESOLV_HOST_CONF",
    # Shells run these: bash -c sources BASH_ENV, interactive sh/ksh source ENV, zsh reads
    # .zshenv from ZDOTDIR even for zsh -c, BASH_FUNC_* are exported functions that replace
    # commands, SHELLOPTS/BASHOPTS switch on xtrace (which expands PS4, running any $(...)),
    # prompts and PROMPT_COMMAND are expanded or run, FPATH autoloads functions, IFS and
    # CDPATH change what a script's words and cd mean.
    "BASH_ENV",
    "ENV",
    "ZDOTDIR",
    "BASH_FUNC_*",
    "SHELLOPTS",
    "BASHOPTS",
    "BASH_LOADABLES_PATH",
    "PS0",
    "PS1",
    "PS2",
    "PS3",
    "PS4",
    "PROMPT_COMMAND",
    "FPATH",
    "IFS",
    "CDPATH",
    # Where configuration that can run commands is read from: git (core.pager,
    # core.fsmonitor, aliases), shells (.bashrc, .zshenv), npm and many others read it under
    # HOME or XDG_CONFIG_HOME; the AWS CLI and SDKs run a config's credential_process,
    # kubectl a kubeconfig's exec plugin, docker a config's credential helper, and every
    # program using OpenSSL (Python's ssl too) loads the engines and providers its
    # configuration names.
    "HOME",
    "XDG_CONFIG_HOME",
    "XDG_CONFIG_DIRS",
    "AWS_CONFIG_FILE",
    "AWS_SHARED_CREDENTIALS_FILE",
    "KUBECONFIG",
    "DOCKER_CONFIG",
    "OPENSSL_CONF",
    "OPENSSL_ENGINES",
    "OPENSSL_MODULES",
    # git: GIT_SSH_COMMAND, GIT_EXEC_PATH, GIT_EXTERNAL_DIFF, GIT_PAGER, GIT_ASKPASS,
    # GIT_PROXY_COMMAND run programs; GIT_DIR and GIT_CONFIG_* bring hooks and config.
    "GIT_*",
    # Programs that other programs start on the user's behalf: editors (git commit, crontab,
    # bash's fc, sudoedit), pagers (git, man, psql), less's input filters and options,
    # browsers (Python's webbrowser, xdg-open) and password prompts (ssh, sudo).
    "EDITOR",
    "VISUAL",
    "FCEDIT",
    "SUDO_EDITOR",
    "PAGER",
    "MANPAGER",
    "LESS",
    "LESSOPEN",
    "LESSCLOSE",
    "LESSEDIT",
    "LESSKEY",
    "LESSKEYIN",
    "BROWSER",
    "SSH_ASKPASS",
    "SUDO_ASKPASS",
    # Python imports from PYTHONPATH, PYTHONHOME, PYTHONPLATLIBDIR and the user site under
    # PYTHONUSERBASE (whose .pth files run code), runs PYTHONSTARTUP, imports the callable
    # PYTHONBREAKPOINT names and the warning category PYTHONWARNINGS names, reads bytecode
    # from PYTHONPYCACHEPREFIX, matches module names loosely with PYTHONCASEOK, stays in an
    # interactive prompt with PYTHONINSPECT; VIRTUAL_ENV picks the environment poetry,
    # pipenv and others run programs from.
    "PYTHONPATH",
    "PYTHONHOME",
    "PYTHONPLATLIBDIR",
    "PYTHONUSERBASE",
    "PYTHONSTARTUP",
    "PYTHONBREAKPOINT",
    "PYTHONWARNINGS",
    "PYTHONPYCACHEPREFIX",
    "PYTHONCASEOK",
    "PYTHONINSPECT",
    "PYTHONEXECUTABLE",
    "VIRTUAL_ENV",
    # Node preloads NODE_OPTIONS' --require/--import and searches NODE_PATH; npm and yarn
    # read every npm_config_* / YARN_* variable as configuration (script-shell, node-options,
    # yarnPath: the program they run).
    "NODE_OPTIONS",
    "NODE_PATH",
    "NODE_REPL_EXTERNAL_MODULE",
    "NPM_CONFIG_*",
    "YARN_*",
    # Perl, Ruby, Lua, Tcl, PHP, PowerShell: options and libraries loaded before the script
    # (PERL5OPT=-Mmodule, RUBYOPT=-rlib, LUA_INIT=@file.lua, php.ini's auto_prepend_file),
    # and the Gemfile bundler evaluates.
    "PERL5OPT",
    "PERL5LIB",
    "PERLLIB",
    "PERL5DB",
    "PERL5SHELL",
    "RUBYOPT",
    "RUBYLIB",
    "RUBYSHELL",
    "GEM_HOME",
    "GEM_PATH",
    "BUNDLE_GEMFILE",
    "LUA_INIT*",
    "LUA_PATH*",
    "LUA_CPATH*",
    "TCLLIBPATH",
    "PHPRC",
    "PHP_INI_SCAN_DIR",
    "PSMODULEPATH",
    # The JVM loads -javaagent: and -XX: options from these in every java started, the
    # launch scripts of most Java tools (gradle, maven, tomcat) from JAVA_OPTS, MAVEN_OPTS
    # and GRADLE_OPTS; JAVA_HOME picks the java they run, CLASSPATH the classes, and gradle
    # runs the init scripts under GRADLE_USER_HOME.
    "JAVA_TOOL_OPTIONS",
    "_JAVA_OPTIONS",
    "JDK_JAVA_OPTIONS",
    "JAVA_OPTS",
    "JAVA_HOME",
    "CLASSPATH",
    "MAVEN_OPTS",
    "GRADLE_OPTS",
    "GRADLE_USER_HOME",
    # Toolchains that run programs a variable names: go's GOFLAGS=-toolexec=, GOENV (a file
    # of more settings), GOROOT and GOTOOLCHAIN (which go runs); rustc wrappers, flags
    # (-C linker=), toolchains and every cargo setting (target runners, rustc-wrapper); C
    # compilers and their flags (-B, -fplugin=) used by make, pip, node-gyp and cgo; the
    # makefiles make reads before the project's own.
    "GOFLAGS",
    "GOENV",
    "GOROOT",
    "GOTOOLCHAIN",
    "RUSTC*",
    "RUSTFLAGS",
    "RUSTDOCFLAGS",
    "RUSTUP_*",
    "CARGO_*",
    "CC",
    "CXX",
    "CPP",
    "LD",
    "AR",
    "CFLAGS",
    "CXXFLAGS",
    "CPPFLAGS",
    "LDFLAGS",
    "MAKEFILES",
    "MAKEFLAGS",
    # .NET loads the assemblies of DOTNET_STARTUP_HOOKS into every program, and a profiler
    # library where CoreCLR's and the .NET Framework's profiling variables say.
    "DOTNET_STARTUP_HOOKS",
    "DOTNET_ADDITIONAL_DEPS",
    "CORECLR_*",
    "COR_ENABLE_PROFILING",
    "COR_PROFILER*",
    # Tools' own start-up settings that run commands: tar's options (--checkpoint-action=
    # exec=), vi's start-up commands and rc files, psql's and mercurial's rc files (\! and
    # hooks), the remote shell of rsync and cvs, gnupg's home (its pinentry program), wget's
    # and curl's rc files, screen's.
    "TAR_OPTIONS",
    "VIMINIT",
    "GVIMINIT",
    "EXINIT",
    "MYVIMRC",
    "PSQLRC",
    "HGRCPATH",
    "RSYNC_RSH",
    "CVS_RSH",
    "GNUPGHOME",
    "WGETRC",
    "CURL_HOME",
    "SCREENRC",
    # Where the command's connections go, and whom it trusts there: a proxy or a certificate
    # authority of the repository's would see (and a key log would record) whatever the
    # command sends, its credentials included; AWS SDKs send theirs to AWS_ENDPOINT_URL*.
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "SSLKEYLOGFILE",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "NODE_EXTRA_CA_CERTS",
    "NODE_TLS_REJECT_UNAUTHORIZED",
    "PYTHONHTTPSVERIFY",
    "AWS_CA_BUNDLE",
    "AWS_ENDPOINT_URL*",
    # Where package managers fetch the code they install and run: pip's and uv's indexes and
    # config files, go's module proxy and checksum database.
    "PIP_*",
    "UV_*",
    "GOPROXY",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOINSECURE",
    "GOPRIVATE",
)
NAMES = frozenset(entry for entry in TABLE if not entry.endswith("*"))
PREFIXES = tuple(entry[:-1] for entry in TABLE if entry.endswith("*"))


def chooses_what_runs(name: str) -> bool:
    """Whether the variable ``name`` (in any case) is one of :data:`TABLE`."""
    upper = name.upper()
    return upper in NAMES or upper.startswith(PREFIXES)


def hold_back(
    values: Mapping[str, str], allowed: Collection[str]
) -> tuple[dict[str, str], list[str]]:
    """``values`` without the variables that choose what runs, and the names left out.
    A name in ``allowed`` (exactly as written: the user named that key) passes."""
    passed: dict[str, str] = {}
    held: list[str] = []
    for key, value in values.items():
        if key not in allowed and chooses_what_runs(key):
            held.append(key)
        else:
            passed[key] = value
    return passed, held
