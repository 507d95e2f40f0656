"""Marshmallow helpers every service uses to validate what it is sent."""

from __future__ import annotations

import decimal
import re
import uuid

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from shared.errors import BadRequest, InvalidInput


def _nul_paths(value, path: str = "") -> list[str]:
    """Where NUL characters hide in a JSON value: PostgreSQL text cannot hold them."""
    if isinstance(value, str):
        return [path or "_value"] if "\x00" in value else []
    if isinstance(value, dict):
        return [found for key, item in value.items()
                for found in _nul_paths(key, path) + _nul_paths(item, f"{path}.{key}".strip("."))]
    if isinstance(value, list):
        return [found for index, item in enumerate(value)
                for found in _nul_paths(item, f"{path}[{index}]")]
    return []


def load(schema: Schema, data, *, partial: bool = False, error=InvalidInput) -> dict:
    """Validate `data`; field errors become `error` (InvalidInput by default) with details."""
    if not isinstance(data, dict):
        raise error("expected a JSON object", {"_schema": ["expected a JSON object"]})
    if nul_paths := _nul_paths(data):
        raise error("text may not contain NUL characters",
                    {"fields": {path: ["may not contain NUL characters"] for path in nul_paths}})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise error("the request has invalid fields", {"fields": exc.messages}) from None


def normalize_dish_type(value: str) -> str:
    """One spelling per dish type across services: "Nasi  Lemak " is "nasi lemak"."""
    return re.sub(r"\s+", " ", value).strip().lower()


MAX_BULK_IDS = 500
_uuid_field = fields.UUID(required=True)


def parse_id(value, argument: str = "id") -> uuid.UUID:
    """A uuid argument of an RPC; InvalidInput naming `argument` when it is not one."""
    try:
        return _uuid_field.deserialize(value)
    except ValidationError as exc:
        raise InvalidInput("the request has invalid fields",
                           {"fields": {argument: exc.messages}}) from None


def parse_ids(values, argument: str = "ids") -> list[uuid.UUID]:
    """A list of at most MAX_BULK_IDS uuids (bulk reads)."""
    if not isinstance(values, list) or len(values) > MAX_BULK_IDS:
        raise InvalidInput("the request has invalid fields", {"fields": {argument: [
            f"expected a list of at most {MAX_BULK_IDS} ids"]}})
    return [parse_id(value, argument) for value in values]


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


class Money(fields.Decimal):
    """An amount with at most two decimal places: "9.999" is refused, not rounded."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            exact = decimal.Decimal(str(value))
        except (decimal.InvalidOperation, ValueError):
            exact = None  # the parent says what is wrong with it
        if exact is not None and exact.is_finite() and exact.as_tuple().exponent < -2:
            raise ValidationError("at most 2 decimal places")
        return super()._deserialize(value, attr, data, **kwargs)


class QuerySchema(Schema):
    """Base for query-parameter schemas: unknown parameters are ignored, as browsers add some."""

    class Meta:
        unknown = EXCLUDE


class PageSchema(Schema):
    """Response shape of every list (for documentation)."""

    count = fields.Integer(required=True)
    total = fields.Integer(required=True)
    next_offset = fields.Integer(allow_none=True, required=True)
