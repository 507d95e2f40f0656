"""Gateway settings: shared.config's, plus its HTTP side.

| variable | default | meaning |
|---|---|---|
| GATEWAY_ADDRESS | 0.0.0.0:8000 | where the HTTP server listens |
| JWT_SECRET | (required) | signs and checks access tokens; at least 32 characters. Unset, the |
|   | | gateway refuses to start, unless DEV_MODE is on: then a random secret per |
|   | | process (tokens die with it) and a warning in the log |
| VIEWER_ID_SECRET | (required) | signs and checks anonymous viewer ids (domain/viewers.py); at |
|   | | least 32 characters, not JWT_SECRET. Unset, the gateway refuses to start, unless |
|   | | DEV_MODE is on: then a random key per process (ids die with it) and a warning |
| VIEWER_COOKIE_SECURE | on | the viewer id cookie (bellyfed_viewer) only travels over HTTPS; off |
|   | | for a browser on plain HTTP other than localhost |
| DEV_MODE | off | local development (scripts/run turns it on); never on a deployed gateway |
| JWT_ALGORITHM | HS256 | the one algorithm tokens are signed with and accepted in (HS256/384/512) |
| JWT_TTL_SECONDS | 900 | how long an access token lasts (then POST /auth/refresh) |
| JWT_ISSUER | bellyfed | the tokens' `iss`, checked on every request |
| JWT_AUDIENCE | bellyfed-clients | the tokens' `aud`, checked on every request |
| LOGIN_MAX_FAILURES_PER_ACCOUNT | 5 | failed sign-ins of one email per window, then 429 |
| LOGIN_MAX_FAILURES_PER_ADDRESS | 20 | failed sign-ins from one client address per window |
| LOGIN_WINDOW_SECONDS | 900 | the moving window of both |
| LOGIN_MAX_AT_ONCE_PER_ADDRESS | 4 | sign-ins from one client in flight at once (one per account) |
| MAX_BODY_BYTES | 65536 | larger request bodies get 413 |
| WRITE_LIMIT_PER_USER | 120 | writes (POST/PUT/PATCH/DELETE) one signed-in user may make per |
|   | | window, then 429 with Retry-After |
| WRITE_LIMIT_PER_ADDRESS | 600 | anonymous writes (sign-ins, views...) per client address |
| WRITE_WINDOW_SECONDS | 60 | the moving window of both |
| READ_LIMIT_PER_ADDRESS | 1200 | anonymous reads per client per READ_WINDOW_SECONDS, then 429; 0: |
|   | | no limit (scripts/run's default, for load tests and benchmarks from one address) |
| READ_WINDOW_SECONDS | 60 | the moving window of anonymous reads |
| TRUSTED_PROXIES | (none) | comma-separated addresses or networks of the proxies in front (an |
|   | | Ingress): through them the client is the nearest X-Forwarded-For hop that is not one |
| REDIS_URL | (none) | where every limit is counted, shared by all gateway replicas; unset, each |
|   | | process counts its own |
| LIMITS_KEY_PREFIX | bellyfed-gateway | the prefix of the limits' Redis keys |
| CORS_ORIGINS | (none) | comma-separated origins browsers may call the API from; `*` for any |
| READY_TIMEOUT | 2 | seconds each /ready check may take |
| READY_CACHE_SECONDS | 1 | how long one /ready check's result answers every caller |
| HTTP_KEEPALIVE_TIMEOUT | 20 | seconds a kept-alive connection may sit idle (http.py) |
| HTTP_SOCKET_TIMEOUT | 30 | seconds one read or write of a client may take |
| HTTP_MAX_CONNECTIONS | 1000 | connections open at once; past it a new one is answered 503 |
| ACCESS_LOG | errors | `errors`: a line per answer of 500+ or slower than ACCESS_LOG_SLOW_MS; |
|   | | `all`: a line per request; `off` (http.AccessLog) |
| ACCESS_LOG_SLOW_MS | 500 | what "slow" means for ACCESS_LOG=errors |
| METRICS_ROUTE | off | `GET /metrics` answers Prometheus text (scripts/run turns it on); off, a |
|   | | 404, so the route is not public in production: scrape METRICS_PORT instead |
| HTTP_PUBLIC_MAX_AGE | 10 | seconds a shared cache may keep an anonymous public read (http.py) |
| READ_MODEL_* | | the read model's size and ages (catalog_stream.py) |
| EVENT_BUFFER_* | | how views are batched (shared/event_buffer.py) |
"""

import logging
import re
import secrets

from services.gateway.domain.auth import MIN_SECRET_LENGTH
from shared.config import ConfigError, env, env_flag, env_float, env_int, nameko_config

log = logging.getLogger(__name__)


def count_setting(name: str, default: int) -> int:
    """A whole number of at least 0 (0 turns the limit off)."""
    raw = env(name)
    if raw is None:
        return default
    if not raw.strip().isdigit():
        raise ConfigError(f"{name} must be a whole number of at least 0, got {raw!r}")
    return int(raw)


def trusted_proxies() -> str:
    """TRUSTED_PROXIES, checked: every entry an address or a network."""
    from services.gateway.domain.limits import TrustedProxies

    raw = env("TRUSTED_PROXIES", "")
    try:
        TrustedProxies.parse(raw)
    except ValueError as exc:
        raise ConfigError(f"TRUSTED_PROXIES: {exc}") from None
    return raw

SERVICE_NAME = "gateway"
# downstream services /ready asks; others join as they are built
DOWNSTREAM = ("catalog", "rankings", "analytics", "orders")

# HMAC only: one shared secret, no key files (an asymmetric key can come later)
ALGORITHMS = ("HS256", "HS384", "HS512")
ORIGIN = re.compile(r"https?://[A-Za-z0-9.-]+(:[0-9]{1,5})?")


def jwt_secret() -> str:
    """JWT_SECRET; without one, a random secret in development and an error elsewhere."""
    secret = env("JWT_SECRET")
    if secret:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"JWT_SECRET must be at least {MIN_SECRET_LENGTH} characters")
        return secret
    if not env_flag("DEV_MODE"):
        raise ConfigError("JWT_SECRET is not set (set it to a long random secret; "
                          "DEV_MODE=1 allows a random one for local development)")
    log.warning("JWT_SECRET is not set: DEV_MODE signs tokens with a random secret, "
                "valid until this gateway stops")
    return secrets.token_urlsafe(48)


def viewer_id_secret(jwt_key: str) -> str:
    """VIEWER_ID_SECRET, as JWT_SECRET is read, and another key than it: rotating one
    must not rotate the other (a new viewer key makes every anonymous viewer new)."""
    secret = env("VIEWER_ID_SECRET")
    if secret:
        if len(secret) < MIN_SECRET_LENGTH:
            raise ConfigError(f"VIEWER_ID_SECRET must be at least {MIN_SECRET_LENGTH} "
                              "characters")
        if secret == jwt_key:
            raise ConfigError("VIEWER_ID_SECRET must not be JWT_SECRET: give it a key of its own")
        return secret
    if not env_flag("DEV_MODE"):
        raise ConfigError("VIEWER_ID_SECRET is not set (set it to a long random secret; "
                          "DEV_MODE=1 allows a random one for local development)")
    log.warning("VIEWER_ID_SECRET is not set: DEV_MODE signs viewer ids with a random key, "
                "valid until this gateway stops")
    return secrets.token_urlsafe(48)


def jwt_algorithm() -> str:
    algorithm = env("JWT_ALGORITHM", "HS256")
    if algorithm not in ALGORITHMS:
        raise ConfigError(f"JWT_ALGORITHM must be one of {', '.join(ALGORITHMS)}, "
                          f"got {algorithm!r}")
    return algorithm


def cors_origins() -> list[str]:
    """CORS_ORIGINS: "*", or origins like https://app.bellyfed.com (scheme, host, port)."""
    origins = [origin.strip().rstrip("/") for origin in (env("CORS_ORIGINS") or "").split(",")
               if origin.strip()]
    for origin in origins:
        if origin != "*" and not ORIGIN.fullmatch(origin):
            raise ConfigError(f"CORS_ORIGINS: {origin!r} is not an origin such as "
                              "https://app.example.com or http://localhost:3000")
    return origins


def access_log() -> str:
    mode = env("ACCESS_LOG", "errors")
    if mode not in ("errors", "all", "off"):
        raise ConfigError(f"ACCESS_LOG must be errors, all or off, got {mode!r}")
    return mode


def load() -> dict:
    jwt_key = jwt_secret()
    return nameko_config(
        SERVICE_NAME,
        WEB_SERVER_ADDRESS=env("GATEWAY_ADDRESS", "0.0.0.0:8000"),
        JWT_SECRET=jwt_key,
        VIEWER_ID_SECRET=viewer_id_secret(jwt_key),
        VIEWER_COOKIE_SECURE=env_flag("VIEWER_COOKIE_SECURE", True),
        JWT_ALGORITHM=jwt_algorithm(),
        JWT_TTL_SECONDS=env_int("JWT_TTL_SECONDS", 900),
        JWT_ISSUER=env("JWT_ISSUER", "bellyfed"),
        JWT_AUDIENCE=env("JWT_AUDIENCE", "bellyfed-clients"),
        LOGIN_MAX_FAILURES_PER_ACCOUNT=env_int("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5),
        LOGIN_MAX_FAILURES_PER_ADDRESS=env_int("LOGIN_MAX_FAILURES_PER_ADDRESS", 20),
        LOGIN_WINDOW_SECONDS=env_float("LOGIN_WINDOW_SECONDS", 900.0),
        MAX_BODY_BYTES=env_int("MAX_BODY_BYTES", 65536),
        WRITE_LIMIT_PER_USER=env_int("WRITE_LIMIT_PER_USER", 120),
        WRITE_LIMIT_PER_ADDRESS=env_int("WRITE_LIMIT_PER_ADDRESS", 600),
        WRITE_WINDOW_SECONDS=env_float("WRITE_WINDOW_SECONDS", 60.0),
        LOGIN_MAX_AT_ONCE_PER_ADDRESS=env_int("LOGIN_MAX_AT_ONCE_PER_ADDRESS", 4),
        READ_LIMIT_PER_ADDRESS=count_setting("READ_LIMIT_PER_ADDRESS", 1200),
        READ_WINDOW_SECONDS=env_float("READ_WINDOW_SECONDS", 60.0),
        TRUSTED_PROXIES=trusted_proxies(),
        REDIS_URL=env("REDIS_URL"),
        LIMITS_KEY_PREFIX=env("LIMITS_KEY_PREFIX", "bellyfed-gateway"),
        CORS_ORIGINS=cors_origins(),
        READY_TIMEOUT=env_float("READY_TIMEOUT", 2.0),
        READY_CACHE_SECONDS=env_float("READY_CACHE_SECONDS", 1.0),
        HTTP_KEEPALIVE_TIMEOUT=env_float("HTTP_KEEPALIVE_TIMEOUT", 20.0),
        HTTP_SOCKET_TIMEOUT=env_float("HTTP_SOCKET_TIMEOUT", 30.0),
        HTTP_MAX_CONNECTIONS=env_int("HTTP_MAX_CONNECTIONS", 1000),
        ACCESS_LOG=access_log(),
        # GET /metrics answers only with METRICS_ROUTE=1 (scripts/run); off, it is a 404,
        # so it is not public in production (METRICS_PORT serves them, unexposed)
        METRICS_ROUTE=env_flag("METRICS_ROUTE", False),
        ACCESS_LOG_SLOW_MS=env_float("ACCESS_LOG_SLOW_MS", 500.0),
        HTTP_PUBLIC_MAX_AGE=env_int("HTTP_PUBLIC_MAX_AGE", 10),
        READ_MODEL_MAX_ENTRIES=env_int("READ_MODEL_MAX_ENTRIES", 5000),
        READ_MODEL_MAX_AGE=env_float("READ_MODEL_MAX_AGE", 300.0),
        READ_MODEL_RANKED_MAX_AGE=env_float("READ_MODEL_RANKED_MAX_AGE", 1.0),
        READ_MODEL_OFFLINE_GRACE=env_float("READ_MODEL_OFFLINE_GRACE", 60.0),
        EVENT_BUFFER_MAX=env_int("EVENT_BUFFER_MAX", 10000),
        EVENT_BUFFER_BATCH=env_int("EVENT_BUFFER_BATCH", 500),
        EVENT_BUFFER_FLUSH_INTERVAL=env_float("EVENT_BUFFER_FLUSH_INTERVAL", 0.05),
        EVENT_BUFFER_CONFIRM_TIMEOUT=env_float("EVENT_BUFFER_CONFIRM_TIMEOUT", 5.0),
        EVENT_BUFFER_STOP_TIMEOUT=env_float("EVENT_BUFFER_STOP_TIMEOUT", 5.0),
    )
