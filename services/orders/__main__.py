"""`python -m services.orders`: settings from the environment (config.py), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.orders import config
from services.orders.service import OrdersService
from shared.runner import serve

if __name__ == "__main__":
    serve(OrdersService, config.load())
