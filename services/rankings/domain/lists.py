"""A store's Page (shared.pages) as the list answer every rankings list gives
(shared.schemas.page)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.schemas import page

if TYPE_CHECKING:
    from shared.pages import Page


def paged(found: Page, items: list, query: dict) -> dict:
    """`items` (found.rows as answers show them) with found's total and next_cursor. Asked
    by cursor, the page's position is not known, so no next_offset (follow next_cursor)."""
    offset = None if query.get("cursor") else query["offset"]
    return page(items, found.total, offset, found.next_cursor)
