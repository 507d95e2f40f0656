"""A page of a PostgreSQL query and its total, at any size (SPEC §3).

    rows, total = fetch_page(session, query.order_by(...), limit, offset)
    return page(schema.dump(rows, many=True), total, offset)     # shared.schemas.page

An exact count of every match costs what the matches cost: at a million dishes, counting
the 40,000 that say "nasi lemak" took longer than finding the page. So the total is:

- known without counting on the last page (fewer rows than asked: offset + rows);
- counted, but never past EXACT_TOTAL_UP_TO + 1 rows;
- past that, the planner's estimate of the query's rows (EXPLAIN), answered as
  `shared.schemas.Estimated`, so the page says `total_is_estimate: true`.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from shared.schemas import EXACT_TOTAL_UP_TO, Estimated


class Explain(Executable, ClauseElement):
    """`EXPLAIN (FORMAT JSON) <statement>`, its parameters bound as the statement's."""

    inherit_cache = False

    def __init__(self, statement: Select):
        self.statement = statement


@compiles(Explain, "postgresql")
def _explain(element: Explain, compiler, **kw) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def planned_rows(session, query: Select) -> int:
    """How many rows the planner expects `query` to answer (no row is read)."""
    [plan] = session.execute(Explain(query)).scalar()
    return int(plan["Plan"]["Plan Rows"])


def fetch_page(session, query: Select, limit: int, offset: int) -> tuple[list, int]:
    """`limit` rows of the ordered `query` from `offset`, and the total (above)."""
    rows = session.execute(query.limit(limit).offset(offset)).all()
    if len(rows) < limit and (rows or not offset):  # the last page: nothing to count
        return rows, offset + len(rows)
    unordered = query.order_by(None)
    counted = session.scalar(select(func.count()).select_from(
        unordered.limit(EXACT_TOTAL_UP_TO + 1).subquery()))
    if counted <= EXACT_TOTAL_UP_TO:
        return rows, counted
    return rows, Estimated(max(planned_rows(session, unordered), counted, offset + len(rows)))
