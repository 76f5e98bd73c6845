"""core/'s floor plan: pure Python, packages by domain, imports one way, no cycles, no hidden project imports."""

import ast
from collections import defaultdict
from pathlib import Path

import networkx as nx

from tests.conftest import ROOT

# A package may import only packages of a lower rank (and itself); the command-line modules sit on top.
RANK = {"errors": 0, "settings": 0.1, "bundle": 0.2, "lineage": 1, "ingest": 2, "licenses": 3, "atlas": 4,
        "evolution": 4, "hub": 5, "precompute": 5, "report": 6, "publish": 6, "fetch": 6, "demo": 6,
        "diff": 6, "crawl": 6, "selfbuild": 6}
MAX_LINES = 450
MAX_LOCAL_PROJECT_IMPORTS = 10


def _modules() -> dict[str, Path]:
    out = {}
    for path in (ROOT / "core").rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


def _imports(path: Path, module: str):
    """(imported module, line, whether it is inside a function) for every import of a project module."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                pkg = module.split(".")[: len(module.split(".")) - node.level + (path.name == "__init__.py")]
                base = ".".join(pkg + ([base] if base else []))
            names = [base] + [f"{base}.{a.name}" for a in node.names]
        else:
            continue
        for name in names:
            if name == "core" or name.startswith("core."):
                yield name, node.lineno, id(node) in local


def _domain(module: str) -> str:
    return module.split(".")[1] if module.count(".") else ""


def _graph(modules):
    g = nx.DiGraph()
    for module, path in modules.items():
        g.add_node(module)
        for name, _, _ in _imports(path, module):
            target = name if name in modules else name.rsplit(".", 1)[0]
            if target in modules and target != module:
                g.add_edge(module, target)
    return g


def test_core_never_imports_streamlit():
    offenders = []
    for path in (ROOT / "core").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            if any(n == "streamlit" or n.startswith("streamlit.") for n in names):
                offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


def test_every_core_module_has_a_known_domain():
    assert {_domain(m) for m in _modules() if m != "core"} <= set(RANK)


def test_imports_run_one_way():
    """No package imports a package of its own rank or above; packages at the root import no domain."""
    offenders = []
    for module, path in _modules().items():
        here = _domain(module)
        for name, line, _ in _imports(path, module):
            there = _domain(name)
            if name == "core" or there == here or there not in RANK:
                continue
            if here and RANK[there] >= RANK[here]:
                offenders.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert offenders == []


def test_the_layer_check_sees_an_upward_import(tmp_path):
    """The check above would fail on an import from ingest into evolution (a package above it)."""
    bad = tmp_path / "m.py"
    bad.write_text("from core.evolution.drift import mutation_rates\n")
    (name, _, _), = [i for i in _imports(bad, "core.ingest.m") if i[0] == "core.evolution.drift"]
    assert RANK[_domain(name)] >= RANK[_domain("core.ingest.m")]


def test_there_is_no_import_cycle():
    assert list(nx.simple_cycles(_graph(_modules()))) == []


def test_no_module_is_too_long():
    long = {str(p.relative_to(ROOT)): n for p in (ROOT / "core").rglob("*.py")
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


def test_project_imports_are_at_the_top_of_modules():
    """A function-local import of a project module hides a dependency; the few left say why beside them."""
    local = defaultdict(list)
    for folder in ("core", "views"):
        for path in (ROOT / folder).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            lines = path.read_text(encoding="utf-8").splitlines()
            for name, line, inside in _imports(path, module) if folder == "core" else _view_imports(path):
                if inside:
                    local[str(path.relative_to(ROOT))].append((line, lines[line - 1]))
    found = [(p, n, text) for p, items in local.items() for n, text in dict(items).items()]
    assert len(found) <= MAX_LOCAL_PROJECT_IMPORTS
    assert [f for f in found if "#" not in f[2]] == []


def _view_imports(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    local = {id(n) for f in ast.walk(tree) if isinstance(f, (ast.FunctionDef, ast.AsyncFunctionDef))
             for n in ast.walk(f) if n is not f}
    for node in ast.walk(tree):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""]
            if any(n.split(".")[0] in ("core", "views") for n in names):
                yield names[0], node.lineno, id(node) in local
