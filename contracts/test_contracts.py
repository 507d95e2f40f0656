"""The contracts as a whole: every event a service consumes and every RPC it calls has a
pact, every pact is verified by its producer, and docs/contracts.md is current."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from contracts import PACTS
from contracts.contract_map import DOCUMENT, REGENERATE, event_types, render
from contracts.contract_map import load as load_reference
from contracts.provider import subject
from shared.consumer import ReliableEventHandler

ROOT = Path(__file__).resolve().parent.parent
SERVICES = {
    "catalog": "services.catalog.service:CatalogService",
    "rankings": "services.rankings.service:RankingsService",
    "analytics": "services.analytics.service:AnalyticsService",
    "orders": "services.orders.service:OrdersService",
    "gateway": "services.gateway.service:GatewayService",
}


def pacts() -> list[dict]:
    return [json.loads(path.read_text()) for path in sorted(PACTS.glob("*.json"))]


def consumed_events() -> set[tuple[str, str, str, str]]:
    """(consumer, producer, event_type, handler) for every event binding in the services."""
    found = set()
    for consumer, reference in SERVICES.items():
        service = load_reference(reference)
        for name in dir(service):
            for entrypoint in getattr(getattr(service, name), "nameko_entrypoints", ()):
                if isinstance(entrypoint, ReliableEventHandler):
                    bindings = [(entrypoint.source_service, entrypoint.event_type)]
                else:
                    bindings = list(getattr(entrypoint, "bindings", ()))  # consume_batch
                found |= {(consumer, producer, event_type, name)
                          for producer, event_type in bindings}
    return found


def declared_events() -> set[tuple[str, str, str, str]]:
    found = set()
    for pact in pacts():
        for interaction in pact["interactions"]:
            if interaction["type"] == "Asynchronous/Messages":
                reader = re.search(r", as \w+\.(\w+) reads it$", interaction["description"])
                found.add((pact["consumer"]["name"], pact["provider"]["name"],
                           subject(interaction), reader.group(1) if reader else ""))
    return found


def test_every_event_a_service_consumes_has_a_contract_and_no_contract_is_stale():
    consumed, declared = consumed_events(), declared_events()
    assert consumed - declared == set(), (
        "events consumed without a contract (consumer, producer, event, handler): "
        f"{sorted(consumed - declared)}; declare them in the consumer's "
        "tests/contracts/test_*_consumer.py")
    assert declared - consumed == set(), (
        f"contracts for events nobody consumes any more: {sorted(declared - consumed)}")


def rpc_calls() -> set[tuple[str, str, str]]:
    """(caller, service, method) for every call through an RpcClient in a service's code
    (tests aside); the gateway's /ready calls every downstream's health, and so does the
    health check of each image that runs `shared.healthcheck`."""
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    found = {("healthcheck", name, "health") for name, definition in compose.items()
             if "shared.healthcheck" in str(definition.get("healthcheck", {}).get("test"))
             and "HEALTHCHECK_URL" not in (definition.get("build") or {}).get("args", {})}
    for caller in SERVICES:
        folder = ROOT / "services" / caller
        sources = [path.read_text() for path in folder.rglob("*.py") if "tests" not in path.parts]
        clients = {attribute: target for source in sources for attribute, target in
                   re.findall(r"(\w+) = RpcClient\(\"(\w+)\"", source)}
        for attribute, target in clients.items():
            for source in sources:
                found |= {(caller, target, method) for method in re.findall(
                    rf"(?<![\w.])(?:self\.)?{attribute}\.(\w+)", source)}
            if caller == "gateway":
                found.add((caller, target, "health"))
    return found


def declared_rpcs() -> set[tuple[str, str, str]]:
    return {(pact["consumer"]["name"], pact["provider"]["name"],
             interaction["request"]["contents"]["content"]["method"])
            for pact in pacts() for interaction in pact["interactions"]
            if interaction["type"] == "Synchronous/Messages"}


def test_every_rpc_a_service_calls_has_a_contract():
    calls, declared = rpc_calls(), declared_rpcs()
    assert ("orders", "catalog", "get_order_quote") in calls  # the scan sees what it should
    assert calls - declared == set(), (
        f"RPCs called without a contract (caller, service, method): {sorted(calls - declared)}")
    assert declared - calls == set(), (
        f"contracts for RPCs nobody calls any more: {sorted(declared - calls)}")


def test_exactly_the_events_nobody_consumes_yet_are_published_without_the_mandatory_check():
    """Every event some service consumes is mandatory (with no queue bound it waits in the
    outbox: docs/events.md); one nobody consumes is declared `no_consumer_yet`, or its rows
    would never leave the outbox. The change that makes a service consume one drops it."""
    consumed = {(producer, event_type) for _, producer, event_type, _ in consumed_events()}
    declared = event_types()
    announced = {key for key, event in declared.items() if event.no_consumer_yet}
    assert announced & consumed == set(), (
        f"consumed now, so to be published mandatory: drop no_consumer_yet from "
        f"{sorted(announced & consumed)} in the producer's contract/events.py")
    assert set(declared) - consumed - announced == set(), (
        f"nobody consumes {sorted(set(declared) - consumed - announced)}: declare them "
        "no_consumer_yet=True in the producer's contract/events.py")


def test_every_pact_is_verified_by_its_producers_tests():
    for pact in pacts():
        provider = pact["provider"]["name"]
        tests = ROOT / "services" / provider / "tests" / "contracts" / (
            f"test_{provider}_provider.py")
        assert tests.exists(), f"nothing verifies {provider}'s pacts: {tests} is missing"


def test_every_event_names_its_producers_schema():
    events = {(pact["provider"]["name"], subject(interaction))
              for pact in pacts() for interaction in pact["interactions"]
              if interaction["type"] == "Asynchronous/Messages"}
    unknown = events - set(event_types())
    assert not unknown, (f"events no producer's contract declares: {sorted(unknown)}; "
                         "add their EventType to the producer's contract/events.py")


def test_the_contract_map_is_current():
    current = DOCUMENT.read_text() if DOCUMENT.exists() else ""
    assert current == render(), f"docs/contracts.md is not current: run `{REGENERATE}`"
