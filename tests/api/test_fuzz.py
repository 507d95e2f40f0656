"""Schemathesis against the running system: the API does what its OpenAPI document says.

scripts/run starts every service and the gateway (their own databases, vhost and ports);
the demo admin it makes (DEMO_ADMIN_PASSWORD) signs in through the gateway, and
schemathesis loads /openapi.json and runs every default check on positive and negative
data, in its coverage, fuzzing and stateful phases, with a fixed seed (settings in
schemathesis.toml beside this file). Any failure, a 5xx included, fails the test with
schemathesis' report; so does an ERROR any service logs meanwhile (a failure no answer
showed, in an event consumer say).

To run it against your own scripts/run: sign in, then
    BELLYFED_FUZZ_TOKEN=<access token> st --config-file tests/api/schemathesis.toml \\
        run http://127.0.0.1:8000/openapi.json
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import requests

from tests.system import run_system

CONFIG = Path(__file__).with_name("schemathesis.toml")
# the demo admin scripts/run makes (SPEC §7: an operator's command, never a request)
ADMIN = {"email": "admin@bellyfed.local", "password": "fuzz-admin-secret"}
# what a service logs when something fails unexpectedly (an answer or not): none may
ERROR_LINE = re.compile(r"^\[\w+\] \S+ \S+ (ERROR|CRITICAL) ", re.MULTILINE)
# the whole run, far above what it takes (about a minute on a 2-core machine)
FUZZ_TIMEOUT = 900
SETTINGS = {
    "DEMO_ADMIN_PASSWORD": ADMIN["password"],
    "RPC_TIMEOUT": "30",  # a busy machine is slow, not down
    # one client sends every request: allowances for a crowd, so that what is behind the
    # limits is what gets tested (the limits themselves have tests of their own)
    "LOGIN_MAX_FAILURES_PER_ACCOUNT": "100000",
    "LOGIN_MAX_FAILURES_PER_ADDRESS": "100000",
    "WRITE_LIMIT_PER_USER": "100000",
    "WRITE_LIMIT_PER_ADDRESS": "100000",
}


def sign_in(base: str, account: dict) -> str:
    """Sign in as `account` through the gateway: its access token."""
    login = requests.post(f"{base}/auth/login", timeout=30, json={
        "email": account["email"], "password": account["password"]})
    assert login.status_code == 200, login.text
    return login.json()["access_token"]


def schemathesis(base: str, token: str, workdir: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "schemathesis.cli", "--config-file", str(CONFIG), "--no-color",
         "run", f"{base}/openapi.json", "--report", "junit",
         "--report-dir", str(workdir / "schemathesis")],
        env={**os.environ, "BELLYFED_FUZZ_TOKEN": token}, cwd=workdir,
        stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=FUZZ_TIMEOUT,
    )


def test_the_api_is_what_its_document_says(rabbit_config, tmp_path):
    with run_system(rabbit_config["AMQP_URI"], tmp_path, name="fuzz", **SETTINGS) as system:
        token = sign_in(system.base, ADMIN)
        me = requests.get(f"{system.base}/users/me", timeout=30,
                          headers={"Authorization": f"Bearer {token}"})
        assert me.json()["role"] == "admin", me.text  # so admin routes are fuzzed too
        result = schemathesis(system.base, token, tmp_path)
        still_ready = requests.get(f"{system.base}/ready", timeout=30)
        log = system.log.read_text()
    report = result.stdout + result.stderr
    print(report)  # pytest shows it when the test fails
    (tmp_path / "schemathesis" / "report.txt").write_text(report)
    assert result.returncode == 0, "schemathesis found failures: its report is above"
    generated = re.search(r"(\d+) generated", report)
    assert generated and int(generated.group(1)) > 0, "nothing was tested"
    errors = [line for line in log.splitlines() if ERROR_LINE.match(line)]
    assert errors == [], f"errors logged while fuzzing (all in {system.log}):\n" + "\n".join(
        errors[:50])
    assert still_ready.status_code == 200, still_ready.text
