"""What the catalog accepts: query and input schemas, and how errors reach the caller."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from marshmallow import ValidationError

from services.catalog.contract.rpc import (
    DishInputSchema,
    DishSearchQuery,
    MenuQuery,
    RestaurantInputSchema,
    RestaurantListQuery,
)
from shared.errors import InvalidInput
from shared.schemas import load

RESTAURANT = {"name": "Warung A", "city": "Ipoh"}
DISH = {"name": "Nasi Lemak", "price": "8.50", "dish_type": "nasi lemak"}


def errors_of(schema, data, **kwargs) -> dict:
    with pytest.raises(ValidationError) as exc:
        schema.load(data, **kwargs)
    return exc.value.messages


# --- RestaurantListQuery ---------------------------------------------------------------------


def test_restaurant_list_defaults():
    assert RestaurantListQuery().load({}) == {"limit": 12, "offset": 0}


def test_restaurant_list_limit_bounds():
    assert RestaurantListQuery().load({"limit": 50})["limit"] == 50
    assert RestaurantListQuery().load({"limit": "1"})["limit"] == 1  # query strings
    assert list(errors_of(RestaurantListQuery(), {"limit": 51})) == ["limit"]
    assert list(errors_of(RestaurantListQuery(), {"limit": 0})) == ["limit"]


def test_restaurant_list_offset_not_negative():
    assert RestaurantListQuery().load({"offset": 30})["offset"] == 30
    assert list(errors_of(RestaurantListQuery(), {"offset": -1})) == ["offset"]


@pytest.mark.parametrize("name", ["city", "cuisine", "q"])
@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_restaurant_list_rejects_blank_strings(name, blank):
    assert list(errors_of(RestaurantListQuery(), {name: blank})) == [name]


def test_restaurant_list_keeps_filters_and_ignores_unknown_parameters():
    loaded = RestaurantListQuery().load({"city": "Ipoh", "cuisine": "Malay", "q": "50%",
                                         "utm_source": "mail"})
    assert loaded == {"city": "Ipoh", "cuisine": "Malay", "q": "50%", "limit": 12, "offset": 0}


def test_menu_query_defaults_and_max():
    assert MenuQuery().load({}) == {"limit": 100, "offset": 0}
    assert list(errors_of(MenuQuery(), {"limit": 201})) == ["limit"]


# --- RestaurantInputSchema -------------------------------------------------------------------


def test_restaurant_input_requires_name_and_city():
    assert errors_of(RestaurantInputSchema(), {}) == {
        "name": ["Missing data for required field."],
        "city": ["Missing data for required field."],
    }


def test_restaurant_input_partial_requires_nothing():
    assert RestaurantInputSchema().load({}, partial=True) == {}
    assert RestaurantInputSchema().load({"price_range": 3}, partial=True) == {"price_range": 3}


def test_restaurant_input_full():
    data = {
        **RESTAURANT, "address": "1 Jalan Sultan", "state": "Perak", "country": "Malaysia",
        "postal_code": "30000", "latitude": 4.5975, "longitude": 101.0901,
        "phone": "+60 5-000 0000", "website": "https://warung-a.example.com",
        "hours": {"mon": "08:00-22:00", "sun": "closed"}, "cuisine_type": ["Malay"],
        "price_range": 2,
    }
    assert RestaurantInputSchema().load(data) == data


@pytest.mark.parametrize("field", ["id", "created_at", "stars"])
def test_restaurant_input_rejects_unknown_fields(field):
    assert errors_of(RestaurantInputSchema(), {**RESTAURANT, field: "x"}) == {
        field: ["Unknown field."]
    }


@pytest.mark.parametrize("name", ["", "   ", "x" * 201])
def test_restaurant_input_rejects_bad_names(name):
    assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "name": name})) == ["name"]


def test_leading_whitespace_is_not_blank():
    loaded = RestaurantInputSchema().load(
        {"name": " Warung A", "city": "\tIpoh", "cuisine_type": [" thai ", "\nMalay"]}
    )
    assert loaded == {"name": " Warung A", "city": "\tIpoh", "cuisine_type": [" thai ", "\nMalay"]}
    assert RestaurantListQuery().load({"q": " bonda"})["q"] == " bonda"
    assert DishSearchQuery().load({"tags": [" spicy"]})["tags"] == ["spicy"]  # trimmed


@pytest.mark.parametrize("good", [1, 4])
def test_restaurant_price_range_accepts_1_to_4(good):
    assert RestaurantInputSchema().load({**RESTAURANT, "price_range": good})["price_range"] == good


@pytest.mark.parametrize("bad", [0, 5, "2", 2.0, 2.5, True])
def test_restaurant_price_range_is_a_strict_int_1_to_4(bad):
    assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "price_range": bad})) == [
        "price_range"
    ]


@pytest.mark.parametrize(
    ("field", "good", "bad"),
    [
        ("latitude", [-90, 0, 90, 4.5975], [-90.0001, 90.0001, float("nan"), "north"]),
        ("longitude", [-180, 180, 101.09], [-180.0001, 180.0001, float("inf"), float("nan")]),
    ],
)
def test_restaurant_coordinates_in_range(field, good, bad):
    for value in good:
        assert RestaurantInputSchema().load({**RESTAURANT, field: value})[field] == value
    for value in bad:
        assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, field: value})) == [field]


def test_restaurant_website_must_be_a_url():
    loaded = RestaurantInputSchema().load({**RESTAURANT, "website": "https://a.example.com/x"})
    assert loaded["website"] == "https://a.example.com/x"
    for bad in ["warung-a.example.com", "not a url", "javascript:alert(1)"]:
        assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "website": bad})) == [
            "website"
        ]


def test_restaurant_hours_keys_are_days():
    days = {d: "09:00-17:00" for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    assert RestaurantInputSchema().load({**RESTAURANT, "hours": days})["hours"] == days
    for bad in [{"monday": "9-5"}, {"Mon": "9-5"}, {"holiday": "closed"}, {"mon": "x" * 51}]:
        assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "hours": bad})) == [
            "hours"
        ]


def test_restaurant_cuisines_not_blank_and_at_most_ten():
    assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "cuisine_type": [" "]})) == [
        "cuisine_type"
    ]
    eleven = [f"c{i}" for i in range(11)]
    assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "cuisine_type": eleven})) == [
        "cuisine_type"
    ]


def test_restaurant_owner_is_not_a_body_field():
    """The owner is whoever creates the restaurant (the token), never what a body says."""
    owner = str(uuid.uuid4())
    assert errors_of(RestaurantInputSchema(), {**RESTAURANT, "owner_id": owner}) == {
        "owner_id": ["Unknown field."]
    }


# --- DishInputSchema -------------------------------------------------------------------------


def test_dish_input_requires_name_price_dish_type():
    assert errors_of(DishInputSchema(), {}) == {
        "name": ["Missing data for required field."],
        "price": ["Missing data for required field."],
        "dish_type": ["Missing data for required field."],
    }


def test_dish_input_full():
    data = {**DISH, "description": "with sambal", "image_url": "https://img.example.com/1.jpg",
            "tags": ["spicy"], "is_seasonal": True, "is_available": False}
    assert DishInputSchema().load(data) == {**data, "price": Decimal("8.50")}


@pytest.mark.parametrize(("raw", "price"), [("8.5", "8.50"), ("12", "12.00"), ("0", "0.00"),
                                            ("0.10", "0.10"), ("7.25", "7.25"),
                                            (Decimal("3.5"), "3.50")])
def test_dish_price_is_loaded_with_two_decimals(raw, price):
    loaded = DishInputSchema().load({**DISH, "price": raw})["price"]
    assert loaded == Decimal(price)
    assert loaded.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", [12, 7.25, True, " 1_2.5 ", "1e2", "+5", "-0", "05", "5.", ".5",
                                 "12,50", "", None, ["1"]])
def test_a_price_is_an_amount_as_text_and_nothing_python_would_stretch(raw):
    assert list(errors_of(DishInputSchema(), {**DISH, "price": raw})) == ["price"]


@pytest.mark.parametrize("field, raw", [("is_available", 1), ("is_available", "true"),
                                        ("is_seasonal", "yes"), ("is_seasonal", 0)])
def test_dish_flags_are_json_booleans(field, raw):
    assert list(errors_of(DishInputSchema(), {**DISH, field: raw})) == [field]


@pytest.mark.parametrize("raw", ["1.5", True, "north"])
def test_coordinates_are_json_numbers(raw):
    assert list(errors_of(RestaurantInputSchema(), {**RESTAURANT, "latitude": raw})) == [
        "latitude"]


@pytest.mark.parametrize("bad", ["-0.01", -1, "NaN", float("nan"), "Infinity", "abc", True,
                                 "100000.01"])
def test_dish_price_rejects_negative_nan_and_nonsense(bad):
    assert list(errors_of(DishInputSchema(), {**DISH, "price": bad})) == ["price"]


@pytest.mark.parametrize("field", ["restaurant_id", "average_rank", "id"])
def test_dish_input_rejects_fields_a_client_may_not_set(field):
    assert errors_of(DishInputSchema(), {**DISH, field: "1"}) == {field: ["Unknown field."]}


def test_dish_image_url_and_tags_are_checked():
    assert list(errors_of(DishInputSchema(), {**DISH, "image_url": "img.jpg"})) == ["image_url"]
    assert list(errors_of(DishInputSchema(), {**DISH, "tags": ["ok", "  "]})) == ["tags"]
    assert list(errors_of(DishInputSchema(), {**DISH, "dish_type": " "})) == ["dish_type"]


# --- DishSearchQuery -------------------------------------------------------------------------


def test_dish_search_defaults():
    assert DishSearchQuery().load({}) == {"limit": 20, "offset": 0}
    assert list(errors_of(DishSearchQuery(), {"limit": 51})) == ["limit"]


@pytest.mark.parametrize(
    ("raw", "tags"),
    [
        ("spicy", ["spicy"]),
        ("spicy,halal", ["spicy", "halal"]),
        (" spicy , halal", ["spicy", "halal"]),
        ("", []),
        (["spicy", "halal"], ["spicy", "halal"]),
    ],
)
def test_dish_search_tags_comma_separated(raw, tags):
    assert DishSearchQuery().load({"tags": raw})["tags"] == tags


@pytest.mark.parametrize("raw", ["a,,b", ",a", "a,", " ,a", " " * 60 + "a"])
def test_dish_search_tags_refuse_empty_blank_and_long_parts(raw):
    assert list(errors_of(DishSearchQuery(), {"tags": raw})) == ["tags"]


def test_dish_search_tags_limits():
    assert list(errors_of(DishSearchQuery(), {"tags": ",".join(f"t{i}" for i in range(11))})) == [
        "tags"
    ]
    assert list(errors_of(DishSearchQuery(), {"tags": ["ok", " "]})) == ["tags"]


def test_dish_search_price_bounds():
    loaded = DishSearchQuery().load({"price_min": "5", "price_max": "5"})
    assert (loaded["price_min"], loaded["price_max"]) == (Decimal("5.00"), Decimal("5.00"))
    assert errors_of(DishSearchQuery(), {"price_min": "10", "price_max": "9.99"}) == {
        "price_min": ["must not be above price_max"]
    }
    for bad in ["-1", "NaN", "cheap"]:
        assert list(errors_of(DishSearchQuery(), {"price_max": bad})) == ["price_max"]


@pytest.mark.parametrize("name", ["q", "dish_type", "city"])
def test_dish_search_rejects_blank_strings(name):
    assert list(errors_of(DishSearchQuery(), {name: "  "})) == [name]


# --- ids and the error the caller sees -------------------------------------------------------


def test_load_turns_field_errors_into_invalid_input_with_details():
    with pytest.raises(InvalidInput) as exc:
        load(RestaurantInputSchema(), {"name": "A", "city": "B", "price_range": 9})
    assert exc.value.details == {
        "fields": {"price_range": ["Must be greater than or equal to 1 and less than or "
                                   "equal to 4."]}
    }
    with pytest.raises(InvalidInput):
        load(RestaurantInputSchema(), ["not", "a", "dict"])
