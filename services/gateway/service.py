"""HTTP routes: validate the request, ask the owning service, answer JSON."""

from __future__ import annotations

import logging

import eventlet
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from services.analytics.contract.rpc import (
    DashboardQuery,
    EngagementInput,
    EngagementSchema,
    TopQuery,
    TrendingDishesQuery,
    TrendingRestaurantsQuery,
)
from services.catalog.contract.rpc import (
    DishInputSchema,
    DishSchema,
    DishSearchQuery,
    DishSearchResultSchema,
    MenuQuery,
    RestaurantInputSchema,
    RestaurantListQuery,
    RestaurantSchema,
)
from services.gateway import domain
from services.gateway.access import ADMIN, ANYONE, SIGNED_IN, Access, authorize, owner_of, parties
from services.gateway.auth import Identity, LoginThrottle, TokenSettings, WriteLimit, issue_token
from services.gateway.config import DOWNSTREAM
from services.gateway.contract.events import (
    DISH_VIEWED,
    RESTAURANT_MENU_VIEWED,
    RESTAURANT_REVIEWS_VIEWED,
    RESTAURANT_VIEWED,
)
from services.gateway.http import idempotency_key, json_body, json_response, route
from services.gateway.openapi import openapi_document
from services.gateway.schemas import (
    AcceptedSchema,
    AccessTokenSchema,
    DashboardSchema,
    ExpertsSchema,
    HealthSchema,
    LeaderboardSchema,
    OrderMetricsQuery,
    ReadySchema,
    TrackViewInput,
    TrendingDishesSchema,
    TrendingRestaurantsSchema,
    view_event_payload,
)
from services.orders.contract.rpc import (
    OrderHistorySchema,
    OrderInput,
    OrderMetricsSchema,
    OrderSchema,
    OrdersQuery,
    OrderStatusInput,
)
from services.rankings.contract.rpc import (
    BadgeProgressSchema,
    BestDishesQuery,
    BestDishSchema,
    CommentInput,
    CommentSchema,
    CommentsQuery,
    CredentialsInput,
    DishStatsSchema,
    FollowerSchema,
    FollowSchema,
    FollowsQuery,
    LikeSchema,
    PlaceDishInput,
    PublicProfileSchema,
    RankingListSchema,
    RegisterInput,
    ReviewInput,
    ReviewSchema,
    ReviewsQuery,
    UserPrivateSchema,
    UserUpdateInput,
)
from shared.context import CorrelationId
from shared.contract import EventType
from shared.errors import ServiceUnavailable, Unauthorized
from shared.events import EventDispatcher
from shared.rpc import RpcClient, count_consumers
from shared.schemas import load, load_query

log = logging.getLogger(__name__)

RESTAURANT = "/restaurants/<uuid:restaurant_id>"
DISH = "/dishes/<uuid:dish_id>"
USER = "/users/<uuid:user_id>"
REVIEW = "/reviews/<uuid:review_id>"
# a dish type is free text, URL-encoded in the path (/rankings/my/nasi%20lemak)
MY_LIST = "/rankings/my/<string(minlength=1, maxlength=100):dish_type>"
ORDER = "/orders/<uuid:order_id>"
READ_METHODS = ("GET", "HEAD", "OPTIONS")
AUTHOR = parties("the review's author")
ORDER_PARTIES = parties("the order's customer, the restaurant's owner or an admin; others get 404")
ORDER_MOVERS = parties("the restaurant's owner or an admin moves an order on; its customer may "
                       "cancel it; others get 404")
LEADERBOARD = ("/leaderboards/<string(minlength=1, maxlength=100):city>"
               "/<string(minlength=1, maxlength=100):cuisine>")


class Config(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return self.container.config


class Auth:
    """What signing in needs: the token settings, the failed sign-in counts and the write
    allowances."""

    def __init__(self, tokens: TokenSettings | None, throttle: LoginThrottle,
                 writes: WriteLimit):
        self.tokens = tokens
        self.throttle = throttle
        self.writes = writes


class AuthProvider(DependencyProvider):
    """One Auth per gateway process: every worker counts sign-ins in the same windows."""

    def setup(self):
        config = self.container.config
        secret = config.get("JWT_SECRET")
        tokens = TokenSettings(
            secret=secret,
            algorithm=config.get("JWT_ALGORITHM", "HS256"),
            ttl_seconds=int(config.get("JWT_TTL_SECONDS", 3600)),
            issuer=config.get("JWT_ISSUER", "bellyfed"),
            audience=config.get("JWT_AUDIENCE", "bellyfed-clients"),
        ) if secret else None  # config.load() refuses to start without one
        self.auth = Auth(tokens, LoginThrottle(
            per_account=int(config.get("LOGIN_MAX_FAILURES_PER_ACCOUNT", 5)),
            per_address=int(config.get("LOGIN_MAX_FAILURES_PER_ADDRESS", 20)),
            window=float(config.get("LOGIN_WINDOW_SECONDS", 900)),
        ), WriteLimit(
            per_user=int(config.get("WRITE_LIMIT_PER_USER", 120)),
            per_address=int(config.get("WRITE_LIMIT_PER_ADDRESS", 600)),
            window=float(config.get("WRITE_WINDOW_SECONDS", 60)),
        ))

    def get_dependency(self, worker_ctx):
        return self.auth


def forwarded(query_schema, request) -> tuple[dict, dict]:
    """Validate the query string (400 if bad): (raw parameters to forward, parsed values)."""
    args = request.args.to_dict()
    parsed = load_query(query_schema(), args)
    return {key: args[key] for key in query_schema().fields if key in args}, parsed


def parsed_query(query_schema, request) -> dict:
    """The query string's values, validated (400 if bad)."""
    return load_query(query_schema(), request.args.to_dict())


def at_once(**calls) -> dict:
    """Run the calls concurrently: `{name: its answer, or the exception it raised}`.

    Each RPC keeps its own timeout, so together they take as long as the slowest, at most
    one RPC timeout, not the sum.
    """
    threads = {name: eventlet.spawn(call) for name, call in calls.items()}
    outcomes = {}
    for name, thread in threads.items():
        try:
            outcomes[name] = thread.wait()
        except Exception as exc:
            outcomes[name] = exc
    return outcomes


def read_all(bulk_read, ids: list[str]) -> list[dict]:
    """One bulk read for every id (none when there is nothing to ask for)."""
    return bulk_read(ids) if ids else []


class GatewayService:
    name = "gateway"

    catalog = RpcClient("catalog")
    rankings = RpcClient("rankings")
    analytics = RpcClient("analytics")
    orders = RpcClient("orders")
    dispatch = EventDispatcher()
    config = Config()
    auth = AuthProvider()
    correlation = CorrelationId()

    def emit_view_event(self, event: EventType, payload: dict) -> None:
        """Analytics events are best effort: a failed dispatch never fails the read."""
        try:
            self.dispatch(event, view_event_payload(event, payload))
        except Exception:
            log.warning("could not dispatch %s", event, exc_info=True)

    def authorize(self, access: Access, request, path_values: dict) -> Identity | None:
        """Who is asking, once `access` lets them (see http.route): 401/403/404 otherwise,
        and 429 past their share of writes."""
        identity = domain.acting_identity(request, self.auth.tokens)
        authorize(access, identity, lambda: self.restaurant_owner(access.owns, path_values))
        if request.method not in READ_METHODS:
            self.auth.writes.check(identity, request.remote_addr)
        return identity

    def restaurant_owner(self, parameter: str, path_values: dict) -> str | None:
        """The owner of the restaurant a path names: itself, or the dish of one (404 if
        there is no such restaurant or dish)."""
        restaurant_id = str(path_values[parameter])
        if parameter == "dish_id":
            restaurant_id = self.catalog.get_dish(restaurant_id)["restaurant_id"]
        return self.catalog.get_restaurant(restaurant_id)["owner_id"]

    def view_context(self, request) -> dict:
        return domain.view_context(request, request.identity)

    # --- operations -------------------------------------------------------------------

    @route("GET", "/health", summary="The gateway process is up", tag="operations",
           response=HealthSchema, access=ANYONE)
    def health(self, request):
        return {"status": "ok", "service": self.name}

    @route("GET", "/ready", summary="Broker and downstream services are reachable",
           tag="operations", response=ReadySchema, errors=(503,), access=ANYONE)
    def ready(self, request):
        timeout = self.config["READY_TIMEOUT"]
        checks = {"broker": self.check_broker(timeout)}
        pending = {name: eventlet.spawn(self.check_service, name, timeout) for name in DOWNSTREAM}
        checks.update({name: thread.wait() for name, thread in pending.items()})
        if any(result != "ok" for result in checks.values()):
            raise ServiceUnavailable("not ready", {"checks": checks})
        return {"status": "ready", "checks": checks}

    def check_broker(self, timeout: float) -> str:
        try:
            with Connection(self.config[AMQP_URI_CONFIG_KEY], connect_timeout=timeout) as conn:
                conn.ensure_connection(max_retries=1, timeout=timeout)
            return "ok"
        except Exception:
            return "unreachable"

    def check_service(self, name: str, timeout: float) -> str:
        try:
            with eventlet.Timeout(timeout):
                getattr(self, name).health()
            return "ok"
        except ServiceUnavailable:
            return "unavailable"
        except eventlet.Timeout:
            # no answer in time: gone (its queue outlives it), or there but slow
            consumers = count_consumers(self.config[AMQP_URI_CONFIG_KEY], name)
            return "unhealthy" if consumers else "unavailable"
        except Exception:
            return "unhealthy"

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", tag="operations",
           access=ANYONE)
    def openapi(self, request):
        return json_response(openapi_document(type(self)))

    # --- restaurants ------------------------------------------------------------------

    @route("GET", "/restaurants", summary="List restaurants by city, cuisine or text",
           tag="catalog", query=RestaurantListQuery, response=RestaurantSchema, paged=True,
           errors=(400,), access=ANYONE)
    def list_restaurants(self, request):
        args, query = forwarded(RestaurantListQuery, request)
        answer = self.catalog.list_restaurants(**args)
        self.emit_view_event(*domain.listing_event(query, answer, self.view_context(request)))
        return answer

    @route("GET", RESTAURANT, summary="One restaurant", tag="catalog",
           response=RestaurantSchema, errors=(404,), access=ANYONE)
    def get_restaurant(self, request, restaurant_id):
        restaurant = self.catalog.get_restaurant(str(restaurant_id))
        self.emit_view_event(RESTAURANT_VIEWED, domain.restaurant_event(
            restaurant["id"], self.view_context(request)))
        return restaurant

    @route("GET", RESTAURANT + "/menu", summary="A restaurant's dishes", tag="catalog",
           query=MenuQuery, response=DishSchema, paged=True, errors=(400, 404), access=ANYONE)
    def get_menu(self, request, restaurant_id):
        args, _ = forwarded(MenuQuery, request)
        menu = self.catalog.get_menu(str(restaurant_id), **args)
        self.emit_view_event(RESTAURANT_MENU_VIEWED, domain.restaurant_event(
            str(restaurant_id), self.view_context(request)))
        return menu

    @route("GET", "/dishes/search", summary="Full-text search over available dishes",
           tag="catalog", query=DishSearchQuery, response=DishSearchResultSchema, paged=True,
           errors=(400,), access=ANYONE)
    def search_dishes(self, request):
        args, _ = forwarded(DishSearchQuery, request)
        return self.catalog.search_dishes(**args)

    # --- catalog writes: a restaurant's owner (its creator) or an admin -----------------

    @route("POST", "/restaurants", summary="Create a restaurant: you become its owner",
           tag="catalog", body=RestaurantInputSchema, response=RestaurantSchema, status=201,
           errors=(400, 401, 413, 422), access=SIGNED_IN)
    def create_restaurant(self, request):
        return self.catalog.create_restaurant(json_body(request), idempotency_key(request),
                                              owner_id=request.identity.user_id)

    @route("PATCH", RESTAURANT, summary="Change a restaurant", tag="catalog",
           body=RestaurantInputSchema, response=RestaurantSchema,
           errors=(400, 401, 403, 404, 413, 422), access=owner_of("restaurant_id"))
    def update_restaurant(self, request, restaurant_id):
        return self.catalog.update_restaurant(str(restaurant_id), json_body(request),
                                              idempotency_key(request))

    @route("DELETE", RESTAURANT, summary="Delete a restaurant and its dishes",
           tag="catalog", status=204, errors=(401, 403, 404),
           access=owner_of("restaurant_id"))
    def delete_restaurant(self, request, restaurant_id):
        self.catalog.delete_restaurant(str(restaurant_id), idempotency_key(request))

    @route("POST", RESTAURANT + "/dishes", summary="Add a dish to a restaurant's menu",
           tag="catalog", body=DishInputSchema, response=DishSchema, status=201,
           errors=(400, 401, 403, 404, 413, 422), access=owner_of("restaurant_id"))
    def create_dish(self, request, restaurant_id):
        return self.catalog.create_dish(str(restaurant_id), json_body(request),
                                        idempotency_key(request))

    @route("PATCH", DISH, summary="Change a dish", tag="catalog", body=DishInputSchema,
           response=DishSchema, errors=(400, 401, 403, 404, 413, 422),
           access=owner_of("dish_id"))
    def update_dish(self, request, dish_id):
        return self.catalog.update_dish(str(dish_id), json_body(request), idempotency_key(request))

    @route("DELETE", DISH, summary="Delete a dish", tag="catalog", status=204,
           errors=(401, 403, 404), access=owner_of("dish_id"))
    def delete_dish(self, request, dish_id):
        self.catalog.delete_dish(str(dish_id), idempotency_key(request))

    # --- users ------------------------------------------------------------------------

    @route("POST", "/auth/register", summary="Create an account", tag="users",
           body=RegisterInput, response=UserPrivateSchema, status=201,
           errors=(400, 409, 413, 422), access=ANYONE)
    def register(self, request):
        return self.rankings.register_user(json_body(request), idempotency_key(request))

    @route("POST", "/auth/login", summary="Sign in: an access token for the Authorization "
           "header", tag="users", body=CredentialsInput, response=AccessTokenSchema,
           errors=(400, 401, 413, 422, 429), access=ANYONE)
    def login(self, request):
        credentials = load(CredentialsInput(), json_body(request))
        email, address = credentials["email"], request.remote_addr
        if self.auth.tokens is None:
            raise ServiceUnavailable("sign-in is not configured on this gateway")
        self.auth.throttle.check(email, address)
        try:
            user = self.rankings.verify_credentials(email, credentials["password"])
        except Unauthorized:
            self.auth.throttle.failed(email, address)
            raise
        self.auth.throttle.succeeded(email)
        return issue_token(self.auth.tokens, user["id"], user["role"])

    @route("GET", "/users/me", summary="The signed-in user's account", tag="users",
           response=UserPrivateSchema, errors=(404,), access=SIGNED_IN)
    def get_me(self, request):
        return self.rankings.get_user(request.identity.user_id)

    @route("PATCH", "/users/me", summary="Change the signed-in user's profile", tag="users",
           body=UserUpdateInput, response=UserPrivateSchema,
           errors=(404, 413, 422), access=SIGNED_IN)
    def update_me(self, request):
        user_id = request.identity.user_id
        return self.rankings.update_user(user_id, json_body(request), idempotency_key(request))

    @route("GET", USER, summary="A user's public profile: points, badges, career level",
           tag="users", response=PublicProfileSchema, errors=(404,), access=ANYONE)
    def get_profile(self, request, user_id):
        return self.rankings.get_public_profile(str(user_id))

    @route("POST", USER + "/follow", summary="Follow a user", tag="users",
           response=FollowSchema, errors=(404, 422), access=SIGNED_IN)
    def follow(self, request, user_id):
        return self.rankings.follow_user(request.identity.user_id, str(user_id),
                                         idempotency_key(request))

    @route("DELETE", USER + "/follow", summary="Stop following a user", tag="users",
           status=204, errors=(404,), access=SIGNED_IN)
    def unfollow(self, request, user_id):
        self.rankings.unfollow_user(request.identity.user_id, str(user_id),
                                    idempotency_key(request))

    @route("GET", USER + "/followers", summary="Who follows a user, newest first",
           tag="users", query=FollowsQuery, response=FollowerSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_followers(self, request, user_id):
        args, _ = forwarded(FollowsQuery, request)
        return self.rankings.list_followers(str(user_id), **args)

    @route("GET", USER + "/following", summary="Whom a user follows, newest first",
           tag="users", query=FollowsQuery, response=FollowerSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_following(self, request, user_id):
        args, _ = forwarded(FollowsQuery, request)
        return self.rankings.list_following(str(user_id), **args)

    @route("GET", USER + "/badges", summary="Every badge, with the user's progress to it",
           tag="users", response=BadgeProgressSchema, many=True, errors=(404,), access=ANYONE)
    def list_badges(self, request, user_id):
        return self.rankings.get_user_badges(str(user_id))

    # --- rankings ---------------------------------------------------------------------

    @route("GET", "/rankings/my", summary="The signed-in user's lists, one per dish type",
           tag="rankings", response=RankingListSchema, paged=True, errors=(404,), access=SIGNED_IN)
    def get_my_rankings(self, request):
        return self.rankings.get_my_rankings(request.identity.user_id)

    @route("GET", MY_LIST, summary="The signed-in user's list of one dish type, by rank",
           tag="rankings", response=RankingListSchema, errors=(404, 422), access=SIGNED_IN)
    def get_my_list(self, request, dish_type):
        return self.rankings.get_my_list(request.identity.user_id, dish_type)

    @route("PUT", MY_LIST, summary="Place a dish at a rank, or give it a taste status",
           tag="rankings", body=PlaceDishInput, response=RankingListSchema,
           errors=(404, 413, 422), access=SIGNED_IN)
    def place_dish(self, request, dish_type):
        user_id = request.identity.user_id
        return self.rankings.place_dish(user_id, dish_type, json_body(request),
                                        idempotency_key(request))

    @route("DELETE", MY_LIST + "/<uuid:dish_id>", summary="Take a dish off the list",
           tag="rankings", response=RankingListSchema, errors=(404, 422), access=SIGNED_IN)
    def remove_dish(self, request, dish_type, dish_id):
        return self.rankings.remove_dish(request.identity.user_id, dish_type, str(dish_id),
                                         idempotency_key(request))

    @route("GET", DISH + "/rankings", summary="How a dish is ranked and tasted",
           tag="rankings", response=DishStatsSchema, errors=(404,), access=ANYONE)
    def get_dish_stats(self, request, dish_id):
        stats = self.rankings.get_dish_stats(str(dish_id))
        self.emit_view_event(DISH_VIEWED, domain.dish_event(str(dish_id),
                                                              self.view_context(request)))
        return stats

    @route("GET", "/rankings/best", summary="The best dishes of a type in a city",
           tag="rankings", query=BestDishesQuery, response=BestDishSchema, paged=True,
           errors=(400,), access=ANYONE)
    def get_best_dishes(self, request):
        args, _ = forwarded(BestDishesQuery, request)
        return self.rankings.get_best_dishes(**args)

    # --- reviews ----------------------------------------------------------------------

    @route("GET", RESTAURANT + "/reviews", summary="A restaurant's reviews, newest first",
           tag="reviews", query=ReviewsQuery, response=ReviewSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_reviews(self, request, restaurant_id):
        args, _ = forwarded(ReviewsQuery, request)
        reviews = self.rankings.list_reviews(str(restaurant_id), **args)
        self.emit_view_event(RESTAURANT_REVIEWS_VIEWED, domain.restaurant_event(
            str(restaurant_id), self.view_context(request)))
        return reviews

    @route("POST", RESTAURANT + "/reviews", summary="Review a restaurant (once)",
           tag="reviews", body=ReviewInput, response=ReviewSchema, status=201,
           errors=(404, 413, 422), access=SIGNED_IN)
    def create_review(self, request, restaurant_id):
        user_id = request.identity.user_id
        return self.rankings.create_review(user_id, str(restaurant_id), json_body(request),
                                           idempotency_key(request))

    @route("PATCH", REVIEW, summary="Change your review", tag="reviews", body=ReviewInput,
           response=ReviewSchema, errors=(403, 404, 413, 422), access=AUTHOR)
    def update_review(self, request, review_id):
        user_id = request.identity.user_id
        return self.rankings.update_review(user_id, str(review_id), json_body(request),
                                           idempotency_key(request))

    @route("DELETE", REVIEW, summary="Delete your review", tag="reviews", status=204,
           errors=(403, 404), access=AUTHOR)
    def delete_review(self, request, review_id):
        self.rankings.delete_review(request.identity.user_id, str(review_id),
                                    idempotency_key(request))

    @route("POST", REVIEW + "/like", summary="Like a review", tag="reviews",
           response=LikeSchema, errors=(404,), access=SIGNED_IN)
    def like_review(self, request, review_id):
        return self.rankings.like_review(request.identity.user_id, str(review_id),
                                         idempotency_key(request))

    @route("DELETE", REVIEW + "/like", summary="Take back your like", tag="reviews",
           response=LikeSchema, errors=(404,), access=SIGNED_IN)
    def unlike_review(self, request, review_id):
        return self.rankings.unlike_review(request.identity.user_id, str(review_id),
                                           idempotency_key(request))

    @route("GET", REVIEW + "/comments", summary="A review's comments, oldest first",
           tag="reviews", query=CommentsQuery, response=CommentSchema, paged=True,
           errors=(400, 404), access=ANYONE)
    def list_comments(self, request, review_id):
        args, _ = forwarded(CommentsQuery, request)
        return self.rankings.list_comments(str(review_id), **args)

    @route("POST", REVIEW + "/comments", summary="Comment on a review", tag="reviews",
           body=CommentInput, response=CommentSchema, status=201,
           errors=(404, 413, 422), access=SIGNED_IN)
    def add_comment(self, request, review_id):
        user_id = request.identity.user_id
        return self.rankings.add_comment(user_id, str(review_id), json_body(request),
                                         idempotency_key(request))

    # --- analytics --------------------------------------------------------------------

    @route("POST", RESTAURANT + "/analytics", summary="Record a view of a restaurant",
           tag="analytics", body=TrackViewInput, response=AcceptedSchema, status=202,
           errors=(400, 404, 413, 422), access=ANYONE)
    def track_restaurant_view(self, request, restaurant_id):
        body = load(TrackViewInput(), json_body(request))
        key = idempotency_key(request)
        restaurant = self.catalog.get_restaurant(str(restaurant_id))
        payload = view_event_payload(RESTAURANT_VIEWED, domain.tracked_view_event(
            restaurant["id"], self.view_context(request), body))
        try:
            # a retried request (same key) is the same view: analytics counts it once
            self.dispatch(RESTAURANT_VIEWED, payload,
                          event_id=domain.view_event_id(restaurant["id"], payload, key))
        except Exception:
            # unlike the views our own reads report, the client asked for this one: say so
            log.warning("could not dispatch restaurant_viewed", exc_info=True)
            raise ServiceUnavailable("the view could not be recorded, try again",
                                     {"service": "broker"}) from None
        return {"status": "accepted"}

    @route("GET", RESTAURANT + "/analytics", summary="A restaurant's dashboard: views, "
           "unique viewers, traffic by day and hour, devices, reviews", tag="analytics",
           query=DashboardQuery, response=DashboardSchema,
           errors=(400, 401, 403, 404), access=owner_of("restaurant_id"))
    def get_restaurant_analytics(self, request, restaurant_id):
        period = parsed_query(DashboardQuery, request)["period"]
        restaurant_id = str(restaurant_id)
        answers, unavailable = domain.settle(at_once(
            catalog=lambda: self.catalog.get_restaurant(restaurant_id),
            analytics=lambda: self.analytics.get_restaurant_traffic(restaurant_id, period),
            rankings=lambda: self.rankings.get_review_summary(restaurant_id),
        ), optional=("analytics", "rankings"))
        return domain.dashboard(answers["catalog"], period, answers["analytics"],
                                answers["rankings"], unavailable)

    @route("GET", "/trending/restaurants", summary="The most viewed restaurants of a period",
           tag="analytics", query=TrendingRestaurantsQuery, response=TrendingRestaurantsSchema,
           errors=(400,), access=ANYONE)
    def get_trending_restaurants(self, request):
        query = parsed_query(TrendingRestaurantsQuery, request)
        trending = self.analytics.get_trending_restaurants(query["period"], query["limit"])
        items = trending["items"]
        restaurants = read_all(self.catalog.get_restaurants,
                               domain.ids_to_fetch(items, "restaurant_id"))
        return {"items": domain.joined(items, "restaurant_id", restaurants, "restaurant"),
                "period": trending["period"]}

    @route("GET", "/trending/dishes", summary="A city's trending dishes: rankings and views, "
           "decayed with a 7-day half-life", tag="analytics", query=TrendingDishesQuery,
           response=TrendingDishesSchema, errors=(400,), access=ANYONE)
    def get_trending_dishes(self, request):
        query = parsed_query(TrendingDishesQuery, request)
        trending = self.analytics.get_trending_dishes(query["city"], query["limit"])
        items = trending["items"]
        dishes = read_all(self.catalog.get_dishes, domain.ids_to_fetch(items, "dish_id"))
        return {"items": domain.joined(items, "dish_id", dishes, "dish"),
                "city": trending["city"]}

    @route("GET", "/experts", summary="The most influential users, with their profiles",
           tag="analytics", query=TopQuery, response=ExpertsSchema, errors=(400,), access=ANYONE)
    def get_experts(self, request):
        query = parsed_query(TopQuery, request)
        items = self.analytics.get_top_influencers(query["limit"])["items"]
        profiles = read_all(self.rankings.get_public_profiles,
                            domain.ids_to_fetch(items, "user_id"))
        return {"items": domain.joined(items, "user_id", profiles, "profile")}

    @route("GET", LEADERBOARD, summary="Top restaurants and users of a city and cuisine",
           tag="analytics", query=TopQuery, response=LeaderboardSchema, errors=(400,),
           access=ANYONE)
    def get_leaderboard(self, request, city, cuisine):
        query = parsed_query(TopQuery, request)
        board = self.analytics.get_leaderboard(city, cuisine, query["limit"])
        restaurant_ids = domain.ids_to_fetch(board["restaurants"], "restaurant_id")
        user_ids = domain.ids_to_fetch(board["users"], "user_id")
        found, _ = domain.settle(at_once(
            restaurants=lambda: read_all(self.catalog.get_restaurants, restaurant_ids),
            users=lambda: read_all(self.rankings.get_public_profiles, user_ids),
        ))
        return {
            **board,
            "restaurants": domain.joined(board["restaurants"], "restaurant_id",
                                         found["restaurants"], "restaurant"),
            "users": domain.joined(board["users"], "user_id", found["users"], "profile"),
        }

    @route("POST", "/engagement", summary="Record a click, share, save, call… on a "
           "restaurant, dish, menu or reviews page", tag="analytics", body=EngagementInput,
           response=EngagementSchema, status=201, errors=(400, 413, 422), access=ANYONE)
    def record_engagement(self, request):
        fields = load(EngagementInput(), json_body(request))
        data = {**fields, "entity_id": str(fields["entity_id"])}
        return self.analytics.record_engagement(data, user_id=domain.user_id_of(request.identity),
                                                idempotency_key=idempotency_key(request))

    # --- orders -----------------------------------------------------------------------
    # The orders service decides who may see or move an order (customer, the restaurant's
    # owner, an admin: ORDER_PARTIES); the gateway says who is asking and refuses malformed
    # requests before anyone is asked. GET /orders/metrics cannot be taken for an order id: the
    # uuid converter refuses "metrics".

    @route("POST", "/orders", summary="Order dishes of one restaurant (prices are the "
           "catalog's)", tag="orders", body=OrderInput, response=OrderSchema, status=201,
           errors=(413, 422), access=SIGNED_IN)
    def create_order(self, request):
        customer_id = request.identity.user_id
        fields = load(OrderInput(), json_body(request))
        return self.orders.create_order(customer_id, domain.order_request(fields),
                                        idempotency_key=idempotency_key(request))

    @route("GET", "/orders", summary="The signed-in user's orders, newest first",
           tag="orders", query=OrdersQuery, response=OrderSchema, paged=True,
           errors=(400,), access=SIGNED_IN)
    def list_orders(self, request):
        customer_id = request.identity.user_id
        query = parsed_query(OrdersQuery, request)
        return self.orders.list_orders(customer_id, limit=query["limit"],
                                       offset=query["offset"])

    @route("GET", "/orders/metrics", summary="Orders reaching each status per hour: counts "
           "and values (at most 31 days)", tag="orders", query=OrderMetricsQuery,
           response=OrderMetricsSchema, errors=(400, 401, 403), access=ADMIN)
    def get_order_metrics(self, request):
        start, end = domain.metrics_window(parsed_query(OrderMetricsQuery, request))
        return self.orders.get_status_metrics(start, end)

    @route("GET", ORDER, summary="One order: its customer, the restaurant's owner or an "
           "admin", tag="orders", response=OrderSchema, errors=(403, 404),
           access=ORDER_PARTIES)
    def get_order(self, request, order_id):
        actor = request.identity
        return self.orders.get_order(str(order_id), actor.user_id, is_admin=actor.is_admin)

    @route("POST", ORDER + "/status", summary="Move an order on (the restaurant's owner, an "
           "admin) or cancel it (also its customer)", tag="orders", body=OrderStatusInput,
           response=OrderSchema, errors=(403, 404, 409, 413, 422), access=ORDER_MOVERS)
    def change_order_status(self, request, order_id):
        actor = request.identity
        status = load(OrderStatusInput(), json_body(request))["status"]
        return self.orders.change_status(str(order_id), status, actor.user_id,
                                         is_admin=actor.is_admin,
                                         idempotency_key=idempotency_key(request))

    @route("GET", ORDER + "/history", summary="An order's status changes, most recent first",
           tag="orders", response=OrderHistorySchema, errors=(403, 404),
           access=ORDER_PARTIES)
    def get_order_history(self, request, order_id):
        actor = request.identity
        return self.orders.get_order_history(str(order_id), actor.user_id,
                                             is_admin=actor.is_admin)
