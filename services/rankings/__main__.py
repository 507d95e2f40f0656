"""`python -m services.rankings`: settings from the environment (config.py), then serve."""

import eventlet

eventlet.monkey_patch()  # before anything opens a socket

from services.rankings import config
from services.rankings.service import RankingsService
from shared.runner import serve

if __name__ == "__main__":
    serve(RankingsService, config.load())
