"""`python -m services.catalog`: settings from the environment (config.py), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.catalog import config
from services.catalog.service import CatalogService
from shared.runner import serve

if __name__ == "__main__":
    serve(CatalogService, config.load())
