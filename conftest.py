"""What every service's tests share: the test levels (by folder), and the fixtures used
across services (a service's databases, configs and running containers are here because
the gateway's, orders' and rankings' tests start each other's; a fixture only one service
uses lives in that service's tests/conftest.py). eventlet is patched first, as nameko
needs."""

import warnings

warnings.filterwarnings("ignore", message=r"(?s).*Eventlet is deprecated")

import os

import eventlet

eventlet.monkey_patch()

import uuid
from datetime import UTC, datetime

import pytest
from kombu import Connection, Exchange, Queue
from sqlalchemy import text

from services.rankings.storage.models import KnownDish, KnownRestaurant
from shared.events import envelopes_in
from shared.migrations import upgrade
from shared.postgres import ensure_database, make_engine

# A test's level is the folder it is in (README "Tests"): `scripts/test -m unit` runs the
# I/O-free ones in seconds, `-m "not fault and not api"` skips the slowest.
LEVELS = ("unit", "storage", "service", "contracts", "http", "e2e", "scale", "fault", "deploy",
          "api", "architecture", "browser")
ROOT = os.path.dirname(os.path.abspath(__file__))


def pytest_collection_modifyitems(config, items):
    for item in items:
        parts = os.path.relpath(str(item.path), ROOT).split(os.sep)
        level = next((part for part in parts if part in LEVELS), None)
        if level is None:
            raise pytest.UsageError(f"{item.nodeid} is in no test level folder ({LEVELS})")
        item.add_marker(level)


def _prompt_queue_consumer() -> None:
    """nameko's queue consumer notices it should stop only between waits for messages of
    up to a second (kombu's safety interval), so every container a test stops cost it a
    second. Tests stop hundreds: wake it often instead."""
    from kombu.mixins import ConsumerMixin
    from nameko.messaging import QueueConsumer

    def consume(self, limit=None, timeout=None, safety_interval=1, **kwargs):
        return ConsumerMixin.consume(self, limit, timeout, safety_interval=0.02, **kwargs)

    QueueConsumer.consume = consume


_prompt_queue_consumer()

TEST_PG = os.environ.get("TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432")


# per test session, so two runs on one machine (a developer's and CI's) never share one
SESSION_TAG = f"{os.getpid()}"


def drop_database(name: str) -> None:
    admin = make_engine(f"{TEST_PG}/postgres", isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def fresh_database(name: str) -> str:
    """Drop and recreate a test database named `name` + this session's tag; returns its URL."""
    name = f"{name}_{SESSION_TAG}"
    drop_database(name)
    url = f"{TEST_PG}/{name}"
    ensure_database(url)
    return url


def migrated_database(service: str):
    """A session-wide migrated database for `service`, dropped at the end."""
    url = fresh_database(f"bellyfed_test_{service}")
    upgrade(service, url)
    return url


def session_database(service: str):
    """For a session fixture: `service`'s migrated database, dropped after the session."""
    url = migrated_database(service)
    yield url
    drop_database(url.rsplit("/", 1)[1])


def emptied_after(url: str, keep: tuple[str, ...] = ()):
    """For a test fixture: the database at `url`, emptied after the test."""
    yield url
    empty_tables(url, keep)


def running(container_factory, service_cls: type, config: dict):
    """For a test fixture: `service_cls` started, and killed before the test's database is
    emptied (its consumers of its own events would otherwise still be writing during the
    TRUNCATE; Database.kill drops the connections of workers killed mid-flight)."""
    container = container_factory(service_cls, config)
    container.start()
    yield container
    container.kill()


def empty_tables(url: str, keep: tuple[str, ...] = ()) -> None:
    """Truncate every table but alembic's and the reference tables in `keep`."""
    engine = make_engine(url)
    with engine.begin() as conn:
        tables = [name for name in conn.scalars(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            if name != "alembic_version" and name not in keep]
        conn.execute(text(f"TRUNCATE {', '.join(tables)} CASCADE"))
    engine.dispose()


@pytest.fixture(scope="session")
def catalog_db_url():
    yield from session_database("catalog")


@pytest.fixture
def catalog_db(catalog_db_url):
    """The catalog database, emptied after each test."""
    yield from emptied_after(catalog_db_url)


@pytest.fixture(scope="session")
def rankings_db_url():
    yield from session_database("rankings")


@pytest.fixture
def rankings_db(rankings_db_url):
    """The rankings database, emptied after each test (badges and career levels stay)."""
    yield from emptied_after(rankings_db_url, keep=("badges", "career_levels"))


@pytest.fixture
def service_config(rabbit_config):
    """nameko config for one service under test: the per-test vhost, short timeouts."""
    return {
        **rabbit_config,
        "serializer": "json",
        "RPC_TIMEOUT": 2.0,
        "max_workers": 10,
        "OUTBOX_POLL_INTERVAL": 0.5,
        "DYNAMODB": {"endpoint_url": None, "region": "us-east-1", "table_prefix": "test-"},
    }


@pytest.fixture(scope="session")
def moto_endpoint():
    """One embedded moto DynamoDB for the session, as scripts/run runs it locally; tests
    keep apart by table prefix (`dynamodb_prefix`)."""
    from moto.server import ThreadedMotoServer
    from nameko.testing.utils import find_free_port

    from shared.local_dynamodb import patch_moto

    patch_moto()  # as scripts/run's embedded DynamoDB: transactions that scale
    port = find_free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


class StoppableDynamoDB:
    """A moto server of a test's own, stopped and started again on one port, for outage
    tests (its data lives in this process, so it survives a restart as a table would)."""

    def __init__(self):
        from nameko.testing.utils import find_free_port

        from shared.local_dynamodb import patch_moto

        patch_moto()
        self.port = find_free_port()
        self.server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        from moto.server import ThreadedMotoServer

        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)
        self.server.start()

    def stop(self):
        self.server.stop()


@pytest.fixture
def stoppable_dynamodb():
    """A DynamoDB (moto) the test may stop and start: `.stop()`, `.start()`, `.endpoint`."""
    store = StoppableDynamoDB()
    store.start()
    yield store
    store.stop()


@pytest.fixture
def dynamodb_settings(moto_endpoint):
    """DYNAMODB settings with a table prefix of this test's own."""
    return {"endpoint_url": moto_endpoint, "region": "us-east-1",
            "table_prefix": f"t{uuid.uuid4().hex[:10]}-"}


@pytest.fixture
def dynamodb_client(dynamodb_settings):
    from shared.dynamodb import DynamoDBClient

    return DynamoDBClient.from_config(dynamodb_settings)


@pytest.fixture
def analytics_config(service_config, dynamodb_settings):
    return {**service_config, "DYNAMODB": dynamodb_settings, "SERVICE_NAME": "analytics",
            "EVENT_RETRY_DELAY": 0.1, "BATCH_MAX_WAIT": 0.05,
            "LEADERBOARD_REFRESH_INTERVAL": 3600}


@pytest.fixture
def analytics_service(container_factory, analytics_config):
    """The analytics service on the test's vhost, with tables of the test's own prefix."""
    from services.analytics.service import AnalyticsService

    container = container_factory(AnalyticsService, analytics_config)
    container.start()
    return container


@pytest.fixture
def catalog_config(service_config, catalog_db):
    return {**service_config, "DATABASE_URL": catalog_db, "SERVICE_NAME": "catalog"}


@pytest.fixture
def catalog_service(container_factory, catalog_config):
    """The real catalog service, on the test's vhost and database (it prices orders and
    answers the gateway)."""
    from services.catalog.service import CatalogService

    container = container_factory(CatalogService, catalog_config)
    container.start()
    return container


@pytest.fixture
def rankings_config(service_config, rankings_db):
    return {**service_config, "DATABASE_URL": rankings_db, "SERVICE_NAME": "rankings",
            "EVENT_RETRY_DELAY": 0.1}


@pytest.fixture
def rankings_service(container_factory, rankings_config):
    """The rankings service, killed before its database is emptied (its consumers of its
    own events would otherwise still be writing during the TRUNCATE)."""
    from services.rankings.service import RankingsService

    yield from running(container_factory, RankingsService, rankings_config)


@pytest.fixture(scope="session")
def orders_db_url():
    yield from session_database("orders")


@pytest.fixture
def orders_db(orders_db_url):
    """The orders database, emptied after each test."""
    yield from emptied_after(orders_db_url)


@pytest.fixture
def orders_config(service_config, orders_db, dynamodb_settings):
    """Orders on the test's vhost and database, its DynamoDB tables under the test's own
    prefix on the session's moto; the reconciliation timer out of the way."""
    return {**service_config, "DATABASE_URL": orders_db, "SERVICE_NAME": "orders",
            "DYNAMODB": dynamodb_settings, "EVENT_RETRY_DELAY": 0.1,
            "RECONCILE_INTERVAL": 3600}


@pytest.fixture
def orders_service(container_factory, orders_config):
    """The real orders service, killed before its database is emptied (its consumers of its
    own events would otherwise still be writing during the TRUNCATE)."""
    from services.orders.service import OrdersService

    yield from running(container_factory, OrdersService, orders_config)


@pytest.fixture
def rankings_db_engine(rankings_db):
    engine = make_engine(rankings_db)
    yield engine
    engine.dispose()


@pytest.fixture
def catalog_facts(rankings_db_engine):
    """Known restaurants and dishes written straight into rankings' copy of the catalog.

    catalog_facts.restaurant("Warung A", city="Ipoh", cuisines=["Malay"]) -> id
    catalog_facts.dish(restaurant_id, "Nasi Lemak Ayam", dish_type="nasi lemak") -> id
    """

    class Facts:
        def restaurant(self, name: str, city: str = "Kuala Lumpur",
                       cuisines: list[str] | None = None) -> str:
            restaurant_id = uuid.uuid4()
            with rankings_db_engine.begin() as conn:
                conn.execute(KnownRestaurant.__table__.insert().values(
                    restaurant_id=restaurant_id, name=name, city=city,
                    cuisine_type=cuisines or ["Malay"], source_updated_at=datetime.now(UTC)))
            return str(restaurant_id)

        def dish(self, restaurant_id: str, name: str, dish_type: str = "nasi lemak") -> str:
            dish_id = uuid.uuid4()
            with rankings_db_engine.begin() as conn:
                conn.execute(KnownDish.__table__.insert().values(
                    dish_id=dish_id, restaurant_id=restaurant_id, name=name,
                    dish_type=dish_type, source_updated_at=datetime.now(UTC)))
            return str(dish_id)

    return Facts()


class EventRecorder:
    """Catches every event a producer publishes, through a queue bound before the test acts
    (each envelope of a batched event type's message on its own)."""

    def __init__(self, amqp_uri: str, producer: str):
        self.amqp_uri = amqp_uri
        self.exchange = Exchange(f"{producer}.events", type="topic", durable=True)
        self.queue = Queue(f"test-recorder-{uuid.uuid4().hex}", exchange=self.exchange,
                           routing_key="#", auto_delete=True)
        self.connection = Connection(amqp_uri)
        self.queue(self.connection.default_channel).declare()
        self._extra: list[dict] = []  # taken from the broker, not yet handed out

    def take(self, count: int = 1, timeout: float = 5.0) -> list[dict]:
        """The next `count` events (bodies, in arrival order); fails if they don't come."""
        received = self._extra
        with eventlet.Timeout(timeout, False):
            while len(received) < count:
                message = self.queue(self.connection.default_channel).get(no_ack=True)
                if message is None:
                    eventlet.sleep(0.02)
                    continue
                received.extend(envelopes_in(message.payload))
        # what a batched message brought beyond `count` is the next take's
        received, self._extra = received[:count], received[count:]
        assert len(received) == count, f"expected {count} events, got {received}"
        return received

    def take_all(self, settle: float = 0.3) -> list[dict]:
        """Whatever arrives until nothing more has come for `settle` seconds."""
        received, self._extra = self._extra, []
        quiet_since = eventlet.hubs.get_hub().clock()
        while eventlet.hubs.get_hub().clock() - quiet_since < settle:
            message = self.queue(self.connection.default_channel).get(no_ack=True)
            if message is None:
                eventlet.sleep(0.02)
                continue
            received.extend(envelopes_in(message.payload))
            quiet_since = eventlet.hubs.get_hub().clock()
        return received

    def close(self):
        self.connection.release()


@pytest.fixture
def record_events(rabbit_config):
    """record_events("catalog") -> EventRecorder bound to catalog.events."""
    recorders = []

    def make(producer: str) -> EventRecorder:
        recorder = EventRecorder(rabbit_config["AMQP_URI"], producer)
        recorders.append(recorder)
        return recorder

    yield make
    for recorder in recorders:
        recorder.close()
