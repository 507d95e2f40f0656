"""Orders maintenance jobs, run by hand or by a scheduler:

    python -m services.orders.jobs reconcile [--window-hours 24]

compares the status changes PostgreSQL recorded for the orders changed in the window
(RECONCILE_WINDOW_HOURS by default) with the DynamoDB history, writes the missing
entries (and counts them in the metrics, unless they were counted already) and prints
the report as JSON: {"checked": n, "repaired": [{"order_id", "version"}]}. The running
service does the same every RECONCILE_INTERVAL seconds; both are safe at once (a change
is written once, whoever writes it). Settings: services.orders.config.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from services.orders import config
from services.orders.storage import history
from shared.dynamodb import DynamoDBClient, ensure_tables
from shared.postgres import make_engine


def reconcile(settings: dict, window_hours: float | None = None) -> dict:
    dynamodb = DynamoDBClient.from_config(settings["DYNAMODB"])
    if settings.get("DYNAMODB_CREATE_TABLES", True):
        ensure_tables(dynamodb, history.TABLES)
    hours = window_hours if window_hours is not None else settings["RECONCILE_WINDOW_HOURS"]
    engine = make_engine(settings["DATABASE_URL"])
    try:
        with Session(engine) as session:
            return history.reconcile(dynamodb, session,
                                     datetime.now(UTC) - timedelta(hours=hours))
    finally:
        engine.dispose()


JOBS = {"reconcile": reconcile}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.orders.jobs",
                                     description="Orders maintenance jobs.")
    parser.add_argument("job", choices=sorted(JOBS))
    parser.add_argument("--window-hours", type=float, default=None,
                        help="how far back to look (default: RECONCILE_WINDOW_HOURS)")
    args = parser.parse_args(argv)
    if args.window_hours is not None and args.window_hours <= 0:
        parser.error("--window-hours must be positive")
    result = JOBS[args.job](config.load(), args.window_hours)
    print(json.dumps(result, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
