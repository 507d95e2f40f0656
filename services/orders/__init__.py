"""The orders service: order core in PostgreSQL, status history in DynamoDB (SPEC §6)."""
