"""HTTP routes: validate the request, ask the owning service, answer JSON."""

from __future__ import annotations

import logging

import eventlet
from kombu import Connection
from nameko.constants import AMQP_URI_CONFIG_KEY
from nameko.extensions import DependencyProvider

from services.catalog.schemas import (
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
from services.gateway.config import DOWNSTREAM
from services.gateway.http import idempotency_key, json_body, json_response, route
from services.gateway.openapi import openapi_document
from services.gateway.schemas import HealthSchema, ReadySchema
from shared.context import CorrelationId
from shared.errors import ServiceUnavailable
from shared.events import EventDispatcher
from shared.rpc import RpcClient
from shared.schemas import load_query

log = logging.getLogger(__name__)

RESTAURANT = "/restaurants/<uuid:restaurant_id>"
DISH = "/dishes/<uuid:dish_id>"


class Config(DependencyProvider):
    def get_dependency(self, worker_ctx):
        return self.container.config


def forwarded(query_schema, request) -> tuple[dict, dict]:
    """Validate the query string (400 if bad): (raw parameters to forward, parsed values)."""
    args = request.args.to_dict()
    parsed = load_query(query_schema(), args)
    return {key: args[key] for key in query_schema().fields if key in args}, parsed


class GatewayService:
    name = "gateway"

    catalog = RpcClient("catalog")
    dispatch = EventDispatcher()
    config = Config()
    correlation = CorrelationId()

    def emit_view_event(self, event_type: str, payload: dict) -> None:
        """Analytics events are best effort: a failed dispatch never fails the read."""
        try:
            self.dispatch(event_type, payload)
        except Exception:
            log.warning("could not dispatch %s", event_type, exc_info=True)

    # --- operations -------------------------------------------------------------------

    @route("GET", "/health", summary="The gateway process is up", tag="operations",
           response=HealthSchema)
    def health(self, request):
        return {"status": "ok", "service": self.name}

    @route("GET", "/ready", summary="Broker and downstream services are reachable",
           tag="operations", response=ReadySchema, errors=(503,))
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
        except (eventlet.Timeout, Exception):
            return "unhealthy"

    @route("GET", "/openapi.json", summary="This API's OpenAPI 3 document", tag="operations")
    def openapi(self, request):
        return json_response(openapi_document(type(self)))

    # --- restaurants ------------------------------------------------------------------

    @route("GET", "/restaurants", summary="List restaurants by city, cuisine or text",
           tag="catalog", query=RestaurantListQuery, response=RestaurantSchema, paged=True,
           errors=(400,))
    def list_restaurants(self, request):
        args, query = forwarded(RestaurantListQuery, request)
        answer = self.catalog.list_restaurants(**args)
        self.emit_view_event(*domain.listing_event(query, answer, domain.view_context(request)))
        return answer

    @route("GET", RESTAURANT, summary="One restaurant", tag="catalog",
           response=RestaurantSchema, errors=(404,))
    def get_restaurant(self, request, restaurant_id):
        restaurant = self.catalog.get_restaurant(str(restaurant_id))
        self.emit_view_event("restaurant_viewed", domain.restaurant_event(
            restaurant["id"], domain.view_context(request)))
        return restaurant

    @route("GET", RESTAURANT + "/menu", summary="A restaurant's dishes", tag="catalog",
           query=MenuQuery, response=DishSchema, paged=True, errors=(400, 404))
    def get_menu(self, request, restaurant_id):
        args, _ = forwarded(MenuQuery, request)
        menu = self.catalog.get_menu(str(restaurant_id), **args)
        self.emit_view_event("restaurant_menu_viewed", domain.restaurant_event(
            str(restaurant_id), domain.view_context(request)))
        return menu

    @route("GET", "/dishes/search", summary="Full-text search over available dishes",
           tag="catalog", query=DishSearchQuery, response=DishSearchResultSchema, paged=True,
           errors=(400,))
    def search_dishes(self, request):
        args, _ = forwarded(DishSearchQuery, request)
        return self.catalog.search_dishes(**args)

    # --- catalog administration (admin only until owners get tokens) -------------------

    @route("POST", "/restaurants", summary="Create a restaurant", tag="catalog admin",
           body=RestaurantInputSchema, response=RestaurantSchema, status=201, admin=True,
           errors=(400, 401, 403, 413, 422))
    def create_restaurant(self, request):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        return self.catalog.create_restaurant(json_body(request), idempotency_key(request))

    @route("PATCH", RESTAURANT, summary="Change a restaurant", tag="catalog admin",
           body=RestaurantInputSchema, response=RestaurantSchema, admin=True,
           errors=(400, 401, 403, 404, 413, 422))
    def update_restaurant(self, request, restaurant_id):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        return self.catalog.update_restaurant(str(restaurant_id), json_body(request),
                                              idempotency_key(request))

    @route("DELETE", RESTAURANT, summary="Delete a restaurant and its dishes",
           tag="catalog admin", status=204, admin=True, errors=(401, 403, 404))
    def delete_restaurant(self, request, restaurant_id):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        self.catalog.delete_restaurant(str(restaurant_id), idempotency_key(request))

    @route("POST", RESTAURANT + "/dishes", summary="Add a dish to a restaurant's menu",
           tag="catalog admin", body=DishInputSchema, response=DishSchema, status=201,
           admin=True, errors=(400, 401, 403, 404, 413, 422))
    def create_dish(self, request, restaurant_id):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        return self.catalog.create_dish(str(restaurant_id), json_body(request),
                                        idempotency_key(request))

    @route("PATCH", DISH, summary="Change a dish", tag="catalog admin", body=DishInputSchema,
           response=DishSchema, admin=True, errors=(400, 401, 403, 404, 413, 422))
    def update_dish(self, request, dish_id):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        return self.catalog.update_dish(str(dish_id), json_body(request), idempotency_key(request))

    @route("DELETE", DISH, summary="Delete a dish", tag="catalog admin", status=204,
           admin=True, errors=(401, 403, 404))
    def delete_dish(self, request, dish_id):
        domain.require_admin(request, self.config["ADMIN_TOKEN"])
        self.catalog.delete_dish(str(dish_id), idempotency_key(request))
