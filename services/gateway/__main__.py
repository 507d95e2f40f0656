"""`python -m services.gateway`: settings from the environment (config.py), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.gateway import config
from services.gateway.service import GatewayService
from shared.runner import serve

if __name__ == "__main__":
    serve(GatewayService, config.load())
