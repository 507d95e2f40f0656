"""nearby_restaurants (GET /restaurants/nearby, SPEC §3) against a real broker and
PostgreSQL: nearest first within the radius, each with its great-circle distance."""

from __future__ import annotations

import math

import pytest
from nameko.standalone.rpc import ClusterRpcProxy
from sqlalchemy import event, text
from sqlalchemy.orm import Session

from services.catalog.contract.rpc import RestaurantSchema
from services.catalog.service import CatalogService
from services.catalog.storage import CatalogStore
from shared.errors import InvalidInput
from shared.postgres import make_engine

EARTH_RADIUS_KM = 6378.168  # earthdistance's earth(): the sphere its distances are on
IPOH = (4.5975, 101.0901)


def great_circle_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """The haversine distance between two (lat, lng) on earthdistance's sphere."""
    (lat1, lng1), (lat2, lng2) = ((math.radians(x), math.radians(y)) for x, y in (a, b))
    h = (math.sin((lat2 - lat1) / 2) ** 2
         + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * math.asin(math.sqrt(h))


def north_of(place: tuple[float, float], km: float) -> tuple[float, float]:
    """The point `km` due north of `place` (a meridian is a great circle)."""
    return round(place[0] + math.degrees(km / EARTH_RADIUS_KM), 8), place[1]


@pytest.fixture
def catalog(container_factory, catalog_config):
    container = container_factory(CatalogService, catalog_config)
    container.start()
    with ClusterRpcProxy(catalog_config, timeout=5) as cluster:
        yield cluster.catalog


def place(catalog, name: str, at: tuple[float, float] | None) -> dict:
    coordinates = {"latitude": at[0], "longitude": at[1]} if at else {}
    return catalog.create_restaurant({"name": name, "city": "Ipoh", **coordinates})


# around Ipoh's padang, at known distances; "Sin Eng Heong" is 10 m past a 2 km radius
AROUND_IPOH = {
    "Kedai Kopi Sin Yoon Loong": north_of(IPOH, 0.3),
    "Nam Heong": (4.5921, 101.0957),
    "Funny Mountain": (4.5880, 101.0802),
    "Lou Wong": (4.5800, 101.0901),
    "Sin Eng Heong": north_of(IPOH, 2.01),
    "Restoran Tanpa Alamat": None,  # no coordinates: never near anything
    "Kuala Lumpur Branch": (3.1390, 101.6869),
}


@pytest.fixture
def ipoh(catalog):
    return {name: place(catalog, name, at) for name, at in AROUND_IPOH.items()}


def near_ipoh(catalog, **query) -> dict:
    return catalog.nearby_restaurants(lat=str(IPOH[0]), lng=str(IPOH[1]), **query)


def names(answer: dict) -> list[str]:
    return [item["name"] for item in answer["items"]]


def test_nearest_first_within_the_radius(catalog, ipoh):
    answer = near_ipoh(catalog, radius_km="2")
    expected = sorted((name for name, at in AROUND_IPOH.items()
                       if at and great_circle_km(IPOH, at) <= 2),
                      key=lambda name: great_circle_km(IPOH, AROUND_IPOH[name]))
    assert expected == ["Kedai Kopi Sin Yoon Loong", "Nam Heong", "Funny Mountain", "Lou Wong"]
    assert names(answer) == expected
    assert {key: answer[key] for key in answer if key != "items"} == {
        "count": 4, "total": 4, "total_is_estimate": False, "next_offset": None,
        "next_cursor": None}
    first = answer["items"][0]
    assert set(first) == set(RestaurantSchema().fields) | {"distance_km"}
    assert {**first, "distance_km": None} == {
        **catalog.get_restaurant(ipoh["Kedai Kopi Sin Yoon Loong"]["id"]), "distance_km": None}

    wider = near_ipoh(catalog, radius_km="2.02")  # 10 m further: the next one is in
    assert names(wider) == [*expected, "Sin Eng Heong"]


def test_distance_km_is_the_great_circle_distance_to_the_metre(catalog, ipoh):
    for item in near_ipoh(catalog, radius_km="50")["items"]:
        true = great_circle_km(IPOH, AROUND_IPOH[item["name"]])
        assert abs(item["distance_km"] - true) < 0.002, (item["name"], true)  # 2 m
        assert item["distance_km"] == round(item["distance_km"], 3)
    assert near_ipoh(catalog, radius_km="2")["items"][0]["distance_km"] == 0.3


def test_distances_cross_the_antimeridian(catalog):
    """Points are compared on the globe, not by longitude: 179.99 and -179.99 are 2.2 km
    apart."""
    place(catalog, "East", (0.0, 179.99))
    place(catalog, "West", (0.0, -179.99))
    answer = catalog.nearby_restaurants(lat="0", lng="179.999", radius_km="5")
    assert names(answer) == ["East", "West"]
    assert [item["distance_km"] for item in answer["items"]] == [
        round(great_circle_km((0, 179.999), at), 3) for at in ((0, 179.99), (0, -179.99))]


def test_the_default_radius_is_5_km(catalog):
    place(catalog, "Four", north_of(IPOH, 4))
    place(catalog, "Six", north_of(IPOH, 6))
    assert names(near_ipoh(catalog)) == ["Four"]


def test_limit_takes_the_nearest_and_counts_the_rest(catalog, ipoh):
    answer = near_ipoh(catalog, radius_km="2", limit="2")
    assert names(answer) == ["Kedai Kopi Sin Yoon Loong", "Nam Heong"]
    assert (answer["count"], answer["total"], answer["next_offset"]) == (2, 4, None)


def test_the_default_limit_is_12(catalog):
    for n in range(15):
        place(catalog, f"Stall {n:02d}", north_of(IPOH, 0.1 * (n + 1)))
    answer = near_ipoh(catalog)
    assert names(answer) == [f"Stall {n:02d}" for n in range(12)]
    assert (answer["count"], answer["total"]) == (12, 15)
    assert len(names(near_ipoh(catalog, limit="50"))) == 15


def test_ties_are_ordered_by_id(catalog):
    """A food court: many restaurants at one address. A limit that cuts through them takes
    the lowest ids, the same every time."""
    nearer = place(catalog, "Nearer", north_of(IPOH, 0.5))
    court = [place(catalog, f"Stall {n}", north_of(IPOH, 1)) for n in range(4)]
    by_id = sorted(court, key=lambda stall: stall["id"])
    answer = near_ipoh(catalog, limit="3")
    assert [item["id"] for item in answer["items"]] == [nearer["id"], *(
        stall["id"] for stall in by_id[:2])]
    assert answer["total"] == 5
    assert len({item["distance_km"] for item in answer["items"][1:]}) == 1
    every = near_ipoh(catalog)
    assert [item["id"] for item in every["items"]] == [nearer["id"], *(
        stall["id"] for stall in by_id)]


def test_json_numbers_are_accepted_too(catalog, ipoh):
    answer = catalog.nearby_restaurants(lat=IPOH[0], lng=IPOH[1], radius_km=2, limit=1)
    assert names(answer) == ["Kedai Kopi Sin Yoon Loong"]


@pytest.mark.parametrize(("query", "field"), [
    ({"lat": "91"}, "lat"),
    ({"lat": "-90.0001"}, "lat"),
    ({"lng": "-181"}, "lng"),
    ({"lng": "180.5"}, "lng"),
    ({"radius_km": "0"}, "radius_km"),
    ({"radius_km": "-1"}, "radius_km"),
    ({"radius_km": "51"}, "radius_km"),
    ({"lat": "abc"}, "lat"),
    ({"lat": "nan"}, "lat"),
    ({"lng": "inf"}, "lng"),
    ({"lat": "1e999"}, "lat"),  # a float's inf
    ({"lat": " 4.5"}, "lat"),
    ({"lat": ""}, "lat"),
    ({"lat": True}, "lat"),
    ({"lat": None}, "lat"),
    ({"limit": "51"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "1.5"}, "limit"),
], ids=repr)
def test_bad_input_is_refused_naming_the_field(catalog, query, field):
    with pytest.raises(InvalidInput) as exc:
        catalog.nearby_restaurants(**{"lat": "4.5975", "lng": "101.0901", **query})
    assert list(exc.value.details["fields"]) == [field]


@pytest.mark.parametrize("missing", ["lat", "lng"])
def test_lat_and_lng_are_required(catalog, missing):
    query = {"lat": "4.5975", "lng": "101.0901"}
    del query[missing]
    with pytest.raises(InvalidInput) as exc:
        catalog.nearby_restaurants(**query)
    assert exc.value.details["fields"] == {missing: ["Missing data for required field."]}


def test_the_bounds_are_accepted(catalog):
    for query in ({"lat": "90", "lng": "180"}, {"lat": "-90", "lng": "-180"},
                  {"lat": "0", "lng": "0", "radius_km": "50"},
                  {"lat": "0", "lng": "0", "radius_km": "0.001"},
                  {"lat": "1e-3", "lng": "-0", "limit": "50"}):
        assert catalog.nearby_restaurants(**query)["items"] == [], query


def test_the_index_answers_the_nearest_and_the_count(catalog_config):
    """At a few thousand restaurants the planner reads both queries from
    idx_restaurants_earth, the nearest in its order of distance (a KNN scan); a spelling
    of the point that differed from the index's would fall back to reading every row."""
    engine = make_engine(catalog_config["DATABASE_URL"])
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO restaurants (id, name, city, latitude, longitude) "
            "SELECT gen_random_uuid(), 'Kedai ' || n, 'Ipoh', 4.5 + random() * 0.2, "
            "101 + random() * 0.2 FROM generate_series(1, 5000) AS n"))
        connection.execute(text("ANALYZE restaurants"))
    statements = []

    def keep(conn, cursor, statement, parameters, *_):
        statements.append(cursor.mogrify(statement, parameters).decode())

    with Session(engine) as session:
        event.listen(engine, "before_cursor_execute", keep)
        found, total = CatalogStore(session).nearby_restaurants(
            lat=IPOH[0], lng=IPOH[1], radius_km=2, limit=12)
        event.remove(engine, "before_cursor_execute", keep)
        assert len(found) == 12 and total > 12
        nearest, counted = (session.execute(text(
            "EXPLAIN (FORMAT JSON) " + statement.replace("%", "%%"))).scalar()[0]["Plan"]
            for statement in statements)
    engine.dispose()

    def scans(plan):
        yield plan
        for child in plan.get("Plans", ()):
            yield from scans(child)

    knn = [node for node in scans(nearest) if node.get("Order By")]
    assert [node["Index Name"] for node in knn] == ["idx_restaurants_earth"]
    assert "idx_restaurants_earth" in {node.get("Index Name") for node in scans(counted)}
    assert "Seq Scan" not in {node["Node Type"] for node in [*scans(nearest), *scans(counted)]}
