"""docker-compose.yml and the service Dockerfiles, checked without a Docker engine.

First the compose file against the Compose Specification's JSON schema, vendored
beside this test as compose-spec.json. Source: github.com/compose-spec/compose-spec,
schema/compose-spec.json (main branch), Apache License 2.0 (copy in
compose-spec.LICENSE); taken verbatim from the npm package dclint@3.1.0
(schemas/compose.schema.json, which that package downloads from compose-spec's
main branch), sha256 46b7d35f19dd93a05f8fea530291bf84d881c1791ec167ecf0e6fb94e639d496.

Then the project's own rules: every service image is built and health-checked,
the scalable services can be replicated, each service gets exactly the settings
it reads, and every container waits for what it connects to.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import shlex
from pathlib import Path
from urllib.parse import urlsplit

import jsonschema
import pytest
import yaml
from dockerfile import (
    dockerfile_command,
    dockerfile_healthcheck,
    dockerfile_user,
    dockerfiles,
    final_stage,
    instructions,
)
from service_env import OPTIONAL_ENV, SERVICE_ENV, read_by

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.yml"
SCHEMA_FILE = Path(__file__).with_name("compose-spec.json")
POSTGRES_INIT_DIR = ROOT / "deploy" / "postgres-init"
PYTHON_IMAGE = "python:3.11-slim"
GATEWAY = "gateway"
GATEWAY_PORT = 8000

# Secrets: compose must refuse to start without them instead of using a default.
SECRET_ENV = {"JWT_SECRET"}

# ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:?message}, ${VAR?message}, ${VAR:+alt}
INTERPOLATION = re.compile(r"\$\{(?P<name>[A-Za-z_][A-Za-z0-9_]*)(?P<op>:?[-?+])?(?P<rest>[^}]*)\}")
BARE_VARIABLE = re.compile(r"(?<!\$)\$(?P<name>[A-Za-z_][A-Za-z0-9_]*)")


# --- loading ---------------------------------------------------------------------


@functools.cache
def compose() -> dict:
    return yaml.safe_load(COMPOSE_FILE.read_text())


@functools.cache
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


SERVICE_NAMES = sorted(dockerfiles())


def service(name: str) -> dict:
    return compose()["services"][name]


def environment(name: str) -> dict[str, str]:
    env = service(name).get("environment") or {}
    if isinstance(env, list):  # KEY=VALUE list form
        env = dict(item.split("=", 1) if "=" in item else (item, None) for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def depends_on(name: str) -> dict[str, dict]:
    deps = service(name).get("depends_on") or {}
    if isinstance(deps, list):  # short form: no condition
        return {dep: {"condition": "service_started"} for dep in deps}
    return deps


def healthcheck_test(name: str) -> list[str]:
    test = (service(name).get("healthcheck") or {}).get("test")
    if isinstance(test, str):
        return ["CMD-SHELL", test]
    return list(test or [])


def strings(node) -> list[str]:
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for item in node for s in strings(item)]
    return []


def created_databases() -> set[str]:
    sql = "\n".join(path.read_text() for path in sorted(POSTGRES_INIT_DIR.glob("*.sql")))
    return set(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)\"?", sql, re.IGNORECASE))



# --- the Compose Specification ---------------------------------------------------


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft7Validator(schema())
    return [
        f"{'/'.join(map(str, error.absolute_path)) or '<root>'}: {error.message}"
        for error in sorted(validator.iter_errors(document), key=lambda e: list(e.path))
    ]


def test_vendored_schema_is_a_draft7_schema():
    jsonschema.Draft7Validator.check_schema(schema())
    assert schema()["title"] == "Compose Specification"


def test_compose_file_follows_the_compose_specification():
    assert schema_errors(compose()) == []


def test_the_schema_check_catches_a_misspelt_key():
    broken = copy.deepcopy(compose())
    broken["services"][GATEWAY]["helthcheck"] = broken["services"][GATEWAY]["healthcheck"]
    assert schema_errors(broken), "the schema accepted an unknown service key"


# --- images ------------------------------------------------------------------------


def test_there_is_a_dockerfile_for_every_service():
    assert sorted(SERVICE_ENV) == SERVICE_NAMES


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_is_built_by_its_compose_service(name):
    assert name in compose()["services"], f"no compose service builds services/{name}/Dockerfile"
    build = service(name).get("build")
    assert isinstance(build, dict), f"{name}: build must name its context and Dockerfile"
    assert build.get("context") == ".", f"{name}: the build context must be the repository root"
    assert build.get("dockerfile") == f"services/{name}/Dockerfile"


def test_every_compose_build_uses_an_existing_dockerfile():
    for name, definition in compose()["services"].items():
        build = definition.get("build")
        if build is None:
            continue
        if isinstance(build, str):  # short form: the context only
            build = {"context": build}
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_runs_the_service_as_a_non_root_user(name):
    uid, gid = dockerfile_user(dockerfiles()[name])
    assert uid != 0 and gid != 0, f"{name}: runs as {uid}:{gid}"
    assert dockerfile_command(dockerfiles()[name]) == ["python", "-m", f"services.{name}"]


def test_every_image_runs_as_the_same_user():
    """One uid for every image: the Kubernetes manifests' runAsUser (test_k8s.py)."""
    assert len({dockerfile_user(path) for path in dockerfiles().values()}) == 1


def sibling_packages(name: str) -> set[str]:
    """services/<other> folders a service's pyproject depends on (as bellyfed-<other>)."""
    import tomllib

    project = tomllib.loads((ROOT / "services" / name / "pyproject.toml").read_text())
    found = set()
    for requirement in project["project"].get("dependencies", []):
        match = re.match(r"bellyfed-([a-z]+)(-contract)?", requirement)
        if match and match.group(1) != "shared":
            found.add(f"services/{match.group(1)}" + ("/contract" if match.group(2) else ""))
    return found


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_installs_the_sibling_packages_it_depends_on(name):
    text = dockerfiles()[name].read_text()
    for folder in sibling_packages(name):
        assert f"COPY {folder}/ {folder}/" in text and f"./{folder}" in text, (
            f"{name}'s pyproject depends on {folder}, which its Dockerfile does not install"
        )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_uses_slim_python_and_copies_only_its_own_code(name):
    path = dockerfiles()[name]
    steps = instructions(path)
    for keyword, args in steps:
        if keyword == "FROM":
            assert args.split()[0] == PYTHON_IMAGE, f"{path}: FROM {args}"
        if keyword in {"COPY", "ADD"}:
            parts = shlex.split(args)
            if any(part.startswith("--from=") for part in parts):
                continue
            sources = [part.rstrip("/") for part in parts if not part.startswith("--")][:-1]
            allowed = {"shared", f"services/{name}", *sibling_packages(name)}
            assert set(sources) <= allowed, f"{path}: {keyword} {args} (only {sorted(allowed)})"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_ships_only_what_the_build_stage_installed(name):
    """Multi-stage: sources and build tools stay in the build stage; the final one copies
    the installed virtualenv and nothing else."""
    path = dockerfiles()[name]
    assert sum(keyword == "FROM" for keyword, _ in instructions(path)) >= 2, (
        f"{path}: single stage"
    )
    for keyword, args in final_stage(path):
        if keyword in {"COPY", "ADD"}:
            assert keyword == "COPY" and args.startswith("--from="), (
                f"{path}: the final stage takes {keyword} {args} from outside the build stage"
            )


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_dockerfile_healthcheck(name):
    command = dockerfile_healthcheck(dockerfiles()[name])
    if name == GATEWAY:
        assert command[:2] == ["python", "-c"], command
        assert "urllib" in command[2] and f":{GATEWAY_PORT}/health" in command[2], command
    else:
        assert command == ["python", "-m", "shared.healthcheck", name]


def test_dockerignore_keeps_local_clutter_out_of_the_build_context():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for pattern in (".git", "**/.venv", "**/__pycache__", "**/.pytest_cache", "**/.env"):
        assert pattern in ignored, f".dockerignore lacks {pattern}"


# --- health, scaling and start order ----------------------------------------------


def test_every_compose_service_has_a_healthcheck():
    for name, definition in compose()["services"].items():
        check = definition.get("healthcheck") or {}
        assert not check.get("disable"), f"{name}: healthcheck disabled"
        test = healthcheck_test(name)
        assert test and test[0] in {"CMD", "CMD-SHELL"}, f"{name}: no healthcheck test"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_compose_healthcheck_is_the_images_own(name):
    assert healthcheck_test(name) == ["CMD", *dockerfile_healthcheck(dockerfiles()[name])]


def published_ports(definition: dict) -> list[dict]:
    """A service's ports in long form: {"target", "published" (None: any free port)}."""
    result = []
    for port in definition.get("ports") or []:
        if isinstance(port, dict):
            result.append({"target": int(port["target"]),
                           "published": port.get("published") or None})
            continue
        assert isinstance(port, str), f"quote ports: YAML reads 80:80 as a number ({port})"
        parts = port.split("/")[0].rsplit(":", 2)  # [[ip:]published:]target
        target = parts[-1]
        published = parts[-2] if len(parts) >= 2 else ""
        result.append({"target": int(target), "published": published or None})
    return result


# Keys that give every replica of a service the same name, address or storage: with
# any of them, `docker compose up --scale <service>=N` fails or the replicas collide.
PER_CONTAINER_KEYS = ("container_name", "hostname", "mac_address", "volumes", "volumes_from",
                      "network_mode")


@pytest.mark.parametrize("name", [name for name in SERVICE_NAMES if name != GATEWAY])
def test_service_scales_to_any_number_of_replicas(name):
    definition = service(name)
    for key in PER_CONTAINER_KEYS:
        assert key not in definition, f"{name}: {key} blocks --scale {name}=N"
    assert not definition.get("ports"), f"{name}: a published port blocks --scale {name}=N"
    for network, settings in (definition.get("networks") or {}).items():
        for key in ("ipv4_address", "ipv6_address", "mac_address"):
            assert key not in (settings or {}), f"{name}: fixed {key} on {network}"
    assert "replicas" not in (definition.get("deploy") or {}), (
        f"{name}: deploy.replicas would override --scale"
    )


def test_the_gateway_has_no_per_replica_state_either():
    """Only its published port keeps the gateway at one replica in compose (a proxy in
    front would lift that; Kubernetes runs several behind a Service)."""
    definition = service(GATEWAY)
    for key in PER_CONTAINER_KEYS:
        assert key not in definition, f"gateway: {key}"


def test_only_the_gateway_publishes_a_fixed_host_port():
    for name in compose()["services"]:
        for port in published_ports(compose()["services"][name]):
            if port["published"] is not None:
                assert name == GATEWAY, f"{name} fixes host port {port['published']}"


def test_the_port_parser_reads_every_form():
    ports = ["127.0.0.1:15672:15672", "5672", "8080:80/tcp", "127.0.0.1::15672",
             {"target": 9000, "published": "9000"}]
    assert published_ports({"ports": ports}) == [
        {"target": 15672, "published": "15672"}, {"target": 5672, "published": None},
        {"target": 80, "published": "8080"}, {"target": 15672, "published": None},
        {"target": 9000, "published": "9000"},
    ]


def test_gateway_publishes_its_port():
    ports = published_ports(service(GATEWAY))
    assert {"target": GATEWAY_PORT, "published": str(GATEWAY_PORT)} in ports, ports


def test_every_dependency_is_waited_for_until_healthy():
    services = compose()["services"]
    for name in services:
        for dependency, rule in depends_on(name).items():
            assert dependency in services, f"{name} depends on unknown service {dependency}"
            assert rule.get("condition") == "service_healthy", f"{name} -> {dependency}: {rule}"
            assert healthcheck_test(dependency), f"{name} waits on {dependency}, which has none"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_waits_for_every_host_it_connects_to(name):
    services = compose()["services"]
    for key, value in environment(name).items():
        host = urlsplit(value).hostname if "://" in value else None
        if host in services:
            assert host in depends_on(name), f"{name}: {key} points at {host}, not in depends_on"


# --- configuration -----------------------------------------------------------------


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_service_gets_exactly_the_settings_it_reads(name):
    given = set(environment(name))
    unknown = given - SERVICE_ENV[name] - OPTIONAL_ENV
    missing = SERVICE_ENV[name] - given
    assert not unknown, f"{name}: compose sets variables it does not read: {sorted(unknown)}"
    assert not missing, f"{name}: compose does not set {sorted(missing)}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_database_urls_name_databases_the_init_script_creates(name):
    databases = created_databases()
    mounts = [str(volume) for volume in service("postgres").get("volumes", [])]
    assert any(
        mount.startswith("./deploy/postgres-init:/docker-entrypoint-initdb.d") for mount in mounts
    ), f"postgres does not mount the init scripts: {mounts}"
    for key, value in environment(name).items():
        if key.endswith("_DATABASE_URL"):
            database = urlsplit(value).path.lstrip("/")
            assert database == f"bellyfed_{name}", f"{name}: {key} opens {database}"
            assert database in databases, f"{database} is not created in {POSTGRES_INIT_DIR}"


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_compose_variables_exist_in_the_services_code(name):
    for key in environment(name):
        assert read_by(name, key), (
            f"{name}: compose sets {key}, which neither shared/ nor services/{name} reads"
        )


def test_every_interpolated_variable_has_a_default_or_is_required():
    for value in strings(compose()):
        bare = [m["name"] for m in BARE_VARIABLE.finditer(INTERPOLATION.sub("", value))]
        assert not bare, f"use ${{VAR:-default}} or ${{VAR:?message}}, not ${bare[0]}"
        for match in INTERPOLATION.finditer(value):
            assert match["op"] in {":-", "-", ":?", "?"}, f"{match[0]} may expand to nothing"
            if match["name"] in SECRET_ENV:
                assert match["op"] in {":?", "?"}, f"{match[0]}: a secret must have no default"


def test_secrets_come_only_from_the_environment():
    for name in SERVICE_NAMES:
        for key in SECRET_ENV & set(environment(name)):
            value = environment(name)[key]
            assert re.fullmatch(r"\$\{" + key + r":?\?[^}]*\}", value), f"{name}: {key}={value}"
