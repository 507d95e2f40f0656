"""Restaurants, menus and dishes: reads for anyone, writes for a restaurant's owner (its
creator) or an admin (routes mixed into GatewayService)."""

from __future__ import annotations

from services.catalog.contract.events import (
    DISH_CREATED,
    DISH_DELETED,
    DISH_UPDATED,
    RESTAURANT_CREATED,
    RESTAURANT_DELETED,
    RESTAURANT_UPDATED,
)
from services.catalog.contract.rpc import (
    CuisineSchema,
    DishInputSchema,
    DishSchema,
    DishSearchQuery,
    DishSearchResultSchema,
    MenuQuery,
    NearbyQuery,
    NearbyRestaurantSchema,
    RestaurantInputSchema,
    RestaurantListQuery,
    RestaurantSchema,
)
from services.gateway.contract.events import RESTAURANT_MENU_VIEWED, RESTAURANT_VIEWED
from services.gateway.domain import views
from services.gateway.domain.access import ANYONE, SIGNED_IN, owner_of
from services.gateway.entrypoints.common import DISH, RESTAURANT
from services.gateway.http import forwarded, idempotency_key, json_body, route
from shared.schemas import page


def query_key(args: dict) -> tuple:
    """The query parameters a cached answer is held under."""
    return tuple(sorted(args.items()))


class CatalogRoutes:
    """Reads go through the read model (services.gateway.domain.read_model); each write
    applies its answer to it at once, so the writer reads it back through this replica."""

    @route("GET", "/restaurants", summary="List restaurants by city, cuisine or text",
           tag="catalog", query=RestaurantListQuery, response=RestaurantSchema, paged=True,
           errors=(400,), access=ANYONE, counts_views=True)
    def list_restaurants(self, request):
        args, query = forwarded(RestaurantListQuery, request)
        answer = self.read_model.restaurants(
            query_key(args), lambda: self.catalog.list_restaurants(**args))
        self.emit_view_event(*views.listing_event(query, answer, self.view_context(request)))
        return answer

    @route("GET", "/restaurants/nearby", summary="Restaurants within a radius, nearest first",
           tag="catalog", query=NearbyQuery, response=NearbyRestaurantSchema, paged=True,
           errors=(400,), access=ANYONE)
    def nearby_restaurants(self, request):
        # not held in the read model: one point is rarely asked twice, and its answers
        # would crowd the lists that are out of its cache
        args, _ = forwarded(NearbyQuery, request)
        return self.catalog.nearby_restaurants(**args)

    @route("GET", RESTAURANT, summary="One restaurant", tag="catalog",
           response=RestaurantSchema, errors=(404,), access=ANYONE, counts_views=True)
    def get_restaurant(self, request, restaurant_id):
        restaurant_id = str(restaurant_id)
        restaurant = self.read_model.restaurant(
            restaurant_id, lambda: self.catalog.get_restaurant(restaurant_id))
        self.emit_view_event(RESTAURANT_VIEWED, views.restaurant_event(
            restaurant["id"], self.view_context(request)))
        return restaurant

    @route("GET", RESTAURANT + "/menu", summary="A restaurant's dishes", tag="catalog",
           query=MenuQuery, response=DishSchema, paged=True, errors=(400, 404), access=ANYONE,
           counts_views=True)
    def get_menu(self, request, restaurant_id):
        args, _ = forwarded(MenuQuery, request)
        restaurant_id = str(restaurant_id)
        menu = self.read_model.menu(restaurant_id, query_key(args),
                                    lambda: self.catalog.get_menu(restaurant_id, **args))
        self.emit_view_event(RESTAURANT_MENU_VIEWED, views.restaurant_event(
            restaurant_id, self.view_context(request)))
        return menu

    @route("GET", "/cuisines", summary="Every cuisine the catalog's restaurants have, by name",
           tag="catalog", response=CuisineSchema, paged=True, access=ANYONE)
    def list_cuisines(self, request):
        # a few hundred at most: one page, in the list shape every list answers
        cuisines = self.read_model.cuisines(self.catalog.list_cuisines)
        return page(cuisines, len(cuisines), 0)

    @route("GET", "/dishes/search", summary="Full-text search over available dishes",
           tag="catalog", query=DishSearchQuery, response=DishSearchResultSchema, paged=True,
           errors=(400,), access=ANYONE)
    def search_dishes(self, request):
        args, _ = forwarded(DishSearchQuery, request)
        return self.read_model.dish_search(query_key(args),
                                           lambda: self.catalog.search_dishes(**args))

    # --- catalog writes: a restaurant's owner (its creator) or an admin -----------------

    @route("POST", "/restaurants", summary="Create a restaurant: you become its owner",
           tag="catalog", body=RestaurantInputSchema, response=RestaurantSchema, status=201,
           errors=(400, 401, 413, 422), access=SIGNED_IN)
    def create_restaurant(self, request):
        restaurant = self.catalog.create_restaurant(json_body(request), idempotency_key(request),
                                                    owner_id=request.identity.user_id)
        self.read_model.apply(RESTAURANT_CREATED.name, restaurant)
        return restaurant

    @route("PATCH", RESTAURANT, summary="Change a restaurant", tag="catalog",
           body=RestaurantInputSchema, response=RestaurantSchema,
           errors=(400, 401, 403, 404, 413, 422), access=owner_of("restaurant_id"))
    def update_restaurant(self, request, restaurant_id):
        restaurant = self.catalog.update_restaurant(str(restaurant_id), json_body(request),
                                                    idempotency_key(request))
        self.read_model.apply(RESTAURANT_UPDATED.name, restaurant)
        return restaurant

    @route("DELETE", RESTAURANT, summary="Delete a restaurant and its dishes",
           tag="catalog", status=204, errors=(401, 403, 404),
           access=owner_of("restaurant_id"))
    def delete_restaurant(self, request, restaurant_id):
        self.catalog.delete_restaurant(str(restaurant_id), idempotency_key(request))
        self.read_model.apply(RESTAURANT_DELETED.name, {"id": str(restaurant_id)})

    @route("POST", RESTAURANT + "/dishes", summary="Add a dish to a restaurant's menu",
           tag="catalog", body=DishInputSchema, response=DishSchema, status=201,
           errors=(400, 401, 403, 404, 413, 422), access=owner_of("restaurant_id"))
    def create_dish(self, request, restaurant_id):
        dish = self.catalog.create_dish(str(restaurant_id), json_body(request),
                                        idempotency_key(request))
        self.read_model.apply(DISH_CREATED.name, dish)
        return dish

    @route("PATCH", DISH, summary="Change a dish", tag="catalog", body=DishInputSchema,
           response=DishSchema, errors=(400, 401, 403, 404, 413, 422),
           access=owner_of("dish_id"))
    def update_dish(self, request, dish_id):
        dish = self.catalog.update_dish(str(dish_id), json_body(request), idempotency_key(request))
        self.read_model.apply(DISH_UPDATED.name, dish)
        return dish

    @route("DELETE", DISH, summary="Delete a dish", tag="catalog", status=204,
           errors=(401, 403, 404), access=owner_of("dish_id"))
    def delete_dish(self, request, dish_id):
        self.catalog.delete_dish(str(dish_id), idempotency_key(request))
        self.read_model.apply(DISH_DELETED.name, {"id": str(dish_id)})
