"""The GenAI template's operations files, rendered alone and checked by their real consumers.

``templates/genai/`` is not rendered by ``new-ai-project new`` yet (its wiring is separate
work), so these tests render just its ``docs/``, ``deploy/``, ``ops/`` and
``.github/workflows/evals-live.yml`` the way Copier does (see ``render_ops``) with the
context ``build_context`` computes for a GenAI spec: the examples, an agent stripped to
the minimum, a spec with hostile text in every free-text field, and random valid specs.
Then promtool (check and test rules), kubectl kustomize with every kubectl at hand,
kubernetes-validate, zizmor and GitHub's workflow schema read the output.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jinja2
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from jinja2.sandbox import SandboxedEnvironment
from pydantic import ValidationError

from generator.render import build_context
from generator.spec import ProjectSpec
from tests.conftest import FIXTURES, ROOT, SPECS
from tests.manifests import (
    builds,
    check_alert_rules,
    check_tool_access,
    check_workloads,
    resources,
    validate_each,
)
from tests.strategies import HOSTILE, valid_specs
from tests.supply_chain import persisting_checkouts, unpinned_actions, workflow_schema, zizmor
from tests.tools import kubectl_clients, require_tool

TEMPLATE = ROOT / "templates" / "genai"
OWNED = ("docs", "deploy", "ops", ".github")
"""The parts of the GenAI template rendered here (the rest is rendered by the layout work)."""
PACKAGE_DIR = TEMPLATE / "src" / "{{ project.package }}"
HOSTILE_TEXT = " ".join(HOSTILE)
HOSTILE_TITLE = HOSTILE_TEXT.replace("\n", " ")[:280]


def _environment() -> SandboxedEnvironment:
    """Copier's Jinja: sandboxed, Ansible's core filters, the template repository as root."""
    return SandboxedEnvironment(
        loader=jinja2.FileSystemLoader(ROOT),
        extensions=["jinja2_ansible_filters.AnsibleCoreFiltersExtension"],
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_ops(context: dict[str, Any], dest: Path) -> Path:
    """Render the owned parts of templates/genai into ``dest`` as Copier would.

    Each path's parts are rendered (a conditional name that renders empty is skipped), a
    ``.jinja`` file is rendered and loses its suffix, any other file is copied, and a link
    is the file it names under the link's own name.
    """
    env = _environment()
    project = json.loads(json.dumps(context))  # as Copier records and reads it back
    for part in OWNED:
        for path in sorted((TEMPLATE / part).rglob("*")):
            if path.is_dir():
                continue
            relative = path.relative_to(TEMPLATE).as_posix()
            name = env.from_string(relative).render(project=project)
            if path.name.endswith(".jinja"):
                name = name.removesuffix(".jinja")
                if not name or name.endswith("/"):
                    continue
                text = env.get_template(path.relative_to(ROOT).as_posix()).render(project=project)
            else:
                text = path.read_text(encoding="utf-8")
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
    return dest


def _hostile_spec(source: Path = FIXTURES / "genai-normative.yaml") -> dict[str, Any]:
    """A spec (the normative agent) with hostile text in every field that takes free text."""
    data: dict[str, Any] = yaml.safe_load(source.read_text(encoding="utf-8"))

    def leaves(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        if isinstance(value, dict):
            return [p for k, v in value.items() for p in leaves(v, (*path, k))]
        if isinstance(value, list):
            return [p for i, v in enumerate(value) for p in leaves(v, (*path, i))]
        return [path] if isinstance(value, str) else []

    for path in leaves(data):
        for text in (HOSTILE_TEXT, HOSTILE_TITLE):
            trial = copy.deepcopy(data)
            holder = trial
            for key in path[:-1]:
                holder = holder[key]
            holder[path[-1]] = text
            try:
                ProjectSpec.model_validate(trial)
            except ValidationError:
                continue
            data = trial
            break
    return data


def _minimal_agent() -> dict[str, Any]:
    """An agent with one model, no judge, no guardrails, no retrieval, no budget, no write."""
    data: dict[str, Any] = yaml.safe_load(
        (FIXTURES / "genai-normative.yaml").read_text(encoding="utf-8")
    )
    genai = data["genai"]
    genai["models"] = genai["models"][:1]
    genai["tools"] = genai["tools"][:1]
    for key in ("judge", "guardrails", "retrieval", "limits", "transparency"):
        genai.pop(key, None)
    genai["evals"] = [e for e in genai["evals"] if e["scorer"] != "unapproved-writes"]
    data.pop("budget", None)
    data["acceptance_criteria"] = [
        c for c in data["acceptance_criteria"] if "approval" not in c["then"]
    ]
    return data


SOURCES: dict[str, Any] = {
    "normative-agent": FIXTURES / "genai-normative.yaml",
    "benefits-assistant": SPECS / "benefits-enquiry-assistant.yaml",
    "outage-agent": SPECS / "outage-response-agent.yaml",
    "minimal-agent": _minimal_agent,
    "hostile-agent": _hostile_spec,
    "hostile-assistant": lambda: _hostile_spec(SPECS / "benefits-enquiry-assistant.yaml"),
}


def _spec(source: Any) -> ProjectSpec:
    if isinstance(source, Path):
        data = yaml.safe_load(source.read_text(encoding="utf-8"))
    else:
        data = source()
    return ProjectSpec.model_validate(data)


@pytest.fixture(scope="module", params=list(SOURCES))
def rendered(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, dict[str, Any]]:
    """One rendering of the operations files per spec, shared by the tests of this module."""
    spec = _spec(SOURCES[request.param])
    context = build_context(spec)
    repo = render_ops(context, tmp_path_factory.mktemp(request.param) / "repo")
    return repo, context


def _run(args: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def _alerts(repo: Path) -> list[dict[str, Any]]:
    data = yaml.safe_load((repo / "ops" / "alerts.yml").read_text(encoding="utf-8"))
    rules: list[dict[str, Any]] = data["groups"][0]["rules"]
    return rules


def _exported_metrics(package: str) -> set[str]:
    """The series genai_metrics.py exports: counters with ``_total``, gauges as named."""
    source = (PACKAGE_DIR / "genai_metrics.py").read_text(encoding="utf-8")
    found = re.findall(r'(Counter|Gauge)\(\s*f"\{PREFIX\}_(\w+)"', source)
    assert found, "no metric found in genai_metrics.py"
    return {f"{package}_{name}{'_total' if kind == 'Counter' else ''}" for kind, name in found}


# --- alert rules ---------------------------------------------------------------------------


def test_alert_rules_pass_promtool(rendered: tuple[Path, dict[str, Any]]) -> None:
    """The promtool check of rules accepts ops/alerts.yml."""
    repo, _ = rendered
    done = _run([require_tool("promtool"), "check", "rules", str(repo / "ops" / "alerts.yml")])
    assert done.returncode == 0, done.stdout + done.stderr


def test_alert_rules_use_only_metrics_the_runtime_exports(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Every series an alert reads is one src/<package>/genai_metrics.py exports."""
    repo, context = rendered
    package = context["package"]
    exported = _exported_metrics(package)
    for rule in _alerts(repo):
        used = set(re.findall(rf"\b{package}_\w+", rule["expr"]))
        assert used, rule["alert"]
        assert used <= exported, f"{rule['alert']}: {sorted(used - exported)}"


def test_alert_rules_cover_the_kind(rendered: tuple[Path, dict[str, Any]]) -> None:
    """Cost, fallbacks and verdicts for both kinds; approvals and runs for agents only."""
    repo, context = rendered
    names = {rule["alert"] for rule in _alerts(repo)}
    genai = context["genai"]
    assert {"ModelChainDown", "TokenUsageSpike", "BudgetRefusals", "KillSwitchEngaged"} <= names
    assert ("FallbackRateHigh" in names) == (len(genai["models"]) > 1)
    assert ("MonthlyBudgetExceeded" in names) == (context["budget_monthly_usd"] is not None)
    assert ("GuardrailViolationsHigh" in names) == bool(genai["guardrails"])
    agent_only = {"ApprovalsWaiting", "RunsStopped", "RunsFailing"}
    if context["kind"] == "agent":
        assert agent_only <= names and "AbstentionRateHigh" not in names
    else:
        assert not agent_only & names and "AbstentionRateHigh" in names


def test_budget_alert_fires_at_the_spec_budget_with_the_title_unchanged(
    rendered: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """Under promtool test rules, spending past the monthly budget fires it, with the title as written.

    Prometheus renders annotations as Go templates; the spec's title (hostile in one case)
    must come out exactly as spec.yaml has it.
    """
    repo, context = rendered
    package, budget = context["package"], context["budget_monthly_usd"]
    rules = {rule["alert"]: rule for rule in _alerts(repo)}
    chain = rules["ModelChainDown"]
    tests: list[dict[str, Any]] = [
        {
            "interval": "1m",
            "input_series": [
                {
                    "series": f'{package}_genai_model_calls_total{{model="m",outcome="error"}}',
                    "values": "0+5x30",
                },
            ],
            "alert_rule_test": [
                {
                    "eval_time": "20m",
                    "alertname": "ModelChainDown",
                    "exp_alerts": [
                        {
                            "exp_labels": chain["labels"],
                            "exp_annotations": {
                                **chain["annotations"],
                                "system": context["spec"]["title"],
                            },
                        }
                    ],
                }
            ],
        }
    ]
    if budget is not None:
        spent = rules["MonthlyBudgetExceeded"]
        tests.append(
            {
                "interval": "1h",
                "input_series": [
                    {
                        "series": f'{package}_genai_cost_usd_total{{model="m"}}',
                        "values": f"0+{budget / 10:g}x20",
                    },
                ],
                "alert_rule_test": [
                    {"eval_time": "5h", "alertname": "MonthlyBudgetExceeded", "exp_alerts": []},
                    {
                        "eval_time": "12h",
                        "alertname": "MonthlyBudgetExceeded",
                        "exp_alerts": [
                            {"exp_labels": spent["labels"], "exp_annotations": spent["annotations"]}
                        ],
                    },
                ],
            }
        )
    if context["kind"] == "agent":
        waiting = rules["ApprovalsWaiting"]
        minutes = int(str(waiting["for"]).removesuffix("m"))
        tests.append(
            {
                "interval": "1m",
                "input_series": [
                    {"series": f"{package}_genai_approvals_pending", "values": f"1x{minutes + 10}"}
                ],
                "alert_rule_test": [
                    {
                        "eval_time": f"{minutes - 1}m",
                        "alertname": "ApprovalsWaiting",
                        "exp_alerts": [],
                    },
                    {
                        "eval_time": f"{minutes + 5}m",
                        "alertname": "ApprovalsWaiting",
                        "exp_alerts": [
                            {
                                "exp_labels": waiting["labels"],
                                "exp_annotations": waiting["annotations"],
                            }
                        ],
                    },
                ],
            }
        )
    test_file = tmp_path / "alerts_test.yml"
    test_file.write_text(
        yaml.safe_dump(
            {
                "rule_files": [str(repo / "ops" / "alerts.yml")],
                "evaluation_interval": "1m",
                "tests": tests,
            },
            allow_unicode=True,
        ),
        encoding="utf-8",
    )
    done = _run([require_tool("promtool"), "test", "rules", str(test_file)])
    assert done.returncode == 0, done.stdout + done.stderr


# --- deploy ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built(rendered: tuple[Path, dict[str, Any]]) -> dict[str, str]:
    """Each overlay built with every kubectl at hand (they must agree)."""
    repo, _ = rendered
    return builds(repo)


def test_overlays_build_validate_and_carry_the_alert_rules(
    rendered: tuple[Path, dict[str, Any]], built: dict[str, str], tmp_path: Path
) -> None:
    """kubernetes-validate --strict passes each overlay; the PrometheusRule is ops/alerts.yml."""
    repo, context = rendered
    problems = validate_each(built, tmp_path)  # one kubernetes-validate run per version
    for overlay, text in built.items():
        folder = tmp_path / overlay
        folder.mkdir()
        assert not problems[overlay], f"kubernetes-validate, {overlay}:\n{problems[overlay]}"
        check_alert_rules(text, repo, folder)
        # a server, its migration, checkpoints
        check_workloads(text, context["kind"], context["name"])


def test_kubernetes_permissions_are_exactly_what_the_tools_reach(
    rendered: tuple[Path, dict[str, Any]], built: dict[str, str]
) -> None:
    """A Role with exactly the tools' permissions and the server's token, or neither."""
    _, context = rendered
    for text in built.values():
        check_tool_access(text, context["spec"], context["name"])
        for account in (r for r in resources(text) if r["kind"] == "ServiceAccount"):
            assert account["automountServiceAccountToken"] is False


def test_the_role_has_one_rule_per_spec_rule_naming_its_tools(tmp_path: Path) -> None:
    """Rules sorted, resources sorted, verbs reads first; the same rule of two tools once."""
    data = yaml.safe_load((FIXTURES / "genai-normative.yaml").read_text(encoding="utf-8"))
    data["genai"]["tools"][1]["reaches"]["kubernetes"].append(
        {"api_group": "apps", "resources": ["deployments"], "verbs": ["list", "get"]}
    )
    context = build_context(ProjectSpec.model_validate(data))
    repo = render_ops(context, tmp_path / "repo")
    text = (repo / "deploy" / "base" / "role.yaml").read_text(encoding="utf-8")
    role = yaml.safe_load(text)
    assert role["kind"] == "Role" and role["metadata"]["name"] == "incident-copilot-tools"
    assert [(r["apiGroups"], r["resources"], r["verbs"]) for r in role["rules"]] == [
        ([""], ["events", "pods"], ["get", "list"]),
        (["apps"], ["deployments"], ["get", "list"]),
        (["apps"], ["deployments"], ["get", "patch"]),
        (["apps"], ["replicasets"], ["list"]),
    ]
    comments = re.findall(r"^  # (.+)$", text, flags=re.MULTILINE)
    assert comments == [
        "describe_deployment",
        "describe_deployment, rollout_undo",
        "rollout_undo",
        "rollout_undo",
    ]
    kustomization = (repo / "deploy" / "base" / "kustomization.yaml").read_text(encoding="utf-8")
    assert "  - role.yaml\n  - rolebinding.yaml\n" in kustomization
    deployment = (repo / "deploy" / "base" / "deployment.yaml").read_text(encoding="utf-8")
    assert "automountServiceAccountToken: true" in deployment


def test_an_agent_whose_tools_reach_no_cluster_has_no_role_files(tmp_path: Path) -> None:
    """Without a tool on the cluster's API: no role.yaml, no rolebinding.yaml, none listed."""
    context = build_context(_spec(SPECS / "outage-response-agent.yaml"))
    repo = render_ops(context, tmp_path / "repo")
    base = repo / "deploy" / "base"
    assert not (base / "role.yaml").exists() and not (base / "rolebinding.yaml").exists()
    assert "role" not in (base / "kustomization.yaml").read_text(encoding="utf-8")


def _pod_specs(found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    pods = []
    for r in found:
        if r["kind"] in {"Deployment", "Job"}:
            pods.append(r["spec"]["template"]["spec"])
        elif r["kind"] == "CronJob":
            pods.append(r["spec"]["jobTemplate"]["spec"]["template"]["spec"])
    return pods


def test_network_policy_lets_out_only_what_the_models_and_tools_reach(
    rendered: tuple[Path, dict[str, Any]], built: dict[str, str]
) -> None:
    """Egress is DNS, PostgreSQL, HTTPS, each tool's port, and the API server for its tools.

    The policy's comments name each model, each tool and each host a tool reaches.
    """
    repo, context = rendered
    reach = context["reach"]
    tool_ports = {p["port"] for p in reach["ports"]}
    api_server = {6443} if reach["kubernetes"] else set()
    for text in built.values():
        (policy,) = [r for r in resources(text) if r["kind"] == "NetworkPolicy"]
        egress = policy["spec"]["egress"]
        ports = {p["port"] for rule in egress for p in rule["ports"]}
        assert ports == {53, 5432, 443} | tool_ports | api_server
        for port in tool_ports:  # a rule of its own for each port a tool reaches
            assert [{"protocol": "TCP", "port": port}] in [rule["ports"] for rule in egress]
        if reach["kubernetes"]:
            expected = [{"protocol": "TCP", "port": 443}, {"protocol": "TCP", "port": 6443}]
            assert expected in [rule["ports"] for rule in egress]
        assert all("to" not in rule for rule in egress)  # narrowed by the team
    source = (repo / "deploy" / "base" / "networkpolicy.yaml").read_text(encoding="utf-8")
    genai = context["genai"]
    for model in genai["models"]:
        assert f"#   {model['id']}: {model['provider']} at " in source
    for tool in genai["tools"] or []:
        assert (
            f"#   {tool['name']} ({tool['effect']}, blast radius {tool['blast_radius']}" in source
        )
        for host in (tool["reaches"] or {}).get("hosts") or []:
            assert host.lower().removesuffix(":443") in source
    assert ("kubernetes.default.svc" in source) is reach["kubernetes"]


def test_each_model_of_the_chain_gets_its_key_from_the_secret(
    rendered: tuple[Path, dict[str, Any]], built: dict[str, str]
) -> None:
    """The server reads one key per chain model from the Secret, never a literal value."""
    _, context = rendered
    prefix = context["package"].upper()
    for text in built.values():
        (deployment,) = [r for r in resources(text) if r["kind"] == "Deployment"]
        (server,) = deployment["spec"]["template"]["spec"]["containers"]
        env = {e["name"]: e for e in server["env"]}
        assert all("value" not in e for e in server["env"]), "a literal value in the server's env"
        for model in context["genai"]["models"]:
            key = env[f"{prefix}_MODELS__{model['id'].upper()}__API_KEY"]["valueFrom"]
            assert key["secretKeyRef"] == {
                "name": f"{context['name']}-secrets",
                "key": f"model-{model['id']}-api-key",
                "optional": True,
            }


def test_agent_server_is_sized_and_configured_for_its_worker(
    rendered: tuple[Path, dict[str, Any]], built: dict[str, str]
) -> None:
    """An agent's pods run the worker: more CPU and memory, and its thread count set."""
    _, context = rendered
    for text in built.values():
        found = resources(text)
        (deployment,) = [r for r in found if r["kind"] == "Deployment"]
        (server,) = deployment["spec"]["template"]["spec"]["containers"]
        (config,) = [r for r in found if r["kind"] == "ConfigMap"]
        threads = f"{context['package'].upper()}_WORKER_THREADS"
        if context["kind"] == "agent":
            assert server["resources"]["requests"] == {"cpu": "500m", "memory": "512Mi"}
            assert config["data"][threads] == "2"
        else:
            assert threads not in config["data"]


def test_release_script_migrates_then_rolls_out_the_server(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """deploy/release.sh runs the migration Job, then waits for the Deployment's rollout."""
    repo, _ = rendered
    script = (repo / "deploy" / "release.sh").read_text(encoding="utf-8")
    assert 'wait_for_job "$namespace" "$APP-migrate"' in script
    assert 'rollout status "deployment/$APP"' in script


# --- the live evals workflow ---------------------------------------------------------------


def _workflow(repo: Path) -> dict[Any, Any]:
    data: dict[Any, Any] = yaml.safe_load(
        (repo / ".github" / "workflows" / "evals-live.yml").read_text(encoding="utf-8")
    )
    return data


def test_evals_live_passes_zizmor_and_the_workflow_schema(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Offline zizmor finds nothing, and GitHub's workflow schema accepts the file."""
    repo, _ = rendered
    done = zizmor(repo)
    assert done.returncode == 0, done.stdout + done.stderr
    done = workflow_schema(repo)
    assert done.returncode == 0, done.stdout + done.stderr


def test_evals_live_runs_on_release_tags_with_least_privilege(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Tags v* only; no token permission but reading the repository; secrets from `evals`."""
    repo, _ = rendered
    flow = _workflow(repo)
    assert flow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads the key `on` as True
    assert flow["permissions"] == {}
    (job,) = flow["jobs"].values()
    assert job["permissions"] == {"contents": "read"}
    assert job["environment"] == "evals"
    assert unpinned_actions(repo) == [] and persisting_checkouts(repo) == []


def test_evals_live_pins_actions_exactly_as_the_service_workflows(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Every action is pinned to a commit the service's own workflows already use."""
    repo, _ = rendered
    pin = re.compile(r"uses: ([\w./-]+@[0-9a-f]{40} # v[\d.]+)")
    service = {
        m
        for path in (ROOT / "templates" / "service" / ".github" / "workflows").iterdir()
        for m in pin.findall(path.resolve().read_text(encoding="utf-8"))
    }
    service |= set(pin.findall((ROOT / "templates/_shared/readiness-job.yml.jinja").read_text()))
    used = set(pin.findall((repo / ".github" / "workflows" / "evals-live.yml").read_text()))
    assert used and used <= service, used - service


def test_evals_live_gives_each_model_and_the_judge_its_secret_and_uploads_the_report(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """The eval step reads every chain model's key and the judge's; the report is uploaded."""
    repo, context = rendered
    prefix, genai = context["package"].upper(), context["genai"]
    (job,) = _workflow(repo)["jobs"].values()
    (run,) = [s for s in job["steps"] if s.get("run", "").endswith(" eval --out eval_report.json")]
    assert run["run"] == f"{context['name']} eval --out eval_report.json"
    env = run["env"]
    assert env[f"{prefix}_ENVIRONMENT"] == "staging"  # production would refuse sandbox tools
    for model in genai["models"]:
        secret = re.sub(r"[^A-Z0-9]", "_", model["id"].upper())
        assert env[f"{prefix}_MODELS__{model['id'].upper()}__API_KEY"] == (
            f"${{{{ secrets.MODEL_{secret}_API_KEY }}}}"
        )
    assert (f"{prefix}_JUDGE__API_KEY" in env) == (genai["judge"] is not None)
    assert (env.get(f"{prefix}_TOOLS_MODE") == "sandbox") == (context["kind"] == "agent")
    (upload,) = [s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/upload")]
    assert upload["with"]["path"] == "eval_report.json" and upload["if"] == "${{ !cancelled() }}"


def test_evals_live_fails_a_report_made_on_the_fake_model(
    rendered: tuple[Path, dict[str, Any]], tmp_path: Path
) -> None:
    """The check step exits 1 on a fake-model report and 0 on a live one."""
    repo, context = rendered
    (job,) = _workflow(repo)["jobs"].values()
    (check,) = [s for s in job["steps"] if s.get("name", "").startswith("Check the report")]
    script = check["run"]
    item = {"id": "E-1", "scorer": "exact-match", "value": 1.0, "threshold": 0.9, "passed": True}
    for model, judge, code in (("fake", "configured", 1), ("primary", "configured", 0)):
        report = {"model": model, "judge": judge, "evals": [item]}
        (tmp_path / "eval_report.json").write_text(json.dumps(report), encoding="utf-8")
        done = _run(["bash", "-c", script], cwd=tmp_path)
        assert done.returncode == code, done.stdout + done.stderr
    if context["genai"]["judge"] is not None:
        report = {"model": "primary", "judge": "fake", "evals": [item]}
        (tmp_path / "eval_report.json").write_text(json.dumps(report), encoding="utf-8")
        assert _run(["bash", "-c", script], cwd=tmp_path).returncode == 1


# --- documents ------------------------------------------------------------------------------

_LINK = re.compile(r"\]\(\.\./([^)#]+)\)(?: `(test_\w+)`)?")


def test_owasp_matrix_has_every_risk_of_the_2025_list(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """LLM01 to LLM10 each have a row; agents add approvals and limits to excessive agency."""
    repo, context = rendered
    matrix = (repo / "docs" / "owasp_llm_matrix.md").read_text(encoding="utf-8")
    rows = [line for line in matrix.splitlines() if line.startswith("| LLM")]
    for number in range(1, 11):
        assert any(row.startswith(f"| LLM{number:02d} ") for row in rows), number
    agency = [row for row in rows if row.startswith("| LLM06 ")]
    assert (len(agency) == 3) == (context["kind"] == "agent")


def _template_source(path: str, kind: str) -> Path | None:
    """The template file that renders ``path`` for ``kind``: plain, .jinja, or kind-only."""
    folder, name = TEMPLATE / path, Path(path).name
    only = folder.with_name(f'{{% if project.kind == "{kind}" %}}{name}{{% endif %}}')
    candidates = (
        folder,
        folder.with_name(f"{name}.jinja"),
        only,
        only.with_name(f"{only.name}.jinja"),
    )
    return next((p for p in candidates if p.is_file()), None)


def test_owasp_matrix_names_only_files_and_tests_that_exist(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Every file it links is in the GenAI template (or shared), every test it names defined."""
    repo, context = rendered
    matrix = (repo / "docs" / "owasp_llm_matrix.md").read_text(encoding="utf-8")
    package = context["package"]
    links = _LINK.findall(matrix)
    assert len(links) > 20
    for path, test in links:
        if path.startswith(f"src/{package}/"):
            name = path.removeprefix(f"src/{package}/")
            assert (PACKAGE_DIR / name).is_file() or (
                ROOT / "templates/_shared" / name
            ).is_file(), path
        else:
            source = _template_source(path, context["kind"])
            assert source is not None, path
            if test:
                assert re.search(rf"^def {test}\(", source.read_text(encoding="utf-8"), re.M), test


def test_every_evidence_file_in_these_parts_is_rendered(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """Each catalogue artifact and control evidenced by a document or the alert rules exists."""
    repo, context = rendered
    files = {a["file"] for a in context["artifacts"].values()}
    files |= {c["file"] for c in context["controls"]}
    ours = {f for f in files if f.startswith(("docs/", "ops/", "deploy/"))}
    assert {"docs/system_card.md", "docs/owasp_llm_matrix.md", "docs/runbook.md"} <= ours
    missing = sorted(f for f in ours if not (repo / f).is_file())
    assert not missing, missing


def test_runbook_answers_every_alert(rendered: tuple[Path, dict[str, Any]]) -> None:
    """Each alert is in the runbook's paging table, and its runbook link names a section."""
    repo, _ = rendered
    runbook = (repo / "docs" / "runbook.md").read_text(encoding="utf-8")
    anchors = {
        re.sub(r"[^a-z0-9 -]", "", line.lstrip("#").strip().lower()).replace(" ", "-")
        for line in runbook.splitlines()
        if line.startswith("## ")
    }
    for rule in _alerts(repo):
        assert f"| {rule['alert']} | {rule['labels']['severity']} |" in runbook, rule["alert"]
        page, _, anchor = rule["annotations"]["runbook"].partition("#")
        assert page == "docs/runbook.md" and anchor in anchors, rule["annotations"]["runbook"]


def test_system_card_lists_models_evals_and_limits(rendered: tuple[Path, dict[str, Any]]) -> None:
    """The system card has every chain model, the judge, and each eval with its threshold."""
    repo, context = rendered
    card = (repo / "docs" / "system_card.md").read_text(encoding="utf-8")
    genai = context["genai"]
    for model in genai["models"]:
        assert f"| `{model['id']}` | {model['provider']} | `{model['model']}` |" in card
    if genai["judge"]:
        assert f"`{genai['judge']['model']}`" in card
    for item in genai["evals"]:
        assert f"| `{item['scorer']}`" in card and f" {item['threshold']:g} |" in card
    for heading in ("## Limits and budgets", "## Guardrails", "## Known limits", "## Evals"):
        assert heading in card


def test_data_contract_describes_the_kinds_own_requests(
    rendered: tuple[Path, dict[str, Any]],
) -> None:
    """The data contract names the kind's endpoint, its knowledge source and every tool."""
    repo, context = rendered
    text = (repo / "docs" / "data_contract.md").read_text(encoding="utf-8")
    endpoint = "POST /v1/runs" if context["kind"] == "agent" else "POST /v1/chat"
    assert endpoint in text and "pipeline" not in text
    for tool in context["genai"]["tools"] or []:
        assert f"| `{tool['name']}` | {tool['effect']} |" in text


def test_spec_text_reaches_documents_only_escaped(rendered: tuple[Path, dict[str, Any]]) -> None:
    """No raw HTML or template syntax of the spec reaches a document; YAML files still parse."""
    repo, _ = rendered
    for path in sorted(repo.rglob("*")):
        if path.suffix == ".md":
            text = path.read_text(encoding="utf-8")
            assert "<script" not in text and "<img" not in text, path
            assert "{{ 7*7 }}" not in text and "{% raw %}" not in text, path
        elif path.suffix in {".yml", ".yaml"}:
            list(yaml.safe_load_all(path.read_text(encoding="utf-8")))
    assert not Path("/tmp/pwned").exists()


def test_hostile_spec_reaches_every_free_text_field() -> None:
    """The hostile source really carries hostile text in the fields the documents print."""
    data = _hostile_spec()
    assert data["title"] == HOSTILE_TITLE or data["title"] == HOSTILE_TEXT
    assert HOSTILE_TEXT[:40] in data["genai"]["tools"][0]["description"]
    assert HOSTILE_TEXT[:40] in data["genai"]["prompts"][0]["purpose"]
    assert HOSTILE_TEXT[:40] in data["owners"]["operations"]


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(data=valid_specs(kinds=("assistant", "agent")))
def test_random_genai_specs_render_valid_rules_and_manifests(
    data: dict[str, Any], tmp_path_factory: pytest.TempPathFactory
) -> None:
    """Any valid GenAI spec renders rules promtool accepts and overlays kubectl builds."""
    context = build_context(ProjectSpec.model_validate(data))
    repo = render_ops(context, tmp_path_factory.mktemp("random") / "repo")
    done = _run([require_tool("promtool"), "check", "rules", str(repo / "ops" / "alerts.yml")])
    assert done.returncode == 0, done.stdout + done.stderr
    kubectl = kubectl_clients()[-1]  # Debian's 1.20 when present: the oldest kustomize
    for overlay in ("staging", "production"):
        done = _run([kubectl, "kustomize", str(repo / "deploy" / "overlays" / overlay)])
        assert done.returncode == 0, done.stderr
        check_tool_access(done.stdout, context["spec"], context["name"])
    yaml.safe_load((repo / ".github" / "workflows" / "evals-live.yml").read_text(encoding="utf-8"))
