"""Playwright driving the system Chromium (/usr/bin/chromium); never a downloaded browser.

Without Chromium these tests are skipped locally, and fail when CI=true.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run in
# such a thread unless told it is safe (it is: the loop does not run our ORM calls).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
            pytest.fail(f"CI=true but no Chromium at {CHROMIUM}: browser tests must run in CI")
        pytest.skip(f"no Chromium at {CHROMIUM} (python3 dev.py test installs it)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield browser
        browser.close()


def watch_csp(page) -> list[str]:
    """Collect Content-Security-Policy violations (Chromium reports them on the console)."""
    violations: list[str] = []

    def on_console(message):
        if "Content Security Policy" in message.text:
            violations.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    return violations


def _open(browser, live_server, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(15_000)
    page = context.new_page()
    return context, page, watch_csp(page)


@pytest.fixture
def page(browser, live_server):
    """A desktop page; any CSP violation while the test runs fails it."""
    context, page, violations = _open(browser, live_server, viewport={"width": 1280, "height": 900})
    yield page
    context.close()
    assert not violations, "CSP violations:\n" + "\n".join(violations)


@pytest.fixture
def phone(browser, live_server):
    """A phone-sized touch screen; CSP violations fail the test too."""
    context, page, violations = _open(
        browser, live_server, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True
    )
    yield page
    context.close()
    assert not violations, "CSP violations:\n" + "\n".join(violations)


def speak(screen, url: str, lang: str) -> None:
    """Pages of URL's site come in LANG for SCREEN (the language cookie the switcher sets)."""
    from django.conf import settings

    screen.context.add_cookies([{"name": settings.LANGUAGE_COOKIE_NAME, "value": lang, "url": url}])


def login(page, email: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    page.click("form button[type=submit]")
    page.wait_for_url("**/")


@pytest.fixture
def background_worker(settings, tmp_path):
    """Run the worker's steps in a thread, as run_worker would, against the test database."""
    import threading

    from django.db import close_old_connections

    from gallery.generation import worker
    from gallery.models import Generation, State

    settings.ZCHEAP_SIMULATOR_DB = tmp_path / "sim.db"
    settings.ZCHEAP_DEMO_SPEED = "fast"
    stop = threading.Event()

    def refresh_assets():  # what assets.tasks.poll_assets does in a real worker
        from assets import sync
        from assets.models import Asset

        processing = list(Asset.objects.filter(status="Processing").select_related("team"))
        if processing:
            sync.refresh(processing[0].team, processing)

    def loop():
        while not stop.is_set():
            try:
                for pk in Generation.objects.filter(state=State.QUEUED).values_list(
                    "pk", flat=True
                ):
                    worker.submit_one(pk)
                worker.poll_once()
                for pk in worker.ready_for_ingest():
                    worker.ingest_one(pk)
                refresh_assets()
            finally:
                close_old_connections()
            stop.wait(0.2)

    thread = threading.Thread(target=loop, daemon=True)
    thread.start()
    yield
    stop.set()
    thread.join(timeout=10)
