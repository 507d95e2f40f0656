"""Orders settings: shared.config's, plus its database (ORDERS_DATABASE_URL) and the
reconciliation job.

| variable | default | meaning |
|---|---|---|
| ORDERS_DATABASE_URL | postgresql://postgres@127.0.0.1:5432/bellyfed_orders | order core |
| MIGRATE_ON_START | 1 | apply migrations when the service starts |
| RECONCILE_INTERVAL | 300 | seconds between PostgreSQL/DynamoDB history reconciliations |
| RECONCILE_WINDOW_HOURS | 24 | how far back reconciliation looks |
| DYNAMODB_CREATE_TABLES | 1 | create missing tables at start (0 where they are provisioned) |
"""

from shared.config import database_url, env, env_float, nameko_config

SERVICE_NAME = "orders"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        DATABASE_URL=database_url(SERVICE_NAME),
        MIGRATE_ON_START=env("MIGRATE_ON_START", "1") == "1",
        RECONCILE_INTERVAL=env_float("RECONCILE_INTERVAL", 300.0),
        RECONCILE_WINDOW_HOURS=env_float("RECONCILE_WINDOW_HOURS", 24.0),
        DYNAMODB_CREATE_TABLES=env("DYNAMODB_CREATE_TABLES", "1") == "1",
    )
