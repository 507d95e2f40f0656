"""`python -m services.analytics`: create missing tables (at start-up), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.analytics import config
from services.analytics.service import AnalyticsService
from shared.runner import run_service

if __name__ == "__main__":
    run_service(AnalyticsService, config.load())
