"""Rankings settings: shared.config's, plus its database (RANKINGS_DATABASE_URL)."""

from shared.config import database_url, env, nameko_config

SERVICE_NAME = "rankings"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        DATABASE_URL=database_url(SERVICE_NAME),
        MIGRATE_ON_START=env("MIGRATE_ON_START", "1") == "1",
        # emails that register as admins (SPEC §7: the first admin comes from configuration)
        ADMIN_EMAILS=env("ADMIN_EMAILS", ""),
    )
