"""The layers of the package, checked (docs/explanation/architecture.md draws them): each
package imports only the packages below it, nothing imports a front (the CLI or the hooks),
and no two modules import each other when they are loaded."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "secretsync_hooks"
BASICS = "(top level)"  # errors, text, masking, redact, models, options ...

# What each package may import, besides itself. The order is that of the architecture doc.
ALLOWED: dict[str, set[str]] = {
    BASICS: set(),
    "local": {BASICS},
    "config": {BASICS, "local"},
    "remote": {BASICS, "local", "config"},
    "sync": {BASICS, "local", "config", "remote"},
    "timeline": {BASICS, "local", "config", "remote", "sync"},
    "guard": {BASICS, "local", "config", "remote", "sync"},
    "keys": {BASICS, "local", "config", "remote", "sync"},
    "imports": {BASICS, "local", "config", "remote", "sync"},
    "setup": {BASICS, "local", "config", "remote", "sync"},
    "use": {BASICS, "local", "config", "remote", "sync", "guard"},
    "render": {
        BASICS,
        "local",
        "config",
        "remote",
        "sync",
        "timeline",
        "guard",
        "keys",
        "imports",
        "use",
    },
    "cli": {
        BASICS,
        "local",
        "config",
        "remote",
        "sync",
        "timeline",
        "guard",
        "keys",
        "imports",
        "setup",
        "use",
        "render",
    },
    "hooks": {
        BASICS,
        "local",
        "config",
        "remote",
        "sync",
        "timeline",
        "guard",
        "keys",
        "imports",
        "use",
        "render",
    },
}
FRONTS = {"__main__": "cli"}  # python -m secretsync_hooks is the CLI


class Import:
    def __init__(self, source: str, target: str, line: int, *, at_load: bool) -> None:
        self.source, self.target, self.line, self.at_load = source, target, line, at_load

    def __repr__(self) -> str:
        return f"{self.source}:{self.line} imports {self.target}"


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def package_of(module: str) -> str:
    parts = module.split(".")
    if len(parts) == 2 and parts[1] in FRONTS:
        return FRONTS[parts[1]]
    if len(parts) == 2 or (len(parts) > 2 and parts[1] not in ALLOWED):
        return BASICS
    return parts[1] if len(parts) > 1 else BASICS


def imports(module: str, source: str, known: set[str]) -> Iterator[Import]:
    """The package's own imports in ``source``: those run when the module is loaded
    (``at_load``), and those inside functions; ``if TYPE_CHECKING:`` blocks run never."""

    def walk(node: ast.AST, at_load: bool) -> Iterator[Import]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and "TYPE_CHECKING" in ast.unparse(child.test):
                yield from walk(ast.Module(body=child.orelse, type_ignores=[]), at_load)
                continue
            if isinstance(child, ast.ImportFrom) and child.level == 0 and child.module:
                for target in _targets(child.module, [a.name for a in child.names], known):
                    yield Import(module, target, child.lineno, at_load=at_load)
            elif isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name.split(".")[0] == "secretsync_hooks":
                        yield Import(module, alias.name, child.lineno, at_load=at_load)
            inner = at_load and not isinstance(
                child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda
            )
            yield from walk(child, inner)

    yield from walk(ast.parse(source), True)


def _targets(module: str, names: list[str], known: set[str]) -> list[str]:
    if module.split(".")[0] != "secretsync_hooks":
        return []
    submodules = [f"{module}.{name}" for name in names if f"{module}.{name}" in known]
    return submodules or [module]


def package_imports() -> list[Import]:
    paths = sorted(PACKAGE.rglob("*.py"))
    known = {module_name(path) for path in paths}
    found: list[Import] = []
    for path in paths:
        found.extend(imports(module_name(path), path.read_text(), known))
    return found


def breaches(found: list[Import]) -> list[Import]:
    """Imports of a package that the source's package may not import."""
    bad = []
    for edge in found:
        source, target = package_of(edge.source), package_of(edge.target)
        if source != target and target not in ALLOWED[source]:
            bad.append(edge)
    return bad


def cycles(found: list[Import]) -> list[list[str]]:
    """Groups of modules that import one another when loaded (Tarjan's strongly connected
    components of the load-time graph)."""
    graph: dict[str, set[str]] = {}
    for edge in found:
        if edge.at_load and edge.target != edge.source:
            graph.setdefault(edge.source, set()).add(edge.target)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def test_each_package_imports_only_the_packages_below_it() -> None:
    assert breaches(package_imports()) == []


def test_no_modules_import_each_other_when_loaded() -> None:
    assert cycles(package_imports()) == []


def test_every_package_has_a_place_in_the_layers() -> None:
    packages = {path.name for path in PACKAGE.iterdir() if (path / "__init__.py").is_file()}
    assert packages <= set(ALLOWED), packages - set(ALLOWED)


KNOWN = {
    "secretsync_hooks.errors",
    "secretsync_hooks.sync.engine",
    "secretsync_hooks.sync.differ",
    "secretsync_hooks.render.terminal",
    "secretsync_hooks.cli.main",
}


@pytest.mark.parametrize(
    ("module", "source", "expected"),
    [
        # a core module that reaches up to the rendering
        (
            "secretsync_hooks.sync.engine",
            "from secretsync_hooks.render import terminal\n",
            ["secretsync_hooks.sync.engine:1 imports secretsync_hooks.render.terminal"],
        ),
        # ... even from inside a function
        (
            "secretsync_hooks.sync.engine",
            "def f():\n    import secretsync_hooks.cli.main\n",
            ["secretsync_hooks.sync.engine:2 imports secretsync_hooks.cli.main"],
        ),
        # a basic module that needs the sync core
        (
            "secretsync_hooks.errors",
            "from secretsync_hooks.sync.differ import Comparison\n",
            ["secretsync_hooks.errors:1 imports secretsync_hooks.sync.differ"],
        ),
        # what is imported only for the type checker does not count
        (
            "secretsync_hooks.errors",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
            "    from secretsync_hooks.cli.main import cli\n",
            [],
        ),
        ("secretsync_hooks.render.terminal", "from secretsync_hooks.sync import differ\n", []),
    ],
)
def test_a_breach_is_found(module: str, source: str, expected: list[str]) -> None:
    assert [repr(edge) for edge in breaches(list(imports(module, source, KNOWN)))] == expected


def test_a_cycle_is_found_at_load_but_not_through_a_function() -> None:
    a, b, c = "secretsync_hooks.sync.a", "secretsync_hooks.sync.b", "secretsync_hooks.sync.c"
    found = [
        Import(a, b, 1, at_load=True),
        Import(b, c, 1, at_load=True),
        Import(c, a, 1, at_load=True),
    ]
    assert cycles(found) == [sorted([a, b, c])]
    found[2] = Import(c, a, 1, at_load=False)
    assert cycles(found) == []


def test_the_contributing_guide_maps_every_module() -> None:
    guide = (ROOT / "CONTRIBUTING.md").read_text()
    missing = [
        path.relative_to(ROOT).as_posix()
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "__init__.py" and path.relative_to(ROOT).as_posix() not in guide
    ]
    assert missing == []


@pytest.mark.usefixtures("processes")
def test_loading_the_fronts_imports_nothing_heavy() -> None:
    """A hook runs on every commit: loading it reads no AWS SDK, no rich and no click; the
    command line loads click, and boto3 or rich only when a command needs them."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "heavy = ('boto3', 'botocore', 'rich', 'click')\n"
        "def loaded(): return sorted({m.split('.')[0] for m in sys.modules} & set(heavy))\n"
        "import secretsync_hooks.hooks.check, secretsync_hooks.hooks.scan\n"
        "import secretsync_hooks.hooks.forbid_env\n"
        "print(loaded())\n"
        "import secretsync_hooks.cli.main\n"
        "print(loaded())\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.splitlines() == ["[]", "['click']"]


def private_crossings(name: str, source: str) -> list[str]:
    """Private names (``_x``, not ``__x__``) taken from another of the package's modules."""
    tree = ast.parse(source)
    crossing = []
    modules: set[str] = set()  # local names bound to one of the package's modules
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("secretsync_hooks"):
            for alias in node.names:
                if _private(alias.name):
                    crossing.append(f"{name}:{node.lineno} {alias.name}")
                modules.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            modules.update(a.asname or a.name for a in node.names if "secretsync" in a.name)
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Attribute)
            and _private(node.attr)
            and isinstance(node.value, ast.Name)
            and node.value.id in modules
        ):
            crossing.append(f"{name}:{node.lineno} {node.value.id}.{node.attr}")
    return crossing


def test_no_private_name_crosses_a_module_boundary() -> None:
    crossing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        crossing += private_crossings(path.name, path.read_text())
    assert crossing == []


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("from secretsync_hooks.sync.engine import _short\n", ["m:1 _short"]),
        ("from secretsync_hooks.sync import engine\nengine._short()\n", ["m:2 engine._short"]),
        ("from secretsync_hooks import __version__\nfrom os import _exit\n", []),
        ("class A:\n    def f(self):\n        return self._x\n", []),
    ],
)
def test_a_private_crossing_is_found(source: str, expected: list[str]) -> None:
    assert private_crossings("m", source) == expected


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def test_the_package_is_laid_out_by_concern() -> None:
    """At most 12 modules at the top; subpackage ``__init__`` files empty (importing a
    subpackage runs nothing); no file over 500 lines, in the package or the benchmarks."""
    # _version.py is written by setuptools-scm at every install (gitignored), not by us.
    assert len([p for p in PACKAGE.glob("*.py") if p.name != "_version.py"]) <= 12
    assert [p for p in PACKAGE.rglob("__init__.py") if p.parent != PACKAGE and p.read_text()] == []
    files = [*PACKAGE.rglob("*.py"), *(ROOT / "benchmarks").rglob("*.py")]
    long = [p.name for p in files if len(p.read_text().splitlines()) > 500]
    assert long == []
