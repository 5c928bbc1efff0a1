"""A 500-task batch: the live count (check) and the creation, against one single-task create.

    .venv/bin/python -m bench.bench_batch [--tasks 500]
    BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/zcheap_bench .venv/bin/python -m bench.bench_batch

Posts through the test client (middleware, forms, templates), tasks queued with a dummy task
backend (nothing is sent). Prints wall time and queries, and each per task against the single
create's per task figure.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.common import setup_django  # noqa: E402

TMP = setup_django()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

FORM = {
    "kind": "image",
    "model": "gemini-3.1-flash-image-preview",
    "prompt": "a single fox",
    "aspect_ratio": "1:1",
    "size": "1K",
}


def timed(client: Client, url: str, data: dict) -> tuple[float, int, int]:
    reset_queries()
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        response = client.post(url, data)
        elapsed = time.perf_counter() - started
    return elapsed, len(queries), response.status_code


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tasks", type=int, default=500)
    args = parser.parse_args()
    settings.TASKS = {
        "default": {
            "BACKEND": "django_tasks.backends.dummy.DummyBackend",
            "QUEUES": settings.TASK_QUEUES,
        }
    }
    settings.BATCH_MAX_TASKS = max(args.tasks, 500)
    settings.ALLOWED_HOSTS = ["testserver"]
    call_command("migrate", verbosity=0)
    from accounts.models import Membership, Role, Team, User

    team = Team.objects.create(name="Bench")
    user = User.objects.create_user("b@example.com", "pw-123456789", display_name="B")
    Membership.objects.create(team=team, user=user, role=Role.MEMBER)
    client = Client()
    client.force_login(user)
    timed(client, "/create/image/", FORM)  # warm-up: templates, translations, connections
    runs = sorted(timed(client, "/create/image/", FORM) for _ in range(5))
    single, single_q, status = runs[2]  # the median of five
    assert status == 302, status
    rows = args.tasks // 5
    prompts = "\n".join(f"fox number {n}" for n in range(rows))
    batch = {**FORM, "batch_prompts": prompts, "batch_variants": "5"}
    check, check_q, status = timed(client, "/batches/check/", batch)
    assert status == 200, status
    create, create_q, status = timed(client, "/batches/new/", batch)
    assert status == 302, status
    n = rows * 5
    print(f"{connection.vendor}, {n} tasks ({rows} prompts × 5 variants)")
    print(f"single create: {single * 1000:.0f} ms, {single_q} queries")
    print(
        f"batch check:   {check * 1000:.0f} ms, {check_q} queries "
        f"({check_q / rows:.1f} queries per prompt)"
    )
    print(
        f"batch create:  {create * 1000:.0f} ms, {create_q} queries; per task "
        f"{create * 1000 / n:.1f} ms = {create / n / single:.2f}× a single create"
    )


if __name__ == "__main__":
    main()
