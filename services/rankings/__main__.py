"""`python -m services.rankings`: migrate (unless MIGRATE_ON_START=0), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.rankings import config
from services.rankings.service import RankingsService
from shared.migrations import upgrade
from shared.runner import run_service

if __name__ == "__main__":
    settings = config.load()
    if settings["MIGRATE_ON_START"]:
        upgrade(config.SERVICE_NAME, settings["DATABASE_URL"])
    run_service(RankingsService, settings)
