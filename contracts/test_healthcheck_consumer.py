"""The containers' health check as a consumer: `python -m shared.healthcheck <service>`
(each service image's HEALTHCHECK, and the Kubernetes probes) calls the service's
`health()` and counts it healthy only when the answer's status is "ok"."""

from __future__ import annotations

import pytest

from contracts.consumer import Contract, Promised
from shared import healthcheck

WATCHED = ("catalog", "rankings", "analytics", "orders")


@pytest.mark.parametrize("service", WATCHED)
def test_the_health_check_relies_on_health_answering_ok(service, monkeypatch, tmp_path):
    contract = Contract("healthcheck", service)
    contract.rpc("health", answer={"status": "ok"})
    # the real check, with the service answering exactly what the pact declares
    monkeypatch.setattr(healthcheck, "check",
                        lambda name, timeout, url=None: Promised(contract.rpcs).health())
    assert healthcheck.main([service]) == 0
    contract.write(tmp_path)
