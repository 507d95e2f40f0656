"""The gateway's contract: the view events it publishes for analytics (SPEC §2, §5).

- `events`: restaurants_listed, restaurants_searched, restaurant_viewed,
  restaurant_menu_viewed, restaurant_reviews_viewed, dish_viewed; their versions and
  payloads, and the device types a view is counted under.

The gateway's HTTP API is described by its OpenAPI document (`GET /openapi.json`), not
here. Only marshmallow and shared's schema helpers: installable on its own
(`pip install ./shared ./services/gateway/contract`).
"""
