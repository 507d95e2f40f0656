"""The catalog's entrypoints, grouped by area (mixed into CatalogService)."""
