"""`python -m services.analytics`: settings from the environment (config.py), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.analytics import config
from services.analytics.service import AnalyticsService
from shared.runner import serve

if __name__ == "__main__":
    serve(AnalyticsService, config.load())
