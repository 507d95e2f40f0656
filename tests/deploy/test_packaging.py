"""Each service installs on its own: its wheel, shared's, and only the libraries it needs.

- The wheels hold the code and no tests.
- Statically: the third-party modules a service's code imports (its own package, and
  the shared modules and other services' modules it imports, followed transitively)
  are all installed by its dependency list, and everything that list asks for is used.
- For real: each service's wheels install into a fresh virtualenv from the package
  index this machine uses, every module of the service (its entry module and the image's
  health check included) imports there, and the libraries of the shared extras it does
  not take are absent.

The virtualenvs are cached between runs (BELLYFED_VENV_CACHE, default
~/.cache/bellyfed/service-venvs), keyed by the dependencies the wheels declare: a cold
one takes a minute, a cached one a second. A cached virtualenv holds the third-party
libraries only; the Bellyfed wheels of this run are unpacked beside it and put on its
path, so two runs never share (or race on) the code under test. Remove the cache
folder to rebuild from scratch.
"""

from __future__ import annotations

import ast
import contextlib
import fcntl
import hashlib
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from functools import cache
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
DISTRIBUTIONS = {
    "shared": ("bellyfed_shared", ["shared/events.py", "shared/db.py", "shared/rpc.py"]),
    "services/catalog": ("bellyfed_catalog", [
        "services/catalog/service.py", "services/catalog/__main__.py",
        "services/catalog/jobs.py", "services/catalog/demo_catalog.json",
        "services/catalog/migrations/env.py", "services/catalog/migrations/script.py.mako",
        "services/catalog/migrations/versions/0001_catalog_tables.py",
    ]),
    "services/rankings": ("bellyfed_rankings", [
        "services/rankings/service.py", "services/rankings/__main__.py",
        "services/rankings/domain/rankings.py", "services/rankings/storage/__init__.py",
        "services/rankings/entrypoints/reviews.py",
        "services/rankings/migrations/versions/0001_rankings_tables.py",
    ]),
    "services/analytics": ("bellyfed_analytics", [
        "services/analytics/service.py", "services/analytics/__main__.py",
        "services/analytics/storage/tables.py", "services/analytics/domain/views.py",
        "services/analytics/storage/activity.py",
    ]),
    "services/orders": ("bellyfed_orders", [
        "services/orders/service.py", "services/orders/__main__.py",
        "services/orders/domain/status.py", "services/orders/storage/history.py",
        "services/orders/migrations/env.py", "services/orders/migrations/script.py.mako",
        "services/orders/migrations/versions/0001_orders_tables.py",
    ]),
    "services/gateway": ("bellyfed_gateway", [
        "services/gateway/service.py", "services/gateway/__main__.py",
        "services/gateway/static/dashboard.html", "services/gateway/static/dashboard.js",
    ]),
    **{f"services/{name}/contract": (f"bellyfed_{name}_contract", [
        f"services/{name}/contract/__init__.py", f"services/{name}/contract/{module}.py",
    ]) for name, module in (("catalog", "rpc"), ("rankings", "events"), ("analytics", "rpc"),
                            ("orders", "events"), ("gateway", "events"))},
}
SERVICES = sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))
CONTRACTS = sorted(path.parent.parent.name
                   for path in ROOT.glob("services/*/contract/pyproject.toml"))
# what a contract package may bring: marshmallow, and shared's core (which is marshmallow)
CONTRACT_LIBRARIES = {"marshmallow"}
VENV_CACHE = Path(os.environ.get("BELLYFED_VENV_CACHE")
                  or Path.home() / ".cache" / "bellyfed" / "service-venvs")
# importable in no deployed image: the embedded DynamoDB of scripts/run and the tests
DEVELOPMENT_ONLY = {"shared.local_dynamodb"}


# --- the dependency lists ----------------------------------------------------------------


def folder_of(distribution: str) -> str:
    """"bellyfed-shared" -> "shared", "bellyfed-orders" -> "services/orders",
    "bellyfed-orders-contract" -> "services/orders/contract"."""
    name = canonicalize_name(distribution).removeprefix("bellyfed-")
    if name == "shared":
        return "shared"
    if name.endswith("-contract"):
        return f"services/{name.removesuffix('-contract')}/contract"
    return f"services/{name}"


@cache
def project(folder: str) -> dict:
    return tomllib.loads((ROOT / folder / "pyproject.toml").read_text())["project"]


def requirements(folder: str, extras: frozenset[str] = frozenset()) -> list[Requirement]:
    listed = list(project(folder).get("dependencies", []))
    for extra in sorted(extras):
        optional = project(folder).get("optional-dependencies", {})
        assert extra in optional, f"{folder} has no [{extra}] extra"
        listed += optional[extra]
    return [Requirement(text) for text in listed]


def is_bellyfed(requirement: Requirement) -> bool:
    return canonicalize_name(requirement.name).startswith("bellyfed-")


def bellyfed_closure(service: str) -> dict[str, frozenset[str]]:
    """folder -> extras asked of it, for every Bellyfed distribution `service` (a folder
    under services/, or "<name>/contract") installs."""
    found: dict[str, frozenset[str]] = {}
    pending = [(f"services/{service}", frozenset())]
    while pending:
        folder, extras = pending.pop()
        if extras <= found.get(folder, frozenset()) and folder in found:
            continue
        found[folder] = found.get(folder, frozenset()) | extras
        for requirement in requirements(folder, found[folder]):
            if is_bellyfed(requirement):
                pending.append((folder_of(requirement.name), frozenset(requirement.extras)))
    return found


def third_party(service: str) -> set[str]:
    """The third-party distributions (canonical names) `service` installs, transitively,
    as resolved in this development environment."""
    wanted = [req for folder, extras in bellyfed_closure(service).items()
              for req in requirements(folder, extras) if not is_bellyfed(req)]
    found: set[str] = set()
    while wanted:
        requirement = wanted.pop()
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        name = canonicalize_name(requirement.name)
        if name in found:
            continue
        found.add(name)
        wanted += [Requirement(text) for text in importlib.metadata.requires(name) or []]
    return found


@cache
def top_level_names() -> dict[str, set[str]]:
    """distribution (canonical) -> the top-level modules it provides, in this environment."""
    names: dict[str, set[str]] = {}
    for module, distributions in importlib.metadata.packages_distributions().items():
        for distribution in distributions:
            names.setdefault(canonicalize_name(distribution), set()).add(module)
    return names


def provided_modules(distributions: set[str]) -> set[str]:
    return {module for name in distributions for module in top_level_names().get(name, ())}


# --- what the code imports ---------------------------------------------------------------


def module_file(module: str) -> Path | None:
    """The source file of a Bellyfed module (shared.*, services.*), if it is one."""
    base = ROOT.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_modules(path: Path) -> set[str]:
    """Every module `path` imports, at the top or inside a function (a lazy import
    needs its library as much when it runs)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            # `from package import module`
            found |= {f"{node.module}.{alias.name}" for alias in node.names
                      if module_file(f"{node.module}.{alias.name}")}
    return found


def service_sources(service: str) -> list[Path]:
    """A service's own code (not its tests, not its contract package: a distribution of
    its own), or a contract package's ("<name>/contract")."""
    folder = ROOT / "services" / service
    return [path for path in sorted(folder.rglob("*.py"))
            if not {"tests", "contract"} & set(path.relative_to(folder).parts)]


def code_closure(service: str) -> tuple[set[str], dict[str, str]]:
    """(Bellyfed modules the service's code reaches, third-party module -> first importer)."""
    seen_files: set[Path] = set()
    bellyfed: set[str] = set()
    external: dict[str, str] = {}
    pending = service_sources(service)
    while pending:
        path = pending.pop()
        if path in seen_files:
            continue
        seen_files.add(path)
        importer = str(path.relative_to(ROOT))
        for module in imported_modules(path):
            top = module.split(".")[0]
            if top in {"shared", "services"}:
                if module in DEVELOPMENT_ONLY:
                    pytest.fail(f"{importer} imports {module}, which is for development only")
                target = module_file(module)
                if target:
                    bellyfed.add(module)
                    pending.append(target)
            elif top not in sys.stdlib_module_names and top != "__future__":
                external.setdefault(top, importer)
    return bellyfed, external


# --- static checks -----------------------------------------------------------------------


def test_every_service_and_contract_has_a_distribution():
    assert {f"services/{name}" for name in SERVICES} | {"shared"} | {
        f"services/{name}/contract" for name in CONTRACTS} == set(DISTRIBUTIONS)
    assert CONTRACTS == SERVICES  # a contract package per service


def test_shared_core_is_what_a_contract_needs():
    assert {canonicalize_name(Requirement(text).name)
            for text in project("shared")["dependencies"]} == CONTRACT_LIBRARIES


@pytest.mark.parametrize("name", CONTRACTS)
def test_a_contract_imports_only_marshmallow_shared_and_other_contracts(name):
    bellyfed, external = code_closure(f"{name}/contract")
    assert set(external) <= CONTRACT_LIBRARIES, (
        f"services/{name}/contract imports {sorted(set(external) - CONTRACT_LIBRARIES)}")
    inner = {module for module in bellyfed if module.startswith("services.")
             and ".contract" not in module}
    assert not inner, f"services/{name}/contract imports service code: {sorted(inner)}"
    third = third_party(f"{name}/contract")
    assert third == CONTRACT_LIBRARIES, f"services/{name}/contract installs {sorted(third)}"


def test_shared_core_takes_no_store_or_token_library():
    core = {canonicalize_name(Requirement(text).name)
            for text in project("shared")["dependencies"]}
    extras = {canonicalize_name(Requirement(text).name)
              for texts in project("shared")["optional-dependencies"].values()
              for text in texts}
    assert not core & extras, f"in the core and an extra: {sorted(core & extras)}"
    for library in ("sqlalchemy", "psycopg2-binary", "alembic", "boto3", "pyjwt"):
        assert library in extras, f"{library} should be one of shared's extras"


@pytest.mark.parametrize("service", SERVICES)
def test_every_library_the_code_imports_is_installed(service):
    _, external = code_closure(service)
    installed = provided_modules(third_party(service))
    missing = {module: importer for module, importer in external.items()
               if module not in installed}
    assert not missing, (
        f"{service}'s dependency list does not install what its code imports: "
        + ", ".join(f"{module} (imported by {importer})" for module, importer in missing.items())
    )


@pytest.mark.parametrize("service", SERVICES)
def test_everything_the_service_asks_for_is_used(service):
    bellyfed, external = code_closure(service)
    for requirement in requirements(f"services/{service}"):
        name = canonicalize_name(requirement.name)
        if name == "bellyfed-shared":
            for extra in sorted(requirement.extras):
                libraries = {canonicalize_name(Requirement(text).name)
                             for text in project("shared")["optional-dependencies"][extra]}
                assert provided_modules(libraries) & set(external), (
                    f"{service} asks for bellyfed-shared[{extra}] but imports none of "
                    f"{sorted(libraries)}"
                )
        elif is_bellyfed(requirement):
            package = folder_of(name).replace("/", ".")
            assert any(module.startswith(package + ".") for module in bellyfed), (
                f"{service} depends on {requirement.name} but imports nothing of {package}"
            )
        else:
            assert provided_modules({name}) & set(external), (
                f"{service} depends on {requirement.name} but never imports it"
            )


def test_third_party_pins_match_the_development_environment():
    """The repository's pyproject (the development install) lists every library any
    service or shared asks for, pinned the same way, so tests run what images ship."""
    development = set(tomllib.loads((ROOT / "pyproject.toml").read_text())
                      ["project"]["dependencies"])
    for folder in DISTRIBUTIONS:
        meta = project(folder)
        listed = list(meta.get("dependencies", []))
        listed += [text for texts in meta.get("optional-dependencies", {}).values()
                   for text in texts]
        for text in listed:
            if not is_bellyfed(Requirement(text)):
                assert text in development, (
                    f"{folder} asks for {text!r}, which the root pyproject.toml does not list "
                    "the same way"
                )


# --- the wheels ----------------------------------------------------------------------------


# setuptools' PEP 517 hook, as pip calls it (without pip's overhead, all at once); -P:
# the source folder is not on the path (services/gateway/http.py is no stdlib http)
BUILD_WHEEL = "import sys, setuptools.build_meta as backend; backend.build_wheel(sys.argv[1])"


@pytest.fixture(scope="module")
def wheels(tmp_path_factory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("wheels")
    # build from copies: setuptools builds in-tree and would leave build/ behind
    sources = tmp_path_factory.mktemp("sources")
    builds = []
    for folder in DISTRIBUTIONS:
        # one copy each: a service's folder holds its contract's, a distribution of its own
        copy = sources / folder.replace("/", "--")
        shutil.copytree(ROOT / folder, copy,
                        ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
        builds.append(subprocess.Popen(
            [sys.executable, "-P", "-c", BUILD_WHEEL, str(out)], cwd=copy,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        ))
    for folder, build in zip(DISTRIBUTIONS, builds, strict=True):
        output, _ = build.communicate(timeout=300)
        assert build.returncode == 0, f"building the {folder} wheel failed:\n{output[-3000:]}"
    return {folder: next(out.glob(f"{name}-*.whl")) for folder, (name, _) in DISTRIBUTIONS.items()}


@pytest.mark.parametrize("folder", DISTRIBUTIONS)
def test_wheel_holds_the_code_and_no_tests(wheels, folder):
    names = set(zipfile.ZipFile(wheels[folder]).namelist())
    for expected in DISTRIBUTIONS[folder][1]:
        assert expected in names, f"{folder}: {expected} missing from the wheel"
    assert not [name for name in names if "/tests/" in name], f"{folder}: tests were packaged"
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {folder.split("/")[0]}


def declared_dependencies(wheel: Path) -> list[str]:
    with zipfile.ZipFile(wheel) as archive:
        [metadata] = [name for name in archive.namelist()
                      if name.endswith(".dist-info/METADATA")]
        text = archive.read(metadata).decode()
    return sorted(line for line in text.splitlines() if line.startswith("Requires-Dist:"))


# --- each service alone in a virtualenv ----------------------------------------------------


@contextlib.contextmanager
def locked(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run(*command, **options) -> subprocess.CompletedProcess:
    result = subprocess.run([str(part) for part in command], capture_output=True, text=True,
                            **options)
    assert result.returncode == 0, (
        f"{' '.join(map(str, command))} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    )
    return result


def third_party_venv(service: str, service_wheels: list[Path]) -> Path:
    """A virtualenv with the third-party libraries `service`'s wheels pull in, built by
    installing those wheels into a fresh one (then removing them), cached by what the
    wheels declare."""
    key = hashlib.sha256(json.dumps(
        [sys.version_info[:2], [declared_dependencies(wheel) for wheel in service_wheels]]
    ).encode()).hexdigest()[:16]
    venv = VENV_CACHE / f"{service}-{key}"
    done = venv / "bellyfed-third-party.txt"
    with locked(VENV_CACHE / f"{service}-{key}.lock"):
        if not done.is_file():
            shutil.rmtree(venv, ignore_errors=True)
            run(sys._base_executable, "-m", "venv", venv)
            python = venv / "bin" / "python"
            # the way an image installs it: the wheels, their dependencies from the index
            run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                *service_wheels, timeout=900)
            run(python, "-m", "pip", "check")
            names = [canonicalize_name(w.name.split("-")[0]) for w in service_wheels]
            run(python, "-m", "pip", "uninstall", "--quiet", "--yes", *names)
            freeze = run(python, "-m", "pip", "freeze", "--all").stdout
            assert "bellyfed" not in freeze.lower(), freeze
            done.write_text(freeze)
    return venv


IMPORT_EVERYTHING = """
import importlib, importlib.metadata, json, pkgutil, sys
service = sys.argv[1]
package = importlib.import_module(f"services.{service}")
modules = [f"services.{service}.__main__", "shared.healthcheck", "shared.runner"]
for info in pkgutil.walk_packages(package.__path__, f"services.{service}."):
    parts = info.name.split(".")
    # migrations run inside alembic (env.py needs its context); tests are not shipped
    if "migrations" not in parts and "tests" not in parts:
        modules.append(info.name)
for module in modules:
    importlib.import_module(module)
print(json.dumps({
    "modules": modules,
    "distributions": sorted({d.metadata["Name"] for d in importlib.metadata.distributions()}),
}))
"""


@pytest.fixture(scope="module")
def installed(wheels, tmp_path_factory) -> dict[str, subprocess.CompletedProcess]:
    """service -> the run of IMPORT_EVERYTHING in its virtualenv (all services at once)."""
    running = {}
    for service in SERVICES:
        service_wheels = [wheels[folder] for folder in bellyfed_closure(service)]
        venv = third_party_venv(service, service_wheels)
        code = tmp_path_factory.mktemp(f"{service}-code")
        for wheel in service_wheels:
            with zipfile.ZipFile(wheel) as archive:
                archive.extractall(code)
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(code),
               "PYTHONNOUSERSITE": "1", "PYTHONWARNINGS": "ignore"}
        command = [str(venv / "bin" / "python"), "-c", IMPORT_EVERYTHING, service]
        running[service] = (command, subprocess.Popen(
            command, env=env, cwd=code, text=True,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        ))
    results = {}
    for service, (command, process) in running.items():
        stdout, stderr = process.communicate(timeout=300)
        results[service] = subprocess.CompletedProcess(command, process.returncode,
                                                       stdout, stderr)
    return results


def imported(installed, service: str) -> dict:
    """{"modules": imported, "distributions": installed} in `service`'s virtualenv."""
    result = installed[service]
    assert result.returncode == 0, (
        f"{service} does not import with only its own dependencies:\n{result.stderr[-3000:]}"
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("service", SERVICES)
def test_service_imports_with_only_its_own_dependencies(installed, service):
    result = imported(installed, service)
    assert f"services.{service}.service" in result["modules"]
    assert f"services.{service}.__main__" in result["modules"]


@pytest.mark.parametrize("service", SERVICES)
def test_libraries_of_extras_not_taken_are_absent(installed, service):
    taken = bellyfed_closure(service).get("shared", frozenset())
    present = {canonicalize_name(name)
               for name in imported(installed, service)["distributions"]}
    for extra, texts in project("shared")["optional-dependencies"].items():
        if extra in taken:
            continue
        for text in texts:
            library = canonicalize_name(Requirement(text).name)
            assert library not in present, (
                f"{service} does not take bellyfed-shared[{extra}], yet {library} is installed"
            )
    assert "moto" not in present, f"{service} installs moto, a development tool"
    bellyfed = {canonicalize_name(project(folder)["name"]) for folder in bellyfed_closure(service)}
    assert {name for name in present if name.startswith("bellyfed-")} == bellyfed


IMPORT_CONTRACTS = """
import importlib, importlib.metadata, json, pkgutil, sys
modules = []
for name in sys.argv[1:]:
    package = importlib.import_module(f"services.{name}.contract")
    modules += [package.__name__] + [info.name for info in pkgutil.walk_packages(
        package.__path__, package.__name__ + ".")]
for module in modules:
    importlib.import_module(module)
print(json.dumps({
    "modules": modules,
    "distributions": sorted({d.metadata["Name"] for d in importlib.metadata.distributions()}),
}))
"""


def test_the_contracts_install_together_with_marshmallow_alone(wheels, tmp_path):
    """What the gateway's image or any consumer installs of them: no nameko, no store."""
    contract_wheels = [wheels["shared"]] + [wheels[f"services/{name}/contract"]
                                            for name in CONTRACTS]
    venv = third_party_venv("contracts", contract_wheels)
    for wheel in contract_wheels:
        with zipfile.ZipFile(wheel) as archive:
            archive.extractall(tmp_path)
    env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(tmp_path),
           "PYTHONNOUSERSITE": "1", "PYTHONWARNINGS": "ignore"}
    result = run(venv / "bin" / "python", "-c", IMPORT_CONTRACTS, *CONTRACTS, env=env,
                 cwd=tmp_path)
    answer = json.loads(result.stdout.strip().splitlines()[-1])
    assert {f"services.{name}.contract.{module}" for name, module in (
        ("catalog", "rpc"), ("catalog", "events"), ("gateway", "events"))} <= set(
        answer["modules"])
    present = {canonicalize_name(name) for name in answer["distributions"]}
    assert present - {"pip", "setuptools", "wheel"} == CONTRACT_LIBRARIES | {
        canonicalize_name(project(f"services/{name}/contract")["name"]) for name in CONTRACTS
    } | {"bellyfed-shared"}


def test_the_dockerfile_builds_every_package_a_service_installs():
    """deploy/Dockerfile wheels ./shared, every contract and the service, then lets pip
    install the service's closure from them: each folder of every closure is among them."""
    from dockerfile import DOCKERFILE

    text = DOCKERFILE.read_text()
    [wheeled] = re.findall(r"pip wheel --no-deps --wheel-dir /wheels (.+?) \\?\n", text)
    built = {part.strip('"').removeprefix("./") for part in wheeled.split()}
    assert built == {"shared", "services/*/contract", "services/${SERVICE}"}, built
    for service in SERVICES:
        for folder in bellyfed_closure(service):
            assert folder in ("shared", f"services/{service}") or (
                folder.startswith("services/") and folder.endswith("/contract")), (
                f"{service} installs {folder}, which the Dockerfile does not build")
