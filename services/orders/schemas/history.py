"""Status-history payload shapes: what it is asked and what it answers. It is written from
orders' own events, whose payloads are in schemas.orders (the producer's contract)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from shared.schemas import StrictBoolean, UtcDateTime

# --- what the history is asked -------------------------------------------------------------


class HistoryQueryInput(Schema):
    class Meta:
        unknown = RAISE

    order_id = fields.UUID(required=True)
    actor_id = fields.UUID(load_default=None, allow_none=True)
    # a real boolean only: the string "false" must never grant anything
    is_admin = StrictBoolean(load_default=False)


class MetricsRangeInput(Schema):
    """Hours from `start` to `end` (ISO datetimes; one without an offset is UTC)."""

    class Meta:
        unknown = RAISE

    start = UtcDateTime(required=True)
    end = UtcDateTime(required=True)


class ReconcileInput(Schema):
    class Meta:
        unknown = RAISE

    window_hours = fields.Float(load_default=None, allow_none=True,
                                validate=validate.Range(min=0, min_inclusive=False, max=24 * 31))


# --- what the history answers --------------------------------------------------------------


class HistoryMetadataSchema(Schema):
    total = fields.String()
    currency = fields.String()


class HistoryEntrySchema(Schema):
    version = fields.Integer()
    previous_status = fields.String(allow_none=True)
    new_status = fields.String()
    actor_id = fields.String(allow_none=True)
    actor_role = fields.String()
    changed_at = fields.String()  # ISO 8601, UTC
    metadata = fields.Nested(HistoryMetadataSchema)


class StatusMetricSchema(Schema):
    status = fields.String()
    hour = fields.String()  # yyyy-mm-dd-hh, UTC
    count = fields.Integer()
    total_value = fields.String()
