"""Simulator settings: timing, injected latency and failure injection."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path


@dataclass(frozen=True)
class SimConfig:
    """How the simulator behaves. `fast()` for tests, `demo()` for people watching."""

    state_path: Path = field(
        default_factory=lambda: Path(os.environ.get("ZCHEAP_SIMULATOR_DB", "zcheap-sim.db"))
    )
    # Seconds a task spends queued, then running, per kind.
    queue_s: dict = field(default_factory=lambda: {"image": 1.0, "mj": 1.5, "video": 2.0})
    run_s: dict = field(default_factory=lambda: {"image": 4.0, "mj": 6.0, "video": 10.0})
    asset_review_s: float = 5.0
    late_s: float = 90.0  # extra running time for [sim:late]
    expire_s: float = 30.0  # result URLs of [sim:expire] tasks vanish this long after finishing
    hang_s: float = 40.0  # how long [sim:hang] keeps a request open
    latency: float = 0.0  # added to every API request (not to media downloads)
    inject: str = ""  # a marker applied to every submit, e.g. "429" or "500" (see markers)
    valid_keys: tuple[str, ...] = ()  # empty: any non-empty key is accepted
    # Accounts that have used all their quota (billing says nothing is left and their submits
    # are refused for quota); each account's total is `account_limit_usd` below.
    empty_keys: tuple[str, ...] = ()
    asset_quota_enabled: bool = True
    asset_quota_max: int = 500
    # Strict (the default) answers like Zcheap's backend source (contract §0): validation and
    # status codes, the MJ running shape, dropped MJ change parameters, single-URL grids.
    # Lenient (strict=False) is the older, forgiving behaviour; only ask for it explicitly.
    strict: bool = True
    # MJ grids: "some" tasks answer with one grid URL and some with four (by task id), or
    # "always" one, or "never" (four). Markers [sim:grid-url] / [sim:four-urls] force either.
    mj_single_url: str = "some"
    # Reference links the simulator may fetch (URL prefixes). None: any loopback URL (tests and
    # the standalone server); demo mode passes only our own signed-link prefix.
    fetch_prefixes: tuple[str, ...] | None = None
    # Money (§0): each account's total quota in USD (State.set_limit changes one account's), the
    # unit the billing routes report in (USD, CNY or tokens) and the CNY per USD rate for CNY.
    account_limit_usd: float = 100.0
    money_unit: str = "USD"
    usd_rate: float = 7.3
    # Failure switches: the price list cannot be read; the billing routes answer with an error.
    pricing_down: bool = False
    billing_down: bool = False

    @classmethod
    def fast(cls, **overrides) -> SimConfig:
        base = cls(
            queue_s={"image": 0.05, "mj": 0.05, "video": 0.05},
            run_s={"image": 0.25, "mj": 0.25, "video": 0.3},
            asset_review_s=0.3,
            late_s=2.0,
            expire_s=1.0,
            hang_s=2.0,
        )
        return replace(base, **overrides)

    @classmethod
    def demo(cls, **overrides) -> SimConfig:
        return replace(cls(), **overrides)

    @classmethod
    def lenient(cls, **overrides) -> SimConfig:
        """The forgiving simulator (accepts what the real backend refuses). Explicit only."""
        return cls.fast(strict=False, mj_single_url="never", **overrides)

    def total_s(self, kind: str) -> float:
        return self.queue_s.get(kind, 1.0) + self.run_s.get(kind, 3.0)
