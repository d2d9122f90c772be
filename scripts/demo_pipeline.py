"""The pipeline part of ``./dev demo``: run, promote, approve, run again, on the sample data.

A generated pipeline scores only with a model a person promoted and a second person
approved. The demo shows that path in a rendered repository's own environment: the first
run trains a candidate and scores nothing (exit 3); two demo operators, with credentials
made for the demo (under the repository's ``demo-credentials/``), promote and approve it
(and sign, where the spec requires signatures); the second run publishes scores.

Usage: ``python -m scripts.demo_pipeline REPO NAME`` (REPO holds ``.venv``). The end-to-end
tests call :func:`demonstrate` and :func:`approve_candidate` with environments of their own.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

MAKE_CREDENTIALS = """
import json, sys
from pathlib import Path
from {package} import project
from {package}.credentials import hash_secret
folder = Path(sys.argv[1])
folder.mkdir(exist_ok=True)
signing = project.has_feature("e-signature")
wanted = ("review", "sign") if signing else ("review",)
approver = next(
    r for r in project.roles_with("review") if all(project.allowed(r, p) for p in wanted)
)
people = {{"demo-promoter": project.roles_with("operate")[0], "demo-approver": approver}}
operators = {{
    a: {{"secret": hash_secret(f"operator-{{a}}-demo"), "role": r}} for a, r in people.items()
}}
signers = {{a: {{"secret": hash_secret(f"signing-{{a}}-demo"), "name": a}} for a in people}}
(folder / "operators.json").write_text(json.dumps(operators), encoding="utf-8")
(folder / "signing.json").write_text(json.dumps(signers), encoding="utf-8")
print(json.dumps(people))
"""
PROMOTER = "demo-promoter"
APPROVER = "demo-approver"


@dataclass
class Pipeline:
    """A rendered pipeline's command, the environment it runs in, and what it said."""

    repo: Path
    name: str
    bin_dir: Path
    env: dict[str, str]
    said: dict[str, str] = field(default_factory=dict)

    @classmethod
    def of(
        cls, repo: Path, name: str, bin_dir: Path, base_env: Mapping[str, str] | None = None
    ) -> Pipeline:
        """Demo credentials for two people, development settings unless ``base_env`` says."""
        prefix = name.replace("-", "_").upper() + "_"
        folder = repo / "demo-credentials"
        env = dict(os.environ if base_env is None else base_env)
        env.setdefault(prefix + "ENVIRONMENT", "development")  # unset: production
        env[prefix + "OPERATOR_CREDENTIALS"] = str(folder / "operators.json")
        env[prefix + "SIGNING_CREDENTIALS"] = str(folder / "signing.json")
        pipeline = cls(repo, name, bin_dir, env)
        code = MAKE_CREDENTIALS.format(package=name.replace("-", "_"))
        pipeline.said["people"] = pipeline.call([str(bin_dir / "python"), "-c", code, str(folder)])
        return pipeline

    def call(self, args: list[str], stdin: str = "", expect: int = 0) -> str:
        """Run a command in the repository; its standard output.

        Raises:
            SystemExit: it did not exit with ``expect``.
        """
        done = subprocess.run(
            args,
            cwd=self.repo,
            env=self.env,
            input=stdin,
            text=True,
            capture_output=True,
            check=False,
        )
        if done.returncode != expect:
            raise SystemExit(
                f"{' '.join(args[:2])}: expected exit {expect}, got {done.returncode}:\n"
                f"{done.stdout[-2000:]}{done.stderr[-2000:]}"
            )
        return done.stdout

    def step(self, key: str, title: str, args: list[str], stdin: str = "", expect: int = 0) -> str:
        """Run ``<name> ARGS``, show it with its output, and keep the output under ``key``."""
        _say(f"\n$ {self.name} {' '.join(args)}    # {title}")
        out = self.call([str(self.bin_dir / self.name), *args], stdin, expect)
        _say(out.rstrip())
        self.said[key] = out
        return out


def approve_candidate(pipeline: Pipeline, version: str) -> None:
    """One demo person promotes ``version``, the other approves (and signs) it."""
    people = json.loads(pipeline.said["people"])
    _say(f"\n(demo people: {PROMOTER} as {people[PROMOTER]}, {APPROVER} as {people[APPROVER]})")
    pipeline.step(
        "promote",
        "one person asks for the candidate to go live",
        ["promote", version, "--actor", PROMOTER, "--reason", "demo: gate passed"],
        stdin=f"operator-{PROMOTER}-demo\n",
    )
    pipeline.step(
        "approve",
        "a second person approves it (and signs, where the spec asks for it)",
        ["approve", version, "--actor", APPROVER, "--reason", "demo: checked"],
        stdin=f"operator-{APPROVER}-demo\nsigning-{APPROVER}-demo\n",
    )


def candidate_of(output: Path) -> str:
    """The candidate version of the newest run under ``output``."""
    records = [json.loads(p.read_text("utf-8")) for p in output.glob("runs/*/lineage.json")]
    newest = max(records, key=lambda record: record["started_at"])
    return str(newest["candidate"]["version"])


def demonstrate(pipeline: Pipeline, output: Path) -> dict[str, str]:
    """Run (exit 3), promote, approve, run (exit 0) and verify; each step's output by key.

    Raises:
        SystemExit: a step did not exit as it should.
    """
    pipeline.step("first", "a candidate is trained; none is approved", ["run"], expect=3)
    approve_candidate(pipeline, candidate_of(output))
    pipeline.step("second", "scores with the approved model", ["run"])
    pipeline.step("verify", "the audit chain holds every step", ["audit", "verify"])
    return pipeline.said


def _say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def main(argv: list[str]) -> int:
    """Run the demo in ``argv[0]`` (the repository) for ``argv[1]`` (the project's name)."""
    repo = Path(argv[0]).resolve()
    demonstrate(Pipeline.of(repo, argv[1], repo / ".venv" / "bin"), repo / "output")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
