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


@dataclass
class KeyCheck:
    """Whether a key (with a base URL) may become a team's live connection, and why not."""

    ok: bool
    reason: str = ""  # wrong_key | no_balance | unreachable | error
    message: str = ""
    balance: float | None = None  # in the site's display units (USD by default); None: unknown


def verify_key(base_url: str, api_key: str) -> KeyCheck:
    """One cheap authenticated call with KEY at BASE_URL before a team switches to them: the
    billing routes (unbilled; they also say whether anything is left to spend). A gateway
    without them (404) gets the asset quota call instead, which proves the key but not the
    balance. Never raises; the message is our own sentence, never the remote reply. The caller
    has already checked BASE_URL against the address rules (accounts.base_url)."""
    import httpx

    from zcheap import errors as e
    from zcheap.client import ZcheapClient
    from zcheap.types import remaining_balance

    timeout = httpx.Timeout(min(_timeout().read or 15, 15), connect=_timeout().connect)
    try:
        with ZcheapClient(base_url=base_url, api_key=api_key, timeout=timeout, max_retries=0) as c:
            try:
                subscription = c.billing_subscription()
                usage = c.billing_usage()
            except e.NotFoundError:
                c.asset_quota()
                return KeyCheck(ok=True)
    except (e.AuthenticationError, e.UpstreamRefusedError) as error:
        if isinstance(error, e.UpstreamRefusedError) and error.status_code not in (401, 403):
            return _key_error()
        return KeyCheck(
            ok=False,
            reason="wrong_key",
            message=_(
                "Zcheap did not accept this API key. Check that you copied the whole key from "
                "your Zcheap account; it may also be disabled or expired."
            ),
        )
    except e.QuotaError:
        return _no_balance()
    except e.TransientError as error:
        if error.not_sent or error.status_code is None:
            return KeyCheck(
                ok=False,
                reason="unreachable",
                message=_(
                    "Zcheap could not be reached at this base URL. Check the address, or try "
                    "again in a minute."
                ),
            )
        return _key_error()
    except Exception:  # an odd reply must show a message, not a 500
        return _key_error()
    balance = remaining_balance(subscription, usage)
    if not subscription.unlimited and balance <= 0:
        return _no_balance()
    return KeyCheck(ok=True, balance=None if subscription.unlimited else balance)


def _no_balance() -> KeyCheck:
    return KeyCheck(
        ok=False,
        reason="no_balance",
        message=_(
            "This API key works, but its Zcheap account has no balance left, so nothing could be "
            "made with it. Top up on Zcheap first, then save the key again."
        ),
    )


def _key_error() -> KeyCheck:
    return KeyCheck(
        ok=False,
        reason="error",
        message=_(
            "Zcheap answered with an error, so the key could not be checked. Try again in a "
            "minute; if it keeps happening, check the base URL."
        ),
    )


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
