"""The layout rules of docs/architecture.md, checked on the source so they cannot quietly erode.

Read statically (``ast``), not by importing: what a module *says* it imports is
what a reader sees, and a rule broken only on some code path still fails here.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "artstyle"
PACKAGES = ("core", "corpus", "style", "paint", "video", "batch", "cli")
MAX_LINES = 400
MAX_TOP_LEVEL_MODULES = 8
HEAVY = ("torch", "torchvision", "safetensors")


def _modules(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _is_module(dotted: str) -> bool:
    base = ROOT.joinpath(*dotted.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def _imports(path: Path) -> list[str]:
    """Every module named by an import statement in ``path`` (``from a import b`` counts a.b when b is a module)."""
    names = []
    for node in ast.walk(_tree(path)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
            names += [f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")]
    return names


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def test_the_top_level_holds_the_stage_packages_and_at_most_eight_modules():
    modules = sorted(p.name for p in PACKAGE.glob("*.py"))
    packages = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())
    assert packages == sorted(PACKAGES)
    assert len(modules) <= MAX_TOP_LEVEL_MODULES, modules


@pytest.mark.parametrize("path", _modules(PACKAGE), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_longer_than_the_limit(path):
    assert len(path.read_text(encoding="utf-8").splitlines()) <= MAX_LINES


@pytest.mark.parametrize(
    "path", _modules(PACKAGE) + _modules(ROOT / "scripts") + _modules(ROOT / "tests"), ids=lambda p: str(p.relative_to(ROOT))
)
def test_nothing_imports_another_modules_private_names(path):
    tree, own = _tree(path), _name(path)
    modules = {}  # local alias -> artstyle module it names
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("artstyle") and node.module != own:
            found += [f"from {node.module} import {a.name}" for a in node.names if _private(a.name)]
            modules.update({a.asname or a.name: f"{node.module}.{a.name}" for a in node.names if _is_module(f"{node.module}.{a.name}")})
        elif isinstance(node, ast.Import):
            modules.update({a.asname: a.name for a in node.names if a.name.startswith("artstyle") and a.asname})
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in modules and _private(node.attr):
            found.append(f"{node.value.id}.{node.attr}")
    assert not found


@pytest.mark.parametrize("path", [p for p in _modules(PACKAGE) if "cli" not in p.relative_to(PACKAGE).parts[:1]],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_the_library_never_imports_the_cli_and_never_prints(path):
    if path.name == "__main__.py":  # ``python -m artstyle`` is the CLI's entry point
        return
    assert not [n for n in _imports(path) if n == "artstyle.cli" or n.startswith("artstyle.cli.")]
    prints = [node.lineno for node in ast.walk(_tree(path))
              if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "print"]
    assert not prints


def _closure(start: list[Path]) -> set[str]:
    """Every artstyle module reachable from ``start`` through import statements."""
    seen, todo = set(), [_name(p) for p in start]
    while todo:
        name = todo.pop()
        if name in seen or not _is_module(name):
            continue
        seen.add(name)
        base = ROOT.joinpath(*name.split("."))
        path = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        todo += [n for n in _imports(path) if n.startswith("artstyle.")]
    return seen


def test_wikiart_and_what_it_imports_never_import_torch():
    reached = _closure(_modules(PACKAGE / "corpus" / "wikiart"))
    heavy = {}
    for name in reached:
        base = ROOT.joinpath(*name.split("."))
        path = base.with_suffix(".py") if base.with_suffix(".py").is_file() else base / "__init__.py"
        if path.parent == PACKAGE and path.name == "__init__.py":
            continue  # the package's own face (artstyle.paint) is not what wikiart imports
        bad = [n for n in _imports(path) if n.split(".")[0] in HEAVY]
        if bad:
            heavy[name] = bad
    assert "artstyle.corpus.wikiart.client" in reached  # the closure did walk the package
    assert not heavy


# What each stage may import (docs/architecture.md, "Who may import whom"): the data path flows one way.
TOP = "top"  # errors, files, settings, names, shares
ALLOWED = {
    TOP: {TOP},
    "core": {TOP, "core"},
    "corpus": {TOP, "corpus"},
    "style": {TOP, "core", "corpus", "style"},
    "paint": {TOP, "core", "corpus", "style", "paint"},
    "video": {TOP, "core", "corpus", "style", "paint", "video"},
    "batch": {TOP, "core", "corpus", "style", "paint", "video", "batch"},
    "cli": {TOP, "core", "corpus", "style", "paint", "video", "batch", "cli"},
}


def _stage(dotted: str) -> str:
    parts = dotted.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else TOP


@pytest.mark.parametrize("path", [p for p in _modules(PACKAGE) if p.parent != PACKAGE or p.name not in ("__init__.py", "__main__.py")],
                         ids=lambda p: str(p.relative_to(ROOT)))
def test_each_stage_imports_only_the_stages_before_it(path):
    stage = _stage(_name(path))
    imported = {n for n in _imports(path) if n == "artstyle" or n.startswith("artstyle.")}
    wrong = sorted(n for n in imported if _stage(n) not in ALLOWED[stage])
    assert not wrong, f"{stage} may import {sorted(ALLOWED[stage])}"
