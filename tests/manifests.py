"""Checks of a rendered repository's Kubernetes manifests, shared by integration and e2e tests.

The field's own tools do the checking: ``kubectl kustomize`` builds each overlay, with every
kubectl at hand (the one on PATH, and Debian's 1.20, whose kustomize v2.0 reads far fewer
fields, see ``tests/tools.py``); ``kubernetes-validate --strict`` checks every resource
offline against the API schemas of the oldest Kubernetes the manifests support and of the
newest it knows; ``promtool`` checks the PrometheusRule's groups, which no Kubernetes schema
holds; ``shellcheck`` checks the release script.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tests.supply_chain import tool
from tests.tools import kubectl_clients, require_tool

OVERLAYS = ("staging", "production")
OLDEST_KUBERNETES = "1.27"
"""The oldest Kubernetes the generated manifests support (a CronJob's ``timeZone``)."""
CUSTOM_KINDS = frozenset({"PrometheusRule"})
SERVED = {"Deployment", "Job"}
"""A served kind's workloads: the server and the migration Job it waits for."""
WORKLOADS = {"service": SERVED, "assistant": SERVED, "agent": SERVED, "pipeline": {"CronJob"}}
_HASHED = re.compile(r"-config-[a-z0-9]{10}\b")
YAML_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe parser where PyYAML has it: the pure-Python one took a quarter of the
render property's time reading the built overlays."""


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def build(kubectl: str, repo: Path, overlay: str) -> str:
    """Build one overlay with one kubectl; fail with kubectl's message if it cannot."""
    done = _run([kubectl, "kustomize", str(repo / "deploy" / "overlays" / overlay)])
    assert done.returncode == 0, f"{kubectl} kustomize {overlay}:\n{done.stderr}"
    return done.stdout


def resources(text: str) -> list[dict[str, Any]]:
    """The resources of a built overlay."""
    return [doc for doc in yaml.load_all(text, Loader=YAML_LOADER) if doc]


def canonical(text: str) -> list[str]:
    """A built overlay in a form two kustomize versions agree on.

    The generated ConfigMap's hash suffix (each version computes its own) is removed and
    the resources are put in a fixed order.
    """
    return sorted(
        _HASHED.sub("-config-HASH", json.dumps(doc, sort_keys=True)) for doc in resources(text)
    )


def builds(repo: Path) -> dict[str, str]:
    """Each overlay built with the first kubectl; checks every other kubectl agrees."""
    clients = kubectl_clients()
    built = {overlay: build(clients[0], repo, overlay) for overlay in OVERLAYS}
    for kubectl in clients[1:]:
        for overlay in OVERLAYS:
            other = build(kubectl, repo, overlay)
            assert canonical(other) == canonical(built[overlay]), f"{kubectl}: {overlay} differs"
    return built


def validate(text: str, scratch: Path) -> None:
    """kubernetes-validate --strict passes every resource; only custom kinds go unchecked."""
    problems = validate_each({"manifest": text}, scratch)["manifest"]
    assert not problems, problems


def validate_each(texts: Mapping[str, str], scratch: Path) -> dict[str, str]:
    """Run kubernetes-validate --strict once per Kubernetes version over several built texts.

    Returns what is wrong with each text ("" when nothing): a resource that did not pass,
    one it did not check that is not a custom kind, or a failing run. kubernetes-validate
    names the file on each line it prints: one run (its start-up is a third of a built
    overlay's time) checks every text, and each text is judged by its own lines.
    """
    files = {name: scratch / f"{name}.yaml" for name in texts}
    for name, text in texts.items():
        files[name].write_text(text, encoding="utf-8")
    problems = dict.fromkeys(texts, "")
    for version in (OLDEST_KUBERNETES, None):
        versions = ["--kubernetes-version", version] if version else []
        done = _run([tool("kubernetes-validate"), "--strict", *versions, *map(str, files.values())])
        lines = done.stdout.splitlines()
        label = f"against {version or 'the newest'} (exit {done.returncode})"
        found = {name: _validation_problems(texts[name], files[name], lines) for name in texts}
        if done.returncode != 0 and not any(found.values()):  # no text to blame: all are
            found = dict.fromkeys(texts, f"the run failed:\n{done.stdout}{done.stderr}")
        for name, problem in found.items():
            if problem:
                problems[name] += f"{label}: {problem}\n"
    return problems


def _validation_problems(text: str, file: Path, lines: list[str]) -> str:
    """What kubernetes-validate's lines about ``file`` say is wrong with it ("" if nothing)."""
    builtin = [r for r in resources(text) if r["kind"] not in CUSTOM_KINDS]
    own = [line for line in lines if line.split(" ", 2)[1:2] == [str(file)]]
    passed = [line for line in own if line.startswith("INFO") and " passed " in line]
    unchecked = [line for line in own if line.startswith("WARN")]
    custom_only = all(any(f"kind {kind} " in line for kind in CUSTOM_KINDS) for line in unchecked)
    failed = [line for line in own if not line.startswith(("INFO", "WARN"))]
    if failed or len(passed) != len(builtin) or not custom_only:
        return f"{len(passed)} of {len(builtin)} resources passed:\n" + "\n".join(own)
    return ""


def check_alert_rules(text: str, repo: Path, scratch: Path) -> None:
    """The PrometheusRule holds ops/alerts.yml exactly, and promtool accepts its groups."""
    (rule,) = [r for r in resources(text) if r["kind"] == "PrometheusRule"]
    assert rule["apiVersion"] == "monitoring.coreos.com/v1"
    alerts = yaml.load((repo / "ops" / "alerts.yml").read_text(encoding="utf-8"), YAML_LOADER)
    assert rule["spec"] == alerts
    rules = scratch / "rules.yml"
    rules.write_text(yaml.safe_dump(rule["spec"], allow_unicode=True), encoding="utf-8")
    done = _run([require_tool("promtool"), "check", "rules", str(rules)])
    assert done.returncode == 0, done.stdout + done.stderr


def check_workloads(text: str, kind: str, name: str) -> None:
    """The kind's workloads are there, run its commands and hold no secret value."""
    found = resources(text)
    kinds = {r["kind"] for r in found}
    assert WORKLOADS[kind] <= kinds and "Secret" not in kinds, kinds
    if kind != "pipeline":
        assert {"Service", "HorizontalPodAutoscaler", "PodDisruptionBudget"} <= kinds
        (job,) = [r for r in found if r["kind"] == "Job"]
        (migrate,) = job["spec"]["template"]["spec"]["containers"]
        assert migrate["command"] == [name, "migrate"]
    else:
        (cronjob,) = [r for r in found if r["kind"] == "CronJob" and r["metadata"]["name"] == name]
        pod = cronjob["spec"]["jobTemplate"]["spec"]["template"]["spec"]
        (pipeline,) = pod["containers"]
        assert pipeline["args"] == ["run"]
        (migrate,) = pod["initContainers"]
        assert migrate["args"] == ["migrate"]
        assert cronjob["spec"]["schedule"]
    (checkpoints,) = [
        r for r in found if r["kind"] == "CronJob" and r["metadata"]["name"].endswith("-checkpoint")
    ]
    (writer,) = checkpoints["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert writer["command"] == [f"{name}-audit"] and writer["args"][:2] == ["checkpoint", "--dir"]


def tool_permissions(spec: dict[str, Any]) -> set[tuple[str, str, str]]:
    """Every (API group, resource, verb) a GenAI spec's tools need on the cluster's API."""
    tools = (spec.get("genai") or {}).get("tools") or []
    return {
        (str(rule.get("api_group") or ""), resource, verb)
        for tool in tools
        for rule in (tool.get("reaches") or {}).get("kubernetes") or []
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def check_tool_access(text: str, spec: dict[str, Any], name: str) -> None:
    """A GenAI overlay grants exactly what the spec's tools need on the cluster's API.

    With such tools: one Role holding exactly their permissions (no wildcard), bound to the
    server's account by one RoleBinding, and only the server mounting the account's token;
    without: no Role, no RoleBinding, no token mounted. Never a cluster-wide role.
    """
    found = resources(text)
    needed = tool_permissions(spec)
    roles = [r for r in found if r["kind"] == "Role"]
    bindings = [r for r in found if r["kind"] == "RoleBinding"]
    assert not {r["kind"] for r in found} & {"ClusterRole", "ClusterRoleBinding"}
    tokens = {
        (r["kind"], r["metadata"]["name"]): pod["automountServiceAccountToken"]
        for r in found
        if r["kind"] in {"Deployment", "Job", "CronJob"}
        for pod in [_pod_spec(r)]
    }
    if not needed:
        assert roles == [] and bindings == []
        assert set(tokens.values()) == {False}, tokens
        return
    (role,), (binding,) = roles, bindings
    granted = {
        (group, resource, verb)
        for rule in role["rules"]
        for group in rule["apiGroups"]
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }
    assert granted == needed
    assert binding["roleRef"]["kind"] == "Role"
    assert binding["roleRef"]["name"] == role["metadata"]["name"]
    assert [(s["kind"], s["name"]) for s in binding["subjects"]] == [("ServiceAccount", name)]
    assert {k for k, mounted in tokens.items() if mounted} == {("Deployment", name)}, tokens


def _pod_spec(workload: dict[str, Any]) -> dict[str, Any]:
    spec = workload["spec"]
    template = (
        spec["jobTemplate"]["spec"]["template"] if "jobTemplate" in spec else spec["template"]
    )
    pod: dict[str, Any] = template["spec"]
    return pod


def check_all(repo: Path, kind: str, name: str, scratch: Path) -> None:
    """Every check above on both overlays, and shellcheck on the release script."""
    spec = yaml.load((repo / "spec.yaml").read_text(encoding="utf-8"), YAML_LOADER)
    built = builds(repo)
    scratch.mkdir(parents=True, exist_ok=True)
    problems = validate_each(built, scratch)
    for overlay, text in built.items():
        folder = scratch / overlay
        folder.mkdir(parents=True, exist_ok=True)
        assert not problems[overlay], f"kubernetes-validate, {overlay}:\n{problems[overlay]}"
        check_alert_rules(text, repo, folder)
        check_workloads(text, kind, name)
        if kind in {"assistant", "agent"}:
            check_tool_access(text, spec, name)
    done = shellcheck(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def shellcheck(repo: Path) -> subprocess.CompletedProcess[str]:
    """Run shellcheck on the repository's release script."""
    return _run([tool("shellcheck"), "deploy/release.sh"], cwd=repo)
