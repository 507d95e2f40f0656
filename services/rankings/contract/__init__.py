"""Rankings' contract: what other services and the gateway may depend on.

- `rpc`: what rankings' RPCs accept and answer: accounts and profiles, one-best lists,
  dish stats and best dishes, reviews, likes and comments, follows, rewards; their limits
  (MAX_RANK, TASTE_STATUSES, page sizes...).
- `events`: the events it publishes (user_registered, dish_ranked, ranking_*, review_*,
  user_(un)followed, points_awarded, badge_awarded), their versions and payloads.

Only marshmallow and shared's schema helpers: installable on its own
(`pip install ./shared ./services/rankings/contract`).
"""
