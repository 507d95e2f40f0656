"""What each service reads from its environment, for the deployment checks.

Shared by test_compose.py and test_k8s.py: a variable a deployment sets must be one
the service reads (a typo or a stale setting otherwise), and the ones a service
cannot run without must be set. The tables follow shared/config.py and each
service's config.py; a setting a service starts to read is added here first.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

COMMON_ENV = {"AMQP_URI", "RPC_TIMEOUT", "LOG_LEVEL"}
# Read too, with defaults that suit a deployment; allowed but not required.
OPTIONAL_ENV = {
    "LOG_FORMAT",
    "MAX_WORKERS",
    "HEALTHCHECK_TIMEOUT",
    "MIGRATE_ON_START",
    "MAX_BODY_BYTES",
    "READY_TIMEOUT",
    "OUTBOX_POLL_INTERVAL",
    "OUTBOX_BATCH_SIZE",
    "OUTBOX_RETENTION_HOURS",
    "EVENT_MAX_ATTEMPTS",
    "EVENT_RETRY_DELAY",
    "BATCH_MAX_SIZE",
    "BATCH_MAX_WAIT",
    "BATCH_MAX_IN_FLIGHT",
    "LEADERBOARD_REFRESH_INTERVAL",
    "DYNAMODB_CREATE_TABLES",
    "RECONCILE_INTERVAL",
    "RECONCILE_WINDOW_HOURS",
    "PG_CONNECT_TIMEOUT",
    "PG_STATEMENT_TIMEOUT",
    "PG_LOCK_TIMEOUT",
    "PG_IDLE_IN_TRANSACTION_TIMEOUT",
    "READ_LIMIT_PER_ADDRESS",
    "LIMITS_KEY_PREFIX",
}
DYNAMODB_ENV = {
    "DYNAMODB_ENDPOINT",
    "AWS_REGION",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "DYNAMODB_TABLE_PREFIX",
}
# What compose sets for each service (all of it: compose runs the whole stack locally).
SERVICE_ENV = {
    "catalog": COMMON_ENV | {"CATALOG_DATABASE_URL"},
    "gateway": COMMON_ENV | {"GATEWAY_ADDRESS", "JWT_SECRET", "VIEWER_ID_SECRET",
                             "CORS_ORIGINS", "REDIS_URL", "TRUSTED_PROXIES"},
    "rankings": COMMON_ENV | {"RANKINGS_DATABASE_URL"},
    "analytics": COMMON_ENV | DYNAMODB_ENV,
    "orders": COMMON_ENV | DYNAMODB_ENV | {"ORDERS_DATABASE_URL"},
}
# What a service cannot run without anywhere: the broker, its database, the gateway's keys.
# (DynamoDB's endpoint and keys are not: against AWS, the SDK finds the endpoint and
# the pod's role gives the credentials.)
REQUIRED_ENV = {
    "catalog": {"AMQP_URI", "CATALOG_DATABASE_URL"},
    "gateway": {"AMQP_URI", "JWT_SECRET", "VIEWER_ID_SECRET"},
    "rankings": {"AMQP_URI", "RANKINGS_DATABASE_URL"},
    "analytics": {"AMQP_URI", "AWS_REGION"},
    "orders": {"AMQP_URI", "ORDERS_DATABASE_URL", "AWS_REGION"},
}
# Read by boto3 itself, so they need not appear in our code.
LIBRARY_ENV = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
# Passwords and keys: they come from a secret store, never a literal in a manifest.
# (A database URL and the AMQP URI carry a password.)
CREDENTIAL_ENV = {
    "JWT_SECRET",
    "VIEWER_ID_SECRET",
    "AMQP_URI",
    "CATALOG_DATABASE_URL",
    "RANKINGS_DATABASE_URL",
    "ORDERS_DATABASE_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
}


def allowed_env(name: str) -> set[str]:
    return SERVICE_ENV[name] | OPTIONAL_ENV


def python_source(*directories: Path) -> str:
    return "\n".join(
        path.read_text(errors="replace")
        for directory in directories
        for path in sorted(directory.rglob("*.py"))
        if "tests" not in path.relative_to(directory).parts
    )


def read_by(name: str, key: str) -> bool:
    """Whether `key` appears in shared/ or services/<name>/ (library variables aside)."""
    if key in LIBRARY_ENV:
        return True
    source = python_source(ROOT / "shared", ROOT / "services" / name)
    # shared/config.py builds "<SERVICE>_DATABASE_URL" from the service name.
    return key in source or (key.endswith("_DATABASE_URL") and "_DATABASE_URL" in source)
