"""GET /restaurants/nearby over real HTTP with the real catalog behind it (SPEC §3, §7):
nearest first with distance_km, bad coordinates a 400 before the catalog is asked."""

from __future__ import annotations

import pytest

from services.gateway.tests.support import assert_error

IPOH = {"lat": "4.5975", "lng": "101.0901"}
# due north of IPOH, at about these many km (0.009° of latitude is 1.0019 km)
AROUND = [("Nasi Kandar Ipoh", "4.6020", 0.501), ("Kedai Kopi Sun Seng Fatt", "4.5975", 0.0),
          ("Restoran Thean Chun", "4.6155", 2.004)]


@pytest.fixture
def around_ipoh(catalog_rpc):
    made = {name: catalog_rpc.create_restaurant({
        "name": name, "city": "Ipoh", "latitude": float(lat), "longitude": 101.0901})
        for name, lat, _ in AROUND}
    made["Restoran Tanpa Alamat"] = catalog_rpc.create_restaurant(
        {"name": "Restoran Tanpa Alamat", "city": "Ipoh"})  # no coordinates
    return made


def test_nearby_answers_the_nearest_first_with_their_distance(gateway, around_ipoh,
                                                              web_session):
    response = web_session.get("/restaurants/nearby", params={**IPOH, "radius_km": "1"})
    assert response.status_code == 200, response.text
    assert response.headers["Cache-Control"].startswith("public")  # an anonymous read
    body = response.json()
    assert [item["name"] for item in body["items"]] == [
        "Kedai Kopi Sun Seng Fatt", "Nasi Kandar Ipoh"]
    assert [item["distance_km"] for item in body["items"]] == [0.0, 0.501]
    assert {key: body[key] for key in body if key != "items"} == {
        "count": 2, "total": 2, "total_is_estimate": False, "next_offset": None,
        "next_cursor": None}
    nearest = body["items"][0]
    assert {**nearest, "distance_km": None} == {
        **around_ipoh["Kedai Kopi Sun Seng Fatt"], "distance_km": None}

    wider = web_session.get("/restaurants/nearby", params={**IPOH, "radius_km": "2.1",
                                                           "limit": "2"}).json()
    assert [item["name"] for item in wider["items"]] == [
        "Kedai Kopi Sun Seng Fatt", "Nasi Kandar Ipoh"]
    assert (wider["count"], wider["total"], wider["next_offset"]) == (2, 3, None)


BAD_NEARBY_QUERIES = [
    ({**IPOH, "lat": "91"}, "lat"),
    ({**IPOH, "lat": "-90.5"}, "lat"),
    ({**IPOH, "lng": "-181"}, "lng"),
    ({**IPOH, "lng": "180.01"}, "lng"),
    ({**IPOH, "lat": "abc"}, "lat"),
    ({**IPOH, "lat": "nan"}, "lat"),
    ({**IPOH, "lng": "Infinity"}, "lng"),
    ({**IPOH, "lat": "1e999"}, "lat"),
    ({**IPOH, "lat": ""}, "lat"),
    ({**IPOH, "radius_km": "0"}, "radius_km"),
    ({**IPOH, "radius_km": "51"}, "radius_km"),
    ({**IPOH, "radius_km": "far"}, "radius_km"),
    ({**IPOH, "limit": "51"}, "limit"),
    ({"lng": IPOH["lng"]}, "lat"),
    ({"lat": IPOH["lat"]}, "lng"),
]


def test_nearby_refuses_bad_coordinates_at_the_gateway(start_gateway, web_session):
    """400 with the field named and no internals, before any downstream call: the catalog
    is not even running here."""
    start_gateway()
    for params, field in BAD_NEARBY_QUERIES:
        response = web_session.get("/restaurants/nearby", params=params)
        details = assert_error(response, 400, "bad_request")
        assert list(details) == ["fields"] and list(details["fields"]) == [field], params
        assert all(isinstance(message, str) for message in details["fields"][field])
    # no coordinates at all: both named (and /restaurants/nearby is no restaurant's id)
    details = assert_error(web_session.get("/restaurants/nearby"), 400, "bad_request")
    assert details["fields"] == {"lat": ["Missing data for required field."],
                                 "lng": ["Missing data for required field."]}


def test_nearby_answers_as_documented(catalog, catalog_rpc, document, web_session,
                                      validate_against):
    _, doc = document
    catalog_rpc.create_restaurant({"name": "Warung Doc", "city": "Ipoh", "latitude": 4.6,
                                   "longitude": 101.09, "cuisine_type": ["Malay"]})
    found = web_session.get("/restaurants/nearby", params=IPOH)
    refused = web_session.get("/restaurants/nearby", params={**IPOH, "lat": "100"})
    assert (found.status_code, refused.status_code) == (200, 400)
    for response in (found, refused):
        validate_against("get", "/restaurants/nearby", response)
    item = found.json()["items"][0]
    assert set(item) == set(doc["components"]["schemas"]["NearbyRestaurant"]["properties"])
    parameters = {p["name"]: p for p in doc["paths"]["/restaurants/nearby"]["get"]["parameters"]
                  if p["in"] == "query"}
    assert {name: p["required"] for name, p in parameters.items()} == {
        "lat": True, "lng": True, "radius_km": False, "limit": False}
    assert parameters["radius_km"]["schema"] == {
        "type": "number", "minimum": 0, "exclusiveMinimum": True, "maximum": 50, "default": 5}
