"""Password login under attack (issue 12, findings 10 and 15), on both back-end pairs.

* failures are counted per account (the lower-cased email, known or not) and per client address
  within ``login.window_seconds``; past a limit login answers 429 with Retry-After, before any
  password hashing, audited; a success resets the account's count (not the address's);
* password hashing runs outside every database transaction (on SQLite, a transaction that
  writes holds the one write lock: a login flood stalled every other request);
* a chunked body over ``max_body_bytes`` is a 413 on every route, ``/api/login`` included.
"""

from __future__ import annotations

import sqlite3
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from types import FrameType
from typing import Any

import orjson
import psycopg
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from stixflow.access import audit, passwords
from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.login import login
from stixflow.access.schemas import LoginIn, UserCreate, UserUpdate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.config import LoginSettings
from stixflow.db.sqlite import sqlite_path
from stixflow.errors import RateLimited, Unauthenticated
from stixflow.runtime import Runtime
from tests.api import conftest as api_fixtures
from tests.conftest import Pair
from tests.support import bundle, malware

admin_token, client = api_fixtures.admin_token, api_fixtures.client  # shared fixtures
PER_ACCOUNT, PER_ADDRESS, WINDOW = 3, 5, 600.0
MAX_BODY = 4096
ALICE, BOB = "alice@example.org", "bob@example.org"
PASSWORD = "alice's real password"


@pytest.fixture
def pair(pair: Pair) -> Pair:
    """The back-end pair with small login limits and a small body cap."""
    limits = LoginSettings(
        max_failures_per_account=PER_ACCOUNT,
        max_failures_per_address=PER_ADDRESS,
        window_seconds=WINDOW,
    )
    update = {"login": limits, "max_body_bytes": MAX_BODY}
    return replace(pair, settings=pair.settings.model_copy(update=update))


@pytest.fixture
def users(runtime: Runtime) -> None:
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    for email in (ALICE, BOB):
        service.create_user(UserCreate(email=email, name=email, password=PASSWORD))


def attempt(client: TestClient, email: str, password: str) -> Any:
    return client.post("/api/login", json={"email": email, "password": password}, headers={})


def from_address(runtime: Runtime, address: str) -> TestClient:
    return TestClient(create_app(runtime), client=(address, 50000))


# -- rate limits ---------------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
def test_past_the_account_limit_login_answers_429_even_with_the_right_password(
    client: TestClient, runtime: Runtime
) -> None:
    for _ in range(PER_ACCOUNT):
        assert attempt(client, ALICE, "a guess").status_code == 401
    limited = attempt(client, ALICE, PASSWORD)
    assert limited.status_code == 429, limited.text
    assert 1 <= int(limited.headers["Retry-After"]) <= WINDOW
    assert "too many" in limited.json()["error"].lower()
    failed = audit.entries(runtime.db, action=audit.LOGIN_FAILED)
    assert len(failed) == PER_ACCOUNT + 1
    assert failed[0].target == ALICE and "too many" in failed[0].detail

    # the account's email in other cases is the same account; Bob is not affected
    assert attempt(client, ALICE.upper(), PASSWORD).status_code == 429
    assert attempt(client, BOB, PASSWORD).status_code == 200


def test_unknown_emails_are_limited_like_known_ones(client: TestClient) -> None:
    for _ in range(PER_ACCOUNT):
        assert attempt(client, "Ghost@Example.org", "a guess").status_code == 401
    assert attempt(client, "ghost@example.org", "a guess").status_code == 429


@pytest.mark.usefixtures("users")
def test_past_the_address_limit_every_account_is_refused_from_that_address_only(
    client: TestClient, runtime: Runtime
) -> None:
    spray = [f"user{n}@example.org" for n in range(PER_ADDRESS)]
    for email in spray:  # one guess per account: no account limit is reached
        assert attempt(client, email, "a guess").status_code == 401
    limited = attempt(client, BOB, PASSWORD)
    assert limited.status_code == 429 and int(limited.headers["Retry-After"]) >= 1
    with from_address(runtime, "192.0.2.7") as elsewhere:
        assert attempt(elsewhere, BOB, PASSWORD).status_code == 200


@pytest.mark.usefixtures("users")
def test_a_success_resets_the_accounts_count(client: TestClient) -> None:
    for _ in range(2):
        for _ in range(PER_ACCOUNT - 1):
            assert attempt(client, ALICE, "a guess").status_code == 401
        assert attempt(client, ALICE, PASSWORD).status_code == 200
    assert attempt(client, ALICE, "a guess").status_code == 401


@pytest.mark.usefixtures("users")
def test_failures_older_than_the_window_no_longer_count(
    client: TestClient, runtime: Runtime
) -> None:
    for _ in range(PER_ACCOUNT):
        attempt(client, ALICE, "a guess")
    assert attempt(client, ALICE, PASSWORD).status_code == 429
    with runtime.db.transaction() as tx:  # as if the window had passed
        tx.execute("UPDATE login_failures SET failed_at = failed_at - ?", (WINDOW + 1,))
    assert attempt(client, ALICE, PASSWORD).status_code == 200


@pytest.mark.usefixtures("users")
def test_the_web_login_page_explains_the_refusal(client: TestClient) -> None:
    form = {"email": ALICE, "password": "a guess", "next": "/"}
    origin = {"Origin": "http://testserver", "Authorization": ""}
    for _ in range(PER_ACCOUNT):
        assert client.post("/login", data=form, headers=origin).status_code == 401
    page = client.post("/login", data={**form, "password": PASSWORD}, headers=origin)
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) >= 1
    assert "Too many failed sign-ins" in page.text and "minute" in page.text
    assert "stixflow_session" not in page.headers.get("set-cookie", "")


@pytest.mark.usefixtures("users")
def test_a_wrong_current_password_counts_as_a_login_failure(client: TestClient) -> None:
    token = attempt(client, ALICE, PASSWORD).json()["token"]["token"]
    headers = {"Authorization": f"Bearer {token}"}
    change = {"current_password": "a guess", "password": "a new password"}
    for _ in range(PER_ACCOUNT):
        assert client.put("/api/me/password", json=change, headers=headers).status_code == 400
    right = {**change, "current_password": PASSWORD}
    assert client.put("/api/me/password", json=right, headers=headers).status_code == 429


@pytest.mark.usefixtures("users")
def test_a_new_password_ends_the_sessions_of_the_old_one(client: TestClient) -> None:
    """Sessions signed in with the old password end (own change or an administrator's); API
    tokens stay."""
    first = attempt(client, ALICE, PASSWORD).json()["token"]["token"]
    second = attempt(client, ALICE, PASSWORD).json()["token"]["token"]
    headers = {"Authorization": f"Bearer {first}"}
    api_token = client.post("/api/me/tokens", json={"name": "script"}, headers=headers).json()
    change = {"current_password": PASSWORD, "password": "a new password"}
    assert client.put("/api/me/password", json=change, headers=headers).status_code < 300
    for session in (first, second):
        seen = client.get("/api/me", headers={"Authorization": f"Bearer {session}"})
        assert seen.status_code == 401
    script = {"Authorization": f"Bearer {api_token['token']}"}
    assert client.get("/api/me", headers=script).status_code == 200

    third = attempt(client, ALICE, "a new password").json()["token"]["token"]
    alice = client.get("/api/users/" + ALICE).json()["id"]
    assert client.patch(f"/api/users/{alice}", json={"password": "by the admin"}).is_success
    assert client.get("/api/me", headers={"Authorization": f"Bearer {third}"}).status_code == 401
    assert client.get("/api/me", headers=script).status_code == 200


# -- hashing outside the database lock ------------------------------------------------------------


@contextmanager
def hashing_watched(probe: Callable[[], bool] | None = None) -> Iterator[list[bool]]:
    """Record each argon2 hash or verify made in this thread; with ``probe``, what it answers at
    that moment (True: no database transaction is open)."""
    seen: list[bool] = []
    watched = {passwords.hash_password.__code__, passwords.verify_password.__code__}

    def profile(frame: FrameType, event: str, arg: object) -> None:
        if event == "call" and frame.f_code in watched:
            seen.append(probe() if probe else True)

    sys.setprofile(profile)
    try:
        yield seen
    finally:
        sys.setprofile(None)


def no_transaction_open(runtime: Runtime) -> Callable[[], bool]:
    """True when another connection could write now (SQLite: the write lock is free) and, on
    PostgreSQL, no connection of the database sits in an open transaction."""
    url = runtime.settings.database_url
    if url.startswith("sqlite"):

        def free() -> bool:
            conn = sqlite3.connect(sqlite_path(url), timeout=0, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return True
            except sqlite3.OperationalError:
                return False
            finally:
                conn.close()

        return free

    def idle() -> bool:
        with psycopg.connect(url, autocommit=True) as conn:
            row = conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
            ).fetchone()
        return row is not None and row[0] == 0

    return idle


def test_password_hashing_holds_no_database_transaction(runtime: Runtime) -> None:
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    limits = runtime.settings.login
    with hashing_watched(no_transaction_open(runtime)) as free:
        user = service.create_user(UserCreate(email=ALICE, name="Alice", password=PASSWORD))
        service.update_user(user.id, UserUpdate(password="another password"))
        with pytest.raises(Unauthenticated):
            login(runtime.db, LoginIn(email=ALICE, password="a guess"), address="x", limits=limits)
        with pytest.raises(Unauthenticated):
            login(runtime.db, LoginIn(email=BOB, password="a guess"), address="x", limits=limits)
        good = LoginIn(email=ALICE, password="another password")
        assert login(runtime.db, good, address="x", limits=limits).user.id == user.id
        first_start = runtime.settings.model_copy(
            update={"admin_email": "root@example.org", "admin_password": SecretStr(PASSWORD)}
        )
        assert ensure_admin(runtime.db, first_start).created
    assert len(free) >= 6  # two hashes, three verifies (one against the decoy), one hash
    assert all(free), f"a hash or verify ran inside a transaction: {free}"


def test_a_limited_login_raises_rate_limited_with_the_wait(runtime: Runtime) -> None:
    limits = runtime.settings.login
    for _ in range(PER_ACCOUNT):
        with pytest.raises(Unauthenticated):
            login(runtime.db, LoginIn(email=BOB, password="a guess"), address=None, limits=limits)
    with hashing_watched() as hashed, pytest.raises(RateLimited) as refused:
        login(runtime.db, LoginIn(email=BOB, password="a guess"), address=None, limits=limits)
    assert 0 < refused.value.retry_after <= WINDOW
    assert hashed == [], "a refused attempt must not cost a password hash"


# -- chunked bodies over the cap (finding 15) -----------------------------------------------------


def chunks(total: int, *, prefix: bytes = b"") -> Iterator[bytes]:
    """A body sent without Content-Length (chunked), ``total`` bytes in 1 KiB pieces."""
    yield prefix
    sent = len(prefix)
    while sent < total:
        piece = b" " * min(1024, total - sent)
        sent += len(piece)
        yield piece


@pytest.mark.parametrize("path", ["/api/login", "/api/bundles", "/login"])
def test_a_chunked_body_over_the_cap_is_413_on_every_route(client: TestClient, path: str) -> None:
    kind = "application/x-www-form-urlencoded" if path == "/login" else "application/json"
    headers = {"Content-Type": kind, "Origin": "http://testserver"}
    answer = client.post(path, content=chunks(MAX_BODY * 3), headers=headers)
    assert answer.request.headers.get("transfer-encoding") == "chunked"
    assert answer.status_code == 413, answer.text
    assert answer.json()["status"] == 413


def test_a_chunked_body_under_the_cap_is_served(client: TestClient) -> None:
    headers = {"Content-Type": "application/json"}
    credentials = b'{"email": "ghost@example.org", "password": "a guess"}'
    answer = client.post("/api/login", content=chunks(200, prefix=credentials), headers=headers)
    assert answer.status_code == 401, answer.text
    small = bundle(malware("Emotet"))
    answer = client.post("/api/bundles", content=chunks(0, prefix=orjson.dumps(small)))
    assert answer.status_code == 202, answer.text
