"""The gateway's limits without Redis (services/gateway/domain/limits.py, in memory): sign-in
failures per account and per client, attempts in flight, writes, anonymous reads, and who
the client is behind trusted proxies. test_limits_shared.py runs them through Redis."""

from __future__ import annotations

import time

import pytest
from limits.storage import MemoryStorage

from services.gateway.domain.auth import Identity
from services.gateway.domain.limits import (
    LoginThrottle,
    ReadLimit,
    TrustedProxies,
    WriteLimit,
)
from shared.errors import TooManyRequests


class Clock:
    def __init__(self):
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """time.time, as the limits storage reads it, under the test's control."""
    fake = Clock()
    monkeypatch.setattr(time, "time", fake)
    return fake


def sign_in(throttle, email, client, *, ok=False):
    with throttle.attempt(email, client) as attempt:
        attempt.succeeded() if ok else attempt.failed()


# --- sign-in -----------------------------------------------------------------------------

def test_login_throttle_per_account_and_per_client(clock):
    throttle = LoginThrottle(MemoryStorage(), per_account=2, per_client=3, window=60)
    sign_in(throttle, "Aisyah@Example.com", "10.0.0.1")
    sign_in(throttle, " aisyah@example.com", "10.0.0.2")
    with pytest.raises(TooManyRequests) as raised:
        sign_in(throttle, "AISYAH@example.com", "10.0.0.3")  # same account, any client
    assert raised.value.status == 429 and raised.value.details == {"retry_after": 60}
    sign_in(throttle, "ben@example.com", "10.0.0.1")
    sign_in(throttle, "chen@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        sign_in(throttle, "dan@example.com", "10.0.0.1")  # same client, any account
    clock.now += 61
    sign_in(throttle, "aisyah@example.com", "10.0.0.1")


def test_a_success_clears_the_accounts_count_not_the_clients(clock):
    throttle = LoginThrottle(MemoryStorage(), per_account=2, per_client=2, window=60)
    sign_in(throttle, "a@example.com", "10.0.0.1")
    sign_in(throttle, "a@example.com", "10.0.0.1", ok=True)
    sign_in(throttle, "a@example.com", "10.0.0.2")
    with throttle.attempt("a@example.com", "10.0.0.3"):
        pass  # one failure since the success: still allowed
    sign_in(throttle, "b@example.com", "10.0.0.1")
    with pytest.raises(TooManyRequests):
        sign_in(throttle, "c@example.com", "10.0.0.1")  # ... the client kept its count


def test_one_attempt_at_a_time_per_account_so_a_burst_gets_no_more_than_its_allowance(clock):
    throttle = LoginThrottle(MemoryStorage(), per_account=5, per_client=100, window=60,
                             client_concurrency=50)
    first = throttle.attempt("a@example.com", "10.0.0.1").__enter__()
    with pytest.raises(TooManyRequests, match="already under way"):
        throttle.attempt("a@example.com", "10.0.0.2").__enter__()  # while the first runs
    with throttle.attempt("b@example.com", "10.0.0.2"):
        pass  # another account is not held up
    first.failed()
    first.__exit__(None, None, None)
    with throttle.attempt("a@example.com", "10.0.0.2"):
        pass  # the slot is free again


def test_a_client_has_a_few_attempts_in_flight_at_most(clock):
    throttle = LoginThrottle(MemoryStorage(), per_account=5, per_client=100, window=60,
                             client_concurrency=2)
    held = [throttle.attempt(f"{n}@example.com", "10.0.0.9").__enter__() for n in range(2)]
    with pytest.raises(TooManyRequests, match="at once"):
        throttle.attempt("x@example.com", "10.0.0.9").__enter__()
    with throttle.attempt("x@example.com", "10.0.0.8"):
        pass  # another client
    for attempt in held:
        attempt.__exit__(None, None, None)
    with throttle.attempt("x@example.com", "10.0.0.9"):
        pass
    # a refused attempt left no slot taken: both are free
    assert [throttle.attempt(f"{n}@example.com", "10.0.0.9").__enter__() for n in range(2)]


# --- writes and reads -----------------------------------------------------------------------

def test_writes_are_limited_per_user_then_free_again(clock):
    limit = WriteLimit(MemoryStorage(), per_user=2, per_client=5, window=60)
    aisyah, ben = Identity("aisyah", "user"), Identity("ben", "user")
    limit.check(aisyah, "10.0.0.1")
    clock.now += 10
    limit.check(aisyah, "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        limit.check(aisyah, "10.0.0.2")  # another client is still the same user
    assert refused.value.details == {"retry_after": 50}
    limit.check(ben, "10.0.0.1")  # another user has their own allowance
    clock.now += 51
    limit.check(aisyah, "10.0.0.1")  # the first write left the window


def test_refused_writes_do_not_use_up_the_allowance(clock):
    limit = WriteLimit(MemoryStorage(), per_user=1, per_client=1, window=10)
    limit.check(Identity("aisyah", "user"), None)
    for _ in range(5):
        with pytest.raises(TooManyRequests):
            limit.check(Identity("aisyah", "user"), None)
    clock.now += 11
    limit.check(Identity("aisyah", "user"), None)


def test_anonymous_writes_are_limited_per_client(clock):
    limit = WriteLimit(MemoryStorage(), per_user=100, per_client=1, window=60)
    limit.check(None, "10.0.0.1")
    limit.check(None, "10.0.0.2")
    with pytest.raises(TooManyRequests):
        limit.check(None, "10.0.0.1")
    limit.check(Identity("aisyah", "user"), "10.0.0.1")  # signed in: counted per user


def test_anonymous_reads_are_limited_per_client_and_zero_turns_it_off(clock):
    reads = ReadLimit(MemoryStorage(), per_client=3, window=60)
    for _ in range(3):
        reads.check(None, "10.0.0.1")
    with pytest.raises(TooManyRequests) as refused:
        reads.check(None, "10.0.0.1")
    assert refused.value.details["retry_after"] >= 1
    reads.check(None, "10.0.0.2")
    for _ in range(10):
        reads.check(Identity("aisyah", "user"), "10.0.0.1")  # signed-in reads: not here
    unlimited = ReadLimit(MemoryStorage(), per_client=0, window=60)
    for _ in range(1000):
        unlimited.check(None, "10.0.0.1")


# --- the client behind trusted proxies -------------------------------------------------------

@pytest.mark.parametrize(("remote", "forwarded", "client"), [
    ("203.0.113.7", None, "203.0.113.7"),  # no proxy
    ("203.0.113.7", "198.51.100.1", "203.0.113.7"),  # not a trusted proxy: its header is not
    ("10.0.0.5", "198.51.100.1", "198.51.100.1"),  # through the Ingress
    ("10.0.0.5", "1.2.3.4, 198.51.100.1", "198.51.100.1"),  # a forged hop before the real one
    ("10.0.0.5", "198.51.100.1, 10.0.0.9", "198.51.100.1"),  # two trusted proxies
    ("10.0.0.5", "not-an-ip, 198.51.100.1", "198.51.100.1"),
    ("10.0.0.5", "198.51.100.1, garbage", "10.0.0.5"),  # a malformed nearest hop: not believed
    ("10.0.0.5", "10.0.0.9", "10.0.0.9"),  # only proxies: the farthest one
    ("10.0.0.5", "2001:db8::1", "2001:db8::1"),
])
def test_the_client_is_the_nearest_hop_that_is_not_a_trusted_proxy(remote, forwarded, client):
    proxies = TrustedProxies.parse("10.0.0.0/8, 192.168.1.10")
    assert proxies.client(remote, forwarded) == client


def test_without_trusted_proxies_forwarded_for_is_ignored():
    assert TrustedProxies.parse("").client("10.0.0.5", "198.51.100.1") == "10.0.0.5"
    with pytest.raises(ValueError):
        TrustedProxies.parse("10.0.0.0/8, not-a-network")
