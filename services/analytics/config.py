"""Analytics settings: shared.config's (DYNAMODB_*, DYNAMODB_CREATE_TABLES), plus batching
and the leaderboard timer.

| variable | default | meaning |
|---|---|---|
| BATCH_MAX_SIZE | 500 | events handed to one batch write at most |
| BATCH_MAX_WAIT | 0.1 | seconds the first event of a batch waits for company |
| BATCH_MAX_IN_FLIGHT | 2 | batches written at once per consumer |
| LEADERBOARD_REFRESH_INTERVAL | 60 | seconds between leaderboard rank rematerializations |
"""

from shared.config import dynamodb_settings, env_float, env_int, nameko_config

SERVICE_NAME = "analytics"


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        **dynamodb_settings(),
        BATCH_MAX_SIZE=env_int("BATCH_MAX_SIZE", 500),
        BATCH_MAX_WAIT=env_float("BATCH_MAX_WAIT", 0.1),
        BATCH_MAX_IN_FLIGHT=env_int("BATCH_MAX_IN_FLIGHT", 2),
        LEADERBOARD_REFRESH_INTERVAL=env_float("LEADERBOARD_REFRESH_INTERVAL", 60.0),
    )
