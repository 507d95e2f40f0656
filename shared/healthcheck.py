"""`python -m shared.healthcheck <service>`: exit 0 if the service answers `health()`.

Used by container health checks for services that have no HTTP port.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import sys

from nameko.standalone.rpc import ClusterRpcProxy

from shared.config import amqp_uri, env_float


def check(service: str, timeout: float) -> dict:
    with ClusterRpcProxy({"AMQP_URI": amqp_uri()}, timeout=timeout) as cluster:
        return getattr(cluster, service).health()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m shared.healthcheck <service>", file=sys.stderr)
        return 2
    try:
        status = check(argv[0], env_float("HEALTHCHECK_TIMEOUT", 3.0))
    except Exception as exc:  # any failure means unhealthy
        print(f"{argv[0]}: unhealthy ({type(exc).__name__})", file=sys.stderr)
        return 1
    print(f"{argv[0]}: {status}")
    return 0 if status.get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
