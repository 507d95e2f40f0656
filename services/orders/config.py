"""Orders settings: shared.config's, its PostgreSQL database (ORDERS_DATABASE_URL,
MIGRATE_ON_START) and DynamoDB tables (DYNAMODB_CREATE_TABLES), and the reconciliation job.

| variable | default | meaning |
|---|---|---|
| RECONCILE_INTERVAL | 300 | seconds between PostgreSQL/DynamoDB history reconciliations |
| RECONCILE_WINDOW_HOURS | 24 | how far back reconciliation looks |
"""

from shared.config import dynamodb_settings, env_float, nameko_config, postgres_settings

SERVICE_NAME = "orders"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        **postgres_settings(SERVICE_NAME),
        **dynamodb_settings(),
        RECONCILE_INTERVAL=env_float("RECONCILE_INTERVAL", 300.0),
        RECONCILE_WINDOW_HOURS=env_float("RECONCILE_WINDOW_HOURS", 24.0),
    )
