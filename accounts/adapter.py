from __future__ import annotations

import ipaddress

from allauth.account.adapter import DefaultAccountAdapter
from django.conf import settings


def client_ip(request) -> str:
    """The address a request came from, as far as our own proxies can vouch for it.

    With TRUSTED_PROXY_COUNT proxies in front, each appends the address it saw to
    X-Forwarded-For, so the entry that many places from the right was written by our outermost
    proxy; anything left of it came from the client and may be forged. A request without enough
    entries (or with garbage there) counts against REMOTE_ADDR.
    """
    remote = request.META.get("REMOTE_ADDR", "")
    count = settings.TRUSTED_PROXY_COUNT
    if count > 0:
        forwarded = request.headers.get("X-Forwarded-For", "")
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if len(hops) >= count:
            try:
                return str(ipaddress.ip_address(hops[-count]))
            except ValueError:
                pass
    return remote


class AccountAdapter(DefaultAccountAdapter):
    """Sign-up is closed unless ACCOUNT_ALLOW_SIGNUP is on; people join through invitations."""

    def is_open_for_signup(self, request) -> bool:
        return settings.ACCOUNT_ALLOW_SIGNUP

    def get_client_ip(self, request) -> str:
        """Rate limits count per client, not per proxy (see client_ip)."""
        return client_ip(request) or super().get_client_ip(request)
