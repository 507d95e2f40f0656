"""The gateway as the demo calls it: one pooled `requests` session shared by the worker
threads, retries where the gateway asks for them, and sign-ins kept within its limits."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import requests
from requests.adapters import HTTPAdapter

# the gateway takes at most LOGIN_MAX_AT_ONCE_PER_ADDRESS (4) sign-ins of one client at once
SIGN_INS_AT_ONCE = 4
# a sign-in that fails counts against the client (LOGIN_MAX_FAILURES_PER_ADDRESS, 20 in 15
# minutes): past a few, the demo stops trying rather than lock its own address out
MAX_FAILED_SIGN_INS = 5
RETRIES = 8
TIMEOUT = 30  # seconds: a busy machine is slow, not down


class ApiError(Exception):
    """An answer the demo did not expect (after its retries)."""

    def __init__(self, response: requests.Response):
        super().__init__(f"{response.request.method} {response.request.path_url}: "
                         f"{response.status_code} {response.text[:300]}")
        self.status = response.status_code


class SignInsRefused(Exception):
    """Too many sign-ins failed: the demo's passwords are not the accounts' ones."""


class Api:
    def __init__(self, base: str, workers: int):
        self.base = base.rstrip("/")
        self.session = requests.Session()
        self.session.mount("http://", HTTPAdapter(pool_connections=1, pool_maxsize=workers + 4))
        self.session.mount("https://", HTTPAdapter(pool_connections=1,
                                                   pool_maxsize=workers + 4))
        self._sign_ins = threading.BoundedSemaphore(SIGN_INS_AT_ONCE)
        self._failures_lock = threading.Lock()
        self.failed_sign_ins = 0

    def call(self, method: str, path: str, *, token: str | None = None,
             expect: tuple[int, ...] = (200,), not_known_yet: float = 0,
             **kwargs) -> requests.Response:
        """The answer, once its status is one of `expect`. 429 and 503 are waited out (their
        Retry-After), as are 504s and a dropped connection, and a 404 for `not_known_yet`
        seconds (what another service has not learnt yet); anything else is an ApiError."""
        headers = dict(kwargs.pop("headers", None) or {})
        if token:
            headers["Authorization"] = f"Bearer {token}"
        known_by = time.monotonic() + not_known_yet
        attempt = 0
        while True:
            try:
                response = self.session.request(method, self.base + path, headers=headers,
                                                timeout=TIMEOUT, **kwargs)
            except (requests.ConnectionError, requests.Timeout):
                if attempt == RETRIES - 1:
                    raise
                time.sleep(min(2 ** attempt * 0.25, 5))
                attempt += 1
                continue
            if response.status_code in expect:
                return response
            if response.status_code in (429, 503, 504) and attempt < RETRIES - 1:
                time.sleep(retry_after(response, attempt))
                attempt += 1
                continue
            if response.status_code == 404 and time.monotonic() < known_by:
                time.sleep(1.0)
                continue
            raise ApiError(response)

    def get(self, path: str, **kwargs) -> dict:
        return self.call("GET", path, **kwargs).json()

    def pages(self, path: str, params: dict | None = None, token: str | None = None,
              limit: int = 50) -> Iterator[dict]:
        """Every item of a list route, page by page (its cursor)."""
        params = {**(params or {}), "limit": limit}
        while True:
            page = self.get(path, params=params, token=token)
            yield from page["items"]
            if not page.get("next_cursor"):
                return
            params = {**params, "cursor": page["next_cursor"]}
            params.pop("offset", None)

    def register(self, email: str, username: str, password: str,
                 display_name: str | None = None) -> dict | None:
        """The new account, or None when the email (or username) is taken already."""
        body = {"email": email, "username": username, "password": password}
        if display_name:
            body["display_name"] = display_name
        response = self.call("POST", "/auth/register", json=body, expect=(201, 409))
        return response.json() if response.status_code == 201 else None

    def sign_in(self, email: str, password: str) -> str | None:
        """An access token, or None when the password is not the account's (or there is
        no such account)."""
        with self._failures_lock:
            if self.failed_sign_ins >= MAX_FAILED_SIGN_INS:
                raise SignInsRefused(f"{self.failed_sign_ins} sign-ins failed already")
        with self._sign_ins:
            response = self.call("POST", "/auth/login", expect=(200, 401),
                                 json={"email": email, "password": password})
        if response.status_code == 401:
            with self._failures_lock:
                self.failed_sign_ins += 1
            return None
        return response.json()["access_token"]


def retry_after(response: requests.Response, attempt: int) -> float:
    try:
        return min(max(float(response.headers.get("Retry-After", "")), 0.2), 60.0)
    except ValueError:
        return min(2 ** attempt * 0.25, 5.0)
