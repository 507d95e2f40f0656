"""The read model's freshness rules (services/gateway/domain/read_model.py), on a clock the
tests move."""

from __future__ import annotations

import threading
import uuid

import pytest

from services.gateway.domain.read_model import ReadModel
from shared.errors import NotFound

RID = str(uuid.uuid4())


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Catalog:
    """Answers as the catalog would, counting what it was asked."""

    def __init__(self):
        self.restaurant = {"id": RID, "name": "Warung", "updated_at": stamp(1)}
        self.asked = 0

    def get(self):
        self.asked += 1
        if self.restaurant is None:
            raise NotFound("restaurant not found")
        return dict(self.restaurant)


def stamp(second: int) -> str:
    return f"2026-12-03T10:00:{second:02d}.000001+00:00"


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def model(clock):
    model = ReadModel(max_entries=100, clock=clock)
    model.stream_up()
    return model


@pytest.fixture
def catalog():
    return Catalog()


def read(model, catalog):
    return model.restaurant(RID, catalog.get)


def test_a_restaurant_is_asked_once_then_served_from_memory(model, catalog):
    assert read(model, catalog)["name"] == "Warung"
    assert read(model, catalog)["name"] == "Warung"
    assert catalog.asked == 1
    assert model.stats["hits"] == 1


def test_an_event_replaces_what_is_held_and_an_older_one_is_refused(model, catalog):
    read(model, catalog)
    model.apply("restaurant_updated", {"id": RID, "name": "Warung Baru", "updated_at": stamp(3)})
    assert read(model, catalog)["name"] == "Warung Baru"
    # a late event of an earlier change (the writer's replica applied its answer first)
    model.apply("restaurant_updated", {"id": RID, "name": "Warung Lama", "updated_at": stamp(2)})
    assert read(model, catalog)["name"] == "Warung Baru"
    assert catalog.asked == 1


def test_a_slow_warm_up_never_brings_back_an_older_version(model, catalog):
    def slow_get():
        answer = catalog.get()  # read before the change below committed
        model.apply("restaurant_updated", {**answer, "name": "Newer", "updated_at": stamp(5)})
        return answer

    assert model.restaurant(RID, slow_get)["name"] == "Warung"  # its own answer
    assert read(model, catalog)["name"] == "Newer"


def test_a_deleted_restaurant_is_asked_for_again_and_never_revived(model, catalog):
    read(model, catalog)
    model.apply("restaurant_deleted", {"id": RID})
    catalog.restaurant = None
    with pytest.raises(NotFound):
        read(model, catalog)
    model.apply("restaurant_updated", {"id": RID, "name": "Ghost", "updated_at": stamp(9)})
    with pytest.raises(NotFound):
        read(model, catalog)


def test_lists_follow_restaurant_events_and_menus_follow_dish_events(model, catalog):
    loads = []

    def load(what):
        return lambda: loads.append(what) or {"items": [], "what": what}

    model.restaurants(("city", "Ipoh"), load("list"))
    model.menu(RID, (), load("menu"))
    model.dish_search(("q", "laksa"), load("search"))
    model.restaurants(("city", "Ipoh"), load("list"))
    model.menu(RID, (), load("menu"))
    model.dish_search(("q", "laksa"), load("search"))
    assert loads == ["list", "menu", "search"]

    model.apply("dish_updated", {"id": str(uuid.uuid4()), "restaurant_id": RID,
                                 "updated_at": stamp(4)})
    model.restaurants(("city", "Ipoh"), load("list"))  # a dish does not change a list
    model.menu(RID, (), load("menu"))
    model.dish_search(("q", "laksa"), load("search"))
    assert loads == ["list", "menu", "search", "menu", "search"]

    model.apply("restaurant_created", {"id": str(uuid.uuid4()), "updated_at": stamp(6)})
    model.restaurants(("city", "Ipoh"), load("list"))
    model.menu(RID, (), load("menu"))
    model.dish_search(("q", "laksa"), load("search"))  # it names restaurants too
    assert loads[5:] == ["list", "search"]


def test_a_list_read_while_it_changed_is_not_kept(model):
    calls = []

    def load():
        calls.append(1)
        if len(calls) == 1:
            model.apply("restaurant_updated", {"id": RID, "updated_at": stamp(7)})
        return {"items": [], "call": len(calls)}

    assert model.restaurants(("all",), load)["call"] == 1
    assert model.restaurants(("all",), load)["call"] == 2
    assert model.restaurants(("all",), load)["call"] == 2


def test_menus_and_searches_are_held_one_second_for_their_average_ranks(model, clock):
    loads = []
    load = lambda: loads.append(1) or {"items": []}  # noqa: E731
    model.menu(RID, (), load)
    clock.now += 0.9
    model.menu(RID, (), load)
    assert len(loads) == 1
    clock.now += 0.2
    model.menu(RID, (), load)
    assert len(loads) == 2


def test_nothing_is_kept_before_the_stream_is_up(clock, catalog):
    model = ReadModel(clock=clock)
    read(model, catalog)
    read(model, catalog)
    assert catalog.asked == 2


def test_a_lost_stream_keeps_answering_for_a_grace_then_drops(model, clock, catalog):
    read(model, catalog)
    model.menu(RID, (), lambda: {"items": ["dish"]})
    model.stream_down()
    clock.now += 30  # past the menu's age: offline, it is still the newest there is
    assert read(model, catalog)["name"] == "Warung"
    assert model.menu(RID, (), lambda: {"items": ["other"]}) == {"items": ["dish"]}
    assert catalog.asked == 1
    clock.now += model.offline_grace
    read(model, catalog)
    assert catalog.asked == 2
    read(model, catalog)
    assert catalog.asked == 3  # offline: what it loads is not kept


def test_a_stream_that_comes_back_drops_everything_first(model, catalog):
    read(model, catalog)
    model.stream_down()
    catalog.restaurant["name"] = "Changed while the stream was away"
    model.stream_up()
    assert read(model, catalog)["name"] == "Changed while the stream was away"
    assert catalog.asked == 2


def test_memory_is_bounded_least_recently_used_first(clock):
    model = ReadModel(max_entries=2, clock=clock)
    model.stream_up()
    asked = []

    def load(key):
        return lambda: asked.append(key) or {"id": key, "updated_at": stamp(1)}

    for key in ("a", "b", "a", "c", "a", "b"):
        model.restaurant(key, load(key))
    assert asked == ["a", "b", "c", "b"]
    assert len(model) == 2


def test_requests_that_miss_together_ask_the_catalog_once(model):
    release = threading.Event()
    asked = []

    def slow():
        asked.append(1)
        release.wait(5)
        return {"items": ["x"]}

    answers = []
    readers = [threading.Thread(target=lambda: answers.append(
        model.dish_search(("q", "laksa"), slow))) for _ in range(4)]
    for reader in readers:
        reader.start()
    while not model.stats["waited for a warm-up"] >= 3:
        threading.Event().wait(0.01)
    release.set()
    for reader in readers:
        reader.join(5)
    assert answers == [{"items": ["x"]}] * 4
    assert len(asked) == 1


def test_a_failed_warm_up_fails_every_request_waiting_for_it(model):
    release = threading.Event()

    def failing():
        release.wait(5)
        raise NotFound("restaurant not found")

    errors = []

    def reader():
        try:
            model.restaurant(RID, failing)
        except NotFound as exc:
            errors.append(exc)

    readers = [threading.Thread(target=reader) for _ in range(2)]
    for thread in readers:
        thread.start()
    while not model.stats["waited for a warm-up"]:
        threading.Event().wait(0.01)
    release.set()
    for thread in readers:
        thread.join(5)
    assert len(errors) == 2


def test_the_cuisines_are_held_until_a_restaurant_changes(model):
    asked = []

    def cuisines():
        asked.append(1)
        return [{"name": "Malay"}] * len(asked)

    assert model.cuisines(cuisines) == [{"name": "Malay"}]
    assert model.cuisines(cuisines) == [{"name": "Malay"}]
    model.apply("dish_created", {"id": str(uuid.uuid4()), "updated_at": stamp(1)})
    assert len(model.cuisines(cuisines)) == 1 and len(asked) == 1  # a dish adds none
    # a restaurant created or changed may bring a cuisine: asked again
    model.apply("restaurant_created", {"id": str(uuid.uuid4()), "updated_at": stamp(2)})
    assert len(model.cuisines(cuisines)) == 2 and len(asked) == 2
