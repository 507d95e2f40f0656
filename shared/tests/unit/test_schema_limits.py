"""The limits every service's schemas share (shared.schemas): paging, text PostgreSQL can
store, nesting, datetimes UTC can hold, and the checker the services' limit tests use."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from marshmallow import Schema, fields, validate

from shared.errors import BadRequest, InvalidInput
from shared.schemas import (
    MAX_NESTING,
    MAX_OFFSET,
    QuerySchema,
    UtcDateTime,
    load,
    load_query,
    paging_fields,
)
from shared.tests.input_limits import accepted, refused, unbounded_fields


class PageQuery(QuerySchema):
    limit, offset = paging_fields(default_limit=10, max_limit=25).values()


class Anything(Schema):
    """A body whose one field takes any JSON value: only load's own checks apply."""

    value = fields.Raw()


class Window(Schema):
    at = UtcDateTime(required=True)


def nested(depth: int, leaf="x"):
    """`leaf` inside `depth` lists: nested(2) is [["x"]]."""
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


# --- paging ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("params", "expected"), [
    ({}, {"limit": 10, "offset": 0}),
    ({"limit": "25"}, {"limit": 25, "offset": 0}),
    ({"limit": "1", "offset": str(MAX_OFFSET)}, {"limit": 1, "offset": MAX_OFFSET}),
])
def test_paging_accepts_up_to_its_bounds(params, expected):
    assert accepted(PageQuery, params) == expected


@pytest.mark.parametrize(("params", "field"), [
    ({"limit": "26"}, "limit"),
    ({"limit": "0"}, "limit"),
    ({"limit": "99999999999999999999"}, "limit"),
    ({"offset": str(MAX_OFFSET + 1)}, "offset"),
    ({"offset": "99999999999999999999"}, "offset"),   # past bigint: a 400, not a 500
    ({"offset": "9" * 5000}, "offset"),                # past int()'s digit limit too
    ({"offset": "-1"}, "offset"),
    ({"offset": "1e3"}, "offset"),
    ({"offset": "1.5"}, "offset"),
])
def test_paging_refuses_what_is_past_its_bounds_with_a_400(params, field):
    assert list(refused(PageQuery, params)) == [field]


def test_the_deepest_offset_fits_a_postgresql_integer():
    assert MAX_OFFSET + 1000 < 2**31 - 1


def test_unknown_query_parameters_are_ignored_not_forwarded():
    assert accepted(PageQuery, {"utm_source": "mail", "_": "1712"}) == {"limit": 10, "offset": 0}


# --- text PostgreSQL can store -----------------------------------------------------------------


@pytest.mark.parametrize(("value", "path"), [
    ("a\x00b", "value"),
    (["ok", "a\x00b"], "value[1]"),
    ({"inner": "a\x00b"}, "value.inner"),
    ({"ke\x00y": "ok"}, "value"),
])
def test_nul_characters_are_refused_wherever_they_hide(value, path):
    assert refused(Anything, {"value": value}) == {path: ["may not contain NUL characters"]}


@pytest.mark.parametrize("raw", ['"\\ud800"', '"x\\udfffx"', '["ok", "\\udc00"]'])
def test_lone_surrogates_from_json_escapes_are_refused(raw):
    value = json.loads(raw)  # what the gateway's JSON parser hands on
    with pytest.raises(InvalidInput) as exc:
        load(Anything(), {"value": value})
    assert list(exc.value.details["fields"].values()) == [
        ["must be valid Unicode (no lone surrogates)"]]


def test_a_surrogate_pair_is_one_character_and_welcome():
    value = json.loads('"nasi \\ud83c\\udf5b"')
    assert value == "nasi \N{CURRY AND RICE}"
    assert accepted(Anything, {"value": value}) == {"value": value}


def test_bad_text_in_a_query_string_is_a_400():
    with pytest.raises(BadRequest) as exc:
        load_query(PageQuery(), {"utm_source": "\x00"})
    assert exc.value.details == {"fields": {"utm_source": ["may not contain NUL characters"]}}


# --- nesting -----------------------------------------------------------------------------------


def test_values_nested_up_to_the_limit_are_accepted():
    value = nested(MAX_NESTING - 1)  # the body is one level, "value" the next
    assert accepted(Anything, {"value": value}) == {"value": value}


@pytest.mark.parametrize("depth", [MAX_NESTING, 900, 100_000])
def test_values_nested_deeper_are_refused_not_a_recursion_error(depth):
    details = refused(Anything, {"value": nested(depth)})
    assert details == {"_schema": [f"at most {MAX_NESTING} levels of nesting"]}


def test_deep_nesting_in_a_query_is_a_400():
    with pytest.raises(BadRequest):
        load_query(PageQuery(), {"x": nested(MAX_NESTING)})


# --- datetimes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "utc"), [
    ("2024-05-01T10:00:00+08:00", datetime(2024, 5, 1, 2, tzinfo=UTC)),
    ("2024-05-01T10:00:00", datetime(2024, 5, 1, 10, tzinfo=UTC)),   # no offset: UTC
    ("0001-01-01T01:00:00+01:00", datetime(1, 1, 1, tzinfo=UTC)),    # the earliest there is
    ("9999-12-31T23:59:59Z", datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)),
])
def test_datetimes_are_loaded_in_utc(raw, utc):
    loaded = accepted(Window, {"at": raw})["at"]
    assert loaded == utc
    assert loaded.utcoffset().total_seconds() == 0


@pytest.mark.parametrize("raw", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:00:00-12:00"])
def test_datetimes_utc_cannot_hold_are_refused_not_an_overflow(raw):
    assert refused(Window, {"at": raw}) == {"at": ["out of range"]}


# --- the checker the services' limit tests rely on ---------------------------------------------


class Bounded(Schema):
    name = fields.String(validate=validate.Length(max=10))
    kind = fields.String(validate=validate.OneOf(["a", "b"]))
    code = fields.String(validate=validate.Regexp(r"[a-z]{1,8}\Z"))
    tags = fields.List(fields.String(validate=validate.Length(max=5)),
                       validate=validate.Length(max=3))
    hours = fields.Dict(keys=fields.String(validate=validate.OneOf(["mon"])),
                        values=fields.String(validate=validate.Length(max=5)))
    count = fields.Integer(validate=validate.Range(min=0, max=9))
    ratio = fields.Float(validate=validate.Range(min=0, max=1))
    at = UtcDateTime()
    id = fields.UUID()
    flag = fields.Boolean()
    shown_only = fields.String(dump_only=True)  # never loaded: nothing to bound


def test_a_schema_with_every_field_bounded_has_no_findings():
    assert unbounded_fields(Bounded()) == []


@pytest.mark.parametrize(("field", "finding"), [
    (fields.String(), "a string without a maximum length"),
    (fields.String(validate=validate.Regexp(r"\s*\S")), "a string without a maximum length"),
    (fields.String(validate=validate.Regexp(r"[a-z]+\Z")), "a string without a maximum length"),
    (fields.List(fields.String(validate=validate.Length(max=5))),
     "a list without a maximum length"),
    (fields.Dict(keys=fields.String(validate=validate.Length(max=5)),
                 values=fields.String(validate=validate.Length(max=5))),
     "a dict without a bounded number of keys"),
    (fields.Integer(validate=validate.Range(min=0)), "a number without a minimum and a maximum"),
    (fields.Float(allow_nan=True, validate=validate.Range(min=0, max=1)),
     "allows NaN or infinity"),
    (fields.AwareDateTime(), "a datetime that is not a UtcDateTime (may overflow in UTC)"),
    (fields.Raw(), "a Raw nobody checked for bounds"),
])
def test_an_unbounded_field_is_named(field, finding):
    schema = Schema.from_dict({"loose": field})()
    assert unbounded_fields(schema) == [f"loose: {finding}"]


def test_unbounded_fields_are_found_inside_lists_and_nested_schemas():
    inner = Schema.from_dict({"note": fields.String()})
    outer = Schema.from_dict({"items": fields.List(fields.Nested(inner),
                                                   validate=validate.Length(max=2))})
    assert unbounded_fields(outer()) == ["items[].note: a string without a maximum length"]
