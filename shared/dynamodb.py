"""DynamoDB access from config: AWS by default, DynamoDB Local or moto with an endpoint.

    views = DynamoDB()        # in a service class
    self.views.table("EntityViews").update_item(...)
"""

from __future__ import annotations

import time

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import ClientError
from nameko.extensions import DependencyProvider

DYNAMODB_CONFIG_KEY = "DYNAMODB"
# markers outlive any redelivery (RabbitMQ keeps nothing near this long)
EVENT_MARKER_TTL_SECONDS = 30 * 24 * 3600


class DynamoDBClient:
    """boto3 client and resource for one configuration, with the table prefix applied."""

    def __init__(self, endpoint_url: str | None, region: str, table_prefix: str = ""):
        self.table_prefix = table_prefix
        session = boto3.session.Session()
        options = {
            "region_name": region,
            "endpoint_url": endpoint_url,
            "config": BotoConfig(retries={"max_attempts": 3, "mode": "standard"},
                                 connect_timeout=3, read_timeout=5),
        }
        if endpoint_url and not session.get_credentials():
            # DynamoDB Local and moto accept any key; AWS takes the real chain.
            options.update(aws_access_key_id="local", aws_secret_access_key="local")
        self.client = session.client("dynamodb", **options)
        self.resource = session.resource("dynamodb", **options)

    @classmethod
    def from_config(cls, settings: dict) -> DynamoDBClient:
        return cls(settings.get("endpoint_url"), settings["region"],
                   settings.get("table_prefix", ""))

    def table_name(self, name: str) -> str:
        return f"{self.table_prefix}{name}"

    def table(self, name: str):
        return self.resource.Table(self.table_name(name))

    def ping(self) -> bool:
        self.client.list_tables(Limit=1)
        return True

    def write_once(self, marker_table: str, consumer: str, event_id, writes: list[dict]) -> bool:
        """Apply `writes` (TransactWriteItems entries) once per (consumer, event_id).

        The marker item and the writes go in one transaction, the marker with
        `attribute_not_exists`: a redelivered event cancels the whole
        transaction and changes nothing. Returns False for such a duplicate.
        `marker_table` needs a string partition key named `pk` (and may carry
        a TTL on `expires_at`).
        """
        marker = {
            "Put": {
                "TableName": self.table_name(marker_table),
                "Item": {
                    "pk": {"S": f"EVENT#{consumer}#{event_id}"},
                    "expires_at": {"N": str(int(time.time()) + EVENT_MARKER_TTL_SECONDS)},
                },
                "ConditionExpression": "attribute_not_exists(pk)",
            }
        }
        try:
            self.client.transact_write_items(TransactItems=[marker, *writes])
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "TransactionCanceledException":
                reasons = exc.response.get("CancellationReasons") or []
                if reasons and reasons[0].get("Code") == "ConditionalCheckFailed":
                    return False
            raise
        return True


class DynamoDB(DependencyProvider):
    """One DynamoDBClient per container (boto3 clients are safe to share between workers)."""

    def setup(self):
        self.dynamodb = DynamoDBClient.from_config(self.container.config[DYNAMODB_CONFIG_KEY])

    def get_dependency(self, worker_ctx):
        return self.dynamodb
