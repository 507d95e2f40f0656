"""/ready's checks, run at most once per READY_CACHE_SECONDS however many ask.

A readiness probe, a load balancer and an operator may all ask /ready at once, and each
check costs an RPC to every downstream service: without a bound a flood of /ready is a
flood of RPCs. Callers who ask while a check runs wait for that one; a result is reused
until it is READY_CACHE_SECONDS old (0: every call checks).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from eventlet.event import Event

Checks = dict[str, str]


class SharedChecks:
    def __init__(self, max_age: float, clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.clock = clock
        self.runs = 0  # checks actually run (what the cache saves is asked minus run)
        self._result: Checks | None = None
        self._checked_at = float("-inf")
        self._running: Event | None = None

    def checks(self, run: Callable[[], Checks]) -> Checks:
        if self._result is not None and self.clock() - self._checked_at < self.max_age:
            return self._result
        if self._running is not None:  # another caller's check: wait for its answer
            return self._running.wait()
        running = self._running = Event()
        try:
            self.runs += 1
            result = run()
            self._result, self._checked_at = result, self.clock()
            running.send(result)
            return result
        except BaseException as exc:
            running.send_exception(exc)
            raise
        finally:
            self._running = None
