"""DynamoDB access from config: AWS by default, DynamoDB Local or moto with an endpoint.

    views = DynamoDB()        # in a service class
    self.views.table("EntityViews").update_item(...)
"""

from __future__ import annotations

import boto3
from botocore.config import Config as BotoConfig
from nameko.extensions import DependencyProvider

DYNAMODB_CONFIG_KEY = "DYNAMODB"


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


class DynamoDB(DependencyProvider):
    """One DynamoDBClient per container (boto3 clients are safe to share between workers)."""

    def setup(self):
        self.dynamodb = DynamoDBClient.from_config(self.container.config[DYNAMODB_CONFIG_KEY])

    def get_dependency(self, worker_ctx):
        return self.dynamodb
