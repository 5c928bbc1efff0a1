"""Which Zcheap base URLs a team may use.

The team's API key goes wherever the base URL points, and "Test connection" makes a request from
our server: a base URL on our own network would turn both into tools against it (the key sent to
a listener on 127.0.0.1, requests to the cloud metadata service, Redis or PostgreSQL). So a base
URL must be https:// to a host whose every address is public, checked with the downloader's own
address rules. Two exceptions, both chosen by the operator, not by a team admin: the default
ZCHEAP_BASE_URL, and in development (DEBUG) the local simulator at ZCHEAP_DEV_SIMULATOR_URL.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.utils.translation import gettext as _


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    default_port = {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), parts.port or default_port


def same_base_url(a: str, b: str) -> bool:
    return a.strip().rstrip("/") == b.strip().rstrip("/")


def _operator_chosen(url: str) -> bool:
    trusted = [settings.ZCHEAP_BASE_URL]
    if settings.ZCHEAP_DEV_SIMULATOR_URL:
        trusted.append(settings.ZCHEAP_DEV_SIMULATOR_URL)
    return any(_origin(url) == _origin(t) for t in trusted)


def base_url_problem(url: str) -> str | None:
    """Why URL may not be a team's base URL (a sentence to show), or None when it may."""
    from gallery.generation import DownloadError, check_url

    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        return _("Enter a valid URL.")
    if parts.username or parts.password:
        return _("The base URL must not contain a user name or password.")
    if _operator_chosen(url):
        return None
    if parts.scheme != "https":
        return _("The base URL must start with https://.")
    try:
        check_url(url)
    except DownloadError as error:
        if error.permanent:
            return _(
                "The base URL must be a public internet address, not this server or a private network."
            )
        return _("The host of this base URL could not be found.")
    return None
