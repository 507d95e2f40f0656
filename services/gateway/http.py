"""JSON over HTTP on top of nameko's `@http`.

`route(method, url, ...)` is nameko's HTTP entrypoint plus what the OpenAPI
document says about the route. Every answer is JSON, errors included:
`{"error": {"code", "message", "details"}}` — for our own errors, for nameko's
routing 404/405, for malformed bodies, and for anything unexpected (logged with
its traceback, answered without it).
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial, wraps

import eventlet
import orjson
from eventlet.event import Event
from marshmallow import Schema
from nameko.exceptions import RemoteError
from nameko.extensions import register_entrypoint
from nameko.web.handlers import HttpRequestHandler
from nameko.web.server import WebServer
from werkzeug.exceptions import HTTPException, NotFound, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from services.gateway.domain.access import Access
from shared import metrics
from shared.context import CORRELATION_ID_KEY, new_correlation_id
from shared.errors import BadRequest, BellyfedError, Forbidden, PayloadTooLarge, TooManyRequests
from shared.schemas import load_query

log = logging.getLogger(__name__)

REQUEST_ID_HEADER = "X-Request-ID"
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    "Cache-Control": "no-store",
}


def to_json(body) -> bytes:
    # keys sorted: the same answer is the same bytes (and ETag) whichever path built it
    return orjson.dumps(body, default=str,
                        option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SORT_KEYS)


def json_response(body, status: int = 200, headers: dict | None = None) -> Response:
    response = Response(to_json(body), status=status, mimetype="application/json")
    response.headers.update(SECURITY_HEADERS)
    if headers:
        response.headers.update(headers)
    return response


def error_body(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}}}


def error_response(exc: BaseException) -> Response:
    """The one place exceptions become HTTP answers."""
    if isinstance(exc, BellyfedError):
        response = json_response(error_body(exc.code, exc.message, exc.details), exc.status)
        if isinstance(exc, TooManyRequests) and "retry_after" in exc.details:
            response.headers["Retry-After"] = str(exc.details["retry_after"])
        return response
    if isinstance(exc, RequestEntityTooLarge):
        return error_response(PayloadTooLarge("the request body is too large"))
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        response = json_response(error_body(code, exc.description or exc.name), exc.code)
        if exc.code == 405 and exc.valid_methods:
            response.headers["Allow"] = ", ".join(exc.valid_methods)
        return response
    if isinstance(exc, RemoteError):
        log.error("downstream error: %s", exc)
    else:
        log.error("unhandled error", exc_info=exc)
    return json_response(error_body("internal_error", "internal error"), 500)


# a refused body is read and dropped up to this size before the 413 goes, beyond it the
# connection is closed: answering (and closing) while a client is still sending makes its
# writes fail with a reset before it reads the answer
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024


def drain_body(request: Request, response: Response) -> None:
    """Read what is left of a refused request's body (a bounded amount), so its client
    can finish sending and read the 413; past DRAIN_LIMIT_BYTES, say the connection
    closes."""
    stream = request.environ.get("wsgi.input")
    declared = request.content_length
    if stream is None or (declared is not None and declared > DRAIN_LIMIT_BYTES):
        response.headers["Connection"] = "close"
        return
    left = DRAIN_LIMIT_BYTES
    try:
        while left > 0:
            chunk = stream.read(min(64 * 1024, left))
            if not chunk:
                return
            left -= len(chunk)
    except (OSError, ValueError):  # the client went away, or sent a broken chunk
        pass
    response.headers["Connection"] = "close"


def json_body(request: Request) -> dict:
    """The request's JSON object, or BadRequest; PayloadTooLarge past the configured size."""
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge:
        raise PayloadTooLarge("the request body is too large") from None
    if request.max_content_length is not None and len(raw) >= request.max_content_length:
        raise PayloadTooLarge("the request body is too large")  # see Route.handle_request
    if not raw:
        raise BadRequest("a JSON body is required")
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the request body is not valid JSON") from None
    except RecursionError:  # nested deeper than the parser goes: no body of ours is
        raise BadRequest("the request body is nested too deeply") from None
    if not isinstance(body, dict):
        raise BadRequest("the request body must be a JSON object")
    return body


def forwarded(query_schema, request) -> tuple[dict, dict]:
    """Validate the query string (400 if bad): (raw parameters to forward, parsed values)."""
    args = request.args.to_dict()
    parsed = load_query(query_schema(), args)
    return {key: args[key] for key in query_schema().fields if key in args}, parsed


def parsed_query(query_schema, request) -> dict:
    """The query string's values, validated (400 if bad)."""
    return load_query(query_schema(), request.args.to_dict())


IDEMPOTENCY_HEADER = "Idempotency-Key"


def idempotency_key(request: Request) -> str | None:
    """The client's Idempotency-Key, scoped to its caller (SPEC §7): a retry with the same
    key gets the first answer, and two callers never collide on one key (nor learn that
    another used it). What the services keep is `<caller>:<sha256 of the key>`, the caller
    the token's user (or `anonymous`, for the few writes anyone may make: registering)."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if key is None:
        return None
    if not 1 <= len(key) <= 200 or not key.isprintable():
        raise BadRequest("Idempotency-Key must be 1 to 200 printable characters",
                         {"header": IDEMPOTENCY_HEADER})
    caller = getattr(request, "identity", None)
    scope = caller.user_id if caller is not None else "anonymous"
    return f"{scope}:{hashlib.sha256(key.encode()).hexdigest()}"


# --- HTTP caching --------------------------------------------------------------------------
# Every 200 answer to a GET carries an ETag (a hash of its body), and a request whose
# If-None-Match names it gets 304 with no body. Who may keep it:
# - a route anyone may read (the catalog, trending, profiles...) asked anonymously:
#   `public, max-age=HTTP_PUBLIC_MAX_AGE`, so a CDN or shared cache keeps it that long
#   (Vary: Authorization: a signed-in caller's request is never answered from it);
# - anything asked with credentials, or personal, or that sets a cookie (a new viewer id,
#   see finish): `private, no-cache` (the client may keep it and must revalidate: a 304
#   costs no body);
# - every other answer (writes, errors, /health, /ready): `no-store`.
PUBLIC_MAX_AGE_CONFIG_KEY = "HTTP_PUBLIC_MAX_AGE"
DEFAULT_PUBLIC_MAX_AGE = 10


def entity_tag(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


def matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 §13.1.2: weak comparison; `*` matches any current answer."""
    if not if_none_match:
        return False
    tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
    return "*" in tags or etag in tags


def on_response(request: Request, change: Callable[[Response], None]) -> None:
    """Have `change` made to the answer to `request` once it is built: a header or cookie
    a handler decides on (what it returns is the body)."""
    request.response_changes = [*getattr(request, "response_changes", ()), change]


def finish(request: Request, response: Response) -> None:
    """The changes handlers asked for (on_response). An answer that sets a cookie is
    the client's own: no shared cache may keep it and hand the cookie to others."""
    for change in getattr(request, "response_changes", ()):
        change(response)
    if "Set-Cookie" in response.headers and response.headers.get(
            "Cache-Control", "").startswith("public"):
        response.headers["Cache-Control"] = "private, no-cache"


def cached_response(request: Request, body: bytes, cache_control: str) -> Response:
    """A GET's 200 answer with its ETag, or 304 when the client holds it already."""
    etag = entity_tag(body)
    headers = {**SECURITY_HEADERS, "Cache-Control": cache_control, "ETag": etag,
               "Vary": "Authorization"}
    if matches(request.headers.get("If-None-Match"), etag):
        response = Response(status=304, headers=headers)
        del response.headers["Content-Type"]
        return response
    return Response(body, status=200, headers=headers, mimetype="application/json")


@dataclass(frozen=True)
class CorsPolicy:
    """Which web origins browsers may call the API from (CORS_ORIGINS): none by default,
    "*" for any. Requests from other origins still get their answer, without the headers
    that would let a browser hand it to the page; their preflights are 403."""

    origins: frozenset[str] = frozenset()
    allowed_headers: str = ("Authorization, Content-Type, Idempotency-Key, X-Request-ID, "
                            "X-Anonymous-Id, X-Device-Type")
    exposed_headers: str = "X-Request-ID, Retry-After, ETag, X-Anonymous-Id"
    max_age: int = 600

    def allows(self, origin: str | None) -> bool:
        return bool(origin) and ("*" in self.origins or origin in self.origins)

    def headers(self, origin: str | None) -> dict:
        """What an answer to a request from `origin` carries."""
        if not self.allows(origin):
            return {"Vary": "Origin"} if self.origins else {}
        return {"Access-Control-Allow-Origin": "*" if "*" in self.origins else origin,
                "Access-Control-Expose-Headers": self.exposed_headers, "Vary": "Origin"}

    def preflight(self, origin: str | None, methods: set[str]) -> Response:
        if not self.allows(origin):
            raise Forbidden("this origin may not call the API from a browser",
                            {"header": "Origin"})
        response = Response(status=204, headers={
            **SECURITY_HEADERS,
            "Access-Control-Allow-Methods": ", ".join(sorted(methods)),
            "Access-Control-Allow-Headers": self.allowed_headers,
            "Access-Control-Max-Age": str(self.max_age),
        })
        del response.headers["Content-Type"]
        return response


def is_preflight(request: Request) -> bool:
    return (request.method == "OPTIONS" and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers)


@dataclass(frozen=True)
class AccessLog:
    """Which requests get a log line (ACCESS_LOG): "errors" (the default) logs every
    answer of 500 or more and every one slower than ACCESS_LOG_SLOW_MS; "all" logs every
    request; "off" none. Each line names the method, path, status, milliseconds and the
    request id. A line for every request cost a tenth of the gateway's time on the hot
    read (bench/gateway_read.py): the ingress in front of it logs every request already."""

    mode: str = "errors"
    slow_seconds: float = 0.5

    @classmethod
    def from_config(cls, config: dict) -> AccessLog:
        return cls(config.get("ACCESS_LOG", "errors"),
                   float(config.get("ACCESS_LOG_SLOW_MS", 500)) / 1000)

    def record(self, request: Request, response: Response, seconds: float) -> None:
        if self.mode == "off" or (self.mode != "all" and response.status_code < 500
                                  and seconds < self.slow_seconds):
            return
        log.info("%s %s %d %.1fms request_id=%s", request.method, request.path,
                 response.status_code, seconds * 1000, response.headers.get(REQUEST_ID_HEADER))


@dataclass(frozen=True)
class ConnectionLimits:
    """How long and how many clients may hold the server (SPEC §7: never a hang):
    HTTP_KEEPALIVE_TIMEOUT, the seconds a kept-alive connection may sit idle between
    requests; HTTP_SOCKET_TIMEOUT, the seconds any one read or write of a client may take
    (a client that stops sending its request half way, or stops reading its answer, is
    let go); HTTP_MAX_CONNECTIONS, connections open at once, past which a new one is
    answered 503 (Retry-After) and closed, instead of every client slowing down alike."""

    keepalive: float = 20.0
    socket: float = 30.0
    max_connections: int = 1000

    @classmethod
    def from_config(cls, config) -> ConnectionLimits:
        return cls(float(config.get("HTTP_KEEPALIVE_TIMEOUT", cls.keepalive)),
                   float(config.get("HTTP_SOCKET_TIMEOUT", cls.socket)),
                   int(config.get("HTTP_MAX_CONNECTIONS", cls.max_connections)))


TOO_MANY_CONNECTIONS = json.dumps({"error": {
    "code": "service_unavailable", "message": "too many connections, try again shortly",
    "details": {"retry_after": 1}}}).encode()


UNMATCHED = "unmatched"  # the route label of a request no rule matched (404, 405)
PREFLIGHT = "preflight"  # ... and of a CORS preflight (OPTIONS), answered by the policy
HTTP_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestMetrics:
    """bellyfed_http_requests_total and bellyfed_http_request_duration_seconds by the
    matched rule's template (never the raw path: the labels stay as many as the routes),
    method and status. Each (route, method, status) child is made once and then found in
    a dict: a request costs one lookup and two increments."""

    def __init__(self):
        self.children: dict[tuple, tuple] = {}

    def record(self, route: str, method: str, status: int, seconds: float) -> None:
        if not metrics.recording:
            return
        key = (route, method, status)
        children = self.children.get(key)
        if children is None:
            if method not in HTTP_METHODS:
                method = "other"
            children = self.children[key] = (
                metrics.HTTP_REQUESTS.child(route, method, status),
                metrics.HTTP_DURATION.child(route, method))
        children[0].inc()
        children[1].observe(seconds)


def refuse_connection(sock) -> None:
    """A 503 to a connection past the cap, then close it. What the client sent is read
    (briefly) before closing, so that it gets the answer rather than a reset."""
    try:
        sock.settimeout(1.0)
        sock.sendall(b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
                     b"Retry-After: 1\r\nConnection: close\r\nCache-Control: no-store\r\n"
                     b"Content-Length: " + str(len(TOO_MANY_CONNECTIONS)).encode()
                     + b"\r\n\r\n" + TOO_MANY_CONNECTIONS)
        sock.shutdown(socket.SHUT_WR)
        while sock.recv(65536):
            pass
    except OSError:
        pass
    finally:
        sock.close()


class JsonWebServer(WebServer):
    """nameko's web server, with JSON for routing errors, the correlation id from headers,
    the CORS policy and limits on connections (ConnectionLimits)."""

    open_connections = 0
    refused_connections = 0

    def setup(self):
        super().setup()
        self.limits = ConnectionLimits.from_config(self.container.config)

    def context_data_from_headers(self, request: Request) -> dict:
        return {CORRELATION_ID_KEY: new_correlation_id(request.headers.get(REQUEST_ID_HEADER))}

    def get_wsgi_server(self, sock, wsgi_app, *args, **kwargs):
        # eventlet's line per request is off: json_errors logs what an operator needs
        server = super().get_wsgi_server(sock, wsgi_app, *args, **kwargs)
        server.log_output = False
        server.keepalive = self.limits.keepalive or False  # seconds idle; 0: one request
        server.socket_timeout = self.limits.socket
        return server

    def run(self):
        # nameko's loop, with the cap: it spawns a thread per connection without a bound
        while self._is_accepting:
            sock, address = self._sock.accept()
            if self.open_connections >= self.limits.max_connections:
                self.refused_connections += 1
                eventlet.spawn_n(refuse_connection, sock)
                continue
            sock.settimeout(self._serv.socket_timeout)
            self.open_connections += 1
            self.container.spawn_managed_thread(partial(self._serve, sock, address))

    def _serve(self, sock, address) -> None:
        try:
            self.process_request(sock, address)
        finally:
            self.open_connections -= 1

    def get_wsgi_app(self):
        app = super().get_wsgi_app()
        cors = CorsPolicy(frozenset(self.container.config.get("CORS_ORIGINS") or ()))
        access = AccessLog.from_config(self.container.config)
        requests = RequestMetrics()

        def json_errors(environ, start_response):
            started = time.perf_counter()
            if "chunked" in environ.get("HTTP_TRANSFER_ENCODING", "").lower():
                # eventlet decodes chunked bodies but does not say so; without this
                # werkzeug would read them as empty (the size limit still applies)
                environ["wsgi.input_terminated"] = True
            request = Request(environ, shallow=True)
            origin = request.headers.get("Origin")
            adapter = app.url_map.bind_to_environ(environ)
            template = UNMATCHED
            try:
                if is_preflight(request):
                    methods = adapter.allowed_methods()
                    if not methods:
                        raise NotFound()
                    template = PREFLIGHT
                    response = cors.preflight(origin, set(methods) - {"OPTIONS"})
                else:
                    rule, values = adapter.match(return_rule=True)
                    template = rule.rule
                    request.path_values = values
                    response = rule.endpoint.handle_request(request)
            except Exception as exc:
                response = error_response(exc)
            if REQUEST_ID_HEADER not in response.headers:
                response.headers[REQUEST_ID_HEADER] = new_correlation_id(
                    request.headers.get(REQUEST_ID_HEADER))
            response.headers.update(cors.headers(origin))
            seconds = time.perf_counter() - started
            requests.record(template, request.method, response.status_code, seconds)
            access.record(request, response, seconds)
            return response(environ, start_response)

        return json_errors


class Route(HttpRequestHandler):
    """An HTTP route with who may call it and its documentation; see `route`."""

    server = JsonWebServer()

    def __init__(self, method: str, url: str, *, summary: str, tag: str,
                 query: type[Schema] | None = None, body: type[Schema] | None = None,
                 response: type[Schema] | None = None, many: bool = False,
                 paged: bool = False, status: int = 200, access: Access,
                 errors: tuple[int, ...] = (), cache: str | None = None,
                 counts_views: bool = False, **kwargs):
        # our own errors are answers, not crashes: log them without a traceback
        kwargs.setdefault("expected_exceptions", (BellyfedError,))
        super().__init__(method, url, **kwargs)
        self.access = access
        # "public": anyone's GET, kept by shared caches when asked anonymously; "private":
        # another GET; "no-store": never kept (see HTTP caching above)
        if cache is None:
            cache = ("no-store" if method != "GET" or status != 200
                     else "public" if access.who == "anyone" else "private")
        self.cache = cache
        self.doc = {
            "summary": summary, "tag": tag, "query": query, "body": body,
            "response": response, "many": many, "paged": paged, "status": status,
            "access": access, "admin": access.who == "admin", "user": access.needs_user,
            "errors": errors, "cache": cache,
            # it makes a view: takes a viewer id, and hands an anonymous caller a new one
            "counts_views": counts_views,
        }

    def handle_request(self, request: Request) -> Response:
        request.shallow = False
        # one byte over the limit: werkzeug stops reading a chunked body AT its limit
        # without saying there was more, so json_body needs that byte to tell "exactly
        # the limit" (fine) from "longer" (413)
        request.max_content_length = self.container.config.get("MAX_BODY_BYTES", 65536) + 1
        context_data = self.server.context_data_from_headers(request)
        try:
            # (no check_signature: the URL map gave exactly the handler's path values)
            args, kwargs = self.get_entrypoint_parameters(request)
            event = Event()
            self.container.spawn_worker(
                self, args, kwargs, context_data=context_data,
                handle_result=partial(self.handle_result, event),
            )
            response = self.response_from_result(event.wait(), request)
        except Exception as exc:
            response = error_response(exc)
        finish(request, response)
        if response.status_code == 413:
            drain_body(request, response)
        response.headers[REQUEST_ID_HEADER] = context_data[CORRELATION_ID_KEY]
        return response

    def setup(self):
        super().setup()
        self.public_max_age = int(self.container.config.get(PUBLIC_MAX_AGE_CONFIG_KEY,
                                                            DEFAULT_PUBLIC_MAX_AGE))

    def response_from_result(self, result, request: Request | None = None) -> Response:
        if isinstance(result, Response):
            return result
        if self.cache != "no-store" and request is not None and result is not None:
            if self.cache == "public" and "Authorization" not in request.headers:
                cache_control = f"public, max-age={self.public_max_age}"
            else:
                cache_control = "private, no-cache"
            return cached_response(request, to_json(result), cache_control)
        if result is None:
            response = Response(status=204, headers=SECURITY_HEADERS)
            del response.headers["Content-Type"]  # no content, no type
            return response
        return json_response(result, self.doc["status"])


def route(method: str, url: str, *, access: Access, **doc):
    """Declare a route: `access` says who may call it (see services.gateway.domain.access), the
    rest documents it (and the OpenAPI tests check that what is documented is served).

    The handler runs only once the service's `authorize(access, request, path_values)`
    has let the request through; it finds the caller in `request.identity` (None when
    anonymous)."""

    def declare(handler):
        @wraps(handler)
        def guarded(service, request, *args, **path_values):
            request.identity = service.authorize(access, request, path_values)
            return handler(service, request, *args, **path_values)

        register_entrypoint(guarded, Route(method, url, access=access, **doc))
        return guarded

    return declare
