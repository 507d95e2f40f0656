"""Run a nameko service from Python with config from the environment.

Used by each service's `__main__` (`python -m services.catalog`), so the
process needs no YAML file: config comes from shared.config.
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens sockets or threads

import logging

from nameko.cli.run import run

from shared.log import configure_logging


def run_service(service_cls: type, config: dict) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully (in-flight workers finish)."""
    configure_logging(service_cls.name)
    logging.getLogger(__name__).info("starting %s", service_cls.name)
    run([service_cls], config)
