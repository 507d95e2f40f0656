"""Gateway settings: shared.config's, plus its HTTP side.

| variable | default | meaning |
|---|---|---|
| GATEWAY_ADDRESS | 0.0.0.0:8000 | where the HTTP server listens |
| ADMIN_TOKEN | (unset: admin routes closed) | temporary admin check, see README |
| MAX_BODY_BYTES | 65536 | larger request bodies get 413 |
| READY_TIMEOUT | 2 | seconds each /ready check may take |
"""

from shared.config import env, env_float, env_int, nameko_config

SERVICE_NAME = "gateway"
# downstream services /ready asks; others join as they are built
DOWNSTREAM = ("catalog",)


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        WEB_SERVER_ADDRESS=env("GATEWAY_ADDRESS", "0.0.0.0:8000"),
        ADMIN_TOKEN=env("ADMIN_TOKEN"),
        MAX_BODY_BYTES=env_int("MAX_BODY_BYTES", 65536),
        READY_TIMEOUT=env_float("READY_TIMEOUT", 2.0),
    )
