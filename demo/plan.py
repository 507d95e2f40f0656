"""The demo as data, with no I/O: who the people are, whom they follow, what they rank,
review, like, comment on and order, and who viewed what when.

Everything comes from one seed and the catalog the demo finds (its restaurants without an
owner, sorted by id, plus the demo owner's, named by `owner.py`), so every run on the same
catalog makes the same plan; that is what lets a run tell what is missing. Each random
choice draws from its own stream (`_rng("what", key)`), so a change in one place (a
restaurant added, a dish withdrawn) moves only what depends on it.

Restaurants and dishes are named by their key: a catalog id, or `owner:<restaurant>`
and `owner:<restaurant>:<dish>` for the owner's, whose ids exist only once they are
made (`Resolution` maps keys to ids, and what cannot be resolved is left out).
"""

from __future__ import annotations

import base64
import hashlib
import math
import random
import unicodedata
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from demo import owner as owner_spec

SEED = "bellyfed-demo-1"
PEOPLE = 200
INFLUENCERS = 16  # people 0..15: the most active, followed by many (person 0 by all of them)
# people 0..119 sign in and take part; the others only registered, and browse (their views
# count), as most people do: a sign-in costs the service an Argon2 hash, on purpose
ACTIVE = 120
EMAIL_DOMAIN = "demo.bellyfed.local"
# one password for every demo person, derived (not printed): nobody signs in as them but
# the demo itself
PEOPLE_PASSWORD = hashlib.sha256(f"{SEED}:people".encode()).hexdigest()[:24]
MAX_RANK = 5
# what most people here have an opinion on: ranked far more often than the rest
FAVOURITE_TYPES = frozenset((
    "nasi lemak", "laksa", "char kway teow", "roti canai", "satay", "teh tarik",
    "chicken rice", "mee goreng", "cendol", "dim sum", "nasi goreng", "bak kut teh",
    "hokkien mee", "rendang", "kaya toast", "nasi kandar"))
TASTE_STATUSES = ("ACCEPTABLE", "SECOND_CHANCE", "DISSATISFIED")
# every dish type is ranked in its biggest city, and in its next one if it has 3 dishes there
COVERED_CITIES_PER_TYPE = 2
OWNER_REVIEWS = 10  # reviews of each of the owner's restaurants
CUSTOMERS = 12
VIEW_DAYS = {"owner": 28, "catalog": 10}  # how far back views go
LOCAL_UTC_OFFSET = 8  # Malaysia and Singapore: their lunch is 04:00 UTC
NAMESPACE = uuid.UUID("5d1f3c9e-8a47-4c1b-9f0e-3b6a2d7c8e41")

FIRST_NAMES = (
    "Aisyah", "Ahmad", "Nurul", "Hafiz", "Siti", "Farid", "Amira", "Irfan", "Zara", "Imran",
    "Wei Ling", "Jun Hao", "Mei Xin", "Kah Wai", "Hui Min", "Zhi Hao", "Shu Fen", "Jia Jun",
    "Priya", "Arjun", "Kavitha", "Ravi", "Deepa", "Suresh", "Anjali", "Vikram", "Lakshmi",
    "Daniel", "Sarah", "Joshua", "Rachel", "Marcus", "Chloe", "Ryan", "Natalie", "Adrian",
    "Nadia", "Hakim", "Liyana", "Syafiq", "Balqis", "Khairul", "Yasmin", "Danish", "Iman",
    "Mei Ling", "Boon Keat", "Xin Yi", "Wen Jie", "Pei Shan", "Jason", "Michelle", "Kelvin",
    "Siva", "Meena", "Gopal", "Indra", "Faizal", "Melissa", "Aaron",
)
LAST_NAMES = (
    "Tan", "Lim", "Lee", "Wong", "Ng", "Chong", "Teoh", "Ooi", "Khoo", "Goh", "Chan", "Yap",
    "Abdullah", "Ismail", "Rahman", "Hassan", "Aziz", "Yusof", "Osman", "Hamid", "Razak",
    "Kumar", "Pillai", "Nair", "Raj", "Menon", "Subramaniam", "Krishnan", "Singh",
    "Fernandez", "De Souza", "Rodrigues", "Chin", "Low", "Sim", "Koh", "Foo", "Loh", "Ho",
)
BIO_OPENERS = (
    "{dish} hunter from {city}.", "Eating my way through {city}, one {dish} at a time.",
    "Weekday office worker, weekend {dish} critic.", "{city} born and fed.",
    "Will queue an hour for good {dish}.", "Home cook who still eats out too much.",
    "Hawker-centre regular since I could walk.", "Food photographer on a budget.",
    "Nurse by night, {dish} scout by day.", "Retired teacher, full-time makan kaki.",
)
BIO_CLOSERS = (
    "Spice tolerance: high.", "Always ordering the teh tarik.", "Kopi-O kosong, thanks.",
    "Ranking honestly since 2019.", "DM me your hidden gems.", "Never skips dessert.",
    "Looking for the perfect sambal.", "Breakfast is the best meal.", "",
)
REVIEW_LINES = {
    5: ("Outstanding. The {dish} alone is worth the trip.",
        "Best meal I've had in {city} this year. Get the {dish}.",
        "Everything we ordered was spot on, especially the {dish}. Friendly staff too."),
    4: ("Really good {dish}, a little wait at lunch but worth it.",
        "Solid all round. The {dish} is the star; the rest is good.",
        "Would come back for the {dish}. Portions are generous."),
    3: ("Decent. The {dish} was fine but not memorable.",
        "Okay for a quick meal; the {dish} could use more flavour.",
        "Mixed: great {dish}, the rest was average."),
    2: ("Disappointing {dish}, lukewarm when it came.",
        "Expected more from the {dish}. Service was slow."),
    1: ("The {dish} was cold and bland. Not again.",),
}
COMMENTS = (
    "Totally agree about the {dish}!", "Going there this weekend, thanks for the tip.",
    "Did you try the {dish}? Next time!", "Hmm, my experience was different.",
    "Great review, very helpful.", "The queue is shorter after 2pm.",
    "Same here, that {dish} is dangerous.", "Adding this to my list.",
)
ORDER_NOTES = ("Less spicy please.", "Extra sambal on the side.", "No peanuts, allergy.",
               "Please call when you arrive.", "Leave at the guard house.", None, None)
# the owner's orders: each a path from PENDING (its first step is the order itself); the
# last step is where it is left. One customer cancels before the owner confirms.
OWNER_ORDER_PATHS = (
    *[("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY", "DELIVERED")] * 7,
    *[("CONFIRMED", "PREPARING", "READY", "OUT_FOR_DELIVERY")] * 3,
    *[("CONFIRMED", "PREPARING", "READY")] * 3,
    *[("CONFIRMED", "PREPARING")] * 4,
    *[("CONFIRMED",)] * 4,
    *[()] * 5,
    ("CANCELLED",), ("CANCELLED",),
    ("CONFIRMED", "CANCELLED"), ("CONFIRMED", "PREPARING", "CANCELLED"),
)
# orders at other restaurants: nobody there moves them; their customers cancel some
CATALOG_ORDER_PATHS = (*[()] * 6, *[("CANCELLED",)] * 4)
DEVICES = (("mobile", 0.58), ("desktop", 0.3), ("tablet", 0.12))
USER_AGENTS = {
    "mobile": ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
               "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
               "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like "
               "Gecko) Chrome/126.0.0.0 Mobile Safari/537.36",
               "Bellyfed/2.4 (Android 13; Samsung SM-A546E)"),
    "tablet": ("Mozilla/5.0 (iPad; CPU OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, "
               "like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",),
    "desktop": ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like "
                "Gecko) Chrome/126.0.0.0 Safari/537.36",
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, "
                "like Gecko) Version/17.5 Safari/605.1.15"),
}
# local hours people look for food: breakfast, a lunch peak, a dinner peak, late snacks
LOCAL_HOUR_WEIGHTS = (1, 0.5, 0.3, 0.2, 0.2, 0.5, 1.5, 3, 3.5, 3, 3, 5, 8, 7, 4, 3, 3.5, 5,
                      7.5, 8, 6, 4.5, 3, 1.8)


def _rng(*parts) -> random.Random:
    return random.Random(":".join((SEED, *map(str, parts))))


# --- the catalog as the plan sees it ------------------------------------------------------------

@dataclass(frozen=True)
class Restaurant:
    key: str
    name: str
    city: str
    cuisines: tuple[str, ...]
    owned: bool = False


@dataclass(frozen=True)
class Dish:
    key: str
    restaurant: str  # its restaurant's key
    name: str
    dish_type: str
    city: str
    owned: bool = False


@dataclass
class World:
    restaurants: dict[str, Restaurant]
    dishes: dict[str, Dish]

    @classmethod
    def of(cls, restaurants: list[dict], dishes: list[dict]) -> World:
        """The catalog's restaurants without an owner and their available dishes (as the
        API lists them), with the demo owner's restaurants and menus from owner.py."""
        found = {}
        for item in sorted(restaurants, key=lambda item: item["id"]):
            if item.get("owner_id") is None and item.get("city"):
                found[item["id"]] = Restaurant(item["id"], item["name"], item["city"],
                                               tuple(item.get("cuisine_type") or ()))
        menu = {}
        for item in sorted(dishes, key=lambda item: item["id"]):
            restaurant = found.get(item["restaurant_id"])
            if restaurant is not None and item.get("is_available", True):
                menu[item["id"]] = Dish(item["id"], restaurant.key, item["name"],
                                        item["dish_type"], restaurant.city)
        for spec in owner_spec.RESTAURANTS:
            key = owner_key(spec["name"])
            found[key] = Restaurant(key, spec["name"], spec["city"],
                                    tuple(spec["cuisine_type"]), owned=True)
            for dish in owner_spec.menu_of(spec):
                dish_key = owner_key(spec["name"], dish["name"])
                menu[dish_key] = Dish(dish_key, key, dish["name"], dish["dish_type"],
                                      spec["city"], owned=True)
        return cls(found, menu)

    def cities(self) -> list[str]:
        return sorted({restaurant.city for restaurant in self.restaurants.values()})


def owner_key(restaurant_name: str, dish_name: str | None = None) -> str:
    return f"owner:{restaurant_name}" + (f":{dish_name}" if dish_name else "")


@dataclass
class Resolution:
    """Keys to ids: a catalog id is its own; the owner's, once found or made."""

    ids: dict[str, str] = field(default_factory=dict)

    def __call__(self, key: str) -> str | None:
        if key.startswith("owner:"):
            return self.ids.get(key)
        return key


# --- the plan -----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Person:
    index: int
    username: str
    email: str
    display_name: str
    bio: str
    location: str
    city: str
    influencer: bool
    active: bool

    @property
    def profile(self) -> dict:
        """What their own profile says (a browser never filled in more than a name)."""
        if not self.active:
            return {"display_name": self.display_name}
        return {"display_name": self.display_name, "bio": self.bio, "location": self.location}


@dataclass(frozen=True)
class Placement:
    person: int
    dish_type: str
    dish: str  # key
    rank: int | None = None
    taste_status: str | None = None


@dataclass(frozen=True)
class Review:
    author: int
    restaurant: str  # key
    rating: int
    content: str


@dataclass(frozen=True)
class Like:
    person: int
    review: tuple[int, str]  # (author, restaurant key)


@dataclass(frozen=True)
class Comment:
    person: int
    review: tuple[int, str]
    content: str


@dataclass(frozen=True)
class Order:
    number: int
    customer: int
    restaurant: str  # key
    items: tuple[tuple[str, int], ...]  # (dish key, quantity)
    path: tuple[str, ...]  # the moves after PENDING; the last is where it stays
    notes: str

    @property
    def status(self) -> str:
        return self.path[-1] if self.path else "PENDING"

    @property
    def marker(self) -> str:
        return order_marker(self.number)


def order_marker(number: int) -> str:
    """What an order's notes end with: how a later run knows the order is there."""
    return f"[demo order {number}]"


@dataclass(frozen=True)
class View:
    event_type: str  # restaurant_viewed, restaurant_menu_viewed, restaurant_reviews_viewed
    entity: str  # the restaurant's key
    at: datetime
    person: int | None
    anonymous_id: str | None
    device_type: str
    user_agent: str
    event_id: uuid.UUID


@dataclass
class Plan:
    world: World
    people: list[Person]
    follows: list[tuple[int, int]]
    placements: list[Placement]
    reviews: list[Review]
    likes: list[Like]
    comments: list[Comment]
    orders: list[Order]
    _placements: dict[int, list[Placement]] = field(init=False, repr=False)
    _reviews: dict[int, list[Review]] = field(init=False, repr=False)

    def __post_init__(self):
        self._placements, self._reviews = defaultdict(list), defaultdict(list)
        for placement in self.placements:
            self._placements[placement.person].append(placement)
        for review in self.reviews:
            self._reviews[review.author].append(review)

    def placements_of(self, person: int) -> list[Placement]:
        """The person's placements, in the order they are made (rank 1 first)."""
        return self._placements.get(person, [])

    def reviews_of(self, person: int) -> list[Review]:
        return self._reviews.get(person, [])

    def expected(self, resolve: Resolution) -> dict[int, dict]:
        """What each person's public profile shows once the plan is done, counting only
        what can be resolved: following, followers, ranked dishes, reviews, points
        (rankings' rules, SPEC §4: 10 a dish ranked, 5 a review, 2 a comment, 1 a like
        received, 3 a follower)."""
        counts = {person.index: {"following_count": 0, "followers_count": 0,
                                 "ranking_count": 0, "review_count": 0, "points": 0}
                  for person in self.people}
        for follower, followed in self.follows:
            counts[follower]["following_count"] += 1
            counts[followed]["followers_count"] += 1
            counts[followed]["points"] += 3
        for placement in self.placements:
            if placement.rank is not None and resolve(placement.dish):
                counts[placement.person]["ranking_count"] += 1
                counts[placement.person]["points"] += 10
        reviewed = {(review.author, review.restaurant) for review in self.reviews
                    if resolve(review.restaurant)}
        for author, _ in reviewed:
            counts[author]["review_count"] += 1
            counts[author]["points"] += 5
        for like in self.likes:
            if like.review in reviewed:
                counts[like.review[0]]["points"] += 1
        for comment in self.comments:
            if comment.review in reviewed:
                counts[comment.person]["points"] += 2
        return counts


def make_plan(world: World) -> Plan:
    people = _people(world)
    quality = _quality(world)
    placements = _placements(world, people, quality)
    reviews = _reviews(world, people, quality)
    likes, comments = _reactions(world, people, reviews)
    return Plan(world, people, _follows(people), placements, reviews, likes, comments,
                _orders(world, people))


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def _people(world: World) -> list[Person]:
    cities = world.cities()
    weights = [sum(1 for r in world.restaurants.values() if r.city == city) for city in cities]
    favourite = sorted({dish.dish_type for dish in world.dishes.values()})
    rng = _rng("people")
    people, taken = [], set()
    for index in range(PEOPLE):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        base = _ascii(f"{first}.{last}").lower().replace(" ", "")
        username, n = base, 1
        while username in taken:
            n += 1
            username = f"{base}{n}"
        taken.add(username)
        city = rng.choices(cities, weights)[0]
        dish = rng.choice(favourite)
        bio = " ".join(part for part in (
            rng.choice(BIO_OPENERS).format(dish=dish, city=city),
            rng.choice(BIO_CLOSERS)) if part)
        people.append(Person(index, username, f"{username}@{EMAIL_DOMAIN}",
                             f"{first} {last}", bio[0].upper() + bio[1:], city, city,
                             influencer=index < INFLUENCERS, active=index < ACTIVE))
    return people


def _quality(world: World) -> dict[str, float]:
    """How good each restaurant and dish is, underneath everyone's opinion of it."""
    quality = {}
    for key, restaurant in world.restaurants.items():
        quality[key] = _rng("quality", key).gauss(0, 1) + (1.2 if restaurant.owned else 0)
    for key, dish in world.dishes.items():
        quality[key] = (0.6 * quality[dish.restaurant] + _rng("quality", key).gauss(0, 0.8)
                        + (0.5 if dish.owned else 0))
    return quality


def _follows(people: list[Person]) -> list[tuple[int, int]]:
    """Everyone active follows an influencer or two (the influencers follow person 0), and
    a few people, mostly of their own city; each browser is followed by an influencer."""
    influencers = [person for person in people if person.influencer]
    follows: set[tuple[int, int]] = {
        (influencers[person.index % len(influencers)].index, person.index)
        for person in people if not person.active}
    for person in people:
        if not person.active:
            continue
        rng = _rng("follows", person.index)
        others = [other for other in people if other.index != person.index]
        famous = [other for other in influencers if other.index != person.index]
        weights = [3 if other.city == person.city else 1 for other in famous]
        if person.influencer:
            wanted = rng.sample(famous, 3) + rng.sample(others, rng.randint(0, 1))
            if person.index != 0:
                wanted.append(people[0])
        else:
            wanted = rng.choices(famous, weights, k=rng.choice((1, 1, 2)))
            neighbours = [other for other in others if other.city == person.city] or others
            wanted += rng.sample(neighbours, min(len(neighbours), rng.choice((0, 1, 1))))
        follows.update((person.index, other.index) for other in wanted)
    return sorted(follows)


def _placements(world: World, people: list[Person],
                quality: dict[str, float]) -> list[Placement]:
    """Each person ranks a few dish types (an influencer many), mostly in their own city,
    best first by their taste; then every dish type is ranked in its biggest cities."""
    by_type_city: dict[tuple[str, str], list[Dish]] = defaultdict(list)
    by_type: dict[str, list[Dish]] = defaultdict(list)
    for dish in world.dishes.values():
        by_type_city[(dish.dish_type, dish.city)].append(dish)
        by_type[dish.dish_type].append(dish)
    types_in_city: dict[str, dict[str, int]] = defaultdict(dict)
    for (dish_type, city), dishes in by_type_city.items():
        types_in_city[city][dish_type] = len(dishes)
    lists: dict[tuple[int, str], list[Dish]] = {}
    tasted: list[Placement] = []
    people = [person for person in people if person.active]
    for person in people:
        rng = _rng("rankings", person.index)
        local = types_in_city.get(person.city, {})
        kinds = sorted(local)
        count = rng.randint(4, 5) if person.influencer else rng.choice((1, 1, 1, 2))
        chosen: list[str] = []
        while kinds and len(chosen) < count:
            kind = rng.choices(kinds, [local[k] ** 2 * (8 if k in FAVOURITE_TYPES else 1)
                                       for k in kinds])[0]
            kinds.remove(kind)
            chosen.append(kind)
        for kind in chosen:
            candidates = [*by_type_city[(kind, person.city)]]
            elsewhere = [dish for dish in by_type[kind] if dish.city != person.city]
            if elsewhere and rng.random() < 0.3:
                candidates.append(rng.choice(elsewhere))
            most = min(len(candidates), rng.randint(2, 3) if person.influencer
                       else rng.choice((1, 1, 2, 2)))
            picked = rng.sample(candidates, most)
            picked.sort(key=lambda dish: quality[dish.key] + rng.gauss(0, 0.7), reverse=True)
            lists[(person.index, kind)] = picked
            others = [dish for dish in candidates if dish not in picked]
            if others and rng.random() < 0.2:
                tasted.append(Placement(person.index, kind, rng.choice(others).key,
                                        taste_status=rng.choice(TASTE_STATUSES)))
    _cover_every_type(people, by_type_city, lists, quality)
    placements = [Placement(person, kind, dish.key, rank=rank)
                  for (person, kind), dishes in sorted(lists.items())
                  for rank, dish in enumerate(dishes, 1)]
    ranked = {(p.person, p.dish) for p in placements}
    return placements + [p for p in tasted if (p.person, p.dish) not in ranked]


def _cover_every_type(people: list[Person], by_type_city: dict[tuple[str, str], list[Dish]],
                      lists: dict[tuple[int, str], list[Dish]],
                      quality: dict[str, float]) -> None:
    """A dish of every type ranked in the type's biggest cities (COVERED_CITIES_PER_TYPE):
    someone of that city (anyone, if nobody lives there) adds its best dish there to their
    list."""
    cities_of: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for (kind, city), dishes in by_type_city.items():
        cities_of[kind].append((-len(dishes), city))
    ranked = {(kind, dish.city) for (_, kind), dishes in lists.items() for dish in dishes}
    for kind in sorted(cities_of):
        biggest = sorted(cities_of[kind])
        for size, city in biggest[:COVERED_CITIES_PER_TYPE]:
            if (kind, city) in ranked or (city != biggest[0][1] and -size < 3):
                continue
            rng = _rng("cover", kind, city)
            locals_ = [p for p in people if p.city == city] or people
            for person in rng.sample(locals_, len(locals_)):
                current = lists.setdefault((person.index, kind), [])
                if len(current) < MAX_RANK:
                    best = max(by_type_city[(kind, city)], key=lambda dish: quality[dish.key])
                    if best not in current:
                        current.append(best)
                    break
            ranked.add((kind, city))


def _review_text(rng: random.Random, rating: int, dishes: list[Dish], city: str) -> str:
    dish = rng.choice(dishes).name if dishes else "food"
    return rng.choice(REVIEW_LINES[rating]).format(dish=dish, city=city)


def _reviews(world: World, people: list[Person], quality: dict[str, float]) -> list[Review]:
    """Most people review a restaurant of their city (an influencer four); the owner's
    restaurants get OWNER_REVIEWS each, from their own city first."""
    menus: dict[str, list[Dish]] = defaultdict(list)
    for dish in world.dishes.values():
        menus[dish.restaurant].append(dish)
    by_city: dict[str, list[Restaurant]] = defaultdict(list)
    for restaurant in world.restaurants.values():
        if not restaurant.owned:
            by_city[restaurant.city].append(restaurant)
    chosen: dict[tuple[int, str], None] = {}
    people = [person for person in people if person.active]
    for person in people:
        rng = _rng("reviews", person.index)
        places = by_city.get(person.city) or [r for r in world.restaurants.values()
                                             if not r.owned]
        weights = [math.exp(quality[r.key]) for r in places]
        reviews = 4 if person.influencer else int(rng.random() < 0.75)
        for restaurant in rng.choices(places, weights, k=reviews):
            chosen[(person.index, restaurant.key)] = None
    for restaurant in world.restaurants.values():
        if restaurant.owned:
            rng = _rng("owner-reviews", restaurant.key)
            locals_ = [p for p in people if p.city == restaurant.city]
            others = [p for p in people if p.city != restaurant.city]
            reviewers = rng.sample(locals_, min(len(locals_), OWNER_REVIEWS))
            reviewers += rng.sample(others, OWNER_REVIEWS - len(reviewers))
            for person in reviewers:
                chosen[(person.index, restaurant.key)] = None
    reviews = []
    for author, key in sorted(chosen):
        rng = _rng("review", author, key)
        restaurant = world.restaurants[key]
        rating = max(1, min(5, round(3.4 + 0.9 * quality[key] + rng.gauss(0, 0.7))))
        reviews.append(Review(author, key, rating,
                              _review_text(rng, rating, menus[key], restaurant.city)))
    return reviews


def _reactions(world: World, people: list[Person],
               reviews: list[Review]) -> tuple[list[Like], list[Comment]]:
    """Likes and comments, mostly from the review's city; an influencer's, and reviews
    of the owner's restaurants, draw more."""
    likes, comments = [], []
    people = [person for person in people if person.active]
    for review in reviews:
        rng = _rng("reactions", review.author, review.restaurant)
        author = next(person for person in people if person.index == review.author)
        restaurant = world.restaurants[review.restaurant]
        crowd = [p for p in people if p.index != author.index and p.city == restaurant.city]
        crowd = crowd or [p for p in people if p.index != author.index]
        if author.influencer:
            liking, commenting = rng.randint(1, 4), 0.5
        elif restaurant.owned:
            liking, commenting = rng.randint(0, 2), 0.3
        else:
            liking, commenting = rng.choice((0, 0, 0, 1, 1)), 0.1
        key = (review.author, review.restaurant)
        likes += [Like(p.index, key) for p in rng.sample(crowd, min(liking, len(crowd)))]
        if rng.random() < commenting:
            dishes = [d for d in world.dishes.values() if d.restaurant == review.restaurant]
            text = rng.choice(COMMENTS).format(dish=rng.choice(dishes).name if dishes
                                               else "food")
            comments.append(Comment(rng.choice(crowd).index, key, text))
    return likes, comments


def _orders(world: World, people: list[Person]) -> list[Order]:
    """A dozen customers of the owner's cities order at the owner's restaurants (left in
    every status) and at others (left pending, or cancelled by the customer)."""
    rng = _rng("orders")
    owned = [r for r in world.restaurants.values() if r.owned]
    owned_cities = {r.city for r in owned}
    locals_ = [p for p in people if p.city in owned_cities and p.active and not p.influencer]
    customers = rng.sample(locals_, min(CUSTOMERS, len(locals_)))
    menus: dict[str, list[Dish]] = defaultdict(list)
    for dish in world.dishes.values():
        menus[dish.restaurant].append(dish)
    others = [r for r in world.restaurants.values()
              if not r.owned and r.city in owned_cities and menus[r.key]]
    orders = []
    paths = [(path, True) for path in OWNER_ORDER_PATHS] + [
        (path, False) for path in CATALOG_ORDER_PATHS]
    for number, (path, at_owner) in enumerate(paths, 1):
        customer = customers[number % len(customers)]
        nearby = [r for r in (owned if at_owner else others) if r.city == customer.city]
        restaurant = rng.choice(nearby or (owned if at_owner else others))
        dishes = rng.sample(menus[restaurant.key], min(len(menus[restaurant.key]),
                                                       rng.randint(1, 3)))
        note = rng.choice(ORDER_NOTES)
        orders.append(Order(number, customer.index, restaurant.key,
                            tuple((dish.key, rng.randint(1, 3)) for dish in dishes), path,
                            f"{note} {order_marker(number)}" if note else order_marker(number)))
    return orders


# --- views --------------------------------------------------------------------------------------

def _visitor_id(city: str, n: int) -> str:
    """An anonymous viewer as the gateway's view events name one: the 22-character id part
    of a viewer id it issued (services/gateway/domain/viewers.py)."""
    digest = hashlib.sha256(f"{SEED}:visitor:{city}:{n}".encode()).digest()[:16]
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _poisson(rng: random.Random, mean: float) -> int:
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def _at(rng: random.Random, day: date) -> datetime:
    local_hour = rng.choices(range(24), LOCAL_HOUR_WEIGHTS)[0]
    utc_hour = (local_hour - LOCAL_UTC_OFFSET) % 24
    return datetime(day.year, day.month, day.day, utc_hour, rng.randrange(60),
                    rng.randrange(60), tzinfo=UTC)


def daily_views(restaurant: Restaurant, quality: float) -> float:
    """How many times a day a restaurant is looked at."""
    return 10.0 if restaurant.owned else 0.1 + 0.45 * math.exp(quality) / math.e


def views(plan: Plan, now: datetime) -> Iterator[View]:
    """Every view of the past weeks up to `now`, restaurant by restaurant (the owner's
    with their menu and reviews pages). Each has its event id, made from what it is, so
    publishing it twice counts it once."""
    quality = _quality(plan.world)
    people_in: dict[str, list[Person]] = defaultdict(list)
    for person in plan.people:
        people_in[person.city].append(person)
    today = now.date()

    def viewers(rng: random.Random, city: str) -> tuple[int | None, str | None]:
        roll = rng.random()
        if roll < 0.55 and people_in[city]:
            return rng.choice(people_in[city]).index, None
        if roll < 0.8:
            return None, _visitor_id(city, rng.randrange(40))
        return None, None

    def device(rng: random.Random) -> tuple[str, str]:
        kind = rng.choices([d for d, _ in DEVICES], [w for _, w in DEVICES])[0]
        return kind, rng.choice(USER_AGENTS[kind])

    for key, restaurant in sorted(plan.world.restaurants.items()):
        days = VIEW_DAYS["owner" if restaurant.owned else "catalog"]
        mean = daily_views(restaurant, quality[key])
        for back in range(days - 1, -1, -1):
            day = today - timedelta(days=back)
            rng = _rng("views", key, day.isoformat())
            weekend = 1.3 if day.weekday() >= 5 else 1.0
            for n in range(_poisson(rng, mean * weekend)):
                at = _at(rng, day)
                person, anonymous = viewers(rng, restaurant.city)
                kind, agent = device(rng)
                pages = [("restaurant_viewed", at)]
                if restaurant.owned and rng.random() < 0.3:
                    pages.append(("restaurant_menu_viewed", at + timedelta(minutes=1)))
                if restaurant.owned and rng.random() < 0.1:
                    pages.append(("restaurant_reviews_viewed", at + timedelta(minutes=3)))
                for event_type, seen_at in pages:
                    if seen_at <= now:
                        yield View(event_type, key, seen_at, person, anonymous, kind, agent,
                                   uuid.uuid5(NAMESPACE, f"{event_type}:{key}:{day}:{n}"))

