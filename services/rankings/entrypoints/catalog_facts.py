"""The catalog events rankings keeps its copy of restaurants and dishes from."""

from __future__ import annotations

from services.catalog.contract import events as catalog
from services.rankings.domain import catalog_facts
from shared.consumer import consume_event


class CatalogFactHandlers:
    @consume_event(catalog.RESTAURANT_CREATED)
    def on_restaurant_created(self, event):
        catalog_facts.restaurant_changed(self.store, "rankings.on_restaurant_created", event)

    @consume_event(catalog.RESTAURANT_UPDATED)
    def on_restaurant_updated(self, event):
        catalog_facts.restaurant_changed(self.store, "rankings.on_restaurant_updated", event)

    @consume_event(catalog.RESTAURANT_DELETED)
    def on_restaurant_deleted(self, event):
        catalog_facts.restaurant_deleted(self.store, "rankings.on_restaurant_deleted", event)

    @consume_event(catalog.DISH_CREATED)
    def on_dish_created(self, event):
        catalog_facts.dish_changed(self.store, "rankings.on_dish_created", event)

    @consume_event(catalog.DISH_UPDATED)
    def on_dish_updated(self, event):
        catalog_facts.dish_changed(self.store, "rankings.on_dish_updated", event)

    @consume_event(catalog.DISH_DELETED)
    def on_dish_deleted(self, event):
        catalog_facts.dish_deleted(self.store, "rankings.on_dish_deleted", event)
