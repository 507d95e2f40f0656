"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas.

Only routes declared with `route(...)` on the service exist, and each appears here exactly
as served: tests compare this document with the live URL map, and schemathesis
(tests/api) checks every answer of the running system against it. So every rule a route's
input follows is written in JSON Schema terms where JSON Schema can say it (Python's
regular expressions spelled out for ECMA 262, a PATCH body with nothing required, a dict
keyed by days...), and every status a route can answer is listed:

| status | which routes |
|---|---|
| 400 | a query string (a bad parameter), a body (malformed JSON), a write (a bad Idempotency-Key) |
| 401 | all: a bad, expired or forged access token is refused even where none is needed |
| 403 | routes for admins or a restaurant's owner, and those whose service refuses others |
| 404 | a path with parameters (a malformed id matches no route), and whatever a route says |
| 409 | writes (an Idempotency-Key reused for another request) |
| 413, 422 | a body (too large; invalid fields); 422 also a free-text path parameter |
| 429 | writes (a per-token allowance) |
| 500 | all |
| 503, 504 | routes that ask a downstream service |
"""

from __future__ import annotations

import re

from marshmallow import Schema, fields, missing, validate
from werkzeug.routing import parse_converter_args

from services.analytics.contract.rpc import TrendingDishesQuery
from services.gateway.schemas import ErrorSchema
from services.rankings.contract.rpc import DishTypeInput, PlaceDishInput

ERROR_DESCRIPTIONS = {
    400: "Malformed request, body or query parameters",
    401: "Authentication required, or the access token sent is not valid",
    403: "Not allowed",
    404: "Not found",
    409: "Conflicts with the current state",
    413: "Request body too large",
    422: "Invalid fields",
    429: "Too many requests (see Retry-After)",
    500: "Internal error",
    503: "A downstream service is unavailable",
    504: "A downstream service did not answer in time",
}
WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
# routes the gateway answers alone: no downstream service to be unavailable
LOCAL_ROUTES = ("/health", "/openapi.json")
# werkzeug's <name>, <converter:name> and <converter(arguments):name>
_CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
BEARER = "bearerAuth"
SECURITY_SCHEMES = {
    BEARER: {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
             "description": "The access_token of POST /auth/login. Optional on the routes "
                            "that do not require it, where it names the viewer; a token "
                            "that is sent must be valid (401 otherwise), on every route."},
}

# headers answers carry: every one the request's correlation id, a 429 when to retry
HEADERS = {
    "X-Request-ID": {"description": "The request's correlation id: the client's own "
                                    "X-Request-ID when it sent a usable one, else a new one",
                     "required": True, "schema": {"type": "string", "minLength": 1}},
    "Retry-After": {"description": "Seconds to wait before trying again",
                    "required": True, "schema": {"type": "integer", "minimum": 1}},
}
REQUEST_ID = {"X-Request-ID": {"$ref": "#/components/headers/X-Request-ID"}}

NULL = {"type": "object", "nullable": True, "enum": [None]}  # only null (OpenAPI 3.0.3)

# Python's \s (on text) in ECMA 262 terms: ECMA's own \s is another set of characters
PYTHON_SPACE = ("\\t-\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f"
                "\\u205f\\u3000")
# what str.isprintable() allows of the latin-1 characters an HTTP header can carry, less
# the spaces HTTP strips from either end of a value
_HEADER_VISIBLE = "!-~\\xa1-\\xac\\xae-\\xff"
IDEMPOTENCY_KEY = {
    "type": "string", "minLength": 1, "maxLength": 200,
    "pattern": f"^[{_HEADER_VISIBLE}](?:[ {_HEADER_VISIBLE}]*[{_HEADER_VISIBLE}])?$",
}
# An http(s) URL marshmallow's URL validator takes: a host name with a top-level domain,
# a path of URL characters. (The validator takes more; a client needs no more.)
URL_PATTERN = ("^https?://(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\\.)+[A-Za-z]{2,6}"
               "(?:/[A-Za-z0-9._~%/-]*)?$")

# Rules across fields, which marshmallow checks in a @validates_schema and JSON Schema
# says with combinators: by input schema class, the keywords to add to its component.
CROSS_FIELD_RULES = {
    PlaceDishInput: {"oneOf": [  # exactly one of rank or taste_status
        {"required": ["rank"], "not": {"required": ["taste_status"]}},
        {"required": ["taste_status"], "not": {"required": ["rank"]}},
    ]},
}
# Free-text path parameters the service behind checks (422 if not), as a field of a
# schema that says the same: rankings' dish type; analytics' city and cuisine (not blank,
# at most 100 characters), as the gateway's own query parameter `city` is checked.
_PLACE = TrendingDishesQuery().fields["city"]
PATH_FIELDS = {"dish_type": DishTypeInput().fields["dish_type"], "city": _PLACE,
               "cuisine": _PLACE}

# The links of the stateful phase (and of any client): what a route answers names a
# resource that other routes take as a path parameter.
RESOURCE_PARAMETERS = {
    "Restaurant": "restaurant_id", "Dish": "dish_id", "DishSearchResult": "dish_id",
    "Review": "review_id", "Order": "order_id", "UserPrivate": "user_id",
}

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
    """The JSON Schema of one field; `writing`: as a client sends it (a body, a query)."""
    if isinstance(field, fields.Nested):
        nested = field.nested if isinstance(field.nested, type) else type(field.nested)
        out = {"$ref": register(nested, components, writing)}
        if field.allow_none:
            # OpenAPI 3.0 ignores `nullable` beside a $ref: null is a second alternative
            out = {"anyOf": [out, NULL]}
    elif isinstance(field, fields.List):
        out = {"type": "array", "items": field_schema(field.inner, components, writing)}
    elif isinstance(field, fields.Dict):
        out = _dict_schema(field, components, writing)
    elif writing and isinstance(field, fields.Decimal):
        out = {"type": "string", "format": "decimal", "pattern": _decimal_pattern(field)}
    elif writing and isinstance(field, fields.Url):
        out = {"type": "string", "pattern": URL_PATTERN}
    else:
        out = next((dict(spec) for cls, spec in _FIELD_TYPES if isinstance(field, cls)),
                   {"type": "string"})
    patterns = []
    for rule in field.validators:
        if isinstance(rule, validate.Regexp):
            patterns.append(_regexp_pattern(rule))
        elif not (writing and isinstance(field, fields.Decimal)):  # in its pattern
            out.update(_validator_schema(rule, out.get("type")))
    if patterns:
        out["pattern"] = patterns[0]
        if len(patterns) > 1:  # one `pattern` each
            out["allOf"] = [{"pattern": pattern} for pattern in patterns[1:]]
    if field.allow_none and "$ref" not in out and "anyOf" not in out:
        out["nullable"] = True
    if field.load_default is not missing and not callable(field.load_default):
        out["default"] = field.load_default
    return out


def _dict_schema(field: fields.Dict, components: dict, writing: bool) -> dict:
    out = {"type": "object"}
    values = (field_schema(field.value_field, components, writing)
              if field.value_field is not None else {})
    keys = [rule.choices for rule in getattr(field.key_field, "validators", ())
            if isinstance(rule, validate.OneOf)]
    if keys:  # a fixed set of keys (days of the week...)
        out["properties"] = {key: values for key in keys[0]}
        out["additionalProperties"] = False
    elif field.value_field is not None:
        out["additionalProperties"] = values
    return out


def _validator_schema(rule, kind: str | None) -> dict:
    if isinstance(rule, validate.Length):
        prefix = {"array": "Items", "object": "Properties"}.get(kind, "Length")
        low, high = (rule.equal, rule.equal) if rule.equal is not None else (rule.min, rule.max)
        bounds = {}
        if low is not None:
            bounds[f"min{prefix}"] = low
        if high is not None:
            bounds[f"max{prefix}"] = high
        return bounds
    if isinstance(rule, validate.Range) and kind in ("integer", "number"):
        bounds = {}
        if rule.min is not None:
            bounds["minimum"] = rule.min
            if not rule.min_inclusive:
                bounds["exclusiveMinimum"] = True
        if rule.max is not None:
            bounds["maximum"] = rule.max
            if not rule.max_inclusive:
                bounds["exclusiveMaximum"] = True
        return bounds
    if isinstance(rule, validate.OneOf):
        return {"enum": list(rule.choices)}
    return {}


def _regexp_pattern(rule: validate.Regexp) -> str:
    """marshmallow matches at the start (re.match); JSON Schema searches, in ECMA 262."""
    if rule.regex.flags & ~re.UNICODE:
        raise ValueError(f"no OpenAPI pattern for the flags of {rule.regex.pattern!r}")
    pattern = ecma_pattern(rule.regex.pattern)
    if pattern.startswith("^"):
        return pattern
    return f"^(?:{pattern})" if _alternatives(pattern) else f"^{pattern}"


def _alternatives(pattern: str) -> bool:
    """Whether the pattern has a | outside any group or class (a^b|c is not ^(b|c))."""
    depth, in_class, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_class:
            in_class = char != "]"
        elif char == "[":
            in_class = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


def ecma_pattern(pattern: str) -> str:
    r"""A Python regular expression (on text) as ECMA 262 reads it the same: \Z is $, and
    \s, \S, \d and \D name their Python sets of characters."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
            if char == "Z":
                out.append("$")
            elif char == "A":
                out.append("^")
            elif char in "sd":
                chars = PYTHON_SPACE if char == "s" else "0-9"
                out.append(chars if in_class else f"[{chars}]")
            elif char in "SD" and not in_class:
                out.append(f"[^{PYTHON_SPACE if char == 'S' else '0-9'}]")
            elif char in "SDwWb":
                raise ValueError(f"no ECMA 262 spelling of \\{char} in {pattern!r}")
            else:
                out.append("\\" + char)
        elif char == "\\":
            escaped = True
        else:
            if char == "[" and not in_class:
                in_class = True
            elif char == "]" and in_class and not out[-1].endswith(("[", "[^")):
                in_class = False
            out.append(char)
    return "".join(out)


def _decimal_pattern(field: fields.Decimal) -> str:
    """An amount as text, from 0 up to its Range's maximum (none, or a power of ten), with
    at most `places` decimals."""
    ranges = [rule for rule in field.validators if isinstance(rule, validate.Range)]
    low = ranges[0].min if ranges else None
    high = ranges[0].max if ranges else None
    digits = len(str(high)) - 1 if isinstance(high, int) else 0
    if low != 0 or field.places is None or (high is not None and high != 10 ** digits):
        raise ValueError(f"no OpenAPI pattern for a decimal from {low} to {high}")
    places = -field.places.as_tuple().exponent  # marshmallow keeps Decimal("0.01")
    decimals = f"(?:\\.[0-9]{{1,{places}}})?"
    if high is None:
        return f"^(?:0|[1-9][0-9]*){decimals}$"
    return (f"^(?:(?:0|[1-9][0-9]{{0,{digits - 1}}}){decimals}"
            f"|{high}(?:\\.0{{1,{places}}})?)$")


def register(schema_cls: type[Schema], components: dict, writing: bool = False,
             partial: bool = False) -> str:
    """The schema as a component (added on first use). A request body (`writing`) shows
    what a client sends, so no dump_only fields; an answer shows what it receives, so no
    load_only ones (a password). A schema that loses fields that way is registered under
    its own name plus Input or Output: the plain name always means every field. A `partial`
    body (PATCH: marshmallow's partial=True) requires nothing: ...Patch, when that differs."""
    name = schema_name(schema_cls)
    schema = schema_cls()
    shown = {key: field for key, field in schema.fields.items()
             if not (field.dump_only if writing else field.load_only)}
    if len(shown) < len(schema.fields):
        name += "Input" if writing else "Output"
    partial = partial and any(field.required for field in shown.values())
    if partial:
        name += "Patch"
    if name not in components:
        components[name] = {}  # placeholder first: schemas may nest themselves
        properties = {key: field_schema(field, components, writing)
                      for key, field in shown.items()}
        required = [key for key, field in shown.items() if field.required and not partial]
        components[name] = {"type": "object", "properties": properties}
        if required:
            components[name]["required"] = required
        if getattr(schema.Meta, "unknown", None) == "raise":
            components[name]["additionalProperties"] = False
        if writing and not partial:
            components[name].update(CROSS_FIELD_RULES.get(schema_cls, {}))
    return f"#/components/schemas/{name}"


def openapi_path(rule: str) -> tuple[str, list[dict]]:
    """werkzeug's `/restaurants/<uuid:restaurant_id>` as `/restaurants/{restaurant_id}`."""
    parameters = []
    for converter, arguments, name in _CONVERTER.findall(rule):
        parameters.append({"name": name, "in": "path", "required": True,
                           "schema": _path_schema(converter, arguments, name)})
    return _CONVERTER.sub(r"{\3}", rule), parameters


def _path_schema(converter: str, arguments: str, name: str) -> dict:
    if converter == "uuid":
        return {"type": "string", "format": "uuid"}
    if converter in ("", "string", "default"):
        _, bounds = parse_converter_args(arguments) if arguments else ((), {})
        schema = {"type": "string", "minLength": bounds.get("length", bounds.get("minlength", 1))}
        if "length" in bounds or "maxlength" in bounds:
            schema["maxLength"] = bounds.get("length", bounds.get("maxlength"))
        if name in PATH_FIELDS:  # and what the service behind checks
            checked = field_schema(PATH_FIELDS[name], {}, writing=True)
            schema.update({key: value for key, value in checked.items() if key != "type"})
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


def access_of(doc: dict) -> tuple[str, str]:
    """(who may call the route: anyone, user, owner or admin; that in English)."""
    access = doc.get("access")
    if access is not None:
        return access.who, access.describe()
    who = "admin" if doc["admin"] else "user" if doc["user"] else "anyone"
    return who, {"admin": "Admins only (an access token with the admin role).",
                 "user": "A signed-in user.",
                 "anyone": "Anyone; a token, when sent, must be valid."}[who]


def error_statuses(entrypoint, path: str, has_path_parameters: bool) -> set[int]:
    """Every error status the route can answer (see the module's table)."""
    doc = entrypoint.doc
    who, _ = access_of(doc)
    write = entrypoint.method in WRITE_METHODS
    errors = set(doc["errors"]) | {401, 500}
    if path not in LOCAL_ROUTES:
        errors |= {503, 504}
    if doc["query"] or doc["body"] or write:
        errors.add(400)
    if who in ("owner", "admin"):
        errors.add(403)
    if has_path_parameters:
        errors.add(404)
    if any(name in PATH_FIELDS for name in re.findall(r"{(\w+)}", path)):
        errors.add(422)  # checked behind
    if write:
        errors |= {409, 429}
    if doc["body"]:
        errors |= {413, 422}
    return errors


def operation(entrypoint, components: dict, operation_id: str) -> dict:
    doc = entrypoint.doc
    path, parameters = openapi_path(entrypoint.url)
    has_path_parameters = bool(parameters)
    if doc["query"]:
        for name, field in doc["query"]().fields.items():
            parameter = {"name": name, "in": "query", "required": field.required,
                         "schema": field_schema(field, components, writing=True)}
            if isinstance(field, fields.List):
                # served as one comma-separated value (tags=a,b); OpenAPI's default for
                # arrays is a repeated parameter (tags=a&tags=b), of which only the first
                # would be read. So no item holds a comma.
                parameter.update(style="form", explode=False)
                items = parameter["schema"]["items"]
                items["allOf"] = [*items.get("allOf", []), {"pattern": "^[^,]*$"}]
            parameters.append(parameter)
    if entrypoint.method in WRITE_METHODS:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "A retry with the same key returns the first answer, once.",
            "schema": dict(IDEMPOTENCY_KEY),
        })
    who, description = access_of(doc)
    op = {"summary": doc["summary"], "description": f"Who may call it: {description}",
          "tags": [doc["tag"]], "operationId": operation_id, "responses": {}}
    if parameters:
        op["parameters"] = parameters
    if doc["body"]:
        partial = entrypoint.method == "PATCH"  # every PATCH loads with partial=True
        op["requestBody"] = {"required": True, "content": {"application/json": {
            "schema": {"$ref": register(doc["body"], components, writing=True,
                                        partial=partial)}}}}
    if who != "anyone":
        op["security"] = [{BEARER: []}]
    op["responses"][str(doc["status"])] = {**_success(doc, components),
                                            "headers": dict(REQUEST_ID)}
    error_ref = {"$ref": register(ErrorSchema, components)}
    for status in sorted(error_statuses(entrypoint, path, has_path_parameters)):
        headers = dict(REQUEST_ID)
        if status == 429:
            headers["Retry-After"] = {"$ref": "#/components/headers/Retry-After"}
        op["responses"][str(status)] = {
            "description": ERROR_DESCRIPTIONS[status], "headers": headers,
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


def add_links(paths: dict, components: dict) -> None:
    """OpenAPI links from what names a resource to the routes that take it: a create
    (201) to the created resource's routes, a page of a list to its first item's."""
    operations = [(path, method, op) for path, item in paths.items()
                  for method, op in item.items()]
    for _, method, op in operations:
        status, response = next(iter(op["responses"].items()))
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        if status == "201" and "$ref" in schema:
            name, at = schema["$ref"].rsplit("/", 1)[1], "$response.body#/"
        elif method == "get" and "$ref" in schema.get("properties", {}).get("items", {}).get(
                "items", {}):
            name, at = schema["properties"]["items"]["items"]["$ref"].rsplit("/", 1)[1], \
                "$response.body#/items/0/"
        else:
            continue
        parameter = RESOURCE_PARAMETERS.get(name)
        if parameter is None:
            continue
        answered = components[name]["properties"]
        given = {p["name"] for p in op.get("parameters", []) if p["in"] == "path"}
        links = {}
        for _, _, target in operations:
            wanted = [p["name"] for p in target.get("parameters", []) if p["in"] == "path"]
            if parameter not in wanted or target is op:
                continue
            values = {}
            for name_ in wanted:
                if name_ == parameter:
                    values[name_] = f"{at}id"
                elif name_ in given:
                    values[name_] = f"$request.path.{name_}"
                elif name_ in answered:
                    values[name_] = f"{at}{name_}"
            if len(values) == len(wanted):
                links[target["operationId"]] = {"operationId": target["operationId"],
                                                "parameters": values}
        if links:
            response["links"] = links


def openapi_document(service_cls: type) -> dict:
    components: dict = {}
    paths: dict = {}
    for name, entrypoint in routes_of(service_cls):
        path, _ = openapi_path(entrypoint.url)
        for method in entrypoint.method.split(","):
            paths.setdefault(path, {})[method.lower()] = operation(entrypoint, components, name)
    add_links(paths, components)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Bellyfed API", "version": "0.1.0",
                 "description": "Food discovery: restaurants, dishes, rankings, analytics, "
                                "orders. Errors are {\"error\": {code, message, details}}. "
                                "Text anywhere in a request may not contain NUL characters "
                                "(422, or 400 in a query string)."},
        "paths": paths,
        "components": {
            "schemas": components,
            "headers": HEADERS,
            "securitySchemes": SECURITY_SCHEMES,
        },
    }
