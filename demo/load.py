"""Every part of the demo: probe what exists, do what is missing, wait until it shows.

Each part lives in one store and is probed through the API, cheaply and without changing
anything, before anything is done:

- the owner's restaurants and menus (catalog): a search for the brand, the dish list;
- people, with their profiles, follows, rankings, reviews, likes and comments (rankings):
  person 0 signs in, the influencers' follow lists (public) name everyone's id, and each
  public profile's counts and points say whether that person's share is done (points
  count what others did for them too: a like received, a follower);
- orders and their statuses (orders): each customer's own list (orders are private: a
  dozen sign-ins), by the marker in the notes;
- views of the past weeks (analytics): the plan's most viewed restaurant in
  `/trending/restaurants` (the current day, or week, month, year) against the plan.

A part found complete is left alone, so a second run adds nothing; within a part that is
not, every item is checked before it is made (a list placed, a review posted, a like
given: each answers 409 or shows in a read when it is there), so a run stopped half way,
or a store that lost its data, is completed and never doubled. Views carry their own
event ids, so views sent again are counted once. Then the run waits (SETTLE_TIMEOUT at
most) until the points it earned people are awarded, so that the next run's probe sees
them; analytics goes on counting the views in the background.

The loader's own reads are counted as any client's are: a few listing and search views
a run, and, when it fills a part in, views of the reviews pages and dish stats it reads
(never of a restaurant: the dashboards are unchanged).
"""

from __future__ import annotations

import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from urllib.parse import quote

import requests
from tqdm import tqdm

from demo import owner as demo_owner
from demo import views as demo_views
from demo.api import Api, ApiError, SignInsRefused
from demo.plan import (
    PEOPLE_PASSWORD,
    Order,
    Person,
    Plan,
    Resolution,
    World,
    make_plan,
    owner_key,
    views,
)
from services.analytics.contract.rpc import PERIODS

# rankings knows dishes and restaurants from the catalog's events: on a system just
# started they may not have all arrived, nor a restaurant's just opened (seconds)
KNOWN_WITHIN = 120.0
KNOWN_DISH_WAIT = 30.0  # a placement or review answered 404 is tried again this long
SETTLE_TIMEOUT = 45.0  # seconds the run waits, at most, for what it did to show
SETTLE_POLL = 2.0
# of the plan's views in the probe's bucket: the views were published (a wiped store
# holds none of them, at most the few real ones since; one still counting them may hold
# fewer, and is sent them again: each is counted once)
VIEWS_PRESENT = 0.5
PROBE_MIN_VIEWS = 5  # a bucket with fewer planned views says nothing


@dataclass(frozen=True)
class ViewProbe:
    restaurant_id: str | None  # the plan's most viewed restaurant
    days: list[date]  # the days of its views
    today: date


@dataclass
class Report:
    added: Counter = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    owner: demo_owner.Owner | None = None
    seconds: float = 0.0
    settled: bool = True


def bucket_of(period: str, day: date) -> str:
    """The trending bucket of a day (as analytics names them: services/analytics)."""
    if period == "day":
        return day.isoformat()
    if period == "week":
        year, week, _ = day.isocalendar()
        return f"{year:04d}-W{week:02d}"
    return day.strftime("%Y-%m" if period == "month" else "%Y")


class Loader:
    def __init__(self, api: Api, amqp_uri: str, workers: int = 8, quiet: bool = False):
        self.api = api
        self.amqp_uri = amqp_uri
        self.pool = ThreadPoolExecutor(workers)
        self.quiet = quiet
        self.report = Report()
        self.lock = threading.Lock()
        self.ids: dict[int, str] = {}  # person index -> user id
        self.tokens: dict[int, str] = {}
        self.new: set[int] = set()  # people registered by this run
        self.review_ids: dict[tuple[int, str], str] = {}  # (author, restaurant key) -> id
        self.created_reviews: set[tuple[int, str]] = set()
        # restaurant id -> author's user id -> review id, as its reviews list says
        self.restaurant_reviews: dict[str, dict[str, str]] = {}
        self.person_locks: dict[int, threading.Lock] = {}
        self.profiles: dict[int, dict] = {}  # the public profiles found, by person index
        self.expected: dict[int, dict] = {}  # what they should show (Plan.expected)
        self.blind = False  # rankings knows none of the catalog: nothing can be ranked
        self.catalog_checked = threading.Lock()  # held by the one run of that check
        self.catalog_known: bool | None = None

    # --- running things -------------------------------------------------------------------

    def bar(self, desc: str, total: int) -> tqdm:
        return tqdm(total=total, desc=f"demo: {desc}", unit="", file=sys.stderr, leave=True,
                    disable=self.quiet, mininterval=0.5 if sys.stderr.isatty() else 5,
                    bar_format="{desc:<28} {bar:30} {n_fmt}/{total_fmt} [{elapsed}]")

    def each(self, desc: str, items: Iterable, work: Callable) -> None:
        """`work(item)` for every item on the worker threads, with a progress bar; a
        failure is reported and the rest goes on."""
        items = list(items)
        if not items:
            return
        with self.bar(desc, len(items)) as bar:
            futures = [self.pool.submit(work, item) for item in items]
            for future in as_completed(futures):
                try:
                    future.result()
                except (ApiError, SignInsRefused, requests.RequestException) as exc:
                    self.error(f"{desc}: {exc}")
                bar.update()

    def error(self, message: str) -> None:
        with self.lock:
            if message not in self.report.errors:
                self.report.errors.append(message)

    def count(self, what: str, n: int = 1) -> None:
        with self.lock:
            self.report.added[what] += n

    def token_of(self, person: Person) -> str | None:
        """The person's access token: signed in once, on first need."""
        with self.lock:
            lock = self.person_locks.setdefault(person.index, threading.Lock())
        with lock:
            if person.index not in self.tokens:
                token = self.api.sign_in(person.email, PEOPLE_PASSWORD)
                if token is None:
                    self.error(f"{person.email} exists with another password: left out")
                    return None
                self.tokens[person.index] = token
            return self.tokens[person.index]

    # --- the whole run --------------------------------------------------------------------

    def run(self, owner_password: str | None) -> Report:
        started = time.monotonic()
        try:
            self._run(owner_password)
        except BaseException:  # Ctrl-C included: what is queued is not started
            self.pool.shutdown(wait=False, cancel_futures=True)
            raise
        self.pool.shutdown()
        self.report.seconds = time.monotonic() - started
        return self.report

    def _run(self, owner_password: str | None) -> None:
        restaurants, dishes = self.catalog()
        owner = self.report.owner = demo_owner.sign_in_owner(self.api, owner_password)
        if owner.created:
            self.count("owner account")
        demo_owner.find_restaurants(self.api, owner)
        resolve = self.open_owner_restaurants(owner, dishes)
        self.report.notes += owner.notes
        plan = make_plan(World.of(restaurants, dishes))
        expected = self.expected = plan.expected(resolve)

        profiles = self.profiles = self.survey(plan)
        flagged = [person for person in plan.people
                   if not done(person, profiles.get(person.index), expected[person.index])]
        # first what each person does alone, then what needs the others' ids and reviews
        self.each("people", flagged, lambda person: self.person(plan, person, resolve))
        now = datetime.now(UTC)
        probe = self.view_probe(plan, resolve, now)
        views_published = None
        if self.views_missing(probe):
            views_published = self.pool.submit(self.publish_views, plan, resolve, now, probe)
        signed_in = {person.index for person in flagged if person.index in self.tokens}
        self.each("follows, likes, comments, orders", [
            *[partial(self.follows, plan, plan.people[index]) for index in sorted(signed_in)],
            *self.reactions(plan, signed_in, resolve),
            *self.orders(plan, resolve, owner)], lambda task: task())
        if views_published is not None:
            views_published.result()
            if self.report.added["views"]:
                self.note(f"analytics is counting {self.report.added['views']:,} views of the "
                          "past weeks: the dashboards fill as it does (a minute or so)")
        if self.report.added and not self.blind:
            self.settle(expected, [plan.people[index] for index in sorted(signed_in)])

    # --- the catalog, the owner -----------------------------------------------------------

    def catalog(self) -> tuple[list[dict], list[dict]]:
        """Every restaurant, and every available dish (the dish list, city by city)."""
        restaurants = list(self.api.pages("/restaurants"))
        cities = sorted({item["city"] for item in restaurants if item.get("city")})
        found: dict[str, dict] = {}
        for answer in self.pool.map(
                lambda city: list(self.api.pages("/dishes/search", {"city": city})), cities):
            found.update((dish["id"], dish) for dish in answer)
        return restaurants, list(found.values())

    def open_owner_restaurants(self, owner: demo_owner.Owner,
                               dishes: list[dict]) -> Resolution:
        """The owner's missing restaurants and dishes made (when the owner signed in);
        what the owner's keys resolve to."""
        menus: dict[str, dict[str, str]] = {}
        for dish in dishes:
            menus.setdefault(dish["restaurant_id"], {})[dish["name"]] = dish["id"]
        made = demo_owner.open_restaurants(self.api, owner, menus)
        if made:
            self.count("owner restaurants and dishes", made)
        resolve = Resolution()
        for name, restaurant in owner.restaurants.items():
            resolve.ids[owner_key(name)] = restaurant["id"]
            for dish_name, dish_id in menus.get(restaurant["id"], {}).items():
                resolve.ids[owner_key(name, dish_name)] = dish_id
        return resolve

    # --- people ---------------------------------------------------------------------------

    def survey(self, plan: Plan) -> dict[int, dict]:
        """The public profiles of the demo's people that exist, by index: person 0 signs
        in, and the follow lists of the influencers (each followed by many, all following
        person 0) name everyone else."""
        first = plan.people[0]
        token = self.api.sign_in(first.email, PEOPLE_PASSWORD)
        if token is None:
            return {}
        self.tokens[0] = token
        self.ids[0] = self.api.get("/users/me", token=token)["id"]
        by_username = {person.username: person for person in plan.people}
        frontier = [0]
        while frontier:
            lists = self.pool.map(
                lambda pair: list(self.api.pages(f"/users/{self.ids[pair[0]]}/{pair[1]}")),
                [(index, route) for index in frontier for route in ("followers", "following")])
            frontier = []
            for entries in lists:
                for entry in entries:
                    person = by_username.get(entry["user"]["username"])
                    if person is not None and person.index not in self.ids:
                        self.ids[person.index] = entry["user"]["id"]
                        if person.influencer:
                            frontier.append(person.index)
        indexes = sorted(self.ids)
        answers = self.pool.map(lambda index: self.api.get(f"/users/{self.ids[index]}"),
                                indexes)
        return dict(zip(indexes, answers, strict=True))

    def rankings_knows_the_catalog(self, plan: Plan, resolve: Resolution) -> None:
        """Wait (KNOWN_WITHIN at most) until rankings knows a sample of the plan's dishes
        (a dish's stats answer 404 until then). If it knows none of them by then, its copy
        of the catalog is gone (its database emptied: nothing sends the catalog's events
        again), and rankings and reviews are left out, said once, rather than tried dish by
        dish. Checked once, by the first person with something to rank or review (the
        others wait for its answer; accounts go ahead meanwhile); a dish's stats count as a
        view of it, so only a run with something to rank asks."""
        with self.catalog_checked:
            if self.catalog_known is None:
                self.catalog_known = self._rankings_knows(plan, resolve)
                self.blind = not self.catalog_known

    def _rankings_knows(self, plan: Plan, resolve: Resolution) -> bool:
        dishes = sorted({dish for p in plan.placements if (dish := resolve(p.dish))})
        owned = sorted(dish for key, item in plan.world.dishes.items()
                       if item.owned and (dish := resolve(key)))
        waiting = sorted({*dishes[::max(1, len(dishes) // 20)], *owned[:5]})
        sample = len(waiting)
        deadline = time.monotonic() + KNOWN_WITHIN
        while waiting and time.monotonic() < deadline:
            waiting = [dish for dish in waiting if self.api.call(
                "GET", f"/dishes/{dish}/rankings", expect=(200, 404)).status_code == 404]
            if waiting:
                time.sleep(1.0)
        if waiting and len(waiting) == sample:
            self.note("rankings does not know the catalog's dishes (after its database was "
                      "emptied, nothing sends it the catalog's events again): no rankings or "
                      "reviews were made")
            return False
        return True

    def person(self, plan: Plan, person: Person, resolve: Resolution) -> None:
        """The person's account (made, or signed in to), profile, rankings and reviews,
        each made unless it is there."""
        if person.index not in self.ids:
            made = self.api.register(person.email, person.username, PEOPLE_PASSWORD,
                                     person.display_name)
            if made is not None:
                self.ids[person.index] = made["id"]
                self.new.add(person.index)
                self.count("people")
        profile = self.profiles.get(person.index)
        if not person.active and (person.index in self.new or (
                profile and profile["display_name"] == person.display_name)):
            return  # a browser does nothing more (what it lacks, others owe it: a follow)
        token = self.token_of(person)
        if token is None:
            return
        new = person.index in self.new
        if new:
            me = {"display_name": person.display_name}
        else:
            me = self.api.get("/users/me", token=token)
            self.ids[person.index] = me["id"]
        if any(me.get(key) != value for key, value in person.profile.items()):
            self.api.call("PATCH", "/users/me", token=token, json=person.profile)
            self.count("profiles")

        placements = [] if self.shows(person, "ranking_count") else (
            plan.placements_of(person.index))
        reviews = [] if self.shows(person, "review_count") else plan.reviews_of(person.index)
        if placements or reviews:
            self.rankings_knows_the_catalog(plan, resolve)
        if self.blind:
            placements, reviews = [], []
        lists: dict[str, dict] = {} if new or not placements else {
            normalized(item["dish_type"]): item
            for item in self.api.get("/rankings/my", token=token)["items"]}
        for placement in placements:
            dish_id = resolve(placement.dish)
            if dish_id is None:
                continue
            current = lists.get(normalized(placement.dish_type), {})
            ranked = [entry["dish_id"] for entry in current.get("ranked", [])]
            if dish_id in ranked or dish_id in {e["dish_id"] for e in current.get("tasted", [])}:
                continue
            body = ({"dish_id": dish_id, "rank": min(placement.rank, len(ranked) + 1)}
                    if placement.rank else
                    {"dish_id": dish_id, "taste_status": placement.taste_status})
            lists[normalized(placement.dish_type)] = self.api.call(
                "PUT", f"/rankings/my/{quote(placement.dish_type, safe='')}", token=token,
                json=body, not_known_yet=KNOWN_DISH_WAIT).json()
            self.count("rankings" if placement.rank else "taste notes")

        for review in reviews:
            restaurant_id = resolve(review.restaurant)
            if restaurant_id is None:
                continue
            answer = self.api.call("POST", f"/restaurants/{restaurant_id}/reviews", token=token,
                                   json={"rating": review.rating, "content": review.content},
                                   expect=(201, 409), not_known_yet=KNOWN_DISH_WAIT)
            if answer.status_code == 201:
                key = (person.index, review.restaurant)
                with self.lock:
                    self.review_ids[key] = answer.json()["id"]
                    self.created_reviews.add(key)
                self.count("reviews")

    def shows(self, person: Person, count: str) -> bool:
        """Whether the person's public profile, as found, shows all of `count` the plan
        gives them (then that share is there: nothing of it is checked again)."""
        profile = self.profiles.get(person.index)
        return profile is not None and profile.get(count, 0) >= self.expected[
            person.index][count]

    def follows(self, plan: Plan, person: Person) -> None:
        """Whom the person follows, unless they do already."""
        token = self.tokens[person.index]
        planned = [self.ids[followed] for follower, followed in plan.follows
                   if follower == person.index and followed in self.ids]
        if not planned or self.shows(person, "following_count"):
            return
        have = set() if person.index in self.new else {
            entry["user"]["id"]
            for entry in self.api.pages(f"/users/{self.ids[person.index]}/following")}
        for followed in planned:
            if followed not in have and self.api.call(
                    "POST", f"/users/{followed}/follow", token=token,
                    expect=(200, 201, 409)).status_code != 409:
                self.count("follows")

    def review_id(self, plan: Plan, key: tuple[int, str], resolve: Resolution) -> str | None:
        """The id of the review `key` (author, restaurant key): made by this run, or read
        from its restaurant's reviews."""
        if key in self.review_ids:
            return self.review_ids[key]
        restaurant_id = resolve(key[1])
        if restaurant_id is None or key[0] not in self.ids:
            return None
        with self.lock:
            known = self.restaurant_reviews.get(restaurant_id)
        if known is None:
            known = {item["user_id"]: item["id"]
                     for item in self.api.pages(f"/restaurants/{restaurant_id}/reviews")}
            with self.lock:
                self.restaurant_reviews[restaurant_id] = known
        return known.get(self.ids[key[0]])

    def reactions(self, plan: Plan, signed_in: set[int],
                  resolve: Resolution) -> list[Callable[[], None]]:
        """Likes and comments to give: on the reviews that are new, or whose author or
        reactor did not have all they should (their profile said so)."""
        def concerned(person: int, review: tuple[int, str]) -> bool:
            return not self.blind and (review in self.created_reviews or review[0] in signed_in
                                       or person in signed_in)

        comments_of: dict[str, list[dict]] = {}

        def like(item) -> None:
            review_id = self.review_id(plan, item.review, resolve)
            token = self.token_of(plan.people[item.person]) if review_id else None
            if token and self.api.call("POST", f"/reviews/{review_id}/like", token=token,
                                       expect=(200, 201, 409)).status_code != 409:
                self.count("likes")

        def comment(item) -> None:
            review_id = self.review_id(plan, item.review, resolve)
            if review_id is None:
                return
            person = plan.people[item.person]
            if item.review not in self.created_reviews:
                if review_id not in comments_of:
                    comments_of[review_id] = list(
                        self.api.pages(f"/reviews/{review_id}/comments"))
                if any(entry["username"] == person.username and entry["content"] == item.content
                       for entry in comments_of[review_id]):
                    return
            token = self.token_of(person)
            if token:
                self.api.call("POST", f"/reviews/{review_id}/comments", token=token,
                              json={"content": item.content}, expect=(201,))
                self.count("comments")

        return [*(partial(like, item) for item in plan.likes
                  if concerned(item.person, item.review)),
                *(partial(comment, item) for item in plan.comments
                  if concerned(item.person, item.review))]

    # --- orders ---------------------------------------------------------------------------

    def orders(self, plan: Plan, resolve: Resolution,
               owner: demo_owner.Owner) -> list[Callable[[], None]]:
        """A task for each customer: their orders placed unless they have them (by the
        marker in the notes), then moved on to where the plan leaves them, by the owner or
        (a cancellation before anyone confirmed) by the customer."""
        def customer(index: int) -> None:
            token = self.token_of(plan.people[index])
            if token is None:
                return
            mine = [order for order in plan.orders if order.customer == index]
            placed = {}
            for order in self.api.pages("/orders", token=token, limit=100):
                for planned in mine:
                    if (order.get("notes") or "").endswith(planned.marker):
                        placed[planned.number] = order
            for order in mine:
                self.place_and_move(order, placed.get(order.number), token, owner, resolve)

        return [partial(customer, index) for index in sorted({o.customer for o in plan.orders})]

    def place_and_move(self, order: Order, current: dict | None, token: str,
                       owner: demo_owner.Owner, resolve: Resolution) -> None:
        restaurant_id = resolve(order.restaurant)
        items = [{"dish_id": resolve(dish), "quantity": quantity}
                 for dish, quantity in order.items if resolve(dish)]
        if restaurant_id is None or not items:
            return
        if current is None:
            current = self.api.call(
                "POST", "/orders", token=token, expect=(201,),
                headers={"Idempotency-Key": f"bellyfed-demo:{order.marker}"},
                json={"restaurant_id": restaurant_id, "items": items,
                      "notes": order.notes}).json()
            self.count("orders")
        status = current["status"]
        path = ("PENDING", *order.path)
        if status not in path:
            return  # someone moved it elsewhere: theirs now
        for step in path[path.index(status) + 1:]:
            by_customer = step == "CANCELLED" and status == "PENDING"
            if not by_customer and not owner.owns(restaurant_id):
                return  # said by the owner's notes
            mover = token if by_customer else owner.token
            if mover is None:
                self.note("moving the orders on needs the owner's sign-in "
                          "(DEMO_OWNER_PASSWORD): some are left behind the plan")
                return
            self.api.call("POST", f"/orders/{current['id']}/status", token=mover,
                          json={"status": step})
            self.count("order moves")
            status = step

    def note(self, message: str) -> None:
        with self.lock:
            if message not in self.report.notes:
                self.report.notes.append(message)

    # --- views ----------------------------------------------------------------------------

    def view_probe(self, plan: Plan, resolve: Resolution, now: datetime) -> ViewProbe:
        """The plan's most viewed restaurant, and the days of its views up to `now`."""
        days: dict[str, list[date]] = {}
        for view in views(plan, now):
            if view.event_type == "restaurant_viewed" and resolve(view.entity):
                days.setdefault(view.entity, []).append(view.at.date())
        if not days:
            return ViewProbe(None, [], now.date())
        probe = max(sorted(days), key=lambda key: len(days[key]))
        return ViewProbe(resolve(probe), days[probe], now.date())

    def views_missing(self, probe: ViewProbe) -> bool:
        """Whether analytics lacks the plan's views: the probe restaurant's views in the
        first trending bucket (day, week, month, year) where the plan has a few."""
        if probe.restaurant_id is None:
            return False
        for period in PERIODS:
            current = bucket_of(period, probe.today)
            expected = sum(1 for day in probe.days if bucket_of(period, day) == current)
            if expected >= PROBE_MIN_VIEWS or period == PERIODS[-1]:
                trending = self.api.get("/trending/restaurants",
                                        params={"period": period, "limit": 50})["items"]
                counted = next((item["views"] for item in trending
                                if item["restaurant_id"] == probe.restaurant_id), 0)
                return counted < VIEWS_PRESENT * expected
        raise AssertionError("unreachable")

    def publish_views(self, plan: Plan, resolve: Resolution, now: datetime,
                      probe: ViewProbe) -> None:
        """Every view of the plan, the probe restaurant's last: once a probe sees those,
        the rest went before them."""
        envelopes = []
        for view in views(plan, now):
            restaurant_id = resolve(view.entity)
            if restaurant_id is not None:
                envelopes.append(demo_views.envelope_of(
                    view, restaurant_id, self.ids.get(view.person) if view.person is not None
                    else None))
        envelopes.sort(key=lambda envelope: (  # the probe's last, and one type a message
            envelope["payload"]["restaurant_id"] == probe.restaurant_id,
            envelope["event_type"]))
        with self.bar("views", len(envelopes)) as bar:
            try:
                self.count("views", demo_views.publish(self.amqp_uri, envelopes, bar.update))
            except Exception as exc:  # the broker away, or nothing bound: said, not raised
                self.error(f"views not published: {exc}")

    # --- until it shows -------------------------------------------------------------------

    def settle(self, expected: dict[int, dict], people: list[Person]) -> None:
        """Wait (SETTLE_TIMEOUT at most) until the points of the people this run touched
        are awarded (rankings' own events), so that a probe sees the run. Each round reads
        profiles only until the first one still short (the others are most likely behind
        it in the same queue), so waiting costs the services little. The views are not
        waited for: analytics counts them as it catches up, and sent again they count once.
        """
        deadline = time.monotonic() + SETTLE_TIMEOUT
        waiting = [person for person in people if person.index in self.ids]
        with self.bar("points awarded", len(waiting)) as bar:
            while waiting and time.monotonic() < deadline:
                while waiting and done(waiting[0], self.api.get(
                        f"/users/{self.ids[waiting[0].index]}"), expected[waiting[0].index]):
                    waiting.pop(0)
                    bar.update()
                if waiting:
                    time.sleep(SETTLE_POLL)
        self.report.settled = not waiting
        if waiting:
            self.note(f"{len(waiting)} people's points were still being awarded "
                      f"after {SETTLE_TIMEOUT:.0f} s")


def normalized(dish_type: str) -> str:
    return " ".join(dish_type.split()).lower()


def done(person: Person, profile: dict | None, expected: dict) -> bool:
    """Whether a public profile shows all the plan gives the person (at least)."""
    if profile is None:
        return False
    if any(profile.get(key) != value for key, value in person.profile.items()):
        return False
    return all(profile.get(key, 0) >= value for key, value in expected.items())
