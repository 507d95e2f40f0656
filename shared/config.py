"""Configuration from environment variables, with documented defaults.

Every service reads its settings here and nowhere else. The defaults suit the
local machine (`scripts/run`); deployments override them through the
environment (see docker-compose.yml and README "Configuration").

| variable | default | meaning |
|---|---|---|
| AMQP_URI | pyamqp://guest:guest@127.0.0.1:5672// | RabbitMQ connection |
| <SERVICE>_DATABASE_URL | postgresql://postgres@127.0.0.1:5432/bellyfed_<service> | |
|   | | the service's own database |
| DYNAMODB_ENDPOINT | (unset: AWS's endpoint) | DynamoDB Local / moto URL |
| AWS_REGION | us-east-1 | DynamoDB region |
| DYNAMODB_TABLE_PREFIX | bellyfed- | prefix of every table name |
| RPC_TIMEOUT | 5 | seconds an RPC caller waits before giving up |
| MAX_WORKERS | 10 | concurrent workers per service process |
| OUTBOX_POLL_INTERVAL | 1 | seconds between outbox polls when no NOTIFY arrives |
| OUTBOX_BATCH_SIZE | 200 | outbox rows a relay publishes per transaction |
| OUTBOX_RETENTION_HOURS | 168 | published outbox rows are deleted after this |
| OUTBOX_UNROUTABLE_PAUSE_MAX | 30 | most seconds before an event type nobody binds is tried again |
| EVENT_MAX_ATTEMPTS | 5 | handler attempts before an event is dead-lettered |
| EVENT_RETRY_DELAY | 1 | seconds before the first retry, doubling (max 60) |
| LOG_LEVEL | INFO | root log level |
| LOG_FORMAT | json | json, or text for a terminal |
| METRICS_PORT | (unset: none) | port serving Prometheus metrics (shared.metrics); 0: none |
| METRICS_ENABLED | 1 | 0: record no metrics at all (to measure what they cost) |

A service with a PostgreSQL database adds `postgres_settings(service)`, one with DynamoDB
tables `dynamodb_settings()`:

| variable | default | meaning |
|---|---|---|
| MIGRATE_ON_START | 1 | apply the service's migrations when it starts (0 where a job does) |
| DYNAMODB_CREATE_TABLES | 1 | create missing tables at start (0 where they are provisioned) |
| HOUSEKEEPING_INTERVAL, _CHUNK, _BUDGET | 300, 5000, 60 | shared.housekeeping's rounds |
| IDEMPOTENCY_KEY_RETENTION_HOURS | 24 | how long a command's first answer is kept |
| PROCESSED_EVENT_RETENTION_HOURS | 336 | how long a consumer's claim on an event is kept |
"""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_AMQP_URI = "pyamqp://guest:guest@127.0.0.1:5672//"


class ConfigError(ValueError):
    """A setting is present but unusable."""


def env(name: str, default: str | None = None) -> str | None:
    value = os.environ.get(name)
    return value if value not in (None, "") else default


_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def env_flag(name: str, default: bool = False) -> bool:
    """A yes/no setting; a value that is neither is an error, not a silent default."""
    raw = env(name)
    if raw is None:
        return default
    if raw.strip().lower() in _ON:
        return True
    if raw.strip().lower() in _OFF:
        return False
    raise ConfigError(f"{name} must be one of {', '.join(_ON + _OFF)}, got {raw!r}")


def env_float(name: str, default: float) -> float:
    raw = env(name)
    if raw is None:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {raw!r}") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive, got {raw!r}")
    return value


def env_int(name: str, default: int) -> int:
    return int(env_float(name, default))


def amqp_uri() -> str:
    return env("AMQP_URI", DEFAULT_AMQP_URI)


def database_url(service: str) -> str:
    return env(
        f"{service.upper()}_DATABASE_URL",
        f"postgresql://postgres@127.0.0.1:5432/bellyfed_{service}",
    )


# a service's time limits on PostgreSQL, in seconds (defaults: shared.postgres.Timeouts)
PG_TIMEOUT_VARIABLES = ("PG_CONNECT_TIMEOUT", "PG_STATEMENT_TIMEOUT", "PG_LOCK_TIMEOUT",
                        "PG_IDLE_IN_TRANSACTION_TIMEOUT")


def postgres_settings(service: str) -> dict:
    """The settings of a service's own PostgreSQL database (shared.db.Database reads them):
    its URL, MIGRATE_ON_START, and the time limits that are set."""
    return {"DATABASE_URL": database_url(service),
            "MIGRATE_ON_START": env_flag("MIGRATE_ON_START", True),
            **{name: env_float(name, 0.0) for name in PG_TIMEOUT_VARIABLES if env(name)},
            **{name: env_float(name, 0.0) for name in HOUSEKEEPING_VARIABLES if env(name)}}


# shared.housekeeping's settings (its defaults there): passed on when set
HOUSEKEEPING_VARIABLES = ("HOUSEKEEPING_INTERVAL", "HOUSEKEEPING_CHUNK", "HOUSEKEEPING_BUDGET",
                          "IDEMPOTENCY_KEY_RETENTION_HOURS", "PROCESSED_EVENT_RETENTION_HOURS")


def dynamodb_settings() -> dict:
    """The settings of a service's DynamoDB tables beyond the connection (shared.dynamodb)."""
    return {"DYNAMODB_CREATE_TABLES": env_flag("DYNAMODB_CREATE_TABLES", True)}


def metrics_port() -> int:
    """METRICS_PORT: the port this process serves its metrics on; 0 (or unset): none."""
    raw = env("METRICS_PORT")
    if raw is None:
        return 0
    if not raw.isdigit() or int(raw) > 65535:
        raise ConfigError(f"METRICS_PORT must be a port number (0: none), got {raw!r}")
    return int(raw)


def rpc_timeout() -> float:
    return env_float("RPC_TIMEOUT", 5.0)


@dataclass(frozen=True)
class DynamoDBSettings:
    endpoint_url: str | None
    region: str
    table_prefix: str

    @classmethod
    def from_env(cls) -> DynamoDBSettings:
        return cls(
            endpoint_url=env("DYNAMODB_ENDPOINT"),
            region=env("AWS_REGION", "us-east-1"),
            table_prefix=env("DYNAMODB_TABLE_PREFIX", "bellyfed-"),
        )

    def as_dict(self) -> dict:
        return {
            "endpoint_url": self.endpoint_url,
            "region": self.region,
            "table_prefix": self.table_prefix,
        }


def nameko_config(service: str, **extra) -> dict:
    """The nameko config dict of one service; `extra` adds service-specific keys.

    Keys read by shared dependency providers: AMQP_URI, DATABASE_URL,
    DYNAMODB, RPC_TIMEOUT, OUTBOX_*, EVENT_*, METRICS_*.
    """
    config = {
        "AMQP_URI": amqp_uri(),
        "serializer": "json",
        "max_workers": env_int("MAX_WORKERS", 10),
        "PREFETCH_COUNT": env_int("MAX_WORKERS", 10),
        "HEARTBEAT": 30,
        "RPC_TIMEOUT": rpc_timeout(),
        "DYNAMODB": DynamoDBSettings.from_env().as_dict(),
        "SERVICE_NAME": service,
        "OUTBOX_POLL_INTERVAL": env_float("OUTBOX_POLL_INTERVAL", 1.0),
        "OUTBOX_BATCH_SIZE": env_int("OUTBOX_BATCH_SIZE", 200),
        "OUTBOX_RETENTION_HOURS": env_float("OUTBOX_RETENTION_HOURS", 168.0),
        "OUTBOX_UNROUTABLE_PAUSE_MAX": env_float("OUTBOX_UNROUTABLE_PAUSE_MAX", 30.0),
        "EVENT_MAX_ATTEMPTS": env_int("EVENT_MAX_ATTEMPTS", 5),
        "EVENT_RETRY_DELAY": env_float("EVENT_RETRY_DELAY", 1.0),
        "METRICS_PORT": metrics_port(),
        "METRICS_ENABLED": env_flag("METRICS_ENABLED", True),
    }
    config.update(extra)
    return config
