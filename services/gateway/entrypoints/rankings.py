"""The signed-in user's one-best lists, dish stats and best dishes (routes mixed into
GatewayService)."""

from __future__ import annotations

from services.gateway.contract.events import DISH_VIEWED
from services.gateway.domain import views
from services.gateway.domain.access import ANYONE, SIGNED_IN
from services.gateway.entrypoints.common import DISH, MY_LIST
from services.gateway.http import forwarded, idempotency_key, json_body, route
from services.rankings.contract.rpc import (
    BestDishesQuery,
    BestDishSchema,
    DishStatsSchema,
    HistoryEntrySchema,
    HistoryQuery,
    PlaceDishInput,
    RankingListSchema,
)


class RankingsRoutes:
    @route("GET", "/rankings/my", summary="The signed-in user's lists, one per dish type",
           tag="rankings", response=RankingListSchema, paged=True, errors=(404,), access=SIGNED_IN)
    def get_my_rankings(self, request):
        return self.rankings.get_my_rankings(request.identity.user_id)

    # /rankings/my/history is a GET of its own: werkzeug tries a path without converters
    # before MY_LIST, so a list of the dish type "history" is not read there (its PUT and
    # DELETE still are)
    @route("GET", "/rankings/my/history", summary="How the signed-in user's lists changed, "
           "newest first: of one dish type, or of all", tag="rankings", query=HistoryQuery,
           response=HistoryEntrySchema, paged=True, errors=(400, 404), access=SIGNED_IN)
    def get_my_ranking_history(self, request):
        args, _ = forwarded(HistoryQuery, request)  # a cursor as it came: opaque
        return self.rankings.get_ranking_history(request.identity.user_id, **args)

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
           tag="rankings", response=DishStatsSchema, errors=(404,), access=ANYONE,
           counts_views=True)
    def get_dish_stats(self, request, dish_id):
        stats = self.rankings.get_dish_stats(str(dish_id))
        self.emit_view_event(DISH_VIEWED, views.dish_event(str(dish_id),
                                                              self.view_context(request)))
        return stats

    @route("GET", "/rankings/best", summary="The best dishes of a type in a city",
           tag="rankings", query=BestDishesQuery, response=BestDishSchema, paged=True,
           errors=(400,), access=ANYONE)
    def get_best_dishes(self, request):
        args, _ = forwarded(BestDishesQuery, request)
        return self.rankings.get_best_dishes(**args)
