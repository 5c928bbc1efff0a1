"""Structured logs: every line logged while a request runs carries its id, the one nginx sent
(X-Request-ID) or one we made, and the response says which."""

from __future__ import annotations

import json
import logging

import pytest

from zcheap_site.logs import JsonFormatter, RequestIdFilter, current_request_id

pytestmark = pytest.mark.django_db


@pytest.fixture
def captured(monkeypatch):
    """Records logged by the request-id filter and JSON formatter, as production writes them."""
    lines: list[str] = []

    class Capture(logging.Handler):
        def emit(self, record):
            lines.append(self.format(record))

    handler = Capture()
    handler.addFilter(RequestIdFilter())
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    yield lines
    logger.removeHandler(handler)


def test_the_proxys_request_id_is_echoed_and_stamped_on_log_lines(alice, captured):
    rid = "0123456789abcdef0123456789abcdef"
    response = alice.get("/gallery/999999/", HTTP_X_REQUEST_ID=rid)  # a 404 logs a warning
    assert response.status_code == 404
    assert response["X-Request-ID"] == rid
    entry = json.loads(captured[-1])
    assert entry["request_id"] == rid and entry["level"] == "WARNING"
    assert entry["logger"] == "django.request" and entry["status_code"] == 404
    assert current_request_id() == "-"  # nothing leaks past the request


def test_without_a_proxy_or_with_a_bad_header_we_make_an_id(alice):
    made = alice.get("/healthz")["X-Request-ID"]
    odd = alice.get("/healthz", HTTP_X_REQUEST_ID="<script>\n")["X-Request-ID"]
    assert len(made) == 32 and len(odd) == 32 and made != odd
