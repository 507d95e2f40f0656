"""Hashing a password must not stall the service: scrypt runs in a real thread."""

import eventlet

from services.rankings.domain.users import hash_password, password_matches


def test_other_green_threads_run_while_a_password_is_hashed():
    ticks = []

    def tick():
        while True:
            ticks.append(1)
            eventlet.sleep(0.001)

    ticker = eventlet.spawn(tick)
    eventlet.sleep(0)  # let it start
    before = len(ticks)
    stored = hash_password("correct horse battery staple")
    during = len(ticks) - before
    ticker.kill()
    # a hash takes tens of milliseconds; on the hub it would allow no tick at all
    assert during >= 3
    assert password_matches("correct horse battery staple", stored)
