"""Catalog jobs, run by hand or by scripts/run:

    python -m services.catalog.jobs seed [--if-empty] [--quiet] [--database-url URL]

`seed` loads the demo catalog, `demo_catalog.json` beside this module (240 restaurants
in 8 Malaysian and Singaporean cities, 10 dishes each: data, kept as it is loaded, one
record a line). Idempotent: restaurants and dishes have fixed ids, and rows that already
exist are left alone, so running it twice changes nothing. Each new row gets its
restaurant_created / dish_created event in the catalog's outbox, in the same
transaction, so services that keep catalog facts learn the demo data like any other (the
relay publishes them once catalog runs). `--if-empty` seeds only a catalog with no
restaurant yet.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session
from tqdm import tqdm

from services.catalog import config
from services.catalog.contract.events import DISH_CREATED, RESTAURANT_CREATED
from services.catalog.domain.catalog import normalize_dish_fields, normalize_restaurant_fields
from services.catalog.storage import CatalogStore
from services.catalog.storage.models import Dish, Restaurant
from shared.contract import EventType
from shared.migrations import upgrade
from shared.postgres import make_engine

BATCH = 200
DEMO_CATALOG = Path(__file__).with_name("demo_catalog.json")


def load_demo_catalog(path: Path = DEMO_CATALOG) -> tuple[list[dict], list[dict]]:
    """(restaurants, dishes) of the demo catalog, as the file holds them (each dish names
    its restaurant)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return data["restaurants"], data["dishes"]


def insert_new(store: CatalogStore, model, rows: list[dict], event: EventType,
               quiet: bool) -> int:
    """Insert the rows whose id is not there yet, each with its event; how many were new."""
    inserted = 0
    with tqdm(total=len(rows), desc=model.__tablename__, unit="row", disable=quiet,
              file=sys.stderr) as bar:
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            new_rows = store.session.scalars(
                insert(model).values(batch).on_conflict_do_nothing(index_elements=["id"])
                .returning(model)
            ).all()
            store.emit_many(event, event.payload(many=True).dump(new_rows))
            inserted += len(new_rows)
            bar.update(len(batch))
    return inserted


def seed(url: str, quiet: bool = False) -> dict:
    restaurants, dishes = load_demo_catalog()
    restaurants = [normalize_restaurant_fields(row) for row in restaurants]
    dishes = [normalize_dish_fields(row) for row in dishes]
    engine = make_engine(url)
    try:
        with Session(engine) as session, session.begin():
            store = CatalogStore(session, config.SERVICE_NAME)
            new_restaurants = insert_new(store, Restaurant, restaurants, RESTAURANT_CREATED,
                                         quiet)
            new_dishes = insert_new(store, Dish, dishes, DISH_CREATED, quiet)
            store.remember_cuisines(
                cuisine for row in restaurants for cuisine in row["cuisine_type"]
            )
    finally:
        engine.dispose()
    return {
        "restaurants": len(restaurants), "new_restaurants": new_restaurants,
        "dishes": len(dishes), "new_dishes": new_dishes,
    }


def catalog_is_empty(url: str) -> bool:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(Restaurant.id).limit(1)).first() is None
    finally:
        engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m services.catalog.jobs",
                                     description="Catalog jobs.")
    parser.add_argument("job", choices=["seed"])
    parser.add_argument("--database-url", default=config.load()["DATABASE_URL"])
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--if-empty", action="store_true",
                        help="only seed a catalog that has no restaurants yet")
    args = parser.parse_args(argv)
    upgrade(config.SERVICE_NAME, args.database_url)
    if args.if_empty and not catalog_is_empty(args.database_url):
        print("demo catalog: the catalog already has restaurants; not seeding")
        return 0
    counts = seed(args.database_url, quiet=args.quiet)
    print(
        f"demo catalog: {counts['restaurants']} restaurants ({counts['new_restaurants']} new), "
        f"{counts['dishes']} dishes ({counts['new_dishes']} new)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
