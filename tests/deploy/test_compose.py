"""docker-compose.yml and the services' image definition, checked without a Docker engine.

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
    DOCKERFILE,
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
SECRET_ENV = {"JWT_SECRET", "VIEWER_ID_SECRET"}

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


def test_there_is_an_image_for_every_service():
    assert sorted(SERVICE_ENV) == SERVICE_NAMES


def build_args(name: str) -> dict[str, str]:
    return {key: str(value) for key, value in (service(name)["build"].get("args") or {}).items()}


@pytest.mark.parametrize("name", SERVICE_NAMES)
def test_the_one_dockerfile_builds_each_service_by_its_argument(name):
    assert name in compose()["services"], f"no compose service builds {name}'s image"
    build = service(name).get("build")
    assert isinstance(build, dict), f"{name}: build must name its context and Dockerfile"
    assert build.get("context") == ".", f"{name}: the build context must be the repository root"
    assert build.get("dockerfile") == "deploy/Dockerfile"
    assert build_args(name).get("SERVICE") == name


def test_every_compose_build_uses_an_existing_dockerfile():
    for name, definition in compose()["services"].items():
        build = definition.get("build")
        if build is None:
            continue
        if isinstance(build, str):  # short form: the context only
            build = {"context": build}
        dockerfile = ROOT / build.get("context", ".") / build.get("dockerfile", "Dockerfile")
        assert dockerfile.is_file(), f"{name}: {dockerfile} does not exist"


def test_there_is_one_dockerfile():
    assert sorted(ROOT.glob("**/Dockerfile")) == [DOCKERFILE], (
        "one image definition for every service (a copy per service drifts)")


def declared_arguments(path: Path) -> set[str]:
    return {args.split("=")[0] for keyword, args in instructions(path) if keyword == "ARG"}


def test_the_dockerfile_needs_the_service_and_runs_it():
    steps = instructions(DOCKERFILE)
    assert "SERVICE" in declared_arguments(DOCKERFILE)
    build_stage = steps[:next(i for i, (keyword, _) in enumerate(steps[1:], 1)
                              if keyword == "FROM")]
    checks = [args for keyword, args in build_stage if keyword == "RUN"]
    assert any('test -n "$SERVICE"' in args for args in checks), (
        "a build without --build-arg SERVICE must fail, not build an empty image")
    env = " ".join(args for keyword, args in final_stage(DOCKERFILE) if keyword == "ENV")
    assert "BELLYFED_SERVICE=${SERVICE}" in env, "the image must know which service it runs"
    # shared.runner runs services.$BELLYFED_SERVICE in its own process: PID 1 gets SIGTERM
    assert dockerfile_command(DOCKERFILE) == ["python", "-m", "shared.runner"]


def test_dockerfile_runs_the_service_as_a_non_root_user():
    uid, gid = dockerfile_user(DOCKERFILE)
    assert uid != 0 and gid != 0, f"runs as {uid}:{gid}"


def test_the_build_installs_the_service_from_wheels_of_the_repositorys_packages():
    """pip resolves each service's own Bellyfed closure from its pyproject (what
    test_packaging checks a service declares), so the file lists nothing per service."""
    runs = " ".join(args for keyword, args in instructions(DOCKERFILE) if keyword == "RUN")
    assert "pip wheel --no-deps --wheel-dir /wheels ./shared ./services/*/contract" in runs
    assert '"./services/${SERVICE}"' in runs
    install = 'pip install --find-links /wheels --report /tmp/install.json "bellyfed-${SERVICE}"'
    assert install in runs
    # and the build fails if a bellyfed-* package came from anywhere but /wheels
    assert "startswith('file:///wheels/')" in runs and "sys.exit(" in runs


def test_only_the_gateway_listens_and_tests_stay_out_of_the_build_context():
    assert not [args for keyword, args in instructions(DOCKERFILE) if keyword == "EXPOSE"]
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert {"**/tests", "tests"} <= set(ignored)


def test_dockerfile_uses_slim_python_and_copies_only_the_code_it_builds():
    for keyword, args in instructions(DOCKERFILE):
        if keyword == "FROM":
            assert args.split()[0] == PYTHON_IMAGE, f"FROM {args}"
        if keyword in {"COPY", "ADD"}:
            parts = shlex.split(args)
            if any(part.startswith("--from=") for part in parts):
                continue
            sources = [part.rstrip("/") for part in parts if not part.startswith("--")][:-1]
            assert set(sources) <= {"shared", "services"}, f"{keyword} {args}"


def test_dockerfile_ships_only_what_the_build_stage_installed():
    """Multi-stage: sources, wheels and build tools stay in the build stage; the final one
    copies the installed virtualenv and nothing else."""
    assert sum(keyword == "FROM" for keyword, _ in instructions(DOCKERFILE)) >= 2, "single stage"
    for keyword, args in final_stage(DOCKERFILE):
        if keyword in {"COPY", "ADD"}:
            assert keyword == "COPY" and args == "--from=build /opt/venv /opt/venv", (
                f"the final stage takes {keyword} {args} from outside the build stage")


def test_dockerfile_healthcheck():
    """One command for every image: an RPC ping of BELLYFED_SERVICE, or the gateway's
    /health where the image was built with HEALTHCHECK_URL."""
    assert dockerfile_healthcheck(DOCKERFILE) == ["python", "-m", "shared.healthcheck"]
    assert "HEALTHCHECK_URL" in declared_arguments(DOCKERFILE)
    assert build_args(GATEWAY).get("HEALTHCHECK_URL") == f"http://127.0.0.1:{GATEWAY_PORT}/health"
    assert all("HEALTHCHECK_URL" not in build_args(name) for name in SERVICE_NAMES
               if name != GATEWAY)


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
