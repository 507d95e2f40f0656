"""Catalog settings: shared.config's, plus its database (CATALOG_DATABASE_URL)."""

from shared.config import database_url, env, nameko_config

SERVICE_NAME = "catalog"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        DATABASE_URL=database_url(SERVICE_NAME),
        # apply migrations when the process starts (set to 0 where a job does it)
        MIGRATE_ON_START=env("MIGRATE_ON_START", "1") == "1",
    )
