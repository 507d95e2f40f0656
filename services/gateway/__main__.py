"""`python -m services.gateway`: serve HTTP on GATEWAY_ADDRESS."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.gateway import config
from services.gateway.service import GatewayService
from shared.runner import run_service

if __name__ == "__main__":
    run_service(GatewayService, config.load())
