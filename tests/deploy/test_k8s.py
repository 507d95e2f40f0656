"""deploy/k8s/, checked offline: every manifest against the Kubernetes API schema of a
pinned Kubernetes version (kubernetes-validate bundles the schemas), then the project's
own rules: each service runs its own image as the image's non-root user, with probes,
resources and replicas; it gets exactly the settings it reads, its credentials from its
own Secret; the PostgreSQL services migrate in an init container; only the gateway has
a Service.
"""

from __future__ import annotations

import copy
import functools
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml
from dockerfile import dockerfile_command, dockerfile_healthcheck, dockerfile_user, dockerfiles
from service_env import CREDENTIAL_ENV, REQUIRED_ENV, allowed_env, read_by

ROOT = Path(__file__).resolve().parents[2]
K8S_DIR = ROOT / "deploy" / "k8s"
# The oldest minor release still supported upstream when the manifests were written:
# they use nothing newer, so they apply to any supported cluster.
KUBERNETES_VERSION = "1.34.0"
KUSTOMIZATION = K8S_DIR / "kustomization.yaml"
# shapes of what must be created outside the repository (never applied from here)
EXAMPLES = {K8S_DIR / "secrets.example.yaml"}
GATEWAY = "gateway"
IMAGE = re.compile(r"bellyfed/(?P<service>[a-z]+):(?P<tag>[\w.-]+)")
SERVICE_NAMES = sorted(dockerfiles())


# --- loading ---------------------------------------------------------------------------


@functools.cache
def documents() -> tuple[tuple[Path, dict], ...]:
    found = []
    for path in sorted(K8S_DIR.glob("*.yaml")):
        if path == KUSTOMIZATION:
            continue
        for document in yaml.safe_load_all(path.read_text()):
            if document:
                found.append((path, document))
    return tuple(found)


def resources(kind: str) -> dict[str, dict]:
    return {doc["metadata"]["name"]: doc for _, doc in documents() if doc["kind"] == kind}


def deployment(name: str) -> dict:
    deployments = resources("Deployment")
    assert name in deployments, f"deploy/k8s has no Deployment {name}"
    return deployments[name]


def pod(name: str) -> dict:
    return deployment(name)["spec"]["template"]["spec"]


def main_container(name: str) -> dict:
    containers = {c["name"]: c for c in pod(name)["containers"]}
    assert list(containers) == [name], f"{name}: one container, named {name}: {list(containers)}"
    return containers[name]


def all_containers(name: str) -> list[dict]:
    return pod(name).get("initContainers", []) + pod(name)["containers"]


def config_data(kind: str, name: str) -> dict[str, str]:
    found = resources(kind)
    assert name in found, f"deploy/k8s has no {kind} {name}"
    return {**found[name].get("data", {}), **found[name].get("stringData", {})}


def environment(container: dict) -> dict[str, dict]:
    """name -> where its value comes from: {"value": ...}, {"configMap": name},
    {"secret": name, "optional": bool}, for every variable the container gets."""
    env = {}
    for source in container.get("envFrom", []):
        assert "prefix" not in source, "envFrom with a prefix renames the settings"
        if "configMapRef" in source:
            ref = source["configMapRef"]["name"]
            env.update({key: {"configMap": ref} for key in config_data("ConfigMap", ref)})
        else:
            ref = source["secretRef"]["name"]
            env.update({key: {"secret": ref} for key in config_data("Secret", ref)})
    for item in container.get("env", []):
        assert item["name"] not in env, f"{item['name']} is set twice"
        if "value" in item:
            env[item["name"]] = {"value": item["value"]}
            continue
        source = item["valueFrom"]
        if "secretKeyRef" in source:
            ref = source["secretKeyRef"]
            env[item["name"]] = {"secret": ref["name"], "key": ref["key"],
                                 "optional": ref.get("optional", False)}
        elif "configMapKeyRef" in source:
            ref = source["configMapKeyRef"]
            env[item["name"]] = {"configMap": ref["name"], "key": ref["key"],
                                 "optional": ref.get("optional", False)}
        else:
            env[item["name"]] = {"field": source}
    return env


def validate(document: dict) -> None:
    kubernetes_validate.validate(document, KUBERNETES_VERSION, strict=True)


# --- the Kubernetes API schema ---------------------------------------------------------


@pytest.mark.parametrize("index", range(len(documents())),
                         ids=[f"{p.name}:{d['kind']}/{d['metadata']['name']}"
                              for p, d in documents()])
def test_manifest_follows_the_kubernetes_schema(index):
    path, document = documents()[index]
    try:
        validate(document)
    except kubernetes_validate.ValidationError as error:
        pytest.fail(f"{path.name}: {document['kind']}/{document['metadata']['name']}: "
                    f"{error.message} at {'/'.join(map(str, error.path))}")


def test_the_schema_check_catches_a_misspelt_key():
    broken = copy.deepcopy(deployment(GATEWAY))
    broken["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_the_schema_check_catches_a_wrong_type():
    broken = copy.deepcopy(deployment(GATEWAY))
    broken["spec"]["replicas"] = "two"
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken)


def test_kustomization_applies_every_manifest_but_the_examples():
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    listed = {K8S_DIR / name for name in kustomization["resources"]}
    manifests = {path for path, _ in documents()}
    assert listed == manifests - EXAMPLES, f"kustomization.yaml resources: {sorted(listed)}"


def test_kustomization_tags_every_image():
    kustomization = yaml.safe_load(KUSTOMIZATION.read_text())
    tagged = {image["name"] for image in kustomization["images"]}
    assert tagged == {f"bellyfed/{name}" for name in SERVICE_NAMES}


# --- each service ------------------------------------------------------------------------


def test_every_service_and_only_they_have_a_deployment():
    assert sorted(resources("Deployment")) == SERVICE_NAMES


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_deployment_runs_the_services_image_as_its_non_root_user(name):
    uid, gid = dockerfile_user(dockerfiles()[name])
    context = pod(name)["securityContext"]
    assert context["runAsNonRoot"] is True
    assert (context["runAsUser"], context["runAsGroup"]) == (uid, gid), (
        f"{name}: the pod's user must be the image's ({uid}:{gid})"
    )
    assert context["seccompProfile"]["type"] == "RuntimeDefault"
    assert pod(name)["automountServiceAccountToken"] is False, "no API access is needed"
    for container in all_containers(name):
        match = IMAGE.fullmatch(container["image"])
        assert match and match["service"] == name, f"{name}: runs {container['image']}"
        assert match["tag"] != "latest", f"{name}: pin the image tag"
        settings = container["securityContext"]
        assert settings["allowPrivilegeEscalation"] is False
        assert settings["readOnlyRootFilesystem"] is True
        assert settings["capabilities"]["drop"] == ["ALL"]
        assert "runAsUser" not in settings or settings["runAsUser"] == uid
    main = main_container(name)
    assert "command" not in main and "args" not in main, (
        f"{name}: the container runs the image's CMD "
        f"({' '.join(dockerfile_command(dockerfiles()[name]))})"
    )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_deployment_has_replicas_resources_and_a_disruption_budget(name):
    spec = deployment(name)["spec"]
    assert spec["replicas"] >= 2, f"{name}: one replica is a single point of failure"
    selector = spec["selector"]["matchLabels"]
    labels = spec["template"]["metadata"]["labels"]
    assert selector.items() <= labels.items(), f"{name}: the selector misses its own pods"
    assert labels.get("app.kubernetes.io/part-of") == "bellyfed"
    for container in all_containers(name):
        resources_ = container["resources"]
        assert {"cpu", "memory"} <= set(resources_["requests"]), container["name"]
        assert "memory" in resources_["limits"], container["name"]
    budgets = [b for b in resources("PodDisruptionBudget").values()
               if b["spec"]["selector"]["matchLabels"] == selector]
    assert len(budgets) == 1, f"{name}: one PodDisruptionBudget for its pods"
    assert budgets[0]["spec"]["minAvailable"] < spec["replicas"], "drains must be able to go on"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_deployment_probes_its_service(name):
    container = main_container(name)
    probes = {kind: container.get(kind) for kind in
              ("startupProbe", "readinessProbe", "livenessProbe")}
    missing = [kind for kind, probe in probes.items() if not probe]
    assert not missing, f"{name}: no {missing}"
    if name == GATEWAY:
        ports = {port["name"]: port["containerPort"] for port in container["ports"]}
        paths = {kind: probe["httpGet"]["path"] for kind, probe in probes.items()}
        # /ready fails while any downstream service is down: as a readiness probe it
        # would drop every gateway pod at once
        assert paths == {"startupProbe": "/health", "readinessProbe": "/health",
                         "livenessProbe": "/health"}, paths
        for probe in probes.values():
            assert probe["httpGet"]["port"] in ports, probe
    else:
        for kind, probe in probes.items():
            assert probe["exec"]["command"] == dockerfile_healthcheck(dockerfiles()[name]), (
                f"{name}: {kind} must run the image's own health check"
            )
            assert probe["timeoutSeconds"] >= 5, "a Python process needs a moment to start"
    # a liveness failure restarts the pod: it must be slower to give up than readiness
    patience = {kind: probe["periodSeconds"] * probe["failureThreshold"]
                for kind, probe in probes.items()}
    assert patience["livenessProbe"] > patience["readinessProbe"], patience


def test_the_gateway_listens_where_its_port_and_service_point():
    container = main_container(GATEWAY)
    address = environment(container)["GATEWAY_ADDRESS"]
    value = config_data("ConfigMap", address["configMap"])["GATEWAY_ADDRESS"]
    port = int(value.rsplit(":", 1)[1])
    [declared] = container["ports"]
    assert declared["containerPort"] == port, f"GATEWAY_ADDRESS={value}, port {declared}"
    [service] = resources("Service").values()
    labels = deployment(GATEWAY)["spec"]["template"]["metadata"]["labels"]
    assert service["spec"]["selector"].items() <= labels.items()
    assert [p["targetPort"] for p in service["spec"]["ports"]] == [declared["name"]]


def test_only_the_gateway_has_a_service():
    """The other services are reached over RabbitMQ only; nothing connects to them."""
    assert sorted(resources("Service")) == [GATEWAY]


def test_only_the_gateway_accepts_connections():
    policies = resources("NetworkPolicy")
    everyone = {"app.kubernetes.io/part-of": "bellyfed"}
    deny = [p for p in policies.values()
            if p["spec"]["podSelector"].get("matchLabels") == everyone]
    assert len(deny) == 1 and not deny[0]["spec"].get("ingress"), "no default deny"
    allowed = [p for p in policies.values() if p["spec"].get("ingress")]
    assert [p["spec"]["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
            for p in allowed] == [GATEWAY]


# --- configuration -------------------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_gets_only_settings_it_reads(name):
    assert pod(name)["enableServiceLinks"] is False, (
        f"{name}: Kubernetes would add a <SERVICE>_PORT variable per Service"
    )
    for container in all_containers(name):
        given = set(environment(container))
        unknown = sorted(given - allowed_env(name))
        assert not unknown, f"{name}/{container['name']} gets settings it does not read: {unknown}"
        unread = sorted(key for key in given if not read_by(name, key))
        assert not unread, f"{name}/{container['name']}: neither shared/ nor services/{name} " \
                           f"reads {unread}"
    missing = sorted(REQUIRED_ENV[name] - set(environment(main_container(name))))
    assert not missing, f"{name} cannot run without {missing}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_credentials_come_from_the_services_own_secret(name):
    for container in all_containers(name):
        for key, source in environment(container).items():
            if key in CREDENTIAL_ENV:
                assert source.get("secret") == f"{name}-secrets", (
                    f"{name}/{container['name']}: {key} must come from the Secret "
                    f"{name}-secrets, not {source}"
                )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_every_reference_resolves(name):
    """Each ConfigMap and Secret key a container reads exists (for Secrets, in the shape
    secrets.example.yaml gives them), unless the reference is optional."""
    for container in all_containers(name):
        for key, source in environment(container).items():
            if source.get("optional") or "key" not in source:
                continue
            kind, ref = ("Secret", source["secret"]) if "secret" in source else (
                "ConfigMap", source["configMap"])
            assert source["key"] in config_data(kind, ref), f"{name}: {kind} {ref} has no {key}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_postgres_services_migrate_before_they_start(name):
    database = f"{name.upper()}_DATABASE_URL"
    init = pod(name).get("initContainers", [])
    if database not in REQUIRED_ENV[name]:
        assert not init, f"{name} has no database to migrate"
        return
    [migrate] = init
    assert migrate["image"] == main_container(name)["image"]
    command = " ".join(migrate["command"])
    assert f"from services.{name} import config" in command and "upgrade(" in command, command
    assert set(environment(migrate)) == {database}, "the migration needs its database only"
    assert environment(main_container(name))["MIGRATE_ON_START"] == {"value": "0"}, (
        f"{name}: the init container migrated; the service must not again"
    )
