"""Points, badges and career levels (SPEC §4), earned from rankings' own events.

Each award happens once per cause: the event is claimed by id (a redelivery does
nothing) and the points row is unique per (user, activity, cause), so a second
event about the same cause (a dish ranked again after its removal, a review liked
again by the same user) gives nothing either. Badges are checked after every
ranking; the career level is not stored but computed on read from the same record,
so it can never disagree with it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from services.rankings.contract.events import (
    BADGE_AWARDED,
    DISH_RANKED,
    POINTS_AWARDED,
    REVIEW_COMMENTED,
    REVIEW_CREATED,
    REVIEW_LIKED,
    USER_FOLLOWED,
)
from services.rankings.contract.rpc import BadgeProgressSchema, RewardSummarySchema
from shared.errors import NotFound

# activity_type -> points (SPEC §4)
RANKING, REVIEW, COMMENT, LIKE_RECEIVED, NEW_FOLLOWER = (
    "ranking", "review", "comment", "like_received", "new_follower")
POINTS = {RANKING: 10, REVIEW: 5, COMMENT: 2, LIKE_RECEIVED: 1, NEW_FOLLOWER: 3}


@dataclass(frozen=True)
class BadgeRule:
    measure: str  # a key of the ranking record (see RankingsStore.ranking_record)
    target: int


# in the order a profile shows them
BADGE_RULES = {
    "FIRST_TIMER": BadgeRule("dishes", 1),
    "DISH_EXPLORER": BadgeRule("dishes", 5),
    "DISH_CONNOISSEUR": BadgeRule("dishes", 10),
    "DISH_EXPERT": BadgeRule("best_type_restaurants", 3),  # one dish_type at 3 restaurants
    "DISH_MASTER": BadgeRule("best_type_restaurants", 5),
}


# --- the rules (pure) ----------------------------------------------------------------------

def badge_progress(code: str, record: dict) -> dict:
    """{current, target}; current stops at the target (a badge is earned, not exceeded)."""
    rule = BADGE_RULES[code]
    return {"current": min(record[rule.measure], rule.target), "target": rule.target}


def earned_badges(record: dict) -> list[str]:
    return [code for code, rule in BADGE_RULES.items() if record[rule.measure] >= rule.target]


def like_reference(review_id: uuid.UUID, liker_id: uuid.UUID) -> uuid.UUID:
    """The cause of a like's point: one review, one liker (a UUID, as the column wants)."""
    return uuid.uuid5(review_id, str(liker_id))


def career(levels: list, rankings: int, cuisines: int) -> dict:
    """The level climbed to (every level up to it has both requirements met) and the next.

    `levels` are rows with level, name, required_rankings, required_cuisines.
    """
    reached = following = None
    for step in sorted(levels, key=lambda step: step.level):
        if step.required_rankings <= rankings and step.required_cuisines <= cuisines:
            reached = step
        else:
            following = step
            break
    return {
        "level": reached.level if reached else None,
        "name": reached.name if reached else None,
        "rankings": rankings,
        "cuisines": cuisines,
        "next": None if following is None else {
            "level": following.level, "name": following.name,
            "required_rankings": following.required_rankings,
            "required_cuisines": following.required_cuisines,
        },
    }


# --- earning: one consumer per event type --------------------------------------------------

def _award(store, consumer: str, event: dict, user_id: uuid.UUID, activity_type: str,
           reference_id: uuid.UUID, after_award=None) -> None:
    """Claim the event, award once per cause, announce, then run `after_award` (same commit)."""
    with store.transaction():
        if not store.first_time(consumer, event):
            return  # a redelivery
        if not store.user_exists_for_rewards(user_id):
            return  # the user is gone: nobody to reward
        store.lock_rewards_of(user_id)
        points = POINTS[activity_type]
        if store.award_points(user_id, activity_type, reference_id, points):
            store.emit(POINTS_AWARDED, POINTS_AWARDED.dump({
                "user_id": user_id, "activity_type": activity_type, "points": points,
                "reference_id": reference_id, "total_points": store.points_total(user_id),
            }))
        if after_award is not None:
            after_award()


def _check_badges(store, user_id: uuid.UUID) -> None:
    record = store.ranking_record(user_id)
    names = {badge.code: badge.name for badge, _ in store.badges_of(user_id)}
    for code in earned_badges(record):
        if store.award_badge(user_id, code):
            store.emit(BADGE_AWARDED, BADGE_AWARDED.dump(
                {"user_id": user_id, "badge_code": code, "badge_name": names[code]}))


# what rewards read of rankings' own events (every other field is ignored)
_ranked = DISH_RANKED.reader("user_id", "dish_id")
_reviewed = REVIEW_CREATED.reader("review_id", "user_id")
_commented = REVIEW_COMMENTED.reader("comment_id", "user_id")  # the commenter
_liked = REVIEW_LIKED.reader("review_id", "user_id", "author_id")  # user_id: the liker
_followed = USER_FOLLOWED.reader("follower_id", "followed_id")


def reward_dish_ranked(store, consumer: str, event: dict) -> None:
    """10 points to the ranker, once per dish; then the badges."""
    ranked = _ranked.load(event["payload"])
    user_id = ranked["user_id"]
    _award(store, consumer, event, user_id, RANKING, ranked["dish_id"],
           after_award=lambda: _check_badges(store, user_id))


def reward_review_created(store, consumer: str, event: dict) -> None:
    """5 points to the reviewer, once per review."""
    review = _reviewed.load(event["payload"])
    _award(store, consumer, event, review["user_id"], REVIEW, review["review_id"])


def reward_review_commented(store, consumer: str, event: dict) -> None:
    """2 points to the commenter, once per comment."""
    comment = _commented.load(event["payload"])
    _award(store, consumer, event, comment["user_id"], COMMENT, comment["comment_id"])


def reward_review_liked(store, consumer: str, event: dict) -> None:
    """1 point to the review's author, once per (review, liker): unlike + like gives nothing."""
    like = _liked.load(event["payload"])
    if like["user_id"] == like["author_id"]:
        return  # liking your own review earns nothing (and changes nothing to redeliver)
    _award(store, consumer, event, like["author_id"], LIKE_RECEIVED,
           like_reference(like["review_id"], like["user_id"]))


def reward_user_followed(store, consumer: str, event: dict) -> None:
    """3 points to the followed user, once per follower: unfollow + follow gives nothing."""
    follow = _followed.load(event["payload"])
    _award(store, consumer, event, follow["followed_id"], NEW_FOLLOWER, follow["follower_id"])


# --- reading -------------------------------------------------------------------------------

def _badges(store, user_id: uuid.UUID, record: dict) -> list[dict]:
    """Every badge (in BADGE_RULES order), with awarded_at or None, and its progress."""
    rows = {badge.code: (badge, awarded_at) for badge, awarded_at in store.badges_of(user_id)}
    badges = []
    for code in BADGE_RULES:
        if code in rows:  # a rule without its reference row is not shown
            badge, awarded_at = rows[code]
            badges.append({"code": code, "name": badge.name, "description": badge.description,
                           "awarded_at": awarded_at, "progress": badge_progress(code, record)})
    return badges


def reward_summary(store, user_id) -> dict:
    """What a profile shows of a user's rewards (see RewardSummarySchema)."""
    user_id = uuid.UUID(str(user_id))
    record = store.ranking_record(user_id)
    return RewardSummarySchema().dump({
        "points": store.points_total(user_id),
        "badges": _badges(store, user_id, record),
        "career": career(store.career_levels(), record["dishes"], record["cuisines"]),
    })


def user_badges(store, user_id: uuid.UUID) -> list[dict]:
    """Every badge with its progress for one user (NotFound for an unknown user)."""
    if not store.user_exists_for_rewards(user_id):
        raise NotFound("user not found", {"user_id": str(user_id)})
    record = store.ranking_record(user_id)
    return BadgeProgressSchema(many=True).dump(_badges(store, user_id, record))
