"""DynamoDB goes away while views keep coming: nothing is dead-lettered or lost, nothing is
counted twice, and counting resumes by itself when it is back."""

from __future__ import annotations

import uuid

import eventlet
import pytest
from kombu import Connection
from moto.server import ThreadedMotoServer
from nameko.standalone.rpc import ClusterRpcProxy
from nameko.testing.utils import find_free_port

from services.analytics.service import AnalyticsService
from shared.consumer import dead_letter_queue_name
from shared.events import EnvelopePublisher, make_envelope
from shared.local_dynamodb import patch_moto


class Store:
    """A moto server of the test's own, that can be stopped and started on one port (its
    data lives in the process, so it survives a restart as a real table would)."""

    def __init__(self):
        patch_moto()
        self.port = find_free_port()
        self.server = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self):
        self.server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port)
        self.server.start()

    def stop(self):
        self.server.stop()


@pytest.fixture
def store():
    store = Store()
    store.start()
    yield store
    store.stop()


def test_views_wait_out_an_outage_and_are_counted_once(container_factory, service_config,
                                                       store):
    config = {**service_config, "SERVICE_NAME": "analytics", "BATCH_MAX_WAIT": 0.05,
              # the retry path would dead-letter an event within a second
              "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_DELAY": 0.1,
              "LEADERBOARD_REFRESH_INTERVAL": 3600,
              "DYNAMODB": {"endpoint_url": store.endpoint, "region": "us-east-1",
                           "table_prefix": f"o{uuid.uuid4().hex[:8]}-"}}
    container_factory(AnalyticsService, config).start()
    gateway = EnvelopePublisher(config["AMQP_URI"], "gateway")
    restaurant = str(uuid.uuid4())

    def view(n: int) -> dict:
        return make_envelope("gateway", "restaurant_viewed", {
            "restaurant_id": restaurant, "user_id": None, "anonymous_id": f"visitor-{n % 4}",
            "device_type": "mobile"})

    def counted() -> dict:
        with ClusterRpcProxy(config, timeout=10) as cluster:
            return cluster.analytics.get_entity_views("restaurant", restaurant)

    def dead_letters() -> int:
        with Connection(config["AMQP_URI"]) as connection:
            return connection.default_channel.queue_declare(
                dead_letter_queue_name("analytics"), durable=True, passive=True).message_count

    def wait_for_views(count: int, timeout: float = 30.0) -> dict:
        with eventlet.Timeout(timeout, False):
            while (views := counted())["view_count"] < count:
                eventlet.sleep(0.1)
        return views

    before = [view(n) for n in range(10)]
    for envelope in before:
        gateway.publish(envelope)
    assert wait_for_views(10)["view_count"] == 10

    store.stop()
    during = [view(n) for n in range(10, 40)]
    for envelope in during + during[:5] + before[:3]:  # with redeliveries
        gateway.publish(envelope)
    eventlet.sleep(3.0)  # several retry rounds against nothing
    assert dead_letters() == 0

    store.start()
    views = wait_for_views(40)
    eventlet.sleep(0.5)  # any double count would show now
    views = counted()
    assert (views["view_count"], views["unique_viewers"]) == (40, 4)
    assert dead_letters() == 0
