"""Every DynamoDB table analytics uses. The service creates the missing ones when it starts;
`python -m services.analytics.tables` does it alone (e.g. a deployment's init step)."""

from __future__ import annotations

from services.analytics.storage import activity, views
from shared.dynamodb import PROCESSED_EVENTS, DynamoDBClient, TableSpec, ensure_tables

TABLES: list[TableSpec] = [PROCESSED_EVENTS, *views.TABLES, *activity.TABLES]


def main() -> None:
    from services.analytics import config

    settings = config.load()
    created = ensure_tables(DynamoDBClient.from_config(settings["DYNAMODB"]), TABLES)
    print("created: " + (", ".join(created) if created else "nothing (all present)"))


if __name__ == "__main__":
    main()
