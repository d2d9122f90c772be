"""The package's rooms: subsystems reached through their front door, one error family, no cycles.

Imports are read from the source (every ``import`` statement, those inside functions too),
so a cycle hidden behind a function-level import is still a cycle here.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

from tests.conftest import ROOT

PACKAGE = ROOT / "generator"
SUBSYSTEMS = ("spec", "interview", "review", "render", "update", "evidence")
TOP_LEVEL = {"__init__", "__main__", "cli", "errors", "catalog", "_io", "_output"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    return {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(name: str) -> set[str]:
    """The package's modules that ``name`` imports, anywhere in its source."""
    known = modules()
    found: set[str] = set()
    for node in ast.walk(ast.parse(known[name].read_text(encoding="utf-8"))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            targets = [f"{node.module}.{alias.name}" for alias in node.names]
            targets = [t if t in known else node.module for t in targets]
        found.update(t for t in targets if t in known and t != name)
    return found


def test_every_subsystem_is_a_subpackage_and_few_modules_stay_at_the_top() -> None:
    """spec, interview, review, render and update are folders; the top holds the shell."""
    top = {p.stem for p in PACKAGE.glob("*.py")}
    assert top == TOP_LEVEL
    for name in SUBSYSTEMS:
        assert (PACKAGE / name / "__init__.py").is_file(), name


def test_there_is_no_import_cycle() -> None:
    """No module reaches itself through its imports, function-level ones included."""
    graph = {name: imports_of(name) for name in modules()}
    cycles: list[list[str]] = []

    def visit(name: str, path: list[str], on_path: set[str], done: set[str]) -> None:
        for target in sorted(graph[name]):
            if target in on_path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target], on_path | {target}, done)
        done.add(name)

    finished: set[str] = set()
    for start in sorted(graph):
        if start not in finished:
            visit(start, [start], {start}, finished)
    assert cycles == []


def test_private_modules_are_used_only_inside_their_subsystem() -> None:
    """``generator.<subsystem>._x`` is imported only from inside that subsystem."""
    leaks = []
    for name in modules():
        for target in imports_of(name):
            parts = target.split(".")
            private = len(parts) == 3 and parts[2].startswith("_") and parts[2] != "__init__"
            owner = ".".join(parts[:2])
            if private and name != owner and not name.startswith(owner + "."):
                leaks.append(f"{name} imports {target}")
    assert leaks == []


def _subsystem(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in SUBSYSTEMS else None


def _public(package: str) -> set[str]:
    """The names a subsystem's ``__init__`` lists in ``__all__``."""
    tree = ast.parse(modules()[package].read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


def side_doors(name: str) -> list[str]:
    """Modules of other subsystems that ``name`` imports other than through their front door.

    ``from generator.update import report`` goes through the front door when ``report`` is
    in ``generator.update.__all__``; ``from generator.update.report import x`` does not.
    """
    found = []
    for node in ast.walk(ast.parse(modules()[name].read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            owner = _subsystem(node.module)
            if owner is not None and node.module == f"generator.{owner}":
                public = _public(node.module)
                targets = [
                    f"{node.module}.{alias.name}"
                    for alias in node.names
                    if alias.name not in public
                ]
            else:
                targets = [node.module]
        else:
            continue
        for target in targets:
            owner = _subsystem(target)
            if owner is not None and _subsystem(name) != owner and target != f"generator.{owner}":
                found.append(f"{name} imports {target}")
    return found


def test_subsystems_are_reached_only_through_their_init() -> None:
    """From outside, a subsystem is imported through ``__init__`` and its ``__all__`` only."""
    assert [door for name in modules() for door in side_doors(name)] == []


def _error_classes(path: Path, family: set[str]) -> list[str]:
    """Classes defined in ``path`` that derive from a member of the error family."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        node.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ClassDef)
        and any(ast.unparse(base).rsplit(".", 1)[-1] in family for base in node.bases)
    ]


def test_the_generator_error_family_lives_in_errors_py() -> None:
    """Every GeneratorError subclass is defined in ``generator/errors.py``, and listed there."""
    import generator.errors

    family = {
        cls.__name__
        for cls in vars(generator.errors).values()
        if isinstance(cls, type) and issubclass(cls, generator.errors.GeneratorError)
    }
    elsewhere = {
        f"{name}.{cls}"
        for name, path in modules().items()
        if name != "generator.errors"
        for cls in _error_classes(path, family)
    }
    assert (elsewhere, sorted(family)) == (set(), sorted(generator.errors.__all__))


def test_errors_py_needs_nothing_but_the_standard_library() -> None:
    """The build hook imports errors.py (through the bundle) before dependencies exist."""
    tree = ast.parse((PACKAGE / "errors.py").read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        str(node.module).split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
    }
    assert imported <= {"__future__"}
