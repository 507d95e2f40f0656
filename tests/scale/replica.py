"""One replica of a real service, run exactly as `python -m services.<name>` runs it, with a
witness that writes down what this process did, for tests/scale to count.

    SCALE_SERVICE=catalog SCALE_WITNESS_DIR=/tmp/w CATALOG_DATABASE_URL=... AMQP_URI=... \
        python tests/scale/replica.py

The witness appends one JSON line per event to `<SCALE_WITNESS_DIR>/<pid>.jsonl`:

- `{"kind": "worker", "pid", "entrypoint", "correlation_id", "event_id", "ok"}` for every
  worker the service ran (an RPC call, an event handled: `event_id` is the envelope's),
  written after its reply was sent or its message acked, so a redelivered event shows twice;
- `{"kind": "published", "pid", "event_type", "event_id"}` for every envelope this process
  published to the broker (the outbox relay), after the broker confirmed it.

It is a nameko dependency provider added to the service class, and wrappers around
`EnvelopePublisher.publish` and `BatchPublisher.publish_all` (the relay's): nothing of
the service's own code changes.
"""
# eventlet is patched before anything else is imported, as the service's __main__ does:
# ruff: noqa: E402

import eventlet

eventlet.monkey_patch()

import importlib
import json
import os
import runpy
import sys
import uuid

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from nameko.extensions import DependencyProvider

from shared.events import BatchPublisher, EnvelopePublisher, PublishIncomplete


class WitnessFile:
    def __init__(self, directory: str):
        self.path = os.path.join(directory, f"{os.getpid()}.jsonl")
        self.fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def record(self, **entry) -> None:
        line = json.dumps({**entry, "pid": os.getpid()}, default=str) + "\n"
        os.write(self.fd, line.encode())  # one write, O_APPEND: lines never interleave


class Witness(DependencyProvider):
    """Writes down every worker of the service it is added to."""

    def __init__(self, witness_file: WitnessFile):
        self.witness_file = witness_file

    def worker_result(self, worker_ctx, result=None, exc_info=None):
        [first, *_] = [*worker_ctx.args, None]
        event_id = first.get("event_id") if isinstance(first, dict) else None
        self.witness_file.record(
            kind="worker", entrypoint=worker_ctx.entrypoint.method_name,
            correlation_id=worker_ctx.data.get("correlation_id"),
            event_id=str(event_id) if isinstance(event_id, uuid.UUID) else event_id,
            ok=exc_info is None,
        )


def watch_publishing(witness_file: WitnessFile) -> None:
    publish = EnvelopePublisher.publish
    publish_all = BatchPublisher.publish_all

    def record(envelopes: list[dict]) -> None:
        for envelope in envelopes:
            witness_file.record(kind="published", event_type=envelope["event_type"],
                                event_id=str(envelope["event_id"]))

    def publish_and_record(self, envelope: dict) -> None:
        publish(self, envelope)  # returns once the broker confirmed it
        record([envelope])

    def publish_all_and_record(self, envelopes: list[dict]):
        # the outbox relay's rounds: what the broker confirmed, all or the first ones, but
        # those it returned unroutable
        def routed(published) -> list[dict]:
            return [envelope for position, envelope in enumerate(envelopes[:published.confirmed])
                    if position not in published.returned]

        try:
            published = publish_all(self, envelopes)
        except PublishIncomplete as exc:
            record(routed(exc))
            raise
        record(routed(published))
        return published

    EnvelopePublisher.publish = publish_and_record
    BatchPublisher.publish_all = publish_all_and_record


def service_class(service: str) -> type:
    module = importlib.import_module(f"services.{service}.service")
    [cls] = [value for value in vars(module).values()
             if isinstance(value, type) and getattr(value, "name", None) == service
             and value.__module__ == module.__name__]
    return cls


def main() -> None:
    service = os.environ["SCALE_SERVICE"]
    witness_file = WitnessFile(os.environ["SCALE_WITNESS_DIR"])
    # nameko finds dependency providers among the class's attributes when it builds the
    # container, which the service's __main__ does after this
    service_class(service).scale_witness = Witness(witness_file)
    watch_publishing(witness_file)
    runpy.run_module(f"services.{service}", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
