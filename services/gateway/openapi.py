"""The OpenAPI 3 document, generated from the routes and their marshmallow schemas by
apispec's MarshmallowPlugin.

Only routes declared with `route(...)` on the service exist, and each appears here exactly
as served: tests compare this document with the live URL map, and schemathesis
(tests/api) checks every answer of the running system against it. apispec turns every
schema, field and validator into JSON Schema; what it cannot know is said here: who may
call each operation, the statuses each can answer, the gateway's own headers and path
converters, the links between operations, and the rules marshmallow checks in code, in
JSON Schema terms (Python's regular expressions spelled out for ECMA 262, an amount's
range as a pattern, a PATCH body with nothing required, a rule across fields...). Every
status a route can answer is listed:

| status | which routes |
|---|---|
| 400 | a query string (a bad parameter), a body (malformed JSON), a write (a bad Idempotency-Key) |
| 401 | all: a bad, expired or forged access token is refused even where none is needed |
| 403 | routes for admins or a restaurant's owner, and those whose service refuses others |
| 404 | a path with parameters (a malformed id matches no route), and whatever a route says |
| 409 | writes (an Idempotency-Key reused for another request) |
| 413, 422 | a body (too large; invalid fields); 422 also a free-text path parameter |
| 429 | writes (a per-token allowance), reads anyone may make (a per-client allowance) |
| 500 | all |
| 503, 504 | routes that ask a downstream service |
"""

from __future__ import annotations

import re
from functools import cache

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin, OpenAPIConverter, resolver
from apispec.ext.marshmallow.common import resolve_schema_cls
from marshmallow import RAISE, Schema, fields, validate
from werkzeug.routing import parse_converter_args

# --- the only schemas named here: re-point these imports when the schemas move -----------
from services.analytics.contract.rpc import TrendingDishesQuery
from services.gateway.domain.viewers import COOKIE_MAX_AGE, VIEWER_COOKIE, VIEWER_HEADER
from services.gateway.schemas import ErrorSchema, PageSchema
from services.rankings.contract.rpc import DishTypeInput, PlaceDishInput

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
# --- end of the schema-specific block ------------------------------------------------------

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
LOCAL_ROUTES = ("/health", "/openapi.json", "/metrics")
# werkzeug's <name>, <converter:name> and <converter(arguments):name>
_CONVERTER = re.compile(r"<(?:(\w+)(?:\(([^)]*)\))?:)?(\w+)>")
BEARER = "bearerAuth"
SECURITY_SCHEME = {
    "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
    "description": "The access_token of POST /auth/login. Optional on the routes that do "
                   "not require it, where it names the viewer; a token that is sent must "
                   "be valid (401 otherwise), on every route.",
}
# headers answers carry: every one the request's correlation id, a 429 when to retry
HEADERS = {
    "X-Request-ID": {"description": "The request's correlation id: the client's own "
                                    "X-Request-ID when it sent a usable one, else a new one",
                     "required": True, "schema": {"type": "string", "minLength": 1}},
    "Retry-After": {"description": "Seconds to wait before trying again",
                    "required": True, "schema": {"type": "integer", "minimum": 1}},
    "ETag": {"description": "The answer's entity tag: send it back in If-None-Match to "
                            "get 304 while the answer is unchanged",
             "required": True, "schema": {"type": "string", "pattern": '^"[0-9a-f]+"$'}},
    "Cache-Control": {"description": "Who may keep the answer: `public, max-age=N` (a shared "
                                     "cache may, N seconds) for a public read asked without "
                                     "credentials, `private, no-cache` otherwise (and for "
                                     "an answer that hands out a new viewer id)",
                      "required": True, "schema": {"type": "string", "minLength": 1}},
    VIEWER_HEADER: {"description": "A new anonymous viewer id, signed by the gateway: on an "
                                   "answer to an anonymous caller that sent none that "
                                   "verifies. Send it back (X-Anonymous-Id, or the cookie "
                                   "that comes with it) to count as one viewer",
                    "required": False,
                    "schema": {"type": "string",
                               "pattern": "^[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{22}$"}},
    "Set-Cookie": {"description": f"With a new viewer id: `{VIEWER_COOKIE}=<the id>; "
                                  f"Max-Age={COOKIE_MAX_AGE}; Path=/; HttpOnly; "
                                  "SameSite=Lax; Secure` (Secure unless the gateway's "
                                  "VIEWER_COOKIE_SECURE is off)",
                   "required": False,
                   "schema": {"type": "string", "pattern": f"^{VIEWER_COOKIE}="}},
}
CACHE_HEADERS = ("ETag", "Cache-Control")
VIEWER_HEADERS = (VIEWER_HEADER, "Set-Cookie")
# a route that makes a view: who the anonymous viewer is (SPEC §5). Never an error: any
# value is accepted, and one the gateway did not sign names no viewer
VIEWER_PARAMETERS = (
    {"name": VIEWER_HEADER, "in": "header", "required": False,
     "description": "An anonymous viewer id this gateway issued (the X-Anonymous-Id of an "
                    "earlier answer): the view counts as that viewer's. Anything else, or "
                    "none, makes a view with no viewer (never an error), and the answer "
                    "brings a new id",
     "schema": {"type": "string"}},
    {"name": VIEWER_COOKIE, "in": "cookie", "required": False,
     "description": "The viewer id cookie this gateway set: read as X-Anonymous-Id is "
                    "(the header is believed first when both verify)",
     "schema": {"type": "string"}},
)
IF_NONE_MATCH = {
    "name": "If-None-Match", "in": "header", "required": False,
    "description": "Entity tags of answers the client holds (or *): 304 with no body when "
                   "the answer still has one of them. Anything else (empty, malformed) "
                   "matches nothing: the full answer, never an error",
    "schema": {"type": "string"},
}

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


def ecma_pattern(pattern: str) -> str:
    r"""A Python regular expression (on text) as ECMA 262 reads it the same: \Z is $, and
    \s, \S, \d and \D name their Python sets of characters."""
    out, in_class, escaped = [], False, False
    for char in pattern:
        if escaped:
            escaped = False
            if char in "ZA":
                out.append("$" if char == "Z" else "^")
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


def regexp_pattern(rule: validate.Regexp) -> str:
    """marshmallow matches at the start (re.match); JSON Schema searches, in ECMA 262."""
    if rule.regex.flags & ~re.UNICODE:
        raise ValueError(f"no OpenAPI pattern for the flags of {rule.regex.pattern!r}")
    pattern = ecma_pattern(rule.regex.pattern)
    if pattern.startswith("^"):
        return pattern
    return f"^(?:{pattern})" if "|" in pattern else f"^{pattern}"  # a^b|c is not ^(b|c)


def amount_pattern(field: fields.Decimal) -> str:
    """An amount as text, from 0 up to its Range's maximum (none, or a power of ten), with
    at most `places` decimals."""
    ranges = [rule for rule in field.validators if isinstance(rule, validate.Range)]
    low, high = ranges[0].min, ranges[0].max
    digits = len(str(high)) - 1 if isinstance(high, int) else 0
    if (len(ranges) > 1 or low != 0 or field.places is None
            or (high is not None and high != 10 ** digits)):
        raise ValueError(f"no OpenAPI pattern for a decimal from {low} to {high}")
    places = -field.places.as_tuple().exponent  # marshmallow keeps Decimal("0.01")
    decimals = f"(?:\\.[0-9]{{1,{places}}})?"
    if high is None:
        return f"^(?:0|[1-9][0-9]*){decimals}$"
    return (f"^(?:(?:0|[1-9][0-9]{{0,{digits - 1}}}){decimals}"
            f"|{high}(?:\\.0{{1,{places}}})?)$")


class Converter(OpenAPIConverter):
    """apispec's converter, where marshmallow as used here says more than apispec reads."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.field_mapping = dict(self.field_mapping)  # this converter's, not every one's
        self.map_to_openapi_type(fields.Url, "string", None)  # its pattern says which
        self.add_attribute_function(amount2properties)
        self.add_attribute_function(keys2properties)
        self.add_attribute_function(exclusive2properties)

    def schema2jsonschema(self, schema):
        out = super().schema2jsonschema(schema)
        # closed only where the schema says so (bodies: unknown = RAISE). apispec closes
        # every schema marshmallow would refuse unknown fields to on load, but an answer's
        # schema is never loaded: the gateway relays what the services answer.
        out.pop("additionalProperties", None)
        if getattr(schema.Meta, "unknown", None) == RAISE:
            out["additionalProperties"] = False
        if not schema.partial:
            out.update(CROSS_FIELD_RULES.get(type(schema), {}))
        return out

    def field2pattern(self, field, **kwargs) -> dict:
        """Every Regexp in ECMA 262, one `pattern` each (apispec copies the first's Python
        spelling); the URL validator's as URL_PATTERN."""
        patterns = [regexp_pattern(rule) if isinstance(rule, validate.Regexp) else URL_PATTERN
                    for rule in field.validators
                    if isinstance(rule, validate.Regexp | validate.URL)]
        out = {"pattern": patterns[0]} if patterns else {}
        if len(patterns) > 1:
            out["allOf"] = [{"pattern": pattern} for pattern in patterns[1:]]
        return out

    def field2nullable(self, field, ret) -> dict:
        """OpenAPI 3.0 ignores `nullable` beside a $ref: null is a second alternative, only
        null (apispec's {"type": "object", "nullable": true} lets any object through)."""
        if not field.allow_none:
            return {}
        if "$ref" in ret:
            return {"anyOf": [{"$ref": ret.pop("$ref")}, NULL]}
        if isinstance(field, fields.Nested) and "allOf" in ret:
            return {"anyOf": [*ret.pop("allOf"), NULL]}
        return {"nullable": True}

    def list2param(self, field, ret, **kwargs) -> dict:
        """A list in a query string is one comma-separated value (tags=a,b), as the gateway
        reads one value per name; OpenAPI's default for arrays is a repeated parameter
        (tags=a&tags=b), of which only the first would be read. So no item holds a comma."""
        if not isinstance(field, fields.List):
            return {}
        items = ret["schema"]["items"]
        items["allOf"] = [*items.get("allOf", []), {"pattern": "^[^,]*$"}]
        return {"style": "form", "explode": False}


def amount2properties(self, field, ret, **kwargs) -> dict:
    """A Decimal sent as text (as_string, as Money always is), its Range as a pattern."""
    if not (isinstance(field, fields.Decimal) and field.as_string):
        return {}
    for key in ("minimum", "maximum"):  # apispec's, of a number: the pattern says them
        ret.pop(key, None)
    if any(isinstance(rule, validate.Range) for rule in field.validators):
        return {"type": "string", "format": "decimal", "pattern": amount_pattern(field)}
    return {"type": "string", "format": "decimal"}


def keys2properties(self, field, ret, **kwargs) -> dict:
    """A Dict whose keys are one of a few (days of the week...): those, and no others."""
    keys = [rule.choices for rule in getattr(getattr(field, "key_field", None), "validators", ())
            if isinstance(rule, validate.OneOf)]
    if not (isinstance(field, fields.Dict) and keys):
        return {}
    values = ret.get("additionalProperties", {})
    return {"properties": {key: values for key in keys[0]}, "additionalProperties": False}


def exclusive2properties(self, field, ret, **kwargs) -> dict:
    """A Range's bounds as they are: apispec documents them inclusive whatever they say."""
    ranges = [rule for rule in field.validators if isinstance(rule, validate.Range)]
    return {f"exclusive{bound.title()}imum": True for rule in ranges for bound in ("min", "max")
            if f"{bound}imum" in ret and not getattr(rule, f"{bound}_inclusive")
            and getattr(rule, bound) == ret[f"{bound}imum"]}


class Plugin(MarshmallowPlugin):
    Converter = Converter


@cache
def page_of(schema_cls: type[Schema]) -> type[PageSchema]:
    """The answer of a paged list: {items, count, total, next_offset}, inline."""

    class Page(PageSchema):
        items = fields.List(fields.Nested(schema_cls), required=True)

        class Meta:
            register = False

    return Page


def schema_name(schema) -> str | None:
    """apispec's name (the class's, less Schema), ...Patch for a partial body; a page of
    a list is written inline (None)."""
    if issubclass(resolve_schema_cls(schema), PageSchema):
        return None
    return resolver(schema) + ("Patch" if getattr(schema, "partial", False) else "")


def openapi_path(rule: str, converter: Converter) -> tuple[str, list[dict]]:
    """werkzeug's `/restaurants/<uuid:restaurant_id>` as `/restaurants/{restaurant_id}`."""
    parameters = []
    for kind, arguments, name in _CONVERTER.findall(rule):
        if kind == "uuid":
            schema = {"type": "string", "format": "uuid"}
        elif kind in ("", "string", "default"):
            _, bounds = parse_converter_args(arguments) if arguments else ((), {})
            schema = {"type": "string",
                      "minLength": bounds.get("length", bounds.get("minlength", 1))}
            if "length" in bounds or "maxlength" in bounds:
                schema["maxLength"] = bounds.get("length", bounds.get("maxlength"))
            if name in PATH_FIELDS:  # and what the service behind checks
                checked = converter.field2property(PATH_FIELDS[name])
                schema.update({key: value for key, value in checked.items() if key != "type"})
        else:
            raise ValueError(f"no OpenAPI schema for the path converter {kind!r}")
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return _CONVERTER.sub(r"{\3}", rule), parameters


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


def error_statuses(entrypoint, path: str, has_path_parameters: bool) -> set[int]:
    """Every error status the route can answer (see the module's table)."""
    doc = entrypoint.doc
    write = entrypoint.method in WRITE_METHODS
    errors = set(doc["errors"]) | {401, 500}
    if path not in LOCAL_ROUTES:
        errors |= {503, 504}
    if doc["query"] or doc["body"] or write:
        errors.add(400)
    if doc["access"].who in ("owner", "admin"):
        errors.add(403)
    if has_path_parameters:
        errors.add(404)
    if any(name in PATH_FIELDS for name in re.findall(r"{(\w+)}", path)):
        errors.add(422)  # checked behind
    if write:
        errors |= {409, 429}
    elif doc["access"].who == "anyone":
        errors.add(429)  # anonymous reads: a per-client allowance (READ_LIMIT_PER_ADDRESS)
    if doc["body"]:
        errors |= {413, 422}
    return errors


def operation(entrypoint, operation_id: str, converter: Converter) -> tuple[str, dict]:
    """(the OpenAPI path, the operation), marshmallow schemas left for apispec to resolve."""
    doc, access = entrypoint.doc, entrypoint.doc["access"]
    path, parameters = openapi_path(entrypoint.url, converter)
    statuses = error_statuses(entrypoint, path, bool(parameters))
    if doc["query"]:
        parameters.append({"in": "query", "schema": doc["query"]})
    cached = entrypoint.cache != "no-store"
    if cached:
        parameters.append(dict(IF_NONE_MATCH))
    if entrypoint.method in WRITE_METHODS:
        parameters.append({
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "A retry with the same key returns the first answer, once.",
            "schema": dict(IDEMPOTENCY_KEY),
        })
    if doc["counts_views"]:
        parameters.extend(dict(parameter) for parameter in VIEWER_PARAMETERS)
    op = {"summary": doc["summary"], "description": f"Who may call it: {access.describe()}",
          "tags": [doc["tag"]], "operationId": operation_id}
    if parameters:
        op["parameters"] = parameters
    if body := doc["body"]:
        # every PATCH loads with partial=True: ...Patch requires nothing, when that differs
        if entrypoint.method == "PATCH" and any(f.required for f in body().fields.values()):
            body = body(partial=True)
        op["requestBody"] = {"required": True,
                             "content": {"application/json": {"schema": body}}}
    if access.needs_user:
        op["security"] = [{BEARER: []}]
    if doc["status"] == 204:
        success = {"description": "Done; no content"}
    else:
        schema = doc["response"] or {}
        if doc["paged"]:
            schema = page_of(schema)
        elif doc["many"]:
            schema = {"type": "array", "items": schema}
        media_type = doc.get("media_type", "application/json")  # the dashboard's files: text
        if media_type != "application/json":
            schema = {"type": "string"}
        success = {"description": "OK", "content": {media_type: {"schema": schema}}}
    success_headers = ("X-Request-ID", *CACHE_HEADERS) if cached else ("X-Request-ID",)
    if doc["counts_views"]:
        success_headers += VIEWER_HEADERS
    op["responses"] = {doc["status"]: {**success, "headers": {
        name: name for name in success_headers}}}
    if cached:
        op["responses"][304] = {"description": "Not modified: the answer still has an entity "
                                               "tag the client sent (If-None-Match); no body",
                                "headers": {name: name for name in success_headers}}
    for status in sorted(statuses):
        headers = {"X-Request-ID": "X-Request-ID"}
        if status == 429:
            headers["Retry-After"] = "Retry-After"
        op["responses"][status] = {
            "description": ERROR_DESCRIPTIONS[status], "headers": headers,
            "content": {"application/json": {"schema": ErrorSchema}},
        }
    return path, op


def add_links(paths: dict, schemas: dict) -> None:
    """OpenAPI links from what names a resource to the routes that take it: a create
    (201) to the created resource's routes, a page of a list to its first item's."""
    operations = [(method, op) for item in paths.values() for method, op in item.items()]

    def path_parameters(op):
        return [p["name"] for p in op.get("parameters", []) if p["in"] == "path"]

    for method, op in operations:
        status, response = next(iter(op["responses"].items()))
        schema = response.get("content", {}).get("application/json", {}).get("schema", {})
        first = schema.get("properties", {}).get("items", {}).get("items", {})
        if status == "201" and "$ref" in schema:
            ref, at = schema["$ref"], "$response.body#/"
        elif method == "get" and "$ref" in first:
            ref, at = first["$ref"], "$response.body#/items/0/"
        else:
            continue
        name = ref.rsplit("/", 1)[1]
        if name not in RESOURCE_PARAMETERS:
            continue
        # the resource's id, and the other parameters as this request or its answer has them
        known = {**{field: f"{at}{field}" for field in schemas[name]["properties"]},
                 **{given: f"$request.path.{given}" for given in path_parameters(op)},
                 RESOURCE_PARAMETERS[name]: f"{at}id"}
        links = {}
        for _, target in operations:
            wanted = path_parameters(target)
            if RESOURCE_PARAMETERS[name] not in wanted or target is op:
                continue
            values = {wanted_: known[wanted_] for wanted_ in wanted if wanted_ in known}
            if len(values) == len(wanted):
                links[target["operationId"]] = {"operationId": target["operationId"],
                                                "parameters": values}
        if links:
            response["links"] = links


@cache  # the routes are the class's: built once per process, not per request
def openapi_document(service_cls: type) -> dict:
    plugin = Plugin(schema_name_resolver=schema_name)
    spec = APISpec(
        title="Bellyfed API", version="0.1.0", openapi_version="3.0.3", plugins=[plugin],
        info={"description": "Food discovery: restaurants, dishes, rankings, analytics, "
                             "orders. Errors are {\"error\": {code, message, details}}. "
                             "Text anywhere in a request may not contain NUL characters "
                             "(422, or 400 in a query string)."},
    )
    for name, header in HEADERS.items():
        spec.components.header(name, header)
    spec.components.security_scheme(BEARER, SECURITY_SCHEME)
    for name, entrypoint in routes_of(service_cls):
        path, op = operation(entrypoint, name, plugin.converter)
        spec.path(path, operations={method.lower(): op
                                    for method in entrypoint.method.split(",")})
    doc = spec.to_dict()
    add_links(doc["paths"], doc["components"]["schemas"])
    return doc
