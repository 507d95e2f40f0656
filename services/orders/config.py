"""Orders settings: shared.config's, its PostgreSQL database (ORDERS_DATABASE_URL,
MIGRATE_ON_START) and DynamoDB tables (DYNAMODB_CREATE_TABLES), the history consumer's
batching, and the reconciliation job.

| variable | default | meaning |
|---|---|---|
| BATCH_MAX_SIZE | 200 | order events handed to one history write at most |
| BATCH_MAX_WAIT | 0.05 | seconds the first event of a batch waits for company |
| BATCH_MAX_IN_FLIGHT | 2 | history batches written at once |
| RECONCILE_INTERVAL | 300 | seconds between PostgreSQL/DynamoDB history reconciliations |
| RECONCILE_WINDOW_HOURS | 24 | how far back reconciliation looks |
"""

from shared.config import dynamodb_settings, env_float, env_int, nameko_config, postgres_settings

SERVICE_NAME = "orders"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        **postgres_settings(SERVICE_NAME),
        **dynamodb_settings(),
        BATCH_MAX_SIZE=env_int("BATCH_MAX_SIZE", 200),
        BATCH_MAX_WAIT=env_float("BATCH_MAX_WAIT", 0.05),
        BATCH_MAX_IN_FLIGHT=env_int("BATCH_MAX_IN_FLIGHT", 2),
        RECONCILE_INTERVAL=env_float("RECONCILE_INTERVAL", 300.0),
        RECONCILE_WINDOW_HOURS=env_float("RECONCILE_WINDOW_HOURS", 24.0),
    )
