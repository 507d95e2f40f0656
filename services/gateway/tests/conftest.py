"""Gateway-only fixtures: the gateway over real HTTP, with the real catalog, rankings and
orders behind it."""

from __future__ import annotations

import pytest
from nameko.standalone.rpc import ClusterRpcProxy

from services.gateway.service import GatewayService
from services.gateway.tests.orders_support import Shop
from services.gateway.tests.support import (
    ADMIN_ID,
    JWT_SECRET,
    MAX_BODY_BYTES,
    READY_TIMEOUT,
    VIEWER_ID_SECRET,
    as_admin_user,
    as_user,
)


@pytest.fixture
def start_gateway(container_factory, service_config, web_config):
    """start_gateway(**overrides) -> a running gateway container on web_config's port."""

    def start(**overrides):
        config = {
            **service_config,
            **web_config,
            "JWT_SECRET": JWT_SECRET,  # as_user's tokens are signed with it
            "VIEWER_ID_SECRET": VIEWER_ID_SECRET,  # and VIEWERS' ids
            "MAX_BODY_BYTES": MAX_BODY_BYTES,
            "READY_TIMEOUT": READY_TIMEOUT,
            "READY_CACHE_SECONDS": 0.0,  # each /ready checks afresh, unless a test says so
            **overrides,
        }
        container = container_factory(GatewayService, config)
        container.start()
        return container

    return start


@pytest.fixture
def catalog(catalog_service):
    """The real catalog service (root conftest), on the test's vhost and database."""
    return catalog_service


@pytest.fixture
def gateway(catalog, start_gateway):
    """The gateway with the catalog behind it (enough for the catalog's routes)."""
    return start_gateway()


@pytest.fixture
def rankings_gateway(rankings_service, start_gateway):
    """The gateway with rankings behind it; what rankings knows of restaurants and dishes
    comes from `known`, not from a running catalog."""
    return start_gateway()


@pytest.fixture
def known(catalog_facts):
    """Restaurants and dishes rankings knows (the root conftest's catalog_facts)."""
    return catalog_facts


@pytest.fixture
def register(web_session):
    """register("aisyah") -> the new account (201 through POST /auth/register)."""

    def make(username: str, **extra) -> dict:
        body = {"email": f"{username}@example.com", "username": username,
                "password": f"{username}-secret-1", **extra}
        response = web_session.post("/auth/register", json=body)
        assert response.status_code == 201, response.text
        return response.json()

    return make


@pytest.fixture
def catalog_rpc(catalog, catalog_config):
    """The catalog over RPC, for seeding and for checking what the gateway changed."""
    with ClusterRpcProxy(catalog_config, timeout=5) as cluster:
        yield cluster.catalog


@pytest.fixture
def admin_headers():
    """An admin's request: an access token with the admin role."""
    return as_admin_user(ADMIN_ID)


RESTAURANTS = [
    {"name": "Nasi Lemak House", "city": "Kuala Lumpur", "address": "1 Jalan Ampang",
     "cuisine_type": ["Malaysian"], "price_range": 1},
    {"name": "Penang Kitchen", "city": "George Town", "address": "2 Lebuh Chulia",
     "cuisine_type": ["Malaysian", "Chinese"], "price_range": 2},
    {"name": "Sushi Zen", "city": "Kuala Lumpur", "address": "3 Jalan Bukit Bintang",
     "cuisine_type": ["Japanese"], "price_range": 4},
    {"name": "Curry Corner", "city": "Ipoh", "address": "4 Jalan Sultan Idris",
     "cuisine_type": ["Indian"], "price_range": 2},
]


@pytest.fixture
def seeded(catalog_rpc):
    """Four restaurants (by name) and their dishes (by name), created through the catalog."""
    restaurants = {data["name"]: catalog_rpc.create_restaurant(data) for data in RESTAURANTS}
    dishes = {}
    for restaurant, dish in [
        ("Nasi Lemak House", {"name": "Nasi Lemak Special", "dish_type": "nasi lemak",
                              "price": "12.50", "tags": ["spicy", "rice"],
                              "description": "coconut rice with sambal"}),
        ("Nasi Lemak House", {"name": "Teh Tarik", "dish_type": "drink", "price": "3.00",
                              "tags": ["sweet"]}),
        ("Penang Kitchen", {"name": "Char Kway Teow", "dish_type": "char kway teow",
                            "price": "9.00", "tags": ["spicy", "noodles"],
                            "description": "wok fried flat rice noodles"}),
        ("Sushi Zen", {"name": "Salmon Nigiri", "dish_type": "sushi", "price": "25.00",
                       "tags": ["raw"]}),
        ("Curry Corner", {"name": "Seasonal Fish Curry", "dish_type": "curry",
                          "price": "15.00", "tags": ["spicy"], "is_available": False}),
    ]:
        dishes[dish["name"]] = catalog_rpc.create_dish(restaurants[restaurant]["id"], dish)
    return {"restaurants": restaurants, "dishes": dishes}


@pytest.fixture
def document(start_gateway, web_session):
    """(the gateway, its OpenAPI document as served); the gateway is started here, so a test
    starts the services it needs behind it alongside."""
    container = start_gateway()
    response = web_session.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    return container, response.json()


@pytest.fixture
def validate_against(document):
    """validate_against(method, openapi_path, response): the answer is what the document
    says this operation answers with this status."""
    oas = pytest.importorskip("openapi_schema_validator")  # comes with openapi-spec-validator
    _, doc = document

    def check(method: str, path: str, response):
        op = doc["paths"][path][method]
        documented = op["responses"][str(response.status_code)]
        if "content" not in documented:
            assert response.content == b""
            return
        schema = {"allOf": [documented["content"]["application/json"]["schema"]],
                  "components": doc["components"]}
        validator = oas.OAS30Validator(schema, format_checker=oas.oas30_format_checker)
        errors = [error.message for error in validator.iter_errors(response.json())]
        assert errors == [], (method, path, response.status_code, errors)

    return check


@pytest.fixture
def shop(catalog, rankings_service, orders_service, document, web_session, validate_against,
         admin_headers):
    return Shop(web_session, validate_against, admin_headers)


@pytest.fixture
def people(register):
    """The restaurant's owner, a customer and a stranger: accounts registered through the
    gateway."""
    return {name: register(name)["id"] for name in ("owner", "customer", "stranger")}


@pytest.fixture
def menu(web_session, admin_headers, people):
    """A restaurant `owner` created (so owns) with two dishes on sale and one off; another
    restaurant, an admin's, with a dish of its own."""

    def post(url: str, body: dict, headers: dict) -> dict:
        response = web_session.post(url, json=body, headers=headers)
        assert response.status_code == 201, response.text
        return response.json()

    owner = as_user(people["owner"])
    house = post("/restaurants", {"name": "Nasi Lemak House", "city": "Kuala Lumpur"}, owner)
    assert house["owner_id"] == people["owner"]
    other = post("/restaurants", {"name": "Sushi Zen", "city": "Kuala Lumpur"}, admin_headers)
    dishes = f"/restaurants/{house['id']}/dishes"
    return {
        "house": house,
        "nasi": post(dishes, {"name": "Nasi Lemak Special", "dish_type": "nasi lemak",
                              "price": "12.50"}, owner),
        "teh": post(dishes, {"name": "Teh Tarik", "dish_type": "drink", "price": "3.00"}, owner),
        "off": post(dishes, {"name": "Seasonal Curry", "dish_type": "curry",
                             "price": "15.00", "is_available": False}, owner),
        "sushi": post(f"/restaurants/{other['id']}/dishes",
                      {"name": "Salmon Nigiri", "dish_type": "sushi", "price": "25.00"},
                      admin_headers),
    }
