"""The gateway's read model of the catalog: restaurants, menus, lists and searches held in
memory, warmed on a miss through the catalog's RPC and kept current by the catalog's
events (event-carried state transfer). No I/O: `services.gateway.catalog_stream` feeds
it from the broker, the routes read through it.

Freshness (docs/architecture.md, "The read path"):

- A replica that made a write (its own RPC answered) applies the answer at once, so the
  writer reads its own write on the next request it sends there.
- Every other replica applies the catalog's event when it arrives: the outbox relay wakes
  on the commit's NOTIFY, so that is within a second.
- A restaurant (or dish) is event-carried state: an event or a warm answer replaces what
  is held only if it is newer (`updated_at`), and a deletion leaves a tombstone, so a late
  event or a slow warm-up never brings back an older version.
- A list, menu or search answer is held against the catalog's change counters: any
  restaurant event makes every held list stale, any dish event every menu and search. A
  warm-up that started before a change is not kept.
- Menus and searches carry each dish's `average_rank`, which the catalog keeps from
  rankings' events without announcing it: those answers are held at most
  `ranked_max_age` seconds (1 by default).
- Until its event stream is up, and again from the moment the stream is lost, the model
  keeps nothing new. When the stream comes back (a broker reconnect: events may have been
  missed) it drops everything before it serves again. While the stream is down it still
  answers from what it holds, past their age too, for at most `offline_grace` seconds: no
  catalog write (nor a new average rank) can reach the catalog without the broker the
  stream runs over (every write is an RPC over it, every rank an event).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cachetools import LRUCache

NEVER = datetime.min.replace(tzinfo=UTC)
RESTAURANTS = "restaurant"  # the change counters a held answer depends on
DISHES = "dish"


@dataclass
class Entry:
    value: Any
    expires_at: float
    depends: tuple[str, ...] = ()  # the change counters it is held against
    ticket: tuple | None = None  # their values (and the epoch) when its warm-up started
    updated_at: datetime = NEVER  # event-carried state: the version held
    deleted: bool = False  # a tombstone: reads miss, older versions are refused


class Flight:
    """A warm-up under way (green under eventlet: threading is monkey-patched)."""

    def __init__(self):
        self._done = threading.Event()
        self._value = None
        self._error: BaseException | None = None

    def succeed(self, value) -> None:
        self._value = value
        self._done.set()

    def fail(self, error: BaseException) -> None:
        self._error = error
        self._done.set()

    def result(self):
        self._done.wait()
        if self._error is not None:
            raise self._error
        return self._value


class ReadModel:
    def __init__(self, max_entries: int = 5000, max_age: float = 300.0,
                 ranked_max_age: float = 1.0, offline_grace: float = 60.0,
                 clock: Callable[[], float] = time.monotonic):
        self.max_age = max_age
        self.ranked_max_age = ranked_max_age
        self.offline_grace = offline_grace
        self._clock = clock
        self._entries: LRUCache = LRUCache(maxsize=max_entries)
        self._changes = {RESTAURANTS: 0, DISHES: 0}
        self._epoch = 0  # one per stream (re)start: what an earlier stream held is gone
        self.online = False
        self._offline_since = clock()
        self.stats: Counter = Counter()
        self._flights: dict = {}  # warm-ups under way, by key

    # --- the event stream ---------------------------------------------------------------

    def stream_up(self) -> None:
        """The stream is (again) bound and consuming: drop what was held, keep from now."""
        self.drop("stream up")
        self.online = True

    def stream_down(self) -> None:
        if self.online:
            self.online = False
            self._offline_since = self._clock()

    def drop(self, why: str) -> None:
        """Hold nothing (and keep no warm-up that started before)."""
        self._entries.clear()
        self._epoch += 1
        self.stats[f"dropped ({why})"] += 1

    def _readable(self) -> bool:
        """Whether what is held may be served: while the stream is up, and for
        `offline_grace` seconds after it was lost."""
        if self.online:
            return True
        if not len(self._entries):
            return False
        if self._clock() - self._offline_since > self.offline_grace:
            self.drop("offline too long")
            return False
        return True

    # --- reads ---------------------------------------------------------------------------

    def restaurant(self, restaurant_id: str, load: Callable[[], dict]) -> dict:
        return self._state(("restaurant", restaurant_id), load)

    def dish(self, dish_id: str, load: Callable[[], dict]) -> dict:
        return self._state(("dish", dish_id), load)

    def restaurants(self, query: Hashable, load: Callable[[], dict]) -> dict:
        return self._answer(("restaurants", query), load, (RESTAURANTS,), self.max_age)

    def menu(self, restaurant_id: str, query: Hashable, load: Callable[[], dict]) -> dict:
        return self._answer(("menu", restaurant_id, query), load, (DISHES,),
                            self.ranked_max_age)

    def dish_search(self, query: Hashable, load: Callable[[], dict]) -> dict:
        return self._answer(("search", query), load, (RESTAURANTS, DISHES),
                            self.ranked_max_age)

    def cuisines(self, load: Callable[[], list]) -> list:
        """The catalog's cuisines: a restaurant's change is what adds one."""
        return self._answer(("cuisines",), load, (RESTAURANTS,), self.max_age)

    def _held(self, key) -> Entry | None:
        entry = self._entries.get(key)
        if entry is None or entry.deleted:
            return None
        if entry.depends and entry.ticket != self._ticket(entry.depends):
            return None
        # offline, nothing can change what it holds (see the module's docstring): an
        # answer past its age is still the newest there is
        if entry.expires_at <= self._clock() and self.online:
            return None
        return entry

    def _state(self, key, load: Callable[[], dict]) -> dict:
        """A restaurant or dish: held, or loaded and kept (unless something newer came)."""
        if self._readable() and (entry := self._held(key)) is not None:
            self.stats["hits"] += 1
            return entry.value
        self.stats["misses"] += 1

        def warm():
            epoch = self._epoch
            value = load()
            if epoch == self._epoch and self.online:
                self._keep_state(key, value)
            return value

        return self._once(key, warm)

    def _answer(self, key, load: Callable[[], dict], depends: tuple[str, ...],
                max_age: float) -> dict:
        """A list, menu or search: held while no change it depends on has happened."""
        if self._readable() and (entry := self._held(key)) is not None:
            self.stats["hits"] += 1
            return entry.value
        self.stats["misses"] += 1

        def warm():
            ticket = self._ticket(depends)
            value = load()
            if self.online and ticket == self._ticket(depends):
                self._entries[key] = Entry(value, self._clock() + max_age, depends, ticket)
            else:
                self.stats["not kept (changed meanwhile)"] += 1
            return value

        return self._once(key, warm)

    def _once(self, key, warm: Callable[[], dict]) -> dict:
        """One warm-up per key at a time: requests that miss while it runs wait for its
        answer (or its error) instead of each asking the catalog."""
        flight = self._flights.get(key)
        if flight is not None:
            self.stats["waited for a warm-up"] += 1
            return flight.result()
        flight = self._flights[key] = Flight()
        try:
            value = warm()
        except BaseException as exc:
            flight.fail(exc)
            raise
        else:
            flight.succeed(value)
            return value
        finally:
            del self._flights[key]

    def _ticket(self, depends: Iterable[str]) -> tuple:
        return self._epoch, *(self._changes[family] for family in depends)

    # --- changes: the catalog's events, or this replica's own writes ----------------------

    def apply(self, event_name: str, payload: dict) -> None:
        """One catalog event (its type's name and payload, JSON as sent)."""
        kind, _, change = event_name.rpartition("_")
        if kind not in ("restaurant", "dish") or change not in ("created", "updated",
                                                                 "deleted"):
            return
        self._changes[RESTAURANTS if kind == "restaurant" else DISHES] += 1
        if kind == "restaurant" and change == "deleted":
            self._changes[DISHES] += 1  # its dishes went with it
        self.stats[event_name] += 1
        key = (kind, str(payload["id"]))
        if change == "deleted":
            self._entries[key] = Entry(None, self._clock() + self.max_age, deleted=True)
        elif self.online:
            self._keep_state(key, payload)

    def _keep_state(self, key, value: dict) -> None:
        held = self._entries.get(key)
        updated_at = _version(value)
        if held is not None and (held.deleted or held.updated_at > updated_at):
            self.stats["older version refused"] += 1
            return
        self._entries[key] = Entry(value, self._clock() + self.max_age,
                                   updated_at=updated_at)

    def __len__(self) -> int:
        return len(self._entries)


def _version(value: dict) -> datetime:
    """When a restaurant or dish last changed (its `updated_at`, as the catalog sends it)."""
    try:
        return datetime.fromisoformat(str(value["updated_at"]))
    except (KeyError, TypeError, ValueError):
        return NEVER
