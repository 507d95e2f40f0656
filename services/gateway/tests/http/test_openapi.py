"""GET /openapi.json: valid OpenAPI 3, and exactly the routes the running gateway serves."""

from __future__ import annotations

import hashlib
import re
import uuid

import pytest
from marshmallow import ValidationError
from werkzeug.test import EnvironBuilder

from services.catalog.contract.rpc import DishInputSchema
from services.gateway.http import idempotency_key
from services.gateway.openapi import (
    IDEMPOTENCY_KEY,
    PYTHON_SPACE,
    ecma_pattern,
    openapi_document,
)
from services.gateway.service import GatewayService
from services.gateway.tests.support import as_user, assert_error, bearer, token_for
from shared.errors import BadRequest

METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
# routes for a restaurant's owner (or an admin), and for admins only
OWNER_OPERATIONS = {
    ("patch", "/restaurants/{restaurant_id}"),
    ("delete", "/restaurants/{restaurant_id}"),
    ("post", "/restaurants/{restaurant_id}/dishes"),
    ("patch", "/dishes/{dish_id}"),
    ("delete", "/dishes/{dish_id}"),
    ("get", "/restaurants/{restaurant_id}/analytics"),
    ("get", "/restaurants/{restaurant_id}/engagement"),
    ("get", "/restaurants/{restaurant_id}/orders"),
}
ADMIN_OPERATIONS = {("get", "/orders/metrics")}
CATALOG_READS = {
    ("get", "/restaurants"),
    ("get", "/restaurants/nearby"),
    ("get", "/restaurants/{restaurant_id}"),
    ("get", "/restaurants/{restaurant_id}/menu"),
    ("get", "/dishes/search"),
    ("get", "/cuisines"),
}
OPERATIONS_ROUTES = {("get", "/health"), ("get", "/ready"), ("get", "/openapi.json"),
                     ("get", "/metrics")}  # Prometheus text (test_metrics.py)
# the dashboard page and its files (text, not JSON: see test_the_dashboard_files_are_text)
DASHBOARD_ROUTES = {("get", "/dashboard"), ("get", "/dashboard/dashboard.js"),
                    ("get", "/dashboard/dashboard.css"), ("get", "/dashboard/favicon.svg"),
                    ("get", "/dashboard/chart.umd.js")}
# routes that need a signed-in user (Authorization: Bearer <access token>)
USER_OPERATIONS = {
    ("post", "/restaurants"),  # whoever creates a restaurant owns it
    ("get", "/users/me"),
    ("patch", "/users/me"),
    ("post", "/users/me/password"),
    ("post", "/users/{user_id}/follow"),
    ("delete", "/users/{user_id}/follow"),
    ("get", "/rankings/my"),
    ("get", "/rankings/my/{dish_type}"),
    ("put", "/rankings/my/{dish_type}"),
    ("delete", "/rankings/my/{dish_type}/{dish_id}"),
    ("get", "/rankings/my/history"),
    ("put", "/restaurants/{restaurant_id}/favorite"),
    ("delete", "/restaurants/{restaurant_id}/favorite"),
    ("get", "/users/me/favorites"),
    ("post", "/restaurants/{restaurant_id}/reviews"),
    ("patch", "/reviews/{review_id}"),
    ("delete", "/reviews/{review_id}"),
    ("post", "/reviews/{review_id}/like"),
    ("delete", "/reviews/{review_id}/like"),
    ("post", "/reviews/{review_id}/comments"),
} | {  # orders: a customer's own, the restaurant owner's, an admin's
    ("post", "/orders"),
    ("get", "/orders"),
    ("get", "/orders/{order_id}"),
    ("post", "/orders/{order_id}/status"),
    ("get", "/orders/{order_id}/history"),
}
# user routes whose body the gateway checks itself, before asking anyone (an empty one: 422)
GATEWAY_CHECKED_BODIES = {("post", "/orders"), ("post", "/orders/{order_id}/status"),
                          ("post", "/users/me/password")}
# ... and what anyone may do with rankings, signed in or not
RANKINGS_READS = {
    ("post", "/auth/register"),
    ("post", "/auth/login"),
    ("post", "/auth/refresh"),
    ("post", "/auth/logout"),
    ("get", "/users/{user_id}"),
    ("get", "/users/{user_id}/followers"),
    ("get", "/users/{user_id}/following"),
    ("get", "/users/{user_id}/badges"),
    ("get", "/users/{user_id}/rankings/history"),  # when its user made it public
    ("get", "/dishes/{dish_id}/rankings"),
    ("get", "/rankings/best"),
    ("get", "/restaurants/{restaurant_id}/reviews"),
    ("get", "/reviews/{review_id}/comments"),
}
# ... and analytics, open to anyone (the dashboard is an admin operation above)
ANALYTICS_ROUTES = {
    ("post", "/restaurants/{restaurant_id}/analytics"),
    ("get", "/trending/restaurants"),
    ("get", "/trending/dishes"),
    ("get", "/experts"),
    ("get", "/leaderboards/{city}/{cuisine}"),
    ("post", "/engagement"),
}
# routes that make a view: they take an anonymous viewer id and hand out new ones
VIEW_OPERATIONS = {
    ("get", "/restaurants"),
    ("get", "/restaurants/{restaurant_id}"),
    ("get", "/restaurants/{restaurant_id}/menu"),
    ("get", "/restaurants/{restaurant_id}/reviews"),
    ("get", "/dishes/{dish_id}/rankings"),
    ("post", "/restaurants/{restaurant_id}/analytics"),
}
# free text in a path (a dish type, a city, a cuisine), URL-encoded
TEXT_PARAMETER = {"type": "string", "minLength": 1, "maxLength": 100}
TEXT_PARAMETERS = ("dish_type", "city", "cuisine")
# ... which rankings and analytics want with a visible character (422 otherwise)
NOT_BLANK = f"^[{PYTHON_SPACE}]*[^{PYTHON_SPACE}]"
ERROR_REF = "#/components/schemas/Error"


def operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert method in METHODS, (path, method)
            yield method, path, op


def served_routes(container) -> set[tuple[str, str]]:
    """(method, OpenAPI path) for every HTTP entrypoint the container runs."""
    served = set()
    for entrypoint in container.entrypoints:
        if not (hasattr(entrypoint, "url") and hasattr(entrypoint, "method")):
            continue
        path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", entrypoint.url)
        for method in entrypoint.method.split(","):
            served.add((method.strip().lower(), path))
    return served


def resolve(doc, ref: str) -> dict:
    assert ref.startswith("#/"), ref
    node = doc
    for part in ref[2:].split("/"):
        node = node[part]
    return node


def test_document_is_valid_openapi_3(document):
    validator = pytest.importorskip("openapi_spec_validator")  # dev dependency
    _, doc = document
    validator.validate(doc)  # raises with the first problem found


def test_document_structure(document):
    """What a validator would catch, checked by hand (runs without openapi-spec-validator)."""
    _, doc = document
    assert re.fullmatch(r"3\.0\.\d+", doc["openapi"])
    assert doc["info"]["title"] and doc["info"]["version"]
    operation_ids = [op["operationId"] for _, _, op in operations(doc)]
    assert len(operation_ids) == len(set(operation_ids))

    refs = []

    def collect(node):
        if isinstance(node, dict):
            refs.extend(v for k, v in node.items() if k == "$ref")
            for value in node.values():
                collect(value)
        elif isinstance(node, list):
            for value in node:
                collect(value)

    collect(doc)
    assert refs
    for ref in refs:
        assert isinstance(resolve(doc, ref), dict), ref

    for method, path, op in operations(doc):
        assert op["responses"], (method, path)
        for status, response in op["responses"].items():
            assert re.fullmatch(r"[1-5]\d\d", status) and response["description"]
        declared = [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]
        assert declared == re.findall(r"{(\w+)}", path), (method, path)
        for parameter in op.get("parameters", []):
            assert parameter["in"] in ("path", "query", "header", "cookie")
            if parameter["in"] == "path":
                assert parameter["required"] is True
                if parameter["name"] in TEXT_PARAMETERS:
                    assert parameter["schema"] == {**TEXT_PARAMETER, "pattern": NOT_BLANK}
                    assert "422" in op["responses"], (method, path)  # checked behind
                else:
                    assert parameter["name"].endswith("_id"), (method, path)
                    assert parameter["schema"] == {"type": "string", "format": "uuid"}


def test_document_paths_are_exactly_the_served_routes(document):
    container, doc = document
    documented = {(method, path) for method, path, _ in operations(doc)}
    served = served_routes(container)
    assert served - documented == set(), "served but not documented"
    assert documented - served == set(), "documented but not served"
    assert served == (CATALOG_READS | OWNER_OPERATIONS | ADMIN_OPERATIONS | OPERATIONS_ROUTES
                      | USER_OPERATIONS                      | RANKINGS_READS | ANALYTICS_ROUTES
                      | DASHBOARD_ROUTES)


def test_operation_ids_are_the_handler_names(document):
    container, doc = document
    handlers = {}
    for entrypoint in container.entrypoints:
        if hasattr(entrypoint, "url"):
            path = re.sub(r"<(?:[^:<>]+:)?(\w+)>", r"{\1}", entrypoint.url)
            handlers[(entrypoint.method.lower(), path)] = entrypoint.method_name
    assert {(m, p): op["operationId"] for m, p, op in operations(doc)} == handlers
    assert handlers[("get", "/restaurants")] == "list_restaurants"


def test_document_is_generated_from_the_service(document):
    _, doc = document
    assert doc == openapi_document(GatewayService)


def test_every_operation_documents_downstream_failures(document):
    _, doc = document
    for method, path, op in operations(doc):
        local = path in ("/health", "/openapi.json", "/metrics")  # by the gateway alone
        for status in ("500",) if local else ("500", "503", "504"):
            response = op["responses"].get(status)
            assert response is not None, (method, path, status)
            assert response["content"]["application/json"]["schema"] == {"$ref": ERROR_REF}
        if local:
            assert not {"503", "504"} & set(op["responses"]), (method, path)
    assert "503" in doc["paths"]["/ready"]["get"]["responses"]  # not ready
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    detail = resolve(doc, error["properties"]["error"]["$ref"])
    assert set(detail["required"]) == {"code", "message", "details"}


def test_every_operation_documents_the_errors_it_can_answer(document):
    """The statuses any route of a kind can answer, whatever its own handler adds."""
    _, doc = document
    for method, path, op in operations(doc):
        statuses = set(op["responses"])
        write = method in ("post", "put", "patch", "delete")
        has_query = any(p["in"] == "query" for p in op.get("parameters", []))
        assert "401" in statuses, (method, path)  # a bad token, on every route
        if has_query or write or "requestBody" in op:
            assert "400" in statuses, (method, path)  # a bad parameter, JSON or key
        if "{" in path:
            assert "404" in statuses, (method, path)  # a malformed id: no such route
        if write:
            assert {"409", "429"} <= statuses, (method, path)  # a reused key; the allowance
        if "requestBody" in op:
            assert {"413", "422"} <= statuses, (method, path)
        if (method, path) in OWNER_OPERATIONS | ADMIN_OPERATIONS:
            assert "403" in statuses, (method, path)


def test_secured_routes_declare_the_bearer_token(document):
    _, doc = document
    assert list(doc["components"]["securitySchemes"]) == ["bearerAuth"]  # no X-Admin-Token
    scheme = doc["components"]["securitySchemes"]["bearerAuth"]
    assert {key: scheme[key] for key in ("type", "scheme", "bearerFormat")} == {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT"}
    secured = USER_OPERATIONS | OWNER_OPERATIONS | ADMIN_OPERATIONS
    for method, path, op in operations(doc):
        if (method, path) in secured:
            assert op["security"] == [{"bearerAuth": []}], (method, path)
        else:
            assert "security" not in op, (method, path)  # anonymous reads stay anonymous
    assert "security" not in doc  # no global requirement


def test_every_operation_says_who_may_call_it(document):
    """In words, from the route's declared access (the security requirement says only
    whether a token is needed)."""
    container, doc = document
    declared = {}
    for entrypoint in container.entrypoints:
        if hasattr(entrypoint, "url"):
            declared[entrypoint.method_name] = entrypoint.doc["access"].describe()
    for method, path, op in operations(doc):
        said = declared[op["operationId"]]
        assert op["description"] == f"Who may call it: {said}", (method, path)
        if (method, path) in ADMIN_OPERATIONS:
            assert "admin" in said.lower(), (method, path)
        if (method, path) in OWNER_OPERATIONS:
            assert "owner" in said.lower(), (method, path)


def fill(path: str) -> str:
    return re.sub(r"{(\w+)}", lambda m: str(uuid.uuid4()) if m.group(1).endswith("_id")
                  else "laksa", path)


def test_security_as_documented_is_security_as_served(document, web_session):
    """Every operation that declares a security scheme answers 401 without it; no other
    does. (Nothing runs behind this gateway, so the others answer 503, their own 200, 400
    for a query missing its required parameters, or 422 for a body the gateway checks
    itself before asking anyone.)"""
    _, doc = document
    for method, path, op in operations(doc):
        response = web_session.request(method, fill(path), json={})
        if op.get("security"):
            assert_error(response, 401, "unauthorized")
        else:
            # /metrics is a 404 with METRICS_ROUTE off, as here (test_metrics.py: on)
            assert response.status_code in (200, 400, 422, 503) or (
                path == "/metrics" and response.status_code == 404), (
                method, path, response.status_code)
            assert str(response.status_code) in op["responses"], (method, path)


def test_user_routes_pass_with_a_user_and_refuse_a_malformed_one(document, web_session):
    _, doc = document
    for method, path, op in operations(doc):
        if op.get("security") != [{"bearerAuth": []}]:
            continue
        for malformed in (bearer("not-a-token"), bearer(""), {"X-User-Id": str(uuid.uuid4())},
                          bearer(token_for(str(uuid.uuid4()))[:-1])):
            response = web_session.request(method, fill(path), json={}, headers=malformed)
            assert_error(response, 401, "unauthorized")
        response = web_session.request(method, fill(path), json={},
                                       headers=as_user(str(uuid.uuid4())))
        if (method, path) in ADMIN_OPERATIONS:
            assert_error(response, 403, "forbidden")  # a user, not an admin
        elif (method, path) in GATEWAY_CHECKED_BODIES:
            assert_error(response, 422, "invalid_input")  # let through, then checked
        else:  # let through (or, on an owner's route, asked who owns it): to nobody
            assert_error(response, 503, "service_unavailable")


def test_a_bad_token_is_refused_on_every_route(document, web_session):
    """401 is documented everywhere because it is served everywhere: a token that is sent
    must be good, even where none is needed."""
    _, doc = document
    for method, path, op in operations(doc):
        response = web_session.request(method, fill(path), json={},
                                       headers=bearer("not-a-token"))
        assert_error(response, 401, "unauthorized")
        assert "401" in op["responses"], (method, path)


def test_user_routes_refuse_another_gateways_tokens(start_gateway, web_session):
    start_gateway(JWT_SECRET="another-gateway-secret-long-enough-for-hs256")
    doc = web_session.get("/openapi.json").json()
    assert doc == openapi_document(GatewayService)  # the same document either way
    for method, path, op in operations(doc):
        if op.get("security") == [{"bearerAuth": []}]:
            response = web_session.request(method, fill(path), json={},
                                           headers=as_user(str(uuid.uuid4())))
            details = assert_error(response, 401, "unauthorized")
            assert details == {"header": "Authorization"}, (method, path)


def test_restaurant_list_parameters(document):
    _, doc = document
    op = doc["paths"]["/restaurants"]["get"]
    parameters = {p["name"]: p for p in op["parameters"] if p["in"] == "query"}
    assert set(parameters) == {"city", "cuisine", "q", "limit", "offset", "cursor"}
    assert all(p["required"] is False for p in parameters.values())
    assert parameters["limit"]["schema"] == {"type": "integer", "minimum": 1, "maximum": 50,
                                             "default": 12}
    assert parameters["offset"]["schema"]["type"] == "integer"
    assert parameters["offset"]["schema"]["minimum"] == 0
    assert parameters["q"]["schema"]["maxLength"] == 100
    assert parameters["cursor"]["schema"] == {"type": "string", "minLength": 1,
                                              "maxLength": 1200,
                                              "pattern": "^[A-Za-z0-9_-]*$"}
    assert "opaque" in parameters["cursor"]["description"]
    page = op["responses"]["200"]["content"]["application/json"]["schema"]
    assert set(page["required"]) == {"items", "count", "total", "total_is_estimate",
                                     "next_offset", "next_cursor"}
    assert page["properties"]["next_cursor"]["type"] == "string"
    assert page["properties"]["next_cursor"]["nullable"] is True
    assert page["properties"]["total_is_estimate"]["type"] == "boolean"
    assert page["properties"]["items"]["items"] == {"$ref": "#/components/schemas/Restaurant"}
    assert {"400"} <= set(op["responses"])


def test_list_query_parameters_are_documented_comma_separated(document):
    """tags=a,b is what the gateway reads; the OpenAPI default would be tags=a&tags=b."""
    _, doc = document
    parameters = {p["name"]: p for p in doc["paths"]["/dishes/search"]["get"]["parameters"]}
    assert parameters["tags"]["schema"]["type"] == "array"
    assert parameters["tags"]["style"] == "form"
    assert parameters["tags"]["explode"] is False
    scalars = [name for name, p in parameters.items() if p["schema"].get("type") != "array"]
    assert all("explode" not in parameters[name] for name in scalars)


def test_success_statuses(document):
    _, doc = document
    paths = doc["paths"]
    for method, path in [("post", "/auth/register"),
                         ("post", "/restaurants/{restaurant_id}/reviews"),
                         ("post", "/reviews/{review_id}/comments")]:
        assert "201" in paths[path][method]["responses"], (method, path)
        assert "200" not in paths[path][method]["responses"], (method, path)
    for path in ("/reviews/{review_id}", "/users/{user_id}/follow"):
        assert "content" not in paths[path]["delete"]["responses"]["204"]
    for method, path in [("put", "/rankings/my/{dish_type}"),
                         ("delete", "/rankings/my/{dish_type}/{dish_id}")]:
        answer = paths[path][method]["responses"]["200"]["content"]["application/json"]
        assert answer["schema"] == {"$ref": "#/components/schemas/RankingList"}
    assert set(paths["/restaurants"]["post"]["responses"]) >= {"201", "422", "413"}
    assert "200" not in paths["/restaurants"]["post"]["responses"]
    for path in ("/restaurants/{restaurant_id}", "/dishes/{dish_id}"):
        deleted = paths[path]["delete"]["responses"]["204"]
        assert "content" not in deleted
        assert "200" in paths[path]["patch"]["responses"]
    assert "201" in paths["/restaurants/{restaurant_id}/dishes"]["post"]["responses"]


def test_request_bodies_are_the_validating_schemas(document):
    _, doc = document
    schemas = doc["components"]["schemas"]
    body = doc["paths"]["/restaurants"]["post"]["requestBody"]
    assert body["required"] is True
    assert body["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/RestaurantInput"}
    restaurant_input = schemas["RestaurantInput"]
    assert set(restaurant_input["required"]) == {"name", "city"}
    assert restaurant_input["additionalProperties"] is False
    assert restaurant_input["properties"]["price_range"]["minimum"] == 1
    assert restaurant_input["properties"]["price_range"]["maximum"] == 4
    dish_input = schemas["DishInput"]
    assert set(dish_input["required"]) == {"name", "price", "dish_type"}
    assert dish_input["additionalProperties"] is False
    for method, path in OWNER_OPERATIONS:
        op = doc["paths"][path][method]
        assert ("requestBody" in op) == (method in ("post", "patch")), (method, path)

    place = doc["paths"]["/rankings/my/{dish_type}"]["put"]["requestBody"]
    assert place["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/PlaceDishInput"}
    place_input = schemas["PlaceDishInput"]
    assert place_input["required"] == ["dish_id"]
    assert place_input["properties"]["rank"] == {"type": "integer", "minimum": 1, "maximum": 5}
    assert place_input["properties"]["taste_status"]["enum"] == [
        "ACCEPTABLE", "SECOND_CHANCE", "DISSATISFIED"]
    for method, path, name in [
        ("post", "/auth/register", "RegisterInput"),
        ("patch", "/users/me", "UserUpdateInput"),
        ("post", "/restaurants/{restaurant_id}/reviews", "ReviewInput"),
        ("patch", "/reviews/{review_id}", "ReviewInputPatch"),
        ("post", "/reviews/{review_id}/comments", "CommentInput"),
    ]:
        body = doc["paths"][path][method]["requestBody"]["content"]["application/json"]
        assert body["schema"] == {"$ref": f"#/components/schemas/{name}"}, (method, path)
        assert schemas[name]["additionalProperties"] is False
    assert schemas["ReviewInput"]["properties"]["rating"] == {
        "type": "integer", "minimum": 1, "maximum": 5}
    assert schemas["CommentInput"]["required"] == ["content"]

    # exactly one of rank and taste_status: marshmallow's @validates_schema, as JSON Schema
    assert place_input["oneOf"] == [
        {"required": ["rank"], "not": {"required": ["taste_status"]}},
        {"required": ["taste_status"], "not": {"required": ["rank"]}}]


def test_a_patch_body_requires_nothing(document):
    """Every PATCH loads its body with partial=True: the fields a create requires are
    optional there, and the same schema otherwise."""
    _, doc = document
    schemas = doc["components"]["schemas"]
    patches = {path: op for method, path, op in operations(doc) if method == "patch"}
    assert set(patches) == {"/restaurants/{restaurant_id}", "/dishes/{dish_id}", "/users/me",
                            "/reviews/{review_id}"}
    for path, op in patches.items():
        ref = op["requestBody"]["content"]["application/json"]["schema"]["$ref"]
        patch = resolve(doc, ref)
        assert "required" not in patch, path
        whole = schemas[ref.rsplit("/", 1)[1].removesuffix("Patch")]
        assert patch == {key: value for key, value in whole.items() if key != "required"}
    assert schemas["RestaurantInputPatch"]["properties"] == schemas["RestaurantInput"][
        "properties"]


def test_analytics_operations(document):
    _, doc = document
    paths, schemas = doc["paths"], doc["components"]["schemas"]

    def parameters(method, path):
        return {p["name"]: p for p in paths[path][method].get("parameters", [])
                if p["in"] == "query"}

    def answer(method, path, status="200"):
        content = paths[path][method]["responses"][status]["content"]["application/json"]
        return content["schema"]["$ref"].rsplit("/", 1)[1]

    limit = {"type": "integer", "minimum": 1, "maximum": 50, "default": 10}
    periods = ["day", "week", "month", "year"]
    period = {"type": "string", "enum": periods, "default": "week"}
    # trending restaurants: decayed, overall or in a city; raw counts only asked for
    trending = parameters("get", "/trending/restaurants")
    assert set(trending) == {"period", "limit", "city"}
    assert trending["period"]["schema"] == {"type": "string", "enum": periods}  # no default
    assert "raw view counts" in trending["period"]["description"].lower()
    assert trending["limit"]["schema"] == limit
    assert trending["city"]["required"] is False
    assert trending["city"]["schema"]["maxLength"] == 100
    dishes = parameters("get", "/trending/dishes")
    assert dishes["city"]["required"] is True and dishes["limit"]["schema"] == limit
    assert parameters("get", "/experts")["limit"]["schema"] == limit
    assert parameters("get", "/leaderboards/{city}/{cuisine}")["limit"]["schema"] == limit
    assert parameters("get", "/restaurants/{restaurant_id}/analytics") == {
        "period": {"name": "period", "in": "query", "required": False, "schema": period}}

    track = paths["/restaurants/{restaurant_id}/analytics"]["post"]
    assert set(track["responses"]) >= {"202", "404", "422"} and "200" not in track["responses"]
    assert answer("post", "/restaurants/{restaurant_id}/analytics", "202") == "Accepted"
    assert track["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TrackViewInput"}
    assert schemas["TrackViewInput"] == {
        "type": "object", "additionalProperties": False, "properties": {
            "device_type": {"type": "string", "enum": ["mobile", "tablet", "desktop"]},
            "anonymous_id": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,64}$",
                             "description": schemas["TrackViewInput"]["properties"][
                                 "anonymous_id"]["description"]}}}
    assert "this gateway issued" in schemas["TrackViewInput"]["properties"]["anonymous_id"][
        "description"]
    assert "security" not in track  # anyone; the viewer is whoever is signed in

    engagement = paths["/engagement"]["post"]
    assert set(engagement["responses"]) >= {"201", "422"}
    assert answer("post", "/engagement", "201") == "Engagement"
    engagement_input = schemas["EngagementInput"]
    assert engagement_input["additionalProperties"] is False
    assert set(engagement_input["required"]) == {"entity_type", "entity_id", "engagement_type"}
    assert engagement_input["properties"]["entity_type"]["enum"] == [
        "restaurant", "dish", "menu", "reviews"]
    assert engagement_input["properties"]["engagement_type"]["enum"] == [
        "click", "share", "save", "call", "directions", "website", "menu_open"]

    assert answer("get", "/restaurants/{restaurant_id}/analytics") == "Dashboard"
    dashboard = schemas["Dashboard"]
    assert set(dashboard["required"]) == {
        "restaurant", "view_data", "review_analytics", "traffic_data", "hourly_views",
        "device_data", "period", "partial", "unavailable"}
    # what a source that did not answer leaves out is documented as null
    nullable = {"anyOf": [{"$ref": "#/components/schemas/ViewData"},
                          {"type": "object", "nullable": True, "enum": [None]}]}
    assert dashboard["properties"]["view_data"] == nullable
    assert dashboard["properties"]["restaurant"] == {"$ref": "#/components/schemas/Restaurant"}
    assert dashboard["properties"]["hourly_views"]["nullable"] is True
    # every list: {items, count, total, next_offset, ...} (inline), with its extra keys
    page = {"items", "count", "total", "total_is_estimate", "next_offset", "next_cursor"}
    for method, path, item, extra in [
        ("get", "/trending/restaurants", "TrendingRestaurant", {"city", "period"}),
        ("get", "/trending/dishes", "TrendingDish", {"city"}),
        ("get", "/experts", "Expert", set()),
        ("get", "/leaderboards/{city}/{cuisine}", "LeaderboardRestaurant",
         {"city", "cuisine", "users", "updated_at"}),
    ]:
        listed = paths[path][method]["responses"]["200"]["content"]["application/json"][
            "schema"]
        assert set(listed["required"]) == page | extra, path
        assert listed["properties"]["items"]["items"] == {
            "$ref": f"#/components/schemas/{item}"}, path
    trending_page = paths["/trending/restaurants"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    assert trending_page["properties"]["period"]["enum"] == [*periods, None]
    assert trending_page["properties"]["city"]["nullable"] is True
    assert schemas["TrendingRestaurant"]["properties"]["score"]["nullable"] is True

    engagement_read = paths["/restaurants/{restaurant_id}/engagement"]["get"]
    assert answer("get", "/restaurants/{restaurant_id}/engagement") == "RestaurantEngagement"
    assert engagement_read["security"] == [{"bearerAuth": []}]
    assert set(engagement_read["responses"]) >= {"200", "401", "403", "404"}
    counters = schemas["RestaurantEngagement"]["properties"]
    assert set(counters["counts"]["properties"]) == set(
        engagement_input["properties"]["engagement_type"]["enum"])
    assert set(counters["by_entity_type"]["properties"]) == {"restaurant", "menu", "reviews"}
    joined = schemas["TrendingRestaurant"]["properties"]["restaurant"]
    assert joined["anyOf"][0] == {"$ref": "#/components/schemas/Restaurant"}
    assert schemas["Expert"]["properties"]["profile"]["anyOf"][0] == {
        "$ref": "#/components/schemas/ProfileLite"}


def test_order_lists_are_pages_and_metrics_default_to_the_last_day(document):
    _, doc = document
    paths = doc["paths"]
    page = {"items", "count", "total", "total_is_estimate", "next_offset", "next_cursor"}

    def listed(path):
        return paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]

    history = listed("/orders/{order_id}/history")
    assert set(history["required"]) == page
    assert history["properties"]["items"]["items"] == {"$ref": "#/components/schemas/StatusChange"}
    metrics = listed("/orders/metrics")
    assert set(metrics["required"]) == page | {"from", "to"}
    assert metrics["properties"]["items"]["items"] == {"$ref": "#/components/schemas/StatusMetric"}
    window = {p["name"]: p for p in paths["/orders/metrics"]["get"]["parameters"]
              if p["in"] == "query"}
    assert [window[name]["required"] for name in ("from", "to")] == [False, False]
    assert "24 hours" in window["from"]["description"]
    assert "now" in window["to"]["description"]
    assert "last 24 hours" in paths["/orders/metrics"]["get"]["summary"]
    badges = listed("/users/{user_id}/badges")
    assert set(badges["required"]) == page


def test_a_password_is_sent_but_never_received(document):
    """load_only fields belong to request bodies, not to answers."""
    _, doc = document
    schemas = doc["components"]["schemas"]
    register = schemas["RegisterInput"]
    assert set(register["required"]) == {"email", "username", "password"}
    assert register["properties"]["password"] == {"type": "string", "minLength": 8,
                                                  "maxLength": 128, "writeOnly": True}
    assert register["properties"]["username"]["pattern"] == "^[A-Za-z0-9_.-]{3,50}$"
    assert not [name for name, schema in schemas.items()
                if "password" in schema.get("properties", {})
                and name not in ("RegisterInput", "CredentialsInput")]
    answer = doc["paths"]["/auth/register"]["post"]["responses"]["201"]
    assert answer["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/UserPrivate"}


# --- the document against real answers -------------------------------------------------------

def test_real_answers_match_the_document(catalog, rankings_service, seeded, web_session,
                                         validate_against, document, admin_headers):
    _, doc = document
    restaurant = seeded["restaurants"]["Penang Kitchen"]
    dish = seeded["dishes"]["Char Kway Teow"]
    rid, did = restaurant["id"], dish["id"]
    admin = admin_headers
    checks = [
        ("get", "/restaurants", web_session.get("/restaurants")),
        ("get", "/restaurants", web_session.get("/restaurants", params={"limit": 0})),
        ("get", "/restaurants/{restaurant_id}", web_session.get(f"/restaurants/{rid}")),
        ("get", "/restaurants/{restaurant_id}",
         web_session.get(f"/restaurants/{uuid.uuid4()}")),
        ("get", "/restaurants/{restaurant_id}/menu", web_session.get(f"/restaurants/{rid}/menu")),
        ("get", "/dishes/search", web_session.get("/dishes/search", params={"q": "noodles"})),
        ("get", "/health", web_session.get("/health")),
        ("get", "/ready", web_session.get("/ready")),  # 503: analytics is not running
        ("post", "/restaurants", web_session.post("/restaurants", json={})),
        ("post", "/restaurants",
         web_session.post("/restaurants", json={"name": "N", "city": "C"}, headers=admin)),
        ("post", "/restaurants", web_session.post("/restaurants", json={}, headers=admin)),
        ("patch", "/restaurants/{restaurant_id}",
         web_session.patch(f"/restaurants/{rid}", json={"phone": "+60 4 123"},
                           headers=admin)),
        ("post", "/restaurants/{restaurant_id}/dishes",
         web_session.post(f"/restaurants/{rid}/dishes", headers=admin,
                          json={"name": "Laksa", "dish_type": "laksa", "price": "8"})),
        ("patch", "/dishes/{dish_id}",
         web_session.patch(f"/dishes/{did}", json={"price": "9.50"}, headers=admin)),
        ("delete", "/dishes/{dish_id}", web_session.delete(f"/dishes/{did}", headers=admin)),
        ("delete", "/restaurants/{restaurant_id}",
         web_session.delete(f"/restaurants/{rid}", headers=admin)),
    ]
    statuses = [response.status_code for _, _, response in checks]
    assert statuses == [200, 400, 200, 404, 200, 200, 200, 503, 401, 201, 422, 200, 201, 200,
                        204, 204]
    for method, path, response in checks:
        validate_against(method, path, response)

    # and no undocumented fields in what the catalog answers
    properties = doc["components"]["schemas"]
    got = checks[2][2].json()
    assert set(got) == set(properties["Restaurant"]["properties"])
    menu_item = checks[4][2].json()["items"][0]
    assert set(menu_item) == set(properties["Dish"]["properties"])
    found = checks[5][2].json()["items"][0]
    assert set(found) == set(properties["DishSearchResult"]["properties"])


def test_rankings_answers_match_the_document(rankings_service, known, document, register,
                                            web_session, validate_against):
    _, doc = document
    schemas = doc["components"]["schemas"]
    restaurant = known.restaurant("Warung Doc", city="Ipoh")
    dish = known.dish(restaurant, "Nasi Lemak Doc")
    other_dish = known.dish(restaurant, "Nasi Lemak Two")
    author, reader = register("author"), register("reader")
    me, them = as_user(author["id"]), as_user(reader["id"])
    review = web_session.post(f"/restaurants/{restaurant}/reviews", headers=me,
                              json={"rating": 4, "content": "good"})
    rid = review.json()["id"]
    uid = author["id"]
    checks = [
        ("post", "/auth/register", web_session.post("/auth/register", json={
            "email": "x@example.com", "username": "newbie", "password": "long enough"})),
        ("post", "/auth/register", web_session.post("/auth/register", json={
            "email": "author@example.com", "username": "other", "password": "long enough"})),
        ("get", "/users/me", web_session.get("/users/me", headers=me)),
        ("patch", "/users/me", web_session.patch("/users/me", headers=me,
                                                 json={"bio": "I eat"})),
        ("get", "/users/{user_id}", web_session.get(f"/users/{uid}")),
        ("post", "/users/{user_id}/follow",
         web_session.post(f"/users/{uid}/follow", headers=them)),
        ("get", "/users/{user_id}/followers", web_session.get(f"/users/{uid}/followers")),
        ("get", "/users/{user_id}/following",
         web_session.get(f"/users/{reader['id']}/following")),
        ("delete", "/users/{user_id}/follow",
         web_session.delete(f"/users/{uid}/follow", headers=them)),
        ("put", "/rankings/my/{dish_type}", web_session.put(
            "/rankings/my/nasi%20lemak", headers=me,
            json={"dish_id": dish, "rank": 1, "notes": "the best",
                  "photo_urls": ["https://example.com/a.jpg"]})),
        ("put", "/rankings/my/{dish_type}", web_session.put(
            "/rankings/my/nasi%20lemak", headers=me,
            json={"dish_id": other_dish, "taste_status": "SECOND_CHANCE"})),
        ("put", "/rankings/my/{dish_type}", web_session.put(
            "/rankings/my/nasi%20lemak", headers=me, json={"dish_id": dish, "rank": 3})),  # gap
        ("get", "/rankings/my", web_session.get("/rankings/my", headers=me)),
        ("get", "/rankings/my/{dish_type}",
         web_session.get("/rankings/my/nasi%20lemak", headers=me)),
        ("get", "/dishes/{dish_id}/rankings", web_session.get(f"/dishes/{dish}/rankings")),
        ("get", "/rankings/best", web_session.get(
            "/rankings/best", params={"dish_type": "nasi lemak", "city": "Ipoh"})),
        ("get", "/rankings/best", web_session.get("/rankings/best")),
        ("get", "/users/{user_id}/badges", web_session.get(f"/users/{uid}/badges")),
        ("get", "/restaurants/{restaurant_id}/reviews",
         web_session.get(f"/restaurants/{restaurant}/reviews")),
        ("patch", "/reviews/{review_id}",
         web_session.patch(f"/reviews/{rid}", headers=me, json={"rating": 5})),
        ("patch", "/reviews/{review_id}",
         web_session.patch(f"/reviews/{rid}", headers=them, json={"rating": 1})),
        ("post", "/reviews/{review_id}/like",
         web_session.post(f"/reviews/{rid}/like", headers=them)),
        ("delete", "/reviews/{review_id}/like",
         web_session.delete(f"/reviews/{rid}/like", headers=them)),
        ("post", "/reviews/{review_id}/comments",
         web_session.post(f"/reviews/{rid}/comments", headers=them, json={"content": "ok"})),
        ("get", "/reviews/{review_id}/comments", web_session.get(f"/reviews/{rid}/comments")),
        ("delete", "/rankings/my/{dish_type}/{dish_id}",
         web_session.delete(f"/rankings/my/nasi%20lemak/{dish}", headers=me)),
        ("delete", "/reviews/{review_id}", web_session.delete(f"/reviews/{rid}", headers=me)),
        ("get", "/users/me", web_session.get("/users/me")),
    ]
    assert review.status_code == 201, review.text
    statuses = [response.status_code for _, _, response in checks]
    assert statuses == [201, 409, 200, 200, 200, 200, 200, 200, 204, 200, 200, 422, 200, 200,
                        200, 200, 400, 200, 200, 200, 403, 200, 200, 201, 200, 200, 204, 401]
    for method, path, response in checks:
        validate_against(method, path, response)

    # and no undocumented fields in what rankings answers
    def fields_of(name):
        return set(schemas[name]["properties"])

    answers = {path: response.json() for _, path, response in checks
               if response.status_code in (200, 201)}
    assert set(answers["/users/me"]) == fields_of("UserPrivate")
    assert set(answers["/users/{user_id}"]) == fields_of("PublicProfile")
    assert set(answers["/users/{user_id}/following"]["items"][0]) == fields_of("Follower")
    ranking_list = answers["/rankings/my/{dish_type}"]
    assert set(ranking_list) == fields_of("RankingList")
    assert set(ranking_list["ranked"][0]) == fields_of("RankingEntry")
    assert set(answers["/dishes/{dish_id}/rankings"]) == fields_of("DishStats")
    assert set(answers["/rankings/best"]["items"][0]) == fields_of("BestDish")
    badges = answers["/users/{user_id}/badges"]
    assert badges["count"] == badges["total"] == len(badges["items"]) > 0
    assert set(badges["items"][0]) == fields_of("BadgeProgress")
    assert set(answers["/restaurants/{restaurant_id}/reviews"]["items"][0]) == fields_of(
        "Review")
    assert set(answers["/reviews/{review_id}/comments"]["items"][0]) == fields_of("Comment")
    assert set(answers["/reviews/{review_id}/like"]) == fields_of("Like")


def test_the_dashboard_files_are_text(document, web_session):
    """The page and its files answer the media type the document names, with entity tags
    (304 when held), the page with a policy that allows only this origin."""
    _, doc = document
    for method, path in sorted(DASHBOARD_ROUTES):
        success = doc["paths"][path][method]["responses"]["200"]
        [media_type] = success["content"]
        assert success["content"][media_type]["schema"] == {"type": "string"}
        response = web_session.get(path)
        if path == "/dashboard/chart.umd.js" and response.status_code == 503:
            continue  # not installed (npm ci): the 503 the document lists
        assert response.status_code == 200, (path, response.text[:200])
        assert response.headers["Content-Type"].split(";")[0] == media_type, path
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        again = web_session.get(path, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304 and again.content == b"", path
    assert doc["paths"]["/dashboard"]["get"]["responses"]["200"]["content"] == {
        "text/html": {"schema": {"type": "string"}}}
    policy = web_session.get("/dashboard").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe" not in policy


def test_writes_document_the_idempotency_key(document):
    _, doc = document
    for method, path, op in operations(doc):
        headers = [p for p in op.get("parameters", []) if p["in"] == "header"
                   and p["name"] != "X-Anonymous-Id"]  # see the next test
        if method in ("post", "put", "patch", "delete"):
            assert [h["name"] for h in headers] == ["Idempotency-Key"], (method, path)
            assert headers[0]["required"] is False
            assert {"400", "409"} <= set(op["responses"]), (method, path)
        else:
            assert [h["name"] for h in headers] in ([], ["If-None-Match"]), (method, path)


def test_routes_that_make_a_view_document_the_viewer_id(document):
    """Who the anonymous viewer is: X-Anonymous-Id or the cookie, any text (never an
    error: what the gateway did not sign names nobody); the new id in the answer."""
    _, doc = document
    documented = set()
    for method, path, op in operations(doc):
        viewer_parameters = [(p["name"], p["in"], p["required"], p["schema"])
                             for p in op.get("parameters", [])
                             if p["name"] in ("X-Anonymous-Id", "bellyfed_viewer")]
        success = [response for status, response in op["responses"].items()
                   if status in ("200", "202", "304")]
        if not viewer_parameters:
            assert not any({"X-Anonymous-Id", "Set-Cookie"} & set(response.get("headers", {}))
                           for response in success), (method, path)
            continue
        documented.add((method, path))
        assert viewer_parameters == [
            ("X-Anonymous-Id", "header", False, {"type": "string"}),
            ("bellyfed_viewer", "cookie", False, {"type": "string"})], (method, path)
        assert success, (method, path)
        for response in success:
            assert {"X-Anonymous-Id", "Set-Cookie"} <= set(response["headers"]), (method, path)
    assert documented == VIEW_OPERATIONS
    headers = doc["components"]["headers"]
    assert headers["X-Anonymous-Id"]["required"] is False  # only when it hands one out
    assert headers["X-Anonymous-Id"]["schema"] == {
        "type": "string", "pattern": "^[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{22}$"}
    assert headers["Set-Cookie"]["required"] is False
    assert "bellyfed_viewer=" in headers["Set-Cookie"]["description"]
    for word in ("HttpOnly", "SameSite=Lax", "Secure", "Max-Age="):
        assert word in headers["Set-Cookie"]["description"], word


UNCACHED = {"/health", "/ready", "/metrics"}  # answers about this moment: never kept


def test_reads_document_their_entity_tags_and_who_may_keep_them(document):
    _, doc = document
    for method, path, op in operations(doc):
        headers = [p["name"] for p in op.get("parameters", []) if p["in"] == "header"]
        cached = method == "get" and path not in UNCACHED
        assert ("If-None-Match" in headers) is cached, (method, path)
        assert ("304" in op["responses"]) is cached, (method, path)
        success = op["responses"]["200" if method == "get" else next(iter(op["responses"]))]
        assert ({"ETag", "Cache-Control"} <= set(success.get("headers", {}))) is cached, (
            method, path)
    assert doc["components"]["headers"]["ETag"]["required"] is True


# --- links: what the stateful fuzzer (and a client) follows ----------------------------------

def test_links_lead_from_what_names_a_resource_to_the_routes_that_take_it(document):
    _, doc = document
    by_id = {op["operationId"]: (method, path, op) for method, path, op in operations(doc)}
    links = {}
    for method, path, op in operations(doc):
        for status, response in op["responses"].items():
            for name, link in response.get("links", {}).items():
                assert status in ("200", "201"), (method, path, status)
                target_method, target_path, target = by_id[link["operationId"]]
                assert name == link["operationId"]
                wanted = [p["name"] for p in target["parameters"] if p["in"] == "path"]
                assert sorted(link["parameters"]) == sorted(wanted), (path, target_path)
                for expression in link["parameters"].values():
                    assert re.fullmatch(r"\$response\.body#/(items/0/)?\w+|\$request\.path\.\w+",
                                        expression), expression
                links[op["operationId"], link["operationId"]] = link["parameters"]
    created = "$response.body#/id"
    for source, target, parameter in [
        ("create_restaurant", "get_restaurant", "restaurant_id"),
        ("create_restaurant", "create_dish", "restaurant_id"),
        ("create_dish", "update_dish", "dish_id"),
        ("create_order", "get_order", "order_id"),
        ("create_order", "change_order_status", "order_id"),
        ("create_review", "update_review", "review_id"),
        ("create_review", "add_comment", "review_id"),
        ("register", "get_profile", "user_id"),
    ]:
        assert links[source, target][parameter] == created, (source, target)
    assert links["create_dish", "remove_dish"] == {"dish_type": "$response.body#/dish_type",
                                                  "dish_id": created}
    # a page of a list leads to its first item's routes
    assert links["list_restaurants", "get_menu"] == {
        "restaurant_id": "$response.body#/items/0/id"}
    assert links["list_orders", "get_order_history"] == {
        "order_id": "$response.body#/items/0/id"}


# --- the document's rules in JSON Schema, against the Python that enforces them --------------

def test_python_patterns_read_the_same_in_ecma_262():
    """marshmallow matches with Python's re; JSON Schema validators use ECMA 262, where \\s
    is another set of characters. The translated pattern (valid in both) says the same."""
    not_blank = ecma_pattern(r"\s*\S")
    for code in range(0x3100):
        text = chr(code)
        assert bool(re.match(r"\s*\S", text)) == bool(re.match(not_blank, text)), hex(code)
        assert bool(re.match(r"\s*\S", " " + text)) == bool(re.match(not_blank, " " + text))
    assert ecma_pattern(r"[A-Za-z0-9_.-]{3,50}\Z") == "[A-Za-z0-9_.-]{3,50}$"
    assert ecma_pattern(r"[\s,]+\d") == f"[{PYTHON_SPACE},]+[0-9]"
    with pytest.raises(ValueError):
        ecma_pattern(r"\w+")  # Python's \w is Unicode's letters; ECMA's is ASCII


def test_the_documented_amount_is_what_money_takes():
    price = DishInputSchema().fields["price"]
    documented = openapi_document(GatewayService)["components"]["schemas"]["DishInput"]
    pattern = re.compile(documented["properties"]["price"]["pattern"])
    for text in ("0", "0.5", "12.50", "99999.99", "100000", "100000.0", "100000.00", "7"):
        assert pattern.search(text), text
        assert price.deserialize(text) is not None
    for text in ("100000.01", "100001", "1.234", "-1", "", "abc", "1e400"):
        assert not pattern.search(text), text
        with pytest.raises(ValidationError):
            price.deserialize(text)


def test_the_documented_idempotency_key_is_what_the_gateway_takes():
    documented = re.compile(IDEMPOTENCY_KEY["pattern"])
    assert {key: IDEMPOTENCY_KEY[key] for key in ("minLength", "maxLength")} == {
        "minLength": 1, "maxLength": 200}

    def taken(key: str) -> bool:
        request = EnvironBuilder(headers={"Idempotency-Key": key}).get_request()
        try:
            scoped = idempotency_key(request)  # the caller's own: anonymous:<sha256>
        except BadRequest:
            return False
        return scoped == f"anonymous:{hashlib.sha256(key.encode()).hexdigest()}"

    for code in range(0x100):  # what a header can carry (not a line break)
        key = f"a{chr(code)}b"
        if chr(code) in "\r\n":
            assert not documented.search(key)
            continue
        assert bool(documented.search(key)) == taken(key), hex(code)
    assert taken("k" * 200) and not taken("k" * 201)
    assert not documented.search(" a") and not documented.search("a ")  # HTTP strips them
