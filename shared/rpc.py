"""RPC between services, always with a timeout.

nameko's in-service `RpcProxy` waits forever for a reply. `RpcClient` waits at
most RPC_TIMEOUT seconds and then tells apart the two failures a caller must
report differently: nobody is consuming the service's queue (503,
ServiceUnavailable) and the service is there but slow (504, ServiceTimeout).
Requests carry a message TTL equal to the timeout, so a request nobody picked
up in time is dropped by the broker instead of running after the caller gave up.

Publisher confirms (a round trip to the broker before the worker goes on) buy an RPC
nothing once its route is known: a request or a reply the broker loses is the caller's
timeout either way, and the caller tells it as it tells a stopped service. So replies
(`service_rpc`) go unconfirmed, and a client confirms its requests only until one was
routed: mandatory and confirmed is how nameko tells that nobody ever declared the
service's queue (503 at once, UnknownService). The four confirms of an order's two hops
were a third of the path's cost on two cores (bench/orders_create.py).

    catalog = RpcClient("catalog")
    ...
    self.catalog.get_restaurant(restaurant_id)            # waits, with timeout
    reply = self.catalog.get_restaurant.call_async(rid)   # concurrent calls
    reply.result()
"""

from __future__ import annotations

import logging
import time
import uuid

import eventlet
import nameko.rpc
from kombu import Connection
from nameko.amqp.publish import Publisher
from nameko.constants import (
    AMQP_SSL_CONFIG_KEY,
    AMQP_URI_CONFIG_KEY,
    DEFAULT_SERIALIZER,
    DEFAULT_TRANSPORT_OPTIONS,
    LOGIN_METHOD_CONFIG_KEY,
    SERIALIZER_CONFIG_KEY,
)
from nameko.exceptions import UnknownService, deserialize_to_instance
from nameko.messaging import HeaderEncoder
from nameko.rpc import RPC_QUEUE_TEMPLATE, Responder, RpcProxy, RpcReply, get_rpc_exchange

from shared import metrics
from shared.errors import EXPECTED_ERRORS, REMOTE_ERRORS, ServiceTimeout, ServiceUnavailable

log = logging.getLogger(__name__)

# Remote errors are mapped back to local types at the boundary, once: a NotFound raised
# behind an RPC is a NotFound where it was called, not nameko's generic RemoteError.
for _error in REMOTE_ERRORS:
    deserialize_to_instance(_error)


class UnconfirmedPublisher(Publisher):
    """Publishes without waiting for the broker's confirm (see above)."""

    use_confirms = False

    def publish(self, payload, **kwargs):
        # nameko writes the confirm flag into the transport options it is given, by
        # default a dict every publisher shares: give it one of our own
        kwargs.setdefault("transport_options", dict(DEFAULT_TRANSPORT_OPTIONS))
        super().publish(payload, **kwargs)


class _Responder(Responder):
    publisher_cls = UnconfirmedPublisher


# What a store's failures mean to a caller: functions from an exception to the error the
# caller gets instead (ServiceUnavailable: the store is away or busy), or None. A store's
# module adds its own (shared.db: PostgreSQL's), so this one needs no store library.
STORE_ERRORS: list = []


def store_error(exc: BaseException):
    """The caller's error for a store failure, or None if `exc` is not one."""
    for translate in STORE_ERRORS:
        translated = translate(exc)
        if translated is not None:
            return translated
    return None


class Rpc(nameko.rpc.Rpc):
    """nameko's RPC entrypoint, whose reply goes without a publisher confirm, and whose
    store failures (a lock or statement past its time limit, a lost database) reach the
    caller as ServiceUnavailable, not as an unexpected error."""

    def handle_message(self, body, message):
        message.bellyfed_taken_at = time.perf_counter()  # for bellyfed_rpc_server_*
        super().handle_message(body, message)

    def handle_result(self, message, worker_ctx, result, exc_info):
        if metrics.recording:
            service = self.container.service_name
            taken_at = getattr(message, "bellyfed_taken_at", None)
            if taken_at is not None:
                metrics.RPC_SERVER_DURATION.observe(time.perf_counter() - taken_at, service,
                                                    self.method_name)
            metrics.RPC_SERVER_CALLS.inc(service, self.method_name,
                                         "ok" if exc_info is None else "error")
        if exc_info is not None:
            translated = store_error(exc_info[1])
            if translated is not None:
                log.warning("rpc %s: %s (%s)", self.method_name, translated.message,
                            exc_info[1].__class__.__name__)
                exc_info = (type(translated), translated, exc_info[2])
        config = self.container.config
        responder = _Responder(
            config[AMQP_URI_CONFIG_KEY], get_rpc_exchange(config),
            config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER), message,
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY))
        result, exc_info = responder.send_response(result, exc_info)
        self.rpc_consumer.queue_consumer.ack_message(message)
        return result, exc_info


# An RPC entrypoint whose deliberate errors (not found, invalid…) are answers to log
# as warnings, not crashes with tracebacks: `@service_rpc def get_restaurant(...)`.
service_rpc = Rpc.decorator(expected_exceptions=EXPECTED_ERRORS)

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
    """A request's reply, waited for until the request's deadline (RPC_TIMEOUT from when
    it was made, the publish included)."""

    def __init__(self, client: RpcClient, method: str, reply, deadline: float):
        self._client = client
        self._method = method
        self._reply = reply
        self._deadline = deadline

    def result(self):
        timeout = eventlet.Timeout(max(0.0, self._deadline - time.monotonic()))
        outcome = "error"
        try:
            answer = self._reply.result()
            outcome = "ok"
            return answer
        except eventlet.Timeout as expired:
            if expired is not timeout:
                outcome = None  # a caller's own, outer timeout: not ours to explain
                raise
            outcome = "timeout"
            self._client.raise_for_silence(self._method)
        finally:
            timeout.cancel()
            if outcome is not None:
                record_call(self._client, self._method, outcome, self._deadline)


def record_call(client: RpcClient, method: str, outcome: str, deadline: float) -> None:
    """bellyfed_rpc_client_*: the call's outcome, and its seconds since it was made (its
    deadline less the timeout). ok: an answer; error: an error raised, remote or on the
    way (the service unavailable, the broker refusing); timeout: no answer in time."""
    if metrics.recording:
        metrics.RPC_CLIENT_CALLS.inc(client.service, method, outcome)
        metrics.RPC_CLIENT_DURATION.observe(time.monotonic() - (deadline - client.timeout),
                                            client.service, method)


_headers = HeaderEncoder()


class TimedMethod:
    def __init__(self, client: RpcClient, service_proxy, method: str):
        self._client = client
        self._service = service_proxy
        self._method = method

    def call_async(self, *args, **kwargs) -> TimedReply:
        """Publish the request, within the call's time limit: a broker that does not take
        it (a memory or disk alarm blocks publishers; a broker that stopped answering) is
        a 503 when the limit ends, not a hang before the reply's timer even started."""
        client = self._client
        deadline = time.monotonic() + client.timeout
        timeout = eventlet.Timeout(client.timeout)
        try:
            if client.routed:
                reply = self._send(args, kwargs)
            else:  # nameko's own call, confirmed: UnknownService if nothing is bound
                reply = getattr(self._service, self._method).call_async(*args, **kwargs)
                client.routed = True
        except UnknownService:
            record_call(client, self._method, "error", deadline)
            raise ServiceUnavailable(
                f"the {client.service} service is unavailable",
                {"service": client.service},
            ) from None
        except eventlet.Timeout as expired:
            if expired is not timeout:
                raise
            log.warning("rpc %s.%s: the broker did not take the request within %ss",
                        client.service, self._method, client.timeout)
            record_call(client, self._method, "error", deadline)
            raise ServiceUnavailable(
                "the message broker is not taking requests, try again shortly",
                {"service": client.service, "method": self._method,
                 "timeout_seconds": client.timeout}) from None
        finally:
            timeout.cancel()
        return TimedReply(client, self._method, reply, deadline)

    def _send(self, args, kwargs) -> RpcReply:
        """nameko's MethodProxy call (2.14), published without a confirm."""
        client, listener = self._client, self._service.reply_listener
        correlation_id = str(uuid.uuid4())
        reply_event = listener.get_reply_event(correlation_id)
        client.publisher.publish(
            {"args": args, "kwargs": kwargs}, exchange=client.exchange,
            routing_key=f"{client.service}.{self._method}", reply_to=listener.routing_key,
            correlation_id=correlation_id,
            extra_headers=_headers.get_message_headers(self._service.worker_ctx))
        return RpcReply(reply_event)

    def __call__(self, *args, **kwargs):
        return self.call_async(*args, **kwargs).result()


class BoundClient:
    """What a worker sees: attribute access gives a timed method of the remote service."""

    def __init__(self, client: RpcClient, service_proxy):
        self._client = client
        self._proxy = service_proxy

    def __getattr__(self, method: str) -> TimedMethod:
        return TimedMethod(self._client, self._proxy, method)


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
        config = self.container.config
        self.exchange = get_rpc_exchange(config)
        self.publisher = UnconfirmedPublisher(
            config[AMQP_URI_CONFIG_KEY],
            serializer=config.get(SERIALIZER_CONFIG_KEY, DEFAULT_SERIALIZER),
            ssl=config.get(AMQP_SSL_CONFIG_KEY), login_method=config.get(LOGIN_METHOD_CONFIG_KEY),
            **{**self.options, "use_confirms": False})
        self.routed = False  # until a confirmed request was routed to the service's queue

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
