"""Writes to DynamoDB items described as plain values: domain code says what an event
changes (`Increment`, `PutIfAbsent`), and shared.dynamodb.apply_once applies a batch of
them exactly once. No boto3 or nameko here, so the domain stays free of I/O."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Increment:
    """One item's counters to ADD (and attributes to SET); increments of one key in a batch
    are coalesced into one update. Attribute names are flat: ADD into a map that does not
    exist yet fails, so `hour_09`, not `hourly.09`."""

    table: str
    key: dict
    add: dict = field(default_factory=dict)
    set: dict = field(default_factory=dict)
    set_if_absent: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PutIfAbsent:
    """An item written only if it does not exist (a per-viewer marker, a raw record); its
    `on_new` increments count only when this put created it.

    `marks_event`: the item may stand for the event's own exactly-once marker when this
    event creates it (it then names the event; shared.dynamodb.CREATED_BY), saving the
    marker write. Only for an item that every delivery of the event writes under the same
    key, whatever else it reads, and that is never deleted (a per-viewer marker: not a
    record keyed by the time it was received)."""

    table: str
    item: dict
    key_names: tuple[str, ...] = ("pk", "sk")
    on_new: tuple[Increment, ...] = ()
    marks_event: bool = False

    @property
    def key(self) -> dict:
        return {name: self.item[name] for name in self.key_names}
