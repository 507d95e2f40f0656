"""Views, the restaurant dashboard, trending, experts, leaderboards, engagement (routes
mixed into GatewayService). Every list answers {items, count, total, next_offset, ...}:
a top `limit` in one page, with the keys it needs beside it (the city, the period)."""

from __future__ import annotations

import logging

from services.analytics.contract.rpc import (
    DashboardQuery,
    EngagementInput,
    EngagementSchema,
    RestaurantEngagementSchema,
    TopQuery,
    TrendingDishesQuery,
    TrendingRestaurantsQuery,
)
from services.gateway.contract.events import RESTAURANT_VIEWED
from services.gateway.domain import answers, identity, views
from services.gateway.domain.access import ANYONE, owner_of
from services.gateway.entrypoints.common import LEADERBOARD, RESTAURANT, at_once, read_all
from services.gateway.http import idempotency_key, json_body, parsed_query, route
from services.gateway.schemas import (
    AcceptedSchema,
    DashboardSchema,
    ExpertSchema,
    LeaderboardSchema,
    TrackViewInput,
    TrendingDishesSchema,
    TrendingRestaurantsSchema,
    view_event_payload,
)
from shared.errors import ServiceUnavailable
from shared.schemas import load

log = logging.getLogger(__name__)


class AnalyticsRoutes:
    @route("POST", RESTAURANT + "/analytics", summary="Record a view of a restaurant",
           tag="analytics", body=TrackViewInput, response=AcceptedSchema, status=202,
           errors=(400, 404, 413, 422), access=ANYONE, counts_views=True)
    def track_restaurant_view(self, request, restaurant_id):
        body = load(TrackViewInput, json_body(request))
        key = idempotency_key(request)
        restaurant = self.catalog.get_restaurant(str(restaurant_id))
        context = self.view_context(request, declared_viewer=body.get("anonymous_id"))
        payload = view_event_payload(RESTAURANT_VIEWED, views.tracked_view_event(
            restaurant["id"], context, body))
        try:
            # a retried request (same key) is the same view: analytics counts it once
            self.dispatch(RESTAURANT_VIEWED, payload,
                          event_id=views.view_event_id(restaurant["id"], payload, key))
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
        found, unavailable = answers.settle(at_once(
            catalog=lambda: self.catalog.get_restaurant(restaurant_id),
            analytics=lambda: self.analytics.get_restaurant_traffic(restaurant_id, period),
            rankings=lambda: self.rankings.get_review_summary(restaurant_id),
        ), optional=("analytics", "rankings"))
        return answers.dashboard(found["catalog"], period, found["analytics"],
                                 found["rankings"], unavailable)

    @route("GET", "/trending/restaurants", summary="Trending restaurants, overall or in a "
           "city: rankings of their dishes and views, decayed with a 7-day half-life (with "
           "`period`: the most viewed of a calendar window instead)", tag="analytics",
           query=TrendingRestaurantsQuery, response=TrendingRestaurantsSchema, errors=(400,),
           access=ANYONE)
    def get_trending_restaurants(self, request):
        query = parsed_query(TrendingRestaurantsQuery, request)
        trending = self.analytics.get_trending_restaurants(**query)
        items = trending["items"]
        restaurants = read_all(self.catalog.get_restaurants,
                               answers.ids_to_fetch(items, "restaurant_id"))
        return {**trending,
                "items": answers.joined(items, "restaurant_id", restaurants, "restaurant")}

    @route("GET", "/trending/dishes", summary="A city's trending dishes: rankings and views, "
           "decayed with a 7-day half-life", tag="analytics", query=TrendingDishesQuery,
           response=TrendingDishesSchema, errors=(400,), access=ANYONE)
    def get_trending_dishes(self, request):
        query = parsed_query(TrendingDishesQuery, request)
        trending = self.analytics.get_trending_dishes(query["city"], query["limit"])
        items = trending["items"]
        dishes = read_all(self.catalog.get_dishes, answers.ids_to_fetch(items, "dish_id"))
        return {**trending, "items": answers.joined(items, "dish_id", dishes, "dish")}

    @route("GET", "/experts", summary="The most influential users, with their profiles",
           tag="analytics", query=TopQuery, response=ExpertSchema, paged=True, errors=(400,),
           access=ANYONE)
    def get_experts(self, request):
        query = parsed_query(TopQuery, request)
        experts = self.analytics.get_top_influencers(query["limit"])
        items = experts["items"]
        profiles = read_all(self.rankings.get_public_profiles,
                            answers.ids_to_fetch(items, "user_id"))
        return {**experts, "items": answers.joined(items, "user_id", profiles, "profile")}

    @route("GET", LEADERBOARD, summary="Top restaurants and users of a city and cuisine",
           tag="analytics", query=TopQuery, response=LeaderboardSchema, errors=(400,),
           access=ANYONE)
    def get_leaderboard(self, request, city, cuisine):
        query = parsed_query(TopQuery, request)
        board = self.analytics.get_leaderboard(city, cuisine, query["limit"])
        restaurant_ids = answers.ids_to_fetch(board["items"], "restaurant_id")
        user_ids = answers.ids_to_fetch(board["users"], "user_id")
        found, _ = answers.settle(at_once(
            restaurants=lambda: read_all(self.catalog.get_restaurants, restaurant_ids),
            users=lambda: read_all(self.rankings.get_public_profiles, user_ids),
        ))
        return {
            **board,
            "items": answers.joined(board["items"], "restaurant_id", found["restaurants"],
                                    "restaurant"),
            "users": answers.joined(board["users"], "user_id", found["users"], "profile"),
        }

    @route("POST", "/engagement", summary="Record a click, share, save, call… on a "
           "restaurant, dish, menu or reviews page", tag="analytics", body=EngagementInput,
           response=EngagementSchema, status=201, errors=(400, 413, 422), access=ANYONE)
    def record_engagement(self, request):
        fields = load(EngagementInput, json_body(request))
        data = {**fields, "entity_id": str(fields["entity_id"])}
        return self.analytics.record_engagement(data, user_id=identity.user_id_of(request.identity),
                                                idempotency_key=idempotency_key(request))

    @route("GET", RESTAURANT + "/engagement", summary="A restaurant's engagement: clicks, "
           "shares, saves, calls… on its page, menu and reviews, per type", tag="analytics",
           response=RestaurantEngagementSchema, errors=(401, 403, 404),
           access=owner_of("restaurant_id"))
    def get_restaurant_engagement(self, request, restaurant_id):
        # a restaurant the catalog does not have is a 404, for an admin too (whose request
        # the owner check let through without looking; the read model answers it)
        self.restaurant_owner("restaurant_id", {"restaurant_id": restaurant_id})
        return self.analytics.get_restaurant_engagement(str(restaurant_id))
