"""Analytics' entrypoints, grouped by area (mixed into AnalyticsService)."""

from __future__ import annotations

from shared.schemas import page


def top(items: list[dict], **beside) -> dict:
    """A top-N list as the list answer (shared.schemas.page): the whole list in one page,
    so total is count and there is no next page; `beside` are its other keys."""
    return {**page(items, len(items), 0), **beside}
