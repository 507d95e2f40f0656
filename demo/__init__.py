"""The living demo: `python -m demo load --base http://127.0.0.1:8000` (scripts/run runs it
once the gateway is ready; DEMO_DATA=0 skips it).

It fills a running system the way its users would, through the gateway's HTTP API, so that
everything that follows a real action follows here too (events, points, badges, review
summaries, average ranks, trending, popularity, leaderboards, order history):

- a demo owner (owner@bellyfed.local) who opens four restaurants and their menus;
- 200 people: 120 sign in, fill in their profiles, follow each other, rank dishes of
  every dish type across the cities, review restaurants, like and comment on reviews, and
  a dozen of them order (the owner moves the orders on: some are left in each status); the
  other 80 only registered, and browse;
- views of the past four weeks, spread over hours and devices: the one thing HTTP cannot
  backdate (the gateway stamps every view now), so they are published as the gateway
  publishes its view events (`views.py`), each with the time it happened.

Deterministic (one seeded plan, `plan.py`, made from the catalog it finds) and idempotent:
each part is probed first through the API (`load.py` says how), and only what is missing
is done, so a second run adds nothing and a half-empty system (DynamoDB wiped while
PostgreSQL kept its rows, say) gets back what it lost.

| file | what |
|---|---|
| `__main__.py` | the command line; prints what was added and the owner's credentials |
| `plan.py` | the demo as data: people, follows, rankings, reviews, orders, views (no I/O) |
| `owner.py` | the demo owner's account, restaurants and menus |
| `load.py` | every part: probe what exists, do what is missing, wait for the points |
| `views.py` | past-dated view events, published as the gateway does |
| `api.py` | the HTTP client: one pooled session, retries, sign-ins within the limits |

Its end-to-end test is tests/e2e/test_demo.py.
"""
