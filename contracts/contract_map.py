"""The contract map: one table of every event and RPC between the services, generated from
the pacts (who relies on what) and the producers' marshmallow schemas (what they send).

    python -m contracts.contract_map           # rewrites docs/contracts.md
    python -m contracts.contract_map --check   # exit 1 if docs/contracts.md is not current
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import sys
import warnings
from collections import defaultdict
from pathlib import Path

from marshmallow import fields

from contracts import PACTS
from shared.events import envelopes_in

ROOT = Path(__file__).resolve().parent.parent
DOCUMENT = ROOT / "docs" / "contracts.md"
REGENERATE = "python -m contracts.contract_map"

# every contract package that declares events (services/<name>/contract/events.py)
CONTRACT_EVENTS = [f"services.{path.parent.parent.name}.contract.events"
                   for path in sorted(ROOT.glob("services/*/contract/events.py"))]


def event_types() -> dict:
    """(producer, event_type) -> its EventType, from every contract package."""
    found = {}
    for module in CONTRACT_EVENTS:
        for event in importlib.import_module(module).EVENTS.values():
            found[event.key] = event
    return found


# the service classes whose RPC signatures name the arguments
SERVICES = {
    "catalog": "services.catalog.service:CatalogService",
    "rankings": "services.rankings.service:RankingsService",
    "analytics": "services.analytics.service:AnalyticsService",
    "orders": "services.orders.service:OrdersService",
}
_READER = re.compile(r", as (\S+) reads it$")
_VERSIONS = re.compile(r"^\^\((.*)\)\$$")


def load(reference: str):
    module, name = reference.split(":")
    return getattr(importlib.import_module(module), name)


def current_versions() -> dict[tuple[str, str], int]:
    """The producers' current versions (each EventType of their contracts)."""
    return {key: event.version for key, event in event_types().items()}


# --- reading the pacts ---------------------------------------------------------------------------

def field_paths(value, prefix: str = "") -> list[str]:
    """The dotted paths of an example's fields ("items[].id"), leaves and objects alike."""
    paths = []
    if isinstance(value, dict):
        for key, item in value.items():
            path = f"{prefix}{key}"
            paths.append(path)
            paths += field_paths(item, f"{path}.")
    elif isinstance(value, list) and value and isinstance(value[0], dict):
        paths += field_paths(value[0], f"{prefix[:-1]}[].")
    return paths


def schema_paths(schema, prefix: str = "") -> list[str]:
    """The dotted paths of what a marshmallow schema dumps, in its declared order."""
    schema = schema() if isinstance(schema, type) else schema
    paths = []
    for name, field in schema.fields.items():
        if field.load_only:
            continue
        path = f"{prefix}{field.data_key or name}"
        paths.append(path)
        if isinstance(field, fields.Nested):
            paths += schema_paths(field.schema, f"{path}[]." if field.many else f"{path}.")
        elif isinstance(field, fields.List) and isinstance(field.inner, fields.Nested):
            paths += schema_paths(field.inner.schema, f"{path}[].")
    return paths


def accepted(rules: dict) -> str:
    """The versions a consumer's pact accepts, from its version matchers."""
    version = rules.get("$.version") or rules.get("$[*].version") or {}  # [*]: batched
    for matcher in version.get("matchers", []):
        if matcher.get("match") == "regex" and (found := _VERSIONS.match(matcher["regex"])):
            return ", ".join(found.group(1).split("|"))
    return "any"


def read_pacts(directory: Path = PACTS) -> tuple[dict, dict]:
    """events[(producer, event_type)] and rpcs[(producer, method)], each a list of what one
    consumer relies on: {consumer, reader, fields, accepts} / {consumer, args, kwargs,
    fields, errors}."""
    events, rpcs = defaultdict(list), defaultdict(list)
    for path in sorted(directory.glob("*.json")):
        pact = json.loads(path.read_text())
        consumer, provider = pact["consumer"]["name"], pact["provider"]["name"]
        for interaction in pact["interactions"]:
            if interaction["type"] == "Asynchronous/Messages":
                body = envelopes_in(interaction["contents"]["content"])[0]
                reader = _READER.search(interaction["description"])
                events[(provider, body["event_type"])].append({
                    "consumer": consumer, "reader": reader.group(1) if reader else consumer,
                    "fields": field_paths(body["payload"]),
                    "accepts": accepted(interaction.get("matchingRules", {}).get("body", {})),
                })
            else:
                request = interaction["request"]["contents"]["content"]
                answer = interaction["response"][0]["contents"]["content"]
                error = (answer.get("error") or {}).get("exc_type")
                rpcs[(provider, request["method"])].append({
                    "consumer": consumer, "args": len(request.get("args", [])),
                    "kwargs": sorted(request.get("kwargs", {})),
                    "fields": field_paths(answer["result"]) if "result" in answer else [],
                    "errors": [error] if error else [],
                })
    return events, rpcs


# --- the table -----------------------------------------------------------------------------------

def _code(text: str) -> str:
    return f"`{text}`"


def _relied_fields(every: list[str], relying: dict[str, set[str]],
                   everyone: set[str] | None = None) -> str:
    """Each field, and who relies on it; fields nobody relies on are listed plain, and so
    are those `everyone` relies on."""
    parts = []
    for path in every:
        who = sorted(relying.get(path, ()))
        named = who and set(who) != everyone
        parts.append(f"{_code(path)} ({', '.join(who)})" if named else _code(path))
    return ", ".join(parts) if parts else "—"


def event_row(key: tuple[str, str], relied: list[dict], versions: dict) -> str:
    producer, event_type = key
    relying: dict[str, set[str]] = defaultdict(set)
    for each in relied:
        for path in each["fields"]:
            relying[path].add(each["consumer"])
    event = event_types().get(key)
    if event:
        every = schema_paths(event.payload)
        every += [path for path in sorted(relying) if path not in every]  # relied, not sent
        where = _code(event.payload.__name__)
    else:
        every = sorted(relying)
        where = "no producer schema"
    consumers = "; ".join(f"{each['reader']} (accepts {each['accepts']})"
                          for each in sorted(relied, key=lambda each: each["reader"]))
    name = _code(event_type) + (" (batched)" if event and event.batched else "")
    return (f"| event | {name} | {producer} | {versions.get(key, 1)} | "
            f"{consumers or '—'} | {where}: {_relied_fields(every, relying)} |")


def rpc_row(key: tuple[str, str], relied: list[dict]) -> str:
    producer, method = key
    service = SERVICES.get(producer)
    parameters = []
    if service:
        signature = inspect.signature(getattr(load(service), method))
        parameters = [name for name in signature.parameters if name != "self"]
    name = f"{method}({', '.join(parameters)})" if service else method
    relying: dict[str, set[str]] = defaultdict(set)
    errors: dict[str, set[str]] = defaultdict(set)
    for each in relied:
        for path in each["fields"]:
            relying[path].add(each["consumer"])
        for error in each["errors"]:
            errors[error].add(each["consumer"])
    everyone = {each["consumer"] for each in relied}
    answer = _relied_fields(sorted(relying), relying, everyone) if relying else "(success)"
    if errors:
        answer += "; errors: " + ", ".join(
            f"{_code(error)} ({', '.join(sorted(who))})" for error, who in sorted(errors.items()))
    consumers = ", ".join(sorted(everyone))
    return f"| rpc | {_code(name)} | {producer} | — | {consumers} | {answer} |"


def render(directory: Path = PACTS) -> str:
    events, rpcs = read_pacts(directory)
    versions = current_versions()
    known = sorted(set(events) | set(versions))
    rows = [event_row(key, events.get(key, []), versions) for key in known]
    rows += [rpc_row(key, rpcs[key]) for key in sorted(rpcs)]
    return "\n".join([
        "# Contracts between the services",
        "",
        f"Generated by `{REGENERATE}` from the pacts in `contracts/pacts/` (what each",
        "consumer relies on) and the producers' marshmallow schemas (what they send); do not",
        "edit it by hand. `pytest contracts` fails when it is not current. How the contracts",
        "are written and verified: `contracts/README.md`.",
        "",
        "- **Version**: the version of the event the producer sends now "
        "(its `EventType` in the producer's contract package). RPCs are not versioned.",
        "- **(batched)**: many envelopes to a message, a JSON array of that type's envelopes "
        "(`shared.contract`); consumers read it with `consume_batch`.",
        "- **Consumers**: each handler that reads the event, and the versions it accepts; for "
        "an RPC, each caller.",
        "- **Fields**: for an event, every payload field its producer's schema sends, and in "
        "parentheses who relies on it; for an RPC, the answer's fields callers rely on (and "
        "the errors they handle). A field nobody relies on may change freely; one somebody "
        "relies on is checked by the producer's contract tests. Nullable fields a caller "
        "passes through but does not read are not relied on (Pact cannot say \"this type or "
        "null\").",
        "",
        "| Kind | Name | Producer | Version | Consumers | Fields |",
        "|---|---|---|---|---|---|",
        *rows,
        "",
    ])


def main(argv: list[str]) -> int:
    # the services' modules import eventlet, whose deprecation notice would open every run
    warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")
    document = render()
    if "--check" in argv:
        current = DOCUMENT.read_text() if DOCUMENT.exists() else ""
        if current != document:
            print(f"docs/contracts.md is not current: run `{REGENERATE}`", file=sys.stderr)
            return 1
        return 0
    DOCUMENT.parent.mkdir(exist_ok=True)
    DOCUMENT.write_text(document)
    print(f"wrote {DOCUMENT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
