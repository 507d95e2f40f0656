"""The analytics contract: what the gateway (and any other caller) may depend on.

- `rpc`: what analytics' RPCs accept (periods, entities, engagement, limits) and answer
  (a restaurant's traffic, trending restaurants and dishes, popularity, leaderboards).

Analytics publishes no events: it consumes the gateway's, rankings' and the catalog's,
reading them through their contracts. Only marshmallow and shared's schema helpers:
installable on its own (`pip install ./shared ./services/analytics/contract`).
"""
