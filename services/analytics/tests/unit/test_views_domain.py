"""View and engagement events as writes: keys, viewers, devices, listings, schemas."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest

from services.analytics.contract.rpc import (
    DashboardQuery,
    EngagementInput,
    EntitySchema,
    TimeSeriesArgs,
    TrendingRestaurantsQuery,
)
from services.analytics.domain.views import (
    ANALYTICS,
    ENGAGEMENTS,
    engagement_writes,
    entity_key,
    entity_view_writes,
    parse_entity,
    parse_entity_type,
    period_key,
    view_writes,
    viewer_identity,
)
from services.gateway.contract.events import MAX_LISTED_IDS
from shared.errors import InvalidInput
from shared.schemas import load
from shared.writes import Increment, PutIfAbsent

RESTAURANT = str(uuid.uuid4())
USER = str(uuid.uuid4())
WHEN = "2026-01-04T23:15:00+00:00"  # a Sunday: ISO week 2026-W01


def envelope(event_type: str, payload: dict, occurred_at: str = WHEN) -> dict:
    return {"event_id": str(uuid.uuid4()), "event_type": event_type, "version": 1,
            "occurred_at": occurred_at, "producer": "gateway", "correlation_id": None,
            "payload": payload}


def by_sk(writes: list) -> dict:
    """Increments by sort key, and the PutIfAbsent markers under "markers"."""
    found: dict = {"markers": []}
    for write in writes:
        if isinstance(write, PutIfAbsent):
            found["markers"].append(write)
        else:
            assert write.key["sk"] not in found, f"two increments of {write.key}"
            found[write.key["sk"]] = write
    return found


# --- keys ------------------------------------------------------------------------------------

def test_entity_keys():
    assert entity_key("restaurant", "r1") == "RESTAURANT#r1"
    assert entity_key("dish", "d1") == "DISH#d1"
    assert entity_key("menu", "r1") == "MENU#r1"
    assert entity_key("reviews", "r1") == "REVIEWS#r1"
    assert entity_key("listing", "all") == "LISTING#all"
    with pytest.raises(InvalidInput):
        entity_key("RESTAURANT", "r1")
    with pytest.raises(InvalidInput):
        entity_key("order", "o1")


def test_parse_entity():
    assert parse_entity_type("menu") == "menu"
    with pytest.raises(InvalidInput):
        parse_entity_type("Menu")
    assert parse_entity("dish", RESTAURANT.upper()) == ("dish", RESTAURANT)
    assert parse_entity("listing", "all") == ("listing", "all")
    for bad in [("dish", "x"), ("listing", RESTAURANT), ("order", RESTAURANT), ("dish", None)]:
        with pytest.raises(InvalidInput) as raised:
            parse_entity(*bad)
        assert set(raised.value.details["fields"]) <= {"entity_type", "entity_id"}


def test_period_key_names_the_type_period_and_bucket():
    assert period_key("restaurant", "week", "2026-W01") == "RESTAURANT#week#2026-W01"


def test_viewer_identity_user_beats_anonymous():
    assert viewer_identity({"user_id": USER, "anonymous_id": "abc"}) == f"user#{USER}"
    assert viewer_identity({"user_id": uuid.UUID(USER)}) == f"user#{USER}"
    assert viewer_identity({"user_id": USER.upper()}) == f"user#{USER}"  # one spelling


def test_viewer_identity_anonymous_and_none():
    assert viewer_identity({"user_id": None, "anonymous_id": "abc"}) == "anon#abc"
    assert viewer_identity({"anonymous_id": "  abc "}) == "anon#abc"
    assert viewer_identity({"user_id": None, "anonymous_id": None}) is None
    assert viewer_identity({"anonymous_id": "  "}) is None
    assert viewer_identity({}) is None


# --- one view --------------------------------------------------------------------------------

def test_a_restaurant_view_means_these_writes():
    writes = view_writes(envelope("restaurant_viewed", {
        "restaurant_id": RESTAURANT, "user_id": USER, "device_type": "mobile",
        "user_agent": "ua", "something_new": 1}))  # unknown fields are ignored
    pk = f"RESTAURANT#{RESTAURANT}"
    assert all(write.table == ANALYTICS and write.key["pk"] == pk for write in writes)
    found = by_sk(writes)
    assert found["VIEWS"] == Increment(ANALYTICS, {"pk": pk, "sk": "VIEWS"},
                                       add={"view_count": 1}, set={"last_viewed_at": WHEN})
    assert found["DATE#2026-01-04"] == Increment(
        ANALYTICS, {"pk": pk, "sk": "DATE#2026-01-04"},
        add={"views": 1, "hour_23": 1, "device_mobile": 1},
        set_if_absent={"date": "2026-01-04"})
    for sk, period, bucket_ in [("PERIOD#day#2026-01-04", "day", "2026-01-04"),
                                ("PERIOD#week#2026-W01", "week", "2026-W01"),
                                ("PERIOD#month#2026-01", "month", "2026-01"),
                                ("PERIOD#year#2026", "year", "2026")]:
        assert found[sk].add == {"views": 1}
        assert found[sk].set_if_absent == {
            "period_key": f"RESTAURANT#{period}#{bucket_}", "entity_id": RESTAURANT}
    [marker] = found["markers"]
    assert marker.item == {"pk": pk, "sk": f"VIEWER#user#{USER}", "first_viewed_at": WHEN}
    assert marker.on_new == (Increment(ANALYTICS, {"pk": pk, "sk": "VIEWS"},
                                       add={"unique_viewers": 1}),)
    assert len(writes) == 7


def test_hour_and_day_are_the_events_time_in_utc():
    writes = view_writes(envelope("restaurant_viewed", {"restaurant_id": RESTAURANT},
                                  occurred_at="2026-01-01T07:05:00+08:00"))
    found = by_sk(writes)
    assert found["DATE#2025-12-31"].add["hour_23"] == 1
    assert "PERIOD#year#2025" in found and "PERIOD#week#2026-W01" in found


def test_a_parsed_envelope_time_works_too():
    event = envelope("restaurant_viewed", {"restaurant_id": RESTAURANT})
    event["occurred_at"] = datetime(2026, 1, 4, 23, 15, tzinfo=UTC)
    assert "DATE#2026-01-04" in by_sk(view_writes(event))


@pytest.mark.parametrize("event_type, entity", [
    ("restaurant_viewed", "RESTAURANT"), ("restaurant_menu_viewed", "MENU"),
    ("restaurant_reviews_viewed", "REVIEWS")])
def test_restaurant_pages_are_entities_of_their_own(event_type, entity):
    writes = view_writes(envelope(event_type, {"restaurant_id": RESTAURANT}))
    assert {write.key["pk"] for write in writes} == {f"{entity}#{RESTAURANT}"}
    assert by_sk(writes)["PERIOD#week#2026-W01"].set_if_absent["period_key"] == \
        f"{entity}#week#2026-W01"


def test_a_dish_view():
    dish = str(uuid.uuid4())
    writes = view_writes(envelope("dish_viewed", {"dish_id": dish, "anonymous_id": "a1"}))
    assert {write.key["pk"] for write in writes} == {f"DISH#{dish}"}
    assert by_sk(writes)["markers"][0].item["sk"] == "VIEWER#anon#a1"


@pytest.mark.parametrize("viewer", [
    {},                                                  # not said
    {"user_id": None, "anonymous_id": None},             # what the gateway sends for a view
    {"user_id": None, "anonymous_id": ""},               # whose viewer id did not verify
])
def test_no_viewer_no_marker_but_still_a_view(viewer):
    found = by_sk(view_writes(envelope("restaurant_viewed", {
        "restaurant_id": RESTAURANT, "device_type": "mobile", "user_agent": "ua", **viewer})))
    assert found["markers"] == []  # nothing adds to unique_viewers
    assert found["VIEWS"].add == {"view_count": 1}
    assert found["DATE#2026-01-04"].add["views"] == 1


@pytest.mark.parametrize("device, counted", [
    ("mobile", "device_mobile"), ("Tablet", "device_tablet"), ("desktop", "device_desktop"),
    ("toaster", None), ("", None), (None, None)])
def test_device_counted_only_when_known(device, counted):
    daily = by_sk(view_writes(envelope("restaurant_viewed", {
        "restaurant_id": RESTAURANT, "device_type": device})))["DATE#2026-01-04"].add
    devices = {name for name in daily if name.startswith("device_")}
    assert devices == ({counted} if counted else set())
    assert daily["views"] == 1


def test_entity_view_writes_without_viewer_or_device():
    writes = entity_view_writes("dish", "d1", datetime(2026, 1, 4, 9, tzinfo=UTC), None, None)
    assert len(writes) == 6
    assert by_sk(writes)["DATE#2026-01-04"].add == {"views": 1, "hour_09": 1}


# --- listings --------------------------------------------------------------------------------

def test_a_listing_is_a_view_of_the_listing_and_impressions_of_each_restaurant():
    ids = [str(uuid.uuid4()) for _ in range(3)]
    writes = view_writes(envelope("restaurants_listed", {
        "filters": {"city": "Ipoh"}, "limit": 12, "offset": 0, "result_count": 3,
        "total": 3, "restaurant_ids": [*ids, ids[0]], "user_id": None,
        "device_type": "desktop", "user_agent": "ua"}))
    listing = [write for write in writes if write.key["pk"] == "LISTING#all"]
    assert len(listing) == 6  # VIEWS, DATE, four PERIODs; no viewer
    assert by_sk(listing)["PERIOD#day#2026-01-04"].set_if_absent["entity_id"] == "all"
    impressions = [write for write in writes if write.key["pk"] != "LISTING#all"]
    assert impressions == [Increment(ANALYTICS, {"pk": f"RESTAURANT#{id_}", "sk": "VIEWS"},
                                     add={"impressions": 1}) for id_ in ids]  # deduped


def test_a_search_is_a_listing_too():
    id_ = str(uuid.uuid4())
    writes = view_writes(envelope("restaurants_searched", {
        "filters": {"q": "nasi"}, "restaurant_ids": [id_], "anonymous_id": "a1"}))
    assert {write.key["pk"] for write in writes} == {"LISTING#all", f"RESTAURANT#{id_}"}
    assert by_sk([w for w in writes if w.key["pk"] == "LISTING#all"])["markers"][0] \
        .item["sk"] == "VIEWER#anon#a1"


def test_listing_impressions_are_capped():
    ids = [str(uuid.uuid4()) for _ in range(MAX_LISTED_IDS + 10)]
    writes = view_writes(envelope("restaurants_listed", {"restaurant_ids": ids}))
    impressions = [write for write in writes if write.key["pk"] != "LISTING#all"]
    assert [write.key["pk"] for write in impressions] == \
        [f"RESTAURANT#{id_}" for id_ in ids[:MAX_LISTED_IDS]]


def test_an_empty_listing_is_still_a_view():
    writes = view_writes(envelope("restaurants_listed", {"restaurant_ids": []}))
    assert {write.key["pk"] for write in writes} == {"LISTING#all"}
    writes = view_writes(envelope("restaurants_listed", {}))
    assert {write.key["pk"] for write in writes} == {"LISTING#all"}


# --- unusable events -------------------------------------------------------------------------

@pytest.mark.parametrize("event", [
    envelope("restaurant_viewed", {}),
    envelope("restaurant_viewed", {"restaurant_id": "not-a-uuid"}),
    envelope("restaurant_viewed", {"restaurant_id": RESTAURANT, "user_id": "nobody"}),
    envelope("restaurant_viewed", {"restaurant_id": RESTAURANT, "anonymous_id": "x" * 201}),
    envelope("dish_viewed", {"restaurant_id": RESTAURANT}),
    envelope("restaurants_listed", {"restaurant_ids": ["nope"]}),
    envelope("restaurants_listed", {"restaurant_ids": "nope"}),
    envelope("restaurant_viewed", "not an object"),
    envelope("restaurant_viewed", {"restaurant_id": RESTAURANT}, occurred_at="2026-01-04"),
    envelope("restaurant_viewed", {"restaurant_id": RESTAURANT}, occurred_at="tuesday"),
    envelope("order_created", {"restaurant_id": RESTAURANT}),
])
def test_an_unusable_event_is_invalid_input(event):
    with pytest.raises(InvalidInput):
        view_writes(event)


# --- engagement ------------------------------------------------------------------------------

def test_engagement_writes_a_record_with_ttl_and_counts_it_once():
    occurred = datetime(2026, 1, 4, 10, 0, 0, tzinfo=UTC)
    [record] = engagement_writes("rec-1", "restaurant", RESTAURANT, "share", USER, occurred)
    assert record.table == ENGAGEMENTS
    assert record.item == {
        "pk": f"RESTAURANT#{RESTAURANT}",
        "sk": "2026-01-04T10:00:00.000000+00:00#rec-1",
        "record_id": "rec-1", "entity_type": "restaurant", "entity_id": RESTAURANT,
        "engagement_type": "share", "user_id": USER,
        "occurred_at": "2026-01-04T10:00:00+00:00",
        "expires_at": int(datetime(2026, 4, 4, 10, tzinfo=UTC).timestamp()),  # 90 days on
    }
    assert record.on_new == (Increment(ANALYTICS, {"pk": f"RESTAURANT#{RESTAURANT}",
                                                   "sk": "ENGAGEMENT"},
                                       add={"engagement_share": 1}),)


def test_anonymous_engagement_has_no_user():
    [record] = engagement_writes("rec-1", "dish", "d1", "click", None,
                                 datetime(2026, 1, 4, tzinfo=UTC))
    assert "user_id" not in record.item


def test_engagement_refuses_unknown_types():
    when = datetime(2026, 1, 4, tzinfo=UTC)
    with pytest.raises(InvalidInput):
        engagement_writes("r", "restaurant", RESTAURANT, "like", None, when)
    with pytest.raises(InvalidInput):
        engagement_writes("r", "order", RESTAURANT, "click", None, when)


# --- RPC argument schemas --------------------------------------------------------------------

def test_entity_arguments():
    assert load(EntitySchema(), {"entity_type": "restaurant",
                                 "entity_id": RESTAURANT.upper()}) == {
        "entity_type": "restaurant", "entity_id": RESTAURANT}
    assert load(EntitySchema(), {"entity_type": "listing", "entity_id": "all"})["entity_id"] \
        == "all"
    for bad in [{"entity_type": "restaurant", "entity_id": "all"},
                {"entity_type": "listing", "entity_id": RESTAURANT},
                {"entity_type": "order", "entity_id": RESTAURANT},
                {"entity_type": "dish"}]:
        with pytest.raises(InvalidInput):
            load(EntitySchema(), bad)


def test_period_and_limit_arguments_have_defaults():
    assert load(TimeSeriesArgs(), {"entity_type": "dish", "entity_id": RESTAURANT}) == {
        "entity_type": "dish", "entity_id": RESTAURANT, "period": "week"}
    assert load(DashboardQuery(), {"period": "year"}) == {"period": "year"}
    # trending restaurants: by decayed score overall unless a city, or a period (raw counts)
    assert load(TrendingRestaurantsQuery(), {}) == {"limit": 10}
    assert load(TrendingRestaurantsQuery(), {"city": "Ipoh"}) == {"city": "Ipoh", "limit": 10}
    assert load(TrendingRestaurantsQuery(), {"period": "day"}) == {"period": "day", "limit": 10}
    # as a query string carries it: the gateway forwards the same values it checked
    assert load(TrendingRestaurantsQuery(), {"limit": "10"})["limit"] == 10
    with pytest.raises(InvalidInput) as refused:  # a period's raw counts are overall only
        load(TrendingRestaurantsQuery(), {"city": "Ipoh", "period": "week"})
    assert list(refused.value.details["fields"]) == ["city"]
    for schema, bad in [(DashboardQuery(), {"period": "fortnight"}),
                        (TrendingRestaurantsQuery(), {"city": " "}),
                        (TrendingRestaurantsQuery(), {"city": "x" * 101}),
                        (TrendingRestaurantsQuery(), {"limit": 0}),
                        (TrendingRestaurantsQuery(), {"limit": 51}),
                        (TrendingRestaurantsQuery(), {"limit": "ten"})]:
        with pytest.raises(InvalidInput):
            load(schema, bad)


def test_engagement_input():
    data = {"entity_type": "restaurant", "entity_id": RESTAURANT, "engagement_type": "call"}
    assert load(EngagementInput(), data) == data
    for bad in [{**data, "engagement_type": "like"}, {**data, "user_id": USER},
                {"entity_type": "restaurant", "entity_id": RESTAURANT}]:
        with pytest.raises(InvalidInput):
            load(EngagementInput(), bad)
