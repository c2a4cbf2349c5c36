"""The web session in-process (no browser): cookies, redirects, origin checks, page errors."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from stixflow.access.audit import LOCAL_ACTOR
from stixflow.access.bootstrap import ensure_admin
from stixflow.access.schemas import GroupCreate, UserCreate
from stixflow.access.service import AccessService
from stixflow.api.app import create_app
from stixflow.runtime import Runtime
from stixflow.web.session import COOKIE
from tests.support import drain, malware

BASE = "http://testserver"
SAME_ORIGIN = {"Origin": BASE}
PASSWORD = "a long enough password"


@pytest.fixture
def admin_token(runtime: Runtime) -> str:
    token = ensure_admin(runtime.db, runtime.settings).token
    assert token
    return token


@pytest.fixture
def browser(runtime: Runtime) -> Iterator[TestClient]:
    """A client with no credentials that does not follow redirects (like a first visit)."""
    with TestClient(create_app(runtime), base_url=BASE, follow_redirects=False) as client:
        yield client


def user_with(runtime: Runtime, *capabilities: str) -> str:
    """The email of a new user (password ``PASSWORD``) in a group with these capabilities."""
    service = AccessService(runtime.db, runtime.store, actor=LOCAL_ACTOR)
    name = f"u{uuid.uuid4().hex[:8]}"
    group = service.create_group(GroupCreate(name=f"{name} group", capabilities=list(capabilities)))
    email = f"{name}@example.org"
    service.create_user(UserCreate(email=email, name=name, password=PASSWORD, groups=[group.id]))
    return email


def sign_in(browser: TestClient, **form: str) -> str:
    answer = browser.post("/login", data=form, headers=SAME_ORIGIN)
    assert answer.status_code == 303, answer.text
    return answer.cookies[COOKIE]


def test_a_first_visit_goes_to_the_login_page_without_an_expiry_notice(
    browser: TestClient,
) -> None:
    answer = browser.get("/?view=all")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/login?next=/%3Fview%3Dall"
    assert "session ended" not in browser.get(answer.headers["location"]).text


def test_a_dead_session_cookie_says_the_session_ended(browser: TestClient) -> None:
    browser.cookies.set(COOKIE, "sfx_not-a-live-token")
    answer = browser.get("/")
    assert answer.headers["location"] == "/login?next=/&expired=1"
    assert "Your session ended" in browser.get(answer.headers["location"]).text


def test_htmx_requests_without_a_session_are_told_to_redirect(browser: TestClient) -> None:
    browser.cookies.set(COOKIE, "sfx_expired")
    answer = browser.get(
        "/", headers={"HX-Request": "true", "HX-Current-URL": f"{BASE}/knowledge/objects?q=x"}
    )
    assert answer.status_code == 200
    assert answer.headers["HX-Redirect"] == "/login?next=/knowledge/objects%3Fq%3Dx&expired=1"


def test_password_login_sets_an_http_only_cookie_and_logout_revokes_it(
    browser: TestClient, runtime: Runtime, admin_token: str
) -> None:
    email = user_with(runtime, "KNOWLEDGE")
    answer = browser.post(
        "/login", data={"email": email, "password": PASSWORD, "next": "/"}, headers=SAME_ORIGIN
    )
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    session = answer.cookies[COOKIE]
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {session}"}).status_code == 200
    assert browser.get("/").status_code == 200
    browser.post("/logout", headers=SAME_ORIGIN)
    assert browser.get("/api/me", headers={"Authorization": f"Bearer {session}"}).status_code == 401


def test_logout_leaves_a_pasted_api_token_alone(browser: TestClient, admin_token: str) -> None:
    sign_in(browser, token=admin_token)
    browser.post("/logout", headers=SAME_ORIGIN)
    assert browser.get("/").status_code == 303
    mine = browser.get("/api/me", headers={"Authorization": f"Bearer {admin_token}"})
    assert mine.status_code == 200


def test_wrong_credentials_are_refused_on_the_form(browser: TestClient, admin_token: str) -> None:
    answer = browser.post(
        "/login", data={"email": "admin@stixflow.local", "password": "nope"}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 401
    assert "Wrong email or password" in answer.text
    answer = browser.post("/login", data={"token": "sfx_unknown"}, headers=SAME_ORIGIN)
    assert "unknown, expired or revoked" in answer.text
    assert COOKIE not in browser.cookies


def test_login_only_returns_to_a_path_on_this_site(browser: TestClient, admin_token: str) -> None:
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        answer = browser.post(
            "/login", data={"token": admin_token, "next": target}, headers=SAME_ORIGIN
        )
        assert answer.headers["location"] == "/", target


def test_forms_posted_from_another_site_are_refused(browser: TestClient, admin_token: str) -> None:
    answer = browser.post(
        "/login", data={"token": admin_token}, headers={"Origin": "https://evil.example"}
    )
    assert answer.status_code == 403
    assert COOKIE not in browser.cookies
    sign_in(browser, token=admin_token)
    answer = browser.post("/logout", headers={"Origin": "https://evil.example"})
    assert browser.get("/").status_code == 200  # still signed in


def test_a_page_without_its_capability_names_it(browser: TestClient, runtime: Runtime) -> None:
    email = user_with(runtime)  # in a group with no capability at all
    sign_in(browser, email=email, password=PASSWORD)
    answer = browser.get("/")
    assert answer.status_code == 403
    assert "KNOWLEDGE" in answer.text
    assert "<html" in answer.text


def test_api_errors_stay_json_beside_the_pages(browser: TestClient) -> None:
    answer = browser.get("/api/me")
    assert answer.status_code == 401
    assert answer.json()["error"] == "missing bearer token"


def test_the_front_end_library_is_served_locally(browser: TestClient) -> None:
    answer = browser.get("/static/vendor/htmx.min.js")
    assert answer.status_code == 200
    assert "htmx" in answer.text[:2000]
    login = browser.get("/login").text
    assert 'src="/static/vendor/htmx.min.js"' in login
    assert "//unpkg" not in login and "cdn" not in login.lower()


def test_hostile_names_are_shown_as_text_not_run(
    browser: TestClient, runtime: Runtime, admin_token: str
) -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    body = {"type": "bundle", "id": f"bundle--{uuid.uuid4()}", "objects": [malware(hostile)]}
    auth = {"Authorization": f"Bearer {admin_token}"}
    work = browser.post("/api/bundles", json=body, headers=auth).json()["work_id"]
    drain(runtime, work)
    sign_in(browser, token=admin_token)
    for page in ("/", "/knowledge/objects", "/knowledge/objects?text=script"):
        html = browser.get(page).text
        assert "<script>alert" not in html and "<img src=x" not in html, page
    assert "&lt;script&gt;alert" in browser.get("/knowledge/objects?text=script").text
