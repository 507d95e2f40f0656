"""Marshmallow helpers every service uses to validate what it is sent."""

from __future__ import annotations

import base64
import binascii
import decimal
import functools
import json
import re
import uuid
from datetime import UTC, datetime

from marshmallow import (
    EXCLUDE,
    Schema,
    ValidationError,
    fields,
    post_load,
    validate,
    validates_schema,
)

from shared.errors import BadRequest, InvalidInput

# no input nests deeper than a few levels (an order: body, items, item, field); a value
# nested hundreds deep is refused here rather than exhausting the recursion limit anywhere
MAX_NESTING = 10
# what JSON's \udxxx escapes can carry and UTF-8 (so PostgreSQL text) cannot
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _unstorable_text(value) -> tuple[dict[str, list[str]], bool]:
    """Where a JSON value holds text PostgreSQL cannot store (NUL characters, lone
    surrogates), and whether it nests deeper than MAX_NESTING (a loop, not recursion)."""
    found: dict[str, list[str]] = {}
    pending = [(value, "", 0)]
    while pending:
        item, path, depth = pending.pop()
        if depth > MAX_NESTING:
            return found, True
        if isinstance(item, str):
            if "\x00" in item:
                found.setdefault(path or "_value", []).append("may not contain NUL characters")
            if _LONE_SURROGATE.search(item):
                found.setdefault(path or "_value", []).append(
                    "must be valid Unicode (no lone surrogates)")
        elif isinstance(item, dict):
            for key, child in item.items():
                pending.append((key, path, depth + 1))
                pending.append((child, f"{path}.{key}".strip("."), depth + 1))
        elif isinstance(item, list):
            pending.extend((child, f"{path}[{index}]", depth + 1)
                           for index, child in enumerate(item))
    return found, False


@functools.cache
def _instance(schema_class: type[Schema]) -> Schema:
    return schema_class()


def load(schema: Schema | type[Schema], data, *, partial: bool | None = None,
         error=InvalidInput) -> dict:
    """Validate `data`; field errors become `error` (InvalidInput by default) with details.
    `schema`: an instance, or a class whose one instance is built once and kept (building
    a schema on every call was a measurable part of the hottest RPCs).
    `partial`: as marshmallow's (None: the schema's own, e.g. a consumer's reader)."""
    if isinstance(schema, type):
        schema = _instance(schema)
    if not isinstance(data, dict):
        raise error("expected a JSON object", {"_schema": ["expected a JSON object"]})
    unstorable, too_deep = _unstorable_text(data)
    if too_deep:
        raise error("the request nests values too deeply",
                    {"_schema": [f"at most {MAX_NESTING} levels of nesting"]})
    if unstorable:
        raise error("text may not contain NUL characters or lone surrogates",
                    {"fields": unstorable})
    try:
        return schema.load(data, partial=partial)
    except ValidationError as exc:
        raise error("the request has invalid fields", {"fields": exc.messages}) from None


# Regexp matches at the start, so allow leading whitespace before the first visible character
NOT_BLANK = validate.Regexp(r"\s*\S", error="must not be blank")


def text_field(max_length: int, **kwargs) -> fields.String:
    """Free text of at most `max_length` characters."""
    return fields.String(validate=validate.Length(max=max_length), **kwargs)


def name_field(max_length: int, **kwargs) -> fields.String:
    """A name or label: 1 to `max_length` characters, not blank."""
    return fields.String(validate=[validate.Length(min=1, max=max_length), NOT_BLANK],
                         **kwargs)


def web_url(**kwargs) -> fields.Url:
    """An http(s) URL a client may show or fetch (no javascript:, data: or file: URLs)."""
    return fields.Url(schemes={"http", "https"}, validate=validate.Length(max=500), **kwargs)


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


# a list's total is counted exactly up to this many; past it, it is an estimate (SPEC §3)
EXACT_TOTAL_UP_TO = 10_000


class Estimated(int):
    """A list's total that is an estimate (past EXACT_TOTAL_UP_TO), not a count: a store
    answers it in place of an int, and the page says `total_is_estimate: true`."""


def page(items: list, total: int, offset: int | None, next_cursor: str | None = None) -> dict:
    """The list answer shape: `{items, count, total, total_is_estimate, next_offset,
    next_cursor}`. `offset` None: the page was asked by cursor, so its position is not
    known and there is no next_offset (follow next_cursor)."""
    count = len(items)
    next_offset = (offset + count if offset is not None and offset + count < total
                   else None)
    return {"items": items, "count": count, "total": int(total),
            "total_is_estimate": isinstance(total, Estimated), "next_offset": next_offset,
            "next_cursor": next_cursor}


def paged(found, items: list, query: dict) -> dict:
    """A store's page (shared.pages.Page: `.total`, `.next_cursor`) as the list answer,
    `items` being its rows as the answer shows them. Asked by cursor, the page's position
    is not known, so no next_offset (follow next_cursor)."""
    offset = None if query.get("cursor") else query["offset"]
    return page(items, found.total, offset, found.next_cursor)


# --- cursors (SPEC §3): where a page ended, in the list's order -------------------------

# characters: a cursor holds a few keys, the longest a name of 200 characters, which in
# UTF-8 and base64 may take 1,070 (emoji); a cursor is base64url's alphabet only, so even
# the longest fits a request line many times over
MAX_CURSOR = 1200
CURSOR_ALPHABET = validate.Regexp(r"[A-Za-z0-9_-]*\Z",
                                  error="is not a cursor this API gave")
_CURSOR_KINDS = {str: "text", int: "a whole number", uuid.UUID: "an id",
                 decimal.Decimal: "a number", datetime: "a date and time"}


def encode_cursor(list_name: str, key: tuple) -> str:
    """The opaque cursor of the row whose order key is `key`, in the list `list_name`:
    URL-safe base64 of a JSON array, so a client can only hand it back."""
    values = [value if isinstance(value, str | int) and not isinstance(value, bool)
              else value.isoformat() if isinstance(value, datetime) else str(value)
              for value in key]
    raw = json.dumps([list_name, values], separators=(",", ":"), ensure_ascii=False)
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(list_name: str, kinds: tuple[type, ...], cursor: str) -> tuple:
    """The order key a cursor of `list_name` holds, each value of its kind; ValueError
    with the reason when it is not one (garbled, of another list, or of another shape)."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        name, values = json.loads(raw.decode())
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        raise ValueError("is not a cursor this API gave") from None
    if name != list_name or not isinstance(values, list) or len(values) != len(kinds):
        raise ValueError("is a cursor of another list")
    try:
        return tuple(_cursor_value(kind, value) for kind, value in zip(kinds, values, strict=True))
    except (ValueError, TypeError, ArithmeticError):
        raise ValueError("is not a cursor this API gave") from None


def _cursor_value(kind: type, value):
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(value)
        return value
    if not isinstance(value, str):
        raise ValueError(value)
    if kind is str:
        return value
    if kind is decimal.Decimal:
        number = decimal.Decimal(value)
        if not number.is_finite():
            raise ValueError(value)
        return number
    if kind is datetime:
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError(value)
        return moment
    return kind(value)  # uuid.UUID


class Cursor(fields.String):
    """`cursor`: a list's next_cursor handed back. Checked here (its length, and that it
    holds a key of `kinds`, one value per column of the list's order), so a bad cursor is
    a 400 at the gateway and never reaches a query; PagedQuery loads it as that key."""

    def __init__(self, list_name: str, kinds: tuple[type, ...], **kwargs):
        unknown = [kind for kind in kinds if kind not in _CURSOR_KINDS]
        if unknown:
            raise TypeError(f"no cursor kind for {unknown}")
        self.list_name, self.kinds = list_name, kinds
        kwargs.setdefault("metadata", {"description": (
            "the next_cursor of the page before, as it was given (opaque); not with offset")})
        super().__init__(validate=[validate.Length(min=1, max=MAX_CURSOR), CURSOR_ALPHABET,
                                   self._decodes], **kwargs)

    def key(self, cursor: str) -> tuple:
        return decode_cursor(self.list_name, self.kinds, cursor)

    def _decodes(self, cursor: str) -> None:
        if len(cursor) <= MAX_CURSOR:  # else Length says so, and nothing is decoded
            try:
                self.key(cursor)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None


# how deep a list may be paged: far past any list a person pages through, and well inside
# PostgreSQL's integer (a bigger offset is a 400, never an overflow)
MAX_OFFSET = 1_000_000


def paging_fields(default_limit: int, max_limit: int) -> dict:
    """limit/offset fields with a service's default and maximum page size."""
    return {
        "limit": fields.Integer(
            load_default=default_limit, validate=validate.Range(min=1, max=max_limit)
        ),
        "offset": fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_OFFSET)),
    }


class CommaSeparated(fields.List):
    """`tags=spicy,halal` in a query string (`tags=` is none), or a JSON list. Each part
    is checked as sent, so an empty or blank part ("a,,b") is refused, then trimmed."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, str):
            value = value.split(",") if value else []
        parts = super()._deserialize(value, attr, data, **kwargs)
        return [part.strip() for part in parts]


_AMOUNT = re.compile(r"(0|[1-9][0-9]*)(\.[0-9]+)?")  # no sign: amounts are never negative


class Money(fields.Decimal):
    """An amount as text with at most two decimal places ("12.50"): "9.999" is refused,
    not rounded, and so is a JSON number (a float cannot even say 0.07 exactly) or text
    Python would stretch to a number (" 1_2.5 ", "1e2", "+5", "05"). A Decimal passes (RPC
    callers in Python)."""

    def __init__(self, **kwargs):
        super().__init__(places=2, as_string=True, allow_nan=False, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, decimal.Decimal):
            exact = value
        elif isinstance(value, str) and _AMOUNT.fullmatch(value):
            exact = decimal.Decimal(value)
        else:
            raise ValidationError('must be an amount as text, such as "12.50"')
        if exact.is_finite() and exact.as_tuple().exponent < -2:
            raise ValidationError("at most 2 decimal places")
        return super()._deserialize(value, attr, data, **kwargs)


class StrictBoolean(fields.Boolean):
    """true or false, and nothing marshmallow would take for one (1, "yes", "on"...)."""

    def __init__(self, **kwargs):
        super().__init__(truthy={True}, falsy={False}, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):  # 1 == True, so the sets alone let 1 and 0 in
            raise self.make_error("invalid", input=value)
        return value


class WholeNumber(fields.Integer):
    """A whole number, or its digits as a query string carries them ("10"); never a
    fraction (2.9 is refused, not cut to 2) nor a boolean."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise self.make_error("invalid", input=value)
        return super()._deserialize(value, attr, data, **kwargs)


class StrictFloat(fields.Float):
    """A JSON number, never text that reads as one ("1.5"); finite."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_nan", False)
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValidationError("must be a number")
        return super()._deserialize(value, attr, data, **kwargs)


class UtcDateTime(fields.AwareDateTime):
    """An ISO 8601 date and time, loaded in UTC (one without an offset is UTC). Refused
    when UTC cannot hold it (0001-01-01T00:00+01:00 is in year 0): a 400/422, never an
    OverflowError later."""

    def __init__(self, **kwargs):
        super().__init__(default_timezone=UTC, **kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError:
            raise ValidationError("out of range") from None


class QuerySchema(Schema):
    """Base for query-parameter schemas. Unknown parameters are ignored, not refused: links
    and browsers add their own (utm_source, cache busters), a route without a query schema
    ignores them too, and only the declared ones are ever forwarded, so nothing can be
    assigned through them. Bodies are strict (unknown=RAISE): that is where mass
    assignment would happen."""

    class Meta:
        unknown = EXCLUDE


class PagedQuery(QuerySchema):
    """A list's query: its fields plus `limit` and `offset` (paging_fields) and, for a list
    that has one, a `cursor` (Cursor): paged by one or the other, never both."""

    @validates_schema
    def one_way_of_paging(self, data, **kwargs):
        if data.get("cursor") is not None and data.get("offset"):
            raise ValidationError("give a cursor or an offset, not both", "offset")

    @post_load
    def cursor_key(self, data, **kwargs):
        """`cursor` as the key it holds (Cursor.key), for the store."""
        if data.get("cursor") is not None:
            data["cursor"] = self.fields["cursor"].key(data["cursor"])
        return data
