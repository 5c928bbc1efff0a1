"""Start Django for a benchmark in a throw-away data folder (SQLite, or BENCH_DATABASE_URL)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def setup_django() -> Path:
    """Configure and set up Django; returns the temporary data folder."""
    sys.path.insert(0, str(ROOT))
    tmp = Path(tempfile.mkdtemp(prefix="zcheap-bench-"))
    os.environ.update(
        DJANGO_SETTINGS_MODULE="zcheap_site.settings",
        ZCHEAP_DATA_DIR=str(tmp),
        DATABASE_URL=os.environ.get("BENCH_DATABASE_URL", f"sqlite:///{tmp / 'bench.db'}"),
        ZCHEAP_DEMO_MODE="1",  # keyless teams use the simulator only when this is on
    )
    # The throughput benches put thousands of tasks in flight for one member: the per-member cap
    # (fair share, FAIR_MEMBER_MAX_IN_FLIGHT) would hold their submits back. Worker processes
    # the benches start inherit this.
    os.environ.setdefault("FAIR_MEMBER_MAX_IN_FLIGHT", "0")
    # One key for this process and the workers it starts (they decrypt the team's API key).
    os.environ.setdefault("SECRET_KEY", "bench-only-secret-key-not-for-production-use-0123456789")
    import django

    django.setup()
    return tmp


def worker_env(tmp: Path, **extra: str) -> dict[str, str]:
    """Environment for a `run_worker` a benchmark starts: production settings (DEBUG off, so
    persistent database connections and no query logging), the benchmark's database and data
    folder. The fake upstream is the team's own base URL, so its result links may be fetched
    although they are on loopback (gallery/generation/downloads.py)."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "zcheap_site.settings",
        "ZCHEAP_DATA_DIR": str(tmp),
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "DEBUG": "0",
        "LOG_LEVEL": "WARNING",
        **extra,
    }
