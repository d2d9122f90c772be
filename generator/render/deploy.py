"""The deployment part of the render context: replicas, the pipeline's schedule, what tools reach.

The Kubernetes manifests under ``deploy/`` place these values; every other setting in them
is a default documented in the generated README and runbook. Values follow from the spec
where the spec says something relevant (the availability objective sets how many replicas
production keeps); the rest are the defaults below, decided here and nowhere else.
"""

from __future__ import annotations

from typing import Any

from generator.spec import GenAI, host_port

STAGING_REPLICAS = (2, 4)
"""Staging's (minimum, maximum): two, so staging runs several replicas on one database as
production does."""
PRODUCTION_MAX_REPLICAS = 10
HIGH_AVAILABILITY_PCT = 99.9
"""From this availability objective on, production keeps three replicas at least: one can
be drained or replaced while two still serve."""
DEFAULT_SCHEDULE = "0 2 * * *"
"""When a pipeline runs (cron, in :data:`SCHEDULE_TIME_ZONE`) while the spec names no
schedule: daily at 02:00, inside the two days after which ``PipelineRunStale`` pages."""
SCHEDULE_TIME_ZONE = "Etc/UTC"
CHECKPOINT_SCHEDULE = "23 * * * *"
"""When the audit chain's signed checkpoint is taken (cron, in :data:`SCHEDULE_TIME_ZONE`):
hourly, so at most an hour of records is vouched for by the chain alone."""


def deploy_context(availability_pct: float) -> dict[str, Any]:
    """Return what the manifests need: replicas per environment and the pipeline schedule."""
    production_min = 3 if availability_pct >= HIGH_AVAILABILITY_PCT else 2
    return {
        "replicas": {
            "staging": {"min": STAGING_REPLICAS[0], "max": STAGING_REPLICAS[1]},
            "production": {"min": production_min, "max": PRODUCTION_MAX_REPLICAS},
        },
        "schedule": DEFAULT_SCHEDULE,
        "time_zone": SCHEDULE_TIME_ZONE,
        "checkpoint_schedule": CHECKPOINT_SCHEDULE,
    }


KUBERNETES_API_PORTS = (443, 6443)
"""The ports of the Kubernetes API server a tool's egress needs: the ``kubernetes.default.svc``
Service's (443) and the API server's own (6443), which a NetworkPolicy sees once the Service
address is translated to the endpoint's."""
VERB_ORDER = ("get", "list", "watch", "create", "update", "patch", "delete", "deletecollection")
"""The order in which a Role lists its verbs: reads first, then writes, as kubectl shows them."""


def reach_context(genai: GenAI) -> dict[str, Any]:
    """What the tools' live bodies connect to, for the NetworkPolicy and the Role.

    ``tools``: each tool with its hosts (``host:port`` only when the port is not 443) and
    whether it calls this cluster's API. ``ports``: every port other than 443 that some
    host needs, with the hosts and tools behind it, in order (each becomes an egress rule
    of its own). ``rules``: the Role's rules, one per spec entry, the same rule of several
    tools once (naming them all), sorted by API group, resources and verbs; resources are
    sorted and verbs in :data:`VERB_ORDER`. ``kubernetes``: whether any tool calls the
    cluster's API (then the server mounts its token and is bound to the Role).
    """
    tools: list[dict[str, Any]] = []
    ports: dict[int, list[str]] = {}
    rules: dict[tuple[str, tuple[str, ...], tuple[str, ...]], list[str]] = {}
    for tool in genai.tools or []:
        reaches = tool.reaches
        hosts = list(reaches.hosts) if reaches else []
        kubernetes = list(reaches.kubernetes or []) if reaches else []
        for host in hosts:
            name, port = host_port(host)
            if port != 443:
                ports.setdefault(port, []).append(f"{name} ({tool.name})")
        for rule in kubernetes:
            verbs = sorted({str(v) for v in rule.verbs}, key=VERB_ORDER.index)
            key = (rule.api_group, tuple(sorted(set(rule.resources))), tuple(verbs))
            named = rules.setdefault(key, [])
            if tool.name not in named:
                named.append(tool.name)
        tools.append(
            {
                "name": tool.name,
                "effect": str(tool.effect),
                "hosts": [
                    name if port == 443 else f"{name}:{port}"
                    for name, port in (host_port(h) for h in hosts)
                ],
                "kubernetes": bool(kubernetes),
            }
        )
    return {
        "tools": tools,
        "ports": [{"port": port, "hosts": ports[port]} for port in sorted(ports)],
        "rules": [
            {"api_group": group, "resources": list(resources), "verbs": list(verbs), "tools": named}
            for (group, resources, verbs), named in sorted(rules.items())
        ],
        "kubernetes": bool(rules),
        "kubernetes_ports": list(KUBERNETES_API_PORTS),
    }
