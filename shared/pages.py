"""A page of a PostgreSQL query and its total, at any size (SPEC §3).

    ORDER = Keyset("restaurants", (Restaurant.name, Restaurant.id))
    found = fetch_page(session, query, ORDER, limit, offset, after=cursor_key)
    return page(schema.dump(found.rows, many=True), found.total,
                None if cursor_key else offset, found.next_cursor)   # shared.schemas.page

An exact count of every match costs what the matches cost: at a million dishes, counting
the 40,000 that say "nasi lemak" took longer than finding the page. So the total is:

- known without counting on the last page (fewer rows than asked: offset + rows);
- counted, but never past EXACT_TOTAL_UP_TO + 1 rows;
- past that, the planner's estimate of the query's rows (EXPLAIN), answered as
  `shared.schemas.Estimated`, so the page says `total_is_estimate: true`.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Select, func, literal, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ClauseElement, Executable

from shared.schemas import EXACT_TOTAL_UP_TO, Estimated, encode_cursor


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


@dataclass(frozen=True)
class Keyset:
    """A list's order as a cursor resumes it: `columns`, each ascending (or each
    descending), ending in a unique one, so every row has a key no other row shares. The
    cursor is `shared.schemas.encode_cursor(name, key)`; a query resumes after a key with
    a row comparison, `(a, b, id) > (:a, :b, :id)`, which a btree index on the same columns
    answers by starting where the last page ended (a deep page costs what the first does)."""

    name: str
    columns: tuple
    descending: bool = False
    prefix: tuple = ()  # constant leading values of every cursor (the cursor's kinds hold them)

    def ordered(self, query: Select) -> Select:
        return query.order_by(*(column.desc() if self.descending else column
                                for column in self.columns))

    def after(self, key: tuple):
        """The rows after `key` in the list's order (a WHERE clause)."""
        row, bound = tuple_(*self.columns), tuple_(*(
            literal(value, column.type) for column, value in zip(self.columns, key,
                                                                 strict=True)))
        return row < bound if self.descending else row > bound

    def cursor(self, key) -> str:
        return encode_cursor(self.name, (*self.prefix, *key))


@dataclass
class Page:
    """A page's rows, the list's total (shared.schemas.page) and the cursor of the next
    page (None on the last)."""

    rows: list
    total: int
    next_cursor: str | None


def fetch_page(session, query: Select, keyset: Keyset, limit: int, offset: int = 0,
               after: tuple | None = None) -> Page:
    """`limit` rows of `query` in `keyset`'s order, from `offset` or after the key of a
    cursor (`after`, without the keyset's prefix), the total (above) and the next page's
    cursor. `query` is unordered: the keyset orders it."""
    paged = query.where(keyset.after(after)) if after is not None else query
    found = session.execute(keyset.ordered(paged.add_columns(*keyset.columns))
                            .limit(limit + 1).offset(offset)).all()
    width = len(keyset.columns)
    more = len(found) > limit
    rows = [row[:-width] for row in found[:limit]]
    next_cursor = keyset.cursor(found[limit - 1][-width:]) if more else None
    if after is None and not more and (rows or not offset):  # the last page: no count
        return Page(rows, offset + len(rows), None)
    return Page(rows, count_up_to(session, query, least=offset + len(rows)), next_cursor)


def count_up_to(session, query: Select, least: int = 0, expected: int = 0) -> int:
    """How many rows `query` answers: counted up to EXACT_TOTAL_UP_TO; past that (or when
    the planner, or the caller's `expected`, already puts it past that: then it is not
    counted), an estimate (Estimated), never below `least` (rows known to exist)."""
    unordered = query.order_by(None)
    planned = planned_rows(session, unordered)
    if max(planned, expected) > EXACT_TOTAL_UP_TO:
        return Estimated(max(planned, expected, least))
    counted = session.scalar(select(func.count()).select_from(
        unordered.limit(EXACT_TOTAL_UP_TO + 1).subquery()))
    if counted <= EXACT_TOTAL_UP_TO:
        return counted
    return Estimated(max(planned, counted, least))


# how many rows a walk reads in the list's order before it asks the match's own index
WALK_ROWS = 2000


@dataclass
class Walked:
    """Rows a walk_rows found (each: the query's columns, then the key's), and what it
    learnt of how many rows match: `dense`, an estimate, when the walk found them in the
    list's order; `exact`, the count, when it had to ask the match's index for them all."""

    rows: list
    dense: int | None = None
    exact: int | None = None


def walk_rows(session, query: Select, matches, keyset: Keyset, need: int,
              after: tuple | None = None, walk: int = WALK_ROWS) -> Walked:
    """Up to `need` rows of `query` that satisfy `matches`, in `keyset`'s order after the
    key `after`, at a cost that follows the page rather than the matches where it can.

    A filter such as a text search (a GIN index) cannot hand rows over in the list's order:
    ordering every match costs what the matches cost (ranking 35,000 "nasi lemak" dishes to
    show twelve). So the walk first reads at most `walk` rows in the list's order (its btree
    index, from `after`) and keeps those that match: a common match fills the page within
    a few hundred rows. When the walk ends short, the match is rare in the list's order,
    so its own index finds every match (few: fewer than about need/walk of the rows, unless
    they cluster late in the order) and they are ordered. The walk's hit rate is the
    estimate of how many rows match (`dense`)."""
    key = list(keyset.columns)
    order = [column.desc() if keyset.descending else column for column in key]
    bounded = query.where(keyset.after(after)) if after is not None else query
    stream = (bounded.add_columns(*key, func.row_number().over(order_by=order).label("walked"),
                                  matches.label("hit"))
              .order_by(*order).limit(walk).subquery())
    width = len(query.selected_columns) + len(key)
    found = session.execute(select(*list(stream.c)[:width + 1]).where(stream.c.hit)
                            .limit(need)).all()
    if len(found) == need:
        walked = found[-1][-1]
        total = planned_rows(session, query)
        return Walked([row[:width] for row in found], dense=total * need // max(walked, 1))
    every = query.where(matches).add_columns(*key).cte("matching").prefix_with(
        "MATERIALIZED")
    wanted = select(every)
    if after is not None:
        wanted = wanted.where(Keyset(keyset.name, tuple(every.c)[-len(key):],
                                     keyset.descending).after(after))
    ordered = tuple(every.c)[-len(key):]
    counted = select(func.count()).select_from(every).scalar_subquery()
    found = session.execute(wanted.add_columns(counted).order_by(*(
        column.desc() if keyset.descending else column for column in ordered))
        .limit(need)).all()
    exact = found[0][-1] if found else 0 if after is None else None
    return Walked([tuple(row[:-1]) for row in found], exact=exact)
