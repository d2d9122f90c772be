"""Kubernetes manifests and the release script of generated repositories (DESIGN §4c, §4d).

Every example spec and both hostile fixtures render as either kind. In each repository both
overlays build with every kubectl at hand (the newest on PATH and Debian's 1.20) to the same
resources, kubernetes-validate --strict accepts every resource offline, the PrometheusRule is
ops/alerts.yml and promtool accepts it, a service has its server and migration Job and a
pipeline its CronJob, and deploy/release.sh passes shellcheck and applies what it built with
the image pinned by its digest, migrations first. The random specs of the end-to-end run get
the same checks in ``tests/e2e/test_deploy_random.py``.
"""

from __future__ import annotations

import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from tests.conftest import FIXTURES, RENDERED_SPECS
from tests.integration.test_render_matrix import variant
from tests.manifests import (
    OVERLAYS,
    builds,
    check_alert_rules,
    check_workloads,
    resources,
    shellcheck,
    validate_each,
)
from tests.supply_chain import copy_of, rendered_once
from tests.tools import require_tool

SOURCES = [*RENDERED_SPECS, FIXTURES / "hostile-service.yaml", FIXTURES / "hostile-pipeline.yaml"]
CASES = [
    pytest.param((path, kind), id=f"{path.stem}-{kind}")
    for path in [*SOURCES, FIXTURES / "longest-names.yaml"]
    for kind in ("service", "pipeline")
]
DIGEST = "sha256:" + "0123456789abcdef" * 4

RECORDING_KUBECTL = """#!/usr/bin/env bash
# A cluster that records: every call is logged, `kustomize` is the real kubectl's, each
# applied file is kept, Jobs complete at once and the CronJob runs $FAKE_IMAGE.
echo "$*" >> "$RECORD/calls"
if [ "$1" = kustomize ]; then exec "$REAL_KUBECTL" "$@"; fi
if [ "$1" = apply ]; then
  count=$(find "$RECORD" -name 'applied-*' | wc -l)
  cp "$3" "$RECORD/applied-$count.yaml"
  printf '%s\\n' "$@" > "$RECORD/applied-$count.args"
fi
case " $* " in
  *" get job "*) printf 'Complete ' ;;
  *" get cronjob "*) printf '%s' "$FAKE_IMAGE" ;;
esac
"""


@pytest.fixture(scope="module", params=CASES)
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, str, dict[str, str]]:
    """One spec rendered as one kind (once per run), and its overlays built (kubectls agreeing)."""
    path, kind = request.param
    shared = rendered_once(tmp_path_factory, variant(path, kind, minimal=False))
    # release.sh works inside the repository: this module's own copy
    repo = copy_of(shared, tmp_path_factory.mktemp(f"{path.stem}-{kind}") / "repo")
    return repo, kind, builds(repo)


@pytest.fixture(scope="module")
def validation(
    rendered: tuple[Path, str, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """What kubernetes-validate finds wrong with each overlay: one run per Kubernetes version."""
    return validate_each(rendered[2], tmp_path_factory.mktemp("validate"))


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_resource_validates_strictly(validation: dict[str, str], overlay: str) -> None:
    """kubernetes-validate --strict passes every resource, oldest and newest Kubernetes."""
    assert validation[overlay] == ""


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_prometheus_rule_is_ops_alerts_and_promtool_accepts_it(
    rendered: tuple[Path, str, dict[str, str]], overlay: str, tmp_path: Path
) -> None:
    """The PrometheusRule holds exactly ops/alerts.yml, and promtool checks its groups."""
    repo, _, built = rendered
    check_alert_rules(built[overlay], repo, tmp_path)


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_each_kind_has_its_workloads(
    rendered: tuple[Path, str, dict[str, str]], overlay: str
) -> None:
    """A service has its server, autoscaler, budget and migration Job; a pipeline its CronJob."""
    repo, kind, built = rendered
    name = yaml.safe_load((repo / "spec.yaml").read_text(encoding="utf-8"))["name"]
    check_workloads(built[overlay], kind, name)


def test_overlays_differ_in_namespace_and_environment(
    rendered: tuple[Path, str, dict[str, str]],
) -> None:
    """Staging and production land in their own namespaces with their own environment."""
    _, _, built = rendered
    for overlay in OVERLAYS:
        found = resources(built[overlay])
        assert len({r["metadata"]["namespace"] for r in found}) == 1
        (config,) = [r for r in found if r["kind"] == "ConfigMap"]
        assert [v for k, v in config["data"].items() if k.endswith("_ENVIRONMENT")] == [overlay]


def test_release_script_passes_shellcheck(rendered: tuple[Path, str, dict[str, str]]) -> None:
    """deploy/release.sh has no shellcheck finding."""
    done = shellcheck(rendered[0])
    assert done.returncode == 0, done.stdout + done.stderr


def _recording_cluster(tmp_path: Path, image: str) -> tuple[dict[str, str], Path]:
    record = tmp_path / "record"
    record.mkdir()
    fake = tmp_path / "bin" / "kubectl"
    fake.parent.mkdir()
    fake.write_text(RECORDING_KUBECTL, encoding="utf-8")
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    env = {
        **os.environ,
        "PATH": f"{fake.parent}{os.pathsep}{os.environ['PATH']}",
        "RECORD": str(record),
        "REAL_KUBECTL": require_tool("kubectl"),
        "FAKE_IMAGE": image,
    }
    return env, record


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_release_script_applies_the_image_by_digest_migrations_first(
    rendered: tuple[Path, str, dict[str, str]], overlay: str, tmp_path: Path
) -> None:
    """`release.sh apply` pins every container to the digest; a service migrates first.

    The migration Job and the ConfigMap it reads are applied first, the rest once the Job
    completed (a pipeline's runs migrate first, in their init container).
    """
    repo, kind, _ = rendered
    name = yaml.safe_load((repo / "spec.yaml").read_text(encoding="utf-8"))["name"]
    image = f"registry.example.com/team/{name}@{DIGEST}"
    env, record = _recording_cluster(tmp_path, image)
    done = subprocess.run(
        ["bash", "deploy/release.sh", "apply", overlay, image],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    applied = sorted(record.glob("applied-*.yaml"))
    last = resources(applied[-1].read_text(encoding="utf-8"))
    pods = [r["spec"]["template"] for r in last if r["kind"] in {"Deployment", "Job"}]
    pods += [r["spec"]["jobTemplate"]["spec"]["template"] for r in last if r["kind"] == "CronJob"]
    containers = [
        c for p in pods for c in [*p["spec"].get("initContainers", []), *p["spec"]["containers"]]
    ]
    assert pods and {c["image"] for c in containers} == {image}
    assert {r["metadata"]["namespace"] for r in last} == {f"{name}-{overlay}"}
    calls = (record / "calls").read_text(encoding="utf-8").splitlines()
    if kind == "service":
        first = resources(applied[0].read_text(encoding="utf-8"))
        assert "app.kubernetes.io/component in (config,migration)" in (
            record / "applied-0.args"
        ).read_text(encoding="utf-8")
        assert {r["kind"] for r in first} >= {"Job", "ConfigMap", "ServiceAccount"}
        waited = next(i for i, call in enumerate(calls) if f" get job {name}-migrate " in call)
        assert calls.index(next(c for c in calls if c.startswith("apply"))) < waited
        assert waited < max(i for i, call in enumerate(calls) if call.startswith("apply"))
    assert not list((repo / "deploy").glob(".release.*")), "the work folder was left behind"


@pytest.mark.parametrize(
    "args",
    [["apply", "staging", "registry.example.com/x:v1"], ["apply", "qa", f"r.example/x@{DIGEST}"]],
    ids=["a-tag-not-a-digest", "an-unknown-environment"],
)
def test_release_script_refuses_what_it_cannot_pin(
    rendered: tuple[Path, str, dict[str, str]], args: list[str], tmp_path: Path
) -> None:
    """`release.sh` exits 2 and applies nothing for a tag instead of a digest, or no overlay."""
    env, record = _recording_cluster(tmp_path, "")
    done = subprocess.run(
        ["bash", "deploy/release.sh", *args],
        cwd=rendered[0],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert not (record / "calls").exists()


def test_release_promotes_through_the_protected_environment(
    rendered: tuple[Path, str, dict[str, str]],
) -> None:
    """A tag's image goes to staging, then to production through its protected environment.

    Production waits for the evidence job, which waits for the tag's CI, checks its evidence
    pack's digests and attaches it and the SBOM to the release. Only the image job (packages,
    to push) and the evidence job (contents, the release) may write; no job asks for an
    OIDC token.
    """
    workflow = yaml.safe_load(
        (rendered[0] / ".github" / "workflows" / "release.yml").read_text(encoding="utf-8")
    )
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the key "on" as True
    assert workflow["permissions"] == {}
    jobs = workflow["jobs"]
    assert set(jobs) == {"image", "staging", "evidence", "production"}
    assert jobs["staging"]["environment"] == "staging" and jobs["staging"]["needs"] == "image"
    assert jobs["production"]["environment"] == "production"
    assert {"staging", "evidence"} <= set(jobs["production"]["needs"])
    assert "environment" not in jobs["evidence"] and "staging" in jobs["evidence"]["needs"]
    writers = {name for name, job in jobs.items() if "write" in job["permissions"].values()}
    assert writers == {"image", "evidence"} and jobs["image"]["permissions"]["packages"] == "write"
    assert jobs["evidence"]["permissions"] == {"contents": "write", "actions": "read"}
    attach = "\n".join(str(step.get("run", "")) for step in jobs["evidence"]["steps"])
    assert "--name evidence-pack" in attach and "sha256sum --check --strict SHA256SUMS" in attach
    assert re.search(r"gh release upload .*evidence-pack-\$GITHUB_REF_NAME\.tar\.gz", attach, re.S)
    assert all("id-token" not in job["permissions"] for job in jobs.values())
    for name in ("staging", "production"):
        commands = [str(step.get("run", "")) for step in jobs[name]["steps"]]
        assert f'bash deploy/release.sh apply {name} "$IMAGE"' in commands
    smoke = [str(step.get("run", "")) for step in jobs["staging"]["steps"]]
    assert "bash deploy/release.sh smoke staging" in smoke
    sbom = [s for s in jobs["image"]["steps"] if "sbom-action" in str(s.get("uses", ""))]
    assert sbom and sbom[0]["with"]["format"] == "cyclonedx-json"
