"""A rendered pipeline's Airflow DAG: Airflow loads it, and it runs as ``<name> run`` does.

The health-data spec (typed inputs) is installed with its ``airflow`` extra once per test
session (shared with ``test_pipeline_repo.py``). In that environment, with a fresh Airflow
home: ``DagBag`` parses the repository's ``dags/`` folder without import errors, and
``dag.test()`` runs the DAG on the sample data; its published files, its lineage record and
its OpenLineage events must equal those of ``<name> run`` on the same data, apart from what
differs between any two runs (ids, times, paths). Each side first runs once and has its
candidate promoted and approved by two people (scores come only from an approved model).
Apache Airflow is a pip install, so this test never skips.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.demo_pipeline import Pipeline, approve_candidate, candidate_of
from tests.conftest import SPECS
from tests.e2e.environments import RepoEnv, repo_group

SPEC = SPECS / "trial-safety-signals.yaml"
pytestmark = [pytest.mark.e2e, repo_group(SPEC)]
SCRIPT = """
import json, sys
from airflow.models import DagBag
bag = DagBag(dag_folder=sys.argv[1])
dag = bag.dags[sys.argv[2]]
found = {
    "import_errors": {str(k): str(v) for k, v in bag.import_errors.items()},
    "dag_ids": sorted(bag.dags),
    "tasks": sorted(dag.task_ids),
}
dag.deadline = None  # Airflow 3.3's dag.test() cannot evaluate deadline alerts
found["state"] = str(dag.test().state)
print(json.dumps(found))
"""
DIFFERENT = {"run_id", "started_at", "finished_at", "orchestrator", "outputs", "stage_seconds"}
"""Run record fields that differ between two runs of the same data, by design."""


@pytest.fixture(scope="module")
def pipeline(installed_pipeline: Callable[[Path], RepoEnv]) -> RepoEnv:
    """The health-data pipeline, installed with Apache Airflow."""
    return installed_pipeline(SPEC)


def _env(repo: RepoEnv, base: Path) -> dict[str, str]:
    """The repo's environment, an Airflow home under ``base``, outputs under ``base``."""
    prefix = repo.repo.name.replace("-", "_").upper() + "_"
    home = base / "airflow"
    home.mkdir(parents=True)
    return {
        **repo.env(),
        "AIRFLOW_HOME": str(home),
        "AIRFLOW__CORE__DAGS_FOLDER": str(repo.repo / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        prefix + "INPUT": str(repo.repo / "data" / "sample" / "sample.csv"),
        prefix + "OUTPUT_DIR": str(base / "output"),
        prefix + "AUDIT_DB": str(base / "audit.sqlite3"),
        prefix + "PRIVACY_SALT": "e2e-salt-of-this-test",
        prefix + "AUDIT_KEY": "e2e-audit-key-of-this-test-" + "k" * 20,
        prefix + "ENVIRONMENT": "test",
    }


def _call(args: list[str], env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=900, check=False
    )
    assert done.returncode == 0, f"{args[:3]}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
    return done.stdout


def _run_folder(base: Path) -> Path:
    """The newest run's folder (the one that scored with the approved model)."""
    folders = list((base / "output" / "runs").iterdir())
    return max(
        folders,
        key=lambda f: json.loads((f / "lineage.json").read_text(encoding="utf-8"))["started_at"],
    )


def _approved(repo: RepoEnv, base: Path) -> Pipeline:
    """Run once under ``base`` and have two people approve the candidate."""
    pipeline = Pipeline.of(repo.repo, repo.repo.name, repo.bin, _env(repo, base))
    pipeline.step("first", "a candidate", ["run"], expect=3)
    approve_candidate(pipeline, candidate_of(base / "output"))
    return pipeline


def _events(base: Path) -> list[dict[str, Any]]:
    lines = (base / "output" / "lineage" / "openlineage.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in lines.splitlines()]


def _shape(event: dict[str, Any]) -> tuple[Any, ...]:
    """An OpenLineage event without ids, times and paths."""
    (source,) = event["inputs"]
    return (
        event["eventType"],
        event["job"],
        source["facets"]["schema"],
        source["inputFacets"],
        sorted(
            # rowCount is left out for a file without rows (the model), as None is not sent
            (
                Path(o["name"]).name,
                o["facets"],
                o["outputFacets"]["outputStatistics"].get("rowCount"),
            )
            for o in event.get("outputs", [])
        ),
    )


def test_the_dag_loads_and_runs_as_the_command_line_does(pipeline: RepoEnv, tmp_path: Path) -> None:
    """No import errors; dag.test() publishes what `run` publishes, and records the same run."""
    by_cli, by_dag = tmp_path / "cli", tmp_path / "dag"
    name = pipeline.repo.name
    _approved(pipeline, by_cli).step("second", "scores", ["run"])
    env = _approved(pipeline, by_dag).env
    _call([pipeline.python, "-m", "airflow", "db", "migrate"], env, pipeline.repo)
    out = _call(
        [pipeline.python, "-c", SCRIPT, str(pipeline.repo / "dags"), name], env, pipeline.repo
    )
    found = json.loads(out.strip().splitlines()[-1])
    assert found["import_errors"] == {}
    assert found["dag_ids"] == [name]
    assert found["tasks"] == ["finish", "publish", "start", "train", "validate"]
    assert found["state"].endswith("success"), found

    cli_folder, dag_folder = _run_folder(by_cli), _run_folder(by_dag)
    published = sorted(p.name for p in cli_folder.iterdir())
    assert published == sorted(p.name for p in dag_folder.iterdir())
    assert any(n.startswith("model-m-") and n.endswith(".skops") for n in published)
    for file in published:
        if file != "lineage.json":
            assert (dag_folder / file).read_bytes() == (cli_folder / file).read_bytes(), file
    cli_record = json.loads((cli_folder / "lineage.json").read_text(encoding="utf-8"))
    dag_record = json.loads((dag_folder / "lineage.json").read_text(encoding="utf-8"))
    assert (cli_record["outcome"], dag_record["orchestrator"]["name"]) == ("success", "airflow")
    assert {k: v for k, v in dag_record.items() if k not in DIFFERENT} == {
        k: v for k, v in cli_record.items() if k not in DIFFERENT
    }
    assert [_shape(e) for e in _events(by_dag)] == [_shape(e) for e in _events(by_cli)]
