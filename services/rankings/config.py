"""Rankings settings: shared.config's and its PostgreSQL database (RANKINGS_DATABASE_URL,
MIGRATE_ON_START: shared.config.postgres_settings). Admins are not a setting: an operator
makes them (`python -m services.rankings.jobs create-admin EMAIL`, SPEC §7)."""

from shared.config import nameko_config, postgres_settings

SERVICE_NAME = "rankings"


def load() -> dict:
    return nameko_config(SERVICE_NAME, **postgres_settings(SERVICE_NAME))
