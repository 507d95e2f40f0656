"""`@every("CONFIG_KEY", default_seconds)`: nameko's timer, its interval read from config."""

from __future__ import annotations

from nameko.timer import Timer


class ConfiguredTimer(Timer):
    def __init__(self, config_key: str, default: float, **kwargs):
        super().__init__(interval=default, **kwargs)
        self.config_key = config_key

    def setup(self):
        self.interval = float(self.container.config.get(self.config_key, self.interval))
        super().setup()


every = ConfiguredTimer.decorator
