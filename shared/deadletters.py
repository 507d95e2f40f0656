"""`python -m shared.deadletters`: list, show and replay dead-lettered events.

    python -m shared.deadletters list [--service catalog ...]
    python -m shared.deadletters show MESSAGE_ID [--service ...]
    python -m shared.deadletters replay (MESSAGE_ID ... | --all) [--service ...]

Each service's dead letters wait in `dlq.<service>` with the error, the number
of attempts and the queue they came from. Replay sends a message back to that
queue with its attempts reset; only what was replayed leaves the dead-letter
queue: a replay is published mandatory and acked out of `dlq.<service>` only once
the broker confirmed it, so one whose queue is gone (a handler renamed since) comes
back, is reported, and stays a dead letter (exit status 1). Uses AMQP_URI.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass

from amqp.exceptions import MessageNacked
from kombu import Connection, Producer
from kombu.exceptions import ChannelError

from shared.config import amqp_uri
from shared.consumer import (
    ATTEMPTS_HEADER,
    ERROR_HEADER,
    FAILED_AT_HEADER,
    ORIGIN_HEADER,
    dead_letter_queue_name,
)
from shared.events import Returned, on_return

KNOWN_SERVICES = ("catalog", "rankings", "analytics", "orders", "gateway")
CONFIRM_TIMEOUT = 10.0  # seconds a replay waits for the broker's confirm


@dataclass
class DeadLetter:
    service: str
    message_id: str
    origin: str
    attempts: int
    error: str
    failed_at: str
    body: object
    message: object

    @property
    def event_type(self) -> str:
        return self.body.get("event_type", "?") if isinstance(self.body, dict) else "?"

    def summary(self) -> str:
        return (f"{self.message_id}  {self.service}  {self.event_type}  from {self.origin}  "
                f"attempts={self.attempts}  at {self.failed_at}\n    {self.error}")


def read_dead_letters(channel, service: str) -> list[DeadLetter]:
    """Every message of dlq.<service>, fetched unacknowledged (they stay until acked)."""
    queue = dead_letter_queue_name(service)
    try:
        channel.queue_declare(queue, passive=True)
    except ChannelError:
        return []
    letters = []
    while (message := channel.basic_get(queue, no_ack=False)) is not None:
        headers = message.headers or {}
        try:
            body = json.loads(message.body)
        except ValueError:
            body = message.body
        letters.append(DeadLetter(
            service=service, message_id=message.properties.get("message_id", "?"),
            origin=headers.get(ORIGIN_HEADER, "?"), attempts=headers.get(ATTEMPTS_HEADER, 0),
            error=headers.get(ERROR_HEADER, ""), failed_at=headers.get(FAILED_AT_HEADER, "?"),
            body=body, message=message,
        ))
    return letters


class NotReplayed(Exception):
    """The broker did not take a replay (returned or refused): its dead letter stays."""


class Replayer:
    """Sends dead letters back to their queues on one channel of a connection opened with
    `confirm_publish` (each publish waits for its confirm)."""

    def __init__(self, channel):
        self.channel = channel
        self._producer = Producer(channel)
        self._returned: list[Returned] = []
        on_return(channel, self._returned.append)  # a return comes before its confirm

    def replay(self, letter: DeadLetter) -> None:
        """Publish `letter` to its queue, mandatory, and ack it out of the dead-letter queue
        once confirmed; raises NotReplayed, the letter left unacked, when it came back."""
        headers = {key: value for key, value in (letter.message.headers or {}).items()
                   if key not in (ATTEMPTS_HEADER, ERROR_HEADER, ORIGIN_HEADER,
                                  FAILED_AT_HEADER)}
        self._returned.clear()
        try:
            self._producer.publish(
                letter.message.body, exchange="", routing_key=letter.origin,
                headers=headers, content_type=letter.message.content_type,
                content_encoding=letter.message.content_encoding, delivery_mode=2,
                mandatory=True, confirm_timeout=CONFIRM_TIMEOUT)
        except MessageNacked as exc:
            raise NotReplayed(f"{letter.message_id}: the broker refused it (nack); "
                              "it stays a dead letter") from exc
        if self._returned:
            raise NotReplayed(f"{letter.message_id}: no queue {letter.origin} to replay it "
                              f"to (the broker returned it: {self._returned[0].reason}); "
                              "it stays a dead letter")
        self.channel.basic_ack(letter.message.delivery_tag)


def main(argv: list[str] | None = None, out=sys.stdout) -> int:
    parser = argparse.ArgumentParser(prog="python -m shared.deadletters",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["list", "show", "replay"])
    parser.add_argument("ids", nargs="*", help="message ids (show, replay)")
    parser.add_argument("--all", action="store_true", help="replay every dead letter")
    parser.add_argument("--service", action="append", help="default: every service")
    args = parser.parse_args(argv)
    if args.command == "replay" and not (args.ids or args.all):
        parser.error("replay needs message ids or --all")

    kept = []
    # the broker confirms each replay before its dead letter is acked
    with Connection(amqp_uri(), transport_options={"confirm_publish": True}) as connection:
        channel = connection.channel()
        letters = [letter for service in (args.service or KNOWN_SERVICES)
                   for letter in read_dead_letters(channel, service)]
        chosen = [letter for letter in letters if args.all or letter.message_id in args.ids]
        if args.command == "list":
            for letter in letters:
                print(letter.summary(), file=out)
            print(f"{len(letters)} dead letter(s)", file=out)
        elif args.command == "show":
            for letter in chosen:
                print(letter.summary(), file=out)
                print(json.dumps(letter.body, indent=2, default=str), file=out)
        else:
            replayer = Replayer(channel)
            for letter in chosen:
                try:
                    replayer.replay(letter)
                except NotReplayed as exc:
                    kept.append(str(exc))
                    continue
                print(f"replayed {letter.message_id} to {letter.origin}", file=out)
        missing = set(args.ids) - {letter.message_id for letter in letters}
        # closing the channel returns every message we did not ack to its queue
        channel.close()
    for message_id in sorted(missing):
        print(f"no dead letter {message_id}", file=sys.stderr)
    for reason in kept:
        print(f"not replayed: {reason}", file=sys.stderr)
    return 1 if missing or kept else 0


if __name__ == "__main__":
    sys.exit(main())
