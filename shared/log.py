"""JSON logging: one object per line, with the service name and correlation id."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime

from shared.config import env
from shared.context import current_correlation_id


class JsonFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__()
        self.service = service

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "service": self.service,
            "logger": record.name,
            "message": record.getMessage(),
            "correlation_id": current_correlation_id(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self, service: str):
        super().__init__("%(asctime)s %(levelname)s [" + service + "] %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        correlation_id = current_correlation_id()
        return f"{line} cid={correlation_id}" if correlation_id else line


def configure_logging(service: str) -> None:
    """Route every logger to stderr in the configured format (LOG_FORMAT, LOG_LEVEL)."""
    formatter_cls = TextFormatter if env("LOG_FORMAT", "json") == "text" else JsonFormatter
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter_cls(service))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(env("LOG_LEVEL", "INFO").upper())
    # kombu/amqp are chatty at INFO about every reconnect attempt
    for noisy in ("amqp", "kombu", "botocore", "urllib3"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
