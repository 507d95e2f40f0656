"""Analytics maintenance jobs, run by hand or by a deployment's init step:

    python -m services.analytics.jobs create-tables

creates the DynamoDB tables analytics uses that are missing (the service does it too when
it starts, unless DYNAMODB_CREATE_TABLES=0) and prints what it created. Settings:
services.analytics.config.
"""

from __future__ import annotations

import argparse
import sys

from services.analytics import config
from services.analytics.storage.tables import TABLES
from shared.dynamodb import DynamoDBClient, ensure_tables


def create_tables(settings: dict) -> list[str]:
    return ensure_tables(DynamoDBClient.from_config(settings["DYNAMODB"]), TABLES)


JOBS = {"create-tables": create_tables}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.analytics.jobs",
                                     description="Analytics maintenance jobs.")
    parser.add_argument("job", choices=sorted(JOBS))
    args = parser.parse_args(argv)
    created = JOBS[args.job](config.load())
    print("created: " + (", ".join(created) if created else "nothing (all present)"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
