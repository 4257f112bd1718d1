"""The architecture the file list shows holds in the code.

Layers, lowest first; a module may import from its own layer and those below, never above:
vocab and errors, then files (reading and writing files), i18n (the words), profile (the
MCN's profile), pack (the policy packs), core (the pure assessment), render (text only),
batch (orchestration), and the command line on top. There is no import cycle, the core
reads no file, nothing private is imported across modules, every module is in the
README's map, and the library is usable without the command line.
"""

from __future__ import annotations

import ast
import builtins
import datetime as dt
import io
import subprocess
import sys
from pathlib import Path

import pytest

import mcn_advisor
from tests.conftest import PROFILES, ROOT

PACKAGE = ROOT / "mcn_advisor"
README = (ROOT / "README.md").read_text(encoding="utf-8")
LAYERS = [
    {"vocab", "errors", "records"},
    {"files"},
    {"i18n"},
    {"profile"},
    {"pack"},
    {"core"},
    {"render"},
    {"batch"},
    {"cli", "__main__", "__init__"},
]
RANK = {part: n for n, parts in enumerate(LAYERS) for part in parts}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


def _type_checking(node: ast.If) -> bool:
    return isinstance(node.test, ast.Name) and node.test.id == "TYPE_CHECKING"


def imports(path: Path) -> list[tuple[str, str | None]]:
    """(module, name) for every ``mcn_advisor`` import in the file, at any depth, except
    under ``if TYPE_CHECKING:`` (annotations only: nothing runs)."""
    found: list[tuple[str, str | None]] = []

    def walk(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("mcn_advisor"):
                found.extend((child.module, alias.name) for alias in child.names)
            elif isinstance(child, ast.Import):
                found.extend((a.name, None) for a in child.names if a.name.startswith("mcn_advisor"))
            walk(child)

    walk(ast.parse(path.read_text(encoding="utf-8")))
    return found


def layer(module: str) -> int:
    parts = module.split(".")
    return RANK["__init__" if len(parts) == 1 else parts[1]]


def graph() -> dict[str, set[str]]:
    """Module -> the package modules it imports (``from pkg import module`` counts as the module)."""
    mods = modules()
    edges: dict[str, set[str]] = {}
    for name, path in mods.items():
        targets = set()
        for module, imported in imports(path):
            sub = f"{module}.{imported}" if imported else module
            targets.add(sub if sub in mods else module)
        edges[name] = targets - {name}
    return edges


def test_every_module_has_a_layer():
    for name in modules():
        assert layer(name) >= 0, name


def test_no_module_imports_from_a_layer_above_its_own():
    wrong = [
        f"{name} imports {target}"
        for name, targets in graph().items()
        for target in targets
        if target != "mcn_advisor" and layer(target) > layer(name)
    ]
    assert not wrong, wrong


def test_there_is_no_import_cycle():
    edges = graph()
    state: dict[str, int] = {}
    for start in sorted(edges):
        if start in state:
            continue
        stack = [(start, iter(sorted(edges[start])))]
        path = [start]
        state[start] = 1
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[node] = 2
            elif state.get(child) == 1:
                cycle = path[path.index(child) :] + [child]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            elif child not in state and child in edges:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(edges[child]))))


def test_nothing_private_is_imported_from_another_module():
    wrong = [
        f"{name} imports {module}.{imported}"
        for name, path in modules().items()
        for module, imported in imports(path)
        if (imported or "").startswith("_")
        and imported != "__version__"
        or any(part.startswith("_") for part in module.split("."))
    ]
    assert not wrong, wrong


def _only_a_docstring(path: Path) -> bool:
    body = ast.parse(path.read_text(encoding="utf-8")).body
    return len(body) <= 1 and all(isinstance(n, ast.Expr) for n in body)


def test_the_readme_maps_every_module():
    # The tree lists each file under its folder, so look for "folder/" then "name".
    section = README.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    lines = section.splitlines()
    missing = []
    for path in [*modules().values(), *PACKAGE.rglob("*.toml")]:
        if path.name == "__init__.py" and _only_a_docstring(path):
            continue  # a package's docstring: the folder's line says it
        rel = path.relative_to(PACKAGE)
        folder = f"  {rel.parent}/" if rel.parent != Path(".") else None
        start = next((i for i, line in enumerate(lines) if folder and line.startswith(folder)), 0)
        if not any(path.name in line for line in lines[start:]):
            missing.append(str(rel))
    assert not missing, f"add to the README's Architecture section: {missing}"


def test_the_core_reads_no_file(monkeypatch, pack):
    # Everything is loaded first; then any attempt to open a file fails the test.
    from mcn_advisor.core.combine import assess_all
    from mcn_advisor.core.compare import compare, snapshot
    from mcn_advisor.core.levers import rank_levers
    from mcn_advisor.core.whatif import parse_assignment, what_if
    from mcn_advisor.pack.select import load_packs, rule_book
    from mcn_advisor.profile.load import load_profile

    packs = load_packs(["douyin-2020", "kuaishou-2019"])
    profile = load_profile(PROFILES / "small_pure_promotion.toml", rule_book(packs))
    date = dt.date(2020, 8, 27)
    change = parse_assignment("clients.taobao_linked_share=0.2")
    what_if(profile, pack, date, [change], ["store_onboarding"])  # warm every cache once

    def no_io(*args, **kwargs):
        raise AssertionError(f"the core opened a file: {args[:1]}")

    monkeypatch.setattr(builtins, "open", no_io)
    monkeypatch.setattr(io, "open", no_io)
    monkeypatch.setattr(Path, "open", no_io)
    monkeypatch.setattr(Path, "read_bytes", no_io)
    monkeypatch.setattr(Path, "read_text", no_io)
    both = assess_all(profile, packs, date)
    assert both.exposure.score > 0
    result = what_if(profile, pack, date, [change], ["store_onboarding"])
    assert result.comparison.after.score <= result.comparison.before.score
    assert rank_levers(profile, pack, date).levers
    assert compare(snapshot(both), snapshot(both), pack).score_change == 0


def test_the_public_api_is_exported_and_needs_no_command_line():
    assert mcn_advisor.__all__ == ["__version__", *mcn_advisor._EXPORTS]
    for name in mcn_advisor.__all__:
        assert getattr(mcn_advisor, name) is not None, name
    script = (
        "import sys, datetime as dt, mcn_advisor as m\n"
        "packs = m.load_packs(None)\n"
        f"p = m.load_profile({str(PROFILES / 'minimal.toml')!r}, m.rule_book(packs))\n"
        "a = m.assess_all(p, packs, dt.date(2020, 8, 27))\n"
        "assert m.render_as('assessment', 'json')(a, 'en').startswith('{')\n"
        "assert 'typer' not in sys.modules and 'mcn_advisor.cli' not in sys.modules, 'CLI imported'\n"
        "print(a.exposure.band)\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert out.stdout.strip() in ("low", "moderate", "high", "critical")
