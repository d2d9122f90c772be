"""A generated pipeline on a large synthetic extract, against the bare libraries it uses.

Setup (not timed): render a pipeline spec with typed inputs, install it from its
``constraints.txt`` into a fresh environment, write a synthetic extract of ``rows`` rows
(:func:`synthetic_extract`), and put a model in production as people do: a run on the
sample data trains a candidate, one demo person promotes it and a second approves it
(``scripts/demo_pipeline.py``). Then, alternating, each measured as a whole process with
its peak resident memory:

- A, end to end: ``<name> run --input EXTRACT`` (development settings, said explicitly):
  read and check every row against the contract, quarantine, split, fit and evaluate the
  candidate, evaluate the approved model, score every row with it, publish, and record the
  run (audit chain, lineage, metrics, OpenLineage);
- B, the floor: the same extract read with polars (``pl.read_csv``) and the same
  scikit-learn estimator fitted on it (the generated package's ``build_estimator``), in a
  process of the same environment.

Reported: A against B (goal: at most 4x), the rows per second of each, and A's peak memory
against the 2 GB goal. No timing is asserted anywhere; the table says what was measured.
"""

from __future__ import annotations

import csv
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from benchmarks._core import REPO_ROOT, BenchError, Figure, interleaved, run
from generator.render import render_project
from generator.render.samples import SAMPLE_ROWS
from scripts.demo_pipeline import Pipeline, approve_candidate, candidate_of

SPEC = REPO_ROOT / "specs" / "trial-safety-signals.yaml"
"""Typed inputs (text, bounded integers, a category), an identifier and a key."""
ROWS = 1_000_000
RATIO_GOAL = 4.0
MEMORY_GOAL_MB = 2048.0
BAD_EVERY = 700
"""One row in this many is one of the sample's bad rows (about 0.14% quarantined)."""
UV = Path(sys.executable).with_name("uv")
FLOOR = """
import sys
import polars as pl
from {package}.contract import LABEL
from {package}.model import build_estimator, features
frame = pl.read_csv(sys.argv[1]).drop_nulls(LABEL)
build_estimator(sys.argv[2]).fit(features(frame), frame.get_column(LABEL).to_numpy())
"""
"""The floor: read the CSV with the dataframe library, fit the same estimator."""


@dataclass(frozen=True)
class Installed:
    """A rendered pipeline repository in its own environment."""

    repo: Path
    python: Path
    name: str
    package: str
    task: str
    key: str


def install(spec: Path, base: Path) -> Installed:
    """Render ``spec`` under ``base`` and install it from its constraints (uv, warm cache).

    Raises:
        BenchError: the install failed.
    """
    repo = base / "repo"
    render_project(spec, repo, git=False)
    venv = base / "venv"
    constraints = str(repo / "constraints.txt")
    run([UV, "venv", "--quiet", "--python", sys.executable, venv])
    python = venv / "bin" / "python"
    install_cmd: list[str | Path] = [
        UV, "pip", "install", "--quiet", "--python", python,
        "--constraint", constraints, "--build-constraint", constraints, "-e", repo,
    ]  # fmt: skip
    run(install_cmd)
    package = next(p.name for p in (repo / "src").iterdir() if (p / "project.json").is_file())
    context = json.loads((repo / "src" / package / "project.json").read_text(encoding="utf-8"))
    return Installed(
        repo=repo,
        python=python,
        name=str(context["name"]),
        package=package,
        task=str(context["pipeline"]["task"]),
        key=str(context["pipeline"]["key"]),
    )


def synthetic_extract(sample: Path, out: Path, rows: int, *, key: str, seed: int = 7) -> Path:
    """Write ``rows`` rows drawn from a repository's sample extract, each with a fresh key.

    The sample's good rows (typed, bounded, labelled so the baseline can learn them) are
    drawn at random; one row in :data:`BAD_EVERY` is one of its bad rows, so the extract
    has rows to quarantine too. Rows are streamed to the file, never held.
    """
    with sample.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = list(reader.fieldnames or [])
        sampled = list(reader)
    good, bad = sampled[:SAMPLE_ROWS], sampled[SAMPLE_ROWS:]
    rng = random.Random(seed)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        for i in range(rows):
            row = dict(bad[i % len(bad)] if i % BAD_EVERY == BAD_EVERY - 1 else rng.choice(good))
            if row[key]:
                row[key] = f"S{i:09d}"
            writer.writerow(row)
    return out


def measured(cmd: list[str], *, env: dict[str, str], cwd: Path) -> tuple[float, float]:
    """Run a process to its end; return its wall time (s) and peak resident memory (MB).

    Raises:
        BenchError: it exited non-zero.
    """
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        process = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(process.pid, 0)
        process.returncode = os.waitstatus_to_exitcode(status)
        elapsed = time.perf_counter() - started
        if process.returncode != 0:
            err.seek(0)
            tail = err.read().decode("utf-8", "replace").strip().splitlines()[-10:]
            command = " ".join(cmd[:2])
            raise BenchError(f"{command} exited {process.returncode}:\n" + "\n".join(tail))
    return elapsed, usage.ru_maxrss / 1024  # Linux reports kilobytes


def measure(repetitions: int = 3, rows: int = ROWS, spec: Path = SPEC) -> list[Figure]:
    """The pipeline end to end and the floor on ``rows`` rows, alternating, after a warm-up."""
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as tmp:
        base = Path(tmp)
        repo = install(spec, base)
        extract = synthetic_extract(
            repo.repo / "data" / "sample" / "sample.csv", base / "extract.csv", rows, key=repo.key
        )
        env = {
            k: v
            for k, v in os.environ.items()
            if k not in {"PYTHONPATH", "VIRTUAL_ENV", "PYTHONDONTWRITEBYTECODE"}
            and not k.startswith(repo.package.upper() + "_")
        }
        memory: dict[str, list[float]] = {"pipeline": [], "floor": []}
        stages: dict[str, float] = {}
        output = base / "output"
        prefix = repo.package.upper() + "_"
        run_env = {
            **env,
            prefix + "ENVIRONMENT": "development",  # unset, a pipeline is production's
            prefix + "OUTPUT_DIR": str(output),
            prefix + "AUDIT_DB": str(base / "audit.sqlite3"),
        }
        people = Pipeline.of(repo.repo, repo.name, repo.python.parent, run_env)
        people.call([str(repo.python.with_name(repo.name)), "run"], expect=3)  # a candidate
        approve_candidate(people, candidate_of(output))  # now a model scores

        def pipeline() -> float:
            script = repo.python.with_name(repo.name)
            seconds, peak = measured(
                [str(script), "run", "--input", str(extract)], env=run_env, cwd=repo.repo
            )
            memory["pipeline"].append(peak)
            records = [json.loads(p.read_text("utf-8")) for p in output.glob("runs/*/lineage.json")]
            record = max(records, key=lambda r: r["started_at"])
            if record["outcome"] != "success":
                raise BenchError(f"the pipeline did not publish: {record['error']}")
            stages.update(record["stage_seconds"])
            return seconds

        def floor() -> float:
            code = FLOOR.format(package=repo.package)
            cmd = [str(repo.python), "-c", code, str(extract), repo.task]
            seconds, peak = measured(cmd, env=env, cwd=repo.repo)
            memory["floor"].append(peak)
            return seconds

        runs = interleaved({"pipeline": pipeline, "floor": floor}, repetitions)
    peaks = {side: values[-repetitions:] for side, values in memory.items()}  # after warm-up
    end_to_end = Figure(
        key="pipeline_end_to_end",
        title=f"pipeline `run` on {rows:,} rows vs polars read + scikit-learn fit",
        a_label="run",
        b_label="floor",
        unit="s",
        a=runs["pipeline"],
        b=runs["floor"],
        budget=RATIO_GOAL,
        phases=stages,
    )
    end_to_end.notes.append(
        f"{spec.name}: {repo.task}; the floor reads the same CSV with polars and fits the same "
        "scikit-learn estimator on all its rows; `run` also checks every row with pandera, "
        "quarantines, evaluates, scores, publishes and records the run"
    )
    rates = Figure(
        key="pipeline_rows_per_second",
        title=f"pipeline rows per second ({rows:,} rows)",
        a_label="run",
        b_label="floor",
        unit="rows/s",
        a=[rows / s for s in runs["pipeline"]],
        b=[rows / s for s in runs["floor"]],
    )
    memory_figure = Figure(
        key="pipeline_peak_memory",
        title=f"pipeline `run` peak memory ({rows:,} rows) vs the 2 GB goal",
        a_label="run",
        b_label="goal",
        unit="MB",
        a=peaks["pipeline"],
        b=[MEMORY_GOAL_MB],
        budget=1.0,
    )
    memory_figure.notes.append(
        f"peak resident memory of the whole process; the floor's was {max(peaks['floor']):,.0f} MB"
    )
    return [end_to_end, rates, memory_figure]
