"""The orders contract: what other services and the gateway may depend on.

- `rpc`: what the orders RPCs accept and answer: orders, their status history and hourly
  metrics; the status values, actor roles and limits.
- `events`: the events it publishes (order_created, order_status_changed), their versions
  and payloads.

Only marshmallow and shared's schema helpers: installable on its own
(`pip install ./shared ./services/orders/contract`).
"""
