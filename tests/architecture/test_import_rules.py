"""The architecture's import rules (.importlinter) catch what they forbid.

scripts/test runs `lint-imports` over the tree itself; here each rule is shown to fail on a
violation planted in a copy of the code (services/ and shared/, tests left out), and the
untouched copy to pass, so a rule that stopped matching anything would be noticed.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# -S: no site, so the development install's finder does not bring the real tree's
# `services` into the copy's namespace package; the libraries come by path instead
LINT = ("import sys; from importlinter.cli import lint_imports_command; "
        "sys.exit(lint_imports_command())")

PLANTED = {
    "services-independent": ("services/catalog/domain.py",
                             "from services.rankings.domain import rankings"),
    "shared-imports-no-service": ("shared/schemas.py",
                                  "from services.catalog.contract import rpc"),
    "contracts-are-pure (service code)": ("services/orders/contract/rpc.py",
                                          "from services.orders.domain import status"),
    "contracts-are-pure (a library)": ("services/gateway/contract/events.py",
                                       "import nameko"),
    "domain-without-nameko": ("services/analytics/domain/views.py",
                              "from nameko.extensions import DependencyProvider"),
}


@pytest.fixture(scope="module")
def copy_of_the_code(tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("code")
    ignore = shutil.ignore_patterns("tests", "__pycache__", "*.egg-info", "build")
    for folder in ("services", "shared"):
        shutil.copytree(ROOT / folder, copy / folder, ignore=ignore)
    shutil.copy(ROOT / ".importlinter", copy / ".importlinter")
    return copy


def lint(code: Path) -> subprocess.CompletedProcess:
    path = [str(code), sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]]
    return subprocess.run([sys.executable, "-S", "-c", LINT, "--no-cache"], cwd=code,
                          env={"PYTHONPATH": ":".join(path), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=300)


def test_the_code_as_it_is_keeps_every_rule(copy_of_the_code):
    result = lint(copy_of_the_code)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "0 broken" in result.stdout


@pytest.mark.parametrize("rule", PLANTED)
def test_a_planted_violation_breaks_its_rule(copy_of_the_code, tmp_path, rule):
    code = tmp_path / "code"
    shutil.copytree(copy_of_the_code, code)
    module, line = PLANTED[rule]
    with (code / module).open("a") as source:
        source.write(f"\n{line}  # planted\n")
    result = lint(code)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    name = rule.split(" ")[0]
    # the rule planted against is broken (others may be too: a chain crosses several)
    broken = [text.split(" BROKEN")[0] for text in result.stdout.splitlines()
              if " BROKEN" in text]
    assert read_contract_names(code)[name] in broken, broken
    assert module.removesuffix(".py").replace("/", ".") in result.stdout


def read_contract_names(code: Path) -> dict[str, str]:
    """contract id (importlinter:contract:<id>) -> its name, from the configuration."""
    import configparser

    config = configparser.ConfigParser()
    config.read(code / ".importlinter")
    return {section.split(":")[-1]: config[section]["name"]
            for section in config.sections() if section.startswith("importlinter:contract:")}
