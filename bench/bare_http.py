"""The stack's ceiling: a nameko `@http` handler that does nothing, in this venv.

    python bench/bare_http.py 127.0.0.1:8099
"""
# eventlet is patched before anything else is imported, as the services' __main__ does:
# ruff: noqa: E402

import eventlet

eventlet.monkey_patch()

import json
import sys

from nameko.containers import ServiceContainer
from nameko.web.handlers import http


class Bare:
    name = "bench_bare"

    @http("GET", "/ping")
    def ping(self, request):
        return json.dumps({"ok": True})


if __name__ == "__main__":
    container = ServiceContainer(Bare, {"AMQP_URI": "memory://",
                                        "WEB_SERVER_ADDRESS": sys.argv[1]})
    container.start()
    container.wait()
