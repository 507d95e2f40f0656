"""Rankings settings: shared.config's, its PostgreSQL database (RANKINGS_DATABASE_URL,
MIGRATE_ON_START: shared.config.postgres_settings), and

| variable | default | meaning |
|---|---|---|
| ADMIN_EMAILS | (none) | emails that register as admins (SPEC §7) |
"""

from shared.config import env, nameko_config, postgres_settings

SERVICE_NAME = "rankings"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        **postgres_settings(SERVICE_NAME),
        ADMIN_EMAILS=env("ADMIN_EMAILS", ""),
    )
