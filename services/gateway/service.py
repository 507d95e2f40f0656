"""The gateway: its dependencies, who may call what, and its routes grouped by area."""

from __future__ import annotations

import logging
import secrets

from nameko.extensions import DependencyProvider

from services.gateway.catalog_stream import CatalogStream
from services.gateway.domain import identity, views
from services.gateway.domain.access import Access, authorize
from services.gateway.domain.auth import Identity, TokenSettings, VerifiedTokens
from services.gateway.domain.limits import (
    LoginThrottle,
    ReadLimit,
    TrustedProxies,
    WriteLimit,
    storage_for,
)
from services.gateway.domain.readiness import SharedChecks
from services.gateway.domain.viewers import ViewerIds
from services.gateway.entrypoints.analytics import AnalyticsRoutes
from services.gateway.entrypoints.catalog import CatalogRoutes
from services.gateway.entrypoints.dashboard import DashboardRoutes
from services.gateway.entrypoints.metrics import MetricsRoutes
from services.gateway.entrypoints.operations import OperationsRoutes
from services.gateway.entrypoints.orders import OrdersRoutes
from services.gateway.entrypoints.rankings import RankingsRoutes
from services.gateway.entrypoints.reviews import ReviewsRoutes
from services.gateway.entrypoints.users import UsersRoutes
from services.gateway.http import on_response
from shared.context import CorrelationId
from shared.contract import EventType
from shared.event_buffer import BufferedEventDispatcher
from shared.events import EventDispatcher
from shared.metrics import Metrics
from shared.rpc import RpcClient

log = logging.getLogger(__name__)

READ_METHODS = ("GET", "HEAD", "OPTIONS")


class Config(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return self.container.config


class Auth:
    """What signing in and the limits need: the token settings (and the tokens already
    read), the failed sign-in counts, the write and read allowances, and who the client
    is (behind the trusted proxies)."""

    def __init__(self, tokens: TokenSettings | None, throttle: LoginThrottle,
                 writes: WriteLimit, reads: ReadLimit | None = None,
                 proxies: TrustedProxies | None = None):
        self.tokens = tokens
        self.verified = VerifiedTokens(tokens) if tokens else None
        self.throttle = throttle
        self.writes = writes
        self.reads = reads
        self.proxies = proxies or TrustedProxies()

    def client(self, request) -> str:
        """The client's address: see services.gateway.domain.limits."""
        return self.proxies.client(request.remote_addr, request.headers.get("X-Forwarded-For"))


class AuthProvider(DependencyProvider):
    """One Auth per gateway process, its counts in Redis (REDIS_URL: every replica shares
    them) or in the process."""

    def setup(self):
        config = self.container.config
        secret = config.get("JWT_SECRET")
        tokens = TokenSettings(
            secret=secret,
            algorithm=config.get("JWT_ALGORITHM", "HS256"),
            ttl_seconds=int(config.get("JWT_TTL_SECONDS", 900)),
            issuer=config.get("JWT_ISSUER", "bellyfed"),
            audience=config.get("JWT_AUDIENCE", "bellyfed-clients"),
        ) if secret else None  # config.load() refuses to start without one
        storage = storage_for(config.get("REDIS_URL"),
                              config.get("LIMITS_KEY_PREFIX", "bellyfed-gateway"))
        self.auth = Auth(tokens, LoginThrottle(
            storage,
            per_account=int(config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)),
            per_client=int(config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)),
            window=float(config.get("LOGIN_WINDOW_SECONDS", 900)),
            client_concurrency=int(config.get("LOGIN_MAX_AT_ONCE_PER_ADDRESS", 4)),
        ), WriteLimit(
            storage,
            per_user=int(config.get("WRITE_LIMIT_PER_USER", 120)),
            per_client=int(config.get("WRITE_LIMIT_PER_ADDRESS", 600)),
            window=float(config.get("WRITE_WINDOW_SECONDS", 60)),
        ), ReadLimit(
            storage,
            per_client=int(config.get("READ_LIMIT_PER_ADDRESS", 0)),
            window=float(config.get("READ_WINDOW_SECONDS", 60)),
        ), TrustedProxies.parse(config.get("TRUSTED_PROXIES")))

    def get_dependency(self, worker_ctx):
        return self.auth


class ViewerIdProvider(DependencyProvider):
    """One ViewerIds per gateway process, signing with VIEWER_ID_SECRET (config.load()
    refuses to start without one outside DEV_MODE; a container started with a config of
    its own and none gets a random key, good until it stops)."""

    def setup(self):
        config = self.container.config
        secret = config.get("VIEWER_ID_SECRET")
        if not secret:
            log.warning("VIEWER_ID_SECRET is not set: viewer ids are signed with a random "
                        "key, valid until this gateway stops")
            secret = secrets.token_urlsafe(48)
        self.viewer_ids = ViewerIds(secret, bool(config.get("VIEWER_COOKIE_SECURE", True)))

    def get_dependency(self, worker_ctx):
        return self.viewer_ids


class ReadinessProvider(DependencyProvider):
    """/ready's shared checks (domain/readiness.py), one per gateway process."""

    def setup(self):
        self.shared = SharedChecks(float(self.container.config.get("READY_CACHE_SECONDS", 1.0)))

    def get_dependency(self, worker_ctx):
        return self.shared


class GatewayService(OperationsRoutes, CatalogRoutes, UsersRoutes, RankingsRoutes, ReviewsRoutes,
                     AnalyticsRoutes, OrdersRoutes, DashboardRoutes, MetricsRoutes):
    name = "gateway"

    catalog = RpcClient("catalog")
    rankings = RpcClient("rankings")
    analytics = RpcClient("analytics")
    orders = RpcClient("orders")
    dispatch = EventDispatcher()  # events a client waits for (a view it reports itself)
    views = BufferedEventDispatcher()  # the views of our own reads: never waited for
    read_model = CatalogStream()
    config = Config()
    auth = AuthProvider()
    viewer_ids = ViewerIdProvider()
    readiness = ReadinessProvider()
    correlation = CorrelationId()
    metrics = Metrics()  # METRICS_PORT; GET /metrics with METRICS_ROUTE=1

    def emit_view_event(self, event: EventType, payload: dict) -> None:
        """The view a read makes: buffered and published in batches (shared.event_buffer),
        so no read waits for the broker."""
        self.views(event, payload)

    def authorize(self, access: Access, request, path_values: dict) -> Identity | None:
        """Who is asking, once `access` lets them (see http.route): 401/403/404 otherwise,
        and 429 past their share of writes (or, anonymous, of reads)."""
        caller = identity.acting_identity(request, self.auth.verified)
        authorize(access, caller, lambda: self.restaurant_owner(access.owns, path_values))
        if request.method not in READ_METHODS:
            self.auth.writes.check(caller, self.auth.client(request))
        elif self.auth.reads is not None:
            self.auth.reads.check(caller, self.auth.client(request))
        return caller

    def restaurant_owner(self, parameter: str, path_values: dict) -> str | None:
        """The owner of the restaurant a path names: itself, or the dish of one (404 if
        there is no such restaurant or dish)."""
        restaurant_id = str(path_values[parameter])
        if parameter == "dish_id":
            restaurant_id = str(self.read_model.dish(
                restaurant_id, lambda: self.catalog.get_dish(restaurant_id))["restaurant_id"])
        return self.read_model.restaurant(
            restaurant_id, lambda: self.catalog.get_restaurant(restaurant_id))["owner_id"]

    def view_context(self, request, declared_viewer: str | None = None) -> dict:
        """Who made this view (services.gateway.domain.views). An anonymous caller without
        a viewer id that verifies makes a view with no viewer, and gets a new id with the
        answer: counted as a viewer from its next request on, so an id costs a round trip
        (a client that never sends its id back makes views, never viewers)."""
        context = views.view_context(request, request.identity, self.viewer_ids,
                                     declared_viewer)
        if request.identity is None and context["anonymous_id"] is None:
            signed_id = self.viewer_ids.issue()
            on_response(request, lambda response: self.viewer_ids.give(response, signed_id))
        return context

