"""Gateway settings: shared.config's, plus its HTTP side.

| variable | default | meaning |
|---|---|---|
| GATEWAY_ADDRESS | 0.0.0.0:8000 | where the HTTP server listens |
| ADMIN_TOKEN | (unset: admin routes closed) | temporary admin check, see README |
| DEV_USER_HEADER | off | development only: trust `X-User-Id: <user uuid>` as the signed-in user |
|   | | (on: 1/true/yes/on). Anyone can claim to be anyone: never enable it on a |
|   | | deployed gateway. Off, routes that need a user answer 401 until the |
|   | | security issue brings real sign-in. |
| MAX_BODY_BYTES | 65536 | larger request bodies get 413 |
| READY_TIMEOUT | 2 | seconds each /ready check may take |
"""

from shared.config import ConfigError, env, env_float, env_int, nameko_config

SERVICE_NAME = "gateway"
# downstream services /ready asks; others join as they are built
DOWNSTREAM = ("catalog", "rankings", "analytics", "orders")

_ON = ("1", "true", "yes", "on")
_OFF = ("0", "false", "no", "off")


def env_flag(name: str, default: bool = False) -> bool:
    """A yes/no setting; a value that is neither is an error, not a silent default."""
    raw = env(name)
    if raw is None:
        return default
    if raw.strip().lower() in _ON:
        return True
    if raw.strip().lower() in _OFF:
        return False
    raise ConfigError(f"{name} must be one of {', '.join(_ON + _OFF)}, got {raw!r}")


def load() -> dict:
    return nameko_config(
        SERVICE_NAME,
        WEB_SERVER_ADDRESS=env("GATEWAY_ADDRESS", "0.0.0.0:8000"),
        ADMIN_TOKEN=env("ADMIN_TOKEN"),
        DEV_USER_HEADER=env_flag("DEV_USER_HEADER"),
        MAX_BODY_BYTES=env_int("MAX_BODY_BYTES", 65536),
        READY_TIMEOUT=env_float("READY_TIMEOUT", 2.0),
    )
