"""Orders: create, read, move along, history, metrics (routes mixed into GatewayService)."""

from __future__ import annotations

from services.gateway.domain import answers
from services.gateway.domain.access import ADMIN, SIGNED_IN, owner_of
from services.gateway.entrypoints.common import ORDER, ORDER_MOVERS, ORDER_PARTIES, RESTAURANT
from services.gateway.http import forwarded, idempotency_key, json_body, parsed_query, route
from services.gateway.schemas import OrderMetricsQuery, OrderMetricsSchema
from services.orders.contract.rpc import (
    OrderInput,
    OrderSchema,
    OrdersQuery,
    OrderStatusInput,
    RestaurantOrdersQuery,
    StatusChangeSchema,
)
from shared.schemas import load

# one instance for every request: building a schema (and its nested one, at its first
# load) cost more than validating the body with it
ORDER_INPUT = OrderInput()


class OrdersRoutes:
    # The orders service decides who may see or move an order (customer, the restaurant's
    # owner, an admin: ORDER_PARTIES); the gateway says who is asking and refuses malformed
    # requests before anyone is asked. GET /orders/metrics cannot be taken for an order id: the
    # uuid converter refuses "metrics".

    @route("POST", "/orders", summary="Order dishes of one restaurant (prices are the "
           "catalog's)", tag="orders", body=OrderInput, response=OrderSchema, status=201,
           errors=(413, 422), access=SIGNED_IN)
    def create_order(self, request):
        customer_id = request.identity.user_id
        fields = load(ORDER_INPUT, json_body(request))
        return self.orders.create_order(customer_id, answers.order_request(fields),
                                        idempotency_key=idempotency_key(request))

    @route("GET", "/orders", summary="The signed-in user's orders, newest first",
           tag="orders", query=OrdersQuery, response=OrderSchema, paged=True,
           errors=(400,), access=SIGNED_IN)
    def list_orders(self, request):
        args, _ = forwarded(OrdersQuery, request)  # a cursor as it came: opaque
        return self.orders.list_orders(request.identity.user_id, **args)

    @route("GET", RESTAURANT + "/orders", summary="A restaurant's orders (its inbox), newest "
           "first: of one status, or of all", tag="orders", query=RestaurantOrdersQuery,
           response=OrderSchema, paged=True, errors=(400, 401, 403, 404),
           access=owner_of("restaurant_id"))
    def list_restaurant_orders(self, request, restaurant_id):
        # the gateway lets the restaurant's owner (and admins) through; orders shows an
        # owner the orders placed while they owned it, as it does one order (get_order)
        actor = request.identity
        args, _ = forwarded(RestaurantOrdersQuery, request)  # a cursor as it came: opaque
        return self.orders.list_restaurant_orders(str(restaurant_id), actor.user_id,
                                                  is_admin=actor.is_admin, **args)

    @route("GET", "/orders/metrics", summary="Orders reaching each status per hour: counts "
           "and values (at most 31 days; the last 24 hours when no window is given)",
           tag="orders", query=OrderMetricsQuery, response=OrderMetricsSchema,
           errors=(400, 401, 403), access=ADMIN)
    def get_order_metrics(self, request):
        start, end = answers.metrics_window(parsed_query(OrderMetricsQuery, request))
        return {**self.orders.get_status_metrics(start, end), "from": start, "to": end}

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
        status = load(OrderStatusInput, json_body(request))["status"]
        return self.orders.change_status(str(order_id), status, actor.user_id,
                                         is_admin=actor.is_admin,
                                         idempotency_key=idempotency_key(request))

    @route("GET", ORDER + "/history", summary="An order's status changes, most recent first "
           "(all of them, in one page)", tag="orders", response=StatusChangeSchema,
           paged=True, errors=(403, 404), access=ORDER_PARTIES)
    def get_order_history(self, request, order_id):
        actor = request.identity
        return self.orders.get_order_history(str(order_id), actor.user_id,
                                             is_admin=actor.is_admin)
