"""shared.rpc over the real broker: a caller's RpcClient and a callee's service_rpc, whose
requests (once routed) and replies go without publisher confirms."""

from __future__ import annotations

import time

import pytest
from nameko.rpc import rpc
from nameko.standalone.rpc import ClusterRpcProxy

from shared.errors import NotFound, ServiceTimeout, ServiceUnavailable
from shared.rpc import RpcClient, service_rpc


class Callee:
    name = "callee"

    @service_rpc
    def echo(self, value):
        return {"echoed": value}

    @service_rpc
    def missing(self, name):
        raise NotFound("no such thing", {"name": name})


class Caller:
    name = "caller"
    callee = RpcClient("callee")

    @rpc
    def relay(self, value):
        return self.callee.echo(value)

    @rpc
    def relay_many(self, values):
        replies = [self.callee.echo.call_async(value) for value in values]
        return [reply.result() for reply in replies]

    @rpc
    def relay_missing(self, name):
        try:
            self.callee.missing(name)
        except NotFound as exc:
            return {"not_found": exc.message, "details": exc.details}

    @rpc
    def relay_or_say(self, value):
        try:
            return self.callee.echo(value)
        except (ServiceUnavailable, ServiceTimeout) as exc:
            return {"error": type(exc).__name__}


def client_of(container) -> RpcClient:
    return next(dep for dep in container.dependencies if isinstance(dep, RpcClient))


def test_requests_and_replies_go_unconfirmed_once_the_service_was_found(
        container_factory, service_config):
    callee = container_factory(Callee, service_config)
    callee.start()
    caller = container_factory(Caller, service_config)
    caller.start()
    client = client_of(caller)
    assert client.routed is False
    with ClusterRpcProxy(service_config, timeout=10) as cluster:
        # the first request is nameko's own, confirmed and mandatory
        assert cluster.caller.relay("first") == {"echoed": "first"}
        assert client.routed is True
        # then unconfirmed: answers still come back to the right callers, in order
        values = [f"v{n}" for n in range(50)]
        assert cluster.caller.relay_many(values) == [{"echoed": value} for value in values]
        replies = [cluster.caller.relay.call_async(n) for n in range(20)]
        assert [reply.result() for reply in replies] == [{"echoed": n} for n in range(20)]
        # an expected error still travels as itself, details and all
        assert cluster.caller.relay_missing("x") == {
            "not_found": "no such thing", "details": {"name": "x"}}


def test_a_service_never_started_is_unavailable_at_once_and_one_gone_when_the_timer_ends(
        container_factory, service_config):
    caller = container_factory(Caller, {**service_config, "RPC_TIMEOUT": 1.0})
    caller.start()
    with ClusterRpcProxy(service_config, timeout=10) as cluster:
        # no queue was ever declared: the mandatory first request says so at once
        started = time.monotonic()
        assert cluster.caller.relay_or_say("a") == {"error": "ServiceUnavailable"}
        assert time.monotonic() - started < 0.9
        assert client_of(caller).routed is False

        callee = container_factory(Callee, service_config)
        callee.start()
        assert cluster.caller.relay_or_say("b") == {"echoed": "b"}
        callee.stop()
        # its queue outlives it: an unconfirmed request waits there until the caller's
        # timer ends, which then finds nobody consuming (not merely a slow service)
        started = time.monotonic()
        assert cluster.caller.relay_or_say("c") == {"error": "ServiceUnavailable"}
        assert 0.9 < time.monotonic() - started < 3


@pytest.mark.parametrize("value", [None, 0, "", [1, {"a": "b"}], "ü" * 1000])
def test_payloads_come_back_as_sent(container_factory, service_config, value):
    callee = container_factory(Callee, service_config)
    callee.start()
    caller = container_factory(Caller, service_config)
    caller.start()
    with ClusterRpcProxy(service_config, timeout=10) as cluster:
        cluster.caller.relay("warm")
        assert cluster.caller.relay(value) == {"echoed": value}


class FreezableProxy:
    """A TCP proxy to the broker that can stop passing bytes while keeping every connection
    open: to its clients, a broker that took the socket and stopped answering (as one
    under a memory alarm stops reading publishers)."""

    def __init__(self, target: tuple[str, int]):
        import eventlet

        self.target = target
        self.server = eventlet.listen(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.flowing = eventlet.event.Event()
        self.flowing.send()
        self.sockets = []
        self.pipes = []
        self.acceptor = eventlet.spawn(self._accept)

    def _accept(self):
        import eventlet

        while True:
            client, _ = self.server.accept()
            upstream = eventlet.connect(self.target)
            self.sockets += [client, upstream]
            self.pipes += [eventlet.spawn(self._pipe, client, upstream),
                           eventlet.spawn(self._pipe, upstream, client)]

    def _pipe(self, source, sink):
        try:
            while data := source.recv(65536):
                self.flowing.wait()
                sink.sendall(data)
        except Exception:  # closed under it: the proxy is going away
            pass

    def freeze(self):
        import eventlet

        self.flowing = eventlet.event.Event()

    def thaw(self):
        if not self.flowing.ready():
            self.flowing.send()

    def close(self):
        self.thaw()
        for thread in [self.acceptor, *self.pipes]:
            thread.kill()
        for sock in self.sockets:
            sock.close()
        self.server.close()


def test_a_broker_that_stops_taking_requests_is_a_503_within_the_timeout(
        container_factory, service_config):
    """The caller's time limit covers publishing its request: with the broker frozen under
    a publish (confirm never coming) the call ends at RPC_TIMEOUT as ServiceUnavailable,
    and once the broker answers again the next call goes through."""
    from urllib.parse import urlsplit, urlunsplit

    from nameko.testing.services import entrypoint_hook

    uri = urlsplit(service_config["AMQP_URI"])
    proxy = FreezableProxy((uri.hostname, uri.port or 5672))
    proxied = urlunsplit(uri._replace(netloc=f"{uri.username}:{uri.password}@127.0.0.1:"
                                             f"{proxy.port}"))
    try:
        container_factory(Callee, service_config).start()
        caller = container_factory(Caller, {**service_config, "AMQP_URI": proxied,
                                            "RPC_TIMEOUT": 1.0})
        caller.start()
        proxy.freeze()  # before the first, confirmed, request: its confirm never comes
        with entrypoint_hook(caller, "relay_or_say") as relay_or_say:
            started = time.monotonic()
            assert relay_or_say("frozen") == {"error": "ServiceUnavailable"}
            assert time.monotonic() - started < 2.5
        proxy.thaw()
        with entrypoint_hook(caller, "relay") as relay:
            deadline = time.monotonic() + 20
            while True:  # the client's connection may need to come back first
                try:
                    assert relay("thawed") == {"echoed": "thawed"}
                    break
                except (ServiceUnavailable, ServiceTimeout):
                    assert time.monotonic() < deadline, "no recovery after the broker thawed"
    finally:
        proxy.close()
