"""Signing in and out, with a password or a token; an expired session goes back to login."""

from __future__ import annotations

import sqlite3

from tests.web.conftest import ADMIN_EMAIL, ADMIN_PASSWORD, PHONE, UiInstance, login, shot


def test_password_login_shows_the_dashboard_and_sign_out_ends_the_session(
    page, server: UiInstance
) -> None:
    page.goto("/")
    assert "/login" in page.url
    shot(page, "login")
    login(page)
    assert page.locator("h1").inner_text() == "Dashboard"
    assert ADMIN_EMAIL in page.locator(".whoami").inner_text()
    page.click("button:has-text('Sign out')")
    page.wait_for_url("**/login")
    page.goto("/")
    assert "/login" in page.url


def test_a_wrong_password_is_refused_with_a_message(page, server: UiInstance) -> None:
    login_page = page
    login_page.goto("/login")
    login_page.fill("#login-email", ADMIN_EMAIL)
    login_page.fill("#login-password", "not the password")
    login_page.click("button:has-text('Sign in')")
    assert "Wrong email or password" in login_page.locator(".alert-error").inner_text()
    assert "/login" in login_page.url


def test_token_login(page, server: UiInstance) -> None:
    page.goto("/login")
    page.click("summary:has-text('API token')")
    page.fill("#login-token", server.token)
    page.click("button:has-text('Sign in with token')")
    page.wait_for_selector(".whoami")
    assert page.locator("h1").inner_text() == "Dashboard"


def test_an_expired_session_goes_back_to_the_login_page_and_returns(
    page, server: UiInstance
) -> None:
    login(page)
    page.goto("/knowledge/objects")
    with sqlite3.connect(server.folder / "ui.db") as db:
        db.execute(
            "UPDATE api_tokens SET expires_at = '2000-01-01T00:00:00.000Z' WHERE name = 'login'"
        )
    page.goto("/data/ingestion/rss")
    assert "/login" in page.url
    assert "session ended" in page.locator(".alert-info").inner_text()
    page.fill("#login-email", ADMIN_EMAIL)
    page.fill("#login-password", ADMIN_PASSWORD)
    page.click("button:has-text('Sign in')")
    page.wait_for_selector("#rss-table")
    assert page.url.endswith("/data/ingestion/rss")


def test_the_dashboard_fits_a_phone_screen(browser, server: UiInstance) -> None:
    context = browser.new_context(viewport=PHONE, base_url=server.url)
    phone = context.new_page()
    login(phone)
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways on a phone ({width} px)"
    assert not phone.locator("nav.sidebar").is_visible()
    phone.click("label.nav-button")
    assert phone.locator("nav.sidebar").is_visible()
    shot(phone, "dashboard-phone")
    context.close()
