"""The correlation id of the request being handled.

It starts at the gateway (the client's X-Request-ID, or a new one), travels in
nameko's context headers through every RPC call and event, and is put on every
log line. After eventlet's monkey patch `threading.local` is per greenthread, so
each worker sees its own value.
"""

from __future__ import annotations

import re
import threading
import uuid

from nameko.extensions import DependencyProvider

CORRELATION_ID_KEY = "correlation_id"
_VALID_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")

_local = threading.local()


def current_correlation_id() -> str | None:
    return getattr(_local, "correlation_id", None)


def set_correlation_id(value: str | None) -> None:
    _local.correlation_id = value


def new_correlation_id(candidate: str | None = None) -> str:
    """Keep a caller's id when it is safe to log and echo back; otherwise make one."""
    if candidate and _VALID_ID.match(candidate):
        return candidate
    return str(uuid.uuid4())


class CorrelationId(DependencyProvider):
    """Binds the worker's correlation id for logging; nameko forwards it downstream.

    Declare it on every service: `correlation = CorrelationId()`.
    """

    def worker_setup(self, worker_ctx):
        correlation_id = worker_ctx.data.get(CORRELATION_ID_KEY)
        if not correlation_id:
            correlation_id = new_correlation_id()
            worker_ctx.data[CORRELATION_ID_KEY] = correlation_id
        set_correlation_id(correlation_id)

    def worker_teardown(self, worker_ctx):
        set_correlation_id(None)

    def get_dependency(self, worker_ctx):
        return worker_ctx.data.get(CORRELATION_ID_KEY)
