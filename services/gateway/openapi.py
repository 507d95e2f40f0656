"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas.

Only routes declared with `route(...)` on the service exist, and each appears
here exactly as served (tests compare this document with the live URL map).
"""

from __future__ import annotations

import re

from marshmallow import Schema, fields, missing, validate
from werkzeug.routing import parse_converter_args

from services.gateway.schemas import ErrorSchema

ERROR_DESCRIPTIONS = {
    400: "Malformed request or query parameters",
    401: "Authentication required",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Invalid fields",
    429: "Too many requests",
    503: "A downstream service is unavailable",
    504: "A downstream service did not answer in time",
}
ALWAYS = (500, 503, 504)
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# werkzeug's <name>, <converter:name> and <converter(arguments):name>
_CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
SECURITY_SCHEMES = {
    "adminToken": {"type": "apiKey", "in": "header", "name": "X-Admin-Token"},
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                   "description": "The access_token of POST /auth/login. Optional on the "
                                  "other routes, where it names the viewer; an invalid "
                                  "token is 401 everywhere."},
}

NULL = {"type": "object", "nullable": True, "enum": [None]}  # only null (OpenAPI 3.0.3)

_FIELD_TYPES = [
    (fields.UUID, {"type": "string", "format": "uuid"}),
    (fields.AwareDateTime, {"type": "string", "format": "date-time"}),
    (fields.DateTime, {"type": "string", "format": "date-time"}),
    (fields.Email, {"type": "string", "format": "email"}),
    (fields.Url, {"type": "string", "format": "uri"}),
    (fields.Decimal, {"type": "string", "format": "decimal"}),
    (fields.Integer, {"type": "integer"}),
    (fields.Float, {"type": "number"}),
    (fields.Boolean, {"type": "boolean"}),
    (fields.String, {"type": "string"}),
    (fields.Dict, {"type": "object"}),
]


def schema_name(schema_cls: type[Schema]) -> str:
    return schema_cls.__name__.removesuffix("Schema")


def field_schema(field: fields.Field, components: dict, writing: bool = False) -> dict:
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        out = {"$ref": register(nested, components, writing)}
        if field.allow_none:
            # OpenAPI 3.0 ignores `nullable` beside a $ref: null is a second alternative
            out = {"anyOf": [out, NULL]}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner, components, writing)}
    else:
        out = next((dict(spec) for cls, spec in _FIELD_TYPES if isinstance(field, cls)),
                   {"type": "string"})
        if isinstance(field, fields.Dict) and field.value_field is not None:
            out["additionalProperties"] = field_schema(field.value_field, components, writing)
    for rule in field.validators:
        out.update(_validator_schema(rule, out.get("type")))
    if field.allow_none and "$ref" not in out and "anyOf" not in out:
        out["nullable"] = True
    if field.load_default is not missing and not callable(field.load_default):
        out["default"] = field.load_default
    return out


def _validator_schema(rule, kind: str | None) -> dict:
    if isinstance(rule, validate.Length):
        prefix = {"array": "Items", "object": "Properties"}.get(kind, "Length")
        bounds = {}
        if rule.min is not None:
            bounds[f"min{prefix}"] = rule.min
        if rule.max is not None:
            bounds[f"max{prefix}"] = rule.max
        return bounds
    if isinstance(rule, validate.Range) and kind in ("integer", "number"):
        bounds = {}
        if rule.min is not None:
            bounds["minimum"] = rule.min
        if rule.max is not None:
            bounds["maximum"] = rule.max
        return bounds
    if isinstance(rule, validate.OneOf):
        return {"enum": list(rule.choices)}
    if isinstance(rule, validate.Regexp):
        # marshmallow matches at the start (re.match); ECMA 262 ends with $, not \Z
        pattern = rule.regex.pattern.replace("\\Z", "$")
        return {"pattern": pattern if pattern.startswith("^") else "^" + pattern}
    return {}


def register(schema_cls: type[Schema], components: dict, writing: bool = False) -> str:
    """The schema as a component (added on first use). A request body (`writing`) shows
    what a client sends, so no dump_only fields; an answer shows what it receives, so no
    load_only ones (a password). A schema that loses fields that way is registered under
    its own name plus Input or Output: the plain name always means every field."""
    name = schema_name(schema_cls)
    schema = schema_cls()
    shown = {key: field for key, field in schema.fields.items()
             if not (field.dump_only if writing else field.load_only)}
    if len(shown) < len(schema.fields):
        name += "Input" if writing else "Output"
    if name not in components:
        components[name] = {}  # placeholder first: schemas may nest themselves
        properties = {key: field_schema(field, components, writing)
                      for key, field in shown.items()}
        required = [key for key, field in shown.items() if field.required]
        components[name] = {"type": "object", "properties": properties}
        if required:
            components[name]["required"] = required
        if getattr(schema.Meta, "unknown", None) == "raise":
            components[name]["additionalProperties"] = False
    return f"#/components/schemas/{name}"


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """werkzeug's `/restaurants/<uuid:restaurant_id>` as `/restaurants/{restaurant_id}`."""
    parameters = []
    for converter, arguments, name in _CONVERTER.findall(rule):
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": _path_schema(converter, arguments)})
    return _CONVERTER.sub(r"{\3}", rule), parameters


def _path_schema(converter: str, arguments: str) -> dict:
    if converter == "uuid":
        return {"type": "string", "format": "uuid"}
    if converter in ("", "string", "default"):
        _, bounds = parse_converter_args(arguments) if arguments else ((), {})
        schema = {"type": "string", "minLength": bounds.get("length", bounds.get("minlength", 1))}
        if "length" in bounds or "maxlength" in bounds:
            schema["maxLength"] = bounds.get("length", bounds.get("maxlength"))
        return schema
    raise ValueError(f"no OpenAPI schema for the path converter {converter!r}")


def routes_of(service_cls: type) -> list[tuple[str, object]]:
    """Every `route(...)` entrypoint declared on the service class, with its method's name.

    (The class holds unbound entrypoints: their own `method_name` is only set when a
    container binds them, so the name comes from the attribute.)
    """
    found = []
    for attr in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, attr), "nameko_entrypoints", ()):
            if hasattr(entrypoint, "doc"):
                found.append((attr, entrypoint))
    return sorted(found, key=lambda pair: (pair[1].url, pair[1].method))


def operation(entrypoint, components: dict, operation_id: str) -> dict:
    doc = entrypoint.doc
    _, parameters = openapi_path(entrypoint.url)
    if doc["query"]:
        for name, field in doc["query"]().fields.items():
            parameter = {"name": name, "in": "query", "required": field.required,
                         "schema": field_schema(field, components)}
            if isinstance(field, fields.List):
                # served as one comma-separated value (tags=a,b); OpenAPI's default for
                # arrays is a repeated parameter (tags=a&tags=b), of which only the first
                # would be read
                parameter.update(style="form", explode=False)
            parameters.append(parameter)
    if entrypoint.method in WRITE_METHODS:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "A retry with the same key returns the first answer, once.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        })
    op = {"summary": doc["summary"], "tags": [doc["tag"]],
          "operationId": operation_id, "responses": {}}
    if parameters:
        op["parameters"] = parameters
    if doc["body"]:
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": register(doc["body"], components, writing=True)}}}}
    if doc["admin"]:
        # an admin's access token, or (temporarily) the admin token header
        op["security"] = [{"bearerAuth": []}, {"adminToken": []}]
    if doc["user"]:
        op["security"] = [{"bearerAuth": []}]
    op["responses"][str(doc["status"])] = _success(doc, components)
    error_ref = {"$ref": register(ErrorSchema, components)}
    errors = set(doc["errors"]) | set(ALWAYS)
    if doc["user"]:
        errors.add(401)
    if entrypoint.method in WRITE_METHODS:
        errors |= {400, 409}  # a malformed key; a key reused for another request
    for status in sorted(errors):
        op["responses"][str(status)] = {
            "description": ERROR_DESCRIPTIONS.get(status, "Internal error"),
            "content": {"application/json": {"schema": error_ref}},
        }
    return op


def _success(doc: dict, components: dict) -> dict:
    if doc["status"] == 204:
        return {"description": "Done; no content"}
    if doc["response"] is None:
        return {"description": "OK", "content": {"application/json": {"schema": {}}}}
    item = {"$ref": register(doc["response"], components)}
    if doc["paged"]:
        schema = {"type": "object", "required": ["items", "count", "total", "next_offset"],
                  "properties": {"items": {"type": "array", "items": item},
                                 "count": {"type": "integer"}, "total": {"type": "integer"},
                                 "next_offset": {"type": "integer", "nullable": True}}}
    elif doc["many"]:
        schema = {"type": "array", "items": item}
    else:
        schema = item
    return {"description": "OK", "content": {"application/json": {"schema": schema}}}


def openapi_document(service_cls: type) -> dict:
    components: dict = {}
    paths: dict = {}
    for name, entrypoint in routes_of(service_cls):
        path, _ = openapi_path(entrypoint.url)
        for method in entrypoint.method.split(","):
            paths.setdefault(path, {})[method.lower()] = operation(entrypoint, components, name)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bellyfed API", "version": "0.1.0",
                 "description": "Food discovery: restaurants, dishes, rankings, analytics, "
                                "orders. Errors are {\"error\": {code, message, details}}."},
        "paths": paths,
        "components": {
            "schemas": components,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
