"""The gateway's limits (SPEC §7): sign-in failures per account and per client, writes per
user (per client when anonymous), anonymous reads per client, and who the client is.

Counts are kept by PyPI `limits` in a storage every gateway replica shares when REDIS_URL
is set (Redis), in the process otherwise: `storage_for(redis_url, prefix)`. Each budget is
a moving window: at most `limit` events per key in any `window` seconds.

Sign-in is checked and recorded atomically in effect: an attempt holds its account's one
"in flight" slot (and one of its client's few) from before its check until its failure is
recorded, so a parallel burst of guesses at one account gets no more than the allowance,
however many workers or replicas take it.

The client is `request.remote_addr`, unless that is one of the trusted proxies
(TRUSTED_PROXIES): then the nearest address in X-Forwarded-For that is not a trusted
proxy (a client cannot forge its way past the proxies it went through).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Iterable

from limits import RateLimitItemPerSecond
from limits.errors import StorageError
from limits.storage import MemoryStorage, RedisStorage, Storage
from limits.strategies import MovingWindowRateLimiter

from shared.errors import ServiceUnavailable, TooManyRequests

from .auth import Identity

log = logging.getLogger(__name__)
FORWARDED_FOR = "X-Forwarded-For"


def storage_for(redis_url: str | None, prefix: str = "bellyfed-gateway") -> Storage:
    """Redis (shared by every replica on it) when `redis_url` is set, else this process's
    memory."""
    if redis_url:
        return RedisStorage(redis_url, key_prefix=prefix, wrap_exceptions=True,
                            socket_timeout=1, socket_connect_timeout=1)
    return MemoryStorage()


class Budget:
    """At most `limit` events per key in any `window` seconds (limit 0: no limit)."""

    def __init__(self, storage: Storage, name: str, limit: int, window: float):
        self.name = name
        self.limit = int(limit)
        self.item = RateLimitItemPerSecond(max(self.limit, 1), max(int(round(window)), 1),
                                           namespace=name)
        self.limiter = MovingWindowRateLimiter(storage)

    def take(self, key: str) -> float:
        """Count one event: 0, or (not counted) the seconds until one is allowed again."""
        if self.limit <= 0 or self.limiter.hit(self.item, key):
            return 0.0
        return self.retry_after(key)

    def left(self, key: str) -> float:
        """0 while the key may have another event, else the seconds until it may."""
        if self.limit <= 0 or self.limiter.test(self.item, key):
            return 0.0
        return self.retry_after(key)

    def retry_after(self, key: str) -> float:
        reset = self.limiter.get_window_stats(self.item, key).reset_time
        return max(reset - time.time(), 1.0)

    def clear(self, key: str) -> None:
        self.limiter.clear(self.item, key)

    def spend(self, key: str, refusal: str) -> None:
        """Count one event, or TooManyRequests(`refusal`) with its Retry-After; with the
        storage away, the event goes on uncounted (and a warning is logged)."""
        try:
            wait = self.take(key)
        except StorageError as exc:
            log.warning("limits storage unavailable, %s not counted: %s", self.name, exc)
            return
        if wait > 0:
            raise TooManyRequests(refusal, {"retry_after": seconds(wait)})


class InFlight:
    """At most `limit` attempts per key at once, in the same storage as the counts.

    A slot is an increment of a counter that expires on its own after `ttl` seconds (a
    replica dying mid-attempt frees its slots then)."""

    def __init__(self, storage: Storage, name: str, limit: int, ttl: float = 30.0):
        self.storage = storage
        self.name = name
        self.limit = limit
        self.ttl = int(ttl)

    def _key(self, key: str) -> str:
        return f"inflight/{self.name}/{key}"

    def enter(self, key: str) -> bool:
        slot = self._key(key)
        taken = self.storage.incr(slot, self.ttl)
        if taken > self.limit:
            self._leave(slot)
            return False
        return True

    def leave(self, key: str) -> None:
        self._leave(self._key(key))

    def _leave(self, slot: str) -> None:
        self.storage.incr(slot, self.ttl, amount=-1)


def seconds(wait: float) -> int:
    return max(int(wait + 0.999), 1)  # whole seconds, rounded up


class LoginThrottle:
    """Failed sign-ins per account (its email) and per client, in moving windows; at most
    one attempt at a time per account and `client_concurrency` per client."""

    def __init__(self, storage: Storage, per_account: int, per_client: int, window: float,
                 client_concurrency: int = 4):
        self.accounts = Budget(storage, "login-account", per_account, window)
        self.clients = Budget(storage, "login-client", per_client, window)
        self.account_attempts = InFlight(storage, "login-account", 1)
        self.client_attempts = InFlight(storage, "login-client", client_concurrency)

    @staticmethod
    def account(email) -> str:
        return str(email).strip().lower()

    def attempt(self, email, client: str | None) -> SignInAttempt:
        """`with throttle.attempt(email, client) as attempt: ... attempt.failed()`:
        TooManyRequests while the account or client has used up its failures, or has
        attempts in flight; ServiceUnavailable when the counts cannot be read."""
        return SignInAttempt(self, self.account(email), client or "unknown")


class SignInAttempt:
    def __init__(self, throttle: LoginThrottle, account: str, client: str):
        self.throttle, self.account, self.client = throttle, account, client
        self.entered: list[InFlight] = []

    def __enter__(self) -> SignInAttempt:
        throttle = self.throttle
        try:
            for gate, key, says in ((throttle.account_attempts, self.account,
                                     "a sign-in to this account is already under way"),
                                    (throttle.client_attempts, self.client,
                                     "too many sign-ins at once, try again shortly")):
                if not gate.enter(key):
                    self._leave()
                    raise TooManyRequests(says, {"retry_after": 1})
                self.entered.append(gate)
            wait = max(throttle.accounts.left(self.account), throttle.clients.left(self.client))
        except StorageError as exc:
            self._leave()
            raise unavailable(exc) from None
        if wait > 0:
            self._leave()
            raise TooManyRequests("too many failed sign-ins, try again later",
                                  {"retry_after": seconds(wait)})
        return self

    def failed(self) -> None:
        try:
            self.throttle.accounts.take(self.account)
            self.throttle.clients.take(self.client)
        except StorageError as exc:
            log.warning("could not count a failed sign-in: %s", exc)

    def succeeded(self) -> None:
        """The account's own count starts again; the client's does not (one client
        guessing many accounts' passwords stays limited)."""
        try:
            self.throttle.accounts.clear(self.account)
        except StorageError as exc:
            log.warning("could not clear an account's failed sign-ins: %s", exc)

    def _leave(self) -> None:
        for gate, key in zip(self.entered, (self.account, self.client), strict=False):
            try:
                gate.leave(key)
            except StorageError as exc:  # the slot expires by itself
                log.warning("could not free a sign-in slot: %s", exc)
        self.entered = []

    def __exit__(self, *exc_info) -> None:
        self._leave()


def unavailable(exc: StorageError) -> ServiceUnavailable:
    log.warning("limits storage unavailable: %s", exc)
    return ServiceUnavailable("sign-in is unavailable, try again shortly", {"retry_after": 2})


class WriteLimit:
    """Writes (anything but GET/HEAD/OPTIONS) per signed-in user, and per client for
    anonymous ones: past it, 429 with Retry-After. Counted by the token's user rather than
    the token itself, so signing in again does not start a fresh allowance. Checked and
    counted in one step; with the storage away, writes go on (and a warning is logged)."""

    def __init__(self, storage: Storage, per_user: int, per_client: int, window: float):
        self.users = Budget(storage, "writes-user", per_user, window)
        self.clients = Budget(storage, "writes-client", per_client, window)

    def check(self, identity: Identity | None, client: str | None) -> None:
        budget, key = ((self.users, identity.user_id) if identity
                       else (self.clients, client or "unknown"))
        budget.spend(key, "too many changes in a short time, slow down")


class ReadLimit:
    """Anonymous reads per client (a signed-in caller's reads are not limited here):
    past it, 429 with Retry-After. `per_client` 0 turns it off (load tests, benchmarks
    from one address)."""

    def __init__(self, storage: Storage, per_client: int, window: float):
        self.clients = Budget(storage, "reads-client", per_client, window)

    def check(self, identity: Identity | None, client: str | None) -> None:
        if identity is None:
            self.clients.spend(client or "unknown",
                               "too many requests from this client, slow down")


class TrustedProxies:
    """The proxies (TRUSTED_PROXIES: addresses or networks) whose X-Forwarded-For is
    believed, and the client address of a request through them."""

    def __init__(self, networks: Iterable[str] = ()):
        self.networks = [ipaddress.ip_network(network.strip(), strict=False)
                         for network in networks if network.strip()]

    @classmethod
    def parse(cls, setting: str | None) -> TrustedProxies:
        """From "10.0.0.0/8, 192.168.1.10"; ValueError naming what is not an address."""
        return cls((setting or "").split(","))

    def trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.networks)

    def client(self, remote_addr: str | None, forwarded_for: str | None) -> str:
        """remote_addr, or, when it is a trusted proxy, the nearest forwarded address that
        is not one (a malformed entry ends the walk: what is left of it is not believed)."""
        client = remote_addr or "unknown"
        if not self.networks or not forwarded_for or not self.trusted(client):
            return client
        for hop in reversed([hop.strip() for hop in forwarded_for.split(",")]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return client
            client = hop
            if not self.trusted(hop):
                return hop
        return client
