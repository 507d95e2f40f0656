"""The gateway as a consumer: every RPC it calls on the catalog, rankings, analytics and
orders, with the arguments it sends and what it relies on in the answer.

What the gateway relies on in an answer is what its own code reads (an owner to
authorize, ids to join, counts for its events) plus what its routes promise their clients
(the route's response schema, the one /openapi.json documents) for answers it passes
through: every field that is never null, matched by type. Errors it maps to HTTP statuses
are declared too (nameko re-raises them as shared.errors' types).

Each test then replays the gateway's routes that read fields of these answers (the real
route methods, in-process) against services answering exactly the declared examples, so
a field the gateway reads but the pact leaves out fails here, before any producer is
asked; and writes the pact (compared with the committed one, see contracts/README.md).
"""

from __future__ import annotations

import uuid

from contracts.consumer import (
    Contract,
    Promised,
    an_object,
    each,
    example_id,
    page,
    shape,
    text,
)
from services.analytics.contract.rpc import (
    DailyViewsSchema,
    DeviceDataSchema,
    EngagementSchema,
    RestaurantEngagementSchema,
    ViewDataSchema,
)
from services.catalog.contract.rpc import (
    CuisineSchema,
    DishSchema,
    DishSearchResultSchema,
    NearbyRestaurantSchema,
    RestaurantSchema,
)
from services.gateway.schemas import (
    ExpertSchema,
    LeaderboardSchema,
    TrendingDishSchema,
    TrendingRestaurantSchema,
)
from services.gateway.tests.contracts.support import gateway_with, request
from services.orders.contract.rpc import OrderSchema, StatusChangeSchema, StatusMetricSchema
from services.rankings.contract.rpc import (
    BadgeProgressSchema,
    BestDishSchema,
    CommentSchema,
    DishStatsSchema,
    FavoriteSchema,
    FollowerSchema,
    FollowSchema,
    HistoryEntrySchema,
    LikeSchema,
    ProfileLiteSchema,
    PublicProfileSchema,
    RankingListSchema,
    ReviewSchema,
    ReviewSummarySchema,
    SessionSchema,
    UserPrivateSchema,
)
from shared.schemas import encode_cursor

RESTAURANT, DISH, REVIEW, ORDER = (example_id(name) for name in (
    "restaurant", "dish", "review", "order"))
USER, OTHER_USER, OWNER = (example_id(name) for name in ("user", "other user", "owner"))
UNKNOWN = example_id("nothing")  # no provider state makes it: nobody has it
CITY, CUISINE, DISH_TYPE = "Ipoh", "Malay", "nasi lemak"
# cursors as the catalog gives them (shared.schemas.encode_cursor), from just before the
# provider's restaurant (by name) and dish (the best rank there is, in the best text tier)
BEFORE_THE_RESTAURANT = encode_cursor("restaurants", ("A", UNKNOWN))
BEFORE_THE_DISH = encode_cursor("dish_search", (0, "0.00", 0, UNKNOWN))
NEAR_IPOH = {"lat": "4.5975", "lng": "101.0901", "radius_km": "2"}  # the provider's restaurant
EMAIL, PASSWORD = "ayu@example.com", "correct horse battery staple"
NEW_PASSWORD = "a new horse battery staple"
REFRESH_TOKEN = "refresh-token-example-0123456789abcdef0123456"

# --- what the catalog answers, as the gateway relies on it -------------------------------------

RESTAURANT_IDS = {"restaurant_id": RESTAURANT, "owner_id": OWNER}
DISH_IDS = {**RESTAURANT_IDS, "dish_id": DISH}


def restaurant() -> dict:
    """RestaurantSchema's never-null fields, and its owner, whom the gateway authorizes."""
    return shape(RestaurantSchema, keep=("owner_id",),
                 examples={"id": RESTAURANT, "name": "Warung Contract", "cuisine_type": CUISINE})


def dish(schema=DishSchema) -> dict:
    return shape(schema, examples={"id": DISH, "name": "Nasi Lemak Ayam",
                                   "dish_type": DISH_TYPE, "tags": "spicy"})


def catalog_contract() -> Contract:
    contract = Contract("gateway", "catalog")
    contract.rpc("health")
    contract.rpc("list_restaurants", kwargs={"city": CITY}, answer=page(restaurant()),
                 given="a restaurant exists", params=RESTAURANT_IDS)
    # the next page by a cursor the catalog gave: the gateway forwards it as it came
    contract.rpc("list_restaurants", kwargs={"city": CITY, "cursor": BEFORE_THE_RESTAURANT},
                 answer=page(restaurant()), given="a restaurant exists", params=RESTAURANT_IDS,
                 case="the next page, by cursor")
    contract.rpc("nearby_restaurants", kwargs=NEAR_IPOH,
                 answer=page(shape(NearbyRestaurantSchema, examples={
                     "id": RESTAURANT, "name": "Warung Contract", "cuisine_type": CUISINE,
                     "distance_km": 0.0})),
                 given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("get_restaurant", [RESTAURANT], answer=restaurant(),
                 given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("get_restaurant", [UNKNOWN], error="NotFound", case="no such restaurant")
    contract.rpc("get_restaurants", [[RESTAURANT]], answer=each(restaurant(), nonempty=True),
                 given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("get_menu", [RESTAURANT], answer=page(dish()),
                 given="a restaurant with a dish exists", params=DISH_IDS)
    contract.rpc("search_dishes", kwargs={"q": DISH_TYPE},
                 answer=page(dish(DishSearchResultSchema)),
                 given="a restaurant with a dish exists", params=DISH_IDS)
    contract.rpc("search_dishes", kwargs={"q": DISH_TYPE, "cursor": BEFORE_THE_DISH},
                 answer=page(dish(DishSearchResultSchema)),
                 given="a restaurant with a dish exists", params=DISH_IDS,
                 case="the next page, by cursor")
    contract.rpc("get_dish", [DISH], answer=dish(), given="a restaurant with a dish exists",
                 params=DISH_IDS)
    contract.rpc("get_dishes", [[DISH]], answer=each(dish(), nonempty=True),
                 given="a restaurant with a dish exists", params=DISH_IDS)
    contract.rpc("list_cuisines", answer=each(shape(CuisineSchema, examples={"name": CUISINE}),
                                              nonempty=True),
                 given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("create_restaurant",
                 [{"name": "Warung Contract", "city": CITY, "cuisine_type": [CUISINE]}, None],
                 {"owner_id": OWNER}, answer=restaurant(), given="a restaurant can be created")
    contract.rpc("update_restaurant", [RESTAURANT, {"name": "Warung Contract Baru"}, None],
                 answer=restaurant(), given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("delete_restaurant", [RESTAURANT, None], given="a restaurant exists",
                 params=RESTAURANT_IDS)
    contract.rpc("create_dish", [RESTAURANT, {"name": "Nasi Lemak Ayam",
                                              "dish_type": DISH_TYPE, "price": "12.50"}, None],
                 answer=dish(), given="a restaurant exists", params=RESTAURANT_IDS)
    contract.rpc("update_dish", [DISH, {"price": "13.50"}, None], answer=dish(),
                 given="a restaurant with a dish exists", params=DISH_IDS)
    contract.rpc("delete_dish", [DISH, None], given="a restaurant with a dish exists",
                 params=DISH_IDS)
    return contract


# --- rankings ----------------------------------------------------------------------------------

USER_IDS = {"user_id": USER}
TWO_USERS = {"user_id": USER, "other_id": OTHER_USER}
RANKED_IDS = {"user_id": USER, "dish_id": DISH, "restaurant_id": RESTAURANT}
REVIEW_IDS = {"user_id": USER, "other_id": OTHER_USER, "restaurant_id": RESTAURANT,
              "review_id": REVIEW}
RANKED = "a user has ranked a dish"
REVIEWED = "a user has reviewed a restaurant"
# cursors as rankings gives them (shared.schemas.encode_cursor), from before anything the
# provider's states make: the newest-first lists' from a moment after it, the comments'
# (oldest first) from one before it, the best dishes' past any score (its key is negated)
AFTER_EVERYTHING, BEFORE_EVERYTHING = "2100-01-01T00:00:00+00:00", "2000-01-01T00:00:00+00:00"
FOLLOWS_CURSOR = encode_cursor("follows", (AFTER_EVERYTHING, UNKNOWN))
REVIEWS_CURSOR = encode_cursor("reviews", (AFTER_EVERYTHING, UNKNOWN))
COMMENTS_CURSOR = encode_cursor("comments", (BEFORE_EVERYTHING, UNKNOWN))
BEST_DISHES_CURSOR = encode_cursor("best_dishes", (BEFORE_EVERYTHING, "-1000", -1000, UNKNOWN))
BY_CURSOR = "the next page, by a cursor rankings gave"
# a history's order is its rows' ids, newest first: from past any id there is
HISTORY_CURSOR = encode_cursor("ranking_history", (2 ** 62,))
FAVORITES_CURSOR = encode_cursor("favorites", (AFTER_EVERYTHING, UNKNOWN))
FAVORITED = "a user has a favorite restaurant"
FAVORITE_IDS = {"user_id": USER, "restaurant_id": RESTAURANT}


def account(**options) -> dict:
    return shape(UserPrivateSchema, examples={"id": USER, "email": EMAIL, "username": "ayu",
                                              "role": "user"}, **options)


def session() -> dict:
    return shape(SessionSchema, examples={"user_id": USER, "role": "user",
                                          "refresh_token": REFRESH_TOKEN})


def ranking_list(*, ranked: bool = True) -> dict:
    return shape(RankingListSchema, keep=("ranked.rank",),
                 nonempty=("ranked",) if ranked else (),
                 examples={"dish_type": DISH_TYPE, "ranked.rank": 1})


def review() -> dict:
    return shape(ReviewSchema, examples={"id": REVIEW, "rating": 5, "username": "ayu"})


def profile_lite() -> dict:
    return shape(ProfileLiteSchema, examples={"id": USER, "username": "ayu"})


def rankings_contract() -> Contract:
    contract = Contract("gateway", "rankings")
    contract.rpc("health")
    contract.rpc("register_user", [{"email": EMAIL, "username": "ayu", "password": PASSWORD},
                                   None],
                 answer=account(), given="nobody has registered")
    credentials = {"email": EMAIL, "password": PASSWORD}
    contract.rpc("verify_credentials", [EMAIL, PASSWORD], answer=account(),
                 given="a user has registered with a password", params=credentials)
    contract.rpc("verify_credentials", [EMAIL, "not the password"], error="Unauthorized",
                 case="a wrong password", given="a user has registered with a password",
                 params=credentials)
    # sessions: the gateway reads the account's id and role and the next refresh token
    signed_up = {**credentials, "user_id": USER}
    contract.rpc("open_session", [USER], answer=session(),
                 given="a user has registered with a password", params=signed_up)
    with_session = {"user_id": USER, "refresh_token": REFRESH_TOKEN}
    contract.rpc("refresh_session", [REFRESH_TOKEN], answer=session(),
                 given="a user has a session", params=with_session)
    contract.rpc("refresh_session", [REFRESH_TOKEN], error="Unauthorized",
                 case="a refresh token used before", given="a user has refreshed a session",
                 params=with_session)
    contract.rpc("close_session", [REFRESH_TOKEN], given="a user has a session",
                 params=with_session)
    change = {"current_password": PASSWORD, "new_password": NEW_PASSWORD}
    contract.rpc("change_password", [USER, change], given="a user has registered with a "
                 "password", params=signed_up)
    contract.rpc("change_password", [USER, {**change, "current_password": "not it"}],
                 error="Unauthorized", case="a wrong current password",
                 given="a user has registered with a password", params=signed_up)
    contract.rpc("get_user", [USER], answer=account(), given="a user exists", params=USER_IDS)
    contract.rpc("update_user", [USER, {"display_name": "Ayu"}, None],
                 answer=account(keep=("display_name",)), given="a user exists",
                 params=USER_IDS)
    contract.rpc("get_public_profile", [USER],
                 answer=shape(PublicProfileSchema, nonempty=("badges",),
                              examples={"id": USER, "username": "ayu"}),
                 given="a user exists", params=USER_IDS)
    contract.rpc("get_public_profiles", [[USER]], answer=each(profile_lite(), nonempty=True),
                 given="a user exists", params=USER_IDS)
    contract.rpc("get_user_badges", [USER],
                 answer=each(shape(BadgeProgressSchema), nonempty=True),
                 given="a user exists", params=USER_IDS)
    contract.rpc("follow_user", [OTHER_USER, USER, None], answer=shape(FollowSchema),
                 given="two users exist", params=TWO_USERS)
    contract.rpc("unfollow_user", [OTHER_USER, USER, None], given="a user follows another",
                 params=TWO_USERS)
    contract.rpc("list_followers", [USER], answer=page(shape(FollowerSchema)),
                 given="a user follows another", params=TWO_USERS)
    contract.rpc("list_following", [OTHER_USER], answer=page(shape(FollowerSchema)),
                 given="a user follows another", params=TWO_USERS)
    # the gateway forwards the query string as it came, a cursor too
    contract.rpc("list_followers", [USER], {"cursor": FOLLOWS_CURSOR},
                 answer=page(shape(FollowerSchema)), case=BY_CURSOR,
                 given="a user follows another", params=TWO_USERS)
    contract.rpc("list_following", [OTHER_USER], {"cursor": FOLLOWS_CURSOR},
                 answer=page(shape(FollowerSchema)), case=BY_CURSOR,
                 given="a user follows another", params=TWO_USERS)
    contract.rpc("get_my_rankings", [USER], answer=page(ranking_list()), given=RANKED,
                 params=RANKED_IDS)
    contract.rpc("get_my_list", [USER, DISH_TYPE], answer=ranking_list(), given=RANKED,
                 params=RANKED_IDS)
    contract.rpc("place_dish", [USER, DISH_TYPE, {"dish_id": DISH, "rank": 1}, None],
                 answer=ranking_list(), given="a user and a dish are known", params=RANKED_IDS)
    contract.rpc("remove_dish", [USER, DISH_TYPE, DISH, None],
                 answer=ranking_list(ranked=False), given=RANKED, params=RANKED_IDS)
    contract.rpc("get_dish_stats", [DISH], answer=shape(DishStatsSchema, keep=("average_rank",)),
                 given=RANKED, params=RANKED_IDS)
    contract.rpc("get_best_dishes", kwargs={"dish_type": DISH_TYPE, "city": CITY},
                 answer=page(shape(BestDishSchema)), given=RANKED, params=RANKED_IDS)
    contract.rpc("get_best_dishes",
                 kwargs={"dish_type": DISH_TYPE, "city": CITY, "cursor": BEST_DISHES_CURSOR},
                 answer=page(shape(BestDishSchema)), case=BY_CURSOR, given=RANKED,
                 params=RANKED_IDS)
    contract.rpc("list_reviews", [RESTAURANT], answer=page(review()), given=REVIEWED,
                 params=REVIEW_IDS)
    contract.rpc("list_reviews", [RESTAURANT], {"cursor": REVIEWS_CURSOR}, answer=page(review()),
                 case=BY_CURSOR, given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("create_review", [USER, RESTAURANT, {"rating": 5, "content": "Sedap!"}, None],
                 answer=review(), given="a user and a restaurant are known",
                 params={"user_id": USER, "restaurant_id": RESTAURANT})
    contract.rpc("update_review", [USER, REVIEW, {"rating": 4}, None], answer=review(),
                 given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("update_review", [OTHER_USER, REVIEW, {"rating": 1}, None], error="Forbidden",
                 case="by someone else", given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("delete_review", [USER, REVIEW, None], given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("like_review", [OTHER_USER, REVIEW, None], answer=shape(LikeSchema),
                 given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("unlike_review", [OTHER_USER, REVIEW, None], answer=shape(LikeSchema),
                 given="another user likes a review", params=REVIEW_IDS)
    contract.rpc("list_comments", [REVIEW], answer=page(shape(CommentSchema)),
                 given="a review has a comment", params=REVIEW_IDS)
    contract.rpc("list_comments", [REVIEW], {"cursor": COMMENTS_CURSOR},
                 answer=page(shape(CommentSchema)), case=BY_CURSOR,
                 given="a review has a comment", params=REVIEW_IDS)
    contract.rpc("add_comment", [OTHER_USER, REVIEW, {"content": "Setuju!"}, None],
                 answer=shape(CommentSchema), given=REVIEWED, params=REVIEW_IDS)
    contract.rpc("get_review_summary", [RESTAURANT], answer=shape(ReviewSummarySchema),
                 given=REVIEWED, params=REVIEW_IDS)
    # ranking histories: one's own, another's when public (the viewer: None, anonymous)
    history = page(shape(HistoryEntrySchema, examples={"dish_type": DISH_TYPE,
                                                       "change": "placed"}))
    contract.rpc("get_ranking_history", [USER], {"dish_type": DISH_TYPE}, answer=history,
                 given=RANKED, params=RANKED_IDS)
    contract.rpc("get_ranking_history", [USER], {"cursor": HISTORY_CURSOR}, answer=history,
                 case=BY_CURSOR, given=RANKED, params=RANKED_IDS)
    contract.rpc("update_user", [USER, {"history_public": True}, None],
                 answer=account(),
                 case="the ranking history made public", given="a user exists",
                 params=USER_IDS)
    contract.rpc("get_public_ranking_history", [USER, None], answer=history,
                 given="a user with a public ranking history has ranked a dish",
                 params=RANKED_IDS)
    contract.rpc("get_public_ranking_history", [USER, None], error="Forbidden",
                 case="a history that is not public", given=RANKED, params=RANKED_IDS)
    # favorites: the restaurant is the catalog's, which the gateway asks first
    contract.rpc("favorite_restaurant", [USER, RESTAURANT], answer=shape(FavoriteSchema),
                 given="a user exists", params=USER_IDS)
    contract.rpc("unfavorite_restaurant", [USER, RESTAURANT], given=FAVORITED,
                 params=FAVORITE_IDS)
    contract.rpc("list_favorites", [USER], answer=page(shape(FavoriteSchema)), given=FAVORITED,
                 params=FAVORITE_IDS)
    contract.rpc("list_favorites", [USER], {"cursor": FAVORITES_CURSOR},
                 answer=page(shape(FavoriteSchema)), case=BY_CURSOR, given=FAVORITED,
                 params=FAVORITE_IDS)
    return contract


# --- analytics ---------------------------------------------------------------------------------

def analytics_contract() -> Contract:
    contract = Contract("gateway", "analytics")
    contract.rpc("health")
    viewed = {"restaurant_id": RESTAURANT}
    contract.rpc("get_restaurant_traffic", [RESTAURANT, "week"], answer={
        "view_data": shape(ViewDataSchema),
        "traffic_data": each(shape(DailyViewsSchema, examples={"date": "2026-03-04"}),
                             nonempty=True),
        "hourly_views": an_object(),
        "device_data": shape(DeviceDataSchema),
    }, given="a restaurant has been viewed", params=viewed)
    # trending restaurants: the query as the gateway parsed it (kwargs); the answer a page,
    # its city and period beside it (null: overall, by decayed score)
    trending = shape(TrendingRestaurantSchema, drop=("restaurant",))
    in_a_city = {"dish_id": DISH, "restaurant_id": RESTAURANT, "city": CITY}
    contract.rpc("get_trending_restaurants", kwargs={"limit": 10},
                 answer={**page(trending), "city": None, "period": None},
                 given="a restaurant has been viewed", params=viewed)
    contract.rpc("get_trending_restaurants", kwargs={"limit": 10, "city": CITY},
                 answer={**page(trending), "city": text(CITY), "period": None},
                 case="in a city", given="a dish is trending in a city", params=in_a_city)
    contract.rpc("get_trending_restaurants", kwargs={"limit": 10, "period": "week"},
                 answer={**page(trending), "city": None, "period": text("week")},
                 case="raw views in a period", given="a restaurant has been viewed",
                 params=viewed)
    contract.rpc("get_trending_dishes", [CITY, 10], answer={
        **page(shape(TrendingDishSchema, drop=("dish",), keep=("restaurant_id",))),
        "city": text(CITY),
    }, given="a dish is trending in a city", params=in_a_city)
    contract.rpc("get_top_influencers", [10],
                 answer=page(shape(ExpertSchema, drop=("profile",))),
                 given="a user has followers", params={"user_id": USER})
    contract.rpc("get_leaderboard", [CITY, CUISINE, 10],
                 answer=shape(LeaderboardSchema, drop=("items.restaurant", "users.profile"),
                              keep=("updated_at",), nonempty=("items", "users"),
                              examples={"city": CITY, "cuisine": CUISINE}),
                 given="a leaderboard has been refreshed",
                 params={"city": CITY, "cuisine": CUISINE, "restaurant_id": RESTAURANT,
                         "user_id": USER})
    contract.rpc("record_engagement",
                 [{"entity_type": "restaurant", "entity_id": RESTAURANT,
                   "engagement_type": "click"}], {"user_id": USER, "idempotency_key": None},
                 answer=shape(EngagementSchema, examples={"entity_id": RESTAURANT}))
    contract.rpc("get_restaurant_engagement", [RESTAURANT],
                 answer=shape(RestaurantEngagementSchema, examples={
                     "restaurant_id": RESTAURANT}))
    return contract


# --- orders ------------------------------------------------------------------------------------

PLACED = "a customer has placed an order"
ORDER_IDS = {"customer_id": USER, "order_id": ORDER, "restaurant_id": RESTAURANT,
             "dish_id": DISH, "owner_id": OWNER}
# a cursor as orders gives them (shared.schemas.encode_cursor): the list is newest first,
# and this one is from a time after any order the provider places
BEFORE_THE_ORDER = encode_cursor("customer_orders", ("2100-01-01T00:00:00+00:00", UNKNOWN))
# ... and the restaurant's inbox's, the same way
BEFORE_THE_INBOX = encode_cursor("restaurant_orders", ("2100-01-01T00:00:00+00:00", UNKNOWN))
DELIVERY_ADDRESS = "12 Jalan Sultan Idris Shah, 30000 Ipoh"


def order() -> dict:
    return shape(OrderSchema, nonempty=("items",),
                 examples={"id": ORDER, "customer_id": USER, "status": "PENDING",
                           "currency": "MYR"})


def orders_contract() -> Contract:
    contract = Contract("gateway", "orders")
    contract.rpc("health")
    contract.rpc("create_order", [USER, {"restaurant_id": RESTAURANT,
                                         "items": [{"dish_id": DISH, "quantity": 2}]}],
                 {"idempotency_key": None}, answer=order(),
                 given="a restaurant's dish can be ordered",
                 params={"customer_id": USER, "restaurant_id": RESTAURANT, "dish_id": DISH,
                         "owner_id": OWNER})
    # the gateway forwards the query string as it came: here none, then the next page
    contract.rpc("list_orders", [USER], answer=page(order()), given=PLACED, params=ORDER_IDS)
    contract.rpc("list_orders", [USER], {"limit": "5", "cursor": BEFORE_THE_ORDER},
                 answer=page(order()), case="the next page, by a cursor orders gave",
                 given=PLACED, params=ORDER_IDS)
    # an order to deliver: the address is kept and answered
    contract.rpc("create_order", [USER, {"restaurant_id": RESTAURANT,
                                         "items": [{"dish_id": DISH, "quantity": 2}],
                                         "notes": None, "delivery_address": DELIVERY_ADDRESS}],
                 {"idempotency_key": None},
                 answer=shape(OrderSchema, nonempty=("items",), keep=("delivery_address",),
                              examples={"id": ORDER, "customer_id": USER, "status": "PENDING",
                                        "currency": "MYR",
                                        "delivery_address": DELIVERY_ADDRESS}),
                 case="with a delivery address", given="a restaurant's dish can be ordered",
                 params={"customer_id": USER, "restaurant_id": RESTAURANT, "dish_id": DISH,
                         "owner_id": OWNER})
    # the restaurant's inbox, as its owner sees it: of one status, then the next page
    contract.rpc("list_restaurant_orders", [RESTAURANT, OWNER],
                 {"is_admin": False, "status": "PENDING"}, answer=page(order()),
                 given=PLACED, params=ORDER_IDS)
    contract.rpc("list_restaurant_orders", [RESTAURANT, OWNER],
                 {"is_admin": False, "cursor": BEFORE_THE_INBOX}, answer=page(order()),
                 case="the next page, by a cursor orders gave", given=PLACED,
                 params=ORDER_IDS)
    contract.rpc("get_order", [ORDER, USER], {"is_admin": False}, answer=order(), given=PLACED,
                 params=ORDER_IDS)
    contract.rpc("get_order", [ORDER, OTHER_USER], {"is_admin": False}, error="NotFound",
                 case="by a stranger", given=PLACED, params=ORDER_IDS)
    contract.rpc("change_status", [ORDER, "CONFIRMED", OWNER],
                 {"is_admin": False, "idempotency_key": None}, answer=order(), given=PLACED,
                 params=ORDER_IDS)
    contract.rpc("change_status", [ORDER, "DELIVERED", OWNER],
                 {"is_admin": False, "idempotency_key": None}, error="Conflict",
                 case="a move the status machine refuses", given=PLACED, params=ORDER_IDS)
    contract.rpc("get_order_history", [ORDER, USER], {"is_admin": False},
                 answer=page(shape(StatusChangeSchema)),
                 given="an order's history has been written", params=ORDER_IDS)
    contract.rpc("get_status_metrics", ["2026-03-04T00:00:00+00:00",
                                        "2026-03-05T00:00:00+00:00"],
                 answer=page(shape(StatusMetricSchema)),
                 given="orders changed status on 2026-03-04")
    return contract


# --- the tests: declare, replay the routes that read answers, write ----------------------------

def promised(contract: Contract) -> Promised:
    return Promised(contract.rpcs)


def test_the_gateway_relies_on_the_catalog(tmp_path):
    contract = catalog_contract()
    gateway = gateway_with(catalog=promised(contract))
    restaurant_id, dish_id = uuid.UUID(RESTAURANT), uuid.UUID(DISH)

    listed = gateway.list_restaurants(request(query={"city": CITY}))
    event = gateway.views[-1]  # built from the answer's count, total and items' ids
    assert (event["event_type"], event["payload"]["restaurant_ids"]) == (
        "restaurants_listed", [RESTAURANT])
    assert listed["count"] == 1
    paged = gateway.list_restaurants(request(query={"city": CITY,
                                                    "cursor": BEFORE_THE_RESTAURANT}))
    assert paged["items"][0]["id"] == RESTAURANT
    # the gateway forwards the query string as it came: the pact's kwargs, strings
    nearby = gateway.nearby_restaurants(request(query=NEAR_IPOH))
    assert nearby["items"][0]["id"] == RESTAURANT
    assert gateway.get_restaurant(request(), restaurant_id=restaurant_id)["id"] == RESTAURANT
    assert gateway.views[-1]["payload"]["restaurant_id"] == RESTAURANT
    # the owner may change it: the gateway reads get_restaurant's owner_id, and get_dish's
    # restaurant_id for a dish
    changed = gateway.update_restaurant(
        request("PATCH", user=OWNER, body={"name": "Warung Contract Baru"}),
        restaurant_id=restaurant_id)
    assert changed["id"] == RESTAURANT
    assert gateway.update_dish(request("PATCH", user=OWNER, body={"price": "13.50"}),
                               dish_id=dish_id)["id"] == DISH
    created = gateway.create_restaurant(request("POST", user=OWNER, body={
        "name": "Warung Contract", "city": CITY, "cuisine_type": [CUISINE]}))
    assert created["owner_id"] == OWNER
    cuisines = gateway.list_cuisines(request())  # the list's shape, around what it answers
    assert (cuisines["items"], cuisines["total"]) == ([{"name": CUISINE}], 1)
    contract.write(tmp_path)


def test_the_gateway_relies_on_rankings(tmp_path):
    contract = rankings_contract()
    gateway = gateway_with(rankings=promised(contract))
    # signing in reads the account's id and role
    token = gateway.login(request("POST", body={"email": EMAIL, "password": PASSWORD}))
    assert token["token_type"] == "bearer" and token["refresh_token"] == REFRESH_TOKEN
    renewed = gateway.refresh(request("POST", body={"refresh_token": REFRESH_TOKEN}))
    assert renewed["refresh_token"] == REFRESH_TOKEN and renewed["expires_in"] > 0
    assert gateway.logout(request("POST", body={"refresh_token": REFRESH_TOKEN})) is None
    assert gateway.change_password(request("POST", user=USER, body={
        "current_password": PASSWORD, "new_password": NEW_PASSWORD})) is None
    stats = gateway.get_dish_stats(request(), dish_id=uuid.UUID(DISH))
    assert stats["dish_id"] == DISH
    assert gateway.views[-1]["payload"]["dish_id"] == DISH
    # the next pages, by the cursors rankings gave: forwarded as they came
    for route, ids, cursor in [
        (gateway.list_followers, {"user_id": uuid.UUID(USER)}, FOLLOWS_CURSOR),
        (gateway.list_following, {"user_id": uuid.UUID(OTHER_USER)}, FOLLOWS_CURSOR),
        (gateway.list_reviews, {"restaurant_id": uuid.UUID(RESTAURANT)}, REVIEWS_CURSOR),
        (gateway.list_comments, {"review_id": uuid.UUID(REVIEW)}, COMMENTS_CURSOR),
    ]:
        assert route(request(query={"cursor": cursor}), **ids)["count"] == 1
    best = gateway.get_best_dishes(request(query={
        "dish_type": DISH_TYPE, "city": CITY, "cursor": BEST_DISHES_CURSOR}))
    assert best["count"] == 1
    # histories: the query string forwarded as it came; the viewer of an anonymous read
    # is None
    for query in ({"dish_type": DISH_TYPE}, {"cursor": HISTORY_CURSOR}):
        assert gateway.get_my_ranking_history(request(user=USER, query=query))["count"] == 1
    public = gateway.get_user_ranking_history(request(), user_id=uuid.UUID(USER))
    assert public["items"][0]["change"] == "placed"
    contract.write(tmp_path)


def test_the_gateway_joins_favorites_with_the_catalogs_restaurants():
    """The gateway reads each favorite's restaurant_id to join the catalog's restaurant
    (and asks the catalog whether a restaurant exists before favoriting it). The pact is
    written by test_the_gateway_relies_on_rankings."""
    gateway = gateway_with(rankings=promised(rankings_contract()),
                           catalog=promised(catalog_contract()))
    restaurant_id = uuid.UUID(RESTAURANT)
    favorite = gateway.favorite_restaurant(request("PUT", user=USER),
                                           restaurant_id=restaurant_id)
    assert (favorite["restaurant_id"], favorite["restaurant"]["id"]) == (RESTAURANT, RESTAURANT)
    for query in ({}, {"cursor": FAVORITES_CURSOR}):
        listed = gateway.list_favorites(request(user=USER, query=query))
        assert listed["items"][0]["restaurant"]["id"] == RESTAURANT
    assert gateway.unfavorite_restaurant(request("DELETE", user=USER),
                                         restaurant_id=restaurant_id) is None


def test_the_gateway_relies_on_analytics(tmp_path):
    contract = analytics_contract()
    gateway = gateway_with(analytics=promised(contract),
                           catalog=promised(catalog_contract()),
                           rankings=promised(rankings_contract()))
    dashboard = gateway.get_restaurant_analytics(
        request(user=OWNER, query={"period": "week"}), restaurant_id=uuid.UUID(RESTAURANT))
    assert not dashboard["partial"]
    assert dashboard["view_data"]["view_count"] == 1
    # the joins read each item's id and each found object's id
    for query in ({}, {"city": CITY}, {"period": "week"}):
        trending = gateway.get_trending_restaurants(request(query=query))
        assert trending["items"][0]["restaurant"]["id"] == RESTAURANT
        assert (trending["city"], trending["period"]) == (query.get("city"),
                                                          query.get("period"))
    dishes = gateway.get_trending_dishes(request(query={"city": CITY}))
    assert dishes["items"][0]["dish"]["id"] == DISH
    experts = gateway.get_experts(request())
    assert experts["items"][0]["profile"]["id"] == USER
    board = gateway.get_leaderboard(request(), city=CITY, cuisine=CUISINE)
    assert board["items"][0]["restaurant"]["id"] == RESTAURANT
    assert board["users"][0]["profile"]["id"] == USER
    # the owner reads its counters: the gateway reads get_restaurant's owner_id first
    engagement = gateway.get_restaurant_engagement(request(user=OWNER),
                                                   restaurant_id=uuid.UUID(RESTAURANT))
    assert engagement["restaurant_id"] == RESTAURANT
    engaged = gateway.record_engagement(request("POST", user=USER, body={
        "entity_type": "restaurant", "entity_id": RESTAURANT, "engagement_type": "click"}))
    assert engaged["count"] == 1
    contract.write(tmp_path)


def test_the_gateway_relies_on_orders(tmp_path):
    contract = orders_contract()
    gateway = gateway_with(orders=promised(contract))
    placed = gateway.create_order(request("POST", user=USER, body={
        "restaurant_id": RESTAURANT, "items": [{"dish_id": DISH, "quantity": 2}]}))
    assert placed["id"] == ORDER
    assert gateway.list_orders(request(user=USER))["items"][0]["id"] == ORDER
    paged = gateway.list_orders(request(user=USER, query={"limit": "5",
                                                          "cursor": BEFORE_THE_ORDER}))
    assert paged["items"][0]["id"] == ORDER
    delivered = gateway.create_order(request("POST", user=USER, body={
        "restaurant_id": RESTAURANT, "items": [{"dish_id": DISH, "quantity": 2}],
        "delivery_address": DELIVERY_ADDRESS}))
    assert delivered["delivery_address"] == DELIVERY_ADDRESS
    inbox = gateway_with(orders=promised(contract), catalog=promised(catalog_contract()))
    for query in ({"status": "PENDING"}, {"cursor": BEFORE_THE_INBOX}):  # the owner's
        listed = inbox.list_restaurant_orders(request(user=OWNER, query=query),
                                              restaurant_id=uuid.UUID(RESTAURANT))
        assert listed["items"][0]["id"] == ORDER
    metrics = gateway.get_order_metrics(request(user=USER, role="admin", query={
        "from": "2026-03-04T00:00:00+00:00", "to": "2026-03-05T00:00:00+00:00"}))
    assert metrics["items"] and metrics["count"] == 1
    assert metrics["from"] == "2026-03-04T00:00:00+00:00"
    history = gateway.get_order_history(request(user=USER), order_id=uuid.UUID(ORDER))
    assert history["items"] and history["count"] == 1
    contract.write(tmp_path)

