"""The rankings service's follows entrypoints (mixed into RankingsService)."""

from __future__ import annotations

from services.rankings.contract.rpc import FollowsQuery
from services.rankings.domain import follows
from shared.rpc import service_rpc
from shared.schemas import load, parse_id


class FollowsEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @service_rpc
    def follow_user(self, user_id: str, target_id: str,
                    idempotency_key: str | None = None) -> dict:
        return follows.follow_user(self.store, parse_id(user_id, "user_id"),
                                   parse_id(target_id, "target_id"), idempotency_key)

    @service_rpc
    def unfollow_user(self, user_id: str, target_id: str,
                      idempotency_key: str | None = None) -> None:
        follows.unfollow_user(self.store, parse_id(user_id, "user_id"),
                              parse_id(target_id, "target_id"), idempotency_key)

    @service_rpc
    def list_followers(self, user_id: str, **query) -> dict:
        return follows.list_followers(self.store, parse_id(user_id, "user_id"),
                                      load(FollowsQuery, query))

    @service_rpc
    def list_following(self, user_id: str, **query) -> dict:
        return follows.list_following(self.store, parse_id(user_id, "user_id"),
                                      load(FollowsQuery, query))
