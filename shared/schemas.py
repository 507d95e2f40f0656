"""Marshmallow helpers every service uses to validate what it is sent."""

from __future__ import annotations

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.errors import BadRequest, InvalidInput


def load(schema: Schema, data, *, partial: bool = False, error=InvalidInput) -> dict:
    """Validate `data`; field errors become `error` (InvalidInput by default) with details."""
    if not isinstance(data, dict):
        raise error("expected a JSON object", {"_schema": ["expected a JSON object"]})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise error("the request has invalid fields", {"fields": exc.messages}) from None


def load_query(schema: Schema, args: dict) -> dict:
    """Validate query parameters: a bad one is a 400, not a 422."""
    return load(schema, args, error=BadRequest)


def page(items: list, total: int, offset: int) -> dict:
    """The list answer shape: `{items, count, total, next_offset}`."""
    count = len(items)
    next_offset = offset + count if offset + count < total else None
    return {"items": items, "count": count, "total": total, "next_offset": next_offset}


def paging_fields(default_limit: int, max_limit: int) -> dict:
    """limit/offset fields with a service's default and maximum page size."""
    return {
        "limit": fields.Integer(
            load_default=default_limit, validate=validate.Range(min=1, max=max_limit)
        ),
        "offset": fields.Integer(load_default=0, validate=validate.Range(min=0, max=1_000_000)),
    }


class QuerySchema(Schema):
    """Base for query-parameter schemas: unknown parameters are ignored, as browsers add some."""

    class Meta:
        unknown = EXCLUDE


class PageSchema(Schema):
    """Response shape of every list (for documentation)."""

    count = fields.Integer(required=True)
    total = fields.Integer(required=True)
    next_offset = fields.Integer(allow_none=True, required=True)
