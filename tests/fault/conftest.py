"""The fault suite: real service processes, the real broker and PostgreSQL, faults injected."""

import re

import pytest

from .harness import Harness


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "fault: delivery under injected faults, with real processes, broker and PostgreSQL "
        "(one test stops RabbitMQ for the whole machine for 20 s)",
    )


@pytest.fixture
def faults(request, rabbit_config, tmp_path):
    """A Harness on this test's vhost and fresh databases; kills its processes at the end."""
    tag = re.sub(r"[^a-z0-9]+", "_", request.node.name.lower())[-24:].strip("_")
    harness = Harness(rabbit_config["AMQP_URI"], tmp_path, tag)
    request.addfinalizer(harness.cleanup)
    yield harness
