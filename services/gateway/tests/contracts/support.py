"""The gateway's real routes, run in-process against services as their pacts promise them:
GatewayService with `Promised` RPC clients and dispatches that keep what they would
publish (the envelopes shared.events.make_envelope and shared.event_buffer build)."""

from __future__ import annotations

from limits.storage import MemoryStorage
from nameko.events import get_event_exchange
from werkzeug.test import EnvironBuilder
from werkzeug.wrappers import Request

from contracts.consumer import Promised
from services.gateway.domain.auth import TokenSettings, issue_token
from services.gateway.domain.limits import LoginThrottle, WriteLimit
from services.gateway.domain.read_model import ReadModel
from services.gateway.domain.viewers import ViewerIds
from services.gateway.service import Auth, GatewayService
from shared.contract import EventType
from shared.event_buffer import envelope_of, messages_of, pending
from shared.events import make_envelope

TOKENS = TokenSettings(secret="contract-test-secret-" + "0123456789abcdef" * 3)
VIEWERS = ViewerIds("contract-test-viewers-" + "fedcba9876543210" * 3)
DOWNSTREAM = ("catalog", "rankings", "analytics", "orders")


class Dispatched(list):
    """What the gateway's dispatch published: each envelope, as EventDispatcher makes it."""

    def __call__(self, event: EventType, payload: dict, version: int | None = None,
                 event_id=None) -> dict:
        envelope = make_envelope(event, payload, version, event_id=event_id)
        self.append(envelope)
        return envelope


class Buffered(list):
    """What the gateway's buffered view dispatch would publish: each envelope, as
    shared.event_buffer's flusher makes it."""

    def __call__(self, event: EventType, payload: dict, event_id=None) -> None:
        self.append(envelope_of(pending(event, payload, event_id), event.payload()))

    def messages(self) -> list[list[dict]]:
        """The message bodies these envelopes would travel in, had one flush taken them."""
        exchange = get_event_exchange("gateway", {})
        return [body for _, _, body in messages_of([(exchange, each) for each in self])]


def gateway_with(**promised: Promised) -> GatewayService:
    """A GatewayService whose downstream services answer as their pacts promise (a service
    not given answers nothing: calling it fails the test)."""
    service = GatewayService()
    for name in DOWNSTREAM:
        setattr(service, name, promised.get(name) or Promised([]))
    service.dispatch = Dispatched()
    service.views = Buffered()
    service.read_model = ReadModel()  # its stream never up: every read asks the service
    service.config = {"READY_TIMEOUT": 1.0}
    storage = MemoryStorage()
    service.auth = Auth(TOKENS, LoginThrottle(storage, per_account=5, per_client=20,
                                              window=900),
                        WriteLimit(storage, per_user=120, per_client=600, window=60))
    service.viewer_ids = VIEWERS
    return service


def request(method: str = "GET", path: str = "/", *, user: str | None = None,
            role: str = "user", body: dict | None = None, query: dict | None = None,
            headers: dict | None = None) -> Request:
    """A werkzeug request as the gateway's HTTP server hands it to a route."""
    headers = dict(headers or {})
    if user is not None:
        token = issue_token(TOKENS, user, role)["access_token"]
        headers["Authorization"] = f"Bearer {token}"
    return EnvironBuilder(method=method, path=path, headers=headers, json=body,
                          query_string=query,
                          environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_request()
