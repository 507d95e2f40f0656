"""DynamoDB goes away while views keep coming: nothing is dead-lettered or lost, nothing is
counted twice, and counting resumes by itself when it is back."""

from __future__ import annotations

import uuid

import eventlet
from kombu import Connection
from nameko.standalone.rpc import ClusterRpcProxy

from services.analytics.service import AnalyticsService
from services.gateway.contract.events import RESTAURANT_VIEWED
from shared.consumer import dead_letter_queue_name
from shared.events import EnvelopePublisher, make_envelope


def test_views_wait_out_an_outage_and_are_counted_once(container_factory, service_config,
                                                       stoppable_dynamodb):
    config = {**service_config, "SERVICE_NAME": "analytics", "BATCH_MAX_WAIT": 0.05,
              # the retry path would dead-letter an event within a second
              "EVENT_MAX_ATTEMPTS": 2, "EVENT_RETRY_DELAY": 0.1,
              "LEADERBOARD_REFRESH_INTERVAL": 3600,
              "DYNAMODB": {"endpoint_url": stoppable_dynamodb.endpoint, "region": "us-east-1",
                           "table_prefix": f"o{uuid.uuid4().hex[:8]}-"}}
    container_factory(AnalyticsService, config).start()
    gateway = EnvelopePublisher(config["AMQP_URI"], "gateway")
    restaurant = str(uuid.uuid4())

    def view(n: int) -> dict:
        return make_envelope(RESTAURANT_VIEWED, {
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

    stoppable_dynamodb.stop()
    during = [view(n) for n in range(10, 40)]
    for envelope in during + during[:5] + before[:3]:  # with redeliveries
        gateway.publish(envelope)
    eventlet.sleep(3.0)  # several retry rounds against nothing
    assert dead_letters() == 0

    stoppable_dynamodb.start()
    views = wait_for_views(40)
    eventlet.sleep(0.5)  # any double count would show now
    views = counted()
    assert (views["view_count"], views["unique_viewers"]) == (40, 4)
    assert dead_letters() == 0
