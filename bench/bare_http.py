"""The stack's ceilings: nameko `@http` handlers that do nothing, in this venv.

    python bench/bare_http.py 127.0.0.1:8099             # GET /ping: nothing at all
    python bench/bare_http.py 127.0.0.1:8099 AMQP_URI    # and GET /rpc: one RPC to ...
    python bench/bare_http.py echo AMQP_URI              # ... this do-nothing service

/rpc is one hop with nothing on either side, nameko's defaults (RpcProxy and @rpc, over
the broker, JSON, to a service in another process): what POST /orders is measured against
(bench/orders_create.py). /rpc/shared is the same hop through shared.rpc (RpcClient and
service_rpc), as the services make it. Give both processes the same vhost of their own.
"""
# eventlet is patched before anything else is imported, as the services' __main__ does:
# ruff: noqa: E402

import eventlet

eventlet.monkey_patch()

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script

from nameko.containers import ServiceContainer
from nameko.rpc import RpcProxy, rpc
from nameko.web.handlers import http

from shared.rpc import RpcClient, service_rpc


class Bare:
    name = "bench_bare"

    @http("GET", "/ping")
    def ping(self, request):
        return json.dumps({"ok": True})


class Echo:
    name = "bench_echo"

    @rpc
    def ping(self) -> dict:
        return {"ok": True}

    @service_rpc
    def ping_shared(self) -> dict:
        return {"ok": True}


class BareRpc(Bare):
    echo = RpcProxy("bench_echo")
    echo_shared = RpcClient("bench_echo")

    @http("GET", "/rpc")
    def rpc(self, request):
        return json.dumps(self.echo.ping())

    @http("GET", "/rpc/shared")
    def rpc_shared(self, request):
        return json.dumps(self.echo_shared.ping_shared())


def serve(service: type, config: dict) -> None:
    # the services' own settings (shared.config.nameko_config): JSON, ten workers
    container = ServiceContainer(service, {"serializer": "json", "max_workers": 10,
                                           "PREFETCH_COUNT": 10, **config})
    container.start()
    container.wait()


if __name__ == "__main__":
    if sys.argv[1] == "echo":
        serve(Echo, {"AMQP_URI": sys.argv[2]})
    elif len(sys.argv) > 2:
        serve(BareRpc, {"AMQP_URI": sys.argv[2], "WEB_SERVER_ADDRESS": sys.argv[1]})
    else:
        serve(Bare, {"AMQP_URI": "memory://", "WEB_SERVER_ADDRESS": sys.argv[1]})
