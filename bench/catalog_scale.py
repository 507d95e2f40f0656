"""The catalog at a city's scale: each list and search shape at two sizes (issue #15).

    python bench/catalog_scale.py [--sizes 1000,100000] [--dishes-per-restaurant 10]
                                  [--calls 200] [--warmup 20] [--seed 15] [--keep]

For each size (restaurants; each with `--dishes-per-restaurant` dishes):

1. Builds a throwaway database, bellyfed_bench_catalog_<size> on CATALOG_DATABASE_URL's
   server (dropped first if it exists), migrated to the catalog's head by the project's
   own migrations (shared.migrations.upgrade), and loads it with COPY, in chunks, with a
   progress bar: ~40 Malaysian cities with a skewed share (Ipoh ~3%), one to three of 27
   cuisines per restaurant (Malay ~15%), names, addresses and coordinates around each
   city; dishes whose text makes "nasi lemak" a common term (~3.5% of dishes) and
   "tempoyak" a rare one (10 dishes whatever the size), a third ranked, most available.
   The secondary indexes are dropped during the load and rebuilt from their own
   definitions after it; then VACUUM ANALYZE. The seed is fixed: runs are comparable.
2. Starts `python -m services.catalog` on each size's database, each on a RabbitMQ vhost
   of the run's own (a running system's catalog never sees the benchmark's RPCs).
3. Calls the catalog's RPCs as the gateway does (query parameters as strings), one at a
   time through nameko's ClusterRpcProxy: per shape, `--warmup` untimed calls at each size,
   then `--calls` timed rounds, each calling every size once in turn (what else loads the
   machine meanwhile loads every size alike). Shapes: restaurants by city, by cuisine, by
   text (trigram `q`), the first page, page 500 by cursor and nearby (the last two once
   issue #15 adds them: "not available yet" until then); dishes by full-text search of a
   common and of a rare term. For reference (no target): the RPC floor (`health`) and a
   deep page by offset (90% of the rows), which cursors replace.

It prints the load's rate, then each shape's matching rows, p50 and p99 (ms) at each size
and the ratio of the largest size's p50 to the smallest's.

Targets (issue #15): every shape's p50 at the largest size <= 2x its p50 at the smallest,
and none above 50 ms at the largest size. A shape not available yet, or one that finds no
rows at some size (it would measure nothing), misses its target.
Exit code 1 if any target is missed. The catalog processes, the vhosts and the databases are
removed on success, failure and Ctrl-C (the databases kept with --keep).
"""

from __future__ import annotations

import argparse
import contextlib
import inspect
import io
import json
import math
import os
import queue
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from sqlalchemy import text
from sqlalchemy.engine import make_url
from tqdm import tqdm

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

from bench.gateway_read import Processes
from bench.support import Vhost
from shared.config import amqp_uri, database_url
from shared.migrations import upgrade
from shared.postgres import make_engine
from shared.rpc import count_consumers

SERVICE = "catalog"
LIMIT = "12"  # the page a client shows
CURSOR_PAGE = 500
P50_RATIO_TARGET = 2.0
P50_MS_TARGET = 50.0
RESTAURANTS_PER_CHUNK = 2000
RPC_TIMEOUT = 120.0

# --- the data --------------------------------------------------------------------------------

# city, state, latitude, longitude, share (weights), postcode
CITIES = [
    ("Kuala Lumpur", "Wilayah Persekutuan Kuala Lumpur", 3.1390, 101.6869, 14.0, 50000),
    ("Petaling Jaya", "Selangor", 3.1073, 101.6067, 6.0, 46000),
    ("Shah Alam", "Selangor", 3.0733, 101.5185, 4.0, 40000),
    ("Subang Jaya", "Selangor", 3.0438, 101.5806, 4.0, 47500),
    ("Klang", "Selangor", 3.0449, 101.4456, 3.5, 41000),
    ("Kajang", "Selangor", 2.9935, 101.7870, 2.5, 43000),
    ("Ampang", "Selangor", 3.1495, 101.7620, 2.0, 68000),
    ("Cheras", "Selangor", 3.0851, 101.7440, 2.5, 43200),
    ("Puchong", "Selangor", 3.0250, 101.6170, 2.0, 47100),
    ("Rawang", "Selangor", 3.3213, 101.5767, 1.0, 48000),
    ("Sepang", "Selangor", 2.6931, 101.7500, 0.7, 43900),
    ("Putrajaya", "Wilayah Persekutuan Putrajaya", 2.9264, 101.6964, 1.0, 62000),
    ("Seremban", "Negeri Sembilan", 2.7259, 101.9424, 2.2, 70000),
    ("Port Dickson", "Negeri Sembilan", 2.5228, 101.7959, 0.6, 71000),
    ("Malacca", "Melaka", 2.1896, 102.2501, 3.0, 75000),
    ("Johor Bahru", "Johor", 1.4927, 103.7414, 6.0, 80000),
    ("Batu Pahat", "Johor", 1.8548, 102.9325, 1.2, 83000),
    ("Muar", "Johor", 2.0442, 102.5689, 1.1, 84000),
    ("Kluang", "Johor", 2.0251, 103.3328, 0.9, 86000),
    ("Ipoh", "Perak", 4.5975, 101.0901, 3.0, 30000),
    ("Taiping", "Perak", 4.8500, 100.7333, 1.0, 34000),
    ("Teluk Intan", "Perak", 4.0259, 101.0213, 0.6, 36000),
    ("George Town", "Pulau Pinang", 5.4141, 100.3288, 4.5, 10000),
    ("Butterworth", "Pulau Pinang", 5.3991, 100.3638, 1.5, 12000),
    ("Bayan Lepas", "Pulau Pinang", 5.2945, 100.2593, 1.2, 11900),
    ("Alor Setar", "Kedah", 6.1248, 100.3678, 1.5, 5000),
    ("Sungai Petani", "Kedah", 5.6470, 100.4877, 1.3, 8000),
    ("Langkawi", "Kedah", 6.3160, 99.8500, 0.6, 7000),
    ("Kangar", "Perlis", 6.4414, 100.1986, 0.4, 1000),
    ("Kota Bharu", "Kelantan", 6.1254, 102.2381, 1.6, 15000),
    ("Kuala Terengganu", "Terengganu", 5.3302, 103.1408, 1.3, 20000),
    ("Kuantan", "Pahang", 3.8077, 103.3260, 1.8, 25000),
    ("Temerloh", "Pahang", 3.4485, 102.4175, 0.5, 28000),
    ("Bentong", "Pahang", 3.5226, 101.9086, 0.4, 28700),
    ("Tanah Rata", "Pahang", 4.4721, 101.3801, 0.4, 39000),
    ("Kota Kinabalu", "Sabah", 5.9804, 116.0735, 2.5, 88000),
    ("Sandakan", "Sabah", 5.8402, 118.1179, 0.9, 90000),
    ("Tawau", "Sabah", 4.2448, 117.8912, 0.8, 91000),
    ("Kuching", "Sarawak", 1.5533, 110.3592, 2.6, 93000),
    ("Miri", "Sarawak", 4.3995, 113.9914, 1.1, 98000),
    ("Sibu", "Sarawak", 2.2873, 111.8305, 0.9, 96000),
    ("Bintulu", "Sarawak", 3.1713, 113.0419, 0.6, 97000),
    ("Labuan", "Wilayah Persekutuan Labuan", 5.2831, 115.2308, 0.4, 87000),
]
CITY_SPREAD_DEG = 0.04  # sigma of a restaurant's distance from its city's centre (~4 km)

CUISINES = {  # name: weight of being a restaurant's first cuisine (extras: uniform)
    "Malay": 13.5, "Chinese": 12, "Indian": 6, "Mamak": 5, "Nyonya": 3, "Thai": 4,
    "Japanese": 5, "Korean": 4, "Western": 6, "Seafood": 5, "Vegetarian": 2,
    "Middle Eastern": 2, "Indonesian": 2, "Vietnamese": 2, "Italian": 3, "Cantonese": 4,
    "Hakka": 1.5, "Hokkien": 2, "Teochew": 1, "Kelantanese": 1.5, "Sabahan": 1,
    "Sarawakian": 1, "Fusion": 2, "Cafe": 5, "Fast Food": 4, "Dessert": 2, "Bakery": 2,
}

NAME_PREFIXES = {"Restoran": 22, "": 15, "Kedai Makan": 8, "Warung": 8, "Kopitiam": 6,
                 "Cafe": 6, "Gerai": 4, "Dapur": 3, "Nasi Kandar": 3, "Medan Selera": 2,
                 "Kafe": 2, "Rumah Makan": 2}
NAME_WORDS = [
    "Ah Seng", "Ah Hock", "Mak Cik Kiah", "Pak Ali", "Hajah Siti", "Sri Melur", "Sri Ananda",
    "Golden Dragon", "Lucky Star", "Fatimah", "Hup Seng", "Kim Lian", "Lian Hong", "Yut Kee",
    "Bunga Raya", "Seri Pagi", "Anjung", "Teratai", "Cahaya", "Murni", "Selera", "Permai",
    "Rasa", "Nikmat", "Jaya", "Sentosa", "Mutiara", "Bintang", "Harmoni", "Tiga Rasa",
    "Sinar", "Kasih", "Wong", "Lim", "Tan", "Chan", "Lee", "Ong", "Goh", "Teoh", "Ooi",
    "Khoo", "Muthu", "Raju", "Sangeetha", "Saravana", "Krishna", "Zainab", "Rahim", "Aminah",
]
NAME_SUFFIXES = {"": 60, " Corner": 6, " Kitchen": 6, " House": 5, " Garden": 4,
                 " Express": 3, " Bistro": 3, " Place": 3, " Station": 2}
STREETS = [
    "Sultan Idris Shah", "Tun Razak", "Bukit Bintang", "Ampang", "Merdeka", "Besar",
    "Pasar", "Raja", "Masjid India", "Pantai", "Kampung Baru", "Sultan Ismail",
    "Tuanku Abdul Rahman", "Hang Tuah", "Hang Jebat", "Dato Onn", "Stesen", "Bunus",
    "Tun Sambanthan", "Lebuh Chulia", "Gurney", "Tun Perak", "Sultanah", "Kebun Bunga",
]
AREAS = ["Taman Desa", "Taman Melawati", "Bandar Baru", "Pusat Bandar", "Kampung Jawa",
         "Seksyen 7", "Taman Sri Muda", "Bandar Utama", "Taman Tun", "Pekan Lama"]
HOURS = [
    json.dumps({day: "10:00-22:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat",
                                               "sun")}),
    json.dumps({"mon": "closed", **{day: "07:00-15:00" for day in ("tue", "wed", "thu",
                                                                  "fri", "sat", "sun")}}),
    json.dumps({day: "18:00-02:00" for day in ("mon", "tue", "wed", "thu", "fri", "sat")}),
]

# a dish's main: name, dish_type (as the catalog normalises it), tags it always has
MAINS = [
    ("Nasi Goreng", "nasi goreng", ["rice", "fried"]),
    ("Mee Goreng Mamak", "mee goreng", ["noodles", "spicy"]),
    ("Char Kway Teow", "char kway teow", ["noodles", "fried"]),
    ("Roti Canai", "roti canai", ["bread", "breakfast"]),
    ("Laksa", "laksa", ["noodles", "soup", "spicy"]),
    ("Satay", "satay", ["grilled"]),
    ("Rendang", "rendang", ["beef", "spicy"]),
    ("Chicken Rice", "chicken rice", ["chicken", "rice"]),
    ("Wantan Mee", "wantan mee", ["noodles"]),
    ("Dim Sum Platter", "dim sum", []),
    ("Banana Leaf Rice", "banana leaf rice", ["rice", "vegetarian"]),
    ("Teh Tarik", "teh tarik", ["beverage"]),
    ("Cendol", "cendol", ["dessert"]),
    ("Ikan Bakar", "ikan bakar", ["seafood", "grilled"]),
    ("Claypot Chicken Rice", "claypot chicken rice", ["chicken", "rice"]),
    ("Hokkien Mee", "hokkien mee", ["noodles"]),
    ("Asam Pedas", "asam pedas", ["seafood", "spicy"]),
    ("Nasi Campur", "nasi campur", ["rice"]),
    ("Kuih", "kuih", ["dessert"]),
    ("Pizza", "pizza", []),
    ("Char Siu", "char siu", ["pork"]),
    ("Tom Yum", "tom yum", ["soup", "spicy", "seafood"]),
    ("Kopi", "kopi", ["beverage"]),
    ("Burger", "burger", ["beef"]),
    ("Ramen", "ramen", ["noodles", "soup"]),
    ("Yong Tau Foo", "yong tau foo", ["soup"]),
    ("Nasi Kerabu", "nasi kerabu", ["rice"]),
    ("Bak Kut Teh", "bak kut teh", ["pork", "soup"]),
    ("Kaya Toast", "kaya toast", ["bread", "breakfast"]),
    ("Soto Ayam", "soto ayam", ["chicken", "soup"]),
    ("Mee Rebus", "mee rebus", ["noodles"]),
    ("Nasi Kandar", "nasi kandar", ["rice", "spicy"]),
    ("Roti John", "roti john", ["bread"]),
    ("Murtabak", "murtabak", ["bread"]),
    ("Pan Mee", "pan mee", ["noodles"]),
    ("Curry Mee", "curry mee", ["noodles", "spicy"]),
    ("Apam Balik", "apam balik", ["dessert"]),
    ("Ais Kacang", "ais kacang", ["dessert"]),
    ("Sushi", "sushi", ["seafood"]),
    ("Bibimbap", "bibimbap", ["rice"]),
    ("Thosai", "thosai", ["vegetarian", "breakfast"]),
    ("Lor Mee", "lor mee", ["noodles"]),
    ("Oyster Omelette", "oyster omelette", ["seafood"]),
    ("Chilli Crab", "chilli crab", ["seafood", "spicy"]),
    ("Mee Siam", "mee siam", ["noodles"]),
]
VARIANTS = ["", "", "", "Special", "Kampung", "Ayam", "Seafood", "Istimewa", "Pedas",
            "Original", "Jumbo", "Sayur"]
COMMON_TERM = "nasi lemak"
COMMON_SHARE = 0.035  # of dishes
COMMON_NAMES = ["Nasi Lemak Ayam Goreng", "Nasi Lemak Sambal Udang", "Nasi Lemak Rendang",
                "Nasi Lemak Biasa", "Nasi Lemak Sotong", "Nasi Lemak Telur Mata"]
RARE_TERM = "tempoyak"
RARE_DISHES = 10  # whatever the size
OPENINGS = ["Classic", "Homestyle", "Our signature", "Fragrant", "Slow-cooked", "Wok-fried",
            "Freshly made", "Generous", "Family-recipe", "Hawker-style"]
SIDES = ["sambal belacan", "fried anchovies", "roasted peanuts", "cucumber slices",
         "a boiled egg", "crispy shallots", "pickled achar", "fresh lime", "chilli padi",
         "coriander", "spring onions", "prawns", "squid", "tofu puffs", "bean sprouts",
         "fish cakes", "curry leaves", "gula melaka", "pandan", "toasted sesame"]
CLOSINGS = ["best enjoyed hot", "a local favourite", "made fresh every morning",
            "served all day", "a house speciality", "perfect for sharing",
            "just like in the kampung", "cooked to order"]
EXTRA_TAGS = {"halal": 30, "spicy": 12, "signature": 6, "street food": 6, "vegetarian": 5,
              "breakfast": 4, "gluten free": 3, "vegan": 2, "local favourite": 4}
RANKED_SHARE = 0.3
AVAILABLE_SHARE = 0.92
MAX_RANK = 5  # rankings' one-best lists hold ranks 1..5

RESTAURANT_COLUMNS = ("id", "name", "address", "city", "state", "country", "postal_code",
                      "latitude", "longitude", "phone", "website", "hours", "cuisine_type",
                      "price_range")
# search_vector is generated; image_url, owner_id and the timestamps keep their defaults
DISH_COLUMNS = ("id", "restaurant_id", "name", "description", "price", "dish_type", "tags",
                "is_seasonal", "is_available", "rank_sum", "rank_count", "average_rank")

TEXT_QUERY = "Kopitiam"  # a common word of restaurants' names: the trigram `q`
NEARBY = ("Ipoh", 2.0)  # around this city's centre, within km


def pg_array(items) -> str:
    return "{" + ",".join(f'"{item}"' for item in items) + "}"


class Generator:
    """Rows as COPY's text format wants them (the word lists hold no tab, backslash or
    newline), reproducible from the seed."""

    def __init__(self, seed: int, restaurants: int, dishes_per_restaurant: int):
        self.rng = random.Random(seed)
        self.dishes_per_restaurant = dishes_per_restaurant
        total_dishes = restaurants * dishes_per_restaurant
        self.rare = set(self.rng.sample(range(total_dishes), min(RARE_DISHES, total_dishes)))
        self.dish_index = 0
        self.cities = [city for city in CITIES]
        self.city_weights = [city[4] for city in CITIES]
        self.cuisines = list(CUISINES)
        self.cuisine_weights = list(CUISINES.values())
        self.prefixes, self.prefix_weights = list(NAME_PREFIXES), list(NAME_PREFIXES.values())
        self.suffixes, self.suffix_weights = list(NAME_SUFFIXES), list(NAME_SUFFIXES.values())
        self.extra_tags, self.tag_weights = list(EXTRA_TAGS), list(EXTRA_TAGS.values())

    def uuid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def restaurant(self) -> tuple[str, str]:
        rng = self.rng
        city, state, lat, lng, _, postcode = rng.choices(self.cities, self.city_weights)[0]
        words = rng.choice(NAME_WORDS)
        if rng.random() < 0.3:
            words += " " + rng.choice(NAME_WORDS)
        prefix = rng.choices(self.prefixes, self.prefix_weights)[0]
        suffix = rng.choices(self.suffixes, self.suffix_weights)[0]
        name = f"{prefix} {words}{suffix}".strip()
        cuisines = [rng.choices(self.cuisines, self.cuisine_weights)[0]]
        cuisines += rng.sample(self.cuisines, rng.choices((0, 1, 2), (55, 35, 10))[0])
        address = (f"{rng.choice(('No.', 'Lot'))} {rng.randint(1, 250)}, Jalan "
                   f"{rng.choice(STREETS)}, {rng.choice(AREAS)}")
        website = (f"https://{name.lower().replace(' ', '-')}-{rng.randint(1, 999)}.example.com"
                   if rng.random() < 0.3 else "\\N")
        restaurant_id = self.uuid()
        row = (restaurant_id, name, address, city, state, "Malaysia",
               f"{postcode + rng.randrange(100):05d}",
               f"{rng.gauss(lat, CITY_SPREAD_DEG):.6f}", f"{rng.gauss(lng, CITY_SPREAD_DEG):.6f}",
               f"+60 1{rng.randint(0, 9)}-{rng.randint(100, 999)} {rng.randint(1000, 9999)}",
               website, rng.choice(HOURS), pg_array(dict.fromkeys(cuisines)),
               str(rng.choices((1, 2, 3, 4), (35, 40, 18, 7))[0]))
        return restaurant_id, "\t".join(row)

    def dish(self, restaurant_id: str) -> str:
        rng = self.rng
        rare = self.dish_index in self.rare
        self.dish_index += 1
        if rare:
            name = f"Ikan Patin Masak Tempoyak {rng.choice(('Pahang', 'Temerloh', 'Asli'))}"
            dish_type, tags = "ikan patin", ["seafood", "spicy"]
            description = ("River fish in a fermented durian (tempoyak) curry with "
                           f"{rng.choice(SIDES)}, {rng.choice(CLOSINGS)}.")
        elif rng.random() < COMMON_SHARE:
            name, dish_type, tags = rng.choice(COMMON_NAMES), COMMON_TERM, ["rice"]
            description = (f"{rng.choice(OPENINGS)} coconut rice (nasi lemak) with "
                           f"{rng.choice(SIDES)} and {rng.choice(SIDES)}, "
                           f"{rng.choice(CLOSINGS)}.")
        else:
            main, dish_type, tags = rng.choice(MAINS)
            variant = rng.choice(VARIANTS)
            name = f"{main} {variant}".strip()
            description = (f"{rng.choice(OPENINGS)} {main.lower()} with {rng.choice(SIDES)} "
                           f"and {rng.choice(SIDES)}, {rng.choice(CLOSINGS)}.")
        tags = list(dict.fromkeys(
            tags + rng.choices(self.extra_tags, self.tag_weights, k=rng.randint(0, 2))))
        if rng.random() < RANKED_SHARE:
            count = rng.randint(1, 40)
            rank_sum = rng.randint(count, MAX_RANK * count)
            ranks = (str(rank_sum), str(count), f"{rank_sum / count:.2f}")
        else:
            ranks = ("0", "0", "\\N")
        cents = rng.randint(300, 4500)
        available = rare or rng.random() < AVAILABLE_SHARE
        return "\t".join((self.uuid(), restaurant_id, name, description,
                          f"{cents // 100}.{cents % 100:02d}", dish_type, pg_array(tags),
                          "t" if rng.random() < 0.05 else "f", "t" if available else "f",
                          *ranks))


# --- the database ------------------------------------------------------------------------------

def database_for(size: int) -> str:
    url = make_url(database_url(SERVICE)).set(database=f"bellyfed_bench_catalog_{size}")
    return url.render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    name = make_url(url).database
    admin = make_engine(make_url(url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def libpq_dsn(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


@dataclass
class Load:
    rows: int = 0
    copy_seconds: float = 0.0
    index_seconds: float = 0.0
    vacuum_seconds: float = 0.0
    facts: dict = field(default_factory=dict)


def build(url: str, size: int, args) -> Load:
    """A fresh catalog database at `url`, migrated, loaded and analysed."""
    drop_database(url)
    upgrade(SERVICE, url)  # creates it, then the catalog's migrations to head
    load = Load()
    connection = psycopg2.connect(libpq_dsn(url))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '512MB'")
            cursor.execute("SAVEPOINT replication_role")
            try:  # as a superuser: no foreign key trigger per dish (the data is consistent)
                cursor.execute("SET session_replication_role = replica")
                skip_dish_triggers = True
            except psycopg2.Error:
                cursor.execute("ROLLBACK TO SAVEPOINT replication_role")
                skip_dish_triggers = False
            # the secondary indexes are rebuilt after the load from their own definitions
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' "
                "AND tablename IN ('restaurants', 'restaurant_search', 'dishes') "
                "AND indexname NOT IN "
                "(SELECT conname FROM pg_constraint)")
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            cursor.executemany("INSERT INTO cuisines (name) VALUES (%s) ON CONFLICT DO NOTHING",
                               [(name,) for name in CUISINES])
            load.copy_seconds = copy_rows(cursor, size, args, skip_dish_triggers)
            load.rows = size * (1 + args.dishes_per_restaurant)
            started = time.perf_counter()
            for _, definition in tqdm(indexes, desc="indexes", unit="index", leave=False):
                cursor.execute(definition)
            connection.commit()
            load.index_seconds = time.perf_counter() - started
        connection.autocommit = True
        with connection.cursor() as cursor:
            started = time.perf_counter()
            cursor.execute("VACUUM (ANALYZE) restaurants, restaurant_search, dishes, cuisines")
            load.vacuum_seconds = time.perf_counter() - started
            load.facts = data_facts(cursor)
    finally:
        connection.close()
    return load


def copy_rows(cursor, size: int, args, skip_dish_triggers: bool) -> float:
    """COPY the rows, in chunks: a thread generates the next chunk while PostgreSQL takes
    the last one (the server's side of COPY, the search vector's computing, runs in
    its own process). The restaurants' triggers run (theirs keeps restaurant_search, what
    `q` reads); the dishes' (a foreign key check each) are skipped where allowed."""
    restaurant_copy = f"COPY restaurants ({', '.join(RESTAURANT_COLUMNS)}) FROM STDIN"
    dish_copy = f"COPY dishes ({', '.join(DISH_COLUMNS)}) FROM STDIN"
    chunks: queue.Queue = queue.Queue(maxsize=2)
    stopping = threading.Event()

    def generate() -> None:
        generator = Generator(args.seed, size, args.dishes_per_restaurant)
        try:
            for first in range(0, size, RESTAURANTS_PER_CHUNK):
                count = min(RESTAURANTS_PER_CHUNK, size - first)
                restaurants, dishes = io.StringIO(), io.StringIO()
                for _ in range(count):
                    restaurant_id, line = generator.restaurant()
                    restaurants.write(line + "\n")
                    for _ in range(args.dishes_per_restaurant):
                        dishes.write(generator.dish(restaurant_id) + "\n")
                restaurants.seek(0)
                dishes.seek(0)
                while not stopping.is_set():
                    with contextlib.suppress(queue.Full):
                        chunks.put((count, restaurants, dishes), timeout=0.5)
                        break
            chunks.put(None)
        except BaseException as exc:  # handed to the loading thread, which raises it
            chunks.put(exc)

    producer = threading.Thread(target=generate, name="generate", daemon=True)
    started = time.perf_counter()
    producer.start()
    total = size * (1 + args.dishes_per_restaurant)
    try:
        with tqdm(total=total, desc=f"loading {size:,} restaurants", unit="row",
                  unit_scale=True, leave=False) as bar:
            while (chunk := chunks.get()) is not None:
                if isinstance(chunk, BaseException):
                    raise chunk
                count, restaurants, dishes = chunk
                if skip_dish_triggers:
                    cursor.execute("SET session_replication_role = origin")
                cursor.copy_expert(restaurant_copy, restaurants)
                if skip_dish_triggers:
                    cursor.execute("SET session_replication_role = replica")
                cursor.copy_expert(dish_copy, dishes)
                bar.update(count * (1 + args.dishes_per_restaurant))
    finally:
        stopping.set()
    producer.join()
    return time.perf_counter() - started


def data_facts(cursor) -> dict:
    """What the loaded data looks like, to read the figures by."""
    cursor.execute(
        "SELECT count(*), avg((city = 'Ipoh')::int), avg((cuisine_type @> '{Malay}')::int) "
        "FROM restaurants")
    restaurants, ipoh, malay = cursor.fetchone()
    cursor.execute(
        "SELECT count(*), avg((rank_count > 0)::int), avg(is_available::int), "
        "count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', %s)), "
        "count(*) FILTER (WHERE search_vector @@ websearch_to_tsquery('english', %s)) "
        "FROM dishes", (COMMON_TERM, RARE_TERM))
    dishes, ranked, available, common, rare = cursor.fetchone()
    cursor.execute("SELECT pg_size_pretty(pg_database_size(current_database()))")
    return {"restaurants": restaurants, "ipoh": float(ipoh), "malay": float(malay),
            "dishes": dishes, "ranked": float(ranked), "available": float(available),
            "common": common / dishes, "rare": rare, "size": cursor.fetchone()[0]}


# --- the catalog and its RPCs ----------------------------------------------------------------

def start_catalog(processes: Processes, url: str, vhost_uri: str, log_path: Path):
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("CATALOG_", "LOG_", "OUTBOX_", "EVENT_", "AMQP_"))}
    env.update({"AMQP_URI": vhost_uri, "CATALOG_DATABASE_URL": url, "MIGRATE_ON_START": "0",
                "LOG_LEVEL": "WARNING", "LOG_FORMAT": "text", "PYTHONWARNINGS": "ignore",
                "RPC_TIMEOUT": str(RPC_TIMEOUT)})
    log = log_path.open("wb")
    process = processes.start([sys.executable, "-m", f"services.{SERVICE}"], env=env,
                              stdout=log, stderr=subprocess.STDOUT)
    log.close()
    deadline = time.monotonic() + 60
    while count_consumers(vhost_uri, SERVICE) < 1:
        if process.poll() is not None or time.monotonic() > deadline:
            tail = log_path.read_text(errors="replace")[-3000:]
            raise SystemExit(f"the catalog did not start consuming its RPC queue:\n{tail}")
        time.sleep(0.2)
    return process


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


@dataclass
class Figures:
    p50: float | None = None
    p99: float | None = None
    rows: int | None = None
    estimated: bool = False  # the answer's total was the planner's estimate
    note: str = ""  # why not measured, or what was measured instead


def timed(calls_by_size: dict, calls: int, warmup: int) -> dict[int, Figures]:
    """Each size's call `warmup` times untimed, then `calls` timed rounds, a round calling
    each size once in turn: whatever else loads the machine meanwhile, loads every size
    alike (the ratio between them is the target)."""
    answers = {}
    for size, call in calls_by_size.items():
        for _ in range(warmup):
            answers[size] = call()
    samples: dict[int, list[float]] = {size: [] for size in calls_by_size}
    for _ in range(calls):
        for size, call in calls_by_size.items():
            started = time.perf_counter()
            answers[size] = call()
            samples[size].append((time.perf_counter() - started) * 1000)
    figures = {}
    for size, answer in answers.items():
        page = answer if isinstance(answer, dict) else {}
        figures[size] = Figures(percentile(samples[size], 0.5), percentile(samples[size], 0.99),
                                page.get("total", page.get("count")),
                                bool(page.get("total_is_estimate")))
    return figures


def nearby_call(catalog):
    """The nearby RPC issue #15 adds, as a callable, or (None, why not)."""
    from services.catalog.contract.rpc import RestaurantListQuery
    from services.catalog.service import CatalogService

    city = next(city for city in CITIES if city[0] == NEARBY[0])
    lat, lng, radius = str(city[2]), str(city[3]), str(NEARBY[1])
    values = {"lat": lat, "latitude": lat, "lng": lng, "lon": lng, "longitude": lng,
              "radius_km": radius, "radius": radius, "km": radius, "limit": LIMIT,
              "near": f"{lat},{lng}"}
    methods = [name for name in dir(CatalogService) if "nearby" in name.lower()
               and callable(getattr(CatalogService, name))]
    if methods:
        name = methods[0]
        parameters = inspect.signature(getattr(CatalogService, name)).parameters
        if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
            kwargs = {"lat": lat, "lng": lng, "radius_km": radius, "limit": LIMIT}
        else:
            kwargs = {p: values[p] for p in parameters if p in values}
        return (lambda: getattr(catalog, name)(**kwargs)), f"{name}({', '.join(kwargs)})"
    fields = set(RestaurantListQuery().fields)
    for lat_name, lng_name in (("lat", "lng"), ("latitude", "longitude"), ("lat", "lon")):
        if {lat_name, lng_name} <= fields:
            kwargs = {lat_name: lat, lng_name: lng, "limit": LIMIT}
            kwargs.update({p: radius for p in ("radius_km", "radius") if p in fields})
            return (lambda kwargs=kwargs: catalog.list_restaurants(**kwargs)), "list_restaurants"
    if "near" in fields:
        kwargs = {"near": values["near"], "limit": LIMIT}
        kwargs.update({p: radius for p in ("radius_km", "radius") if p in fields})
        return (lambda: catalog.list_restaurants(**kwargs)), "list_restaurants"
    return None, "no nearby RPC nor lat/lng on list_restaurants"


def walk_to_page(catalog) -> tuple[str | None, str]:
    """The cursor of page CURSOR_PAGE (or of the last page, on a smaller catalog), by
    following next_cursor from page 1: (cursor, what was walked), or (None, why not)."""
    first = catalog.list_restaurants(limit=LIMIT)
    if "next_cursor" not in first:
        return None, "not available yet (no next_cursor in list_restaurants' answer)"
    cursor, page = first["next_cursor"], 1
    if cursor is None:
        return None, "not available yet (page 1 had no next_cursor)"
    started = time.perf_counter()
    while page + 1 < CURSOR_PAGE:
        answer = catalog.list_restaurants(limit=LIMIT, cursor=cursor)
        if answer.get("next_cursor") is None:
            break  # `cursor` asks for the last page
        cursor, page = answer["next_cursor"], page + 1
    return cursor, f"page {page + 1} (walked to in {time.perf_counter() - started:.1f}s)"


@dataclass
class Shape:
    name: str
    target: bool  # counted in the targets (else shown for reference)


SHAPES = [
    Shape("RPC floor: health()", False),
    Shape("restaurants city=Ipoh", True),
    Shape("restaurants cuisine=Malay", True),
    Shape(f"restaurants q={TEXT_QUERY} (trigram)", True),
    Shape("restaurants first page", True),
    Shape(f"restaurants page {CURSOR_PAGE} by cursor", True),
    Shape(f"restaurants nearby {NEARBY[0]} {NEARBY[1]:g} km", True),
    Shape(f"dishes q={COMMON_TERM} (common)", True),
    Shape(f"dishes q={RARE_TERM} (rare)", True),
    Shape("restaurants offset 90% (deep page)", False),
]


def measure(catalogs: dict, args) -> dict[int, dict[str, Figures]]:
    """Every shape's figures at every size; `catalogs`: each size's catalog RPC proxy."""
    results: dict[int, dict[str, Figures]] = {size: {} for size in catalogs}

    def each(make_call) -> dict:
        return {size: make_call(catalog) for size, catalog in catalogs.items()}

    plain = {
        SHAPES[0].name: each(lambda c: c.health),
        SHAPES[1].name: each(lambda c: lambda: c.list_restaurants(city="Ipoh", limit=LIMIT)),
        SHAPES[2].name: each(lambda c: lambda: c.list_restaurants(cuisine="Malay",
                                                                  limit=LIMIT)),
        SHAPES[3].name: each(lambda c: lambda: c.list_restaurants(q=TEXT_QUERY, limit=LIMIT)),
        SHAPES[4].name: each(lambda c: lambda: c.list_restaurants(limit=LIMIT)),
        SHAPES[7].name: each(lambda c: lambda: c.search_dishes(q=COMMON_TERM, limit=LIMIT)),
        SHAPES[8].name: each(lambda c: lambda: c.search_dishes(q=RARE_TERM, limit=LIMIT)),
        SHAPES[9].name: {  # more than ten pages: a deep page means something
            size: (lambda c, offset: lambda: c.list_restaurants(limit=LIMIT, offset=offset))(
                catalog, str(int(size * 0.9)))
            for size, catalog in catalogs.items() if size > 10 * int(LIMIT)},
    }
    with tqdm(SHAPES, desc="measuring", unit="shape", leave=False) as bar:
        for shape in bar:
            bar.set_postfix_str(shape.name)
            notes: dict[int, str] = {}
            calls = plain.get(shape.name)
            if shape is SHAPES[5]:
                calls = {}
                for size, catalog in catalogs.items():
                    cursor, notes[size] = walk_to_page(catalog)
                    if cursor is not None:
                        calls[size] = (lambda c, at: lambda: c.list_restaurants(
                            limit=LIMIT, cursor=at))(catalog, cursor)
            elif shape is SHAPES[6]:
                calls = {}
                for size, catalog in catalogs.items():
                    call, notes[size] = nearby_call(catalog)
                    if call is not None:
                        try:
                            call()
                            calls[size] = call
                        except Exception as exc:  # whatever the refusal: not there yet
                            notes[size] = (f"not available yet ({notes[size]}: "
                                           f"{type(exc).__name__}: {exc})"[:200])
                    else:
                        notes[size] = f"not available yet ({notes[size]})"
            figures = timed(calls, args.calls, args.warmup)
            for size in catalogs:
                found = figures.get(size) or Figures(note=notes.get(size)
                                                     or "not meaningful at this size")
                if size in figures and size in notes:
                    found.note = notes[size]
                results[size][shape.name] = found
    return results


# --- the run -----------------------------------------------------------------------------------

def report(sizes: list[int], results: dict[int, dict[str, Figures]]) -> list[str]:
    small, large = sizes[0], sizes[-1]
    group = 27
    head = f"{'':<38}" + "".join(f"{f' {size:,} restaurants ':-^{group}}  " for size in sizes)
    print("\n" + head)
    print(f"{'shape':<38}" + "".join(f"{'rows':>9}{'p50 ms':>9}{'p99 ms':>9}  " for _ in sizes)
          + f"{'ratio':>6}  target")
    failures = []
    notes = []
    for shape in SHAPES:
        line = f"{shape.name:<38}"
        for size in sizes:
            figures = results[size][shape.name]
            if figures.p50 is None:
                line += f"{'—':>9}{'—':>9}{'—':>9}  "
            else:
                rows = "" if figures.rows is None else f"{figures.rows:,}"
                rows = ("~" if figures.estimated else "") + rows
                line += f"{rows:>9}{figures.p50:>9.2f}{figures.p99:>9.2f}  "
            if figures.note:
                notes.append(f"{shape.name} at {size:,}: {figures.note}")
        first, last = results[small][shape.name], results[large][shape.name]
        ratio = (last.p50 / first.p50 if first.p50 and last.p50 is not None else None)
        line += f"{ratio:>6.2f}" if ratio is not None else f"{'—':>6}"
        if not shape.target:
            verdict = "(reference, no target)"
        elif first.p50 is None or last.p50 is None:
            verdict = "MISSED: not available yet"
            failures.append(f"{shape.name}: not available yet")
        else:
            missed = []
            if not (first.rows and last.rows):  # an empty answer measures nothing
                missed.append("found no rows")
            if ratio > P50_RATIO_TARGET:
                missed.append(f"p50 {ratio:.2f}x > {P50_RATIO_TARGET:g}x")
            if last.p50 > P50_MS_TARGET:
                missed.append(f"p50 {last.p50:.1f} ms > {P50_MS_TARGET:g} ms")
            verdict = "ok" if not missed else "MISSED: " + ", ".join(missed)
            failures += [f"{shape.name}: {reason}" for reason in missed]
        print(f"{line}  {verdict}")
    if any(results[size][shape.name].estimated for size in sizes for shape in SHAPES):
        notes.insert(0, "~: the answer's total was the planner's estimate "
                        "(total_is_estimate), not a count")
    if notes:
        print("\n" + "\n".join(f"  {note}" for note in notes))
    return failures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="1000,100000",
                        help="restaurant counts, comma separated (smallest and largest compared)")
    parser.add_argument("--dishes-per-restaurant", type=int, default=10)
    parser.add_argument("--calls", type=int, default=200, help="timed calls per shape")
    parser.add_argument("--warmup", type=int, default=20, help="untimed calls per shape first")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    args = parser.parse_args()
    sizes = sorted({int(size) for size in args.sizes.split(",") if size.strip()})
    if len(sizes) < 2 or sizes[0] < 1 or args.calls < 1:
        parser.error("--sizes needs two sizes or more, --calls at least one")

    def stop_on_sigterm(signum, frame):
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop_on_sigterm)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # even if started ignoring it
    processes = Processes()
    vhosts: list[Vhost] = []
    databases: list[str] = []
    try:
        with tempfile.TemporaryDirectory(prefix="catalog_scale_") as scratch:
            return run(args, sizes, processes, vhosts, databases, Path(scratch))
    except KeyboardInterrupt:
        print("\ninterrupted: stopping what the run started", file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # the clean-up runs to its end
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        processes.stop_all()
        for vhost in vhosts:
            vhost.delete()
        for url in databases if not args.keep else []:
            drop_database(url)
        if args.keep and databases:
            print("kept: " + ", ".join(make_url(url).database for url in databases))


def run(args, sizes: list[int], processes: Processes, vhosts: list[Vhost],
        databases: list[str], scratch: Path) -> int:
    from nameko.standalone.rpc import ClusterRpcProxy

    loads: dict[int, Load] = {}
    for size in sizes:
        url = database_for(size)
        databases.append(url)
        loads[size] = load = build(url, size, args)
        facts = load.facts
        print(f"{size:,} restaurants + {size * args.dishes_per_restaurant:,} dishes: "
              f"COPY {load.copy_seconds:.1f}s ({load.rows / load.copy_seconds:,.0f} rows/s), "
              f"indexes {load.index_seconds:.1f}s, vacuum analyze {load.vacuum_seconds:.1f}s, "
              f"{facts['size']}")
        print(f"    Ipoh {facts['ipoh']:.1%} of restaurants, Malay {facts['malay']:.1%}; "
              f"'{COMMON_TERM}' in {facts['common']:.1%} of dishes, '{RARE_TERM}' in "
              f"{facts['rare']}; ranked {facts['ranked']:.0%}, available "
              f"{facts['available']:.0%}")

    # one catalog per size, each on a vhost of its own, all up at once: calls alternate
    # between the sizes (timed())
    with contextlib.ExitStack() as stack:
        catalogs = {}
        for size, url in zip(sizes, databases, strict=True):
            vhosts.append(vhost := Vhost(amqp_uri()))
            process = start_catalog(processes, url, vhost.uri, scratch / f"catalog-{size}.log")
            stack.callback(processes.stop, process)
            cluster = stack.enter_context(ClusterRpcProxy(
                {"AMQP_URI": vhost.uri, "serializer": "json"}, timeout=RPC_TIMEOUT))
            catalogs[size] = cluster.catalog
        results = measure(catalogs, args)

    print(f"\ncatalog RPCs through nameko's ClusterRpcProxy, one at a time, the sizes in turn: "
          f"{args.warmup} warm-up then {args.calls} timed calls per shape and size, "
          f"limit {LIMIT}")
    failures = report(sizes, results)
    rows = sum(load.rows for load in loads.values())
    copying = sum(load.copy_seconds for load in loads.values())
    seconds = sum(load.copy_seconds + load.index_seconds + load.vacuum_seconds
                  for load in loads.values())
    print(f"\nloaded {rows:,} rows: COPY {copying:.1f}s ({rows / copying:,.0f} rows/s); "
          f"{seconds:.1f}s with the indexes and VACUUM ANALYZE ({rows / seconds:,.0f} rows/s)")
    print(f"targets: every p50 at {sizes[-1]:,} <= {P50_RATIO_TARGET:g}x its p50 at "
          f"{sizes[0]:,}, none above {P50_MS_TARGET:g} ms")
    print("\n" + ("all targets met" if not failures else "targets missed:\n  "
                  + "\n  ".join(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
