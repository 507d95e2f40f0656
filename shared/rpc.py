"""RPC between services, always with a timeout.

nameko's in-service `RpcProxy` waits forever for a reply. `RpcClient` waits at
most RPC_TIMEOUT seconds and then tells apart the two failures a caller must
report differently: nobody is consuming the service's queue (503,
ServiceUnavailable) and the service is there but slow (504, ServiceTimeout).
Requests carry a message TTL equal to the timeout, so a request nobody picked
up in time is dropped by the broker instead of running after the caller gave up.

    catalog = RpcClient("catalog")
    ...
    self.catalog.get_restaurant(restaurant_id)            # waits, with timeout
    reply = self.catalog.get_restaurant.call_async(rid)   # concurrent calls
    reply.result()
"""

from __future__ import annotations

import logging

import eventlet
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.exceptions import UnknownService, deserialize_to_instance
from nameko.rpc import RPC_QUEUE_TEMPLATE, RpcProxy, rpc

from shared.errors import EXPECTED_ERRORS, REMOTE_ERRORS, ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

# Remote errors are mapped back to local types at the boundary, once: a NotFound raised
# behind an RPC is a NotFound where it was called, not nameko's generic RemoteError.
for _error in REMOTE_ERRORS:
    deserialize_to_instance(_error)

# An RPC entrypoint whose deliberate errors (not found, invalid…) are answers to log
# as warnings, not crashes with tracebacks: `@service_rpc def get_restaurant(...)`.
service_rpc = rpc(expected_exceptions=EXPECTED_ERRORS)

RPC_TIMEOUT_CONFIG_KEY = "RPC_TIMEOUT"
DEFAULT_RPC_TIMEOUT = 5.0


def count_consumers(amqp_uri: str, service: str) -> int:
    """How many processes consume `service`'s RPC queue (0 if the queue is absent)."""
    try:
        with Connection(amqp_uri, connect_timeout=2) as conn:
            channel = conn.channel()
            try:
                _, _, consumers = channel.queue_declare(
                    RPC_QUEUE_TEMPLATE.format(service), passive=True
                )
            finally:
                channel.close()
            return consumers
    except Exception as exc:  # queue missing (404 closes the channel) or broker unreachable
        log.info("no consumer of %s's RPC queue found: %s: %s", service,
                 type(exc).__name__, exc)
        return 0


class TimedReply:
    def __init__(self, client: RpcClient, method: str, reply):
        self._client = client
        self._method = method
        self._reply = reply

    def result(self):
        timeout = eventlet.Timeout(self._client.timeout)
        try:
            return self._reply.result()
        except eventlet.Timeout as expired:
            if expired is not timeout:
                raise  # a caller's own, outer timeout: not ours to explain
            self._client.raise_for_silence(self._method)
        finally:
            timeout.cancel()


class TimedMethod:
    def __init__(self, client: RpcClient, method_proxy, method: str):
        self._client = client
        self._proxy = method_proxy
        self._method = method

    def call_async(self, *args, **kwargs) -> TimedReply:
        try:
            reply = self._proxy.call_async(*args, **kwargs)
        except UnknownService:
            raise ServiceUnavailable(
                f"the {self._client.service} service is unavailable",
                {"service": self._client.service},
            ) from None
        return TimedReply(self._client, self._method, reply)

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()


class BoundClient:
    """What a worker sees: attribute access gives a timed method of the remote service."""

    def __init__(self, client: RpcClient, service_proxy):
        self._client = client
        self._proxy = service_proxy

    def __getattr__(self, method: str) -> TimedMethod:
        return TimedMethod(self._client, getattr(self._proxy, method), method)


class RpcClient(RpcProxy):
    def __init__(self, target_service: str, timeout: float | None = None, **options):
        super().__init__(target_service, **options)
        self._timeout = timeout

    @property
    def service(self) -> str:
        return self.target_service

    def setup(self):
        super().setup()
        self.timeout = self._timeout or float(
            self.container.config.get(RPC_TIMEOUT_CONFIG_KEY, DEFAULT_RPC_TIMEOUT)
        )
        # kombu takes seconds; the broker drops a request nobody took in time
        self.options.setdefault("expiration", self.timeout)

    def get_dependency(self, worker_ctx):
        return BoundClient(self, super().get_dependency(worker_ctx))

    def raise_for_silence(self, method: str):
        service = self.target_service
        details = {"service": service, "method": method, "timeout_seconds": self.timeout}
        if count_consumers(self.container.config[AMQP_URI_CONFIG_KEY], service) == 0:
            log.warning("rpc %s.%s: no consumer", service, method)
            raise ServiceUnavailable(f"the {service} service is unavailable", details)
        log.warning("rpc %s.%s: no reply within %ss", service, method, self.timeout)
        raise ServiceTimeout(f"the {service} service did not answer in time", details)
