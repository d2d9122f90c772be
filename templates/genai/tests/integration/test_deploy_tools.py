"""What the tools reach, as deploy/ opens and grants it: exactly spec.yaml, nothing more.

spec.yaml says, per tool, which hosts its live body connects to and which permissions on
this cluster's API it needs (``genai.tools[].reaches``). Each overlay, as ``kubectl
kustomize`` builds it, must then hold a Role with exactly those permissions (no wildcard,
no ClusterRole) bound to the server's account only, mount that account's token in the
server's pods only and only when some tool calls the cluster, and open an egress port for
each port the tools reach. A test whose tool is missing skips with the reason.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
OVERLAYS = ("staging", "production")
API_SERVER_PORTS = {443, 6443}
"""The Kubernetes API server's ports: its Service's (kubernetes.default.svc) and its own."""
Rule = tuple[str, str, str]
"""One permission: API group, resource, verb."""


@cache
def _spec() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((ROOT / "spec.yaml").read_text(encoding="utf-8"))
    return loaded


def _tools() -> list[dict[str, Any]]:
    return list((_spec().get("genai") or {}).get("tools") or [])


def _reaches(tool: dict[str, Any]) -> dict[str, Any]:
    return tool.get("reaches") or {}


def _granted_by_spec() -> set[Rule]:
    """Every (group, resource, verb) the spec's tools need on this cluster's API."""
    return {
        (str(rule.get("api_group") or ""), str(resource), str(verb))
        for tool in _tools()
        for rule in _reaches(tool).get("kubernetes") or []
        for resource in rule["resources"]
        for verb in rule["verbs"]
    }


def _ports_by_spec() -> set[int]:
    """The ports of the hosts the spec's tools connect to (443 where none is written)."""
    return {
        int(host.rpartition(":")[2]) if ":" in host else 443
        for tool in _tools()
        for host in _reaches(tool).get("hosts") or []
    }


def _tool(name: str) -> str:
    """Return a tool beside this Python (the dev extra) or on PATH; skip the test without it."""
    found = shutil.which(name, path=str(Path(sys.executable).parent)) or shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (kubectl: Debian's kubernetes-client package)")
    return found


@cache
def _resources(overlay: str) -> list[dict[str, Any]]:
    """The overlay's resources as ``kubectl kustomize`` builds them."""
    done = subprocess.run(
        [_tool("kubectl"), "kustomize", str(ROOT / "deploy" / "overlays" / overlay)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return [doc for doc in yaml.safe_load_all(done.stdout) if doc]


def _of_kind(overlay: str, kind: str) -> list[dict[str, Any]]:
    return [r for r in _resources(overlay) if r["kind"] == kind]


def _pods(overlay: str) -> list[dict[str, Any]]:
    """Each workload's kind and name with its pod spec."""
    pods = []
    for resource in _resources(overlay):
        spec = resource.get("spec") or {}
        if resource["kind"] in {"Deployment", "Job"}:
            pods.append((resource, spec["template"]["spec"]))
        elif resource["kind"] == "CronJob":
            pods.append((resource, spec["jobTemplate"]["spec"]["template"]["spec"]))
    return [{"kind": r["kind"], "name": r["metadata"]["name"], "spec": s} for r, s in pods]


def _name() -> str:
    return str(_spec()["name"])


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_role_grants_exactly_what_the_tools_need(overlay: str) -> None:
    """The Role holds the spec's permissions, no other and no wildcard; none without a need."""
    roles = _of_kind(overlay, "Role")
    needed = _granted_by_spec()
    if not needed:
        assert roles == [] and _of_kind(overlay, "RoleBinding") == []
        return
    (role,) = roles
    granted: set[Rule] = set()
    for rule in role["rules"]:
        assert set(rule) == {"apiGroups", "resources", "verbs"}, rule  # no resourceNames, URLs
        for group in rule["apiGroups"]:
            for resource in rule["resources"]:
                for verb in rule["verbs"]:
                    assert "*" not in (group + resource + verb), rule
                    granted.add((group, resource, verb))
    assert granted == needed


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_the_role_is_bound_to_the_servers_account_alone(overlay: str) -> None:
    """One RoleBinding, in the overlay's namespace, to the server's account; no cluster role."""
    kinds = {r["kind"] for r in _resources(overlay)}
    assert not kinds & {"ClusterRole", "ClusterRoleBinding"}
    if not _granted_by_spec():
        return
    (role,) = _of_kind(overlay, "Role")
    (binding,) = _of_kind(overlay, "RoleBinding")
    assert binding["roleRef"] == {
        "apiGroup": "rbac.authorization.k8s.io",
        "kind": "Role",
        "name": role["metadata"]["name"],
    }
    namespace = f"{_name()}-{overlay}"
    assert binding["metadata"]["namespace"] == role["metadata"]["namespace"] == namespace
    for subject in binding["subjects"]:
        assert subject["kind"] == "ServiceAccount" and subject["name"] == _name()
        assert subject.get("namespace", namespace) == namespace


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_only_the_server_mounts_its_token_and_only_for_a_tool_that_calls_the_cluster(
    overlay: str,
) -> None:
    """The server mounts its account's token exactly when a tool needs the cluster's API."""
    needed = bool(_granted_by_spec())
    pods = _pods(overlay)
    assert pods
    for pod in pods:
        server = pod["kind"] == "Deployment" and pod["name"] == _name()
        mounted = pod["spec"]["automountServiceAccountToken"]
        assert mounted is (needed and server), pod["name"]
        if mounted:
            assert pod["spec"]["serviceAccountName"] == _name()
    for account in _of_kind(overlay, "ServiceAccount"):
        assert account["automountServiceAccountToken"] is False, account["metadata"]["name"]


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_egress_opens_every_port_the_tools_reach(overlay: str) -> None:
    """Each port a tool's host needs, and the API server's when a tool calls it, is open."""
    (policy,) = _of_kind(overlay, "NetworkPolicy")
    opened = {
        port["port"]
        for rule in policy["spec"]["egress"]
        for port in rule.get("ports") or []
        if port.get("protocol", "TCP") == "TCP"
    }
    needed = _ports_by_spec() | (API_SERVER_PORTS if _granted_by_spec() else set())
    assert needed <= opened
    assert opened - needed <= {53, 443, 5432}  # DNS, the models' HTTPS, PostgreSQL
