"""Input limits of what analytics' RPCs accept (issue #7): entity ids, periods and limits
bounded, at the limit accepted and one past it refused; an engagement naming its user, or
anything else it does not declare, refused by name."""

from __future__ import annotations

import uuid

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
    schema_limit_tests,
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

globals().update(schema_limit_tests((schemas,), VALID, LIMITS, READ_ONLY))
