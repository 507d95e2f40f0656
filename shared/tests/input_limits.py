"""What every service's input-limit tests share (imported by them, collected by none).

`unbounded_fields(schema)` reads a schema's declarations: a field a client can send that
has no upper bound is named, so a new field without a limit fails its service's test
before it can reach a database. `refused` and `accepted` load a value the way the
services do (shared.schemas.load for bodies and RPC arguments, load_query for query
strings), so the error a caller would get is the one asserted.
"""

from __future__ import annotations

import re
from types import ModuleType

import pytest
from marshmallow import RAISE, Schema, fields, validate

from shared.errors import BadRequest, InvalidInput
from shared.schemas import QuerySchema, UtcDateTime, load, load_query

INPUT_NAME = re.compile(r"[A-Z]\w*(Input|InputSchema|Query|Args)\Z")
# a pattern bounds its match when it is anchored at the end and repeats nothing unboundedly
_UNBOUNDED_REPEAT = re.compile(r"(?<!\\)[*+]|\{\d*,\}")
BOUNDED_BY_TYPE = (fields.UUID, fields.Boolean, UtcDateTime)


def input_schemas(module: ModuleType) -> set[type[Schema]]:
    """The input schemas a module declares (by name: ...Input, ...Query, ...Args), not the
    ones it imports. Schema.from_dict's classes have no module of ours: they count too."""
    return {
        value for name, value in vars(module).items()
        if isinstance(value, type) and issubclass(value, Schema) and INPUT_NAME.match(name)
        and (value.__module__ == module.__name__
             or not value.__module__.startswith(("services", "shared")))
    }


def unbounded_fields(schema: Schema, prefix: str = "") -> list[str]:
    """What of `schema` a client can send without an upper bound ([] when nothing)."""
    problems = []
    for name, field in schema.fields.items():
        if not field.dump_only:
            problems += _field_problems(field, prefix + name)
    return problems


def _validators(field: fields.Field, kind: type) -> list:
    return [rule for rule in field.validators if isinstance(rule, kind)]


def _has_max_length(field: fields.Field) -> bool:
    return any(rule.max is not None for rule in _validators(field, validate.Length))


def _has_choices(field: fields.Field) -> bool:
    return bool(_validators(field, validate.OneOf))


def _bounded_pattern(field: fields.Field) -> bool:
    return any(rule.regex.pattern.endswith(("\\Z", "$"))
               and not _UNBOUNDED_REPEAT.search(rule.regex.pattern)
               for rule in _validators(field, validate.Regexp))


def _field_problems(field: fields.Field, where: str) -> list[str]:
    if isinstance(field, fields.Nested):
        return unbounded_fields(field.schema, where + ".")
    if isinstance(field, fields.List):
        own = [] if _has_max_length(field) else [f"{where}: a list without a maximum length"]
        return own + _field_problems(field.inner, where + "[]")
    if isinstance(field, fields.Dict):
        keys_bounded = field.key_field is not None and _has_choices(field.key_field)
        own = ([] if keys_bounded or _has_max_length(field)
               else [f"{where}: a dict without a bounded number of keys"])
        for part, inner in (("keys", field.key_field), ("values", field.value_field)):
            own += ([f"{where}: {part} of any shape"] if inner is None
                    else _field_problems(inner, f"{where}.<{part}>"))
        return own
    if isinstance(field, BOUNDED_BY_TYPE):
        return []
    if isinstance(field, fields.DateTime):
        return [f"{where}: a datetime that is not a UtcDateTime (may overflow in UTC)"]
    if isinstance(field, fields.Number):
        ranges = _validators(field, validate.Range)
        own = ([] if any(r.min is not None and r.max is not None for r in ranges)
               else [f"{where}: a number without a minimum and a maximum"])
        if isinstance(field, fields.Float | fields.Decimal) and field.allow_nan:
            own.append(f"{where}: allows NaN or infinity")
        return own
    if isinstance(field, fields.String):
        if _has_max_length(field) or _has_choices(field) or _bounded_pattern(field):
            return []
        return [f"{where}: a string without a maximum length"]
    return [f"{where}: a {type(field).__name__} nobody checked for bounds"]


def is_query(schema_cls: type[Schema]) -> bool:
    return issubclass(schema_cls, QuerySchema)


def _load(schema_cls: type[Schema], data: dict, partial: bool) -> dict:
    if is_query(schema_cls):
        return load_query(schema_cls(), data)
    return load(schema_cls(), data, partial=partial)


def accepted(schema_cls: type[Schema], data: dict, *, partial: bool = False) -> dict:
    """`data` loaded as the service would load it; the test fails if it is refused."""
    return _load(schema_cls, data, partial)


def refused(schema_cls: type[Schema], data: dict, *, partial: bool = False) -> dict:
    """The field errors a caller gets for `data`: asserting it is refused with the right
    status, 400 for a query string and 422 for a body or RPC argument."""
    expected = BadRequest if is_query(schema_cls) else InvalidInput
    with pytest.raises(expected) as exc:
        _load(schema_cls, data, partial)
    assert type(exc.value) is expected
    return exc.value.details.get("fields", exc.value.details)


def is_strict(schema_cls: type[Schema]) -> bool:
    """Whether unknown fields are refused (every body and RPC argument schema)."""
    return schema_cls().unknown == RAISE


def schema_limit_tests(modules: tuple[ModuleType, ...], valid: dict, limits: list,
                       read_only: list) -> dict:
    """The input-limit tests every service runs on its own schemas, for its test module:
    `globals().update(schema_limit_tests((schemas,), VALID, LIMITS, READ_ONLY))`.

    valid: schema -> a valid example (every input schema the modules declare needs one);
    limits: (schema, field, at_limit, over_limit); read_only: (schema, field, value).
    """

    def case_id(case) -> str:
        return f"{case[0].__name__}.{case[1]}"

    def schema_id(schema: type[Schema]) -> str:
        return schema.__name__

    def test_every_input_schema_has_a_valid_example():
        declared = set().union(*(input_schemas(module) for module in modules))
        missing = sorted(map(schema_id, declared - set(valid)))
        assert not missing, f"input schemas without a valid example: {missing}"

    @pytest.mark.parametrize("schema", list(valid), ids=schema_id)
    def test_every_field_a_caller_sends_is_bounded(schema):
        assert unbounded_fields(schema()) == []

    @pytest.mark.parametrize("schema", list(valid), ids=schema_id)
    def test_the_valid_examples_are_accepted(schema):
        accepted(schema, valid[schema])

    @pytest.mark.parametrize(("schema", "field", "at_limit", "over_limit"), limits,
                             ids=map(case_id, limits))
    def test_the_limit_is_accepted_and_past_it_refused(schema, field, at_limit, over_limit):
        assert field in accepted(schema, {**valid[schema], field: at_limit})
        assert list(refused(schema, {**valid[schema], field: over_limit})) == [field]

    @pytest.mark.parametrize("schema", [s for s in valid if not is_query(s)], ids=schema_id)
    def test_bodies_and_rpc_arguments_refuse_unknown_fields_by_name(schema):
        assert is_strict(schema)
        assert refused(schema, {**valid[schema], "extra": 1}) == {"extra": ["Unknown field."]}

    @pytest.mark.parametrize(("schema", "field", "value"), read_only,
                             ids=map(case_id, read_only))
    @pytest.mark.parametrize("partial", [False, True], ids=["whole", "partial"])
    def test_read_only_fields_are_refused_by_name(schema, field, value, partial):
        data = {field: value} if partial else {**valid[schema], field: value}
        assert refused(schema, data, partial=partial) == {field: ["Unknown field."]}

    return {name: test for name, test in locals().items() if name.startswith("test_")}
