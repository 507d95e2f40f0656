"""`python -m services.orders`: migrate (unless MIGRATE_ON_START=0), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.orders import config
from services.orders.service import OrdersService
from shared.migrations import upgrade
from shared.runner import run_service

if __name__ == "__main__":
    settings = config.load()
    if settings["MIGRATE_ON_START"]:
        upgrade(config.SERVICE_NAME, settings["DATABASE_URL"])
    run_service(OrdersService, settings)
