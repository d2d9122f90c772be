"""The real consumers of generated artifacts (promtool, Chromium, ...), found or skipped.

A test that needs one skips with the reason when it is missing on a developer's machine;
under CI (the ``CI`` environment variable set, as ``.ci/run`` does) a missing tool is a
failure, so CI can never pass by skipping. ``./dev test`` installs them from Debian.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DEBIAN_PACKAGES = {"promtool": "prometheus", "chromium": "chromium", "kubectl": "kubernetes-client"}
DEBIAN_KUBECTL = Path(sys.prefix) / "debian-kubectl" / "usr" / "bin" / "kubectl"
"""Debian's kubectl (1.20, kustomize v2.0), which ``./dev test`` unpacks beside this test
run's environment when another kubectl is on PATH: the oldest the manifests must build with."""


def find_tool(name: str) -> str | None:
    """Return the path of a tool on PATH, or None."""
    return shutil.which(name)


def require_tool(name: str) -> str:
    """Return the path of a tool; skip the test without it, or fail under CI."""
    found = find_tool(name)
    if found:
        return found
    package = DEBIAN_PACKAGES.get(name, name)
    if os.environ.get("CI"):
        pytest.fail(f"{name} is not installed; CI must install Debian's {package} package")
    pytest.skip(f"{name} is not installed (apt-get install {package}); CI runs this test")


def kubectl_clients() -> list[str]:
    """Every kubectl to build manifests with: the one on PATH, and Debian's 1.20 if not that.

    Generated manifests must build with the newest kubectl and with Debian's, whose
    kustomize (v2.0) reads far fewer fields. Skips without any kubectl; under CI fails
    unless Debian's is among them.
    """
    clients = [require_tool("kubectl")]
    if not _from_debian(clients[0]) and DEBIAN_KUBECTL.is_file():
        clients.append(str(DEBIAN_KUBECTL))
    if os.environ.get("CI") and not any(_from_debian(c) for c in clients):
        pytest.fail(
            f"Debian's kubectl is neither on PATH nor at {DEBIAN_KUBECTL}: "
            "./dev test installs or unpacks the kubernetes-client package"
        )
    return clients


def _from_debian(kubectl: str) -> bool:
    """Tell whether a kubectl is Debian's kubernetes-client (on PATH or unpacked)."""
    if Path(kubectl) == DEBIAN_KUBECTL:
        return True
    dpkg_query = shutil.which("dpkg-query")
    if dpkg_query is None:
        return False
    done = subprocess.run(
        [dpkg_query, "--search", str(Path(kubectl).resolve())],
        capture_output=True,
        text=True,
        check=False,
    )
    return done.returncode == 0 and done.stdout.startswith("kubernetes-client:")


def find_postgres_bindir() -> Path | None:
    """Return the folder of PostgreSQL's server programs (initdb, pg_ctl), or None.

    Debian keeps them off PATH, in ``/usr/lib/postgresql/<version>/bin``; ``pg_config
    --bindir`` names the folder where it is installed.
    """
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            candidates.insert(0, Path(done.stdout.strip()))
    on_path = shutil.which("pg_ctl")
    if on_path:
        candidates.append(Path(on_path).resolve().parent)
    return next(
        (d for d in candidates if (d / "initdb").is_file() and (d / "pg_ctl").is_file()), None
    )


def require_postgres() -> Path:
    """Return PostgreSQL's server programs' folder; skip without them, or fail under CI."""
    found = find_postgres_bindir()
    if found is not None:
        return found
    if os.environ.get("CI"):
        pytest.fail("PostgreSQL is not installed; CI must install Debian's postgresql package")
    pytest.skip("PostgreSQL is not installed (apt-get install postgresql); CI runs this test")
