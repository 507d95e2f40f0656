"""The rankings service's rewards entrypoints (mixed into RankingsService).

The consumers listen to rankings' OWN events. Their method names start with
`reward_` so they never shadow another area's handler of the same event (two
mixins defining one method name would silently keep only one entrypoint); the
method name also names the handler's queue and its processed-events claim.
"""

from __future__ import annotations

from services.rankings.contract.events import (
    DISH_RANKED,
    REVIEW_COMMENTED,
    REVIEW_CREATED,
    REVIEW_LIKED,
    USER_FOLLOWED,
)
from services.rankings.contract.rpc import UserIdInput
from services.rankings.domain import rewards
from shared.consumer import consume_event
from shared.rpc import service_rpc
from shared.schemas import load


class RewardsEntrypoints:
    """Entrypoints only: validate, call the domain with `self.store`, return."""

    @consume_event(DISH_RANKED)
    def reward_dish_ranked(self, event):
        rewards.reward_dish_ranked(self.store, "rankings.reward_dish_ranked", event)

    @consume_event(REVIEW_CREATED)
    def reward_review_created(self, event):
        rewards.reward_review_created(self.store, "rankings.reward_review_created", event)

    @consume_event(REVIEW_COMMENTED)
    def reward_review_commented(self, event):
        rewards.reward_review_commented(self.store, "rankings.reward_review_commented", event)

    @consume_event(REVIEW_LIKED)
    def reward_review_liked(self, event):
        rewards.reward_review_liked(self.store, "rankings.reward_review_liked", event)

    @consume_event(USER_FOLLOWED)
    def reward_user_followed(self, event):
        rewards.reward_user_followed(self.store, "rankings.reward_user_followed", event)

    @service_rpc
    def get_user_badges(self, user_id: str) -> list[dict]:
        user_id = load(UserIdInput, {"user_id": user_id})["user_id"]
        return rewards.user_badges(self.store, user_id)
