"""Input limits of what analytics' RPCs accept (issue #7): entity ids, periods and limits
bounded, at the limit accepted and one past it refused; an engagement naming its user, or
anything else it does not declare, refused by name."""

from __future__ import annotations

import uuid

import pytest

from services.analytics import schemas
from services.analytics.schemas import (
    MAX_TRENDING_LIMIT,
    EngagementInput,
    EntitySchema,
    RestaurantTrafficArgs,
    TimeSeriesArgs,
    TrendingRestaurantsArgs,
)
from shared.tests.input_limits import (
    accepted,
    input_schemas,
    is_strict,
    refused,
    unbounded_fields,
)

ENTITY = {"entity_type": "restaurant", "entity_id": str(uuid.uuid4())}
# a valid example of everything analytics accepts: a new input schema needs one here
VALID = {
    EntitySchema: ENTITY,
    TimeSeriesArgs: ENTITY,
    RestaurantTrafficArgs: {"restaurant_id": str(uuid.uuid4())},
    TrendingRestaurantsArgs: {},
    EngagementInput: {**ENTITY, "engagement_type": "click"},
}

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (EntitySchema, "entity_id", str(uuid.uuid4()), "1" * 101),
    (EngagementInput, "entity_id", str(uuid.uuid4()), "1" * 101),
    (TrendingRestaurantsArgs, "limit", MAX_TRENDING_LIMIT, MAX_TRENDING_LIMIT + 1),
    (TrendingRestaurantsArgs, "limit", 1, 2**63),
    (TimeSeriesArgs, "period", "year", "decade"),
]

# who engaged is the caller's identity, and counts and times are analytics' own
READ_ONLY = [
    (EngagementInput, "user_id", str(uuid.uuid4())),
    (EngagementInput, "count", 1000),
    (EngagementInput, "occurred_at", "2024-01-01T00:00:00Z"),
]


def case_id(case) -> str:
    return f"{case[0].__name__}.{case[1]}"


def test_every_input_schema_has_a_valid_example():
    assert input_schemas(schemas) <= set(VALID)


@pytest.mark.parametrize("schema", list(VALID), ids=lambda schema: schema.__name__)
def test_every_field_a_caller_sends_is_bounded(schema):
    assert unbounded_fields(schema()) == []


@pytest.mark.parametrize("schema", list(VALID), ids=lambda schema: schema.__name__)
def test_the_valid_examples_are_accepted(schema):
    accepted(schema, VALID[schema])


@pytest.mark.parametrize(("schema", "field", "at_limit", "over_limit"), LIMITS,
                         ids=map(case_id, LIMITS))
def test_the_limit_is_accepted_and_past_it_refused(schema, field, at_limit, over_limit):
    assert field in accepted(schema, {**VALID[schema], field: at_limit})
    assert list(refused(schema, {**VALID[schema], field: over_limit})) == [field]


@pytest.mark.parametrize("schema", list(VALID), ids=lambda schema: schema.__name__)
def test_rpc_arguments_refuse_unknown_fields_by_name(schema):
    assert is_strict(schema)
    assert refused(schema, {**VALID[schema], "extra": 1}) == {"extra": ["Unknown field."]}


@pytest.mark.parametrize(("schema", "field", "value"), READ_ONLY, ids=map(case_id, READ_ONLY))
def test_read_only_fields_are_refused_by_name(schema, field, value):
    assert refused(schema, {**VALID[schema], field: value}) == {field: ["Unknown field."]}
