"""The orders service's entrypoints, grouped by area (mixed into OrdersService)."""
