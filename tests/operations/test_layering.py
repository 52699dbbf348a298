"""The layers point one way, and no module takes part in an import cycle.

Every ``import`` in ``auth_server`` and ``signer_app`` is read from the source, including
imports inside functions and under ``TYPE_CHECKING``, so a cycle cannot hide in a late
import. Each module belongs to the first group in ``GROUPS`` whose prefix it has; a group
may import its own modules and the groups in its row of ``ALLOWED``. A new top-level module
must be placed in a group here, which is the moment to decide where it belongs.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("auth_server", "signer_app")

#: (group, module prefixes); the first group with a matching prefix wins
GROUPS: list[tuple[str, tuple[str, ...]]] = [
    # auth_server, bottom to top
    ("package_roots", ("=auth_server", "=signer_app")),  # the packages' __init__: the version only
    ("outages", ("auth_server.outages",)),  # StoreUnavailable: raised by the store, answered by web and CLI
    ("crypto", ("auth_server.crypto",)),
    ("client_input", ("auth_server.json_input", "auth_server.client_errors", "auth_server.display")),
    ("paths", ("auth_server.paths",)),  # where files live and which engine a database target names
    ("basics", ("auth_server.counters", "auth_server.forwarded", "auth_server.extensions")),
    ("records", ("auth_server.store.models",)),  # the store's row types: every layer above reads them
    ("store", ("auth_server.store",)),
    ("config", ("auth_server.config",)),
    ("rules", ("auth_server.ratelimit", "auth_server.request_token", "auth_server.signin",
               "auth_server.sessions", "auth_server.origins", "auth_server.account",
               "auth_server.avatars", "auth_server.profile")),
    ("oauth", ("auth_server.oauth",)),
    ("admin", ("auth_server.admin", "auth_server.team")),
    ("web", ("auth_server.web",)),
    ("serving", ("auth_server.serving",)),
    ("server_cli", ("auth_server.cli", "auth_server.cli_clients", "auth_server.cli_users", "auth_server.cli_keys",
                    "auth_server.server_commands",
                    "auth_server.__main__")),
    # signer_app, bottom to top
    ("wallet", ("signer_app.wallet",)),
    ("signer_core", ("signer_app.service", "signer_app.policy", "signer_app.sharing", "signer_app.grants", "signer_app.profiles", "signer_app.activity",
                     "signer_app.approvals", "signer_app.settings", "signer_app.resources",
                     "signer_app.embedded_server", "signer_app.onboarding")),
    ("local_api", ("signer_app.local_api",)),
    ("signer_cli", ("signer_app.cli",)),
    ("ui", ("signer_app.ui",)),
    ("signer_top", ("signer_app.assembly", "signer_app.gui", "signer_app.main", "signer_app.launch",
                    "signer_app.__main__")),
]

_AUTH_LOW = {"package_roots", "outages", "crypto", "client_input", "paths", "basics"}
ALLOWED: dict[str, set[str]] = {
    "package_roots": set(),
    "outages": set(),
    "crypto": set(),
    "client_input": set(),
    "paths": set(),
    "basics": {"crypto"},
    "records": set(),
    "store": {"outages", "paths", "records"},
    "config": {"paths", "basics", "crypto"},
    "rules": _AUTH_LOW | {"records", "store", "config"},
    "oauth": _AUTH_LOW | {"records", "store", "config", "rules"},
    "admin": _AUTH_LOW | {"records", "store", "config", "rules", "oauth"},
    "web": _AUTH_LOW | {"records", "config", "rules", "oauth", "admin"},
    "serving": _AUTH_LOW | {"records", "store", "config", "rules", "oauth", "admin", "web"},
    "server_cli": _AUTH_LOW | {"records", "store", "config", "rules", "oauth", "admin", "web", "serving"},
    # the signer sees the auth server through its public faces: admin actions and serving
    "wallet": _AUTH_LOW,
    "signer_core": _AUTH_LOW | {"wallet", "config", "admin", "serving"},
    "local_api": _AUTH_LOW | {"wallet", "signer_core", "config", "serving"},
    "signer_cli": _AUTH_LOW | {"wallet", "signer_core", "config", "admin", "server_cli"},
    "ui": _AUTH_LOW | {"wallet", "signer_core", "config", "admin"},
    "signer_top": _AUTH_LOW | {"wallet", "signer_core", "local_api", "signer_cli", "ui", "config", "admin",
                               "serving"},
}

#: (importing module, imported module): the few crossings the rule allows by name, each with its reason
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in (ROOT / package).rglob("*.py")}


def _imports(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Each module's imports of project modules (a ``from package import name`` that names a
    submodule counts as an import of that submodule)."""
    found: dict[str, set[str]] = defaultdict(set)
    for name, path in modules.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                mod = ".".join(base + ([node.module] if node.module else []))
                targets = [f"{mod}.{a.name}" if f"{mod}.{a.name}" in modules else mod for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name:
                    found[name].add(target)
    return found


def _group(module: str) -> str:
    for group, prefixes in GROUPS:
        for p in prefixes:
            if p.startswith("="):  # the package itself, not its modules
                if module == p[1:]:
                    return group
            elif module == p or module.startswith(p + "."):
                return group
    raise AssertionError(f"{module} is in no group of tests/operations/test_layering.py: place it")


MODULES = _modules()
IMPORTS = _imports(MODULES)


def test_every_module_has_a_group() -> None:
    for module in MODULES:
        _group(module)


@pytest.mark.parametrize("package", PACKAGES)
def test_imports_point_down(package: str) -> None:
    wrong = []
    for module, targets in sorted(IMPORTS.items()):
        if not module.startswith(package):
            continue
        mine = _group(module)
        for target in sorted(targets):
            theirs = _group(target)
            if theirs != mine and theirs not in ALLOWED[mine] and (module, target) not in EXCEPTIONS:
                wrong.append(f"{module} ({mine}) imports {target} ({theirs})")
    assert not wrong, "imports against the layering:\n" + "\n".join(wrong)


def test_auth_server_never_imports_signer_app() -> None:
    wrong = [f"{m} imports {t}" for m, ts in IMPORTS.items() if m.startswith("auth_server")
             for t in ts if t.startswith("signer_app")]
    assert not wrong


def test_no_import_cycles() -> None:
    """Tarjan's strongly connected components over the module graph: every one has one module."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in IMPORTS.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for module in sorted(MODULES):
        if module not in index:
            visit(module)
    assert not cycles, "import cycles:\n" + "\n".join(" <-> ".join(c) for c in cycles)
