"""Reading the services' image definition without a Docker engine (test_compose, test_k8s,
test_packaging): one Dockerfile, deploy/Dockerfile, builds every service by its SERVICE
build argument."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


DOCKERFILE = ROOT / "deploy" / "Dockerfile"


def service_names() -> list[str]:
    return sorted(path.parent.name for path in ROOT.glob("services/*/pyproject.toml"))


def dockerfiles() -> dict[str, Path]:
    """service -> the Dockerfile that builds its image (the one, for every service)."""
    return dict.fromkeys(service_names(), DOCKERFILE)


def instructions(path: Path) -> list[tuple[str, str]]:
    """(KEYWORD, arguments) of each Dockerfile instruction, continuations joined."""
    result, current = [], ""
    for raw in path.read_text().splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        keyword, _, args = (current + line).partition(" ")
        result.append((keyword.upper(), args.strip()))
        current = ""
    assert not current, f"{path}: dangling line continuation"
    return result


def final_stage(path: Path) -> list[tuple[str, str]]:
    steps = instructions(path)
    last_from = max(i for i, (keyword, _) in enumerate(steps) if keyword == "FROM")
    return steps[last_from:]


def exec_form(args: str, path: Path, keyword: str) -> list[str]:
    try:
        command = json.loads(args)
    except json.JSONDecodeError:
        pytest.fail(f"{path}: {keyword} must use the exec (JSON array) form, got {args!r}")
    assert isinstance(command, list) and all(isinstance(part, str) for part in command)
    return command


def dockerfile_healthcheck(path: Path) -> list[str]:
    checks = [args for keyword, args in final_stage(path) if keyword == "HEALTHCHECK"]
    assert checks, f"{path}: the final stage has no HEALTHCHECK"
    match = re.fullmatch(r"(?:--\S+\s+)*CMD\s+(?P<command>.+)", checks[-1], re.DOTALL)
    assert match, f"{path}: HEALTHCHECK must run a command, got {checks[-1]!r}"
    return exec_form(match["command"], path, "HEALTHCHECK")


def dockerfile_command(path: Path) -> list[str]:
    commands = [args for keyword, args in final_stage(path) if keyword == "CMD"]
    assert commands, f"{path}: no CMD"
    entrypoints = [args for keyword, args in final_stage(path) if keyword == "ENTRYPOINT"]
    assert not entrypoints, f"{path}: an ENTRYPOINT would wrap the CMD"
    return exec_form(commands[-1], path, "CMD")


def dockerfile_user(path: Path) -> tuple[int, int]:
    """(uid, gid) the image runs as. Numeric, so Kubernetes can check runAsNonRoot
    without looking the name up in the image's /etc/passwd."""
    users = [args for keyword, args in final_stage(path) if keyword == "USER"]
    assert users, f"{path}: the final stage sets no USER, so it runs as root"
    match = re.fullmatch(r"(\d+):(\d+)", users[-1])
    assert match, f"{path}: USER {users[-1]} must be a numeric uid:gid"
    return int(match[1]), int(match[2])
