"""User popularity, leaderboards and places in DynamoDB: the tables, recording
rankings'/catalog's events (exactly once, trending points included: their tables and
reads are storage/trending.py), the reads, and the leaderboard rematerialization job (on
a timer).

Tables (seed 003, plus two of our own):
- UserPopularity (user_id): follower_count, ranking_count, review_count, influence_score,
  scope="ALL". GSI InfluenceScoreIndex (scope, influence_score): experts.
- Places (pk): RESTAURANT#<id> → name, city, cuisines (normalized), ranking_score
  (Σ(6 − rank) over its current rankings), deleted, source_updated_at; DISH#<id> →
  restaurant_id, dish_type, name, deleted, source_updated_at.
- LeaderboardMembers (board, entity_id): who may appear on a board —
  board "restaurants#<city>#<cuisine>" / "users#<city>#<cuisine>", entity = restaurant /
  user id — plus the registry partition board="BOARDS", entity_id "<city>#<cuisine>"
  (city, cuisine, refreshed_at): every board that exists. Scores are not kept here (the
  contract's LeaderboardScores): a restaurant's score lives on its Places item and a
  user's is their influence, so no event needs a city or cuisine it does not carry, and
  a restaurant that changes city or cuisines simply leaves its old boards at the next
  refresh.
- Leaderboards (leaderboard_type = board, rank): entity_id, score, last_updated — the rank
  slots, rematerialized by `refresh_leaderboards`.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from boto3.dynamodb.conditions import Key

from services.analytics.domain.activity import (
    INFLUENCE_SCOPE,
    LEADERBOARD_MEMBERS,
    LEADERBOARDS,
    PLACES,
    USER_POPULARITY,
    activity_writes,
    dish_view_writes,
    fold_places,
    places_needed,
    places_needed_next,
)
from services.analytics.domain.decay import HALF_LIFE
from services.analytics.domain.keys import (
    BOARD_REGISTRY,
    board_id,
    normalize_city,
    normalize_name,
    restaurant_board,
    restaurant_place,
    user_board,
)
from shared.dynamodb import (
    DynamoDBClient,
    GlobalIndex,
    TableSpec,
    apply_once,
    query_all,
    take_lease,
)

INFLUENCE_INDEX = "InfluenceScoreIndex"
BATCH_GET_KEYS = 100  # BatchGetItem's limit

TABLES = [
    TableSpec(USER_POPULARITY, (("user_id", "S"),),
              indexes=(GlobalIndex(INFLUENCE_INDEX, (("scope", "S"),
                                                     ("influence_score", "N"))),)),
    TableSpec(PLACES, (("pk", "S"),)),
    TableSpec(LEADERBOARD_MEMBERS, (("board", "S"), ("entity_id", "S"))),
    TableSpec(LEADERBOARDS, (("leaderboard_type", "S"), ("rank", "N"))),
]


def _int(value) -> int:
    return int(value) if isinstance(value, Decimal | int) else 0


def _count(value) -> int:
    """A counter as shown: an out-of-order decrement may leave it at −1 for a moment."""
    return max(0, _int(value))


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def batch_get(client: DynamoDBClient, table: str, keys: Iterable[dict],
              attributes: tuple[str, ...] = ()) -> list[dict]:
    """The items that exist among `keys` (BatchGetItem, 100 keys a call, unprocessed keys
    asked again); `attributes` limits what is read (keys are always included)."""
    unique = list({tuple(sorted(key.items())): key for key in keys}.values())
    found: list[dict] = []
    name = client.table_name(table)
    for start in range(0, len(unique), BATCH_GET_KEYS):
        request: dict = {"Keys": unique[start:start + BATCH_GET_KEYS]}
        if attributes:
            names = sorted({*attributes, *unique[start]})
            request["ProjectionExpression"] = ", ".join(f"#p{n}" for n in range(len(names)))
            request["ExpressionAttributeNames"] = {f"#p{n}": attr
                                                   for n, attr in enumerate(names)}
        pending = {name: request}
        while pending:
            response = client.resource.batch_get_item(RequestItems=pending)
            found += response.get("Responses", {}).get(name, [])
            pending = response.get("UnprocessedKeys") or {}
    return found


# --- recording -------------------------------------------------------------------------------

def _get_places(client: DynamoDBClient, keys: Iterable[str]) -> dict:
    return {item["pk"]: item for item in batch_get(client, PLACES, [{"pk": key} for key in keys])}


def places_for(client: DynamoDBClient, envelopes: list[dict]) -> dict:
    """The Places items (by pk) a batch of envelopes needs: one BatchGetItem round for all
    of them, and a second only for the restaurants of viewed (or deleted) dishes, which
    are known once the dishes are."""
    first = {key for envelope in envelopes for key in places_needed(envelope)}
    places = _get_places(client, first)
    second = {key for envelope in envelopes for key in places_needed_next(envelope, places)}
    places.update(_get_places(client, second - first))
    return places


def record_activity(client: DynamoDBClient, consumer: str, envelopes: list[dict], *,
                    half_life: timedelta = HALF_LIFE) -> int:
    """Apply a batch of rankings/catalog events (and gateway dish_viewed) exactly once per
    (consumer, event_id); returns how many were newly applied. Raises InvalidInput, before
    writing anything, if an envelope's payload cannot be used."""
    places = places_for(client, envelopes)
    batch = []
    for envelope in envelopes:
        if envelope["event_type"] == "dish_viewed":
            writes = dish_view_writes(envelope, places, half_life=half_life)
        else:
            writes = activity_writes(envelope, places, half_life=half_life)
        fold_places(places, writes)  # the batch's later events see its earlier facts
        batch.append((str(envelope["event_id"]), writes))
    return apply_once(client, consumer, batch)


# --- popularity ------------------------------------------------------------------------------

def _popularity(user_id: str, item: dict) -> dict:
    return {"user_id": user_id,
            "follower_count": _count(item.get("follower_count")),
            "ranking_count": _count(item.get("ranking_count")),
            "review_count": _count(item.get("review_count")),
            "influence_score": _count(item.get("influence_score"))}


def user_popularity(client: DynamoDBClient, user_id: str) -> dict:
    """{"user_id", "follower_count", "ranking_count", "review_count", "influence_score"}
    (zeros for a user no event named)."""
    item = client.table(USER_POPULARITY).get_item(Key={"user_id": str(user_id)}).get("Item")
    return _popularity(str(user_id), item or {})


def top_influencers(client: DynamoDBClient, limit: int) -> list[dict]:
    """The `limit` users of highest influence_score, highest first (InfluenceScoreIndex)."""
    items = client.table(USER_POPULARITY).query(
        IndexName=INFLUENCE_INDEX, KeyConditionExpression=Key("scope").eq(INFLUENCE_SCOPE),
        ScanIndexForward=False, Limit=limit).get("Items", [])
    return [_popularity(item["user_id"], item) for item in items]


# --- leaderboards ----------------------------------------------------------------------------

def _members(client: DynamoDBClient, board: str) -> list[str]:
    return [item["entity_id"] for item in query_all(
        client.table(LEADERBOARD_MEMBERS), KeyConditionExpression=Key("board").eq(board),
        ProjectionExpression="entity_id")]


def _restaurant_standings(client: DynamoDBClient, city: str, cuisine: str,
                          size: int) -> list[tuple[str, int]]:
    """The board's restaurants by ranking score: those Places still puts in this city with
    this cuisine, not deleted, with a positive score."""
    places = batch_get(client, PLACES,
                       [{"pk": restaurant_place(restaurant_id)}
                        for restaurant_id in _members(client, restaurant_board(city, cuisine))],
                       ("city", "cuisines", "deleted", "ranking_score"))
    standings = [(place["pk"].split("#", 1)[1], _int(place.get("ranking_score")))
                 for place in places
                 if not place.get("deleted") and place.get("city") == city
                 and cuisine in (place.get("cuisines") or ())]
    standings = [entry for entry in standings if entry[1] > 0]
    return sorted(standings, key=lambda entry: (-entry[1], entry[0]))[:size]


def _user_standings(client: DynamoDBClient, city: str, cuisine: str,
                    size: int) -> list[tuple[str, int]]:
    """The board's users (who ranked a dish of this city and cuisine) by influence."""
    users = batch_get(client, USER_POPULARITY,
                      [{"user_id": user_id}
                       for user_id in _members(client, user_board(city, cuisine))],
                      ("influence_score",))
    standings = [(user["user_id"], _int(user.get("influence_score"))) for user in users
                 if _int(user.get("influence_score")) > 0]
    return sorted(standings, key=lambda entry: (-entry[1], entry[0]))[:size]


def _rewrite_slots(client: DynamoDBClient, board: str, standings: list[tuple[str, int]],
                   now: datetime) -> None:
    """Ranks 1..N of `board` as `standings` say: only the slots that changed are written,
    the slots past N deleted."""
    current = {int(item["rank"]): item for item in query_all(
        client.table(LEADERBOARDS), KeyConditionExpression=Key("leaderboard_type").eq(board))}
    with client.table(LEADERBOARDS).batch_writer() as writer:
        for rank, (entity_id, score) in enumerate(standings, start=1):
            slot = current.get(rank) or {}
            if slot.get("entity_id") != entity_id or _int(slot.get("score")) != score:
                writer.put_item(Item={"leaderboard_type": board, "rank": rank,
                                      "entity_id": entity_id, "score": score,
                                      "last_updated": _iso(now)})
        for rank in sorted(current):
            if rank > len(standings):
                writer.delete_item(Key={"leaderboard_type": board, "rank": rank})


REFRESH_LEASE = {"board": "LEASE", "entity_id": "refresh_leaderboards"}


def take_refresh_lease(client: DynamoDBClient, holder: str, seconds: float) -> bool:
    """Whether `holder` may refresh the leaderboards now (shared.dynamodb.take_lease): one
    replica a round. Kept beside the boards' registry, where no board query looks."""
    return take_lease(client.table(LEADERBOARD_MEMBERS), REFRESH_LEASE, holder, seconds)


def refresh_leaderboards(client: DynamoDBClient, now: datetime, size: int = 100) -> dict:
    """Rematerialize the rank slots of every city#cuisine leaderboard (restaurants by
    ranking score, users by influence), top `size` each; returns {"boards": n}, the number
    of city#cuisine leaderboards refreshed.

    Every registered board is recomputed (a restaurant's score and a user's influence
    change without touching the board, so there is no cheap "dirty" flag), at the cost of
    reading each board's members; only slots whose entity or score changed are written.
    """
    boards = query_all(client.table(LEADERBOARD_MEMBERS),
                       KeyConditionExpression=Key("board").eq(BOARD_REGISTRY))
    registry = client.table(LEADERBOARD_MEMBERS)
    for board in boards:
        city, cuisine = board["city"], board["cuisine"]
        _rewrite_slots(client, restaurant_board(city, cuisine),
                       _restaurant_standings(client, city, cuisine, size), now)
        _rewrite_slots(client, user_board(city, cuisine),
                       _user_standings(client, city, cuisine, size), now)
        registry.update_item(Key={"board": BOARD_REGISTRY, "entity_id": board["entity_id"]},
                             UpdateExpression="SET refreshed_at = :now",
                             ExpressionAttributeValues={":now": _iso(now)})
    return {"boards": len(boards)}


def _slots(client: DynamoDBClient, board: str, limit: int, entity: str) -> list[dict]:
    items = client.table(LEADERBOARDS).query(
        KeyConditionExpression=Key("leaderboard_type").eq(board), Limit=limit).get("Items", [])
    return [{"rank": _int(item["rank"]), entity: item["entity_id"], "score": _int(item["score"])}
            for item in items]


def leaderboard(client: DynamoDBClient, city: str, cuisine: str, limit: int) -> dict:
    """A city#cuisine leaderboard as last refreshed: {"city", "cuisine", "restaurants":
    [{"rank", "restaurant_id", "score"}], "users": [{"rank", "user_id", "score"}],
    "updated_at": ISO time of the last refresh, or None}. City and cuisine are matched
    normalized (case, spaces) and echoed as given."""
    answer = {"city": city, "cuisine": cuisine, "restaurants": [], "users": [],
              "updated_at": None}
    location, kind = normalize_city(city), normalize_name(cuisine)
    if location is None or kind is None:
        return answer
    registered = client.table(LEADERBOARD_MEMBERS).get_item(
        Key={"board": BOARD_REGISTRY, "entity_id": board_id(location, kind)}).get("Item") or {}
    return {**answer,
            "restaurants": _slots(client, restaurant_board(location, kind), limit,
                                  "restaurant_id"),
            "users": _slots(client, user_board(location, kind), limit, "user_id"),
            "updated_at": registered.get("refreshed_at")}
