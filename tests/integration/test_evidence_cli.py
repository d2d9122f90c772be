"""The evidence command, called in-process on a rendered repository with JUnit reports.

The repository is rendered once (with git); the JUnit reports are written here, one
test case per test function the repository defines, so each test can say which results
a run had: every test passed, acceptance tests pending, one control's test failed, ...
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import stat
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.evidence import KEY_VARIABLE, MANIFEST, SIGNATURE, schema_path
from generator.render import render_project
from tests.conftest import SPECS
from tests.e2e.environments import check_jsonschema

CLAIMS = SPECS / "claims-triage.yaml"
ACCEPTANCE = "tests/acceptance/test_acceptance.py"
KEY = "k" * 40


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """claims-triage rendered once, with its first commit, for every test to copy."""
    base = tmp_path_factory.mktemp("evidence")
    with pytest.MonkeyPatch.context() as patch:
        home = base / "home"
        home.mkdir()
        (home / ".gitconfig").write_text("[user]\n\tname = T\n\temail = t@example.com\n")
        patch.setenv("HOME", str(home))
        patch.setenv("GIT_CONFIG_GLOBAL", str(home / ".gitconfig"))
        patch.setenv("GIT_CONFIG_NOSYSTEM", "1")
        render_project(CLAIMS, base / "claims-triage")
    return base / "claims-triage"


@pytest.fixture
def repo(rendered: Path, tmp_path: Path) -> Path:
    """A copy of the rendered repository (git history included) that a test may change."""
    return Path(shutil.copytree(rendered, tmp_path / "claims-triage", symlinks=True))


def node_ids(repo: Path) -> list[str]:
    """Every test function of the repository as a pytest node id (classes included)."""
    ids = []
    for path in sorted((repo / "tests").rglob("test_*.py")):
        relative = path.relative_to(repo).as_posix()
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                ids.append(f"{relative}::{node.name}")
            elif isinstance(node, ast.ClassDef) and node.name.startswith("Test"):
                ids += [
                    f"{relative}::{node.name}::{item.name}"
                    for item in node.body
                    if isinstance(item, ast.FunctionDef) and item.name.startswith("test_")
                ]
    return ids


def write_junit(path: Path, results: dict[str, str], *, acceptance: str = "pending") -> Path:
    """Write a pytest-style JUnit report: ``results`` maps node ids to outcomes.

    Acceptance tests not in ``results`` get ``acceptance``; outcomes are passed, failed,
    error, pending (strict xfail) and skipped.
    """
    suite = ET.Element("testsuite", name="pytest")
    for node_id, outcome in results.items():
        file, *rest = node_id.split("::")
        classname = ".".join([file.removesuffix(".py").replace("/", "."), *rest[:-1]])
        case = ET.SubElement(suite, "testcase", classname=classname, name=rest[-1])
        if file == ACCEPTANCE and outcome == "default":
            outcome = acceptance
        if outcome == "failed":
            ET.SubElement(case, "failure", message="assert 1 == 2")
        elif outcome == "error":
            ET.SubElement(case, "error", message='failed on teardown with "OSError"')
        elif outcome == "pending":
            ET.SubElement(case, "skipped", type="pytest.xfail", message="not implemented")
        elif outcome == "skipped":
            ET.SubElement(case, "skipped", type="pytest.skip", message="not here")
    root = ET.Element("testsuites", name="pytest tests")
    root.append(suite)
    path.write_bytes(ET.tostring(root, encoding="utf-8", xml_declaration=True))
    return path


def run_results(repo: Path, **overrides: str) -> dict[str, str]:
    """Every test of the repo passed (acceptance tests: 'default'), then ``overrides``."""
    results = {
        node_id: "default" if node_id.startswith(ACCEPTANCE) else "passed"
        for node_id in node_ids(repo)
    }
    results.update(overrides)
    return results


def evidence(repo: Path, *args: str, junit: Path | None = None, acceptance: str = "pending") -> int:
    """Run ``new-ai-project evidence REPO`` with a report of a run (all passed but acceptance)."""
    if junit is None:
        junit = write_junit(repo.parent / "junit.xml", run_results(repo), acceptance=acceptance)
    return main(["evidence", str(repo), "--junit", str(junit), *args])


def load(pack: Path) -> dict[str, Any]:
    """The pack's evidence.json."""
    data: dict[str, Any] = json.loads((pack / "evidence.json").read_text(encoding="utf-8"))
    return data


def only_error(capsys: pytest.CaptureFixture[str]) -> str:
    """The one error line on stderr (and nothing on stdout)."""
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), captured.err
    return lines[0]


def leftovers(folder: Path) -> list[str]:
    """Anything an aborted pack could leave beside its destination."""
    return sorted(p.name for p in folder.iterdir() if ".evidence-" in p.name or p.name == "pack")


# --- the pack and its verdict ----------------------------------------------------------


def test_pending_criteria_fail_strict_but_the_pack_is_written(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--strict exits 1 while criteria are pending; the pack is written and says why."""
    code = evidence(repo, "-o", str(tmp_path / "pack"), "--strict")
    out = capsys.readouterr().out
    assert code == 1
    assert "not-ready: 0/3 criteria passed (3 pending)" in out
    assert "blocker: criterion AC-2 is pending" in out
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == [
        MANIFEST,
        "evidence.html",
        "evidence.json",
        "evidence.md",
    ]


def test_without_strict_a_pending_pack_exits_0(repo: Path, tmp_path: Path) -> None:
    """Without --strict, a pack that is not ready is still a success."""
    assert evidence(repo, "-o", str(tmp_path / "pack")) == 0


def test_every_criterion_and_control_passed_is_ready(repo: Path, tmp_path: Path) -> None:
    """With every test passed, --strict exits 0 and the verdict is ready."""
    assert evidence(repo, "-o", str(tmp_path / "pack"), "--strict", acceptance="passed") == 0
    readiness = load(tmp_path / "pack")["readiness"]
    assert readiness == {"verdict": "ready", "blockers": []}


def test_the_pack_ties_spec_template_and_commit(repo: Path, tmp_path: Path) -> None:
    """Identity holds spec.yaml's SHA-256, the answers' template version and the commit."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    identity = load(tmp_path / "pack")["identity"]
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    assert identity == {
        "spec_sha256": hashlib.sha256((repo / "spec.yaml").read_bytes()).hexdigest(),
        "name": "claims-triage",
        "title": "Claims triage assistant",
        "kind": "service",
        "owners": {
            "business": "Head of Claims Operations",
            "technical": "Claims Platform team",
            "operations": "claims-oncall@example.com",
        },
        "template_version": answers["_commit"],
        "template_source": answers["_src_path"],
        "git_commit": head,
        "git_dirty": False,
        "created_at": identity["created_at"],  # checked below
        "tool": "new-ai-project",
        "tool_version": identity["tool_version"],  # the installed version
        "retention_days": 730,
    }
    assert str(identity["created_at"]).endswith("Z")


def test_a_changed_tracked_file_marks_the_commit_dirty(repo: Path, tmp_path: Path) -> None:
    """Editing a tracked file sets git_dirty; the untracked reports do not."""
    readme = repo / "README.md"
    readme.write_text(readme.read_text(encoding="utf-8") + "\nlocal edit\n", encoding="utf-8")
    evidence(repo, "-o", str(tmp_path / "pack"))
    assert load(tmp_path / "pack")["identity"]["git_dirty"] is True


def test_each_criterion_has_its_test_and_result(repo: Path, tmp_path: Path) -> None:
    """Each criterion is matched to tests/acceptance/test_acceptance.py::test_<id>."""
    results = run_results(repo, **{f"{ACCEPTANCE}::test_ac_2": "failed"})
    junit = write_junit(tmp_path / "junit.xml", results, acceptance="passed")
    evidence(repo, "-o", str(tmp_path / "pack"), junit=junit)
    acceptance = load(tmp_path / "pack")["acceptance"]
    assert [(c["id"], [t["node_id"] for t in c["tests"]], c["result"]) for c in acceptance] == [
        ("AC-1", [f"{ACCEPTANCE}::test_ac_1"], "passed"),
        ("AC-2", [f"{ACCEPTANCE}::test_ac_2"], "failed"),
        ("AC-3", [f"{ACCEPTANCE}::test_ac_3"], "passed"),
    ]


def test_a_criterion_without_a_result_is_missing(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A criterion whose test is not in the reports is missing, and blocks under --strict."""
    results = run_results(repo)
    del results[f"{ACCEPTANCE}::test_ac_3"]
    junit = write_junit(tmp_path / "junit.xml", results, acceptance="passed")
    assert evidence(repo, "--strict", "-o", str(tmp_path / "pack"), junit=junit) == 1
    assert "blocker: criterion AC-3 is missing" in capsys.readouterr().out


def test_the_traceability_report_decides_which_tests_prove_a_criterion(
    repo: Path, tmp_path: Path
) -> None:
    """With --traceability, a criterion's tests are those the report traces to it."""
    audit_test = "tests/integration/test_audit.py::" + next(
        n.split("::")[-1] for n in node_ids(repo) if n.startswith("tests/integration/test_audit.py")
    )
    trace = tmp_path / "traceability.json"
    trace.write_text(
        json.dumps(
            [
                {"criterion": "AC-1", "status": "passing", "tests": [f"{ACCEPTANCE}::test_ac_1"]},
                {"criterion": "AC-2", "status": "passing", "tests": [audit_test]},
                {"criterion": "AC-3", "status": "missing", "tests": []},
            ]
        ),
        encoding="utf-8",
    )
    evidence(repo, "-o", str(tmp_path / "pack"), "--traceability", str(trace))
    pack = load(tmp_path / "pack")
    assert [(c["id"], c["result"]) for c in pack["acceptance"]] == [
        ("AC-1", "pending"),
        ("AC-2", "passed"),
        ("AC-3", "missing"),
    ]
    assert [s["kind"] for s in pack["sources"]] == ["junit", "traceability"]


def test_each_control_has_its_file_test_and_result(repo: Path, tmp_path: Path) -> None:
    """Every control in scope is listed with its citation, file, test and the test's result."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    controls = load(tmp_path / "pack")["controls"]
    answers = yaml.safe_load((repo / ".copier-answers.yml").read_text(encoding="utf-8"))
    expected = [
        (c["regime"], c["id"], c["file"], c["test"]) for c in answers["project"]["controls"]
    ]
    assert [(c["regime"], c["id"], c["file"], c["test"]) for c in controls] == expected
    assert all(c["citation"] and c["file_exists"] and c["ok"] for c in controls)
    assert {c["test_result"] for c in controls} == {"passed"}


@pytest.mark.parametrize("outcome", ["failed", "error"])
def test_a_failed_control_test_blocks(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], outcome: str
) -> None:
    """One failed (or erroring) test in a control's test file fails that control."""
    privacy = next(n for n in node_ids(repo) if n.startswith("tests/unit/test_privacy.py"))
    junit = write_junit(
        tmp_path / "junit.xml", run_results(repo, **{privacy: outcome}), acceptance="passed"
    )
    assert evidence(repo, "--strict", "-o", str(tmp_path / "pack"), junit=junit) == 1
    out = capsys.readouterr().out
    assert "blocker: control gdpr art-32: its test tests/unit/test_privacy.py is failed" in out
    assert f"1 test(s) failed, first {privacy}" in out


def test_a_control_test_with_no_results_is_missing(repo: Path, tmp_path: Path) -> None:
    """A control whose test file has no result in the reports is missing, not passed."""
    results = {
        n: r for n, r in run_results(repo).items() if not n.startswith("tests/unit/test_privacy.py")
    }
    junit = write_junit(tmp_path / "junit.xml", results, acceptance="passed")
    evidence(repo, "-o", str(tmp_path / "pack"), junit=junit)
    pack = load(tmp_path / "pack")
    privacy = [c for c in pack["controls"] if c["test"] == "tests/unit/test_privacy.py"]
    assert privacy and {c["test_result"] for c in privacy} == {"missing"}
    assert pack["readiness"]["verdict"] == "not-ready"


def test_a_skipped_control_test_file_proves_nothing(repo: Path, tmp_path: Path) -> None:
    """A control test file whose every test was skipped is skipped, and blocks."""
    results = run_results(repo)
    for node_id in results:
        if node_id.startswith("tests/unit/test_privacy.py"):
            results[node_id] = "skipped"
    junit = write_junit(tmp_path / "junit.xml", results, acceptance="passed")
    evidence(repo, "-o", str(tmp_path / "pack"), junit=junit)
    pack = load(tmp_path / "pack")
    assert any("test_privacy.py is skipped" in b for b in pack["readiness"]["blockers"])


def test_a_missing_evidence_file_blocks(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A control whose evidencing file was deleted is not evidenced, whatever its test says."""
    (repo / "docs" / "compliance" / "dpia.md").unlink()
    assert evidence(repo, "--strict", "-o", str(tmp_path / "pack"), acceptance="passed") == 1
    assert "its evidence file docs/compliance/dpia.md does not exist" in capsys.readouterr().out
    dpia = [c for c in load(tmp_path / "pack")["controls"] if c["id"] == "art-35"]
    assert [(c["file_exists"], c["ok"]) for c in dpia] == [(False, False)]


def test_per_layer_counts(repo: Path, tmp_path: Path) -> None:
    """The summary counts every test per layer, acceptance tests as pending."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    layers = {row["layer"]: row for row in load(tmp_path / "pack")["summary"]["layers"]}
    assert layers["acceptance"]["pending"] == 3 and layers["acceptance"]["total"] == 3
    assert layers["unit"]["passed"] == layers["unit"]["total"] > 0
    assert list(layers) == ["unit", "integration", "e2e", "acceptance"]


def test_several_junit_reports_combine_and_the_worst_result_wins(
    repo: Path, tmp_path: Path
) -> None:
    """Reports of separate runs combine; a test reported twice keeps its worst result."""
    results = run_results(repo)
    unit = {n: r for n, r in results.items() if n.startswith("tests/unit/")}
    rest = {n: r for n, r in results.items() if not n.startswith("tests/unit/")}
    first = write_junit(tmp_path / "unit.xml", unit)
    second = write_junit(tmp_path / "rest.xml", rest, acceptance="passed")
    third = write_junit(tmp_path / "again.xml", {f"{ACCEPTANCE}::test_ac_1": "failed"})
    main(
        [
            "evidence",
            str(repo),
            "--junit",
            str(first),
            str(second),
            str(third),
            "-o",
            str(tmp_path / "pack"),
        ]
    )
    pack = load(tmp_path / "pack")
    assert [c["result"] for c in pack["acceptance"]] == ["failed", "passed", "passed"]
    assert len(pack["sources"]) == 3


def test_the_pack_validates_against_the_shipped_schema(repo: Path, tmp_path: Path) -> None:
    """evidence.json validates against generator/data/evidence.schema.json."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    done = subprocess.run(
        [
            check_jsonschema(),
            "--schemafile",
            str(schema_path()),
            str(tmp_path / "pack" / "evidence.json"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_manifest_is_sha256sum_compatible(repo: Path, tmp_path: Path) -> None:
    """SHA256SUMS holds every other file's digest in the format sha256sum --check reads."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    done = subprocess.run(
        ["sha256sum", "--check", "--strict", MANIFEST],
        cwd=tmp_path / "pack",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.count(": OK") == 3, done.stdout + done.stderr


# --- output without a pack ---------------------------------------------------------------


def test_without_output_markdown_is_printed_and_nothing_written(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without -o the Markdown report goes to stdout and no file is written."""
    junit = write_junit(tmp_path / "junit.xml", run_results(repo))
    before = sorted(tmp_path.iterdir())
    evidence(repo, junit=junit)
    assert capsys.readouterr().out.startswith("## Release evidence: Claims triage assistant")
    assert sorted(tmp_path.iterdir()) == before


@pytest.mark.parametrize("fmt", ["json", "html"])
def test_format_chooses_what_is_printed(
    repo: Path, capsys: pytest.CaptureFixture[str], fmt: str
) -> None:
    """--format json prints evidence.json; --format html prints the page."""
    evidence(repo, "--format", fmt)
    out = capsys.readouterr().out
    if fmt == "json":
        assert json.loads(out)["identity"]["name"] == "claims-triage"
    else:
        assert out.startswith("<!DOCTYPE html>")


def test_evidence_schema_prints_the_shipped_schema(capsys: pytest.CaptureFixture[str]) -> None:
    """`evidence schema` prints the JSON Schema shipped in the package."""
    assert main(["evidence", "schema"]) == 0
    assert json.loads(capsys.readouterr().out) == json.loads(schema_path().read_text())


# --- bad input: one line, exit 1, nothing written ---------------------------------------


def test_a_missing_junit_file_is_one_line_and_no_pack(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A JUnit file that does not exist: one line, exit 1, no pack."""
    junit = tmp_path / "nowhere.xml"
    assert evidence(repo, "-o", str(tmp_path / "pack"), junit=junit) == 1
    assert "nowhere.xml: cannot read the JUnit report" in only_error(capsys)
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("<testsuites><testcase", "not a JUnit XML report"),
        ("<html><body/></html>", "not a JUnit XML report (root <html>)"),
        ("<testsuites><testsuite/></testsuites>", "holds no test results"),
        ('<!DOCTYPE x [<!ENTITY a "aa">]><testsuites/>', "no DOCTYPE or ENTITY"),
        ("<testsuites><testsuite><testcase classname='x'/></testsuite></testsuites>", "no name"),
    ],
    ids=["truncated", "not-junit", "empty", "entities", "nameless"],
)
def test_a_malformed_junit_file_is_one_line_and_no_pack(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, words: str
) -> None:
    """A file that is not a usable JUnit report: one line naming it, exit 1, no pack."""
    junit = tmp_path / "junit.xml"
    junit.write_text(content, encoding="utf-8")
    assert evidence(repo, "-o", str(tmp_path / "pack"), junit=junit) == 1
    line = only_error(capsys)
    assert str(junit) in line and words in line
    assert leftovers(tmp_path) == []


def test_results_for_a_test_that_no_longer_exists_are_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A result for a test function the repo no longer defines: one line, exit 1, no pack."""
    results = run_results(repo, **{"tests/unit/test_auth.py::test_removed_long_ago": "passed"})
    junit = write_junit(tmp_path / "junit.xml", results)
    assert evidence(repo, "-o", str(tmp_path / "pack"), junit=junit) == 1
    assert "results for tests/unit/test_auth.py::test_removed_long_ago, which is no longer" in (
        only_error(capsys)
    )
    assert leftovers(tmp_path) == []


def test_results_for_a_deleted_test_file_are_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Results from before a test file was deleted: one line naming it, exit 1."""
    junit = write_junit(tmp_path / "junit.xml", run_results(repo))
    (repo / "tests" / "unit" / "test_drift.py").unlink()
    assert evidence(repo, "-o", str(tmp_path / "pack"), junit=junit) == 1
    assert "results for tests.unit.test_drift::" in only_error(capsys)


def test_a_traceability_report_naming_an_unknown_criterion_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A traceability report for a criterion spec.yaml no longer has: one line, exit 1."""
    trace = tmp_path / "traceability.json"
    trace.write_text(json.dumps([{"criterion": "AC-9", "status": "passing", "tests": []}]))
    code = evidence(repo, "-o", str(tmp_path / "pack"), "--traceability", str(trace))
    assert code == 1
    assert "results for criterion AC-9, which spec.yaml no longer has" in only_error(capsys)
    assert leftovers(tmp_path) == []


def test_a_malformed_traceability_report_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A traceability file that is not the plugin's JSON: one line, exit 1."""
    trace = tmp_path / "traceability.json"
    trace.write_text('{"AC-1": "passing"}', encoding="utf-8")
    assert evidence(repo, "--traceability", str(trace)) == 1
    assert "not a traceability report" in only_error(capsys)


def test_a_spec_that_does_not_validate_is_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """An invalid spec.yaml: its line and field, exit 1, no pack."""
    spec = repo / "spec.yaml"
    spec.write_text(spec.read_text(encoding="utf-8").replace("kind: service", "kind: robot"))
    assert evidence(repo, "-o", str(tmp_path / "pack")) == 1
    line = only_error(capsys)
    assert "spec.yaml:" in line and "kind" in line
    assert leftovers(tmp_path) == []


def test_a_folder_that_is_not_a_generated_repo_is_refused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A folder without spec.yaml: one line saying what PROJECT must be."""
    junit = write_junit(tmp_path / "junit.xml", {"tests/test_x.py::test_y": "passed"})
    assert main(["evidence", str(tmp_path), "--junit", str(junit)]) == 1
    assert "no spec.yaml here" in only_error(capsys)


def test_missing_copier_answers_are_refused(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without .copier-answers.yml the template version is unknown: one line, exit 1."""
    (repo / ".copier-answers.yml").unlink()
    assert evidence(repo, "-o", str(tmp_path / "pack")) == 1
    assert ".copier-answers.yml: cannot read the Copier answers" in only_error(capsys)


@pytest.mark.parametrize(
    "args",
    [["evidence"], ["evidence", "a", "b", "--junit", "x"], ["evidence", "verify"]],
    ids=["no-junit", "two-projects", "verify-without-dir"],
)
def test_usage_errors_exit_2(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Missing --junit, two projects, or verify without DIR: a usage error, exit 2."""
    assert main(args) == 2
    assert only_error(capsys)


def test_help_names_the_signing_key_variable(capsys: pytest.CaptureFixture[str]) -> None:
    """`evidence --help` names the variable that holds the signing key."""
    with pytest.raises(SystemExit):
        main(["evidence", "--help"])
    assert KEY_VARIABLE in " ".join(capsys.readouterr().out.split())


# --- the pack folder ------------------------------------------------------------------


def test_an_earlier_pack_is_replaced(repo: Path, tmp_path: Path) -> None:
    """Writing into a folder holding an earlier pack replaces that pack as a whole."""
    pack = tmp_path / "pack"
    evidence(repo, "-o", str(pack))
    (pack / SIGNATURE).write_text("hmac-sha256 0\n", encoding="utf-8")
    evidence(repo, "-o", str(pack), acceptance="passed")
    assert load(pack)["readiness"]["verdict"] == "ready"
    assert not (pack / SIGNATURE).exists()
    assert leftovers(tmp_path) == ["pack"]


def test_a_folder_holding_other_files_is_left_alone(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A non-empty folder that is not a pack is refused untouched (exit 2)."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "keep.txt").write_text("mine", encoding="utf-8")
    assert evidence(repo, "-o", str(folder)) == 2
    assert "holds no evidence pack" in only_error(capsys)
    assert [p.name for p in folder.iterdir()] == ["keep.txt"]


def test_a_link_to_a_pack_folder_stays_a_link(repo: Path, tmp_path: Path) -> None:
    """-o through a link to an earlier pack replaces the pack it points to; the link stays."""
    real = tmp_path / "packs" / "v1"
    evidence(repo, "-o", str(real))
    link = tmp_path / "latest"
    link.symlink_to(real)
    evidence(repo, "-o", str(link), acceptance="passed")
    assert (link.is_symlink(), load(real)["readiness"]["verdict"]) == (True, "ready")
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
    assert [p.name for p in real.parent.iterdir()] == ["v1"]


def test_a_fifo_as_the_pack_folder_is_one_line(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A named pipe given as the pack folder is refused in one line (exit 2), left as it is."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    assert evidence(repo, "-o", str(fifo)) == 2
    assert "is not a folder" in only_error(capsys)
    assert stat.S_ISFIFO(fifo.stat().st_mode)


# --- verify ---------------------------------------------------------------------------


@pytest.fixture
def pack(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """A pack built from the repo, unsigned."""
    evidence(repo, "-o", str(tmp_path / "pack"))
    capsys.readouterr()
    return tmp_path / "pack"


@pytest.fixture
def signed_pack(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Path:
    """A pack built from the repo and signed with KEY."""
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    evidence(repo, "-o", str(tmp_path / "signed"))
    monkeypatch.delenv(KEY_VARIABLE)
    assert "; signed)" in capsys.readouterr().out
    return tmp_path / "signed"


def test_an_intact_pack_verifies(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`evidence verify DIR` exits 0 on an untouched pack and says what it checked."""
    assert main(["evidence", "verify", str(pack)]) == 0
    out = capsys.readouterr().out
    assert "intact: 3 files match SHA256SUMS; it is not signed" in out
    assert "claims-triage: not-ready" in out


@pytest.mark.parametrize("name", ["evidence.json", "evidence.html", "evidence.md"])
def test_a_changed_file_fails_verify(
    pack: Path, capsys: pytest.CaptureFixture[str], name: str
) -> None:
    """Changing any file of the pack is detected and named."""
    path = pack / name
    path.write_text(path.read_text(encoding="utf-8").replace("pending", "passed"))
    assert main(["evidence", "verify", str(pack)]) == 1
    assert f"{path}: changed since the pack was built" in only_error(capsys)


def test_a_removed_file_fails_verify(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file removed from the pack is named."""
    (pack / "evidence.html").unlink()
    assert main(["evidence", "verify", str(pack)]) == 1
    assert "evidence.html: listed in SHA256SUMS but missing" in only_error(capsys)


def test_an_added_file_fails_verify(pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A file slipped into the pack is named."""
    (pack / "waiver.pdf").write_bytes(b"%PDF")
    assert main(["evidence", "verify", str(pack)]) == 1
    assert "waiver.pdf: not in SHA256SUMS" in only_error(capsys)


def test_a_rewritten_manifest_passes_digests_but_not_the_signature(
    signed_pack: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Changing a file and rewriting SHA256SUMS to match is caught by the signature."""
    path = signed_pack / "evidence.json"
    path.write_text(path.read_text(encoding="utf-8").replace('"not-ready"', '"ready"'))
    lines = [
        f"{hashlib.sha256((signed_pack / n).read_bytes()).hexdigest()}  {n}\n"
        for n in ("evidence.html", "evidence.json", "evidence.md")
    ]
    (signed_pack / MANIFEST).write_text("".join(lines), encoding="utf-8")
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    assert main(["evidence", "verify", str(signed_pack)]) == 1
    assert "the signature does not match SHA256SUMS" in only_error(capsys)


def test_a_signed_pack_verifies_with_its_key(
    signed_pack: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """With the signing key set, a signed pack verifies and says so."""
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    assert main(["evidence", "verify", str(signed_pack)]) == 0
    assert "its HMAC signature is valid" in capsys.readouterr().out


def test_a_signed_pack_needs_the_key(signed_pack: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Without the key, a signed pack cannot be verified: exit 1, saying which variable."""
    assert main(["evidence", "verify", str(signed_pack)]) == 1
    assert f"set {KEY_VARIABLE}" in only_error(capsys)


def test_a_wrong_key_fails_verify(
    signed_pack: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Another key than the signing key does not verify the signature."""
    monkeypatch.setenv(KEY_VARIABLE, "w" * 40)
    assert main(["evidence", "verify", str(signed_pack)]) == 1
    assert "the signature does not match" in only_error(capsys)


def test_a_removed_signature_fails_verify_when_the_key_is_set(
    signed_pack: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Deleting the signature does not turn a signed pack into a trusted unsigned one."""
    (signed_pack / SIGNATURE).unlink()
    monkeypatch.setenv(KEY_VARIABLE, KEY)
    assert main(["evidence", "verify", str(signed_pack)]) == 1
    assert "the pack is not signed, but" in only_error(capsys)


def test_a_folder_without_manifest_is_not_a_pack(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Verifying a folder without SHA256SUMS says it is not a pack."""
    assert main(["evidence", "verify", str(tmp_path)]) == 1
    assert "is not an evidence pack" in only_error(capsys)
