"""`python -m shared.healthcheck [service]`: exit 0 if the service is healthy.

The images' health check and the Kubernetes probes (deploy/Dockerfile). The service is
the argument, or BELLYFED_SERVICE (set in each image). It is healthy when it answers
`health()` over RabbitMQ (shared.health); without an argument and with HEALTHCHECK_URL
set (the gateway's image: its own /health), when that URL answers 2xx.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()

import json
import sys
import urllib.request

from nameko.standalone.rpc import ClusterRpcProxy

from shared.config import amqp_uri, env, env_float

SERVICE_ENV = "BELLYFED_SERVICE"
URL_ENV = "HEALTHCHECK_URL"


def check(service: str, timeout: float, url: str | None = None) -> dict:
    if url:
        with urllib.request.urlopen(url, timeout=timeout) as answer:
            return json.loads(answer.read() or b"{}") | {"status": "ok"}
    with ClusterRpcProxy({"AMQP_URI": amqp_uri()}, timeout=timeout) as cluster:
        return getattr(cluster, service).health()


def main(argv: list[str]) -> int:
    service = argv[0] if len(argv) == 1 else env(SERVICE_ENV)
    if len(argv) > 1 or not service:
        print(f"usage: python -m shared.healthcheck <service> (or {SERVICE_ENV} set)",
              file=sys.stderr)
        return 2
    # a service named on the command line is pinged; the image's own check (no argument)
    # uses its HEALTHCHECK_URL when it has one
    url = None if argv else env(URL_ENV)
    try:
        status = check(service, env_float("HEALTHCHECK_TIMEOUT", 3.0), url)
    except Exception as exc:  # any failure means unhealthy
        print(f"{service}: unhealthy ({type(exc).__name__}: {exc})", file=sys.stderr)
        return 1
    print(f"{service}: {status}")
    return 0 if status.get("status") == "ok" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
