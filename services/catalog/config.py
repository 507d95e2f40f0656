"""Catalog settings: shared.config's, and its PostgreSQL database (CATALOG_DATABASE_URL,
MIGRATE_ON_START: shared.config.postgres_settings)."""

from shared.config import nameko_config, postgres_settings

SERVICE_NAME = "catalog"


def load() -> dict:
    return nameko_config(SERVICE_NAME, **postgres_settings(SERVICE_NAME))
