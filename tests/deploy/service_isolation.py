"""pytest plugin behind `scripts/test-service <name>`: one service's tests, alone.

    pytest -p service_isolation --service=orders services/orders/tests

(scripts/test-service puts this folder on PYTHONPATH). A service's own tests may use
the broker and the service's own database, nothing else. Two checks enforce it:

- at collection, a test whose fixtures reach another service's database (or, for a
  service that owns no DynamoDB tables, DynamoDB) is a cross-service integration test:
  it is deselected and listed at the end. The full suite (`scripts/test`) runs those;
  the contracts between the services (contracts/, docs/contracts.md) cover what one
  service expects of another in the per-service runs.
- while the tests run, opening another service's PostgreSQL database, or starting
  another service's real code (a nameko container of a class from services.<other>),
  fails the test: nothing can reach another service by a path the fixtures do not show.
"""

from __future__ import annotations

from collections import Counter

# What each service's own tests may use besides the broker: the fixtures of the root
# conftest that create its stores, and the PostgreSQL databases it owns.
DYNAMODB_FIXTURES = frozenset({"moto_endpoint", "stoppable_dynamodb"})
SERVICES = {
    "catalog": {"fixtures": frozenset({"catalog_db_url"}), "databases": ("catalog",)},
    "rankings": {"fixtures": frozenset({"rankings_db_url"}), "databases": ("rankings",)},
    "analytics": {"fixtures": DYNAMODB_FIXTURES, "databases": ()},
    "orders": {"fixtures": frozenset({"orders_db_url"}) | DYNAMODB_FIXTURES,
               "databases": ("orders",)},
    # The gateway owns no store: its own tests run it with the broker and no service
    # behind it (or test doubles); with the real services behind it they are integration
    # tests, deselected here.
    "gateway": {"fixtures": frozenset(), "databases": ()},
}
# fixture -> what it is, for the report
STORES = {
    "catalog_db_url": "the catalog database",
    "rankings_db_url": "the rankings database",
    "orders_db_url": "the orders database",
    "moto_endpoint": "DynamoDB",
    "stoppable_dynamodb": "DynamoDB",
}
# every database a test may open, whoever runs: the server's maintenance database
ANY_SERVICE_DATABASES = ("postgres",)


class IsolationError(AssertionError):
    """A test reached beyond its service; raised into the test that did it."""


def pytest_addoption(parser):
    parser.addoption("--service", choices=sorted(SERVICES),
                     help="run only what this service's own tests may use")


def pytest_configure(config):
    name = config.getoption("--service")
    if name:
        config.pluginmanager.register(Isolation(name), "service-isolation")


def foreign_stores(name: str, fixturenames) -> list[str]:
    """The stores, other than `name`'s own, that a test with these fixtures uses."""
    allowed = SERVICES[name]["fixtures"]
    return sorted({STORES[f] for f in fixturenames if f in STORES and f not in allowed})


def database_of(args, kwargs) -> str | None:
    """The database a psycopg2.connect(...) call opens."""
    from psycopg2.extensions import parse_dsn

    params = parse_dsn(args[0]) if args and args[0] else {}
    if kwargs.get("dsn"):
        params.update(parse_dsn(kwargs["dsn"]))
    params.update(kwargs)
    return params.get("dbname") or params.get("database")


def database_allowed(name: str, database: str | None) -> bool:
    if database is None or database in ANY_SERVICE_DATABASES:
        return True
    # bellyfed_<svc> in a deployment, bellyfed_test_<svc>[_<purpose>]_<session> in tests
    return any(database == f"bellyfed_{owner}" or database.startswith(f"bellyfed_test_{owner}_")
               for owner in SERVICES[name]["databases"])


def service_package(cls: type) -> str | None:
    """`orders` for a class defined anywhere under services/orders/ (tests included)."""
    parts = cls.__module__.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "services" else None


class Isolation:
    def __init__(self, name: str):
        self.name = name
        self.deselected: list[tuple[str, list[str]]] = []
        self.undo: list = []

    # --- collection: tests of more than one service are integration tests ---------------

    def pytest_collection_modifyitems(self, config, items):
        keep = []
        for item in items:
            stores = foreign_stores(self.name, getattr(item, "fixturenames", ()))
            if stores:
                self.deselected.append((item.nodeid, stores))
            else:
                keep.append(item)
        if len(keep) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
            items[:] = keep

    def pytest_report_header(self, config):
        return (f"service isolation: {self.name}'s own tests, with the broker and "
                f"{self.describe_own()} only")

    def describe_own(self) -> str:
        own = sorted({STORES[f] for f in SERVICES[self.name]["fixtures"]})
        return " and ".join(own) if own else "no database"

    def pytest_terminal_summary(self, terminalreporter):
        if not self.deselected:
            terminalreporter.write_line(
                f"service isolation: every collected test is {self.name}'s own")
            return
        reasons = Counter(", ".join(stores) for _, stores in self.deselected)
        terminalreporter.section("service isolation")
        terminalreporter.write_line(
            f"{len(self.deselected)} cross-service integration tests deselected "
            f"(run them with scripts/test):")
        for reason, count in sorted(reasons.items()):
            terminalreporter.write_line(f"  {count:4d} need {reason}")
        if terminalreporter.config.getoption("verbose") > 0:
            for nodeid, stores in self.deselected:
                terminalreporter.write_line(f"  {nodeid}  ({', '.join(stores)})")

    # --- run time: nothing reaches another service behind the fixtures' back ------------

    def pytest_sessionstart(self, session):
        self.guard_databases()
        self.guard_containers()

    def pytest_sessionfinish(self, session):
        for undo in reversed(self.undo):
            undo()

    def guard_databases(self):
        try:
            import psycopg2
        except ImportError:  # a service without PostgreSQL
            return
        original = psycopg2.connect

        def connect(*args, **kwargs):
            database = database_of(args, kwargs)
            if not database_allowed(self.name, database):
                raise IsolationError(f"{self.name}'s own tests opened the database "
                                     f"{database!r}, which is not {self.name}'s")
            return original(*args, **kwargs)

        psycopg2.connect = connect
        self.undo.append(lambda: setattr(psycopg2, "connect", original))

    def guard_containers(self):
        from nameko.containers import ServiceContainer

        original = ServiceContainer.start
        name = self.name

        def start(container):
            owner = service_package(container.service_cls)
            if owner not in (None, name):
                raise IsolationError(
                    f"{name}'s own tests started {container.service_cls.__module__}."
                    f"{container.service_cls.__name__}, the real {owner} service")
            return original(container)

        ServiceContainer.start = start
        self.undo.append(lambda: setattr(ServiceContainer, "start", original))

