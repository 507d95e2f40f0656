"""The gateway's HTTP server holds no client for ever and no more clients than it may
(SPEC §7: never a hang): an idle kept-alive connection is closed after
HTTP_KEEPALIVE_TIMEOUT, a client that stops sending half way after HTTP_SOCKET_TIMEOUT,
and past HTTP_MAX_CONNECTIONS a new connection is answered 503 and closed; each time the
server goes on answering everyone else."""

from __future__ import annotations

import json
import socket
import time

import pytest

REQUEST = b"GET /health HTTP/1.1\r\nHost: gateway\r\n\r\n"


@pytest.fixture
def limited(start_gateway, web_config_port):
    def start(**limits):
        start_gateway(**limits)
        return web_config_port

    return start


def connect(port: int) -> socket.socket:
    client = socket.create_connection(("127.0.0.1", port), timeout=10)
    return client


def answer(client: socket.socket) -> bytes:
    """Everything the server sends until it closes (or 10 s pass)."""
    received = b""
    while chunk := client.recv(65536):
        received += chunk
    return received


def closed_within(client: socket.socket, seconds: float) -> float | None:
    """How long until the server closed the connection (recv gave b''), if it did."""
    started = time.monotonic()
    client.settimeout(seconds)
    try:
        while client.recv(65536):
            pass
    except TimeoutError:
        return None
    return time.monotonic() - started


def healthy(port: int) -> bool:
    with connect(port) as client:
        client.sendall(b"GET /health HTTP/1.1\r\nHost: gateway\r\nConnection: close\r\n\r\n")
        return answer(client).startswith(b"HTTP/1.1 200")


def test_an_idle_kept_alive_connection_is_closed(limited):
    port = limited(HTTP_KEEPALIVE_TIMEOUT=1, HTTP_SOCKET_TIMEOUT=5)
    with connect(port) as client:
        client.sendall(REQUEST)
        first = client.recv(65536)
        assert first.startswith(b"HTTP/1.1 200")
        took = closed_within(client, 5)
    assert took is not None and took < 3, "an idle connection was kept past its timeout"
    assert healthy(port)


def test_a_client_that_stops_sending_half_way_is_let_go(limited):
    port = limited(HTTP_KEEPALIVE_TIMEOUT=20, HTTP_SOCKET_TIMEOUT=0.5)
    with connect(port) as client:
        client.sendall(b"POST /auth/login HTTP/1.1\r\nHost: gateway\r\n"
                       b"Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"em")
        took = closed_within(client, 5)
    assert took is not None and took < 3
    assert healthy(port)


def test_past_the_connection_cap_a_client_gets_503_and_the_server_recovers(limited):
    port = limited(HTTP_MAX_CONNECTIONS=3, HTTP_KEEPALIVE_TIMEOUT=30)
    held = [connect(port) for _ in range(3)]
    try:
        for client in held:  # three kept-alive connections, each served once
            client.sendall(REQUEST)
            assert client.recv(65536).startswith(b"HTTP/1.1 200")
        with connect(port) as fourth:
            fourth.sendall(REQUEST)
            refused = answer(fourth)
        head, _, body = refused.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 503") and b"Retry-After: 1" in head
        assert json.loads(body)["error"]["code"] == "service_unavailable"
        held[0].sendall(REQUEST)  # the held ones are still served
        assert held[0].recv(65536).startswith(b"HTTP/1.1 200")
    finally:
        for client in held:
            client.close()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and not healthy(port):
        time.sleep(0.1)  # the closed connections are counted out
    assert healthy(port)
