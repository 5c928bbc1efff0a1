"""Demo mode: the in-process simulator that teams without an API key talk to.

The web process and the worker each build their own in-process app; they share its state through
the SQLite file at settings.ZCHEAP_SIMULATOR_DB, so a task submitted from one is seen by the other.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings

from zcheap.client import AsyncZcheapClient, ZcheapClient
from zcheap.simulator import (
    IN_PROCESS_BASE_URL,
    SimConfig,
    async_in_process_transport,
    in_process_transport,
)


def demo_key(team) -> str:
    """Each team is its own simulated account (tasks, assets, quota), issue 11 item 4."""
    return f"demo-team-{team.pk}"


def demo_config() -> SimConfig:
    from .public_links import public_path_prefix

    path = settings.ZCHEAP_SIMULATOR_DB
    factory = SimConfig.fast if settings.ZCHEAP_DEMO_SPEED == "fast" else SimConfig.demo
    return factory(
        state_path=path,
        asset_quota_max=settings.ZCHEAP_DEMO_ASSET_QUOTA,
        inject=settings.ZCHEAP_DEMO_INJECT,
        # The simulator fetches references only from our own signed links (issue 11 item 3).
        fetch_prefixes=(public_path_prefix(),),
        money_unit=settings.ZCHEAP_MONEY_UNIT,
        usd_rate=settings.ZCHEAP_USD_RATE,
        account_limit_usd=float(settings.ZCHEAP_DEMO_BALANCE_USD),
    )


def demo_client(team, **kwargs) -> ZcheapClient:
    transport = in_process_transport(demo_config())
    return ZcheapClient(IN_PROCESS_BASE_URL, demo_key(team), transport=transport, **kwargs)


def demo_async_client(team, **kwargs) -> AsyncZcheapClient:
    transport = async_in_process_transport(demo_config())
    return AsyncZcheapClient(IN_PROCESS_BASE_URL, demo_key(team), transport=transport, **kwargs)


def is_simulator_url(url: str) -> bool:
    return urlsplit(url).netloc == urlsplit(IN_PROCESS_BASE_URL).netloc


def download_transport(url: str):
    """The transport to fetch URL with: the in-process simulator for its own media, else None."""
    if not (settings.ZCHEAP_DEMO_MODE and is_simulator_url(url)):
        return None
    return in_process_transport(demo_config())
