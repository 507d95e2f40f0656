"""Every DynamoDB table analytics uses. The service creates the missing ones when it starts;
`python -m services.analytics.jobs create-tables` does it alone (a deployment's init step)."""

from __future__ import annotations

from services.analytics.storage import activity, trending, views
from shared.dynamodb import PROCESSED_EVENTS, TableSpec

TABLES: list[TableSpec] = [PROCESSED_EVENTS, *views.TABLES, *activity.TABLES, *trending.TABLES]
