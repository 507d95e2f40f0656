"""The catalog's contract: what other services and the gateway may depend on.

- `rpc`: what the catalog's RPCs accept (input and query schemas, their limits) and
  answer (restaurants, dishes, search results).
- `events`: the events it publishes (restaurant_*, dish_*), their versions and payloads.

Only marshmallow and shared's schema helpers: installable on its own
(`pip install ./shared ./services/catalog/contract`), by the gateway and consumers alike.
"""
