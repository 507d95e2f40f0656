"""Start a nameko service from Python with config from the environment.

Every service's `__main__` is the same two lines around `serve` (`python -m
services.catalog`), so no process needs a YAML file: config comes from its config.py
(shared.config). What a service must do before it serves happens in its dependency
providers' setup: migrations (shared.db.Database, MIGRATE_ON_START), tables
(shared.dynamodb.DynamoDB, DYNAMODB_CREATE_TABLES).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens sockets or threads

import logging

from nameko.cli.run import run

from shared.log import configure_logging


def serve(service_cls: type, config: dict) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully (in-flight workers finish)."""
    configure_logging(service_cls.name)
    logging.getLogger(__name__).info("starting %s", service_cls.name)
    run([service_cls], config)
