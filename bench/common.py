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
    import django

    django.setup()
    return tmp
