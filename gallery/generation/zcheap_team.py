"""Glue between a Team and the Zcheap client: live key and base URL, or the demo simulator."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass
class ConnectionResult:
    ok: bool
    demo: bool = False
    message: str = ""
    upstream: str = ""
    quota: object | None = None


def check_connection(team) -> ConnectionResult:
    """Call the asset-quota endpoint with the team's settings; never raises."""
    from zcheap.errors import ZcheapError

    try:
        with client_for_team(team, max_retries=0) as client:
            quota = client.asset_quota()
    except ZcheapError as error:
        # Our own sentence only: the reply's text could be anything that answers at the URL.
        return ConnectionResult(ok=False, message=str(error.user_message))
    except Exception as error:  # a misconfigured URL must show a message, not a 500
        return ConnectionResult(ok=False, message=_("Unexpected error: %s") % type(error).__name__)
    return ConnectionResult(ok=True, demo=team.demo_mode, quota=quota)


def _timeout():
    import httpx
    from django.conf import settings

    return httpx.Timeout(settings.ZCHEAP_READ_TIMEOUT, connect=settings.ZCHEAP_CONNECT_TIMEOUT)


def _require_key_or_demo(team) -> None:
    """Demo mode is off unless a setting enables it (issue 11): a keyless team sends nothing."""
    from zcheap.errors import NoApiKeyError

    if team.needs_key:
        raise NoApiKeyError()


def client_for_team(team, **kwargs):
    """A ZcheapClient for TEAM: its own key and base URL, or the in-process simulator."""
    from zcheap.client import ZcheapClient

    from . import simulator_runtime

    kwargs.setdefault("timeout", _timeout())
    _require_key_or_demo(team)
    if team.demo_mode:
        return simulator_runtime.demo_client(team, **kwargs)
    return ZcheapClient(base_url=team.effective_base_url, api_key=team.api_key, **kwargs)


def async_client_for_team(team, **kwargs):
    """An AsyncZcheapClient for TEAM (the worker's bounded-concurrency polling)."""
    from zcheap.client import AsyncZcheapClient

    from . import simulator_runtime

    kwargs.setdefault("timeout", _timeout())
    _require_key_or_demo(team)
    if team.demo_mode:
        return simulator_runtime.demo_async_client(team, **kwargs)
    return AsyncZcheapClient(base_url=team.effective_base_url, api_key=team.api_key, **kwargs)
