"""Start a nameko service from Python with config from the environment.

Every service's `__main__` is the same two lines around `serve` (`python -m
services.catalog`), so no process needs a YAML file: config comes from its config.py
(shared.config). `python -m shared.runner` starts the service BELLYFED_SERVICE names (the
images' command: deploy/Dockerfile), in this process. What a service must do before it
serves happens in its dependency providers' setup: migrations (shared.db.Database,
MIGRATE_ON_START), tables (shared.dynamodb.DynamoDB, DYNAMODB_CREATE_TABLES).
"""

from __future__ import annotations

import eventlet

eventlet.monkey_patch()  # before anything opens sockets or threads

import gc
import logging
import runpy
import sys

from nameko.cli.run import run

from shared.config import env
from shared.log import configure_logging

SERVICE_ENV = "BELLYFED_SERVICE"


def serve(service_cls: type, config: dict) -> None:
    """Run until SIGTERM/SIGINT, then stop gracefully (in-flight workers finish)."""
    configure_logging(service_cls.name)
    logging.getLogger(__name__).info("starting %s", service_cls.name)
    # what is loaded by now (modules, schemas, config) lives as long as the process: the
    # collector need not walk it again at every full collection (shorter pauses)
    gc.collect()
    gc.freeze()
    run([service_cls], config)


def main() -> int:
    service = env(SERVICE_ENV)
    if not service or not service.isidentifier():
        print(f"{SERVICE_ENV} must name the service to run, e.g. catalog", file=sys.stderr)
        return 2
    # by name, not by import: shared depends on no service (.importlinter)
    runpy.run_module(f"services.{service}", run_name="__main__", alter_sys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
