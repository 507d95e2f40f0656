"""Input limits of what analytics' RPCs accept (issue #7), as its contract declares them:
entity ids, periods, places and limits bounded, at the limit accepted and one past it
refused; an engagement naming its user, or anything else it does not declare, refused by
name. The gateway validates its query strings with the same schemas."""

from __future__ import annotations

import uuid

from services.analytics.contract import rpc as schemas
from services.analytics.contract.rpc import (
    MAX_PLACE_NAME,
    TOP_LIMIT,
    DashboardQuery,
    EngagementInput,
    LeaderboardArgs,
    TimeSeriesArgs,
    TopQuery,
    TrendingDishesQuery,
    TrendingRestaurantsQuery,
)
from shared.tests.input_limits import (
    schema_limit_tests,
)

ENTITY = {"entity_type": "restaurant", "entity_id": str(uuid.uuid4())}
# a valid example of everything analytics accepts: a new input schema needs one here
VALID = {
    TimeSeriesArgs: ENTITY,
    DashboardQuery: {},
    TrendingRestaurantsQuery: {},
    TrendingDishesQuery: {"city": "Ipoh"},
    TopQuery: {},
    LeaderboardArgs: {"city": "Ipoh", "cuisine": "Malay"},
    EngagementInput: {**ENTITY, "engagement_type": "click"},
}
LIMIT, PLACE = TOP_LIMIT["max"], "c" * MAX_PLACE_NAME

# schema, field, the largest accepted value, the smallest refused one
LIMITS = [
    (TimeSeriesArgs, "entity_id", str(uuid.uuid4()), "1" * 101),
    (TimeSeriesArgs, "period", "year", "decade"),
    (DashboardQuery, "period", "year", "decade"),
    (TrendingRestaurantsQuery, "limit", str(LIMIT), str(LIMIT + 1)),
    (TrendingRestaurantsQuery, "limit", LIMIT, LIMIT + 1),
    (TrendingRestaurantsQuery, "limit", 1, 2**63),
    (TrendingDishesQuery, "city", PLACE, PLACE + "c"),
    (TrendingDishesQuery, "limit", "1", "0"),
    (TopQuery, "limit", str(LIMIT), "99999999999999999999"),
    (LeaderboardArgs, "cuisine", PLACE, PLACE + "c"),
    (LeaderboardArgs, "limit", LIMIT, LIMIT + 1),
]

# who engaged is the caller's identity, and counts and times are analytics' own
READ_ONLY = [
    (EngagementInput, "user_id", str(uuid.uuid4())),
    (EngagementInput, "count", 1000),
    (EngagementInput, "occurred_at", "2024-01-01T00:00:00Z"),
]

globals().update(schema_limit_tests((schemas,), VALID, LIMITS, READ_ONLY))
