"""Test results matched to the project's tests: by pytest node id and by test file.

A JUnit ``classname`` is resolved to a node id by finding the longest dotted prefix that is
a ``.py`` file of the project (the rest are classes). A result whose file is gone, or whose
function is no longer defined in its file, is stale: the pack refuses it rather than
present old results as this release's.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from generator.errors import EvidenceError
from generator.evidence._junit import Case
from generator.evidence.model import RESULTS, LayerCounts, NodeResult, Result, ResultCounts

RANK: dict[Result, int] = {"passed": 0, "pending": 1, "skipped": 2, "missing": 3, "failed": 4}
"""How bad a result is: combining results keeps the worst."""
_RERUN = "run the suite again with --junitxml and pass the new report"


def worst(results: Iterable[Result]) -> Result:
    """Combine results into the worst of them; none at all is ``missing``."""
    return max(results, key=RANK.__getitem__, default="missing")


def count(results: Iterable[Result]) -> ResultCounts:
    """Count results by kind."""
    seen = list(results)
    return ResultCounts(total=len(seen), **{name: seen.count(name) for name in RESULTS})


@dataclass
class TestResults:
    """Every test in the reports, by node id and by repo-relative test file."""

    __test__ = False  # not a pytest test class, whatever its name

    by_node: dict[str, NodeResult] = field(default_factory=dict)
    by_file: dict[str, list[NodeResult]] = field(default_factory=dict)

    def node(self, node_id: str) -> NodeResult:
        """The result of one test; ``missing`` when the reports do not hold it."""
        return self.by_node.get(node_id) or NodeResult(node_id=node_id, result="missing")

    def file(self, path: str) -> list[NodeResult]:
        """The results of every test in one test file."""
        return self.by_file.get(path, [])

    def layers(self) -> list[LayerCounts]:
        """Counts per test layer (``tests/<layer>/``), in a stable order."""
        grouped: dict[str, list[Result]] = {}
        for node in self.by_node.values():
            grouped.setdefault(layer_of(node.node_id), []).append(node.result)
        order = ["unit", "integration", "e2e", "acceptance"]
        names = [n for n in order if n in grouped] + sorted(set(grouped) - set(order))
        return [LayerCounts(layer=n, **count(grouped[n]).model_dump()) for n in names]


def layer_of(node_id: str) -> str:
    """The test layer of a node id: the folder under ``tests/``, else ``other``."""
    parts = node_id.split("::", 1)[0].split("/")
    return parts[1] if len(parts) > 2 and parts[0] == "tests" else "other"


def match_results(cases: Iterable[Case], project: Path) -> TestResults:
    """Resolve every case to a node id of the project, combining repeats (worst wins).

    Raises:
        EvidenceError: a result names a test file or function the project no longer has.
    """
    results = TestResults()
    names: dict[Path, frozenset[str] | None] = {}
    for case in cases:
        node_id = _node_id(case, project, names)
        known = results.by_node.get(node_id)
        if known is not None and RANK[known.result] >= RANK[case.result]:
            continue
        results.by_node[node_id] = NodeResult(
            node_id=node_id, result=case.result, message=case.message
        )
    for node in results.by_node.values():
        results.by_file.setdefault(node.node_id.split("::", 1)[0], []).append(node)
    for nodes in results.by_file.values():
        nodes.sort(key=lambda n: n.node_id)
    return results


def _node_id(case: Case, project: Path, names: dict[Path, frozenset[str] | None]) -> str:
    """Return the node id of a case, checking that its file and function still exist."""
    if not case.classname:  # a collection error: the name is the module's dotted path
        return _file_of(case.name.split("."), project, case)
    parts = case.classname.split(".")
    path = _file_of(parts, project, case)
    classes = parts[len(Path(path).with_suffix("").parts) :]
    function = case.name.split("[", 1)[0]
    node_id = "::".join([path, *classes, case.name])
    if project / path not in names:
        names[project / path] = _defined_names(project / path)
    defined = names[project / path]
    if "." not in function and defined is not None and function not in defined:
        raise EvidenceError(
            f"{case.source}: results for {node_id}, which is no longer defined in "
            f"{project}; {_RERUN}"
        )
    return node_id


def _file_of(parts: list[str], project: Path, case: Case) -> str:
    for end in range(len(parts), 0, -1):
        candidate = "/".join(parts[:end]) + ".py"
        if (project / candidate).is_file():
            return candidate
    shown = ".".join(parts) + (f"::{case.name}" if case.classname else "")
    raise EvidenceError(
        f"{case.source}: results for {shown}, whose test file is not in {project}; {_RERUN}"
    )


def _defined_names(path: Path) -> frozenset[str] | None:
    """Every name a test module defines (functions, classes, assignments); None if unknown."""
    try:
        tree = ast.parse(path.read_bytes(), filename=str(path))
    except (OSError, SyntaxError, ValueError):
        return None  # cannot tell: a result for it is not called stale
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            names.add(node.id)
    return frozenset(names)
