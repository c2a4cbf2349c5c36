"""End-to-end UI tests: a real ``stixflow serve`` on loopback and Debian's Chromium, driven by
Playwright (the Python package; its browser download is never used).

Chromium comes from the test set-up (``make test`` installs Debian's ``chromium`` package when it
is missing). Without it the tests skip locally and fail in CI, like the back-end services.

``shot(page, name)`` saves a screenshot as ``<name>.png`` at the page's current viewport, in a
temporary folder; ``STIXFLOW_SCREENSHOTS=docs/screenshots make test`` refreshes the pictures that
``docs/web-ui.md`` shows (a plain test run leaves the repository untouched).
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.streams.instances import Instance

CHROMIUM = os.environ.get("STIXFLOW_CHROMIUM", "/usr/bin/chromium")
SCREENSHOTS = Path(
    os.environ.get("STIXFLOW_SCREENSHOTS") or Path(tempfile.gettempdir()) / "stixflow-screenshots"
).resolve()
ADMIN_EMAIL = "admin@stixflow.local"
ADMIN_PASSWORD = "correct horse battery staple"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


class UiInstance(Instance):
    """A ``stixflow serve`` whose admin can also sign in with a password."""

    def env(self) -> dict[str, str]:
        return {**super().env(), "STIXFLOW_ADMIN_PASSWORD": ADMIN_PASSWORD}


def _chromium_or_skip() -> str:
    if Path(CHROMIUM).exists() or shutil.which(CHROMIUM):
        return CHROMIUM
    message = f"no Chromium at {CHROMIUM}: `make test` installs Debian's chromium package"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Chromium for one test module. Playwright's sync API marks its event loop as running in
    the main thread between calls, until it is closed: closing it with the module leaves no
    loop behind for the tests that follow (``tests/conftest.py`` checks it)."""
    executable = _chromium_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(autouse=True)
def _no_event_loop_left_running() -> Iterator[None]:
    """Replaces the check of ``tests/conftest.py`` here: while a module's browser is open, its
    loop is marked running on purpose (see ``browser``)."""
    yield


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UiInstance]:
    """One platform per test module (workers and ingestion manager running)."""
    instance = UiInstance("ui", tmp_path_factory.mktemp("ui")).start()
    yield instance
    instance.close()


@pytest.fixture
def page(browser: object, server: UiInstance) -> Iterator[object]:
    """A fresh browser context at desktop width (no cookies), pointed at the server."""
    context = browser.new_context(viewport=DESKTOP, base_url=server.url)  # type: ignore[attr-defined]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def login(page: object, *, email: str = ADMIN_EMAIL, password: str = ADMIN_PASSWORD) -> None:
    """Sign in through the login form and wait for the dashboard."""
    page.goto("/login")  # type: ignore[attr-defined]
    page.fill("#login-email", email)  # type: ignore[attr-defined]
    page.fill("#login-password", password)  # type: ignore[attr-defined]
    page.click("button:has-text('Sign in')")  # type: ignore[attr-defined]
    page.wait_for_selector(".whoami")  # type: ignore[attr-defined]


def shot(page: object, name: str, *, full_page: bool = True) -> Path:
    """Save a screenshot of the page as ``<name>.png`` in ``SCREENSHOTS``."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:  # a sticky bar would be painted mid-page in a full-page capture
        page.add_style_tag(content=".topbar { position: static; }")  # type: ignore[attr-defined]
    page.screenshot(path=str(path), full_page=full_page)  # type: ignore[attr-defined]
    return path
